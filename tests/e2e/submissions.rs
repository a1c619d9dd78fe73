//! Submissions under pressure: private cases seen only by their citizen
//! and the city's staff, anonymous floods slowed down, bursts all stored.

use crate::cases::json_call;
use crate::on_both_backends;
use crate::support::{Auth, Backend, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

/// A private case exists only for its citizen and the city's staff; an
/// anonymous flood of submissions is slowed down.
async fn private_cases_and_rate_limits(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "3"),
        ],
    )
    .await;
    app.staff("daqing", "dq-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let body = json!({"category": "heating-cold", "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]}, "title": "私密问题测试", "text": "这个问题包含隐私信息，不公开。",
                      "contact_name": "李先生", "public": false});
    let (status, created) = json_call(
        &app,
        &Auth::default(),
        Method::POST,
        "/tenants/daqing/cases",
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let code = created["tracking_code"].as_str().unwrap();
    let secret = created["secret"].as_str().unwrap();
    let path = format!("/tenants/daqing/cases/{code}");

    let (status, _) = app.get_json(&path).await;
    assert_eq!(status, 404, "a private case is not there for the public");
    let (_, list) = app.get_json("/tenants/daqing/cases").await;
    assert!(!list.to_string().contains(code), "nor in the public list");
    let resp = reqwest::Client::new()
        .get(app.api(&path))
        .header("x-case-secret", secret)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["contact_name"],
        "李先生"
    );
    let dispatcher = app.login_ok(Some("daqing"), "dq-dispatcher").await;
    let (status, detail) = json_call(&app, &dispatcher, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(detail["contact_name"], "李先生");
    let other = app.login_ok(Some("springfield"), "sf-admin").await;
    let (status, _) = json_call(&app, &other, Method::GET, &path, None).await;
    assert_eq!(status, 404, "another city's staff see nothing");

    // Three anonymous submissions a minute from one address; the fourth waits.
    let mut last = (0, reqwest::header::HeaderMap::new());
    for _ in 0..3 {
        let resp = reqwest::Client::new()
            .post(app.api("/tenants/daqing/cases"))
            .json(&body)
            .send()
            .await
            .unwrap();
        last = (resp.status().as_u16(), resp.headers().clone());
    }
    assert_eq!(last.0, 429);
    assert!(last.1.contains_key("retry-after"));
}
on_both_backends!(private_cases_and_rate_limits);

/// Many citizens at once: submissions are written together (group commit),
/// each is answered only once durable, and one that fails inside a shared
/// batch (a reused idempotency key with another body) fails alone.
async fn a_burst_of_submissions(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "100000"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let url = app.api("/tenants/daqing/cases");
    let post = |i: usize, key: Option<&'static str>| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let mut request = client.post(url).json(&json!({
                "category": "heating-cold",
                "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
                "title": format!("同时提交第{i}件"),
                "text": "很多市民同时反映暖气不热的问题。",
            }));
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            let resp = request.send().await.unwrap();
            (
                resp.status().as_u16(),
                resp.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let mut tasks = Vec::new();
    for i in 0..60 {
        tasks.push(tokio::spawn(post(i, None)));
        if i == 30 {
            // Same key, different bodies, in the middle of the burst.
            tasks.push(tokio::spawn(post(1000, Some("burst"))));
            tasks.push(tokio::spawn(post(1001, Some("burst"))));
        }
    }
    let mut codes = std::collections::HashSet::new();
    let mut statuses = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        statuses.push(status);
        if status == 201 {
            assert!(codes.insert(body["tracking_code"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        61,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        1,
        "{statuses:?}"
    );
    for code in codes.iter().take(5) {
        let (status, case) = app.get_json(&format!("/tenants/daqing/cases/{code}")).await;
        assert_eq!(status, 200, "{case}");
        assert_eq!(case["case"]["state"], "submitted");
    }
    let (_, stats) = app.get_json("/tenants/daqing/stats?from=2020-01-01").await;
    assert_eq!(stats["received"], 61, "{stats}");
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");
}
on_both_backends!(a_burst_of_submissions);
