//! The escalation engine end to end: deadlines in working days fire at the
//! right instant (the test sets the clock with `minsheng worker --once
//! --at`), answering cancels, an extension moves; three servers on one
//! PostgreSQL database killed and restarted at random fire every overdue
//! step exactly once. Mail and webhooks are `delivery.rs`.

use crate::flows::{staff_act, submit_case, worker_at};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_on, spawn_app_with};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

pub(crate) const NO_WORKER: &[(&str, &str)] = &[("MINSHENG_WORKER", "0")];

pub(crate) async fn call(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let (status, text) = app.call(auth, method, path, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) fn heating(title: &str, email: Option<&str>) -> Value {
    json!({
        "category": "heating-cold",
        "attributes": {"address_detail": ["让胡路区 银浪小区 5 号楼"], "indoor_temp": ["below-10"]},
        "title": title,
        "text": "家里暖气一直不热，室温只有十度左右，请尽快处理。",
        "contact_email": email,
        "public": true
    })
}

/// File a case in Daqing: its code, secret and deadline.
pub(crate) async fn submit(app: &TestApp, body: &Value) -> (String, String, DateTime<Utc>) {
    let s = submit_case(app, "daqing", body).await;
    (s.code, s.secret, s.deadline)
}

/// The case's timeline as staff see it: (action, at).
async fn steps(app: &TestApp, staff: &Auth, code: &str) -> Vec<(String, DateTime<Utc>)> {
    let (status, detail) = call(
        app,
        staff,
        Method::GET,
        &format!("/tenants/daqing/cases/{code}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .filter(|(a, _)| ["reminder", "overdue", "supervision", "escalated"].contains(&a.as_str()))
        .collect()
}

/// The end (local midnight) of the `n`-th working day after `from`, by the
/// rules in the admin guide: the oracle the server's deadline is held to.
fn working_deadline(
    from: NaiveDate,
    n: u32,
    holidays: &HashSet<NaiveDate>,
    workdays: &HashSet<NaiveDate>,
) -> DateTime<Utc> {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().unwrap();
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let working = workdays.contains(&day) || (!holidays.contains(&day) && !weekend);
        if working {
            left -= 1;
        }
    }
    let midnight = day.succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap();
    // Daqing is on Beijing time (UTC+8, no daylight saving).
    DateTime::<Utc>::from_naive_utc_and_offset(midnight - Duration::hours(8), Utc)
}

async fn deadlines_fire_at_the_right_instant(backend: Backend) {
    let app = spawn_app_with(backend, NO_WORKER).await;
    app.staff("daqing", "heat", &["department-admin"], &["rlgs"])
        .await;
    app.staff("daqing", "boss", &["city-admin"], &[]).await;
    let heat = app.login_ok(Some("daqing"), "heat").await;
    let boss = app.login_ok(Some("daqing"), "boss").await;

    // The next two weekdays are holidays and the next weekend day a make-up
    // working day, so the five working days cross both.
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    let mut holidays = HashSet::new();
    let mut workdays = HashSet::new();
    let mut day = today;
    while holidays.len() < 2 || workdays.is_empty() {
        day = day.succ_opt().unwrap();
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let (set, kind) = if weekend {
            (&mut workdays, "workday")
        } else {
            (&mut holidays, "holiday")
        };
        if (kind == "holiday" && set.len() < 2) || (kind == "workday" && set.is_empty()) {
            set.insert(day);
            let (status, body) = call(
                &app,
                &boss,
                Method::PUT,
                &format!("/tenants/daqing/calendar/days/{day}"),
                Some(&json!({"kind": kind, "name": "测试"})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
    }

    let (late, _, deadline) = submit(&app, &heating("暖气不热，一直没人管", None)).await;
    assert_eq!(
        deadline,
        working_deadline(today, 5, &holidays, &workdays),
        "the deadline counts working days"
    );
    let (answered, _, answered_deadline) =
        submit(&app, &heating("暖气不热，很快就修好了", None)).await;
    let (extended, _, _) = submit(&app, &heating("暖气不热，需要更多时间", None)).await;
    for code in [&late, &answered, &extended] {
        assert_eq!(
            staff_act(&app, &boss, "daqing", code, "accept", None)
                .await
                .0,
            200
        );
        assert_eq!(
            staff_act(
                &app,
                &boss,
                "daqing",
                code,
                "assign",
                Some(&json!({"lead": "rlgs"}))
            )
            .await
            .0,
            200
        );
    }
    // Answered in time: its ladder ends.
    let (status, body) = staff_act(
        &app,
        &heat,
        "daqing",
        &answered,
        "answer",
        Some(&json!({"text": "已修复。"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Three more working days, approved: its ladder starts again.
    staff_act(
        &app,
        &heat,
        "daqing",
        &extended,
        "extension",
        Some(&json!({"working_days": 3, "reason": "需要更换管道"})),
    )
    .await;
    let (status, body) = staff_act(
        &app,
        &boss,
        "daqing",
        &extended,
        "extension/decision",
        Some(&json!({"approve": true})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let new_deadline: DateTime<Utc> = body["case"]["answer_deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(new_deadline > deadline);

    let names =
        |steps: Vec<(String, DateTime<Utc>)>| steps.into_iter().map(|s| s.0).collect::<Vec<_>>();
    // Nothing is due at the start.
    assert_eq!(worker_at(&app, Utc::now()).await, 0);
    // A second before the deadline: the reminder only.
    worker_at(&app, deadline - Duration::seconds(1)).await;
    assert_eq!(names(steps(&app, &boss, &late).await), ["reminder"]);
    // At the deadline: overdue, at that very instant.
    assert!(worker_at(&app, deadline).await >= 1);
    let fired = steps(&app, &boss, &late).await;
    assert_eq!(fired.last().unwrap(), &("overdue".to_owned(), deadline));
    // Doing it again changes nothing.
    assert_eq!(worker_at(&app, deadline).await, 0);
    assert_eq!(steps(&app, &boss, &late).await, fired);
    // Overdue is public and counted.
    let (_, public) = app.get_json(&format!("/tenants/daqing/cases/{late}")).await;
    assert!(
        public["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "overdue"),
        "{public}"
    );
    // Counted on the day they happen: look up to a month ahead.
    let window = format!(
        "/tenants/daqing/stats?to={}",
        (Utc::now() + Duration::days(40)).date_naive()
    );
    let (_, stats) = app.get_json(&window).await;
    assert_eq!(stats["overdue"], 1, "{stats}");
    // The answered case never escalates; the extended one is not overdue.
    assert!(steps(&app, &boss, &answered).await.is_empty());
    assert_eq!(answered_deadline, deadline);
    assert!(!names(steps(&app, &boss, &extended).await).contains(&"overdue".to_owned()));
    // One working day after the deadline: supervision (督办).
    let supervision = working_deadline(
        (deadline - Duration::seconds(1) + Duration::hours(8)).date_naive(),
        1,
        &holidays,
        &workdays,
    );
    worker_at(&app, supervision - Duration::seconds(1)).await;
    assert_eq!(steps(&app, &boss, &late).await.last().unwrap().0, "overdue");
    let supervised_at = |code: String| {
        let app = &app;
        async move { crate::flows::staff_view(app, "daqing", &code).await["supervised_at"].clone() }
    };
    assert_eq!(supervised_at(late.clone()).await, Value::Null);
    worker_at(&app, supervision).await;
    assert_eq!(
        steps(&app, &boss, &late).await.last().unwrap(),
        &("supervision".to_owned(), supervision)
    );
    // Under supervision (督办中) from that step on.
    let at: DateTime<Utc> = supervised_at(late.clone())
        .await
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(at, supervision);
    // The extended case's new deadline: overdue then, not before.
    worker_at(&app, new_deadline - Duration::seconds(1)).await;
    assert!(!names(steps(&app, &boss, &extended).await).contains(&"overdue".to_owned()));
    worker_at(&app, new_deadline).await;
    assert!(
        steps(&app, &boss, &extended)
            .await
            .contains(&("overdue".to_owned(), new_deadline))
    );
    let (_, stats) = app.get_json(&window).await;
    assert_eq!(
        (stats["overdue"].as_i64(), stats["supervised"].as_i64()),
        (Some(2), Some(1)),
        "{stats}"
    );
    // The rollup still matches a recount from the timelines.
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");
}
on_both_backends!(deadlines_fire_at_the_right_instant);

/// Three servers, K cases whose deadlines pass together, servers killed
/// with SIGKILL and restarted while the deadlines fire: exactly K overdue
/// escalations, each effect once, each within poll interval + lease of its
/// due time (plus the restart gap).
#[tokio::test]
async fn exactly_once_across_replicas() {
    const K: usize = 500;
    let env: &[(&str, &str)] = &[
        ("MINSHENG_WORKER_POLL_MS", "200"),
        ("MINSHENG_WORKER_LEASE_SECS", "2"),
        ("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "100000"),
    ];
    let first = spawn_app_with(Backend::Postgres, env).await;
    let mut apps = vec![first];
    apps.push(spawn_app_on(&apps[0], env).await);
    apps.push(spawn_app_on(&apps[0], env).await);

    let mut tasks = Vec::new();
    for i in 0..K {
        let client = apps[0].client.clone();
        let url = apps[i % 3].api("/tenants/daqing/cases");
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&heating(&format!("暖气不热 {i} 号"), None))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 201);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Every deadline passes four seconds from now, all at once.
    let due = Utc::now() + Duration::seconds(4);
    let at = due.to_rfc3339();
    for sql in [
        format!("UPDATE cases SET answer_deadline = '{at}'"),
        format!(
            "UPDATE due_work SET level = 1, deadline_at = '{at}', due_at = '{at}' WHERE state = 'pending' AND deadline = 'answer'"
        ),
    ] {
        apps[0].platform_query(&sql).await;
    }
    // Kill one server at a time, at random moments, and start it again.
    let started = std::time::Instant::now();
    let mut kills = 0;
    while started.elapsed() < std::time::Duration::from_secs(14) {
        let pause = 300 + (rand_u64() % 1200);
        tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        let victim = (rand_u64() % 3) as usize;
        apps[victim].kill_and_restart().await;
        kills += 1;
    }
    // Wait for the stragglers (a lease held by a killed worker).
    let count = |sql: &'static str| {
        let app = &apps[0];
        async move {
            let rows = app.platform_query(sql).await;
            rows[0].try_get_by_index::<i64>(0).unwrap()
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while count("SELECT count(*) FROM escalations WHERE level = 1").await < K as i64
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let escalations = count("SELECT count(*) FROM escalations WHERE level = 1").await;
    let distinct = count("SELECT count(DISTINCT case_id) FROM escalations WHERE level = 1").await;
    let entries = count("SELECT count(*) FROM case_events WHERE action = 'overdue'").await;
    let counted = count("SELECT CAST(COALESCE(SUM(overdue), 0) AS BIGINT) FROM case_stats WHERE department_id = '00000000-0000-0000-0000-000000000000'").await;
    let next_steps =
        count("SELECT count(*) FROM due_work WHERE level = 2 AND state = 'pending'").await;
    let late_ms = count("SELECT CAST(COALESCE(MAX(EXTRACT(EPOCH FROM (fired_at - due_at)) * 1000), 0) AS BIGINT) FROM escalations WHERE level = 1").await;
    let median_ms = count("SELECT CAST(COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (fired_at - due_at)) * 1000), 0) AS BIGINT) FROM escalations WHERE level = 1").await;
    let workers = count("SELECT count(DISTINCT worker) FROM escalations").await;
    let first_ms = count("SELECT CAST(COALESCE(MIN(EXTRACT(EPOCH FROM (fired_at - due_at)) * 1000), 0) AS BIGINT) FROM escalations WHERE level = 1").await;
    let drain_ms = count("SELECT CAST(COALESCE(EXTRACT(EPOCH FROM (MAX(fired_at) - MIN(fired_at))) * 1000, 0) AS BIGINT) FROM escalations WHERE level = 1").await;
    println!(
        "exactly once: K={K}, {kills} kills; overdue escalations {escalations} (distinct cases {distinct}), \
         timeline entries {entries}, counted {counted}, next steps {next_steps}; \
         fired after due: first {first_ms} ms, median {median_ms} ms, max {late_ms} ms; \
         all {K} applied within {drain_ms} ms; worker ids (a restart makes a new one): {workers}"
    );
    assert_eq!(escalations, K as i64, "every case escalated once");
    assert_eq!(distinct, K as i64);
    assert_eq!(entries, K as i64, "one timeline entry each");
    assert_eq!(counted, K as i64, "counted once each");
    assert_eq!(next_steps, K as i64, "one next step each");
    // Work starts within a poll interval (0.2 s) plus a lease (2 s) of the
    // deadline even while servers die; how long the K steps take after
    // that is throughput (printed above), not waiting.
    assert!(first_ms <= 2_200, "first fired {first_ms} ms after due");
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}
