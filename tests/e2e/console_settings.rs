//! The console's settings page over plain HTTP (a browser without
//! JavaScript): a city's administrator renames the city, picks colours
//! (a colour too light to read is shown darker, and the page says so),
//! uploads a logo the site then serves, sets the city's own mail texts;
//! bad input is a 4xx page that names each field; every change is in the
//! audit log; nobody but the city's administrators gets in.

use crate::on_both_backends;
use crate::support::{Auth, Backend, spawn_app, spawn_app_with};
use crate::workbench::{page, post};
use base64::Engine;
use reqwest::Method;

/// A real 4×2 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAACCAIAAADwyuo0AAAAEElEQVR4nGM4IScHRwzIHABvCgghBqXSdgAAAABJRU5ErkJggg==";

pub(crate) fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(PNG)
        .unwrap()
}

/// Post a file form; its status and `Location` (or body).
pub(crate) async fn upload(
    app: &crate::support::TestApp,
    auth: &Auth,
    path: &str,
    file_field: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", auth.csrf.clone().unwrap_or_default())
        .part(
            file_field.to_owned(),
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(path))
        .header("cookie", auth.cookie.clone().unwrap_or_default())
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, location.unwrap_or(resp.text().await.unwrap()))
}

/// An API answer's JSON, which must be a success.
fn json((status, body): (u16, String)) -> serde_json::Value {
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The settings form as the page fills it in, with `changes` made.
fn settings_form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("op", "settings"),
        ("name", "大庆市"),
        ("branding.site_title", ""),
        ("branding.primary_color", "#0b5394"),
        ("branding.accent_color", "#e69138"),
        ("locale", "zh-CN"),
        ("time_zone", "Asia/Shanghai"),
        ("weekend", "sat"),
        ("weekend", "sun"),
        ("branding.contact", "12345"),
        ("branding.footer", ""),
        ("publication.redact_personal_data", "on"),
        ("publication.close_unrated_after_days", "7"),
        ("publication.words", "东城领秀 让胡路区"),
    ];
    for (name, value) in changes {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

async fn administrators_set_up_their_city(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;

    // The console opens on the settings.
    let (status, to) = page(&app, &admin, "/t/daqing/admin/").await;
    assert_eq!((status, to.as_str()), (303, ""), "{to}");
    let (status, body) = page(&app, &admin, "/t/daqing/admin/settings").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("data-testid=\"form-settings\""));

    // A light yellow is too light to read on white: saved as chosen,
    // shown darker, and the page says what the site shows.
    let (status, to) = post(
        &app,
        &admin,
        "/t/daqing/admin/settings",
        &settings_form(&[
            ("branding.site_title", "大庆民声"),
            ("branding.primary_color", "#ffee00"),
        ]),
    )
    .await;
    assert_eq!(status, 303, "{to}");
    assert_eq!(to, "/t/daqing/admin/settings?saved=1");
    let (_, body) = page(&app, &admin, "/t/daqing/admin/settings?saved=1").await;
    assert!(body.contains("data-testid=\"saved\""), "{body}");
    let contrast = body
        .split("data-testid=\"contrast-primary\">")
        .nth(1)
        .unwrap();
    assert!(contrast.starts_with("在白色背景上过浅"), "{contrast}");
    let (_, home) = page(&app, &Auth::default(), "/t/daqing/").await;
    assert!(home.contains("大庆民声"), "the new title is on the site");
    assert!(
        !home.contains("#ffee00"),
        "the unreadable colour is not used"
    );

    // Bad input: each field named, nothing saved.
    let (status, body) = post(
        &app,
        &admin,
        "/t/daqing/admin/settings",
        &settings_form(&[
            ("name", ""),
            ("branding.accent_color", "orange"),
            ("time_zone", "Mars/Olympus"),
            ("publication.close_unrated_after_days", "0"),
        ]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in [
        "name",
        "branding.accent_color",
        "time_zone",
        "publication.close_unrated_after_days",
    ] {
        assert!(
            body.contains(&format!("<code>{field}</code>")),
            "{field} is named: {body}"
        );
    }
    assert!(body.contains("value=\"orange\""), "what was typed is kept");
    let (status, body) = post(
        &app,
        &admin,
        "/t/daqing/admin/settings",
        &settings_form(&[("publication.close_unrated_after_days", "a week")]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let tenant = json(app.call(&admin, Method::GET, "/tenants/daqing", None).await);
    assert_eq!(tenant["name"], "大庆市");
    assert_eq!(tenant["branding"]["accent_color"], "#e69138");

    // The logo: refused unless a small PNG, JPEG or WebP; then served.
    let (status, body) = upload(
        &app,
        &admin,
        "/t/daqing/admin/settings/logo",
        "logo",
        "logo.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("not a PNG, JPEG or WebP"), "{body}");
    let (status, body) = upload(
        &app,
        &admin,
        "/t/daqing/admin/settings/logo",
        "logo",
        "big.png",
        vec![0; 300 << 10],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("256 KiB"), "{body}");
    let (status, to) = upload(
        &app,
        &admin,
        "/t/daqing/admin/settings/logo",
        "logo",
        "logo.png",
        png(),
    )
    .await;
    assert_eq!(status, 303, "{to}");
    let (_, home) = page(&app, &Auth::default(), "/t/daqing/").await;
    // (Templates write `/` as `&#x2f;`.)
    let logo_url = home
        .split("logo?v=")
        .nth(1)
        .map(|rest| format!("/t/daqing/logo?v={}", &rest[..16]))
        .expect("the site shows the logo");
    let resp = app.client.get(app.url(&logo_url)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(resp.bytes().await.unwrap().to_vec(), png());
    let again = app
        .client
        .get(app.url(&logo_url))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    // Another city has no logo of its own, and cannot see this one.
    let (status, _) = page(&app, &Auth::default(), "/t/springfield/logo").await;
    assert_eq!(status, 404);

    // The city's own mail texts; too long is named.
    let (status, to) = post(
        &app,
        &admin,
        "/t/daqing/admin/settings",
        &[
            ("op", "mail"),
            ("mail.reminder_subject", "【大庆民声】{code} 即将到期"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    let (_, body) = page(&app, &admin, "/t/daqing/admin/settings").await;
    assert!(
        body.contains("value=\"【大庆民声】{code} 即将到期\""),
        "{body}"
    );
    let long = "长".repeat(4001);
    let (status, body) = post(
        &app,
        &admin,
        "/t/daqing/admin/settings",
        &[("op", "mail"), ("mail.reminder_body", long.as_str())],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("<code>mail.reminder_body</code>"), "{body}");

    // The city's bundle, as the console gives it, applies back unchanged
    // and carries the mail texts set here.
    let (status, body) = page(&app, &admin, "/t/daqing/admin/bundle").await;
    assert_eq!(status, 200, "{body}");
    let folder = tempfile::tempdir().unwrap();
    for name in [
        "tenant.toml",
        "departments.toml",
        "categories.toml",
        "calendar.toml",
    ] {
        assert!(body.contains(&format!("data-file=\"{name}\"")), "{name}");
        let resp = reqwest::Client::new()
            .get(app.url(&format!("/t/daqing/admin/bundle/{name}")))
            .header("cookie", admin.cookie.clone().unwrap_or_default())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{name}");
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(name)
        );
        std::fs::write(folder.path().join(name), resp.text().await.unwrap()).unwrap();
    }
    let tenant_toml = std::fs::read_to_string(folder.path().join("tenant.toml")).unwrap();
    assert!(tenant_toml.contains("{code} 即将到期"), "{tenant_toml}");
    let (ok, out) = app
        .cli(&[
            "tenant",
            "apply",
            "--dry-run",
            folder.path().to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    for line in out.lines().filter(|l| l.contains(" created, ")) {
        assert!(
            line.contains(" 0 created, 0 updated"),
            "the console's bundle applies back unchanged: {out}"
        );
    }
    let (status, _) = page(&app, &admin, "/t/daqing/admin/bundle/secrets.toml").await;
    assert_eq!(status, 404);

    // Removing the logo takes it off the site.
    let (status, _) = post(
        &app,
        &admin,
        "/t/daqing/admin/settings",
        &[("op", "logo_remove")],
    )
    .await;
    assert_eq!(status, 303);
    let resp = app.client.get(app.url(&logo_url)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // Every change is in the audit log.
    let audit = json(
        app.call(&admin, Method::GET, "/tenants/daqing/audit?limit=50", None)
            .await,
    );
    let actions: Vec<String> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["action"], e["target"]))
        .collect();
    for wanted in ["branding", "mail", "tenant_logo", "removed"] {
        assert!(
            actions.iter().any(|a| a.contains(wanted)),
            "{wanted} in {actions:?}"
        );
    }
}
on_both_backends!(administrators_set_up_their_city);

async fn only_the_citys_administrators_reach_its_settings(backend: Backend) {
    // With the development switch that opens the admin API off.
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    app.staff("daqing", "dq-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let dispatcher = app.login_ok(Some("daqing"), "dq-dispatcher").await;
    let other = app.login_ok(Some("springfield"), "sf-admin").await;
    let paths = ["/t/daqing/admin/", "/t/daqing/admin/settings"];
    for path in paths {
        let (status, _) = page(&app, &Auth::default(), path).await;
        assert_eq!(status, 303, "anonymous {path}");
        let (status, _) = page(&app, &dispatcher, path).await;
        assert_eq!(status, 403, "dispatcher {path}");
        let (status, _) = page(&app, &other, path).await;
        assert_eq!(status, 404, "another city's administrator {path}");
    }
    let rename = settings_form(&[("name", "被改名")]);
    for (who, auth, wanted) in [
        ("anonymous", Auth::default(), 303),
        ("dispatcher", dispatcher.clone(), 403),
        ("another city's administrator", other.clone(), 404),
    ] {
        let (status, to) = post(&app, &auth, "/t/daqing/admin/settings", &rename).await;
        assert_eq!(status, wanted, "{who}");
        if wanted == 303 {
            assert!(to.starts_with("/t/daqing/login?next="), "{to}");
        }
        let (status, _) = upload(
            &app,
            &auth,
            "/t/daqing/admin/settings/logo",
            "logo",
            "logo.png",
            png(),
        )
        .await;
        assert_eq!(status, wanted, "{who} uploading a logo");
    }
    // A form without this session's token changes nothing.
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let forged = Auth {
        csrf: Some("forged".into()),
        ..admin.clone()
    };
    let (status, _) = post(&app, &forged, "/t/daqing/admin/settings", &rename).await;
    assert_eq!(status, 403);
    let tenant = json(app.call(&admin, Method::GET, "/tenants/daqing", None).await);
    assert_eq!(tenant["name"], "大庆市");
}
on_both_backends!(only_the_citys_administrators_reach_its_settings);
