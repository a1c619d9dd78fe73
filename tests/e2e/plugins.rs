//! Rule plugins end to end: real components built from `plugins/examples`,
//! uploaded through the API, run on every submission and by the
//! escalation engine, against the real server on both databases.

use crate::flows::{staff_view, submit_case, worker_at};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use chrono::{DateTime, Utc};
use minsheng_plugin_host::examples;
use reqwest::Method;
use serde_json::{Value, json};

/// The complaint of the article: cold heating, filed under "other" by a
/// citizen who did not find the heating category.
pub(crate) fn heating_in_other(text: &str) -> Value {
    json!({
        "category": "other",
        "title": "家里暖气不热，室温太低",
        "text": text,
        "public": true
    })
}

pub(crate) const HEATING_TEXT: &str = "我家住东城领秀小区C-22栋2单元，入冬以来暖气一直不热，室温只有十几度，老人孩子受不了，请尽快处理。";

pub(crate) async fn upload(app: &TestApp, tenant: &str, name: &str) -> Value {
    let (status, body) = app
        .upload(&Auth::default(), tenant, examples::bytes(name))
        .await;
    assert_eq!(status, 201, "upload {name}: {body}");
    assert_eq!(body["enabled"], false, "uploads start disabled");
    body
}

pub(crate) async fn patch(app: &TestApp, tenant: &str, id: &Value, body: Value) -> (u16, Value) {
    app.send_json(
        Method::PATCH,
        &format!("/tenants/{tenant}/plugins/{}", id.as_str().unwrap()),
        &body,
    )
    .await
}

pub(crate) async fn enable(app: &TestApp, tenant: &str, id: &Value, config: Value) {
    let (status, body) = patch(app, tenant, id, json!({"enabled": true, "config": config})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enabled"], true);
}

pub(crate) async fn submit(app: &TestApp, tenant: &str, body: &Value) -> String {
    submit_case(app, tenant, body).await.code
}

/// Each rule run on a case's timeline: the intake chain's runs (one
/// `rules` entry holds them all) and escalation rules' `rule` entries, as
/// `{public, text, detail}`.
pub(crate) fn rule_runs(case: &Value) -> Vec<Value> {
    let mut runs = Vec::new();
    for e in case["timeline"].as_array().unwrap() {
        if e["action"] == "rule" {
            runs.push(e.clone());
        } else if e["action"] == "rules" {
            for run in e["detail"]["runs"].as_array().unwrap() {
                let text = run["explanation"]
                    .as_str()
                    .or(run["error"].as_str())
                    .unwrap_or("");
                runs.push(json!({"public": e["public"], "text": text, "detail": run}));
            }
        }
    }
    runs
}

/// The public page of a case, as anyone sees it.
async fn public_page(app: &TestApp, tenant: &str, code: &str) -> (u16, String) {
    let resp = app
        .client
        .get(app.url(&format!("/t/{tenant}/cases/{code}")))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn routing_redaction_and_chain_order(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;

    // Without rules the complaint goes where "other" goes: the petition bureau.
    let code = submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    let case = staff_view(&app, "daqing", &code).await;
    assert_eq!(case["case"]["department"], "xfj");
    assert!(rule_runs(&case).is_empty());

    let router = upload(&app, "daqing", "daqing-router").await;
    assert_eq!(router["name"], "daqing-router");
    assert_eq!(router["hook"], "intake");
    assert_eq!(router["needs"], json!(["title", "text", "departments"]));
    // The router's schema needs routes: it cannot be enabled without them.
    let (status, body) = patch(&app, "daqing", &router["id"], json!({"enabled": true})).await;
    assert_eq!(status, 422, "{body}");
    // Every problem of a bad configuration, each at its place.
    let (status, body) = patch(
        &app,
        "daqing",
        &router["id"],
        json!({"config": {"routes": [{"keywords": [], "department": 5}], "colour": "red"}}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"config/routes/0/keywords"), "{body}");
    assert!(fields.contains(&"config/routes/0/department"), "{body}");
    assert!(fields.contains(&"config"), "{body}");
    enable(
        &app,
        "daqing",
        &router["id"],
        examples::config("daqing-router"),
    )
    .await;

    // The same complaint now goes straight to the heating company.
    let code = submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    let case = staff_view(&app, "daqing", &code).await;
    assert_eq!(case["case"]["department"], "rlgs", "{case}");
    assert_eq!(case["case"]["category"], "heating-cold");
    assert_eq!(case["flags"]["priority"], "high");
    assert_eq!(case["flags"]["rule_failed"], false);
    let runs = rule_runs(&case);
    assert_eq!(runs.len(), 1, "{case}");
    assert_eq!(runs[0]["public"], false, "rule runs are internal");
    assert_eq!(runs[0]["detail"]["plugin"], "daqing-router");
    assert_eq!(runs[0]["detail"]["version"], "1.0.0");
    assert!(runs[0]["detail"]["fuel"].as_u64().unwrap() > 0);
    assert!(runs[0]["text"].as_str().unwrap().contains("市热力公司"));
    // …and the public never sees the rule's entry.
    let (status, page) = public_page(&app, "daqing", &code).await;
    assert_eq!(status, 200);
    assert!(!page.contains("→"), "a rule's explanation is public");

    // The redactor hides a phone number before the case is public.
    let redactor = upload(&app, "daqing", "redactor").await;
    assert_eq!(redactor["fail_closed"], true);
    enable(&app, "daqing", &redactor["id"], json!({})).await;
    let text = "暖气不热已经两周了，请热力公司师傅联系我13812345678，白天都在家。";
    let code = submit(&app, "daqing", &heating_in_other(text)).await;
    let (status, page) = public_page(&app, "daqing", &code).await;
    assert_eq!(status, 200);
    assert!(!page.contains("13812345678"), "the number is public");
    assert!(page.contains("[phone]"), "{page}");
    let case = staff_view(&app, "daqing", &code).await;
    assert_eq!(
        case["case"]["text"].as_str().unwrap(),
        text.replace("13812345678", "[phone]")
    );
    assert_eq!(
        case["flags"]["unredacted"]["text"], text,
        "staff keep the original"
    );
    // The router ran first (it was uploaded first), then the redactor.
    let order: Vec<String> = rule_runs(&case)
        .iter()
        .map(|r| r["detail"]["plugin"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["daqing-router", "pii-redactor"]);

    // Chain order: later rules see the case as earlier ones left it. A
    // router that sends cases with a hidden phone number to the hotline
    // only sees "[phone]" when the redactor ran before it.
    let mut config = examples::config("daqing-router");
    config["routes"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"keywords": ["[phone]"], "department": "zwfwj"}));
    let (status, body) = patch(&app, "daqing", &router["id"], json!({"config": config})).await;
    assert_eq!(status, 200, "{body}");
    let code = submit(&app, "daqing", &heating_in_other(text)).await;
    assert_eq!(
        staff_view(&app, "daqing", &code).await["case"]["department"],
        "rlgs"
    );
    let (status, body) = patch(&app, "daqing", &router["id"], json!({"position": 1000})).await;
    assert_eq!(status, 200, "{body}");
    let code = submit(&app, "daqing", &heating_in_other(text)).await;
    let case = staff_view(&app, "daqing", &code).await;
    assert_eq!(case["case"]["department"], "zwfwj", "{case}");
    let order: Vec<String> = rule_runs(&case)
        .iter()
        .map(|r| r["detail"]["plugin"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["pii-redactor", "daqing-router"]);

    // Another city's submissions meet none of daqing's rules.
    let (status, created) = app
        .send_json(
            Method::POST,
            "/tenants/springfield/cases",
            &json!({"category": "pothole", "attributes": {"size": ["small"]},
                    "title": "Pothole, call 13812345678", "text": "A pothole on Main Street; phone 13812345678.",
                    "public": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let other = staff_view(
        &app,
        "springfield",
        created["tracking_code"].as_str().unwrap(),
    )
    .await;
    assert!(rule_runs(&other).is_empty());
    assert!(
        other["case"]["text"]
            .as_str()
            .unwrap()
            .contains("13812345678")
    );
    // …nor can they see or change them.
    let (status, _) = app
        .get_json(&format!(
            "/tenants/springfield/plugins/{}",
            router["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404);
    let (status, _) = patch(
        &app,
        "springfield",
        &router["id"],
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = app.get_json("/tenants/springfield/plugins").await;
    assert_eq!(list, json!([]));

    // Uploads that are not rules, or not rules for this server, are refused
    // with the reason.
    let refused = |name: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app
                .upload(&Auth::default(), "daqing", examples::bytes(name))
                .await;
            assert_eq!(status, 422, "{name}: {body}");
            body["errors"][0]["message"].as_str().unwrap().to_owned()
        }
    };
    let message = refused("future-version").await;
    assert!(
        message.contains("minsheng:rules@2.0.0") && message.contains("minsheng:rules@1.0.0"),
        "{message}"
    );
    let message = refused("hostile-import").await;
    assert!(message.contains("wasi:filesystem"), "{message}");
    let (status, body) = app
        .upload(&Auth::default(), "daqing", b"\0asm\x01\0\0\0".to_vec())
        .await;
    assert_eq!(status, 422);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("core WebAssembly module")
    );
    // The same version twice is a conflict, not a second copy.
    let (status, body) = app
        .upload(&Auth::default(), "daqing", examples::bytes("redactor"))
        .await;
    assert_eq!(status, 409, "{body}");
}
on_both_backends!(routing_redaction_and_chain_order);

/// Each kind of abuse is stopped within its limits; the citizen's case is
/// saved through the fallback, the failure is recorded, another city's
/// submissions at the same time are untouched, and the server stays up.
async fn hostile_plugins_never_block_citizens(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_PLUGIN_FAILURE_LIMIT", "3")]).await;
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/users",
            &json!({"username": "boss", "display_name": "管理员", "email": "boss@daqing.example",
                    "password": crate::support::PASSWORD, "roles": ["city-admin"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let hostile = upload(&app, "daqing", "hostile").await;

    // Springfield keeps submitting the whole time.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let other = {
        let client = app.client.clone();
        let url = app.api("/tenants/springfield/cases");
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut done = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = std::time::Instant::now();
                let resp = client
                    .post(&url)
                    .json(&json!({"category": "pothole", "attributes": {"size": ["small"]},
                                  "title": "Pothole on Elm", "text": "A pothole on Elm Street again.", "public": true}))
                    .send()
                    .await
                    .unwrap();
                done.push((resp.status().as_u16(), started.elapsed()));
            }
            done
        })
    };

    for (mode, kind) in [
        ("loop", "fuel"),
        ("memory", "memory"),
        ("recursion", "stack"),
        ("trap", "panic"),
        ("output", "output"),
        ("bad-department", "invalid"),
        ("error", "rule_error"),
    ] {
        enable(&app, "daqing", &hostile["id"], json!({ "mode": mode })).await;
        let code = submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
        let case = staff_view(&app, "daqing", &code).await;
        assert_eq!(case["case"]["department"], "xfj", "{mode}: default routing");
        assert_eq!(case["flags"]["rule_failed"], true, "{mode}");
        let runs = rule_runs(&case);
        assert_eq!(runs.len(), 1, "{mode}: {case}");
        assert_eq!(runs[0]["detail"]["outcome"], "failed", "{mode}");
        assert_eq!(runs[0]["detail"]["failure"], kind, "{mode}: {}", runs[0]);
        if mode == "trap" {
            assert!(
                runs[0]["text"]
                    .as_str()
                    .unwrap()
                    .contains("gave up on purpose"),
                "{}",
                runs[0]
            );
        }
    }
    // A log flood is capped; whether the fuel or the loop's end comes first,
    // the case is saved.
    enable(
        &app,
        "daqing",
        &hostile["id"],
        json!({ "mode": "log-flood" }),
    )
    .await;
    submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;

    // Three failures in a row disable it, and the city's administrators hear.
    enable(&app, "daqing", &hostile["id"], json!({ "mode": "trap" })).await;
    for _ in 0..3 {
        submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    }
    let (_, view) = app
        .get_json(&format!(
            "/tenants/daqing/plugins/{}",
            hostile["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(view["enabled"], false, "{view}");
    assert_eq!(view["failures"], 3);
    assert!(
        view["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("3 consecutive failures")
    );
    assert!(view["last_error"].as_str().unwrap().contains("panicked"));
    let (_, messages) = app.get_json("/tenants/daqing/notifications").await;
    let notice = messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["event"] == "plugin.disabled")
        .unwrap_or_else(|| panic!("no notice: {messages}"));
    assert_eq!(notice["recipient"], "boss@daqing.example");
    // Disabled, it is no longer run.
    let code = submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    assert!(rule_runs(&staff_view(&app, "daqing", &code).await).is_empty());

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let done = other.await.unwrap();
    assert!(done.len() >= 5, "springfield submitted {}", done.len());
    assert!(done.iter().all(|(s, _)| *s == 201), "{done:?}");
    let slowest = done.iter().map(|(_, d)| *d).max().unwrap();
    assert!(
        slowest < std::time::Duration::from_secs(5),
        "springfield waited {slowest:?}"
    );
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}
on_both_backends!(hostile_plugins_never_block_citizens);

/// A redaction rule that fails holds the case instead of publishing text
/// it should have hidden; staff release it.
async fn failed_redaction_holds_the_case(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let redactor = upload(&app, "daqing", "redactor").await;
    enable(&app, "daqing", &redactor["id"], json!({})).await;
    // Limits outside the platform's maxima are refused.
    let (status, body) = app
        .send_json(
            Method::PUT,
            "/tenants/daqing/plugin-limits",
            &json!({"fuel": 10_000_000_000u64, "memory_bytes": 1, "timeout_ms": 100, "log_bytes": 4096, "output_bytes": 65536}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["fuel", "memory_bytes"]);
    // Far too little fuel for the redactor to finish.
    let (status, body) = app
        .send_json(
            Method::PUT,
            "/tenants/daqing/plugin-limits",
            &json!({"fuel": 1_000, "memory_bytes": 16_777_216, "timeout_ms": 100, "log_bytes": 4096, "output_bytes": 65536}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let text = "暖气不热，请联系13812345678。";
    let code = submit(&app, "daqing", &heating_in_other(text)).await;
    let (status, _) = public_page(&app, "daqing", &code).await;
    assert_eq!(status, 404, "held cases are not public");
    let case = staff_view(&app, "daqing", &code).await;
    assert_eq!(case["flags"]["rule_failed"], true);
    assert_eq!(case["public"], false);
    assert!(
        case["flags"]["held"][0]
            .as_str()
            .unwrap()
            .contains("pii-redactor"),
        "{case}"
    );
    assert_eq!(rule_runs(&case)[0]["detail"]["failure"], "fuel");

    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/tenants/daqing/cases/{code}/release"),
            &json!({}),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    let case = staff_view(&app, "daqing", &code).await;
    assert_eq!(case["public"], true);
    assert_eq!(case["flags"]["held"], Value::Null);
    let (status, _) = public_page(&app, "daqing", &code).await;
    assert_eq!(status, 200);
    // Released once; again is a conflict.
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/tenants/daqing/cases/{code}/release"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409);
}
on_both_backends!(failed_redaction_holds_the_case);

/// The escalation ladder rule, called by the engine when the deadline
/// passes and again at supervision; exactly once however often workers run.
async fn escalation_rules_act_once(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_WORKER", "0")]).await;
    let ladder = upload(&app, "daqing", "escalation-ladder").await;
    assert_eq!(ladder["hook"], "escalation");
    enable(&app, "daqing", &ladder["id"], json!({})).await;
    let (status, created) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/cases",
            &heating_in_other(HEATING_TEXT),
        )
        .await;
    assert_eq!(status, 201);
    let code = created["tracking_code"].as_str().unwrap().to_owned();
    let deadline: DateTime<Utc> = created["answer_deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // Just past the deadline: overdue, and the rule raises the priority.
    for _ in 0..2 {
        worker_at(&app, deadline + chrono::Duration::seconds(1)).await;
    }
    let case = staff_view(&app, "daqing", &code).await;
    let runs = rule_runs(&case);
    let passed: Vec<_> = runs
        .iter()
        .filter(|r| r["detail"]["event"] == "deadline-passed")
        .collect();
    assert_eq!(passed.len(), 1, "exactly once: {runs:?}");
    assert_eq!(passed[0]["detail"]["outcome"], "ok");
    assert_eq!(case["flags"]["priority"], "high");
    // The reminder ran the rule too, before it.
    assert!(
        runs.iter()
            .any(|r| r["detail"]["event"] == "deadline-approaching"),
        "{runs:?}"
    );

    // At supervision the case is already overdue: the rule supervises it.
    worker_at(&app, deadline + chrono::Duration::days(10)).await;
    let case = staff_view(&app, "daqing", &code).await;
    let actions: Vec<String> = rule_runs(&case)
        .iter()
        .flat_map(|r| {
            r["detail"]["actions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert!(
        actions.iter().any(|a| a.starts_with("supervise")),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a.starts_with("notify:")),
        "{actions:?}"
    );
    let (_, stats) = app
        .get_json(&format!(
            "/tenants/daqing/stats?from={}&to={}",
            Utc::now().date_naive(),
            (deadline + chrono::Duration::days(30)).date_naive()
        ))
        .await;
    assert!(stats["supervised"].as_i64().unwrap() >= 1, "{stats}");
    // The rollup still equals a recount from the timelines.
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");
}
on_both_backends!(escalation_rules_act_once);
