//! Quotas per city: set by the platform's operators, seen by the city's
//! administrators, and each one refused with a message that names it. A
//! case over the daily quota is refused before it is saved, on the API
//! and on the citizen's form; every case acknowledged is there.

use crate::cases::json_call;
use crate::on_both_backends;
use crate::site::{field_value, page, post};
use crate::support::{Auth, Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::workbench;
use reqwest::Method;
use serde_json::{Value, json};

/// The first field error's field and message.
fn refusal(body: &Value) -> (String, String) {
    let first = &body["errors"][0];
    (
        first["field"].as_str().unwrap_or_default().to_owned(),
        first["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// A call on Springfield's API: `tail` comes after `/tenants/springfield`.
async fn sf(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    tail: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let path = format!("/tenants/springfield{tail}");
    json_call(app, auth, method, &path, body.as_ref()).await
}

async fn set_quotas(app: &TestApp, limits: Value) -> Value {
    let (status, quotas) = app
        .send_json(Method::PUT, "/tenants/springfield/quotas", &limits)
        .await;
    assert_eq!(status, 200, "{quotas}");
    quotas
}

fn case_body(title: &str) -> Value {
    json!({"category": "graffiti", "title": title,
           "text": "Spray paint all over the underpass wall on 5th.",
           "attributes": {"surface": ["bridge"]}, "public": true})
}

async fn each_quota_is_enforced_and_named(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    let admin = app.login_ok(Some("springfield"), "sf-admin").await;
    let other = app.login_ok(Some("daqing"), "dq-admin").await;

    // No quotas at first; the city's administrators see them and what
    // the city uses, another city's administrator sees nothing, and only
    // the platform's operators change them.
    let (status, quotas) = sf(&app, &admin, Method::GET, "/quotas", None).await;
    assert_eq!(status, 200, "{quotas}");
    assert_eq!(quotas["limits"]["cases_per_day"], Value::Null);
    assert_eq!(quotas["used"]["staff_users"], 1, "{quotas}");
    let departments = quotas["used"]["departments"].as_u64().unwrap();
    assert!(departments > 0, "{quotas}");
    let (status, _) = sf(&app, &other, Method::GET, "/quotas", None).await;
    assert_eq!(status, 404);
    let (status, _) = sf(
        &app,
        &admin,
        Method::PUT,
        "/quotas",
        Some(json!({"staff_users": 100})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = app
        .send_json(
            Method::PUT,
            "/tenants/springfield/quotas",
            &json!({"webhooks": 2_000_000_000_000u64}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body).0, "webhooks");

    let quotas = set_quotas(
        &app,
        json!({"cases_per_day": 2, "staff_users": 1, "departments": departments,
               "webhooks": 1, "plugins": 0}),
    )
    .await;
    assert_eq!(quotas["limits"]["staff_users"], 1);
    assert_eq!(quotas["limits"]["plugin_bytes"], Value::Null);
    // The change is in the audit log.
    let rows = app
        .platform_query("SELECT action FROM audit_events WHERE action = 'quota_update'")
        .await;
    assert_eq!(rows.len(), 1);

    // Staff users.
    let (status, body) = sf(
        &app,
        &admin,
        Method::POST,
        "/users",
        Some(json!({"username": "sf-second", "display_name": "Second",
                     "password": PASSWORD, "roles": ["dispatcher"]})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (field, message) = refusal(&body);
    assert_eq!(field, "quota.staff_users");
    assert!(message.contains("allows 1 staff users"), "{message}");
    // Departments, active or not.
    let (status, body) = sf(
        &app,
        &admin,
        Method::POST,
        "/departments",
        Some(json!({"code": "parks-2", "name": "Parks annex", "kind": "government"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body).0, "quota.departments");
    // Webhook endpoints: one, then no more; a removed one makes room.
    let hook = json!({"url": "https://hooks.example.org/in", "events": ["*"]});
    let (status, created) = sf(&app, &admin, Method::POST, "/webhooks", Some(hook.clone())).await;
    assert_eq!(status, 201, "{created}");
    let (status, body) = sf(&app, &admin, Method::POST, "/webhooks", Some(hook.clone())).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body).0, "quota.webhooks");
    let id = created["webhook"]["id"].as_str().unwrap();
    let (status, _) = sf(
        &app,
        &admin,
        Method::DELETE,
        &format!("/webhooks/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = sf(&app, &admin, Method::POST, "/webhooks", Some(hook.clone())).await;
    assert_eq!(status, 201);
    // Plugins: refused before the component is even read.
    let (status, body) = app
        .upload(&admin, "springfield", b"\0asm not a component".to_vec())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body).0, "quota.plugins");
    set_quotas(&app, json!({"cases_per_day": 2, "plugin_bytes": 4096})).await;
    let (status, body) = app.upload(&admin, "springfield", vec![7u8; 5000]).await;
    assert_eq!(status, 422, "{body}");
    let (field, message) = refusal(&body);
    assert_eq!(field, "quota.plugin_bytes");
    assert!(message.contains("allows 4 KiB per city"), "{message}");
    let (_, plugin_quota) = app.get_json("/tenants/springfield/plugin-quota").await;
    assert_eq!(plugin_quota["max_bytes"], 4096, "{plugin_quota}");

    // Cases per day: two a day, asked for by six at once; two are saved
    // and answered, four are refused with 429 and saved nowhere.
    let mut asks = Vec::new();
    for i in 0..6 {
        let (client, url) = (app.client.clone(), app.api("/tenants/springfield/cases"));
        asks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&case_body(&format!("Graffiti number {i}")))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or_default())
        }));
    }
    let mut answers = Vec::new();
    for ask in asks {
        answers.push(ask.await.unwrap());
    }
    let saved: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(saved.len(), 2, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 429, "{body}");
        assert_eq!(body["error"], "too_many_requests");
        assert!(
            body["message"].as_str().unwrap().contains("cases_per_day"),
            "{body}"
        );
    }
    let rows = app.platform_query("SELECT tracking_code FROM cases").await;
    let stored: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "tracking_code").unwrap())
        .collect();
    for created in &saved {
        let code = created["tracking_code"].as_str().unwrap();
        assert!(stored.iter().any(|c| c == code), "{code} was acknowledged");
    }
    let (_, quotas) = app.get_json("/tenants/springfield/quotas").await;
    assert_eq!(quotas["used"]["cases_today"], 2, "{quotas}");
    // Retry-After names the wait, up to the city's midnight.
    let resp = app
        .client
        .post(app.api("/tenants/springfield/cases"))
        .json(&case_body("Graffiti once more"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=90_000).contains(&wait), "{wait}");

    // The citizen's form says the case was not saved, keeping what was typed.
    let (_, form) = page(&app, "/t/springfield/ask?category=graffiti", None).await;
    let form_id = field_value(&form, "form_id");
    let resp = post(
        &app,
        "/t/springfield/ask",
        None,
        &[
            ("category", "graffiti"),
            ("form_id", &form_id),
            ("title", "Graffiti on the library"),
            ("text", "Fresh tags on the library's north wall."),
            ("attribute[surface][]", "bridge"),
            ("public", "yes"),
            ("anonymous", "yes"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 429);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Your case was NOT saved"), "{html}");
    assert!(html.contains("Fresh tags on the library"), "{html}");
    let rows = app.platform_query("SELECT tracking_code FROM cases").await;
    assert_eq!(rows.len(), stored.len(), "nothing more was saved");

    // Another city is not bound by Springfield's quotas.
    let (status, _) = json_call(
        &app,
        &Auth::default(),
        Method::POST,
        "/tenants/daqing/cases",
        Some(&json!({"category": "heating-cold", "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
                     "title": "暖气不热测试", "text": "家里暖气一直不热，室温很低。"})),
    )
    .await;
    assert_eq!(status, 201);
    // Lifting the quota lets cases in again.
    set_quotas(&app, json!({})).await;
    let (status, _) = sf(
        &app,
        &Auth::default(),
        Method::POST,
        "/cases",
        Some(case_body("Graffiti after the lift")),
    )
    .await;
    assert_eq!(status, 201);
}
on_both_backends!(each_quota_is_enforced_and_named);

/// The console's quotas page: the city's administrators see each quota,
/// what is used and what is full, in their language; the city's other
/// staff get 403, another city's administrator 404, and someone not signed
/// in is sent to sign in.
async fn city_admins_see_their_quotas(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "q-operator"])
        .await;
    assert!(ok, "{out}");
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    app.staff("springfield", "sf-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    let operator = app.login_ok(None, "q-operator").await;
    let (status, body) = sf(
        &app,
        &operator,
        Method::PUT,
        "/quotas",
        Some(json!({"staff_users": 2, "webhooks": 5})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let path = "/t/springfield/admin/quotas";
    let admin = app.login_ok(Some("springfield"), "sf-admin").await;
    let (status, html) = workbench::page(&app, &admin, path).await;
    assert_eq!(status, 200, "{html}");
    let row = |name: &str| {
        let at = html
            .find(&format!("data-quota=\"{name}\""))
            .unwrap_or_else(|| panic!("no {name} in {html}"));
        html[at..].split("</tr>").next().unwrap().to_owned()
    };
    let staff = row("staff_users");
    assert!(
        staff.contains("class=\"full\"") && staff.contains("<td>2</td>"),
        "{staff}"
    );
    assert!(row("webhooks").contains("<td>5</td>"));
    assert!(row("cases_per_day").contains("No limit"));
    assert!(!row("webhooks").contains("class=\"full\""));

    let dispatcher = app.login_ok(Some("springfield"), "sf-dispatcher").await;
    assert_eq!(workbench::page(&app, &dispatcher, path).await.0, 403);
    let other = app.login_ok(Some("daqing"), "dq-admin").await;
    assert_eq!(workbench::page(&app, &other, path).await.0, 404);
    let (status, html) = workbench::page(&app, &other, "/t/daqing/admin/quotas").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-quota=\"departments\""));
    // In the city's language: Daqing's pages are in Chinese.
    assert!(
        html.contains("<h1>配额</h1>") && html.contains("不限"),
        "{html}"
    );
    let resp = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/t/springfield/login?next=")
    );
}
on_both_backends!(city_admins_see_their_quotas);
