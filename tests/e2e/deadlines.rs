//! The ladders besides the answer's, end to end with the worker driven at
//! chosen instants (`minsheng worker --once --at`): the acceptance
//! deadline, each co-handler's opinion deadline, closing unrated answers
//! after the city's working days, and the new answer deadline of a
//! reopened case. The answer ladder itself is `escalation.rs`.

use crate::escalation::{NO_WORKER, call, heating, submit};
use crate::flows::{staff_act, staff_view, worker_at};
use crate::on_both_backends;
use crate::support::{Auth, Backend, PASSWORD, TestApp, spawn_app_with};
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

/// The case's timeline as staff see it.
async fn timeline(app: &TestApp, tenant: &str, code: &str) -> Vec<Value> {
    staff_view(app, tenant, code).await["timeline"]
        .as_array()
        .unwrap()
        .clone()
}

/// The actions of the case's timeline that start with one of `prefixes`.
async fn actions(app: &TestApp, tenant: &str, code: &str, prefixes: &[&str]) -> Vec<String> {
    timeline(app, tenant, code)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .filter(|a| prefixes.iter().any(|p| a.starts_with(p)))
        .collect()
}

fn at(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("no time in {value}"))
        .parse()
        .unwrap()
}

/// When `working_days` started at `start` end on the city's calendar: the
/// oracle, through the calendar API.
async fn deadline(app: &TestApp, tenant: &str, start: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let start = start.to_rfc3339().replace('+', "%2B");
    let (status, body) = app
        .get_json(&format!(
            "/tenants/{tenant}/calendar/deadline?working_days={days}&start={start}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    at(&body["deadline"])
}

/// A staff account with an email address (through the API).
async fn staff_with_email(
    app: &TestApp,
    tenant: &str,
    username: &str,
    roles: &[&str],
    departments: &[&str],
) -> Auth {
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/tenants/{tenant}/users"),
            &json!({
                "username": username, "display_name": username,
                "email": format!("{username}@example.cn"), "password": PASSWORD,
                "roles": roles, "departments": departments
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.login_ok(Some(tenant), username).await
}

/// Queued messages of `event` (mail or webhook) whose text names `code`,
/// to `recipient` when given.
async fn queued(app: &TestApp, event: &str, code: &str, recipient: Option<&str>) -> i64 {
    let to = recipient
        .map(|r| format!(" AND recipient = '{r}'"))
        .unwrap_or_default();
    app.platform_query(&format!(
        "SELECT count(*) FROM outbox WHERE event = '{event}' AND body LIKE '%{code}%'{to}"
    ))
    .await[0]
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// An unaccepted case is reminded at the configured share of its
/// acceptance time and goes overdue at the deadline, the dispatchers told
/// each time; an accepted one hears nothing of it.
async fn acceptance_deadlines_remind_then_go_overdue(backend: Backend) {
    let app = spawn_app_with(backend, NO_WORKER).await;
    let boss = staff_with_email(&app, "daqing", "boss", &["city-admin"], &[]).await;
    staff_with_email(&app, "daqing", "disp", &["dispatcher"], &[]).await;
    let (waiting, _, _) = submit(&app, &heating("暖气不热，一直没人受理", None)).await;
    let (accepted, _, _) = submit(&app, &heating("暖气不热，已经受理", None)).await;
    let (status, body) = staff_act(&app, &boss, "daqing", &accepted, "accept", None).await;
    assert_eq!(status, 200, "{body}");
    let view = staff_view(&app, "daqing", &waiting).await;
    let (submitted, accept_by) = (
        at(&view["case"]["submitted_at"]),
        at(&view["case"]["accept_deadline"]),
    );
    assert_eq!(
        accept_by,
        deadline(&app, "daqing", submitted, 1).await,
        "one working day to accept heating-cold"
    );
    assert_eq!(worker_at(&app, submitted + Duration::seconds(1)).await, 0);

    // Just before the deadline: the reminder (80% of the time has passed).
    worker_at(&app, accept_by - Duration::seconds(1)).await;
    assert_eq!(
        actions(&app, "daqing", &waiting, &["accept_"]).await,
        ["accept_reminder"]
    );
    // At the deadline: overdue, at that instant, once.
    assert!(worker_at(&app, accept_by).await >= 1);
    assert_eq!(worker_at(&app, accept_by).await, 0);
    let entries = timeline(&app, "daqing", &waiting).await;
    let overdue = entries
        .iter()
        .find(|e| e["action"] == "accept_overdue")
        .unwrap_or_else(|| panic!("no accept_overdue: {entries:?}"));
    assert_eq!(at(&overdue["at"]), accept_by);
    assert_eq!(overdue["actor"], "system:escalation");
    assert_eq!(at(&overdue["detail"]["deadline"]), accept_by);
    // The dispatchers were told of both steps.
    for event in ["case.accept_reminder", "case.accept_overdue"] {
        assert_eq!(
            queued(&app, event, &waiting, Some("disp@example.cn")).await,
            1,
            "{event}"
        );
    }
    // The accepted case: nothing of the acceptance ladder.
    assert!(
        actions(&app, "daqing", &accepted, &["accept_"])
            .await
            .is_empty()
    );
    assert_eq!(
        queued(&app, "case.accept_reminder", &accepted, None).await,
        0
    );
    // Not the answer deadline: nothing counted as overdue.
    let (_, stats) = app
        .get_json(&format!(
            "/tenants/daqing/stats?to={}",
            (Utc::now() + Duration::days(40)).date_naive()
        ))
        .await;
    assert_eq!(stats["overdue"], 0, "{stats}");
    // Rejecting it now ends its ladders: nothing more happens to it.
    let (status, body) = staff_act(
        &app,
        &boss,
        "daqing",
        &waiting,
        "reject",
        Some(&json!({"reason": "不属于本市受理范围"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let before = timeline(&app, "daqing", &waiting).await.len();
    worker_at(&app, accept_by + Duration::days(30)).await;
    assert_eq!(timeline(&app, "daqing", &waiting).await.len(), before);
}
on_both_backends!(acceptance_deadlines_remind_then_go_overdue);

/// Two co-handlers named at Assign: the one that gives no opinion is
/// reminded, goes overdue (its level raised, its staff told, the timeline
/// naming it) and is supervised; the one that gives it in time hears
/// nothing more; a transfer ends a co-handler's ladder. The department
/// figures count them.
async fn co_handlers_opinions_climb_their_ladder(backend: Backend) {
    let app = spawn_app_with(backend, NO_WORKER).await;
    let boss = staff_with_email(&app, "daqing", "boss", &["city-admin"], &[]).await;
    staff_with_email(&app, "daqing", "traffic", &["department-staff"], &["jtj"]).await;
    let water = staff_with_email(&app, "daqing", "water", &["department-staff"], &["gsgs"]).await;
    staff_with_email(&app, "daqing", "sup", &["supervisor"], &[]).await;
    let (_, departments) = app.get_json("/tenants/daqing/departments").await;
    let name_of = |code: &str| {
        departments
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (traffic_name, water_name) = (name_of("jtj"), name_of("gsgs"));

    let (code, _, answer_by) = submit(&app, &heating("暖气管道漏水，路面结冰", None)).await;
    staff_act(&app, &boss, "daqing", &code, "accept", None).await;
    let (status, body) = staff_act(
        &app,
        &boss,
        "daqing",
        &code,
        "assign",
        Some(&json!({"lead": "rlgs", "co": ["jtj", "gsgs"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let view = staff_view(&app, "daqing", &code).await;
    let opinions = view["opinions"].as_array().unwrap();
    let due = at(&opinions[0]["deadline"]);
    assert!(due <= answer_by, "{view}");
    let assigned = timeline(&app, "daqing", &code)
        .await
        .into_iter()
        .find(|e| e["action"] == "assign")
        .unwrap();
    assert_eq!(due, deadline(&app, "daqing", at(&assigned["at"]), 3).await);

    // A second case co-handled by traffic, then transferred: its opinion
    // ladder ends with the transfer.
    let (moved, _, _) = submit(&app, &heating("暖气不热，转给物业", None)).await;
    staff_act(&app, &boss, "daqing", &moved, "accept", None).await;
    staff_act(
        &app,
        &boss,
        "daqing",
        &moved,
        "assign",
        Some(&json!({"lead": "rlgs", "co": ["jtj"]})),
    )
    .await;
    let (status, body) = staff_act(
        &app,
        &boss,
        "daqing",
        &moved,
        "transfer",
        Some(&json!({"to": "zjj", "reason": "属物业管理问题"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The water company gives its opinion in time, twice (it counts once).
    for text in ["管道属热力公司，供水无影响。", "补充：已派人巡查。"] {
        let (status, body) = call(
            &app,
            &water,
            Method::POST,
            &format!("/tenants/daqing/cases/{code}/opinion"),
            Some(&json!({"department": "gsgs", "text": text})),
        )
        .await;
        assert_eq!(status, 204, "{body}");
    }
    // Only staff of the department speak for it.
    let (status, _) = call(
        &app,
        &water,
        Method::POST,
        &format!("/tenants/daqing/cases/{code}/opinion"),
        Some(&json!({"department": "jtj", "text": "不是我们的意见"})),
    )
    .await;
    assert_eq!(status, 403);

    let opinion_steps = |department: String| {
        let app = &app;
        let code = code.clone();
        async move {
            timeline(app, "daqing", &code)
                .await
                .into_iter()
                .filter(|e| {
                    e["action"].as_str().unwrap().starts_with("opinion_")
                        && e["department"] == department.as_str()
                })
                .map(|e| (e["action"].as_str().unwrap().to_owned(), at(&e["at"])))
                .collect::<Vec<_>>()
        }
    };
    let level = |department: &'static str| {
        let app = &app;
        let code = code.clone();
        async move {
            app.platform_query(&format!(
                "SELECT CAST(cd.escalation_level AS BIGINT) FROM case_departments cd \
                 JOIN cases c ON c.id = cd.case_id JOIN departments d ON d.id = cd.department_id \
                 WHERE c.tracking_code = '{code}' AND d.code = '{department}'"
            ))
            .await[0]
                .try_get_by_index::<i64>(0)
                .unwrap()
        }
    };
    worker_at(&app, due - Duration::seconds(1)).await;
    let reminded = opinion_steps(traffic_name.clone()).await;
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert_eq!(reminded[0].0, "opinion_reminder");
    assert_eq!(level("jtj").await, 0);
    worker_at(&app, due).await;
    assert_eq!(
        opinion_steps(traffic_name.clone()).await.last().unwrap(),
        &("opinion_overdue".to_owned(), due)
    );
    assert_eq!(level("jtj").await, 1);
    for event in ["case.opinion_reminder", "case.opinion_overdue"] {
        assert_eq!(
            queued(&app, event, &code, Some("traffic@example.cn")).await,
            1,
            "{event}"
        );
    }
    // One working day later: the supervisors.
    let supervision = deadline(&app, "daqing", due - Duration::seconds(1), 1).await;
    worker_at(&app, supervision - Duration::seconds(1)).await;
    assert_eq!(level("jtj").await, 1);
    worker_at(&app, supervision).await;
    assert_eq!(
        opinion_steps(traffic_name.clone()).await.last().unwrap(),
        &("opinion_supervision".to_owned(), supervision)
    );
    assert_eq!(level("jtj").await, 2);
    assert_eq!(
        queued(
            &app,
            "case.opinion_supervision",
            &code,
            Some("sup@example.cn")
        )
        .await,
        1
    );
    // The top of its ladder: nothing further.
    assert_eq!(
        opinion_steps(traffic_name.clone()).await.len(),
        3,
        "reminder, overdue, supervision"
    );
    // The water company's ladder ended with its opinion.
    assert!(opinion_steps(water_name.clone()).await.is_empty());
    assert_eq!(level("gsgs").await, 0);
    assert_eq!(
        queued(
            &app,
            "case.opinion_reminder",
            &code,
            Some("water@example.cn")
        )
        .await,
        0
    );

    // The transferred case's co-handler heard nothing.
    assert!(
        actions(&app, "daqing", &moved, &["opinion_"])
            .await
            .is_empty()
    );

    // The department figures: both co-handled it; water gave its opinion
    // on time, traffic's went overdue.
    let (_, figures) = app
        .get_json(&format!(
            "/tenants/daqing/stats/departments?to={}",
            (Utc::now() + Duration::days(40)).date_naive()
        ))
        .await;
    let of = |code: &str| {
        figures
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["department"] == code)
            .unwrap_or_else(|| panic!("no {code} in {figures}"))
            .clone()
    };
    let counters = |s: Value| {
        [
            "co_handled",
            "opinions",
            "opinions_on_time",
            "opinions_overdue",
        ]
        .map(|k| s[k].as_i64().unwrap_or(-1))
    };
    assert_eq!(counters(of("jtj")), [2, 0, 0, 1], "{figures}");
    assert_eq!(counters(of("gsgs")), [1, 1, 1, 0], "{figures}");
    assert_eq!(counters(of("rlgs")), [0, 0, 0, 0], "{figures}");
    // The rollup still equals a recount from the timelines.
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");
}
on_both_backends!(co_handlers_opinions_climb_their_ladder);

/// Rate an answer with the case's secret.
async fn rate(app: &TestApp, code: &str, secret: &str, rating: &str) -> Value {
    let resp = app
        .client
        .post(app.api(&format!("/tenants/daqing/cases/{code}/rating")))
        .header("X-Case-Secret", secret)
        .json(&json!({"rating": rating}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

/// Answers nobody rates close by themselves after the city's working days
/// (Daqing set to 2, Springfield the default 7); rated ones do not. A case
/// reopened after its deadline gets a new one, and its ladder runs to it.
async fn unrated_answers_close_and_reopened_cases_get_a_new_deadline(backend: Backend) {
    let app = spawn_app_with(backend, NO_WORKER).await;
    // Before anything reads the city (the server keeps it a few seconds).
    app.platform_query(
        "UPDATE tenants SET publication = '{\"close_unrated_after_days\": 2}' WHERE slug = 'daqing'",
    )
    .await;
    let boss = staff_with_email(&app, "daqing", "boss", &["city-admin"], &[]).await;
    let mayor = staff_with_email(&app, "springfield", "mayor", &["city-admin"], &[]).await;
    let (status, hook) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/webhooks",
            &json!({"url": "http://127.0.0.1:9/closed", "events": ["case.closed"]}),
        )
        .await;
    assert_eq!(status, 201, "{hook}");

    let (unrated, _, _) = submit(&app, &heating("暖气不热，答复后没有评价", None)).await;
    let (reopened, secret, first_deadline) =
        submit(&app, &heating("暖气不热，答复不满意", None)).await;
    let (satisfied, satisfied_secret, _) = submit(&app, &heating("暖气不热，答复满意", None)).await;
    for code in [&unrated, &reopened, &satisfied] {
        staff_act(&app, &boss, "daqing", code, "accept", None).await;
        staff_act(
            &app,
            &boss,
            "daqing",
            code,
            "assign",
            Some(&json!({"lead": "rlgs"})),
        )
        .await;
        let (status, body) = staff_act(
            &app,
            &boss,
            "daqing",
            code,
            "answer",
            Some(&json!({"text": "已派人检修，供热恢复。"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, created) = app
        .send_json(
            Method::POST,
            "/tenants/springfield/cases",
            &json!({"category": "pothole", "title": "Pothole on Elm", "text": "A deep pothole on Elm Street by the school.",
                    "attributes": {"size": ["large"]}, "public": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let elm = created["tracking_code"].as_str().unwrap().to_owned();
    for (action, body) in [
        ("accept", None),
        ("assign", Some(json!({"lead": "pw-streets"}))),
        (
            "answer",
            Some(json!({"text": "A crew filled it this morning."})),
        ),
    ] {
        let (status, out) =
            staff_act(&app, &mayor, "springfield", &elm, action, body.as_ref()).await;
        assert_eq!(status, 200, "{out}");
    }

    // The satisfied rating closes its case; the unsatisfied one, given
    // after the case's deadline passed, reopens it with a new deadline:
    // the category's five working days from the reopen.
    rate(&app, &satisfied, &satisfied_secret, "satisfied").await;
    let past = first_deadline - Duration::days(10);
    app.platform_query(&format!(
        "UPDATE cases SET answer_deadline = '{}' WHERE tracking_code = '{reopened}'",
        past.to_rfc3339()
    ))
    .await;
    let detail = rate(&app, &reopened, &secret, "unsatisfied").await;
    assert_eq!(detail["case"]["state"], "in_progress", "{detail}");
    let new_deadline = at(&detail["case"]["answer_deadline"]);
    let entries = timeline(&app, "daqing", &reopened).await;
    let reopen = entries.iter().find(|e| e["action"] == "reopen").unwrap();
    assert_eq!(
        new_deadline,
        deadline(&app, "daqing", at(&reopen["at"]), 5).await
    );
    assert_ne!(new_deadline, past);
    assert_eq!(at(&reopen["detail"]["answer_deadline"]), new_deadline);

    let answered_at = |code: String, tenant: &'static str| {
        let app = &app;
        async move { at(&staff_view(app, tenant, &code).await["case"]["answered_at"]) }
    };
    let daqing_close = deadline(
        &app,
        "daqing",
        answered_at(unrated.clone(), "daqing").await,
        2,
    )
    .await;
    let springfield_close = deadline(
        &app,
        "springfield",
        answered_at(elm.clone(), "springfield").await,
        7,
    )
    .await;
    assert!(daqing_close < new_deadline && new_deadline < springfield_close);
    let state = |tenant: &'static str, code: String| {
        let app = &app;
        async move {
            staff_view(app, tenant, &code).await["case"]["state"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    // A second before Daqing's two working days are over: still answered.
    worker_at(&app, daqing_close - Duration::seconds(1)).await;
    assert_eq!(state("daqing", unrated.clone()).await, "answered");
    // Then it closes, as the system, through the state machine.
    worker_at(&app, daqing_close).await;
    assert_eq!(state("daqing", unrated.clone()).await, "closed");
    let entries = timeline(&app, "daqing", &unrated).await;
    let closed = entries
        .iter()
        .find(|e| e["action"] == "auto_closed")
        .unwrap_or_else(|| panic!("{entries:?}"));
    assert_eq!(
        (
            closed["actor"].as_str(),
            closed["from_state"].as_str(),
            closed["to_state"].as_str(),
            closed["public"].as_bool(),
            at(&closed["at"])
        ),
        (
            Some("system"),
            Some("answered"),
            Some("closed"),
            Some(true),
            daqing_close
        )
    );
    assert_eq!(queued(&app, "case.closed", &unrated, None).await, 1);
    // Springfield waits seven working days; the rated cases never close
    // by themselves.
    assert_eq!(state("springfield", elm.clone()).await, "answered");
    assert_eq!(state("daqing", reopened.clone()).await, "in_progress");
    for code in [&reopened, &satisfied] {
        assert!(
            actions(&app, "daqing", code, &["auto_closed"])
                .await
                .is_empty()
        );
    }

    // The reopened case's new deadline: overdue then, for that deadline.
    worker_at(&app, new_deadline - Duration::seconds(1)).await;
    assert_eq!(
        actions(&app, "daqing", &reopened, &["overdue"]).await.len(),
        0
    );
    worker_at(&app, new_deadline).await;
    let entries = timeline(&app, "daqing", &reopened).await;
    let overdue = entries
        .iter()
        .find(|e| e["action"] == "overdue")
        .unwrap_or_else(|| panic!("{entries:?}"));
    assert_eq!(at(&overdue["at"]), new_deadline);
    assert_eq!(at(&overdue["detail"]["deadline"]), new_deadline);

    worker_at(&app, springfield_close - Duration::seconds(1)).await;
    assert_eq!(state("springfield", elm.clone()).await, "answered");
    worker_at(&app, springfield_close).await;
    assert_eq!(state("springfield", elm.clone()).await, "closed");
    assert_eq!(state("daqing", reopened.clone()).await, "in_progress");

    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");
}
on_both_backends!(unrated_answers_close_and_reopened_cases_get_a_new_deadline);
