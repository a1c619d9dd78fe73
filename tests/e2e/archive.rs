//! Tenant archives end to end: daqing with 10,000 cases and what the demo
//! lacks (a staff account, an API key, a custom role, a webhook, a rule
//! plugin, escalations, queued messages, an idempotency key, co-handling
//! departments, values that are hard to carry exactly) is exported from
//! one deployment and imported into an empty one, where every row of every
//! table is the same, field by field, and the city works. Damaged archives
//! and a second import are refused and change nothing.
//!
//! `demo seed` makes about ten cases a second in a debug build, so the
//! test seeds `ARCHIVE_TEST_SEEDED` cases (default 300) with it and
//! makes up the 10,000 with copies of them, timelines included, written
//! straight to the database. Set it to 10000 to seed all but 50 (about
//! ten minutes on SQLite, twenty on PostgreSQL, on two cores). Not a
//! `MINSHENG_*` name: the server refuses variables it does not know.

use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use chrono::{DateTime, TimeZone, Utc};
use minsheng_plugin_host::examples;
use minsheng_store::entity::{
    answer_template, api_key, audit_event, bulletin, calendar_day, campaign, campaign_cluster,
    campaign_group, campaign_milestone, campaign_project, campaign_project_source,
    campaign_suggestion, case, case_department, case_event, case_idempotency, case_not_duplicate,
    case_stat, category, department, due_work, escalation, outbox, plugin, role, tenant,
    tenant_host, tenant_logo, tenant_quota, user, user_department, user_role, webhook,
};
use reqwest::Method;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, Iterable, PrimaryKeyToColumn, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

const CASES: usize = 10_000;

/// Every table an archive must carry.
const TABLES: &[&str] = &[
    "tenants",
    "tenant_hosts",
    "tenant_quotas",
    "tenant_logos",
    "departments",
    "categories",
    "calendar_days",
    "roles",
    "users",
    "user_roles",
    "user_departments",
    "api_keys",
    "webhooks",
    "plugins",
    "cases",
    "case_departments",
    "case_not_duplicates",
    "campaigns",
    "campaign_groups",
    "campaign_clusters",
    "campaign_suggestions",
    "campaign_projects",
    "campaign_milestones",
    "campaign_project_sources",
    "answer_templates",
    "case_events",
    "case_idempotency",
    "case_stats",
    "bulletins",
    "due_work",
    "escalations",
    "outbox",
    "audit_events",
];

/// A transaction that sees every city (row-level security on PostgreSQL).
async fn platform(db_url: &str) -> (DatabaseConnection, DatabaseTransaction) {
    let db = Database::connect(db_url).await.unwrap();
    let tx = db.begin().await.unwrap();
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        tx.execute_unprepared("SELECT set_config('app.tenant_id', '*', true)")
            .await
            .unwrap();
    }
    (db, tx)
}

async fn city_id(app: &TestApp, slug: &str) -> Uuid {
    let (_db, tx) = platform(&app.db_url).await;
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(&tx)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no city {slug}"))
        .id
}

/// A city's rows of one table, in key order.
async fn rows<E: EntityTrait>(
    tx: &DatabaseTransaction,
    city: E::Column,
    id: Uuid,
) -> Vec<E::Model> {
    let mut query = E::find().filter(city.eq(id));
    for key in E::PrimaryKey::iter() {
        query = query.order_by_asc(key.into_column());
    }
    query.all(tx).await.unwrap()
}

/// The city's rows of one table in A and B are the same, field by field;
/// how many there are.
async fn same<E: EntityTrait>(
    a: &DatabaseTransaction,
    b: &DatabaseTransaction,
    city: E::Column,
    id: Uuid,
) -> usize
where
    E::Model: PartialEq,
{
    let name = E::default().table_name();
    let (a, b) = (rows::<E>(a, city, id).await, rows::<E>(b, city, id).await);
    assert_eq!(a.len(), b.len(), "{name}: the number of rows differs");
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!("{name}: row {i} differs\n  A: {:?}\n  B: {:?}", a[i], b[i]);
    }
    a.len()
}

/// Compare every table of the city in both deployments; the row counts.
async fn compare(a: &TestApp, b: &TestApp, id: Uuid) -> Vec<(&'static str, usize)> {
    let (_da, ta) = platform(&a.db_url).await;
    let (_db, tb) = platform(&b.db_url).await;
    let (ta, tb) = (&ta, &tb);
    vec![
        (
            "tenants",
            same::<tenant::Entity>(ta, tb, tenant::Column::Id, id).await,
        ),
        (
            "tenant_hosts",
            same::<tenant_host::Entity>(ta, tb, tenant_host::Column::TenantId, id).await,
        ),
        (
            "tenant_quotas",
            same::<tenant_quota::Entity>(ta, tb, tenant_quota::Column::TenantId, id).await,
        ),
        (
            "tenant_logos",
            same::<tenant_logo::Entity>(ta, tb, tenant_logo::Column::TenantId, id).await,
        ),
        (
            "departments",
            same::<department::Entity>(ta, tb, department::Column::TenantId, id).await,
        ),
        (
            "categories",
            same::<category::Entity>(ta, tb, category::Column::TenantId, id).await,
        ),
        (
            "calendar_days",
            same::<calendar_day::Entity>(ta, tb, calendar_day::Column::TenantId, id).await,
        ),
        (
            "roles",
            same::<role::Entity>(ta, tb, role::Column::TenantId, id).await,
        ),
        (
            "users",
            same::<user::Entity>(ta, tb, user::Column::TenantId, id).await,
        ),
        (
            "user_roles",
            same::<user_role::Entity>(ta, tb, user_role::Column::TenantId, id).await,
        ),
        (
            "user_departments",
            same::<user_department::Entity>(ta, tb, user_department::Column::TenantId, id).await,
        ),
        (
            "api_keys",
            same::<api_key::Entity>(ta, tb, api_key::Column::TenantId, id).await,
        ),
        (
            "webhooks",
            same::<webhook::Entity>(ta, tb, webhook::Column::TenantId, id).await,
        ),
        (
            "plugins",
            same::<plugin::Entity>(ta, tb, plugin::Column::TenantId, id).await,
        ),
        (
            "cases",
            same::<case::Entity>(ta, tb, case::Column::TenantId, id).await,
        ),
        (
            "case_departments",
            same::<case_department::Entity>(ta, tb, case_department::Column::TenantId, id).await,
        ),
        (
            "case_not_duplicates",
            same::<case_not_duplicate::Entity>(ta, tb, case_not_duplicate::Column::TenantId, id)
                .await,
        ),
        (
            "campaigns",
            same::<campaign::Entity>(ta, tb, campaign::Column::TenantId, id).await,
        ),
        (
            "campaign_groups",
            same::<campaign_group::Entity>(ta, tb, campaign_group::Column::TenantId, id).await,
        ),
        (
            "campaign_clusters",
            same::<campaign_cluster::Entity>(ta, tb, campaign_cluster::Column::TenantId, id).await,
        ),
        (
            "campaign_suggestions",
            same::<campaign_suggestion::Entity>(ta, tb, campaign_suggestion::Column::TenantId, id)
                .await,
        ),
        (
            "campaign_projects",
            same::<campaign_project::Entity>(ta, tb, campaign_project::Column::TenantId, id).await,
        ),
        (
            "campaign_milestones",
            same::<campaign_milestone::Entity>(ta, tb, campaign_milestone::Column::TenantId, id)
                .await,
        ),
        (
            "campaign_project_sources",
            same::<campaign_project_source::Entity>(
                ta,
                tb,
                campaign_project_source::Column::TenantId,
                id,
            )
            .await,
        ),
        (
            "answer_templates",
            same::<answer_template::Entity>(ta, tb, answer_template::Column::TenantId, id).await,
        ),
        (
            "case_events",
            same::<case_event::Entity>(ta, tb, case_event::Column::TenantId, id).await,
        ),
        (
            "case_idempotency",
            same::<case_idempotency::Entity>(ta, tb, case_idempotency::Column::TenantId, id).await,
        ),
        (
            "case_stats",
            same::<case_stat::Entity>(ta, tb, case_stat::Column::TenantId, id).await,
        ),
        (
            "bulletins",
            same::<bulletin::Entity>(ta, tb, bulletin::Column::TenantId, id).await,
        ),
        (
            "due_work",
            same::<due_work::Entity>(ta, tb, due_work::Column::TenantId, id).await,
        ),
        (
            "escalations",
            same::<escalation::Entity>(ta, tb, escalation::Column::TenantId, id).await,
        ),
        (
            "outbox",
            same::<outbox::Entity>(ta, tb, outbox::Column::TenantId, id).await,
        ),
        (
            "audit_events",
            same::<audit_event::Entity>(ta, tb, audit_event::Column::TenantId, id).await,
        ),
    ]
}

/// Rows of the deployment's cities and cases: nothing, after a refused
/// import into an empty deployment.
async fn city_and_case_rows(app: &TestApp) -> (i64, i64) {
    let count = |sql: &'static str| async move {
        let rows = app.platform_query(sql).await;
        rows[0].try_get::<i64>("", "n").unwrap()
    };
    (
        count("SELECT COUNT(*) AS n FROM tenants").await,
        count("SELECT COUNT(*) AS n FROM cases").await,
    )
}

/// Bring the city up to `total` cases with copies of its seeded ones, each
/// with its timeline; some copies carry values that are hard to keep
/// exactly: full-precision and extreme floats, nanoseconds, a JSON `null`
/// document beside SQL NULL, empty strings, quotes and emoji.
async fn fill_to(app: &TestApp, id: Uuid, total: usize) {
    let (_db, tx) = platform(&app.db_url).await;
    let seeded = rows::<case::Entity>(&tx, case::Column::TenantId, id).await;
    if seeded.len() >= total {
        return;
    }
    let events = rows::<case_event::Entity>(&tx, case_event::Column::TenantId, id).await;
    let mut timeline: std::collections::HashMap<Uuid, Vec<case_event::Model>> = Default::default();
    for e in events {
        timeline.entry(e.case_id).or_default().push(e);
    }
    let departments = rows::<department::Entity>(&tx, department::Column::TenantId, id).await;
    let nanos: DateTime<Utc> = Utc.timestamp_opt(1_767_000_000, 123_456_789).unwrap();
    let (mut cases, mut copied_events, mut co) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..total - seeded.len() {
        let mut c = seeded[i % seeded.len()].clone();
        let original = c.id;
        c.id = Uuid::now_v7();
        c.tracking_code = format!("ZZZZ-{:04}-{:04}", i / 10_000, i % 10_000);
        match i {
            0 => {
                c.latitude = Some(0.1 + 0.2);
                c.longitude = Some(124.987_654_321_012_34);
                c.attributes = Some(Value::Null);
                c.contact_name = Some(String::new());
                c.title = "🚰 水管爆裂 \"引号\" \\ 反斜杠\t制表 ümlaut".into();
                c.submitted_at = nanos;
            }
            1 => {
                c.latitude = Some(f64::MIN_POSITIVE);
                c.longitude = Some(-1.797_693_134_862_315_7e308);
                c.tags = Some(json!([]));
                c.review = Some(json!({"reasons": [], "public": null}));
                c.unredacted = Some(json!({"title": "原文", "text": "", "address": null}));
            }
            2 => {
                c.latitude = Some(46.587_680_123_456_78);
                c.longitude = Some(1e-300);
                c.answer = Some(String::new());
                c.updated_at = nanos;
            }
            _ => {}
        }
        for e in timeline.get(&original).into_iter().flatten() {
            let mut e = e.clone();
            e.id = Uuid::now_v7();
            e.case_id = c.id;
            if i == 0 {
                e.at = nanos;
                e.detail = Some(Value::Null);
            }
            copied_events.push(e);
        }
        if i % 50 == 0 {
            co.push(case_department::Model {
                tenant_id: id,
                case_id: c.id,
                department_id: departments[i % departments.len()].id,
                deadline: Some(nanos),
                opinion: Some("协办意见：已到现场核实。".into()),
                opinion_at: Some(nanos),
                opinion_by: Some("staff:someone".into()),
                escalation_level: 1,
            });
        }
        cases.push(c);
    }
    insert::<case::Entity>(&tx, cases, 300).await;
    insert::<case_event::Entity>(&tx, copied_events, 1_000).await;
    insert::<case_department::Entity>(&tx, co, 1_000).await;
    // Answer templates: one of a department, one of the whole city.
    let templates = vec![
        answer_template::Model {
            id: Uuid::now_v7(),
            tenant_id: id,
            department_id: Some(departments[0].id),
            title: "入户检修".into(),
            text: "经技术人员入户检查，已修复。\n\"引号\" 🚰".into(),
            created_by: "staff:someone".into(),
            created_at: nanos,
            updated_at: nanos,
        },
        answer_template::Model {
            id: Uuid::now_v7(),
            tenant_id: id,
            department_id: None,
            title: "感谢来信".into(),
            text: "感谢您的来信。".into(),
            created_by: "staff:someone".into(),
            created_at: nanos,
            updated_at: nanos,
        },
    ];
    insert::<answer_template::Entity>(&tx, templates, 10).await;
    tx.commit().await.unwrap();
}

/// A small campaign with a row in each campaign table.
async fn campaign_rows(a: &TestApp) {
    let base = "/tenants/daqing/campaigns/archive-2012";
    let ok = |status: u16, body: &Value| assert!(status == 200 || status == 201, "{body}");
    let (status, body) = a
        .send_json(
            Method::POST,
            "/tenants/daqing/campaigns",
            &json!({"slug": "archive-2012", "title": "惠民工程建议征集", "description": "请为惠民工程提出建议，每条都有回音。",
                    "budget_fen": 100_000, "themes": ["heating-fee"]}),
        )
        .await;
    ok(status, &body);
    let (status, body) = a
        .send_json(
            Method::POST,
            &format!("{base}/groups"),
            &json!({"name": "供热组", "departments": ["rlgs"], "themes": ["heating-fee"]}),
        )
        .await;
    ok(status, &body);
    let phase = |p: &'static str| json!({ "phase": p });
    let (status, body) = a
        .send_json(Method::POST, &format!("{base}/phase"), &phase("collecting"))
        .await;
    ok(status, &body);
    let mut codes = Vec::new();
    for title in ["供热收费应公开明细", "供热计量收费试点"] {
        let (status, body) = a
            .send_json(
                Method::POST,
                &format!("{base}/suggestions"),
                &json!({"category": "heating-fee", "title": title, "text": "这是一条惠民工程建议，请研究采纳。", "public": true}),
            )
            .await;
        ok(status, &body);
        codes.push(body["tracking_code"].as_str().unwrap().to_owned());
    }
    let (status, body) = a
        .send_json(Method::POST, &format!("{base}/phase"), &phase("answering"))
        .await;
    ok(status, &body);
    let (status, cluster) = a
        .send_json(
            Method::POST,
            &format!("{base}/clusters"),
            &json!({"title": "供热收费改革", "suggestions": codes}),
        )
        .await;
    ok(status, &cluster);
    for code in &codes {
        let (status, body) = a
            .send_json(
                Method::POST,
                &format!("{base}/suggestions/{code}/answer"),
                &json!({"disposition": "merged", "text": "已合并研究。", "publish": true}),
            )
            .await;
        ok(status, &body);
    }
    let (status, body) = a
        .send_json(Method::POST, &format!("{base}/phase"), &phase("selecting"))
        .await;
    ok(status, &body);
    let (status, body) = a
        .send_json(
            Method::POST,
            &format!("{base}/projects"),
            &json!({"reference": "A-1", "title": "供热计量收费改革", "description": "推行供热计量收费。",
                    "planned_fen": 100_000, "clusters": [cluster["id"]]}),
        )
        .await;
    ok(status, &body);
    let (status, body) = a
        .send_json(
            Method::POST,
            &format!("{base}/projects/A-1/milestones"),
            &json!({"day": "2012-09-01", "text": "试点开始"}),
        )
        .await;
    ok(status, &body);
}

/// Insert rows `chunk` at a time.
async fn insert<E: EntityTrait>(tx: &DatabaseTransaction, rows: Vec<E::Model>, chunk: usize)
where
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    for rows in rows.chunks(chunk) {
        E::insert_many(rows.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(tx)
            .await
            .unwrap();
    }
}

/// Poll until the deployment answers `path` with 200 (a city new to a
/// running server appears within its few seconds of caching).
async fn eventually_ok(app: &TestApp, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app.get_json(path).await;
        if status == 200 {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{path} answered {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whether `text` is one of the strings in `value`.
fn holds(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s == text,
        Value::Array(items) => items.iter().any(|v| holds(v, text)),
        Value::Object(fields) => fields.values().any(|v| holds(v, text)),
        _ => false,
    }
}

fn lap(label: &str, started: &mut Instant) {
    eprintln!("  {label}: {:.1} s", started.elapsed().as_secs_f64());
    *started = Instant::now();
}

async fn archive_round_trip(backend: Backend) {
    let whole = Instant::now();
    let mut t = Instant::now();
    let quiet = [("MINSHENG_WORKER", "0")];
    let a = spawn_app_with(backend, &quiet).await;
    let daqing = city_id(&a, "daqing").await;
    let springfield = city_id(&a, "springfield").await;

    // What the demo does not make.
    a.staff("daqing", "dq-archivist", &["city-admin"], &["szfb"])
        .await;
    let (ok, key) = a
        .cli(&[
            "apikey",
            "create",
            "--tenant",
            "daqing",
            "--name",
            "crm",
            "--scope",
            "case:read",
        ])
        .await;
    assert!(ok, "{key}");
    let key = key.lines().next().unwrap().trim().to_owned();
    let (status, body) = a
        .send_json(
            Method::POST,
            "/tenants/daqing/roles",
            &json!({"code": "calendar-keeper", "name": "日历管理", "permissions": ["calendar:write"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = a
        .send_bytes(
            &Auth::default(),
            Method::PUT,
            "/tenants/daqing/logo",
            "image/png",
            crate::console_settings::png(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = a
        .send_json(
            Method::PUT,
            "/tenants/daqing/quotas",
            &json!({"staff_users": 500, "webhooks": 20}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for (city, url) in [
        ("daqing", "http://127.0.0.1:9/daqing-hook"),
        ("springfield", "http://127.0.0.1:9/springfield-only-hook"),
    ] {
        let (status, body) = a
            .send_json(
                Method::POST,
                &format!("/tenants/{city}/webhooks"),
                &json!({"url": url, "events": ["*"]}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, uploaded) = a
        .upload(&Auth::default(), "daqing", examples::bytes("daqing-router"))
        .await;
    assert_eq!(status, 201, "{uploaded}");
    let resp = a
        .client
        .post(a.api("/tenants/daqing/cases"))
        .header("idempotency-key", "archive-test-1")
        .json(&json!({"category": "other", "title": "小区路灯不亮", "text": "小区路灯坏了一个月，晚上出行不便，请尽快修理。", "public": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let first: Value = resp.json().await.unwrap();
    // A merged duplicate and a pair that is not one (并单).
    let mut codes = Vec::new();
    for title in ["小区路灯不亮了", "小区门口路灯坏了"] {
        let (status, body) = a
            .send_json(
                Method::POST,
                "/tenants/daqing/cases",
                &json!({"category": "other", "title": title, "text": "小区路灯坏了一个月，晚上出行不便。", "public": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        codes.push(body["tracking_code"].as_str().unwrap().to_owned());
    }
    let main = first["tracking_code"].as_str().unwrap();
    let (status, body) = a
        .send_json(
            Method::POST,
            &format!("/tenants/daqing/cases/{}/merge", codes[0]),
            &json!({"into": main}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = a
        .send_json(
            Method::POST,
            &format!("/tenants/daqing/cases/{}/not-duplicate", codes[1]),
            &json!({"other": main}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    campaign_rows(&a).await;
    lap("server A and the extras", &mut t);

    // History: seeded cases, the deadlines due so far, copies up to 10,000.
    let seeded = std::env::var("ARCHIVE_TEST_SEEDED")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(300)
        // At least a few copies: they carry the awkward values.
        .min(CASES - 50);
    let (ok, out) = a
        .cli(&[
            "demo",
            "seed",
            "--tenant",
            "daqing",
            "--cases",
            &seeded.to_string(),
            "--bulk",
            "--lanes",
            "2",
        ])
        .await;
    assert!(ok, "{out}");
    lap(&format!("demo seed of {seeded} cases"), &mut t);
    let (status, body) = a
        .send_json(
            Method::PATCH,
            &format!(
                "/tenants/daqing/plugins/{}",
                uploaded["id"].as_str().unwrap()
            ),
            &json!({"enabled": true, "config": examples::config("daqing-router")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (ok, out) = a.cli(&["worker", "--once"]).await;
    assert!(ok, "{out}");
    fill_to(&a, daqing, CASES).await;
    lap("worker pass and copies", &mut t);

    // Export.
    let file = a.dir.path().join("daqing.minsheng-archive");
    let path = file.to_str().unwrap();
    let (ok, out) = a
        .cli(&["tenant", "export", "daqing", "--with-cases", "--out", path])
        .await;
    assert!(ok, "{out}");
    lap("export", &mut t);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner may read the archive");
    }
    let (ok, out) = a
        .cli(&["tenant", "export", "daqing", "--with-cases", "--out", path])
        .await;
    assert!(
        !ok && out.contains("already exists"),
        "never overwrites: {out}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let header: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(header["format"], "minsheng-tenant-archive");
    assert_eq!(header["version"], 1);
    assert_eq!(header["tenant"], "daqing");
    assert_eq!(header["counts"]["cases"], CASES);
    assert_eq!(
        header["omitted"],
        json!([
            "sessions",
            "login_throttle",
            "case_search",
            "case_duplicates"
        ])
    );
    assert_eq!(header["tables"], json!(TABLES));
    assert!(!header["migrations"].as_array().unwrap().is_empty());
    assert!(
        !text.contains(&springfield.to_string()),
        "no row of springfield"
    );
    assert!(!text.contains("springfield-only-hook"));
    assert_eq!(text.matches("{\"table\":\"tenants\",").count(), 1);
    assert!(text.lines().last().unwrap().starts_with("{\"end\":"));

    // B: an empty deployment. Damaged archives change nothing.
    let b = spawn_app_with(
        backend,
        &[
            ("MINSHENG_LOAD_DEMO_TENANTS", "0"),
            ("MINSHENG_WORKER", "0"),
        ],
    )
    .await;
    let damaged = b.dir.path().join("damaged.minsheng-archive");
    let damaged_path = damaged.to_str().unwrap();
    let cut = text.len() / 3;
    let cut = (cut..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap();
    std::fs::write(&damaged, &text[..cut]).unwrap();
    let (ok, out) = b.cli(&["tenant", "import", damaged_path]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("truncated") && out.contains("nothing was imported"),
        "{out}"
    );
    assert_eq!(city_and_case_rows(&b).await, (0, 0));
    // One character changed far down: still valid JSON, but not what was
    // written.
    let near_end = text.len() - 2_000;
    let at = text[near_end..].find("\"actor\":\"").unwrap() + near_end + 9;
    let changed = format!("{}X{}", &text[..at], &text[at..]);
    std::fs::write(&damaged, changed).unwrap();
    let (ok, out) = b.cli(&["tenant", "import", damaged_path]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("checksum"), "{out}");
    assert_eq!(city_and_case_rows(&b).await, (0, 0));
    std::fs::write(&damaged, text.replacen("\"version\":1", "\"version\":2", 1)).unwrap();
    let (ok, out) = b.cli(&["tenant", "import", damaged_path]).await;
    assert!(!ok && out.contains("format version 2"), "{out}");
    let (status, _) = b.get_json("/tenants/daqing").await;
    assert_eq!(status, 404);
    lap("refused damaged archives", &mut t);

    // Import; the same archive again is refused and changes nothing.
    let (ok, out) = b.cli(&["tenant", "import", "--dry-run", path]).await;
    assert!(ok && out.contains("nothing was saved"), "{out}");
    assert_eq!(city_and_case_rows(&b).await, (0, 0));
    let (ok, out) = b.cli(&["tenant", "import", path]).await;
    assert!(ok, "{out}");
    lap("import", &mut t);
    let (ok, out) = b.cli(&["tenant", "import", path]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("the city daqing already exists in this deployment")
            && out.contains("nothing was imported"),
        "{out}"
    );

    // Every row of every table, field by field.
    let counts = compare(&a, &b, daqing).await;
    lap("field-by-field comparison", &mut t);
    eprintln!("  rows: {counts:?}");
    let count = |name: &str| counts.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(count("cases"), CASES);
    for name in TABLES {
        assert!(count(name) > 0, "the test leaves {name} empty: {counts:?}");
    }

    // B serves the city: its API, statistics, pages, sign-in, keys, roles.
    // Statistics first: reading a case counts a view.
    let stats = "/tenants/daqing/stats?from=2020-01-01";
    let in_b = eventually_ok(&b, stats).await;
    assert_eq!(a.get_json(stats).await, (200, in_b));
    let code = "ZZZZ-0000-0000";
    let in_b = eventually_ok(&b, &format!("/tenants/daqing/cases/{code}")).await;
    let (_, in_a) = a.get_json(&format!("/tenants/daqing/cases/{code}")).await;
    assert_eq!(in_a, in_b);
    assert!(
        holds(&in_b, "🚰 水管爆裂 \"引号\" \\ 反斜杠\t制表 ümlaut"),
        "{in_b}"
    );
    let page = b
        .client
        .get(b.url(&format!("/t/daqing/cases/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let staff = b.login_ok(Some("daqing"), "dq-archivist").await;
    let (status, body) = b
        .call(&staff, Method::GET, "/tenants/daqing/users", None)
        .await;
    assert_eq!(status, 200, "the city admin's grants hold in B: {body}");
    let bearer = Auth {
        bearer: Some(key),
        ..Default::default()
    };
    let (status, body) = b.call(&bearer, Method::GET, "/auth/me", None).await;
    assert_eq!(status, 200, "the API key works in B: {body}");
    let (status, _, _, _) = b.login(Some("daqing"), "dq-archivist", "wrong").await;
    assert_eq!(status, 401);
    lap("B serves the city", &mut t);
    eprintln!(
        "archive round trip ({backend:?}): {:.1} s in all",
        whole.elapsed().as_secs_f64()
    );
}
on_both_backends!(archive_round_trip);
