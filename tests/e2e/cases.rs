//! Cases end to end: the article's story, illegal transitions, idempotent
//! retries, and isolation by tracking code.

use crate::on_both_backends;
use crate::support::{Auth, Backend, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

pub(crate) const CLOSED: &[(&str, &str)] = &[("MINSHENG_DEV_OPEN_ADMIN", "0")];

pub(crate) async fn json_call(
    app: &crate::support::TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let (status, text) = app.call(auth, method, path, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// 东城领秀 C-22 栋 2 单元: cold heating, routed to the Longfeng district
/// urban management bureau, transferred to the city heating company,
/// answered, rated satisfied.
async fn the_articles_story(backend: Backend) {
    let app = spawn_app_with(backend, CLOSED).await;
    app.staff("daqing", "dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("daqing", "longfeng", &["department-admin"], &["lfq-cgj"])
        .await;
    app.staff("daqing", "heating", &["department-admin"], &["rlgs"])
        .await;
    let dispatcher = app.login_ok(Some("daqing"), "dispatcher").await;
    let longfeng = app.login_ok(Some("daqing"), "longfeng").await;
    let heating = app.login_ok(Some("daqing"), "heating").await;
    let citizen = Auth::default();

    let before: Value = app.get_json("/tenants/daqing/stats").await.1;

    let complaint = crate::flows::heating_complaint();
    let (status, created) = json_call(
        &app,
        &citizen,
        Method::POST,
        "/tenants/daqing/cases",
        Some(&complaint),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let code = created["tracking_code"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(crate::support::tracking_code_shape(&code), "{code}");
    let case = |suffix: &str| format!("/tenants/daqing/cases/{code}{suffix}");

    let (status, body) = json_call(&app, &dispatcher, Method::POST, &case("/accept"), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = json_call(
        &app,
        &dispatcher,
        Method::POST,
        &case("/assign"),
        Some(&json!({"lead": "lfq-cgj"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["case"]["department"], "lfq-cgj");
    // The heating company cannot answer a case it does not lead.
    let (status, _) = json_call(
        &app,
        &heating,
        Method::POST,
        &case("/answer"),
        Some(&json!({"text": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = json_call(
        &app,
        &longfeng,
        Method::POST,
        &case("/transfer"),
        Some(&json!({"to": "rlgs", "reason": "该楼由市热力公司供热"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = json_call(&app, &heating, Method::POST, &case("/start"), None).await;
    assert_eq!(status, 200);
    let (status, _) = json_call(
        &app,
        &heating,
        Method::POST,
        &case("/notes"),
        Some(&json!({"text": "技术员张师傅联系业主 13900001111"})),
    )
    .await;
    assert_eq!(status, 204);
    let answer = "经市热力公司技术人员入户检查，温控阀损坏，已修复，供热已恢复正常。";
    let (status, body) = json_call(
        &app,
        &heating,
        Method::POST,
        &case("/answer"),
        Some(&json!({"text": answer})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["case"]["state"], "answered");

    // Rating needs the secret.
    let (status, _) = json_call(
        &app,
        &citizen,
        Method::POST,
        &case("/rating"),
        Some(&json!({"rating": "satisfied"})),
    )
    .await;
    assert_eq!(status, 403);
    let owner = reqwest::Client::new();
    let resp = owner
        .post(app.api(&case("/rating")))
        .header("x-case-secret", &secret)
        .json(&json!({"rating": "satisfied", "comment": "师傅很负责"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let rated: Value = resp.json().await.unwrap();
    assert_eq!(rated["case"]["state"], "closed");
    assert_eq!(rated["case"]["rating"], "satisfied");

    // The public sees the story and nothing private.
    let (status, public) = app.get_json(&case("")).await;
    assert_eq!(status, 200);
    let text = public.to_string();
    for private in ["王女士", "13900001111", "张师傅", "师傅很负责"] {
        assert!(!text.contains(private), "{private} leaked: {text}");
    }
    assert_eq!(public["case"]["answer"], answer);
    assert_eq!(public["case"]["department_name"], "市热力公司");
    let actions: Vec<&str> = public["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "submitted",
            "accept",
            "assign",
            "transfer",
            "start",
            "answer",
            "rated",
            "close"
        ]
    );
    let departments: Vec<&str> = public["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["department"].as_str())
        .collect();
    assert!(
        departments.contains(&"龙凤区城管局") && departments.contains(&"市热力公司"),
        "{departments:?}"
    );
    assert!(
        public["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"].is_null())
    );
    // Staff see the internal note and the contact.
    let (_, staff) = json_call(&app, &heating, Method::GET, &case(""), None).await;
    assert_eq!(staff["contact_name"], "王女士");
    assert!(staff.to_string().contains("张师傅"));

    // The statistics show exactly this case.
    let after: Value = app.get_json("/tenants/daqing/stats").await.1;
    for (field, delta) in [
        ("received", 1),
        ("accepted", 1),
        ("answered", 1),
        ("rated", 1),
    ] {
        assert_eq!(
            after[field].as_i64().unwrap() - before[field].as_i64().unwrap(),
            delta,
            "{field}"
        );
    }
    assert_eq!(after["satisfaction_rate"], 1.0);
    assert_eq!(after["on_time_rate"], 1.0);
    let (_, departments) = app.get_json("/tenants/daqing/stats/departments").await;
    let heating_stats = departments
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"] == "rlgs")
        .unwrap();
    assert_eq!(heating_stats["answered"], 1);
    assert_eq!(heating_stats["rated"], 1);
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");

    // The public list has it; another city's path does not.
    let (_, list) = app
        .get_json("/tenants/daqing/cases?category=heating-cold&state=closed")
        .await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["tracking_code"] == code.as_str())
    );
    let (status, _) = app
        .get_json(&format!("/tenants/springfield/cases/{code}"))
        .await;
    assert_eq!(status, 404);
    let resp = owner
        .post(app.api(&format!("/tenants/springfield/cases/{code}/rating")))
        .header("x-case-secret", &secret)
        .json(&json!({"rating": "unsatisfied"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        404,
        "the secret works in its own city only"
    );
}
on_both_backends!(the_articles_story);

async fn illegal_transitions_and_reopen(backend: Backend) {
    let app = spawn_app_with(backend, CLOSED).await;
    app.staff("daqing", "chief", &["city-admin"], &[]).await;
    let chief = app.login_ok(Some("daqing"), "chief").await;
    let body = json!({"category": "heating-cold", "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]}, "title": "暖气不热测试", "text": "测试非法状态转换的问题内容。"});
    let (_, created) = json_call(
        &app,
        &Auth::default(),
        Method::POST,
        "/tenants/daqing/cases",
        Some(&body),
    )
    .await;
    let code = created["tracking_code"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let case = |suffix: &str| format!("/tenants/daqing/cases/{code}{suffix}");

    // Submitted: only accept and reject.
    for (path, body) in [
        ("/assign", Some(json!({}))),
        ("/start", None),
        ("/answer", Some(json!({"text": "答复"}))),
        ("/close", None),
        (
            "/transfer",
            Some(json!({"to": "jtj", "reason": "原因说明"})),
        ),
        (
            "/extension",
            Some(json!({"working_days": 3, "reason": "需要更多时间"})),
        ),
        ("/extension/decision", Some(json!({"approve": true}))),
        ("/return", Some(json!({"reason": "原因说明"}))),
    ] {
        let (status, err) = json_call(&app, &chief, Method::POST, &case(path), body.as_ref()).await;
        assert_eq!(status, 409, "{path}: {err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("allowed now: accept, reject"),
            "{err}"
        );
    }
    for path in ["/accept", "/assign", "/start"] {
        let (status, err) =
            json_call(&app, &chief, Method::POST, &case(path), Some(&json!({}))).await;
        assert_eq!(status, 200, "{path}: {err}");
    }
    // An extension moves the answer deadline by working days.
    let (_, before) = json_call(&app, &chief, Method::GET, &case(""), None).await;
    let (status, body) = json_call(
        &app,
        &chief,
        Method::POST,
        &case("/extension"),
        Some(&json!({"working_days": 5, "reason": "需要协调多个部门"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = json_call(
        &app,
        &chief,
        Method::POST,
        &case("/extension"),
        Some(&json!({"working_days": 5, "reason": "再次申请"})),
    )
    .await;
    assert_eq!(status, 409, "one pending extension at a time: {body}");
    let (status, after) = json_call(
        &app,
        &chief,
        Method::POST,
        &case("/extension/decision"),
        Some(&json!({"approve": true})),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert!(
        after["case"]["answer_deadline"].as_str().unwrap()
            > before["case"]["answer_deadline"].as_str().unwrap()
    );

    // Unsatisfied reopens once; the second unsatisfied rating closes.
    let rate = |rating: &'static str| {
        let client = reqwest::Client::new();
        let (url, secret) = (app.api(&case("/rating")), secret.clone());
        async move {
            let resp = client
                .post(url)
                .header("x-case-secret", secret)
                .json(&json!({"rating": rating}))
                .send()
                .await
                .unwrap();
            (
                resp.status().as_u16(),
                resp.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let (status, _) = rate("unsatisfied").await;
    assert_eq!(status, 409, "nothing to rate before an answer");
    json_call(
        &app,
        &chief,
        Method::POST,
        &case("/answer"),
        Some(&json!({"text": "已处理"})),
    )
    .await;
    let (status, body) = rate("unsatisfied").await;
    assert_eq!(
        (status, body["case"]["state"].as_str()),
        (200, Some("in_progress")),
        "{body}"
    );
    json_call(
        &app,
        &chief,
        Method::POST,
        &case("/answer"),
        Some(&json!({"text": "再次处理完毕"})),
    )
    .await;
    let (status, body) = rate("unsatisfied").await;
    assert_eq!(
        (status, body["case"]["state"].as_str()),
        (200, Some("closed")),
        "{body}"
    );
    let (status, _) = rate("satisfied").await;
    assert_eq!(status, 409, "one rating per answer");
    let (status, err) = json_call(&app, &chief, Method::POST, &case("/accept"), None).await;
    assert_eq!(status, 409);
    assert!(
        err["message"].as_str().unwrap().contains("nothing"),
        "{err}"
    );
}
on_both_backends!(illegal_transitions_and_reopen);

async fn idempotent_submission(backend: Backend) {
    let app = spawn_app_with(backend, CLOSED).await;
    let body = json!({"category": "heating-cold", "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]}, "title": "重复提交测试", "text": "网络不好时重复提交同一个问题。"});
    let post = |key: &'static str, body: Value| {
        let client = reqwest::Client::new();
        let url = app.api("/tenants/daqing/cases");
        async move {
            let resp = client
                .post(url)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                resp.status().as_u16(),
                resp.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let (first_status, first) = post("key-1", body.clone()).await;
    assert_eq!(first_status, 201);
    let (again_status, again) = post("key-1", body.clone()).await;
    assert_eq!(again_status, 200);
    assert_eq!(first, again, "the same answer, secret included");
    let mut other = body.clone();
    other["title"] = json!("另一个问题标题");
    let (status, err) = post("key-1", other).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["errors"][0]["field"], "Idempotency-Key");

    // Two requests at once with one key: one case.
    let (a, b) = tokio::join!(post("key-2", body.clone()), post("key-2", body.clone()));
    assert_eq!(a.1["tracking_code"], b.1["tracking_code"], "{a:?} {b:?}");
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 201]);
    let (_, list) = app.get_json("/tenants/daqing/cases?page_size=100").await;
    let titles = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["title"] == "重复提交测试")
        .count();
    assert_eq!(titles, 2, "key-1 and key-2 made one case each");

    // Bad input is a 422 naming every field.
    let (status, err) = json_call(
        &app,
        &Auth::default(),
        Method::POST,
        "/tenants/daqing/cases",
        Some(&json!({"category": "nope", "title": "x", "text": "short", "latitude": 91.0, "longitude": 0.0, "contact_email": "bad"})),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["category", "title", "text", "latitude", "contact_email"]
    );
}
on_both_backends!(idempotent_submission);

/// Over a randomized history of more than 1,000 operations (submissions,
/// every kind of staff action, ratings, reopenings, views) the rollup the
/// pages read equals a full recount.
async fn counters_equal_recount(backend: Backend) {
    let app = spawn_app_with(backend, CLOSED).await;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let (ok, out) = app
        .cli(&[
            "demo", "seed", "--tenant", "daqing", "--cases", "200", "--seed", &seed,
        ])
        .await;
    assert!(ok, "{out}");
    let before = &out[..out
        .find(" operations")
        .unwrap_or_else(|| panic!("no operation count in {out}"))];
    let operations: usize = before
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        operations >= 1000,
        "only {operations} operations (seed {seed})"
    );
    // Readers add views through the API too.
    let (_, list) = app.get_json("/tenants/daqing/cases?page_size=5").await;
    for case in list["items"].as_array().unwrap() {
        app.get_json(&format!(
            "/tenants/daqing/cases/{}",
            case["tracking_code"].as_str().unwrap()
        ))
        .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (ok, out) = app.cli(&["stats", "check", "--tenant", "daqing"]).await;
    assert!(ok, "seed {seed}: {out}");
    let (_, stats) = app.get_json("/tenants/daqing/stats?from=2020-01-01").await;
    assert_eq!(stats["received"], 200);
    assert!(
        stats["satisfaction_rate"].as_f64().unwrap() > 0.8,
        "{stats}"
    );
}
on_both_backends!(counters_equal_recount);
