//! The console's Rules section over plain HTTP (a browser without
//! JavaScript): uploading real example components as a file, their
//! descriptors, configuring them through the form generated from their
//! schema, replaying a candidate in the background, enabling and ordering
//! rules, and who gets in.

use crate::flows::staff_view;
use crate::on_both_backends;
use crate::plugins::{HEATING_TEXT, heating_in_other, submit};
use crate::site::testid;
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use crate::workbench::{browser, page, post, status_and_location};
use minsheng_plugin_host::{MAX_COMPONENT_BYTES, examples};
use serde_json::{Value, json};
use std::time::Duration;

const BOUNDARY: &str = "minsheng-test-boundary-7f3a";

/// Upload a component through the console's form, as a browser sends a
/// file: its status and `Location` (or body).
async fn upload_file(app: &TestApp, auth: &Auth, tenant: &str, bytes: &[u8]) -> (u16, String) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"component\"; filename=\"rule.wasm\"\r\nContent-Type: application/wasm\r\n\r\n",
        auth.csrf.as_deref().unwrap_or("")
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let resp = browser()
        .post(app.url(&format!("/t/{tenant}/admin/rules")))
        .header("cookie", auth.cookie.clone().unwrap_or_default())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    status_and_location(resp).await
}

/// Wait until the replay's page no longer reloads itself.
async fn replay_result(app: &TestApp, auth: &Auth, path: &str) -> String {
    for _ in 0..240 {
        let (status, html) = page(app, auth, path).await;
        assert_eq!(status, 200, "{html}");
        if !html.contains("http-equiv=\"refresh\"") {
            return html;
        }
        assert!(html.contains("data-testid=\"progress\""), "{html}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the replay did not finish in a minute");
}

async fn plugin_json(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get_json(&format!("/tenants/daqing/plugins/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn administrators_upload_configure_replay_and_order_rules(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    crate::authoring::past_cases(&app).await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let other = app.login_ok(Some("springfield"), "sf-admin").await;
    let list = "/t/daqing/admin/rules";

    let (status, html) = page(&app, &admin, list).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-testid=\"form-upload\""), "{html}");
    assert!(html.contains("enctype=\"multipart/form-data\""));

    // Bad uploads: named, with a 4xx.
    let (status, html) = upload_file(&app, &admin, "daqing", b"not a component").await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("role=\"alert\"") && html.contains("href=\"#component\""),
        "{html}"
    );
    let (status, html) =
        upload_file(&app, &admin, "daqing", &vec![0u8; MAX_COMPONENT_BYTES + 1]).await;
    assert_eq!(status, 413, "{html}");
    assert!(html.contains("组件超过了 8 MiB 的上限"), "{html}");
    let (status, html) = upload_file(&app, &admin, "daqing", b"").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("请选择组件的 .wasm 文件"), "{html}");
    // Without the session's token nothing is uploaded.
    let (status, _) = upload_file(
        &app,
        &Auth {
            csrf: None,
            ..admin.clone()
        },
        "daqing",
        &examples::bytes("spam-guard"),
    )
    .await;
    assert_eq!(status, 403);
    let (_, plugins) = app.get_json("/tenants/daqing/plugins").await;
    assert_eq!(plugins, json!([]), "nothing was kept");

    // The spam guard: a form of simple fields.
    let (status, to) = upload_file(&app, &admin, "daqing", &examples::bytes("spam-guard")).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.starts_with("/t/daqing/admin/rules/"), "{to}");
    let guard = to.clone();
    let guard_id = guard.rsplit('/').next().unwrap().to_owned();
    let (status, html) = page(&app, &admin, &guard).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(testid(&html, "state"), "已停用");
    assert!(html.contains("<code>title</code>") && html.contains("<code>text</code>"));
    assert!(
        !html.contains("data-testid=\"personal\""),
        "the spam guard reads no personal data: {html}"
    );
    assert!(
        html.contains("&quot;spam_words&quot;"),
        "the schema: {html}"
    );
    for field in [
        "f.spam_words",
        "f.refuse_words",
        "f.refuse_message",
        "f.max_links",
        "f.duplicate_hours",
    ] {
        assert!(
            html.contains(&format!("name=\"{field}\"")),
            "{field}: {html}"
        );
    }
    assert!(html.contains("data-testid=\"form-limits\""));
    // A bad value: 422 naming the field, what was typed kept.
    let (status, html) = post(
        &app,
        &admin,
        &guard,
        &[
            ("op", "config"),
            ("f.max_links", "many"),
            ("f.spam_words", "代开发票"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("role=\"alert\"")
            && html.contains("config&#x2f;max_links: must be a whole number"),
        "{html}"
    );
    assert!(html.contains("href=\"#f-max_links\""));
    assert!(html.contains(">代开发票</textarea>"), "{html}");
    let (status, html) = post(
        &app,
        &admin,
        &guard,
        &[("op", "config"), ("f.duplicate_hours", "99999")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("config&#x2f;duplicate_hours"), "{html}");
    let (status, to) = post(
        &app,
        &admin,
        &guard,
        &[
            ("op", "config"),
            ("f.spam_words", "代开发票\r\n\r\n 刷单 \r\n"),
            ("f.max_links", " 3 "),
            ("f.refuse_message", ""),
        ],
    )
    .await;
    assert_eq!((status, to.as_str()), (303, guard.as_str()));
    let saved = plugin_json(&app, &guard_id).await;
    assert_eq!(
        saved["config"],
        json!({"spam_words": ["代开发票", "刷单"], "max_links": 3}),
        "{saved}"
    );
    let (_, html) = page(&app, &admin, &guard).await;
    assert!(html.contains(">代开发票\n刷单</textarea>"), "{html}");

    // The router: its routes are deeper than a form, a JSON text area.
    let (status, router) =
        upload_file(&app, &admin, "daqing", &examples::bytes("daqing-router")).await;
    assert_eq!(status, 303, "{router}");
    let router_id = router.rsplit('/').next().unwrap().to_owned();
    let (_, html) = page(&app, &admin, &router).await;
    assert!(
        html.contains("<textarea id=\"f-routes\" name=\"f.routes\""),
        "{html}"
    );
    assert!(html.contains("name=\"f.only_categories\""));
    // It cannot be enabled without its routes.
    let (status, html) = post(&app, &admin, &router, &[("op", "enable")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    let example = examples::config("daqing-router");
    let routes = example["routes"].to_string();
    let broken = post(
        &app,
        &admin,
        &router,
        &[("op", "replay"), ("f.routes", "[{"), ("days", "1")],
    )
    .await;
    assert_eq!(broken.0, 422, "{}", broken.1);
    assert!(
        broken.1.contains("config&#x2f;routes: not JSON"),
        "{}",
        broken.1
    );
    let (status, html) = post(
        &app,
        &admin,
        &router,
        &[("op", "replay"), ("f.routes", &routes), ("days", "0")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("days: must be between 1 and 366"), "{html}");

    // Replay the router over the past day: both heating complaints would
    // have gone to the heating company.
    let form = [
        ("op", "replay"),
        ("f.routes", routes.as_str()),
        ("f.only_categories", "other"),
        ("days", "1"),
    ];
    let (status, job) = post(&app, &admin, &router, &form).await;
    assert_eq!(status, 303, "{job}");
    assert!(job.starts_with("/t/daqing/admin/rules/replays/"), "{job}");
    let html = replay_result(&app, &admin, &job).await;
    assert!(html.contains("共 3 件：2 件结果不同，0 件失败。"), "{html}");
    assert_eq!(testid(&html, "count-cases"), "3");
    assert_eq!(testid(&html, "count-changed"), "2");
    assert_eq!(testid(&html, "count-department"), "2");
    assert_eq!(testid(&html, "count-category"), "2");
    assert_eq!(testid(&html, "count-priority"), "2");
    assert_eq!(testid(&html, "count-spam"), "0");
    assert_eq!(testid(&html, "count-failed"), "0");
    assert_eq!(html.matches("承办部门: xfj → rlgs").count(), 2, "{html}");
    assert_eq!(html.matches("<tr data-case=").count(), 2, "{html}");
    // Replay changed nothing; the list shows it.
    crate::authoring::still_with_the_bureau(&app).await;
    let (_, html) = page(&app, &admin, list).await;
    assert!(html.contains(job.rsplit('/').next().unwrap()), "{html}");
    // Another city's administrator does not find it.
    assert_eq!(page(&app, &other, &job).await.0, 404);
    let springfield_job = job.replace("/t/daqing/", "/t/springfield/");
    assert_eq!(page(&app, &other, &springfield_job).await.0, 404);
    assert_eq!(
        page(&app, &admin, "/t/daqing/admin/rules/replays/not-a-job")
            .await
            .0,
        404
    );

    // Configure and enable both; the router goes first.
    let (status, _) = post(
        &app,
        &admin,
        &router,
        &[
            ("op", "config"),
            ("f.routes", &routes),
            ("f.only_categories", "other"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    for rule in [&router, &guard] {
        let (status, to) = post(&app, &admin, rule, &[("op", "enable")]).await;
        assert_eq!((status, to.as_str()), (303, rule.as_str()));
    }
    let (_, html) = page(&app, &admin, &router).await;
    assert_eq!(testid(&html, "state"), "已启用");
    assert_eq!(testid(&html, "place"), "第 2 个，共 2 个");
    let (status, to) = post(&app, &admin, &router, &[("op", "up"), ("back", "list")]).await;
    assert_eq!((status, to.as_str()), (303, list));
    let (_, html) = page(&app, &admin, &router).await;
    assert_eq!(testid(&html, "place"), "第 1 个，共 2 个");
    let (_, html) = page(&app, &admin, list).await;
    let (r, g) = (
        html.find("data-plugin=\"daqing-router\"").unwrap(),
        html.find("data-plugin=\"spam-guard\"").unwrap(),
    );
    assert!(r < g, "the router is listed first: {html}");
    assert!(
        plugin_json(&app, &router_id).await["position"].as_i64()
            < plugin_json(&app, &guard_id).await["position"].as_i64()
    );
    // Moving the first up leaves it first.
    let (status, _) = post(&app, &admin, &router, &[("op", "up")]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &admin, &router).await;
    assert_eq!(testid(&html, "place"), "第 1 个，共 2 个");

    // A citizen's heating complaint is now routed by the rule.
    let code = submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    let case = staff_view(&app, "daqing", &code).await;
    assert_eq!(case["case"]["department"], "rlgs", "{case}");

    // Disable and remove a version.
    let (status, _) = post(&app, &admin, &guard, &[("op", "disable")]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &admin, &guard).await;
    assert_eq!(testid(&html, "state"), "已停用");
    let (status, to) = post(&app, &admin, &guard, &[("op", "remove")]).await;
    assert_eq!((status, to.as_str()), (303, list));
    assert_eq!(page(&app, &admin, &guard).await.0, 404);
    let (status, _) = post(&app, &admin, &router, &[("op", "explode")]).await;
    assert_eq!(status, 422);

    // The city's limits, from a rule's page.
    let (_, limits) = app.get_json("/tenants/daqing/plugin-limits").await;
    let text = |key: &str| limits[key].to_string();
    let (fuel, memory, output, log) = (
        text("fuel"),
        text("memory_bytes"),
        text("output_bytes"),
        text("log_bytes"),
    );
    let mut form = vec![
        ("op", "limits"),
        ("fuel", fuel.as_str()),
        ("memory_bytes", memory.as_str()),
        ("output_bytes", output.as_str()),
        ("log_bytes", log.as_str()),
        ("timeout_ms", "lots"),
    ];
    let (status, html) = post(&app, &admin, &router, &form).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("timeout_ms: a whole number") && html.contains("value=\"lots\""),
        "{html}"
    );
    form[5] = ("timeout_ms", "500");
    let (status, to) = post(&app, &admin, &router, &form).await;
    assert_eq!((status, to.as_str()), (303, router.as_str()));
    let (_, limits) = app.get_json("/tenants/daqing/plugin-limits").await;
    assert_eq!(limits["timeout_ms"], 500, "{limits}");

    // Every change is in the audit log.
    let rows = app
        .platform_query(
            "SELECT action FROM audit_events WHERE action IN ('plugin_upload', 'plugin_update', 'plugin_replay', 'plugin_delete')",
        )
        .await;
    assert!(rows.len() >= 10, "{}", rows.len());
}
on_both_backends!(administrators_upload_configure_replay_and_order_rules);

/// Who gets in: someone not signed in is sent to sign in, the city's
/// staff without `tenant:write` get 403, another city's administrator 404.
async fn only_the_citys_administrators_see_its_rules(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let (status, body) = app
        .upload(&admin, "daqing", examples::bytes("spam-guard"))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    app.staff("daqing", "dq-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let dispatcher = app.login_ok(Some("daqing"), "dq-dispatcher").await;
    let other = app.login_ok(Some("springfield"), "sf-admin").await;
    let rule = format!("/t/daqing/admin/rules/{id}");
    let job = format!("/t/daqing/admin/rules/replays/{}", uuid::Uuid::now_v7());
    for path in ["/t/daqing/admin/rules", rule.as_str(), job.as_str()] {
        let resp = browser().get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 303, "{path}");
        let to = resp.headers()["location"].to_str().unwrap();
        assert!(to.starts_with("/t/daqing/login?next="), "{to}");
        assert_eq!(page(&app, &dispatcher, path).await.0, 403, "{path}");
        assert_eq!(page(&app, &other, path).await.0, 404, "{path}");
    }
    // Nor can they change anything.
    for (auth, expected) in [(&dispatcher, 403), (&other, 404)] {
        let (status, _) = post(&app, auth, &rule, &[("op", "enable")]).await;
        assert_eq!(status, expected);
        let (status, _) = upload_file(&app, auth, "daqing", &examples::bytes("redactor")).await;
        assert_eq!(status, expected);
    }
    let (status, _) = post(&app, &Auth::default(), &rule, &[("op", "remove")]).await;
    assert_eq!(status, 303);
    let (_, plugins) = app
        .call(
            &admin,
            reqwest::Method::GET,
            "/tenants/daqing/plugins",
            None,
        )
        .await;
    let plugins: Value = serde_json::from_str(&plugins).unwrap();
    assert_eq!(plugins.as_array().unwrap().len(), 1, "{plugins}");
    assert_eq!(plugins[0]["enabled"], false);
}
on_both_backends!(only_the_citys_administrators_see_its_rules);
