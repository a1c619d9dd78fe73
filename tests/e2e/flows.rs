//! Typed steps the end-to-end tests share: a citizen submits a case, staff
//! act on it and read it, the escalation worker runs at an instant. Each
//! asserts the status a user relies on, so a test reads as the story it
//! tells.

use crate::support::{Auth, TestApp};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;

/// What a citizen is told when a case is filed.
pub struct Submitted {
    pub code: String,
    pub secret: String,
    pub deadline: DateTime<Utc>,
}

/// The article's complaint: 王女士's flat in 东城领秀 C-22 is cold.
pub fn heating_complaint() -> Value {
    serde_json::json!({
        "category": "heating-cold",
        "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
        "title": "东城领秀C-22栋暖气不热",
        "text": "东城领秀小区C-22栋2单元，家里暖气一直不热，室温只有十几度，请尽快处理。",
        "address": "龙凤区东城领秀 C-22 栋 2 单元",
        "contact_name": "王女士",
        "contact_phone": "13900001111",
        "public": true
    })
}

/// File `body` in `tenant` (anonymously): `201` and its tracking code,
/// secret and answer deadline.
pub async fn submit_case(app: &TestApp, tenant: &str, body: &Value) -> Submitted {
    submit_case_as(app, &Auth::default(), tenant, body).await
}

/// File `body` in `tenant` as `auth`.
pub async fn submit_case_as(app: &TestApp, auth: &Auth, tenant: &str, body: &Value) -> Submitted {
    let (status, text) = app
        .call(
            auth,
            Method::POST,
            &format!("/tenants/{tenant}/cases"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let created: Value = serde_json::from_str(&text).expect("a JSON case");
    let field = |name: &str| {
        created[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in {created}"))
            .to_owned()
    };
    Submitted {
        code: field("tracking_code"),
        secret: field("secret"),
        deadline: field("answer_deadline")
            .parse()
            .expect("an RFC 3339 deadline"),
    }
}

/// A staff action on a case (`accept`, `answer`, `extension/decision`, …)
/// as `auth`: its status and body (`null` when the body is not JSON).
pub async fn staff_act(
    app: &TestApp,
    auth: &Auth,
    tenant: &str,
    code: &str,
    action: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let path = format!("/tenants/{tenant}/cases/{code}/{action}");
    let (status, text) = app.call(auth, Method::POST, &path, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The staff view of a case (the tests run with the admin API open).
pub async fn staff_view(app: &TestApp, tenant: &str, code: &str) -> Value {
    let (status, body) = app
        .get_json(&format!("/tenants/{tenant}/cases/{code}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `minsheng worker --once --at <at>`: how many escalation steps it applied.
pub async fn worker_at(app: &TestApp, at: DateTime<Utc>) -> u64 {
    let (ok, out) = app
        .cli(&["worker", "--once", "--at", &at.to_rfc3339()])
        .await;
    assert!(ok, "{out}");
    out.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"))
}
