//! City archives in the operators' console: an operator downloads a
//! city's archive from one deployment and imports it into another, where
//! the city is then served; a damaged archive or a city that already
//! exists is refused with the reason and changes nothing; nobody but an
//! operator gets either.

use crate::console_settings::upload;
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use crate::workbench::page;

async fn with_operator(backend: Backend, demo: bool) -> TestApp {
    let demo = if demo { "1" } else { "0" };
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_WORKER", "0"),
            ("MINSHENG_LOAD_DEMO_TENANTS", demo),
        ],
    )
    .await;
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "ar-operator"])
        .await;
    assert!(ok, "{out}");
    app
}

async fn operators_move_a_city_by_archive(backend: Backend) {
    let a = with_operator(backend, true).await;
    let b = with_operator(backend, false).await;
    let operator_a = a.login_ok(None, "ar-operator").await;
    let operator_b = b.login_ok(None, "ar-operator").await;

    // Only an operator downloads an archive.
    a.staff("daqing", "ar-admin", &["city-admin"], &[]).await;
    let admin = a.login_ok(Some("daqing"), "ar-admin").await;
    let (status, _) = page(&a, &admin, "/operator/cities/daqing/archive").await;
    assert_eq!(status, 404);
    let (status, _) = page(&a, &Auth::default(), "/operator/cities/daqing/archive").await;
    assert_eq!(status, 303);
    let (status, _) = page(&a, &operator_a, "/operator/cities/atlantis/archive").await;
    assert_eq!(status, 404);

    let (status, city) = page(&a, &operator_a, "/operator/cities/daqing").await;
    assert_eq!(status, 200);
    assert!(city.contains("data-testid=\"archive-download\""));
    let resp = reqwest::Client::new()
        .get(a.url("/operator/cities/daqing/archive"))
        .header("cookie", operator_a.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("daqing-") && disposition.contains(".minsheng-archive"),
        "{disposition}"
    );
    let archive = resp.bytes().await.unwrap().to_vec();
    let text = String::from_utf8(archive.clone()).unwrap();
    assert!(text.starts_with("{\"format\":\"minsheng-tenant-archive\""));

    // Not an operator: nothing is imported.
    let (status, _) = upload(
        &b,
        &Auth::default(),
        "/operator/cities/import",
        "archive",
        "daqing.minsheng-archive",
        archive.clone(),
    )
    .await;
    assert_eq!(status, 303, "anonymous: to sign in");
    // A damaged archive changes nothing and says why.
    let damaged = text.replacen("大庆", "大青", 1);
    let (status, body) = upload(
        &b,
        &operator_b,
        "/operator/cities/import",
        "archive",
        "daqing.minsheng-archive",
        damaged.into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("checksum"), "{body}");
    let (status, _) = page(&b, &Auth::default(), "/t/daqing/").await;
    assert_eq!(status, 404, "nothing was imported");

    // The archive itself: the city is served where it was imported.
    let (status, to) = upload(
        &b,
        &operator_b,
        "/operator/cities/import",
        "archive",
        "daqing.minsheng-archive",
        archive.clone(),
    )
    .await;
    assert_eq!((status, to.as_str()), (303, "/operator/cities/daqing"));
    let (status, home) = page(&b, &Auth::default(), "/t/daqing/").await;
    assert_eq!(status, 200);
    assert!(home.contains("百湖民声"));
    b.login_ok(Some("daqing"), "ar-admin").await;
    // Again: the city exists, nothing changes.
    let (status, body) = upload(
        &b,
        &operator_b,
        "/operator/cities/import",
        "archive",
        "daqing.minsheng-archive",
        archive,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("already exists"), "{body}");

    for (app, action) in [(&a, "tenant_export"), (&b, "tenant_import")] {
        let rows = app
            .platform_query(&format!(
                "SELECT actor FROM audit_events WHERE action = '{action}' AND target = 'tenant:daqing'"
            ))
            .await;
        assert_eq!(rows.len(), 1, "{action} is in the audit log");
    }
}
on_both_backends!(operators_move_a_city_by_archive);
