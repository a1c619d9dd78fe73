//! The server's lifecycle: SIGTERM during a load of submissions loses none
//! that were acknowledged, and `serve` refuses a database whose schema is
//! newer than itself.

use crate::on_both_backends;
use crate::support::{Backend, spawn_app_with};
use std::sync::{Arc, Mutex};

async fn sigterm_loses_nothing_acknowledged(backend: Backend) {
    let mut app =
        spawn_app_with(backend, &[("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "100000")]).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for c in 0..16 {
        let (client, url, acknowledged) = (
            app.client.clone(),
            app.api("/tenants/springfield/cases"),
            acknowledged.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                let body = serde_json::json!({
                    "category": "graffiti", "title": format!("Graffiti {c}-{i}"),
                    "text": "Fresh graffiti on the wall of the underpass.",
                    "attributes": {"surface": ["bridge"]}, "public": true
                });
                // Refused or cut off once the server stops: fine, as long
                // as the client was not told it was saved.
                let Ok(resp) = client.post(&url).json(&body).send().await else {
                    break;
                };
                if resp.status().as_u16() != 201 {
                    break;
                }
                let Ok(created) = resp.json::<serde_json::Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(created["tracking_code"].as_str().unwrap().to_owned());
            }
        }));
    }
    // Let the load build up, then stop the server as Kubernetes would.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let clean = app.terminate_and_restart().await;
    for t in tasks {
        t.await.unwrap();
    }
    assert!(clean, "the server exits cleanly on SIGTERM");
    let codes = acknowledged.lock().unwrap().clone();
    assert!(
        !codes.is_empty(),
        "some submissions were acknowledged before the stop"
    );
    for code in &codes {
        let (status, _) = app
            .get_json(&format!("/tenants/springfield/cases/{code}"))
            .await;
        assert_eq!(
            status, 200,
            "acknowledged case {code} is there after the restart"
        );
    }
    let (_, stats) = app.get_json("/tenants/springfield/stats").await;
    assert!(
        stats["received"].as_u64().unwrap() >= codes.len() as u64,
        "{stats}"
    );
    println!(
        "SIGTERM under load: {} acknowledged submissions, all found after the restart",
        codes.len()
    );
}
on_both_backends!(sigterm_loses_nothing_acknowledged);

async fn newer_schema_is_refused(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    app.platform_query(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20990101_000001_from_the_future', 0)",
    )
    .await;
    let (ok, out) = tokio::time::timeout(std::time::Duration::from_secs(60), app.cli(&["serve"]))
        .await
        .expect("serve gives up at once");
    assert!(!ok, "{out}");
    assert!(
        out.contains("schema is newer") && out.contains("m20990101_000001_from_the_future"),
        "{out}"
    );
}
on_both_backends!(newer_schema_is_refused);
