//! Acting on likely duplicates (并单), on both databases: staff merge a
//! duplicate into its main case from the staff case page (a plain form)
//! and through the API; the duplicate is closed with a link, its citizen
//! sees "merged into <code>" and then the main case's answer; both
//! timelines say so; the statistics count the two once (and still equal
//! a recount); the audit log has it; nothing is deleted. "Not a
//! duplicate" is remembered. Another city's case can never be merged
//! into or from (404), and bad requests are 4xx.

use crate::flows::{staff_act, staff_view, submit_case};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app};
use crate::workbench::{page, post};
use serde_json::{Value, json};

fn case(title: &str, text: &str) -> Value {
    json!({ "category": "other", "title": title, "text": text, "public": true })
}

/// The staff case page as `auth` sees it.
async fn staff_page(app: &TestApp, auth: &Auth, code: &str) -> String {
    let (status, html) = page(app, auth, &format!("/t/daqing/staff/cases/{code}")).await;
    assert_eq!(status, 200);
    html
}

/// Post a form of the staff case page: its status and `Location`.
async fn post_form(
    app: &TestApp,
    auth: &Auth,
    code: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    post(app, auth, &format!("/t/daqing/staff/cases/{code}"), fields).await
}

/// A merge or "not a duplicate" through the API (the open dev operator).
async fn api(app: &TestApp, tenant: &str, code: &str, action: &str, body: Value) -> (u16, Value) {
    staff_act(app, &Auth::default(), tenant, code, action, Some(&body)).await
}

async fn received(app: &TestApp) -> i64 {
    let (status, stats) = app.get_json("/tenants/daqing/stats").await;
    assert_eq!(status, 200, "{stats}");
    stats["received"].as_i64().unwrap()
}

fn actions(view: &Value) -> Vec<String> {
    view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn merge_and_not_a_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    let main = submit_case(
        &app,
        "daqing",
        &case(
            "南一路饭店老板拖欠工资跑路",
            "我在南一路一家饭店打工，老板欠了两个月工资后关门跑了。",
        ),
    )
    .await;
    let copy = submit_case(
        &app,
        "daqing",
        &json!({
            "category": "other",
            "title": "南一路饭店老板拖欠工资跑路",
            "text": "您好，我在南一路一家饭店打工，老板欠了两个月工资后关门跑了！请尽快处理。",
            "public": false,
            "contact_email": "worker@example.cn",
        }),
    )
    .await;
    let reworded = submit_case(
        &app,
        "daqing",
        &case(
            "南一路饭店老板欠薪跑了",
            "南一路那个饭店的老板欠了我两个月工资，现在饭店关了人也找不到。",
        ),
    )
    .await;
    let elsewhere = submit_case(
        &app,
        "springfield",
        &case(
            "南一路饭店老板拖欠工资跑路",
            "我在南一路一家饭店打工，老板欠了两个月工资后关门跑了。",
        ),
    )
    .await;
    assert_eq!(received(&app).await, 3);
    // Offered as the worker kept them.
    scanned_for_duplicates(&app).await;
    app.staff("daqing", "dq-merge", &["dispatcher"], &[]).await;
    let staff = app.login_ok(Some("daqing"), "dq-merge").await;

    // The page offers both actions for each likely duplicate.
    let html = staff_page(&app, &staff, &main.code).await;
    for code in [&copy.code, &reworded.code] {
        assert!(
            html.contains(&format!("data-testid=\"merge-{code}\"")),
            "{html}"
        );
        assert!(
            html.contains(&format!("data-testid=\"not-duplicate-{code}\"")),
            "{html}"
        );
    }

    // Another city's case is never merged into, nor merged from (404).
    let auth = Auth::default();
    let (status, body) = api(
        &app,
        "daqing",
        &copy.code,
        "merge",
        json!({ "into": elsewhere.code }),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = api(
        &app,
        "springfield",
        &elsewhere.code,
        "merge",
        json!({ "into": main.code }),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = post_form(
        &app,
        &staff,
        &main.code,
        &[("op", "merge"), ("other", &elsewhere.code)],
    )
    .await;
    assert_eq!(status, 404);
    // Bad requests: into itself (422), no body field (400).
    let (status, body) = api(
        &app,
        "daqing",
        &copy.code,
        "merge",
        json!({ "into": copy.code }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = api(&app, "daqing", &copy.code, "merge", json!({})).await;
    assert_eq!(status, 400);
    // Citizens and other roles may not merge (as every staff action).
    app.staff("daqing", "dq-viewer", &["department-staff"], &["rlgs"])
        .await;
    let viewer = app.login_ok(Some("daqing"), "dq-viewer").await;
    let (status, _) = app
        .call(
            &viewer,
            reqwest::Method::POST,
            &format!("/tenants/daqing/cases/{}/merge", copy.code),
            Some(&json!({ "into": main.code })),
        )
        .await;
    assert!(matches!(status, 403 | 404), "{status}");
    assert_eq!(
        staff_view(&app, "daqing", &copy.code).await["case"]["state"],
        "submitted"
    );

    // Merge the copy into the main case from the staff page.
    let (status, location) = post_form(
        &app,
        &staff,
        &main.code,
        &[("op", "merge"), ("other", &copy.code)],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.contains("done=merge"), "{location}");
    let dup = staff_view(&app, "daqing", &copy.code).await;
    assert_eq!(dup["case"]["state"], "closed", "{dup}");
    assert_eq!(dup["merged_into"], main.code.as_str(), "{dup}");
    assert!(actions(&dup).contains(&"merged_into".to_owned()), "{dup}");
    let original = staff_view(&app, "daqing", &main.code).await;
    assert!(
        actions(&original).contains(&"merged_from".to_owned()),
        "{original}"
    );
    // No longer offered; counted once, and the rollup equals a recount.
    let html = staff_page(&app, &staff, &main.code).await;
    assert!(
        !html.contains(&format!("duplicate-{}", copy.code)),
        "{html}"
    );
    assert_eq!(received(&app).await, 2);
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");
    // Nothing deleted; the citizen is told by mail; the audit log has it.
    let rows = app
        .platform_query(&format!(
            "SELECT COUNT(*) AS n FROM cases WHERE tracking_code IN ('{}', '{}')",
            main.code, copy.code
        ))
        .await;
    assert_eq!(rows[0].try_get::<i64>("", "n").unwrap(), 2);
    let mails = app
        .platform_query(
            "SELECT COUNT(*) AS n FROM outbox WHERE recipient = 'worker@example.cn' AND event = 'case.merged'",
        )
        .await;
    assert_eq!(mails[0].try_get::<i64>("", "n").unwrap(), 1);
    let audit = app
        .platform_query(&format!(
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'case.merge' AND target = '{} -> {}'",
            copy.code, main.code
        ))
        .await;
    assert_eq!(audit[0].try_get::<i64>("", "n").unwrap(), 1);

    // The citizen's page: merged into the main case, then its answer.
    let page = app
        .client
        .get(app.url(&format!(
            "/t/daqing/track?code={}&secret={}",
            copy.code, copy.secret
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-testid=\"merged-into\""), "{page}");
    assert!(page.contains(&main.code), "{page}");
    for (action, body) in [
        ("accept", None),
        ("assign", Some(json!({ "lead": "gjjt" }))),
        ("start", None),
        (
            "answer",
            Some(json!({ "text": "已责令饭店经营者补发拖欠工资。" })),
        ),
    ] {
        let (status, out) =
            staff_act(&app, &auth, "daqing", &main.code, action, body.as_ref()).await;
        assert_eq!(status, 200, "{action}: {out}");
    }
    let resp = app
        .client
        .get(app.api(&format!("/tenants/daqing/cases/{}", copy.code)))
        .header("x-case-secret", &copy.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let dup: Value = resp.json().await.unwrap();
    assert_eq!(
        dup["merged_answer"], "已责令饭店经营者补发拖欠工资。",
        "{dup}"
    );
    // A closed (merged) case is not merged again (409).
    let (status, body) = api(
        &app,
        "daqing",
        &copy.code,
        "merge",
        json!({ "into": reworded.code }),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    // "Not a duplicate": remembered, not offered again (either side).
    let (status, body) = api(
        &app,
        "daqing",
        &reworded.code,
        "not-duplicate",
        json!({ "other": main.code }),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let html = staff_page(&app, &staff, &main.code).await;
    assert!(
        !html.contains(&format!("duplicate-{}", reworded.code)),
        "{html}"
    );
    let html = staff_page(&app, &staff, &reworded.code).await;
    assert!(
        !html.contains(&format!("duplicate-{}", main.code)),
        "{html}"
    );
    // From the page too, and again without error.
    let (status, location) = post_form(
        &app,
        &staff,
        &reworded.code,
        &[("op", "not_duplicate"), ("other", &main.code)],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (status, body) = api(
        &app,
        "daqing",
        &reworded.code,
        "not-duplicate",
        json!({ "other": elsewhere.code }),
    )
    .await;
    assert_eq!(status, 404, "{body}");
}
on_both_backends!(merge_and_not_a_duplicate);

/// Wait until the worker has looked for the likely duplicates of every
/// case filed so far.
pub async fn scanned_for_duplicates(app: &TestApp) {
    let waited = std::time::Instant::now();
    loop {
        let rows = app
            .platform_query(
                "SELECT COUNT(*) AS n FROM case_search WHERE duplicates_scanned = false",
            )
            .await;
        let n: i64 = rows[0].try_get("", "n").unwrap();
        if n == 0 {
            return;
        }
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(30),
            "{n} case(s) still not scanned for duplicates after 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
