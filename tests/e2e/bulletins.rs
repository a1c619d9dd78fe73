//! Public-opinion bulletins (三情通报), on both databases: when a week has
//! ended the worker publishes each city's weekly bulletin once; its
//! figures equal the city's statistics for that week (and the statistics
//! equal a full recount), its categories add up to the cases received;
//! it stays the same after more cases arrive and the worker runs again;
//! a webhook hears of it; the pages (Chinese and English) and the Atom
//! feed show it; bad input gets a 4xx; and a city's bulletin counts only
//! its own cases.

use crate::flows::{staff_act, submit_case, worker_at};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{Value, json};

fn case(category: &str, title: &str, text: &str) -> Value {
    json!({ "category": category, "title": title, "text": text, "public": true })
}

/// The Monday and Sunday of the city's current week.
async fn this_week(app: &TestApp, tenant: &str) -> (NaiveDate, NaiveDate) {
    let (status, stats) = app.get_json(&format!("/tenants/{tenant}/stats")).await;
    assert_eq!(status, 200, "{stats}");
    let today: NaiveDate = stats["to"].as_str().unwrap().parse().unwrap();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    (monday, monday + Duration::days(6))
}

/// The city's statistics (from the rollup) for a period.
async fn stats(app: &TestApp, tenant: &str, (from, to): (NaiveDate, NaiveDate)) -> Value {
    let (status, body) = app
        .get_json(&format!("/tenants/{tenant}/stats?from={from}&to={to}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The city's weekly bulletin for the week starting `monday`.
async fn weekly(app: &TestApp, tenant: &str, monday: NaiveDate) -> Value {
    let (status, list) = app
        .get_json(&format!("/tenants/{tenant}/bulletins?kind=weekly"))
        .await;
    assert_eq!(status, 200, "{list}");
    let found: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["from"] == json!(monday))
        .collect();
    assert_eq!(found.len(), 1, "one bulletin for the week: {list}");
    let number = found[0]["number"].as_i64().unwrap();
    let (status, bulletin) = app
        .get_json(&format!("/tenants/{tenant}/bulletins/weekly/{number}"))
        .await;
    assert_eq!(status, 200, "{bulletin}");
    bulletin
}

/// A GET of the API as the (open, dev) operator: status and body.
async fn operator_get(app: &TestApp, path: &str) -> (u16, String) {
    app.call(&Auth::default(), Method::GET, path, None).await
}

async fn page(app: &TestApp, path: &str) -> (u16, String, String) {
    let resp = app.client.get(app.url(path)).send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, resp.text().await.unwrap())
}

async fn weekly_bulletins_are_counted_once_and_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let operator = Auth::default();
    let (status, hook) = app
        .call(
            &operator,
            Method::POST,
            "/tenants/daqing/webhooks",
            Some(&json!({"url": "http://127.0.0.1:9/bulletins", "events": ["bulletin.published"]})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");

    let week = this_week(&app, "daqing").await;
    let mut codes = Vec::new();
    for (category, title, text) in [
        (
            "pollution",
            "楼下饭店油烟太大",
            "萨尔图区某小区楼下新开的饭店，每天油烟直冲楼上住户窗户。",
        ),
        (
            "pollution",
            "烧烤店油烟扰民",
            "让胡路区一家烧烤店每天晚上油烟很大，附近居民无法开窗。",
        ),
        (
            "other",
            "路灯不亮",
            "龙凤区某路段路灯已经坏了一个多月，晚上出行很不安全。",
        ),
    ] {
        codes.push(
            submit_case(&app, "daqing", &case(category, title, text))
                .await
                .code,
        );
    }
    for (action, body) in [
        ("accept", None),
        ("assign", Some(json!({ "lead": "rlgs" }))),
        ("start", None),
        (
            "answer",
            Some(json!({ "text": "已责令饭店安装油烟净化设备。" })),
        ),
    ] {
        let (status, out) =
            staff_act(&app, &operator, "daqing", &codes[0], action, body.as_ref()).await;
        assert_eq!(status, 200, "{action}: {out}");
    }
    submit_case(
        &app,
        "springfield",
        &case(
            "other",
            "Streetlight out on Main St",
            "The streetlight at Main and 3rd has been out for weeks.",
        ),
    )
    .await;

    // Nothing is published for a week that has not ended.
    let (_, list) = app.get_json("/tenants/daqing/bulletins?kind=weekly").await;
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["from"] == json!(week.0)),
        "{list}"
    );

    // A week later the worker publishes this week's bulletin.
    let later = Utc::now() + Duration::days(7);
    worker_at(&app, later).await;
    let bulletin = weekly(&app, "daqing", week.0).await;
    let figures = &bulletin["figures"];
    assert_eq!(bulletin["to"], json!(week.1));
    assert_eq!(
        figures["totals"],
        stats(&app, "daqing", week).await,
        "{bulletin}"
    );
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "the rollup is a recount: {out}");
    let received = figures["totals"]["received"].as_i64().unwrap();
    assert!(received >= 3, "{figures}");
    assert!(
        figures["totals"]["answered"].as_i64().unwrap() >= 1,
        "{figures}"
    );
    let by_category: i64 = figures["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["received"].as_i64().unwrap())
        .sum();
    assert_eq!(by_category, received, "categories add up: {figures}");
    let pollution = figures["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "pollution")
        .unwrap_or_else(|| panic!("{figures}"));
    assert!(pollution["received"].as_i64().unwrap() >= 2, "{pollution}");
    assert!(figures["rising_terms"].is_array(), "{figures}");
    let rlgs = figures["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["answered"].as_i64().unwrap() >= 1)
        .unwrap_or_else(|| panic!("a department answered: {figures}"));
    assert!(rlgs["department"].is_string(), "{rlgs}");

    // More cases arrive in the same week and the worker runs again: the
    // statistics move, the bulletin does not, and no second one appears.
    submit_case(
        &app,
        "daqing",
        &case(
            "pollution",
            "又一家饭店油烟",
            "铁人大道一家饭店油烟排放到居民楼里，请处理。",
        ),
    )
    .await;
    worker_at(&app, later + Duration::hours(1)).await;
    let after = stats(&app, "daqing", week).await;
    assert_eq!(after["received"].as_i64().unwrap(), received + 1, "{after}");
    assert_eq!(
        weekly(&app, "daqing", week.0).await,
        bulletin,
        "the bulletin is kept"
    );

    // The webhook heard of it.
    let (status, sent) = operator_get(&app, "/tenants/daqing/notifications").await;
    assert_eq!(status, 200, "{sent}");
    let published: Vec<Value> = serde_json::from_str::<Value>(&sent)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "bulletin.published")
        .cloned()
        .collect();
    assert!(!published.is_empty(), "{sent}");

    // Another city's bulletin counts only its own cases.
    let sweek = this_week(&app, "springfield").await;
    let theirs = weekly(&app, "springfield", sweek.0).await;
    assert_eq!(
        theirs["figures"]["totals"],
        stats(&app, "springfield", sweek).await
    );
    assert_eq!(theirs["figures"]["totals"]["received"], 1, "{theirs}");
    assert!(
        !theirs.to_string().contains("pollution"),
        "no daqing category in springfield's: {theirs}"
    );

    // Pages in Chinese and English, and the feed.
    let number = bulletin["number"].as_i64().unwrap();
    let (status, _, list_page) = page(&app, "/t/daqing/bulletins").await;
    assert_eq!(status, 200);
    assert!(
        list_page.contains(&format!("bulletins/weekly/{number}\"")),
        "{list_page}"
    );
    assert!(list_page.contains("三情通报"), "{list_page}");
    let (status, _, one) = page(&app, &format!("/t/daqing/bulletins/weekly/{number}")).await;
    assert_eq!(status, 200);
    assert!(one.contains(&format!("周报 第{number}期")), "{one}");
    assert!(one.contains("data-code=\"pollution\""), "{one}");
    let snumber = theirs["number"].as_i64().unwrap();
    let (status, _, english) =
        page(&app, &format!("/t/springfield/bulletins/weekly/{snumber}")).await;
    assert_eq!(status, 200);
    assert!(
        english.contains(&format!("Weekly bulletin No. {snumber}")),
        "{english}"
    );
    let (status, kind, feed) = page(&app, "/t/daqing/bulletins.atom").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/atom+xml"), "{kind}");
    assert!(
        feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
        "{feed}"
    );
    assert!(
        feed.contains(&format!("/t/daqing/bulletins/weekly/{number}</id>")),
        "{feed}"
    );
    assert!(!feed.contains("springfield"), "{feed}");

    // Bad input: a clear 4xx, never a 5xx.
    for (path, expected) in [
        ("/tenants/daqing/bulletins?kind=daily", 422),
        ("/tenants/daqing/bulletins/daily/1", 422),
        ("/tenants/daqing/bulletins/weekly/99999", 404),
        ("/tenants/daqing/bulletins/weekly/x", 400),
        ("/tenants/nowhere/bulletins", 404),
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, expected, "{path}: {body}");
    }
    for path in [
        "/t/daqing/bulletins/daily/1",
        "/t/daqing/bulletins/weekly/x",
        "/t/daqing/bulletins/weekly/99999",
    ] {
        let (status, _, _) = page(&app, path).await;
        assert_eq!(status, 404, "{path}");
    }
}

on_both_backends!(weekly_bulletins_are_counted_once_and_kept);

/// Staff see the words rising in their city's cases, in the API and on
/// the performance page; another city's cases never count.
async fn rising_words_for_staff(backend: Backend) {
    let app = spawn_app(backend).await;
    for (title, text) in [
        (
            "小区突然停水",
            "萨尔图区某小区今天早上开始停水，没有任何通知。",
        ),
        (
            "停水两天了",
            "让胡路区某小区已经停水两天，老人孩子生活困难。",
        ),
        (
            "停水什么时候恢复",
            "龙凤区某街道停水，请问什么时候恢复供水？",
        ),
    ] {
        submit_case(&app, "daqing", &case("other", title, text)).await;
    }
    for n in 0..3 {
        submit_case(
            &app,
            "springfield",
            &case(
                "other",
                &format!("Pothole number {n} on Elm St"),
                "A deep pothole on Elm St damaged my tyre.",
            ),
        )
        .await;
    }
    let (status, body) = operator_get(&app, "/tenants/daqing/trends").await;
    assert_eq!(status, 200, "{body}");
    let trends: Value = serde_json::from_str(&body).unwrap();
    let water = trends["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "停水")
        .unwrap_or_else(|| panic!("停水 rises: {trends}"));
    assert_eq!(water["count"], 3, "{water}");
    assert_eq!(water["new"], true, "{water}");
    assert!(!body.contains("pothole"), "no springfield word: {body}");
    let (_, theirs) = operator_get(&app, "/tenants/springfield/trends").await;
    assert!(
        theirs.contains("pothole") && !theirs.contains("停水"),
        "{theirs}"
    );

    // Bad input (who may call it is in the authorization matrix).
    let (status, body) = operator_get(&app, "/tenants/daqing/trends?days=0").await;
    assert_eq!(status, 422, "{body}");

    // On the staff performance page.
    app.staff("daqing", "dq-trends", &["supervisor"], &[]).await;
    let supervisor = app.login_ok(Some("daqing"), "dq-trends").await;
    let (status, html) =
        crate::workbench::page(&app, &supervisor, "/t/daqing/staff/performance").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("上升热词") && html.contains("停水"), "{html}");
}

on_both_backends!(rising_words_for_staff);
