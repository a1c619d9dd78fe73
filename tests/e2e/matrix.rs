//! The authorization matrix: every operation of the OpenAPI document, as
//! every kind of principal, in its own city and against another city's ids.
//! An operation the table below does not list fails the test, so a new
//! endpoint cannot ship without deciding who may call it.

use crate::matrix_targets::{
    campaign_body, ensure_plugin, fresh_campaign_target, fresh_case_target, fresh_host_target,
    fresh_key_target, fresh_template_target, fresh_webhook_target, new_case, plugin_bytes, prepare,
    prepare_campaigns, submit,
};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use minsheng_domain::access::builtin_role;
use reqwest::Method;
use serde_json::{Value, json};

/// Who may call an operation.
#[derive(Clone, Copy, Debug)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Platform operators only.
    Operator,
    /// Holders of this permission in the path's city (and operators).
    Permission(&'static str),
    /// Holders of either permission.
    Either(&'static str, &'static str),
    /// Anyone with a session.
    SignedIn,
    /// The citizen who filed the case (with its secret); nobody in the
    /// matrix has it.
    CaseOwner,
}

fn rule(method: &str, path: &str) -> Option<Rule> {
    use Rule::*;
    Some(match (method, path) {
        ("post", "/v1/auth/login") | ("post", "/v1/auth/logout") | ("get", "/v1/auth/me") => Public,
        ("post", "/v1/auth/logout-everywhere") => SignedIn,
        ("get", "/v1/permissions") => Public,
        ("get", "/v1/tenants") | ("post", "/v1/tenants") => Operator,
        ("get", "/v1/tenants/{tenant}") => Permission("tenant:read"),
        ("patch", "/v1/tenants/{tenant}") => Permission("tenant:write"),
        ("get", "/v1/tenants/{tenant}/hosts") => Permission("tenant:read"),
        ("post", "/v1/tenants/{tenant}/hosts") => Operator,
        ("delete", "/v1/tenants/{tenant}/hosts/{host_id}") => Operator,
        ("get", "/v1/tenants/{tenant}/quotas") => Permission("tenant:read"),
        ("put", "/v1/tenants/{tenant}/quotas") => Operator,
        ("put", "/v1/tenants/{tenant}/logo") | ("delete", "/v1/tenants/{tenant}/logo") => {
            Permission("tenant:write")
        }
        ("get", "/v1/tenants/{tenant}/departments")
        | ("get", "/v1/tenants/{tenant}/departments/{id}") => Public,
        ("post", "/v1/tenants/{tenant}/departments")
        | ("patch", "/v1/tenants/{tenant}/departments/{id}") => Permission("department:write"),
        ("get", "/v1/tenants/{tenant}/categories")
        | ("get", "/v1/tenants/{tenant}/categories/{id}") => Public,
        ("post", "/v1/tenants/{tenant}/categories")
        | ("patch", "/v1/tenants/{tenant}/categories/{id}") => Permission("category:write"),
        ("get", "/v1/tenants/{tenant}/calendar")
        | ("get", "/v1/tenants/{tenant}/calendar/deadline") => Public,
        ("put", "/v1/tenants/{tenant}/calendar/days/{date}")
        | ("delete", "/v1/tenants/{tenant}/calendar/days/{date}") => Permission("calendar:write"),
        ("get", "/v1/tenants/{tenant}/users") | ("get", "/v1/tenants/{tenant}/users/{id}") => {
            Permission("user:read")
        }
        ("post", "/v1/tenants/{tenant}/users") | ("patch", "/v1/tenants/{tenant}/users/{id}") => {
            Permission("user:write")
        }
        ("get", "/v1/tenants/{tenant}/roles") => Permission("role:read"),
        ("post", "/v1/tenants/{tenant}/roles") | ("patch", "/v1/tenants/{tenant}/roles/{code}") => {
            Permission("role:write")
        }
        ("get", "/v1/tenants/{tenant}/api-keys") => Permission("apikey:read"),
        ("post", "/v1/tenants/{tenant}/api-keys")
        | ("delete", "/v1/tenants/{tenant}/api-keys/{id}") => Permission("apikey:write"),
        ("get", "/v1/tenants/{tenant}/webhooks")
        | ("post", "/v1/tenants/{tenant}/webhooks")
        | ("delete", "/v1/tenants/{tenant}/webhooks/{id}")
        | ("get", "/v1/tenants/{tenant}/webhooks/{id}/deliveries")
        | ("get", "/v1/tenants/{tenant}/notifications")
        | ("post", "/v1/tenants/{tenant}/notifications/{id}/resend") => Permission("tenant:write"),
        ("get", "/v1/tenants/{tenant}/audit") => Permission("audit:read"),
        ("get", "/v1/tenants/{tenant}/plugins")
        | ("get", "/v1/tenants/{tenant}/plugins/{id}")
        | ("get", "/v1/tenants/{tenant}/plugin-limits")
        | ("get", "/v1/tenants/{tenant}/plugin-quota") => Permission("tenant:read"),
        ("post", "/v1/tenants/{tenant}/plugins")
        | ("patch", "/v1/tenants/{tenant}/plugins/{id}")
        | ("delete", "/v1/tenants/{tenant}/plugins/{id}")
        | ("put", "/v1/tenants/{tenant}/plugin-limits") => Permission("plugin:write"),
        ("post", "/v1/tenants/{tenant}/cases")
        | ("get", "/v1/tenants/{tenant}/cases")
        | ("get", "/v1/tenants/{tenant}/cases/{case}")
        | ("get", "/v1/tenants/{tenant}/cases/similar")
        | ("get", "/v1/tenants/{tenant}/stats")
        | ("get", "/v1/tenants/{tenant}/stats/departments")
        | ("get", "/v1/tenants/{tenant}/bulletins")
        | ("get", "/v1/tenants/{tenant}/bulletins/{kind}/{number}") => Public,
        ("get", "/v1/tenants/{tenant}/inbox") | ("get", "/v1/tenants/{tenant}/trends") => {
            Permission("case:read")
        }
        ("post", "/v1/tenants/{tenant}/cases/{case}/notes")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/opinion") => Permission("case:answer"),
        ("post", "/v1/tenants/{tenant}/cases/{case}/accept")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/reject")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/close")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/release")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/merge")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/not-duplicate") => Permission("case:accept"),
        ("post", "/v1/tenants/{tenant}/cases/{case}/assign") => Permission("case:assign"),
        ("post", "/v1/tenants/{tenant}/cases/{case}/start")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/return")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/extension")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/answer") => Permission("case:answer"),
        ("post", "/v1/tenants/{tenant}/cases/{case}/extension/decision")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/supervision") => Permission("case:supervise"),
        ("get", "/v1/tenants/{tenant}/answer-templates")
        | ("post", "/v1/tenants/{tenant}/answer-templates")
        | ("delete", "/v1/tenants/{tenant}/answer-templates/{id}") => Permission("case:answer"),
        ("post", "/v1/tenants/{tenant}/cases/{case}/transfer") => {
            Either("case:assign", "case:answer")
        }
        ("post", "/v1/tenants/{tenant}/cases/{case}/information")
        | ("post", "/v1/tenants/{tenant}/cases/{case}/rating") => CaseOwner,
        ("get", "/v1/tenants/{tenant}/campaigns")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/groups")
        | ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/suggestions")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/suggestions")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/suggestions/{suggestion}")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/clusters")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/projects")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/projects/{project}")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/open-data")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/open-data/csv") => Public,
        ("post", "/v1/tenants/{tenant}/campaigns")
        | ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/phase")
        | ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/groups")
        | ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/projects")
        | ("patch", "/v1/tenants/{tenant}/campaigns/{campaign}/projects/{project}")
        | ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/projects/{project}/milestones") => {
            Permission("campaign:write")
        }
        ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/suggestions/{suggestion}/answer")
        | ("get", "/v1/tenants/{tenant}/campaigns/{campaign}/queue")
        | ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/publish")
        | ("post", "/v1/tenants/{tenant}/campaigns/{campaign}/clusters") => {
            Permission("campaign:answer")
        }
        _ => return None,
    })
}

#[derive(Clone, Debug)]
enum Who {
    Anonymous,
    Operator,
    Citizen,
    Staff(&'static str),
    ApiClient(Vec<&'static str>),
}

impl Who {
    fn in_city(&self) -> bool {
        matches!(self, Who::Citizen | Who::Staff(_) | Who::ApiClient(_))
    }

    fn holds(&self, permission: &str) -> bool {
        match self {
            Who::Operator => true,
            Who::Staff(role) => {
                builtin_role(role).is_some_and(|r| r.permissions.contains(&permission))
            }
            Who::ApiClient(scopes) => scopes.contains(&permission),
            Who::Anonymous | Who::Citizen => false,
        }
    }
}

/// The ids an operation's path is filled with, in one city.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    pub(crate) tenant: String,
    pub(crate) department: String,
    pub(crate) category: String,
    pub(crate) user: String,
    pub(crate) host: String,
    pub(crate) role: String,
    pub(crate) case: String,
    pub(crate) webhook: String,
    /// One of the city's messages (a webhook call, waiting or given up).
    pub(crate) notification: String,
    pub(crate) plugin: String,
    /// A campaign in its selecting phase (slugs differ between cities).
    pub(crate) campaign: String,
    /// A campaign still collecting suggestions.
    pub(crate) open_campaign: String,
    /// A suggestion of `campaign` (a tracking code) and its project.
    pub(crate) suggestion: String,
    pub(crate) project: String,
    /// Two more suggestions of `campaign`, to merge.
    pub(crate) to_merge: Vec<String>,
    /// Names that only this city's rows carry, to spot leaks.
    pub(crate) markers: Vec<String>,
}

async fn ids_of(app: &TestApp, operator: &Auth, tenant: &str, department: &str, user: &str) -> Ids {
    let department_id = app.department_id(tenant, department).await;
    let (_, cats) = app.get_json(&format!("/tenants/{tenant}/categories")).await;
    let (_, users) = app
        .call(
            operator,
            Method::GET,
            &format!("/tenants/{tenant}/users"),
            None,
        )
        .await;
    let users: Value = serde_json::from_str(&users).unwrap();
    let user_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == user)
        .unwrap()["id"]
        .clone();
    let (_, hosts) = app
        .call(
            operator,
            Method::GET,
            &format!("/tenants/{tenant}/hosts"),
            None,
        )
        .await;
    let hosts: Value = serde_json::from_str(&hosts).unwrap();
    let (_, dept) = app
        .get_json(&format!("/tenants/{tenant}/departments/{department_id}"))
        .await;
    let (status, hook) = app
        .call(
            operator,
            Method::POST,
            &format!("/tenants/{tenant}/webhooks"),
            Some(&json!({"url": "http://127.0.0.1:9/matrix"})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let hook: Value = serde_json::from_str(&hook).unwrap();
    let plugin = ensure_plugin(app, operator, tenant).await;
    let campaigns = prepare_campaigns(app, operator, tenant, department).await;
    // The worker publishes last week's bulletin (第1期) of every city.
    let (ok, out) = app.cli(&["worker", "--once"]).await;
    assert!(ok, "{out}");
    // The webhook was told of the projects and the bulletin.
    let (_, messages) = app
        .call(
            operator,
            Method::GET,
            &format!("/tenants/{tenant}/notifications"),
            None,
        )
        .await;
    let messages: Value = serde_json::from_str(&messages).unwrap();
    let notification = messages[0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {tenant}: {messages}"))
        .to_owned();
    Ids {
        notification,
        plugin,
        campaign: campaigns.campaign,
        open_campaign: campaigns.open_campaign,
        suggestion: campaigns.suggestion,
        project: campaigns.project,
        to_merge: campaigns.to_merge,
        webhook: hook["webhook"]["id"].as_str().unwrap().into(),
        tenant: tenant.into(),
        department: department_id,
        category: cats[0]["id"].as_str().unwrap().into(),
        user: user_id.as_str().unwrap().into(),
        host: hosts[0]["id"].as_str().unwrap().into(),
        role: format!("matrix-role-{tenant}"),
        case: String::new(),
        markers: vec![
            dept["name"].as_str().unwrap().into(),
            cats[0]["name"].as_str().unwrap().into(),
            campaigns.title,
        ],
    }
}

pub(crate) fn fill(path: &str, ids: &Ids, id_kind: &str) -> String {
    let id = match id_kind {
        "departments" => &ids.department,
        "categories" => &ids.category,
        "users" => &ids.user,
        "webhooks" => &ids.webhook,
        "notifications" => &ids.notification,
        "plugins" => &ids.plugin,
        _ => &ids.department,
    };
    path.trim_start_matches("/v1")
        .replace("{tenant}", &ids.tenant)
        .replace("{id}", id)
        .replace("{host_id}", &ids.host)
        .replace("{code}", &ids.role)
        .replace("{case}", &ids.case)
        .replace("{campaign}", &ids.campaign)
        .replace("{suggestion}", &ids.suggestion)
        .replace("{project}", &ids.project)
        .replace("{date}", "2026-12-24")
        .replace("{kind}", "weekly")
        .replace("{number}", "1")
        .replace("/calendar/deadline", "/calendar/deadline?working_days=3")
        .replace("/cases/similar", "/cases/similar?text=heating")
}

fn body_for(method: &str, path: &str, own: &Ids, n: usize) -> Option<Value> {
    let tail = path.rsplit('/').next().unwrap_or_default();
    if path.contains("/campaigns") {
        return campaign_body(method, tail, own, n);
    }
    Some(match (method, tail) {
        ("post", "login") => {
            json!({"tenant": "daqing", "username": "m-auditor", "password": crate::support::PASSWORD})
        }
        ("post", "tenants") => json!({"slug": format!("m-city-{n}"), "name": "M", "locale": "en",
                                       "time_zone": "UTC", "branding": {"primary_color": "#000000", "accent_color": "#ffffff"}}),
        ("post", "hosts") => json!({"host": format!("m{n}.example.org")}),
        ("post", "departments") => {
            json!({"code": format!("m-{n}"), "name": "M", "kind": "other", "parent_id": own.department})
        }
        ("post", "categories") => json!({"code": format!("m-{n}"), "name": "M", "answer_days": 3}),
        ("put", "plugin-limits") => json!({"fuel": 1_000_000, "memory_bytes": 8_388_608,
                                           "timeout_ms": 100, "log_bytes": 4096, "output_bytes": 65536}),
        ("put", "quotas") => json!({}),
        ("put", _) => json!({"kind": "holiday", "name": "M"}),
        ("post", "users") => {
            json!({"username": format!("m-new-{n}"), "display_name": "M", "password": crate::support::PASSWORD})
        }
        ("post", "roles") => {
            json!({"code": format!("m-role-{n}"), "name": "M", "permissions": ["calendar:write"]})
        }
        ("post", "api-keys") => json!({"name": format!("m-key-{n}")}),
        ("post", "webhooks") => json!({"url": format!("http://127.0.0.1:9/m-{n}")}),
        ("post", "cases") => new_case("heating-cold"),
        ("post", "reject") | ("post", "return") => json!({"reason": "matrix reason"}),
        ("post", "assign") => json!({}),
        ("post", "transfer") => json!({"to": "jtj", "reason": "matrix reason"}),
        ("post", "extension") => json!({"working_days": 2, "reason": "matrix reason"}),
        ("post", "decision") => json!({"approve": true}),
        ("post", "answer") | ("post", "notes") | ("post", "information") => {
            json!({"text": "matrix text"})
        }
        ("post", "rating") => json!({"rating": "satisfied"}),
        ("post", "opinion") => json!({"department": "rlgs", "text": "matrix text"}),
        ("post", "supervision") => json!({"text": "matrix text"}),
        ("post", "merge") => json!({"into": own.case}),
        ("post", "not-duplicate") => json!({"other": own.case}),
        ("post", "answer-templates") => {
            json!({"department": "rlgs", "title": format!("M {n}"), "text": "matrix text"})
        }
        ("patch", _) => json!({}),
        _ => return None,
    })
}

async fn authorization_matrix(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "100000"),
        ],
    )
    .await;
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "m-operator"])
        .await;
    assert!(ok, "{out}");
    let operator = app.login_ok(None, "m-operator").await;
    let roles = [
        "city-admin",
        "dispatcher",
        "supervisor",
        "department-admin",
        "department-staff",
        "auditor",
    ];
    for role in roles {
        app.staff("daqing", &format!("m-{role}"), &[role], &["rlgs"])
            .await;
    }
    app.staff("springfield", "m-other", &["department-staff"], &["mayor"])
        .await;
    let (ok, out) = app
        .cli_with_password(&[
            "user",
            "create",
            "--tenant",
            "daqing",
            "--citizen",
            "--username",
            "m-citizen",
        ])
        .await;
    assert!(ok, "{out}");
    let (ok, key) = app
        .cli(&[
            "apikey",
            "create",
            "--tenant",
            "daqing",
            "--name",
            "m-api",
            "--scope",
            "category:write",
        ])
        .await;
    assert!(ok, "{key}");
    for tenant in ["daqing", "springfield"] {
        let (status, _) = app
            .call(
                &operator,
                Method::POST,
                &format!("/tenants/{tenant}/roles"),
                Some(
                    &json!({"code": format!("matrix-role-{tenant}"), "name": "M", "permissions": ["calendar:write"]}),
                ),
            )
            .await;
        assert_eq!(status, 201);
    }
    let mut own = ids_of(&app, &operator, "daqing", "rlgs", "m-department-staff").await;
    let mut other = ids_of(&app, &operator, "springfield", "mayor", "m-other").await;
    own.case = submit(&app, "daqing", "heating-cold").await;
    other.case = submit(&app, "springfield", "pothole").await;

    let mut principals: Vec<(String, Who, Auth)> = vec![
        ("anonymous".into(), Who::Anonymous, Auth::default()),
        ("operator".into(), Who::Operator, operator.clone()),
        (
            "citizen".into(),
            Who::Citizen,
            app.login_ok(Some("daqing"), "m-citizen").await,
        ),
        (
            "api client".into(),
            Who::ApiClient(vec!["category:write"]),
            Auth {
                bearer: Some(key.lines().next().unwrap().trim().to_owned()),
                ..Default::default()
            },
        ),
    ];
    for role in roles {
        let auth = app.login_ok(Some("daqing"), &format!("m-{role}")).await;
        principals.push((role.to_owned(), Who::Staff(role), auth));
    }

    let spec: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let rule = rule(method, path)
                .unwrap_or_else(|| panic!("no authorization rule for {method} {path}: add one"));
            operations.push((method.clone(), path.clone(), rule));
        }
    }
    assert!(
        operations.len() >= 30,
        "only {} operations found",
        operations.len()
    );
    // Signing out everywhere ends the sessions the other calls use: last.
    operations.sort_by_key(|(_, path, _)| path.ends_with("logout-everywhere"));

    let mut n = 0;
    let mut checked = 0;
    for (method, path, rule) in &operations {
        let kind = path.split('/').nth(4).unwrap_or_default().to_owned();
        let has_id = ["{id}", "{host_id}", "{code}", "{case}", "{campaign}"]
            .iter()
            .any(|p| path.contains(p));
        for (name, who, auth) in &principals {
            for variant in ["own", "other"] {
                if variant == "other" && !path.contains("{tenant}") {
                    continue;
                }
                n += 1;
                // Another city's ids under this city's path, or another
                // city's path for operations without ids.
                let target = match (variant, has_id) {
                    ("own", _) => fill(path, &own, &kind),
                    (_, true) => fill(
                        path,
                        &Ids {
                            tenant: own.tenant.clone(),
                            ..other.clone()
                        },
                        &kind,
                    ),
                    (_, false) => fill(path, &other, &kind),
                };
                let mut auth = auth.clone();
                if path.ends_with("logout-everywhere") || path.ends_with("/logout") {
                    // These end the session: use a fresh one.
                    if auth.cookie.is_some() {
                        let username = match who {
                            Who::Operator => "m-operator".to_owned(),
                            Who::Citizen => "m-citizen".to_owned(),
                            Who::Staff(role) => format!("m-{role}"),
                            _ => unreachable!("only sessions have cookies"),
                        };
                        let tenant = (!matches!(who, Who::Operator)).then_some("daqing");
                        auth = app.login_ok(tenant, &username).await;
                    }
                }
                prepare(&app, &operator, method, path, &own, &other).await;
                let (target, auth) = if method == "delete" && path.contains("api-keys") {
                    fresh_key_target(&app, &operator, variant, has_id, &own, &other, auth).await
                } else if path.contains("{case}") && method == "post" {
                    fresh_case_target(&app, &operator, path, variant, &own, &other, auth).await
                } else if method == "delete" && path.contains("webhooks") {
                    fresh_webhook_target(&app, &operator, variant, &own, &other, auth).await
                } else if path.contains("/plugins/{id}") {
                    // A deleted plugin is uploaded again for the next call.
                    let owner = if variant == "own" { &own } else { &other };
                    let id = ensure_plugin(&app, &operator, &owner.tenant).await;
                    (format!("/tenants/{}/plugins/{id}", own.tenant), auth)
                } else if path.contains("{campaign}")
                    && method == "post"
                    && (path.ends_with("/phase") || path.ends_with("/suggestions"))
                {
                    fresh_campaign_target(&app, &operator, path, variant, &own, &other, auth).await
                } else if method == "delete" && path.contains("answer-templates") {
                    fresh_template_target(&app, &operator, variant, &own, &other, auth).await
                } else if method == "delete" && path.contains("hosts") {
                    fresh_host_target(&app, &operator, variant, &own, &other, n, auth).await
                } else {
                    (target, auth)
                };
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let body = body_for(method, path, &own, n);
                let (status, text) = if method == "post" && path.ends_with("/plugins") {
                    let tenant = target.split('/').nth(2).unwrap_or_default().to_owned();
                    let (status, json) = app.upload(&auth, &tenant, plugin_bytes()).await;
                    (status, json.to_string())
                } else if method == "put" && path.ends_with("/logo") {
                    let png = crate::console_settings::png();
                    app.send_bytes(&auth, m, &target, "image/png", png).await
                } else {
                    app.call(&auth, m, &target, body.as_ref()).await
                };
                let expected = expect(*rule, who, variant, has_id, path);
                let label = format!("{name} {method} {target} ({variant}): {status} {text}");
                assert!(status < 500, "server error: {label}");
                match expected {
                    Expect::Allowed => assert!(
                        ![401, 403, 404].contains(&status) && status != 400,
                        "expected allowed: {label}"
                    ),
                    Expect::Status(code) => assert_eq!(status, code, "{label}"),
                }
                if status >= 400 && variant == "other" {
                    for marker in &other.markers {
                        assert!(!text.contains(marker.as_str()), "leaked {marker}: {label}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 400, "only {checked} calls checked");
}
on_both_backends!(authorization_matrix);

enum Expect {
    Allowed,
    Status(u16),
}

fn expect(rule: Rule, who: &Who, variant: &str, has_id: bool, path: &str) -> Expect {
    // Either of two permissions is the same check with a wider grant.
    let rule = match rule {
        Rule::Either(a, b) if who.holds(b) && !who.holds(a) => Rule::Permission(b),
        Rule::Either(a, _) => Rule::Permission(a),
        other => other,
    };
    let other_city = variant == "other";
    // Another city's row under this city's path does not exist here.
    if other_city && has_id {
        return match (rule, who) {
            (Rule::Public | Rule::CaseOwner, _) | (_, Who::Operator) => Expect::Status(404),
            (_, Who::Anonymous) => Expect::Status(401),
            (Rule::Operator, _) => Expect::Status(403),
            (Rule::Permission(p), w) if !w.holds(p) => Expect::Status(403),
            _ => Expect::Status(404),
        };
    }
    match rule {
        Rule::Public => Expect::Allowed,
        Rule::CaseOwner => Expect::Status(403),
        Rule::SignedIn => match who {
            Who::Anonymous | Who::ApiClient(_) => Expect::Status(401),
            _ => Expect::Allowed,
        },
        Rule::Operator => match who {
            Who::Operator => Expect::Allowed,
            Who::Anonymous => Expect::Status(401),
            w if other_city && w.in_city() && path.contains("{tenant}") => Expect::Status(404),
            _ => Expect::Status(403),
        },
        Rule::Permission(p) | Rule::Either(p, _) => match who {
            Who::Operator => Expect::Allowed,
            Who::Anonymous => Expect::Status(401),
            w if other_city && w.in_city() => Expect::Status(404),
            w if w.holds(p) => Expect::Allowed,
            _ => Expect::Status(403),
        },
    }
}
