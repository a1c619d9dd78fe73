//! The authorization matrix of the administration console: every console
//! page, read and posted, by each built-in role of the city, a citizen, a
//! platform operator, someone not signed in, and another city's
//! administrator. Who may is read from the roles' permissions
//! (`tenant:write`), not written down here, so a role that gains or loses
//! the permission changes what this test expects.

use crate::on_both_backends;
use crate::support::{Auth, Backend, spawn_app_with};
use crate::workbench::{page, post};
use reqwest::Method;
use serde_json::Value;

/// Every page of the console, as a path under `/t/daqing/admin/`.
const PAGES: &[&str] = &[
    "",
    "settings",
    "departments",
    "categories",
    "calendar",
    "people",
    "roles",
    "roles/dispatcher",
    "keys",
    "audit",
    "rules",
    "webhooks",
    "quotas",
    "bundle",
    "bundle/tenant.toml",
];

/// Pages with forms, posted with the session's own CSRF token and an
/// operation no page has: refused before anything is read for those
/// without the right, a 4xx that says what is wrong for those with it.
const FORMS: &[&str] = &[
    "settings",
    "people",
    "roles",
    "keys",
    "webhooks",
    "rules",
    "departments",
    "categories",
    "calendar",
];

fn json((status, body): (u16, String)) -> Value {
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn every_console_page_for_every_role(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "cm-operator"])
        .await;
    assert!(ok, "{out}");
    let operator = app.login_ok(None, "cm-operator").await;
    let roles = json(
        app.call(&operator, Method::GET, "/tenants/daqing/roles", None)
            .await,
    );
    let mut principals: Vec<(String, Auth, u16)> = Vec::new();
    for role in roles
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["builtin"] == true)
    {
        let code = role["code"].as_str().unwrap();
        let username = format!("cm-{code}");
        app.staff("daqing", &username, &[code], &["rlgs"]).await;
        let admin = role["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "tenant:write" || p == "*");
        let auth = app.login_ok(Some("daqing"), &username).await;
        principals.push((
            format!("daqing {code}"),
            auth,
            if admin { 200 } else { 403 },
        ));
    }
    assert!(
        principals.iter().any(|(_, _, s)| *s == 200)
            && principals.iter().any(|(_, _, s)| *s == 403),
        "the built-in roles include administrators and others: {roles}"
    );
    let (ok, out) = app
        .cli_with_password(&[
            "user",
            "create",
            "--tenant",
            "daqing",
            "--citizen",
            "--username",
            "cm-citizen",
        ])
        .await;
    assert!(ok, "{out}");
    principals.push((
        "daqing citizen".into(),
        app.login_ok(Some("daqing"), "cm-citizen").await,
        403,
    ));
    app.staff("springfield", "cm-other-admin", &["city-admin"], &[])
        .await;
    principals.push((
        "springfield's administrator".into(),
        app.login_ok(Some("springfield"), "cm-other-admin").await,
        404,
    ));
    principals.push(("the platform's operator".into(), operator, 200));
    principals.push(("someone not signed in".into(), Auth::default(), 303));

    let mut checked = 0;
    for (who, auth, expected) in &principals {
        for path in PAGES {
            let url = format!("/t/daqing/admin/{path}");
            let (status, body) = page(&app, auth, &url).await;
            // The console's home sends its administrators on to a page.
            let wanted = if path.is_empty() && *expected == 200 {
                303
            } else {
                *expected
            };
            assert_eq!(
                status,
                wanted,
                "{who} GET {url}: {}",
                &body[..body.len().min(300)]
            );
            if *expected != 200 {
                assert!(
                    !body.contains("name=\"op\"") && !body.contains("multipart/form-data"),
                    "{who} GET {url}: no console form is shown"
                );
            }
            checked += 1;
        }
        for path in FORMS {
            let url = format!("/t/daqing/admin/{path}");
            let (status, body) = post(&app, auth, &url, &[("op", "no-such-operation")]).await;
            if *expected == 200 {
                assert!(
                    (400..500).contains(&status) && ![401, 403, 404].contains(&status),
                    "{who} POST {url}: {status} {}",
                    &body[..body.len().min(300)]
                );
            } else {
                assert_eq!(status, *expected, "{who} POST {url}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 200, "only {checked} requests checked");
}
on_both_backends!(every_console_page_for_every_role);
