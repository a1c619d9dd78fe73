//! Authorization cost per request.
//!
//! A city with the Daqing demo directory (60+ departments), 12 roles (the 6
//! built-in ones and 6 custom) and 2,000 staff. The same request, a PATCH of
//! a department, goes through the whole application in process (routing,
//! session lookup, handler, database) twice over:
//!
//! - as a department admin: the casbin enforcer and the department scope
//!   are consulted;
//! - as a platform operator: authorization is skipped (operators are not
//!   checked against roles), everything else is the same.
//!
//! The two alternate in rounds so machine noise hits both alike; the figure
//! is the ratio of their medians. The enforcer check alone is timed too.
//!
//! Run: `cargo bench -p minsheng-server --bench authz` (or `scripts/bench`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use minsheng_app::access::password;
use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_domain::ids::{TenantId, UserId};
use minsheng_server::app::{ServerState, build};
use minsheng_store::entity::{role, user};
use minsheng_store::queries::access as q;
use minsheng_store::{Scope, Store};
use poem::test::TestClient;
use sea_orm::ActiveValue::Set;
use std::time::{Duration, Instant};

const STAFF: usize = 2_000;
const CUSTOM_ROLES: usize = 6;
const ROUNDS: usize = 30;
const PER_ROUND: usize = 40;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    let b = bundle::format::Bundle::read(&root)?;
    bundle::apply::apply(&store, &b, false).await?;
    let tenant = minsheng_app::services::tenants::find(store.db(), "daqing").await?;
    let tid = tenant.id.into_uuid();

    eprintln!("seeding {STAFF} staff and {CUSTOM_ROLES} custom roles …");
    let hash = password::hash("correct-horse-battery")?;
    let tx = store.begin(Scope::Platform).await?;
    minsheng_app::services::accounts::ensure_builtin_roles(&tx, tenant.id, tenant.locale).await?;
    for i in 0..CUSTOM_ROLES {
        q::insert_role(
            &tx,
            role::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                tenant_id: Set(tid),
                code: Set(format!("custom-{i}")),
                name: Set(format!("Custom {i}")),
                builtin: Set(false),
                permissions: Set(serde_json::json!(["calendar:write", "case:read"])),
                created_at: Set(Utc::now()),
                updated_at: Set(Utc::now()),
            },
        )
        .await?;
    }
    let departments = minsheng_store::queries::directory::list::<
        minsheng_store::entity::department::Entity,
    >(&tx, tid, false)
    .await?;
    let roles = [
        "dispatcher",
        "supervisor",
        "department-admin",
        "department-staff",
        "auditor",
    ];
    let mut admin_user = None;
    for i in 0..STAFF {
        let id = UserId::new().into_uuid();
        q::insert_user(
            &tx,
            user::ActiveModel {
                id: Set(id),
                tenant_id: Set(Some(tid)),
                kind: Set("staff".into()),
                username: Set(format!("staff{i:04}")),
                display_name: Set(format!("Staff {i}")),
                email: Set(None),
                password_hash: Set(hash.clone()),
                active: Set(true),
                created_at: Set(Utc::now()),
                updated_at: Set(Utc::now()),
            },
        )
        .await?;
        let dept = departments[i % departments.len()].id;
        q::set_departments_of(&tx, tid, id, &[dept]).await?;
        let mut granted = vec![roles[i % roles.len()].to_owned()];
        if i % 7 == 0 {
            granted.push(format!("custom-{}", i % CUSTOM_ROLES));
        }
        q::set_roles_of(&tx, tid, id, &granted).await?;
        if granted[0] == "department-admin" && admin_user.is_none() {
            admin_user = Some((format!("staff{i:04}"), dept, id));
        }
    }
    q::bump_policy_version(&tx).await?;
    tx.commit().await?;
    minsheng_app::services::accounts::create_operator(
        &store,
        "bench-operator",
        "Bench",
        "correct-horse-battery",
    )
    .await?;
    let (admin_name, admin_dept, admin_id) = admin_user.expect("a department admin");

    let config = Config {
        anonymous_rate_per_minute: 1_000_000,
        ..Config::default()
    };
    let state = ServerState::new(config, store.clone()).await?;
    let client = TestClient::new(build(state.clone()));

    let login = |tenant: Option<&'static str>, username: String| {
        let client = &client;
        async move {
            let resp = client
                .post("/api/v1/auth/login")
                .body_json(&serde_json::json!({"tenant": tenant, "username": username, "password": "correct-horse-battery"}))
                .send()
                .await;
            resp.assert_status_is_ok();
            let cookie = resp.0.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            let body: serde_json::Value = resp.json().await.value().deserialize();
            (cookie, body["csrf_token"].as_str().unwrap().to_owned())
        }
    };
    let staff = login(Some("daqing"), admin_name).await;
    let operator = login(None, "bench-operator".into()).await;
    let path = format!("/api/v1/tenants/daqing/departments/{admin_dept}");
    let patch = serde_json::json!({});

    let request = |auth: &(String, String)| {
        let (cookie, csrf) = auth.clone();
        let client = &client;
        let path = path.clone();
        let patch = patch.clone();
        async move {
            let resp = client
                .patch(path)
                .header("cookie", cookie)
                .header("x-csrf-token", csrf)
                .body_json(&patch)
                .send()
                .await;
            resp.assert_status_is_ok();
        }
    };

    // Warm up both paths.
    for _ in 0..100 {
        request(&staff).await;
        request(&operator).await;
    }
    let (mut with_authz, mut without) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let order: [(&(String, String), bool); 2] = if round % 2 == 0 {
            [(&staff, true), (&operator, false)]
        } else {
            [(&operator, false), (&staff, true)]
        };
        for (auth, authorized) in order {
            let start = Instant::now();
            for _ in 0..PER_ROUND {
                request(auth).await;
            }
            let per = start.elapsed() / PER_ROUND as u32;
            if authorized {
                with_authz.push(per)
            } else {
                without.push(per)
            }
        }
    }
    let on = median(with_authz);
    let off = median(without);

    // The enforcer check alone, against the same policy.
    let user = UserId::from_uuid(admin_id);
    let city = TenantId::from_uuid(tid);
    let n = 20_000u32;
    let start = Instant::now();
    for _ in 0..n {
        assert!(state.policy.allows(user, city, "department:write").await);
        assert!(
            state
                .policy
                .department_scoped(user, city, "department:write")
                .await
        );
    }
    let check = start.elapsed() / n;

    println!(
        "authorization benchmark: {} departments, {} roles, {STAFF} staff",
        departments.len(),
        6 + CUSTOM_ROLES
    );
    println!(
        "  PATCH department as department admin (authorization on):  {:>8.1} µs",
        on.as_secs_f64() * 1e6
    );
    println!(
        "  same request as platform operator (authorization off):  {:>8.1} µs",
        off.as_secs_f64() * 1e6
    );
    println!(
        "  overhead per request: {:+.1}% (target < 5%)",
        (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "  enforcer + department scope alone: {:.2} µs = {:.2}% of the request",
        check.as_secs_f64() * 1e6,
        check.as_secs_f64() / off.as_secs_f64() * 100.0
    );
    Ok(())
}
