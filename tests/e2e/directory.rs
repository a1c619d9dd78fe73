//! The admin API for departments, categories and the calendar: create, read,
//! update, deactivate, and a clear 4xx for every kind of bad input.

use crate::on_both_backends;
use crate::support::{Backend, spawn_app};
use reqwest::Method;
use serde_json::json;

fn fields(body: &serde_json::Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn directory_crud(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.department_id("daqing", "szf").await;

    // Create.
    let (status, created) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/departments",
            &json!({"code": "test-unit", "name": "测试办公室", "kind": "government",
                    "parent_id": root, "email": "test@daqing.example"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    let (status, got) = app
        .get_json(&format!("/tenants/daqing/departments/{id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["name"], "测试办公室");
    assert_eq!(got["parent_id"], root.as_str());

    // Every bad field is named.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/departments",
            &json!({"code": "Bad Code", "name": " ", "kind": "ministry", "email": "nope"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["code", "name", "kind", "email"]);

    // Duplicate code, unknown parent, a cycle.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/departments",
            &json!({"code": "test-unit", "name": "x", "kind": "other"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(fields(&body), ["code"]);
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/tenants/daqing/departments/{root}"),
            &json!({"parent_id": id}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["parent_id"]);

    // Malformed requests are 400 with a JSON message.
    let resp = app
        .client
        .post(app.api("/tenants/daqing/departments"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    let (status, _) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/departments",
            &json!({"code": "a", "name": "b", "kind": "other", "colour": "red"}),
        )
        .await;
    assert_eq!(status, 400, "unknown fields are rejected");
    let (status, body) = app.get_json("/tenants/daqing/departments/not-a-uuid").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_request");
    let big = "x".repeat(2 * 1024 * 1024);
    let resp = reqwest::Client::new()
        .post(app.api("/tenants/daqing/departments"))
        .json(&json!({"code": "big", "name": big, "kind": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");

    // Update, clear a field, deactivate.
    let (status, updated) = app
        .send_json(
            Method::PATCH,
            &format!("/tenants/daqing/departments/{id}"),
            &json!({"name": "测试科", "email": null, "active": false}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "测试科");
    assert!(updated["email"].is_null());
    let (_, active) = app.get_json("/tenants/daqing/departments").await;
    assert!(
        !active
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == id.as_str())
    );
    let (_, all) = app
        .get_json("/tenants/daqing/departments?include_inactive=true")
        .await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == id.as_str())
    );

    // Categories with Open311 attributes.
    let heating = app.department_id("daqing", "rlgs").await;
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/categories",
            &json!({"code": "elevator", "name": "电梯故障", "answer_days": 0,
                    "default_department_id": heating,
                    "attributes": [{"code": "floor", "description": "楼层", "datatype": "singlevaluelist"}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["answer_days", "attributes[0].values"]);
    let (status, cat) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/categories",
            &json!({"code": "elevator", "name": "电梯故障", "answer_days": 3,
                    "default_department_id": heating, "keywords": ["电梯"],
                    "attributes": [{"code": "floor", "description": "楼层", "datatype": "number", "required": true}]}),
        )
        .await;
    assert_eq!(status, 201, "{cat}");
    assert_eq!(cat["accept_days"], 1);
    assert_eq!(cat["attributes"][0]["required"], true);
    let cat_id = cat["id"].as_str().unwrap();
    let (status, cat) = app
        .send_json(
            Method::PATCH,
            &format!("/tenants/daqing/categories/{cat_id}"),
            &json!({"answer_days": 7}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(cat["answer_days"], 7);

    // Calendar: list a day, compute a deadline across it, unlist it.
    let (status, _) = app
        .send_json(
            Method::PUT,
            "/tenants/daqing/calendar/days/2026-12-01",
            &json!({"kind": "holiday", "name": "测试假日"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .send_json(
            Method::PUT,
            "/tenants/daqing/calendar/days/2026-12-02",
            &json!({"kind": "vacation", "name": "x"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&body), ["kind"]);
    // Submitted Monday 2026-11-30 10:00 Beijing time; Tuesday is now a holiday,
    // so 2 working days end with Thursday 2026-12-03 (local midnight).
    let (status, d) = app
        .get_json("/tenants/daqing/calendar/deadline?working_days=2&start=2026-11-30T02:00:00Z")
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["deadline"], "2026-12-03T16:00:00+00:00");
    let resp = app
        .client
        .delete(app.api("/tenants/daqing/calendar/days/2026-12-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let (_, d) = app
        .get_json("/tenants/daqing/calendar/deadline?working_days=2&start=2026-11-30T02:00:00Z")
        .await;
    assert_eq!(d["deadline"], "2026-12-02T16:00:00+00:00");
    // The 2026 National Day holiday and its make-up Saturday from the bundle.
    let (_, d) = app
        .get_json("/tenants/daqing/calendar/deadline?working_days=5&start=2026-09-30T02:00:00Z")
        .await;
    assert_eq!(d["deadline"], "2026-10-13T16:00:00+00:00");

    // Tenants: create, invalid, suspend.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants",
            &json!({"slug": "Api", "name": "", "locale": "fr", "time_zone": "Mars/Olympus",
                    "branding": {"primary_color": "blue", "accent_color": "#000000"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        fields(&body),
        [
            "slug",
            "name",
            "locale",
            "time_zone",
            "branding.primary_color"
        ]
    );
    let (status, t) = app
        .send_json(
            Method::POST,
            "/tenants",
            &json!({"slug": "harbin", "name": "哈尔滨市", "locale": "zh-CN", "time_zone": "Asia/Harbin",
                    "branding": {"primary_color": "#123456", "accent_color": "#abcdef"}}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let (status, _) = app
        .send_json(
            Method::POST,
            "/tenants/harbin/hosts",
            &json!({"host": "daqing.localhost"}),
        )
        .await;
    assert_eq!(status, 409, "a host serves one city");
    let resp = app.client.get(app.url("/t/harbin/")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (status, _) = app
        .send_json(Method::PATCH, "/tenants/harbin", &json!({"active": false}))
        .await;
    assert_eq!(status, 200);
    let resp = app.client.get(app.url("/t/harbin/")).send().await.unwrap();
    assert_eq!(
        resp.status().as_u16(),
        404,
        "a suspended city's site is gone"
    );
}
on_both_backends!(directory_crud);

/// A case shows its department's and category's names as they are now:
/// renaming either is visible to the very next read of the case, its
/// public page and the public list (the names are cached per city).
async fn renames_reach_the_next_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let pothole = json!({"category": "pothole", "attributes": {"size": ["small"]},
                         "title": "Pothole on Oak", "text": "A deep pothole on Oak Street.", "public": true});
    let code = crate::flows::submit_case(&app, "springfield", &pothole)
        .await
        .code;
    let case_path = format!("/tenants/springfield/cases/{code}");
    let (_, before) = app.get_json(&case_path).await;
    let department = before["case"]["department"].as_str().unwrap().to_owned();
    // Find the ids by code.
    let (_, departments) = app.get_json("/tenants/springfield/departments").await;
    let dept_id = departments
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == department.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, categories) = app.get_json("/tenants/springfield/categories").await;
    let cat_id = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "pothole")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (path, name) in [
        (
            format!("/tenants/springfield/departments/{dept_id}"),
            "Street Repair Crew",
        ),
        (
            format!("/tenants/springfield/categories/{cat_id}"),
            "Potholes and sinkholes",
        ),
    ] {
        let (status, body) = app
            .send_json(Method::PATCH, &path, &json!({ "name": name }))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, after) = app.get_json(&case_path).await;
    assert_eq!(
        after["case"]["department_name"], "Street Repair Crew",
        "{after}"
    );
    assert_eq!(
        after["case"]["category_name"], "Potholes and sinkholes",
        "{after}"
    );
    let (_, list) = app.get_json("/tenants/springfield/cases?page_size=5").await;
    assert!(
        list.to_string().contains("Street Repair Crew"),
        "the public list: {list}"
    );
}
on_both_backends!(renames_reach_the_next_read);
