//! What the authorization matrix's calls act on: a fresh case, key,
//! webhook or host name for each call that changes one, so calls do not
//! disturb each other, and the rows an allowed call needs.

use crate::flows::submit_case;
use crate::matrix::{Ids, fill};
use crate::support::{Auth, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// Make sure the thing a call acts on exists, so an allowed call is not a 404.
pub(crate) async fn prepare(
    app: &TestApp,
    operator: &Auth,
    method: &str,
    path: &str,
    own: &Ids,
    other: &Ids,
) {
    if method == "delete" && path.contains("calendar") {
        for ids in [own, other] {
            let (status, _) = app
                .call(
                    operator,
                    Method::PUT,
                    &format!("/tenants/{}/calendar/days/2026-12-24", ids.tenant),
                    Some(&json!({"kind": "holiday", "name": "M"})),
                )
                .await;
            assert_eq!(status, 200);
        }
    }
}

pub(crate) async fn fresh_key_target(
    app: &TestApp,
    operator: &Auth,
    variant: &str,
    has_id: bool,
    own: &Ids,
    other: &Ids,
    auth: Auth,
) -> (String, Auth) {
    let owner = if variant == "own" { own } else { other };
    let name = format!("m-del-{}", uuid::Uuid::now_v7().simple());
    let (status, text) = app
        .call(
            operator,
            Method::POST,
            &format!("/tenants/{}/api-keys", owner.tenant),
            Some(&json!({"name": name})),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let id = created["api_key"]["id"].as_str().unwrap();
    assert!(has_id);
    (format!("/tenants/{}/api-keys/{id}", own.tenant), auth)
}

pub(crate) fn plugin_bytes() -> Vec<u8> {
    minsheng_plugin_host::examples::bytes("escalation-ladder")
}

/// The id of the city's plugin, uploading it when there is none.
pub(crate) async fn ensure_plugin(app: &TestApp, operator: &Auth, tenant: &str) -> String {
    let (status, text) = app
        .call(
            operator,
            Method::GET,
            &format!("/tenants/{tenant}/plugins"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    if let Some(id) = list[0]["id"].as_str() {
        return id.to_owned();
    }
    let (status, created) = app.upload(operator, tenant, plugin_bytes()).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// A webhook made for this call alone (deleting the shared one would change
/// what the next principal sees).
pub(crate) async fn fresh_webhook_target(
    app: &TestApp,
    operator: &Auth,
    variant: &str,
    own: &Ids,
    other: &Ids,
    auth: Auth,
) -> (String, Auth) {
    let owner = if variant == "own" { own } else { other };
    let (status, text) = app
        .call(
            operator,
            Method::POST,
            &format!("/tenants/{}/webhooks", owner.tenant),
            Some(&json!({"url": "http://127.0.0.1:9/fresh"})),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let id = created["webhook"]["id"].as_str().unwrap();
    (format!("/tenants/{}/webhooks/{id}", own.tenant), auth)
}

/// An answer template made for this call alone: the lead department's in
/// the caller's city, a city-wide one in the other city.
pub(crate) async fn fresh_template_target(
    app: &TestApp,
    operator: &Auth,
    variant: &str,
    own: &Ids,
    other: &Ids,
    auth: Auth,
) -> (String, Auth) {
    let (owner, body) = if variant == "own" {
        (
            own,
            json!({"department": "rlgs", "title": "Matrix", "text": "matrix text"}),
        )
    } else {
        (other, json!({"title": "Matrix", "text": "matrix text"}))
    };
    let (status, text) = app
        .call(
            operator,
            Method::POST,
            &format!("/tenants/{}/answer-templates", owner.tenant),
            Some(&body),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let id = created["id"].as_str().unwrap();
    (
        format!("/tenants/{}/answer-templates/{id}", own.tenant),
        auth,
    )
}

pub(crate) async fn fresh_host_target(
    app: &TestApp,
    operator: &Auth,
    variant: &str,
    own: &Ids,
    other: &Ids,
    n: usize,
    auth: Auth,
) -> (String, Auth) {
    let owner = if variant == "own" { own } else { other };
    let (status, text) = app
        .call(
            operator,
            Method::POST,
            &format!("/tenants/{}/hosts", owner.tenant),
            Some(&json!({"host": format!("del{n}.example.org")})),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    (
        format!(
            "/tenants/{}/hosts/{}",
            own.tenant,
            created["id"].as_str().unwrap()
        ),
        auth,
    )
}

pub(crate) fn new_case(category: &str) -> Value {
    // The demo categories' required extra questions.
    let attributes = match category {
        "heating-cold" => {
            json!({"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]})
        }
        "pothole" => json!({"size": ["small"]}),
        _ => json!({}),
    };
    json!({"category": category, "title": "矩阵测试问题", "text": "这是授权矩阵测试提交的问题。", "public": true, "attributes": attributes})
}

pub(crate) async fn submit(app: &TestApp, tenant: &str, category: &str) -> String {
    submit_case(app, tenant, &new_case(category)).await.code
}

/// A fresh submitted case for each call that changes one, so calls do not
/// disturb each other; another city's case for the other variant.
pub(crate) async fn fresh_case_target(
    app: &TestApp,
    _operator: &Auth,
    path: &str,
    variant: &str,
    own: &Ids,
    other: &Ids,
    auth: Auth,
) -> (String, Auth) {
    let code = if variant == "own" {
        submit(app, &own.tenant, "heating-cold").await
    } else {
        other.case.clone()
    };
    (
        fill(
            path,
            &Ids {
                case: code,
                ..own.clone()
            },
            "cases",
        ),
        auth,
    )
}

/// What the matrix's campaign calls act on in one city.
pub(crate) struct Campaigns {
    pub(crate) campaign: String,
    pub(crate) open_campaign: String,
    pub(crate) suggestion: String,
    pub(crate) project: String,
    pub(crate) to_merge: Vec<String>,
    pub(crate) title: String,
}

/// The city's category the matrix files suggestions under.
fn theme_of(tenant: &str) -> &'static str {
    if tenant == "daqing" {
        "heating-cold"
    } else {
        "pothole"
    }
}

async fn ok(app: &TestApp, operator: &Auth, method: Method, path: &str, body: Value) -> Value {
    let (status, text) = app.call(operator, method, path, Some(&body)).await;
    assert!(status == 200 || status == 201, "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

async fn new_campaign(app: &TestApp, operator: &Auth, tenant: &str, slug: &str, title: &str) {
    ok(
        app,
        operator,
        Method::POST,
        &format!("/tenants/{tenant}/campaigns"),
        json!({"slug": slug, "title": title, "description": "matrix campaign text",
               "budget_fen": 100, "themes": [theme_of(tenant)]}),
    )
    .await;
}

/// A campaign in its selecting phase with a working group of
/// `department`, three suggestions and a project; and a second campaign
/// still collecting. Slugs and references differ between cities.
pub(crate) async fn prepare_campaigns(
    app: &TestApp,
    operator: &Auth,
    tenant: &str,
    department: &str,
) -> Campaigns {
    let slug = format!("m-{tenant}");
    let title = format!("矩阵活动 {tenant}");
    let base = format!("/tenants/{tenant}/campaigns/{slug}");
    new_campaign(app, operator, tenant, &slug, &title).await;
    ok(
        app,
        operator,
        Method::POST,
        &format!("{base}/groups"),
        json!({"name": "M group", "departments": [department], "themes": [theme_of(tenant)]}),
    )
    .await;
    ok(
        app,
        operator,
        Method::POST,
        &format!("{base}/phase"),
        json!({"phase": "collecting"}),
    )
    .await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        let created = ok(
            app,
            operator,
            Method::POST,
            &format!("{base}/suggestions"),
            new_case(theme_of(tenant)),
        )
        .await;
        codes.push(created["tracking_code"].as_str().unwrap().to_owned());
    }
    for phase in ["answering", "selecting"] {
        ok(
            app,
            operator,
            Method::POST,
            &format!("{base}/phase"),
            json!({"phase": phase}),
        )
        .await;
    }
    let project = format!("M-{}", tenant.to_uppercase());
    ok(
        app,
        operator,
        Method::POST,
        &format!("{base}/projects"),
        json!({"reference": project, "title": "M project", "description": "matrix text",
               "planned_fen": 100, "suggestions": [codes[0]]}),
    )
    .await;
    let open = format!("m-{tenant}-open");
    new_campaign(app, operator, tenant, &open, &title).await;
    ok(
        app,
        operator,
        Method::POST,
        &format!("/tenants/{tenant}/campaigns/{open}/phase"),
        json!({"phase": "collecting"}),
    )
    .await;
    Campaigns {
        campaign: slug,
        open_campaign: open,
        suggestion: codes[0].clone(),
        project,
        to_merge: codes[1..].to_vec(),
        title,
    }
}

/// The body of a campaign call.
pub(crate) fn campaign_body(method: &str, tail: &str, own: &Ids, n: usize) -> Option<Value> {
    Some(match (method, tail) {
        ("post", "campaigns") => json!({"slug": format!("m-c-{n}"), "title": "M campaign",
            "description": "matrix campaign text", "budget_fen": 1, "themes": [theme_of(&own.tenant)]}),
        ("post", "phase") => json!({"phase": "collecting"}),
        ("post", "groups") => {
            json!({"name": format!("M group {n}"), "departments": ["rlgs"], "themes": []})
        }
        ("post", "suggestions") => new_case(theme_of(&own.tenant)),
        ("post", "answer") => json!({"disposition": "under_study", "text": "matrix text"}),
        ("post", "publish") => json!({}),
        ("post", "clusters") => {
            json!({"title": format!("M cluster {n}"), "suggestions": own.to_merge})
        }
        ("post", "projects") => json!({"reference": format!("M-{n}"), "title": "M project",
            "description": "matrix text", "planned_fen": 1}),
        ("post", "milestones") => json!({"day": "2026-12-07", "text": "matrix text"}),
        ("patch", _) => json!({"spent_fen": 1}),
        _ => return None,
    })
}

/// A campaign call that needs its own campaign: a fresh draft for a
/// change of phase, the collecting one for a submission; another city's
/// for the other variant.
pub(crate) async fn fresh_campaign_target(
    app: &TestApp,
    operator: &Auth,
    path: &str,
    variant: &str,
    own: &Ids,
    other: &Ids,
    auth: Auth,
) -> (String, Auth) {
    let owner = if variant == "own" { own } else { other };
    let slug = if path.ends_with("/phase") {
        let slug = format!("m-p-{}", uuid::Uuid::now_v7().simple());
        new_campaign(app, operator, &owner.tenant, &slug, "M phase").await;
        slug
    } else {
        owner.open_campaign.clone()
    };
    (
        fill(
            path,
            &Ids {
                campaign: slug,
                ..own.clone()
            },
            "campaigns",
        ),
        auth,
    )
}
