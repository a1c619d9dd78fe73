//! What a client was told is saved survives the process being killed.

use crate::on_both_backends;
use crate::support::{Backend, spawn_app};
use reqwest::Method;
use serde_json::json;

async fn saved_writes_survive_kill(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, body) = app
            .send_json(
                Method::POST,
                "/tenants/springfield/departments",
                &json!({"code": format!("durable-{i}"), "name": format!("Durable {i}"), "kind": "other"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    app.kill_and_restart().await;
    for (i, id) in ids.iter().enumerate() {
        let (status, body) = app
            .get_json(&format!("/tenants/springfield/departments/{id}"))
            .await;
        assert_eq!(status, 200, "department {i} lost after kill: {body}");
        assert_eq!(body["name"], format!("Durable {i}"));
    }
    // The demo cities are not loaded twice into a database that has cities.
    let (_, list) = app.get_json("/tenants").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}
on_both_backends!(saved_writes_survive_kill);
