//! No request made through one city can read or change another city's data.

use crate::on_both_backends;
use crate::support::{Backend, spawn_app};
use reqwest::Method;
use serde_json::json;

async fn cross_tenant_access(backend: Backend) {
    let app = spawn_app(backend).await;
    let heating = app.department_id("daqing", "rlgs").await;
    let springfield_root = app.department_id("springfield", "mayor").await;
    let (_, cats) = app.get_json("/tenants/daqing/categories").await;
    let daqing_category = cats[0]["id"].as_str().unwrap().to_owned();

    // Reading Daqing's rows through Springfield: 404, no data.
    let (status, body) = app
        .get_json(&format!("/tenants/springfield/departments/{heating}"))
        .await;
    assert_eq!(status, 404);
    assert!(!body.to_string().contains("热力"), "{body}");
    let (status, _) = app
        .get_json(&format!(
            "/tenants/springfield/categories/{daqing_category}"
        ))
        .await;
    assert_eq!(status, 404);

    // Changing them: 404, and nothing changed.
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("/tenants/springfield/departments/{heating}"),
            &json!({"name": "hijacked", "active": false}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("/tenants/springfield/categories/{daqing_category}"),
            &json!({"name": "hijacked"}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, dept) = app
        .get_json(&format!("/tenants/daqing/departments/{heating}"))
        .await;
    assert_eq!(dept["name"], "市热力公司");
    assert_eq!(dept["active"], true);

    // Pointing at another city's rows is refused.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/springfield/departments",
            &json!({"code": "sneaky", "name": "Sneaky", "kind": "other", "parent_id": heating}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/springfield/categories",
            &json!({"code": "sneaky", "name": "Sneaky", "answer_days": 3, "default_department_id": heating}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("/tenants/daqing/departments/{heating}"),
            &json!({"parent_id": springfield_root}),
        )
        .await;
    assert_eq!(status, 422);

    // Listing shows only the city's own rows.
    let (_, list) = app
        .get_json("/tenants/springfield/departments?include_inactive=true")
        .await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|d| d["id"] != heating.as_str())
    );
    let (_, cal) = app.get_json("/tenants/springfield/calendar").await;
    assert!(!cal.to_string().contains("国庆"), "{cal}");
}
on_both_backends!(cross_tenant_access);
