//! Writing rules: a plugin author's path from scaffold to replay over the
//! city's stored cases, and the spam guard example at work.

use crate::flows::staff_view;
use crate::on_both_backends;
use crate::plugins::{HEATING_TEXT, enable, heating_in_other, submit, upload};
use crate::support::{Backend, spawn_app_with};
use chrono::Utc;
use minsheng_plugin_host::examples;
use reqwest::Method;
use serde_json::{Value, json};

/// Daqing's past for a replay: two heating complaints filed under
/// "other" (the petition bureau's) and a street light.
pub(crate) async fn past_cases(app: &crate::support::TestApp) {
    for _ in 0..2 {
        submit(app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    }
    submit(
        app,
        "daqing",
        &json!({"category": "other", "title": "小区路灯坏了", "text": "小区门口的路灯坏了一个月了，晚上很黑。", "public": true}),
    )
    .await;
}

/// Every case of [`past_cases`] is still the petition bureau's (a
/// replay changes nothing).
pub(crate) async fn still_with_the_bureau(app: &crate::support::TestApp) {
    let (_, cases) = app.get_json("/tenants/daqing/cases").await;
    assert!(
        cases["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["department"] == "xfj"),
        "{cases}"
    );
}

/// A plugin author's path: scaffold a rule, build it, run it on a case,
/// and replay a candidate over the city's stored cases before enabling it.
async fn author_workflow(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    past_cases(&app).await;

    let dir = app.dir.path().join("my-rule");
    let dir_arg = dir.to_str().unwrap();
    let (ok, out) = app
        .cli(&["plugin", "new", "my-rule", "--dir", dir_arg])
        .await;
    assert!(ok, "{out}");
    let (ok, out) = app.cli(&["plugin", "new", "Not_A_Name"]).await;
    assert!(!ok && out.contains("lowercase"), "{out}");
    // It builds as it is, for wasm32-wasip2.
    let wasm_dir = examples::build();
    let target = wasm_dir.parent().unwrap().parent().unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = tokio::process::Command::new(cargo)
        .args(["build", "--release", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .await
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let wasm = wasm_dir.join("my_rule.wasm");
    let (ok, out) = app
        .cli(&[
            "plugin",
            "run",
            wasm.to_str().unwrap(),
            "--case",
            dir.join("case.json").to_str().unwrap(),
            "--config",
            dir.join("config.json").to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    assert!(out.contains("\"lead\": \"rlgs\""), "{out}");
    assert!(
        out.contains("fuel used:") && out.contains("peak memory:"),
        "{out}"
    );
    assert!(out.contains("log [info] matched 暖气"), "{out}");

    // A failing rule says how it failed, and the command fails.
    let hostile = dir.join("hostile.json");
    std::fs::write(&hostile, r#"{"mode": "loop"}"#).unwrap();
    let (ok, out) = app
        .cli(&[
            "plugin",
            "run",
            wasm_dir.join("hostile.wasm").to_str().unwrap(),
            "--case",
            dir.join("case.json").to_str().unwrap(),
            "--config",
            hostile.to_str().unwrap(),
        ])
        .await;
    assert!(!ok && out.contains("ran out of fuel"), "{out}");

    // Replay the Daqing router over the city's cases: both heating
    // complaints would have gone to the heating company.
    let config = dir.join("router.json");
    std::fs::write(&config, examples::config("daqing-router").to_string()).unwrap();
    let today = Utc::now().date_naive().pred_opt().unwrap().to_string();
    let (ok, out) = app
        .cli(&[
            "plugin",
            "replay",
            wasm_dir.join("daqing_router.wasm").to_str().unwrap(),
            "--tenant",
            "daqing",
            "--since",
            &today,
            "--config",
            config.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    assert!(out.contains("3 case(s): 2 would change, 0 failed"), "{out}");
    assert_eq!(out.matches("department xfj → rlgs").count(), 2, "{out}");
    // Replay changes nothing.
    still_with_the_bureau(&app).await;
}
on_both_backends!(author_workflow);

/// The spam guard: a repeat of a recent title is marked as its duplicate
/// (the host's indexed lookup, scoped to the city), advertising is held.
async fn spam_guard_marks_repeats_and_holds_spam(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let guard = upload(&app, "daqing", "spam-guard").await;
    enable(
        &app,
        "daqing",
        &guard["id"],
        json!({"spam_words": ["代开发票"]}),
    )
    .await;
    let first = submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    // The same title in another city is not a repeat of daqing's.
    let (status, _) = app
        .send_json(
            Method::POST,
            "/tenants/springfield/cases",
            &json!({"category": "pothole", "attributes": {"size": ["small"]},
                    "title": "家里暖气不热，室温太低", "text": "A pothole on Main Street.", "public": true}),
        )
        .await;
    assert_eq!(status, 201);
    let again = submit(&app, "daqing", &heating_in_other(HEATING_TEXT)).await;
    let case = staff_view(&app, "daqing", &again).await;
    assert_eq!(case["flags"]["duplicate_of"], first.as_str(), "{case}");
    assert_eq!(case["flags"]["tags"], json!(["duplicate"]));
    let first_case = staff_view(&app, "daqing", &first).await;
    assert_eq!(first_case["flags"]["duplicate_of"], Value::Null);

    let spam = submit(
        &app,
        "daqing",
        &json!({"category": "other", "title": "代开发票联系我", "text": "代开各类发票，代开发票，价格优惠，欢迎来电。", "public": true}),
    )
    .await;
    let case = staff_view(&app, "daqing", &spam).await;
    assert_eq!(case["flags"]["spam"], true);
    assert_eq!(case["public"], false, "held until a person looks");
    assert!(
        case["flags"]["held"][0].as_str().unwrap().contains("spam"),
        "{case}"
    );
}
on_both_backends!(spam_guard_marks_repeats_and_holds_spam);
