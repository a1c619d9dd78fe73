//! Open311 `GET requests.json` for a city of 100,000 cases, when it is the
//! deployment's only city and when nine more cities of the same size share
//! the database. Both databases are copies of the benchmark city built by
//! `demo seed`; the nine other cities get the daqing bundle under other
//! names and a copy of daqing's cases (new ids, their own categories and
//! departments). The two are measured in alternating rounds in one run,
//! through the whole application in process. The figure: the ratio of the
//! median latency with ten cities to that with one (target ≤ 1.2), and the
//! requests per second of each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/large_city.rs"]
mod large_city;

use minsheng_app::bundle;
use minsheng_app::config::Config;
use minsheng_server::app::{ServerState, build};
use minsheng_store::{ConnectionTrait, Store};
use poem::test::TestClient;
use sea_orm::{DbBackend, Statement};
use std::path::Path;
use std::time::{Duration, Instant};

const ROUNDS: usize = 10;
const PER_ROUND: usize = 20;
const PATH: &str = "/open311/v2/requests.json?jurisdiction_id=daqing";

async fn open(url: &str) -> anyhow::Result<(Store, ServerState)> {
    let store = Store::connect(url).await?;
    let state = ServerState::new(Config::default(), store.clone()).await?;
    Ok((store, state))
}

/// Nine more cities like daqing, each with a copy of its cases.
async fn add_cities(store: &Store) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants/daqing");
    let original = minsheng_app::services::tenants::find(store.db(), "daqing").await?;
    for n in 2..=10 {
        let mut copy = bundle::format::Bundle::read(&root)?;
        copy.tenant.slug = format!("city{n}");
        copy.tenant.name = format!("City {n}");
        copy.tenant.hosts = vec![format!("city{n}.localhost")];
        bundle::apply::apply(store, &copy, false).await?;
        let city = minsheng_app::services::tenants::find(store.db(), &copy.tenant.slug).await?;
        let sql = r#"
INSERT INTO cases (id, tenant_id, tracking_code, secret_hash, category_id, title, body,
  address, latitude, longitude, contact_name, contact_phone, contact_email, public,
  citizen_id, state, lead_department_id, extension_pending, reopened, submitted_at,
  accept_deadline, answer_deadline, accepted_at, answered_at, closed_at, answer, rating,
  rating_comment, rated_at, views, updated_at, attributes, media_url)
SELECT randomblob(16), ?1, c.tracking_code, c.secret_hash,
  (SELECT n.id FROM categories n JOIN categories o ON o.code = n.code
    WHERE o.tenant_id = c.tenant_id AND o.id = c.category_id AND n.tenant_id = ?1),
  c.title, c.body, c.address, c.latitude, c.longitude, c.contact_name, c.contact_phone,
  c.contact_email, c.public, NULL, c.state,
  (SELECT n.id FROM departments n JOIN departments o ON o.code = n.code
    WHERE o.tenant_id = c.tenant_id AND o.id = c.lead_department_id AND n.tenant_id = ?1),
  c.extension_pending, c.reopened, c.submitted_at, c.accept_deadline, c.answer_deadline,
  c.accepted_at, c.answered_at, c.closed_at, c.answer, c.rating, c.rating_comment,
  c.rated_at, c.views, c.updated_at, c.attributes, c.media_url
FROM cases c WHERE c.tenant_id = ?2"#;
        let copied = store
            .db()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                [city.id.into_uuid().into(), original.id.into_uuid().into()],
            ))
            .await?;
        eprintln!(
            "  city{n}: {} cases copied from daqing",
            copied.rows_affected()
        );
    }
    Ok(())
}

/// One round: `PER_ROUND` requests one after another; their latencies.
async fn round(client: &TestClient<impl poem::Endpoint>) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(PER_ROUND);
    for _ in 0..PER_ROUND {
        let started = Instant::now();
        let resp = client.get(PATH).send().await;
        resp.assert_status_is_ok();
        let body = resp.0.into_body().into_string().await.unwrap();
        assert!(body.starts_with("[{"), "{}", &body[..body.len().min(200)]);
        latencies.push(started.elapsed());
    }
    latencies
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases = large_city::size();
    let one_dir = tempfile::tempdir()?;
    let ten_dir = tempfile::tempdir()?;
    let one_url = large_city::sqlite_copy(cases, one_dir.path()).await?;
    let ten_url = large_city::sqlite_copy(cases, ten_dir.path()).await?;
    let (_, one) = open(&one_url).await?;
    let (ten_store, _) = open(&ten_url).await?;
    eprintln!("adding nine cities of {cases} cases each");
    add_cities(&ten_store).await?;
    let (_, ten) = open(&ten_url).await?;
    let one = TestClient::new(build(one));
    let ten = TestClient::new(build(ten));
    // Warm both (caches, pages of the files).
    round(&one).await;
    round(&ten).await;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut time_a, mut time_b) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        a.extend(round(&one).await);
        time_a += t.elapsed();
        let t = Instant::now();
        b.extend(round(&ten).await);
        time_b += t.elapsed();
    }
    let n = (ROUNDS * PER_ROUND) as f64;
    let (m1, m10) = (median(a), median(b));
    println!(
        "Open311 GET requests.json (up to 1,000 requests an answer), daqing with {cases} cases, SQLite:"
    );
    println!(
        "  1 city:    median {:>6.1} ms  {:>6.1} requests/s",
        m1.as_secs_f64() * 1e3,
        n / time_a.as_secs_f64()
    );
    println!(
        "  10 cities: median {:>6.1} ms  {:>6.1} requests/s",
        m10.as_secs_f64() * 1e3,
        n / time_b.as_secs_f64()
    );
    println!(
        "  latency with 10 cities / with 1: {:.2}x (target <= 1.2)",
        m10.as_secs_f64() / m1.as_secs_f64()
    );
    Ok(())
}
