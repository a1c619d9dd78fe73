//! PostgreSQL row-level security: the second line of defence behind the
//! `tenant_id` filters. Only PostgreSQL has it; SQLite relies on the
//! filters alone (the isolation and matrix tests cover both).

use crate::support::{Backend, spawn_app_on, spawn_app_with};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use serde_json::json;

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn postgres_row_level_security() {
    let app = spawn_app_with(Backend::Postgres, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let db = Database::connect(&app.db_url).await.unwrap();

    // The test role is neither superuser nor exempt from row security.
    let exempt = count(
        &db,
        "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)",
    )
    .await;
    assert_eq!(exempt, 0);

    // Every table with a tenant_id column (but the public host-name routing
    // table) has row-level security enabled and forced.
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity
               FROM pg_class c JOIN information_schema.columns col
                 ON col.table_name = c.relname AND col.column_name = 'tenant_id'
                    AND col.table_schema = 'public'
              WHERE c.relkind = 'r' AND c.relname <> 'tenant_hosts'",
        ))
        .await
        .unwrap();
    assert!(rows.len() >= 10, "only {} tenant tables", rows.len());
    for row in &rows {
        let name: String = row.try_get_by_index(0).unwrap();
        let enabled: bool = row.try_get_by_index(1).unwrap();
        let forced: bool = row.try_get_by_index(2).unwrap();
        assert!(
            enabled && forced,
            "{name}: enabled {enabled}, forced {forced}"
        );
    }

    // With no city set, a raw query sees nothing, even as the tables' owner.
    for table in ["departments", "categories", "calendar_days", "roles"] {
        assert_eq!(
            count(&db, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }

    // With one city set, only that city's rows.
    let daqing: String = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id::text FROM tenants WHERE slug = 'daqing'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let tx = db.begin().await.unwrap();
    tx.execute_unprepared(&format!(
        "SELECT set_config('app.tenant_id', '{daqing}', true)"
    ))
    .await
    .unwrap();
    let visible = count(&tx, "SELECT count(*) FROM departments").await;
    let foreign = count(
        &tx,
        &format!("SELECT count(*) FROM departments WHERE tenant_id <> '{daqing}'"),
    )
    .await;
    assert!(visible >= 30, "Daqing's departments: {visible}");
    assert_eq!(foreign, 0);
    // And nothing can be written into another city.
    let springfield_write = tx
        .execute_unprepared(
            "INSERT INTO calendar_days (id, tenant_id, day, kind, name)
             SELECT gen_random_uuid(), id, DATE '2026-12-31', 'holiday', 'x' FROM tenants WHERE slug = 'springfield'",
        )
        .await;
    assert!(
        springfield_write.is_err(),
        "the policy refuses rows of another city"
    );
    drop(tx);

    // The runtime role: not the owner, not superuser; migrations run apart.
    let role = format!("minsheng_rt_{}", uuid::Uuid::now_v7().simple());
    db.execute_unprepared(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'runtime-password'"
    ))
    .await
    .unwrap();
    let (ok, out) = app.cli(&["migrate", "--grant-to", &role]).await;
    assert!(ok, "{out}");
    let (prefix, rest) = app.db_url.split_once("://").unwrap();
    let host_and_db = rest.split_once('@').unwrap().1;
    let runtime_url = format!("{prefix}://{role}:runtime-password@{host_and_db}");
    let owner = count(
        &db,
        &format!(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = '{role}'"
        ),
    )
    .await;
    assert_eq!(owner, 0, "the runtime role owns no table");

    let runtime = spawn_app_on(
        &app,
        &[
            ("MINSHENG_DATABASE_URL", runtime_url.as_str()),
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
        ],
    )
    .await;
    runtime
        .staff("daqing", "rt-admin", &["city-admin"], &[])
        .await;
    let admin = runtime.login_ok(Some("daqing"), "rt-admin").await;
    let (status, text) = runtime
        .call(
            &admin,
            Method::POST,
            "/tenants/daqing/departments",
            Some(&json!({"code": "rt-unit", "name": "运行时测试", "kind": "other"})),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let html = runtime
        .client
        .get(runtime.url("/t/daqing/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("运行时测试"));
    let rt_db = Database::connect(&runtime_url).await.unwrap();
    assert_eq!(
        count(&rt_db, "SELECT count(*) FROM departments").await,
        0,
        "no scope, no rows"
    );
}
