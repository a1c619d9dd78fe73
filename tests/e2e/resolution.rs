//! Finding the city: by path, by exact host, unknown cities, forged headers,
//! and the closed admin API.

use crate::on_both_backends;
use crate::support::{Backend, spawn_app, spawn_app_with};

async fn page(
    app: &crate::support::TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut req = app.client.get(app.url(path)).header("accept", "text/html");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn tenant_resolution(backend: Backend) {
    let app = spawn_app(backend).await;

    let (status, html) = page(&app, "/t/daqing/", &[]).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("百湖民声") && html.contains("市热力公司"),
        "Daqing's page: {html}"
    );
    assert!(html.contains("lang=\"zh-CN\""));
    assert!(
        !html.contains("Public Works"),
        "no Springfield data on Daqing's page"
    );

    let (status, html) = page(&app, "/t/springfield/", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Public Works") && html.contains("lang=\"en\""));
    assert!(!html.contains("市热力公司"));

    let resp = app.client.get(app.url("/t/daqing")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 308);
    assert_eq!(resp.headers()["location"], "/t/daqing/");

    // By exact host name.
    let (status, html) = page(&app, "/", &[("host", "daqing.localhost")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("市热力公司"));
    let (status, html) = page(&app, "/", &[("host", "SPRINGFIELD.localhost:8080")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Public Works"));

    // Unknown cities: 404 page for browsers, JSON for others.
    let (status, html) = page(&app, "/t/atlantis/", &[]).await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
    let resp = app
        .client
        .get(app.url("/t/atlantis/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    let (status, _) = page(&app, "/", &[("host", "atlantis.example")]).await;
    assert_eq!(status, 404);
    let (status, html) = page(&app, "/no-such-page", &[("host", "daqing.localhost")]).await;
    assert_eq!(status, 404);
    assert!(
        html.contains("页面不存在"),
        "404 in the city's language: {html}"
    );

    // A forged X-Forwarded-Host from an untrusted peer is ignored.
    let (status, html) = page(&app, "/", &[("x-forwarded-host", "daqing.localhost")]).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("市热力公司"),
        "forged header must not select Daqing"
    );
    assert!(
        html.contains("/t/daqing/"),
        "the platform index lists the cities"
    );

    // Behind a trusted proxy the header is believed; the admin API is closed
    // unless opened explicitly.
    let proxied = spawn_app_with(
        backend,
        &[
            ("MINSHENG_TRUSTED_PROXIES", "127.0.0.1/32"),
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
        ],
    )
    .await;
    let (status, html) = page(&proxied, "/", &[("x-forwarded-host", "daqing.localhost")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("市热力公司"));
    let (status, body) = proxied.get_json("/tenants").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthenticated");
    let spec = proxied
        .client
        .get(proxied.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        spec.status().as_u16(),
        200,
        "the OpenAPI document is public"
    );
    let spec: serde_json::Value = spec.json().await.unwrap();
    assert!(spec["paths"]["/v1/tenants/{tenant}/departments"].is_object());
}
on_both_backends!(tenant_resolution);

async fn health_and_migrations(backend: Backend) {
    let app = spawn_app(backend).await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "migrations from empty are current"
    );
    let (ok, out) = app.cli(&["migrate"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("0 pending migration(s)"), "{out}");
    let (ok, out) = app.cli(&["tenant", "list"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("daqing") && out.contains("springfield"),
        "{out}"
    );
}
on_both_backends!(health_and_migrations);
