//! The escalation engine end to end: deadlines in working days fire at the
//! right instant (the test sets the clock with `minsheng worker --once
//! --at`), answering cancels, an extension moves; three servers on one
//! PostgreSQL database killed and restarted at random fire every overdue
//! step exactly once; email reaches a real SMTP server on loopback, late
//! when it was down, but nothing is lost.

use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_on, spawn_app_with};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

const NO_WORKER: &[(&str, &str)] = &[("MINSHENG_WORKER", "0")];

async fn call(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let (status, text) = app.call(auth, method, path, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn heating(title: &str, email: Option<&str>) -> Value {
    json!({
        "category": "heating-cold",
        "attributes": {"address_detail": ["让胡路区 银浪小区 5 号楼"], "indoor_temp": ["below-10"]},
        "title": title,
        "text": "家里暖气一直不热，室温只有十度左右，请尽快处理。",
        "contact_email": email,
        "public": true
    })
}

async fn submit(app: &TestApp, body: &Value) -> (String, String, DateTime<Utc>) {
    let (status, created) = app
        .send_json(Method::POST, "/tenants/daqing/cases", body)
        .await;
    assert_eq!(status, 201, "{created}");
    let deadline = created["answer_deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (
        created["tracking_code"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
        deadline,
    )
}

/// `minsheng worker --once --at <at>`: how many steps were applied.
async fn worker_at(app: &TestApp, at: DateTime<Utc>) -> u64 {
    let (ok, out) = app
        .cli(&["worker", "--once", "--at", &at.to_rfc3339()])
        .await;
    assert!(ok, "{out}");
    out.split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{out}"))
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
    let path = |code: &str, action: &str| format!("/tenants/daqing/cases/{code}/{action}");
    for code in [&late, &answered, &extended] {
        assert_eq!(
            call(&app, &boss, Method::POST, &path(code, "accept"), None)
                .await
                .0,
            200
        );
        assert_eq!(
            call(
                &app,
                &boss,
                Method::POST,
                &path(code, "assign"),
                Some(&json!({"lead": "rlgs"}))
            )
            .await
            .0,
            200
        );
    }
    // Answered in time: its ladder ends.
    let (status, body) = call(
        &app,
        &heat,
        Method::POST,
        &path(&answered, "answer"),
        Some(&json!({"text": "已修复。"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Three more working days, approved: its ladder starts again.
    call(
        &app,
        &heat,
        Method::POST,
        &path(&extended, "extension"),
        Some(&json!({"working_days": 3, "reason": "需要更换管道"})),
    )
    .await;
    let (status, body) = call(
        &app,
        &boss,
        Method::POST,
        &path(&extended, "extension/decision"),
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
    worker_at(&app, supervision).await;
    assert_eq!(
        steps(&app, &boss, &late).await.last().unwrap(),
        &("supervision".to_owned(), supervision)
    );
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
            "UPDATE due_work SET level = 1, deadline_at = '{at}', due_at = '{at}' WHERE state = 'pending'"
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

/// A free port on loopback (nothing listens there until the test starts a
/// server on it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real SMTP server on loopback (Python's aiosmtpd), keeping what it
/// receives in a maildir.
fn smtp_server(port: u16, maildir: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .kill_on_drop(true)
        .spawn()
        .expect("python3 -m aiosmtpd (pip install aiosmtpd; .ci/run does)")
}

/// The messages in a maildir, decoded by Python's email package:
/// (to, subject, body).
async fn received(maildir: &std::path::Path) -> Vec<(String, String, String)> {
    let script = r#"
import json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    import email
    msg = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
    out.append([str(msg["To"]), str(msg["Subject"]), msg.get_content()])
print(json.dumps(out))
"#;
    if !maildir.join("new").exists() {
        return Vec::new();
    }
    let output = tokio::process::Command::new("python3")
        .args(["-c", &format!("import email.policy\n{script}")])
        .arg(maildir)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Answers and escalations reach people by email in their city's language,
/// through a real SMTP server; while it is down, messages wait and are
/// retried, and none is lost.
async fn email_reaches_people(backend: Backend) {
    let port = free_port();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_SMTP_URL", &smtp),
            ("MINSHENG_WORKER_POLL_MS", "200"),
            ("MINSHENG_PUBLIC_URL", "https://minsheng.example.org"),
        ],
    )
    .await;
    // The city's own wording for one message, from its bundle; an unknown
    // text is refused with the key named.
    let bundle = app.dir.path().join("daqing");
    std::fs::create_dir_all(&bundle).unwrap();
    for file in [
        "tenant.toml",
        "departments.toml",
        "categories.toml",
        "calendar.toml",
    ] {
        std::fs::copy(
            crate::support::repo_root()
                .join("tenants/daqing")
                .join(file),
            bundle.join(file),
        )
        .unwrap();
    }
    let toml = std::fs::read_to_string(bundle.join("tenant.toml")).unwrap();
    std::fs::write(
        bundle.join("tenant.toml"),
        format!("{toml}\n[mail]\nnonsense_subject = \"x\"\n"),
    )
    .unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", bundle.to_str().unwrap()])
        .await;
    assert!(!ok && out.contains("mail.nonsense_subject"), "{out}");
    std::fs::write(
        bundle.join("tenant.toml"),
        format!("{toml}\n[mail]\nanswered_subject = \"【百湖民声】{{title}} 已有答复\"\n"),
    )
    .unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", bundle.to_str().unwrap()])
        .await;
    assert!(ok, "{out}");
    // A staff member of the heating company, with an address.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/users",
            &json!({
                "username": "li.heat", "display_name": "李工", "email": "li@heat.example.cn",
                "password": crate::support::PASSWORD, "departments": ["rlgs"], "roles": ["department-admin"]
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.staff("springfield", "streets", &["city-admin"], &[])
        .await;
    app.staff("daqing", "boss", &["city-admin"], &[]).await;
    let li = app.login_ok(Some("daqing"), "li.heat").await;
    let boss = app.login_ok(Some("daqing"), "boss").await;
    let streets = app.login_ok(Some("springfield"), "streets").await;

    // Two citizens who left an address, one in each city.
    let (wang, _, _) = submit(
        &app,
        &heating("暖气不热，请师傅上门", Some("wang@example.cn")),
    )
    .await;
    let (status, created) = app
        .send_json(
            Method::POST,
            "/tenants/springfield/cases",
            &json!({"category": "pothole", "title": "Pothole on Elm", "text": "A deep pothole on Elm Street by the school.",
                    "attributes": {"size": ["large"]}, "contact_email": "marge@example.com", "public": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let marge = created["tracking_code"].as_str().unwrap().to_owned();
    // A third case goes overdue now: its department is told.
    let (late, _, _) = submit(&app, &heating("暖气不热，超期未处理", None)).await;
    let path = |code: &str, action: &str| format!("/tenants/daqing/cases/{code}/{action}");
    for code in [&wang, &late] {
        call(&app, &boss, Method::POST, &path(code, "accept"), None).await;
        call(
            &app,
            &boss,
            Method::POST,
            &path(code, "assign"),
            Some(&json!({"lead": "rlgs"})),
        )
        .await;
    }
    let (status, body) = call(
        &app,
        &li,
        Method::POST,
        &path(&wang, "answer"),
        Some(&json!({"text": "温控阀已更换，供热恢复正常。"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sp = |action: &str| format!("/tenants/springfield/cases/{marge}/{action}");
    call(&app, &streets, Method::POST, &sp("accept"), None).await;
    let (status, body) = call(
        &app,
        &streets,
        Method::POST,
        &sp("assign"),
        Some(&json!({"lead": "pw-streets"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &app,
        &streets,
        Method::POST,
        &sp("answer"),
        Some(&json!({"text": "A crew filled it this morning."})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let now = Utc::now().to_rfc3339();
    let late_id = app
        .platform_query(&format!(
            "SELECT id FROM cases WHERE tracking_code = '{late}'"
        ))
        .await;
    let late_id: uuid::Uuid = late_id[0].try_get_by_index(0).unwrap();
    let id = match backend {
        Backend::Postgres => format!("'{late_id}'"),
        Backend::Sqlite => format!("X'{}'", late_id.simple()),
    };
    app.platform_query(&format!(
        "UPDATE cases SET answer_deadline = '{now}' WHERE id = {id}"
    ))
    .await;
    app.platform_query(&format!(
        "UPDATE due_work SET level = 1, deadline_at = '{now}', due_at = '{now}' WHERE case_id = {id} AND state = 'pending'"
    ))
    .await;

    // The SMTP server is down: the messages wait, with the reason.
    let waiting = || async {
        app.platform_query("SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts > 0 AND last_error IS NOT NULL")
            .await[0]
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while waiting().await < 3 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(waiting().await, 3, "three messages tried and waiting");

    // It comes up: everything arrives.
    let maildir = app.dir.path().join("mail");
    let _server = smtp_server(port, &maildir);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut mail = Vec::new();
    while mail.len() < 3 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        mail = received(&maildir).await;
    }
    assert_eq!(mail.len(), 3, "{mail:?}");
    let to = |who: &str| {
        mail.iter()
            .find(|m| m.0.contains(who))
            .unwrap_or_else(|| panic!("no mail to {who}: {mail:?}"))
    };
    let (_, subject, body) = to("wang@example.cn");
    assert_eq!(
        subject, "【百湖民声】暖气不热，请师傅上门 已有答复",
        "the city's own subject"
    );
    assert!(
        body.contains("温控阀已更换")
            && body.contains(&format!(
                "https://minsheng.example.org/t/daqing/track?code={wang}"
            )),
        "{body}"
    );
    assert!(body.contains("市热力公司"), "{body}");
    let (_, subject, body) = to("marge@example.com");
    assert!(
        subject.starts_with("Your request has been answered"),
        "{subject}"
    );
    assert!(body.contains("A crew filled it this morning."), "{body}");
    let (_, subject, body) = to("li@heat.example.cn");
    assert!(
        subject.starts_with("【超期】") && subject.contains(&late),
        "{subject}"
    );
    assert!(body.contains("已超过答复期限"), "{body}");
    let sent = app
        .platform_query("SELECT count(*) FROM outbox WHERE state = 'sent'")
        .await[0]
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(sent, 3);
}
on_both_backends!(email_reaches_people);

/// What a webhook receiver got: headers of interest and the body.
#[derive(Clone, Debug)]
struct Call {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A receiver on loopback that refuses its first call (503) and accepts
/// the rest; returns its URL and what it received.
async fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Call>>>) {
    use poem::{EndpointExt, Route, handler, post};
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Call>::new()));
    #[handler]
    fn hook(
        req: &poem::Request,
        body: String,
        poem::web::Data(calls): poem::web::Data<&std::sync::Arc<std::sync::Mutex<Vec<Call>>>>,
    ) -> poem::http::StatusCode {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let mut calls = calls.lock().unwrap();
        calls.push(Call {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body,
        });
        if calls.len() == 1 {
            poem::http::StatusCode::SERVICE_UNAVAILABLE
        } else {
            poem::http::StatusCode::OK
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let app = Route::new().at("/hook", post(hook)).data(calls.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (url, calls)
}

/// Webhooks follow the Standard Webhooks conventions: id, timestamp and an
/// HMAC signature a receiver can check with its secret; a refused call is
/// retried with the same id; only the events asked for are sent; the
/// delivery log shows it all.
async fn webhooks_are_signed_and_retried(backend: Backend) {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let app = spawn_app_with(backend, &[("MINSHENG_WORKER_POLL_MS", "200")]).await;
    app.staff("daqing", "boss", &["city-admin"], &[]).await;
    let boss = app.login_ok(Some("daqing"), "boss").await;
    let (url, calls) = receiver().await;
    // Bad input says what to fix.
    let (status, body) = call(
        &app,
        &boss,
        Method::POST,
        "/tenants/daqing/webhooks",
        Some(&json!({"url": "ftp://x", "events": ["case.eaten"]})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["url", "events[0]"], "{body}");
    let (status, created) = call(
        &app,
        &boss,
        Method::POST,
        "/tenants/daqing/webhooks",
        Some(&json!({"url": url, "events": ["case.accepted", "case.answered"]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let hook_id = created["webhook"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = call(&app, &boss, Method::GET, "/tenants/daqing/webhooks", None).await;
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let (code, _, _) = submit(
        &app,
        &heating("暖气不热，请尽快处理", Some("wang@example.cn")),
    )
    .await;
    let path = |action: &str| format!("/tenants/daqing/cases/{code}/{action}");
    assert_eq!(
        call(&app, &boss, Method::POST, &path("accept"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        call(
            &app,
            &boss,
            Method::POST,
            &path("assign"),
            Some(&json!({"lead": "rlgs"}))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &app,
            &boss,
            Method::POST,
            &path("answer"),
            Some(&json!({"text": "已修复。"}))
        )
        .await
        .0,
        200
    );

    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while calls.lock().unwrap().len() < 3 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let got = calls.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        3,
        "one refused call, its retry, and the other event: {got:?}"
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    for c in &got {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", c.id, c.timestamp, c.body).as_bytes());
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(c.signature, expected, "the signature checks out");
        let age = Utc::now().timestamp() - c.timestamp.parse::<i64>().unwrap();
        assert!((0..60).contains(&age));
        assert!(
            !c.body.contains("wang@example.cn"),
            "no personal data: {}",
            c.body
        );
    }
    let body = |c: &Call| serde_json::from_str::<Value>(&c.body).unwrap();
    // The refused call came again with the same id.
    assert_eq!(
        got[0].id,
        got.iter()
            .skip(1)
            .find(|c| body(c)["type"] == body(&got[0])["type"])
            .unwrap()
            .id
    );
    let types: HashSet<String> = got
        .iter()
        .map(|c| body(c)["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        HashSet::from(["case.accepted".to_owned(), "case.answered".to_owned()]),
        "only what was asked for"
    );
    assert!(
        got.iter()
            .all(|c| body(c)["data"]["tracking_code"] == code.as_str())
    );
    // The delivery log.
    let (status, log) = call(
        &app,
        &boss,
        Method::GET,
        &format!("/tenants/daqing/webhooks/{hook_id}/deliveries"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d["state"] == "sent"));
    assert!(
        log.iter()
            .any(|d| d["attempts"] == 2
                && d["last_error"].as_str().unwrap_or_default().contains("503")),
        "{log:?}"
    );
    // Removed: no more calls.
    let (status, _) = call(
        &app,
        &boss,
        Method::DELETE,
        &format!("/tenants/daqing/webhooks/{hook_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &app,
        &boss,
        Method::DELETE,
        &format!("/tenants/daqing/webhooks/{hook_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}
on_both_backends!(webhooks_are_signed_and_retried);
