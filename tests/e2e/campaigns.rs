//! Campaigns (惠民工程) end to end: a campaign through every phase, a
//! working group's answers drafted and published in bulk, a not-adopted
//! answer without a reason refused, two suggestions merged and turned into
//! a project whose progress and milestones show on its page and on both
//! suggestions' pages, the figures against a recount from other
//! endpoints, webhooks, open data, and one city's campaign never seen
//! under another.

use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let (status, text) = app.call(auth, method, path, body.as_ref()).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(app: &TestApp, auth: &Auth, path: &str) -> (u16, Value) {
    call(app, auth, Method::GET, path, None).await
}

async fn post(app: &TestApp, auth: &Auth, path: &str, body: Value) -> (u16, Value) {
    call(app, auth, Method::POST, path, Some(body)).await
}

fn suggestion(category: &str, title: &str, public: bool) -> Value {
    json!({
        "category": category,
        "title": title,
        "text": format!("{title}。这是市民在惠民工程建议征集中提出的建议，请研究采纳。"),
        "contact_phone": "13900002222",
        "public": public
    })
}

/// Submit anonymously; the tracking code.
async fn submit(app: &TestApp, tenant: &str, campaign: &str, body: Value) -> String {
    let (status, created) = post(
        app,
        &Auth::default(),
        &format!("/tenants/{tenant}/campaigns/{campaign}/suggestions"),
        body,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["tracking_code"].as_str().unwrap().to_owned()
}

async fn advance(app: &TestApp, admin: &Auth, base: &str, phase: &str) {
    let (status, body) = post(
        app,
        admin,
        &format!("{base}/phase"),
        json!({"phase": phase}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["phase"], phase);
}

/// A city without the open development admin, and its people.
async fn city(backend: Backend) -> (TestApp, Auth, Auth, Auth) {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    app.staff("daqing", "dq-rlgs", &["department-staff"], &["rlgs"])
        .await;
    app.staff("daqing", "dq-cgj", &["department-staff"], &["cgj"])
        .await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let rlgs = app.login_ok(Some("daqing"), "dq-rlgs").await;
    let cgj = app.login_ok(Some("daqing"), "dq-cgj").await;
    (app, admin, rlgs, cgj)
}

async fn create_campaign(
    app: &TestApp,
    admin: &Auth,
    tenant: &str,
    slug: &str,
    themes: &[&str],
) -> String {
    let (status, body) = post(
        app,
        admin,
        &format!("/tenants/{tenant}/campaigns"),
        json!({
            "slug": slug,
            "title": "2012年惠民工程建议征集",
            "description": "请市民为2012年的惠民工程提出建议，三个月内事事有回音。",
            "budget_fen": 286_000_000_000_i64,
            "answer_days": 10,
            "themes": themes,
            "schedule": {"collecting": "2012-03-01", "answering": "2012-06-01"}
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["phase"], "draft");
    format!("/tenants/{tenant}/campaigns/{slug}")
}

/// The figures a campaign keeps on its row, checked against a recount
/// from its rows (the open data counts them); the figures.
async fn kept_figures(app: &TestApp, base: &str) -> Value {
    let anon = Auth::default();
    let (status, campaign) = get(app, &anon, base).await;
    assert_eq!(status, 200, "{campaign}");
    let (status, data) = get(app, &anon, &format!("{base}/open-data")).await;
    assert_eq!(status, 200, "{data}");
    assert_eq!(
        campaign["figures"], data["figures"],
        "the kept figures are a recount"
    );
    campaign["figures"].clone()
}

/// (answered, adopted) of kept figures.
fn answered_adopted(f: &Value) -> (i64, i64) {
    (
        f["answered"].as_i64().unwrap(),
        f["adopted"].as_i64().unwrap(),
    )
}

async fn a_campaign_runs_from_suggestions_to_delivered_projects(backend: Backend) {
    let (app, admin, rlgs, cgj) = city(backend).await;
    let anon = Auth::default();
    let (status, hook) = post(
        &app,
        &admin,
        "/tenants/daqing/webhooks",
        json!({"url": "http://127.0.0.1:9/campaigns",
               "events": ["suggestion.answered", "project.created", "project.progress_updated"]}),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let base = create_campaign(
        &app,
        &admin,
        "daqing",
        "hm-2012",
        &["heating-fee", "road-damage", "drainage"],
    )
    .await;

    // A draft is not public, and takes nothing yet.
    assert_eq!(get(&app, &anon, &base).await.0, 404);
    let (status, list) = get(&app, &anon, "/tenants/daqing/campaigns").await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 0));
    for (name, departments, themes) in [
        ("供热组", vec!["rlgs", "gsgs"], vec!["heating-fee"]),
        (
            "城建组",
            vec!["cgj", "psgs"],
            vec!["road-damage", "drainage"],
        ),
    ] {
        let (status, g) = post(
            &app,
            &admin,
            &format!("{base}/groups"),
            json!({"name": name, "departments": departments, "themes": themes}),
        )
        .await;
        assert_eq!(status, 201, "{g}");
    }
    let (status, bad) = post(
        &app,
        &admin,
        &format!("{base}/groups"),
        json!({"name": "x", "departments": ["nope"], "themes": ["gas"]}),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    // Phases go one step at a time.
    let (status, _) = post(
        &app,
        &admin,
        &format!("{base}/phase"),
        json!({"phase": "answering"}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = post(
        &app,
        &rlgs,
        &format!("{base}/phase"),
        json!({"phase": "collecting"}),
    )
    .await;
    assert_eq!(status, 403, "department staff do not run campaigns");
    advance(&app, &admin, &base, "collecting").await;

    // Citizens suggest, under the campaign's themes only.
    let s1 = submit(
        &app,
        "daqing",
        "hm-2012",
        suggestion("heating-fee", "供热收费应公开明细", true),
    )
    .await;
    let s2 = submit(
        &app,
        "daqing",
        "hm-2012",
        suggestion("heating-fee", "供热计量收费试点", true),
    )
    .await;
    let s3 = submit(
        &app,
        "daqing",
        "hm-2012",
        suggestion("road-damage", "修好东城区主干道", true),
    )
    .await;
    let s4 = submit(
        &app,
        "daqing",
        "hm-2012",
        suggestion("drainage", "雨后积水的井盖要维修", false),
    )
    .await;
    let (status, wrong) = post(
        &app,
        &anon,
        &format!("{base}/suggestions"),
        suggestion("gas", "燃气管道改造建议", true),
    )
    .await;
    assert_eq!(status, 422, "{wrong}");
    assert_eq!(wrong["errors"][0]["field"], "category");
    // Each kind of write changes the kept figures as a recount would.
    let f = kept_figures(&app, &base).await;
    assert_eq!(
        (f["suggestions"].as_i64(), f["answered"].as_i64()),
        (Some(4), Some(0))
    );
    // It is a case like any other: tracked and public under its code.
    let (status, case) = get(&app, &anon, &format!("/tenants/daqing/cases/{s1}")).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["case"]["state"], "submitted");

    advance(&app, &admin, &base, "answering").await;
    let (status, _) = post(
        &app,
        &anon,
        &format!("{base}/suggestions"),
        suggestion("heating-fee", "再提一条供热建议", true),
    )
    .await;
    assert_eq!(status, 409, "collecting is over");

    // The heating group's queue holds its two; the road's is not theirs.
    let (status, queue) = get(&app, &rlgs, &format!("{base}/queue")).await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["total"], 2);
    let codes: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tracking_code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&s1.as_str()) && codes.contains(&s2.as_str()),
        "{queue}"
    );
    let answer_path = |code: &str| format!("{base}/suggestions/{code}/answer");
    let (status, _) = post(
        &app,
        &rlgs,
        &answer_path(&s3),
        json!({"disposition": "adopted", "text": "采纳。"}),
    )
    .await;
    assert_eq!(status, 403, "not the heating group's suggestion");

    // Not adopted needs a reason.
    let (status, refused) = post(
        &app,
        &rlgs,
        &answer_path(&s1),
        json!({"disposition": "not_adopted", "text": "暂不采纳。"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "reason");
    let (status, refused) = post(
        &app,
        &rlgs,
        &answer_path(&s1),
        json!({"disposition": "not_answered", "text": "还没有答复。"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");

    // A draft is not public until published.
    let (status, drafted) = post(
        &app,
        &rlgs,
        &answer_path(&s1),
        json!({"disposition": "under_study", "text": "供热办正在研究收费明细公开的办法。"}),
    )
    .await;
    assert_eq!(status, 200, "{drafted}");
    assert_eq!(drafted["disposition"], "under_study");
    assert!(drafted["published_at"].is_null());
    assert_eq!(
        kept_figures(&app, &base).await["answered"],
        0,
        "a draft is not an answer"
    );
    let (status, public) = get(&app, &anon, &format!("{base}/suggestions/{s1}")).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["disposition"], "not_answered");
    assert!(public["answer"].is_null());
    let (status, published) = post(&app, &rlgs, &format!("{base}/publish"), json!({})).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["published"], 1);
    assert_eq!(kept_figures(&app, &base).await["answered"], 1);
    let (_, public) = get(&app, &anon, &format!("{base}/suggestions/{s1}")).await;
    assert_eq!(public["disposition"], "under_study");
    assert_eq!(public["answer"], "供热办正在研究收费明细公开的办法。");
    assert_eq!(public["group"], "供热组");
    let (_, case) = get(&app, &anon, &format!("/tenants/daqing/cases/{s1}")).await;
    assert_eq!(
        case["case"]["state"], "answered",
        "the answer is the case's answer"
    );
    assert_eq!(case["case"]["answer"], "供热办正在研究收费明细公开的办法。");
    let timeline = case["timeline"].to_string();
    assert!(timeline.contains("answered"), "{timeline}");

    // Merging keeps both originals; merged is answered once in a cluster.
    let (status, refused) = post(
        &app,
        &rlgs,
        &answer_path(&s2),
        json!({"disposition": "merged", "text": "已合并。"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let (status, cluster) = post(
        &app,
        &rlgs,
        &format!("{base}/clusters"),
        json!({"title": "供热收费改革", "suggestions": [s1, s2]}),
    )
    .await;
    assert_eq!(status, 201, "{cluster}");
    let cluster_id = cluster["id"].as_str().unwrap().to_owned();
    assert_eq!(cluster["suggestions"].as_array().unwrap().len(), 2);
    let (status, _) = post(
        &app,
        &rlgs,
        &format!("{base}/clusters"),
        json!({"title": "另一个", "suggestions": [s1, s2]}),
    )
    .await;
    assert_eq!(status, 409, "already merged elsewhere");
    for code in [&s1, &s2] {
        let (status, a) = post(&app, &rlgs, &answer_path(code),
            json!({"disposition": "merged", "text": "已并入供热收费改革一并研究。", "publish": true})).await;
        assert_eq!(status, 200, "{a}");
    }
    let (status, a) = post(
        &app,
        &cgj,
        &answer_path(&s3),
        json!({"disposition": "adopted", "text": "采纳，列入道路改造计划。", "publish": true}),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(answered_adopted(&kept_figures(&app, &base).await), (3, 1));
    // A published answer rewritten is a draft again until published.
    let (status, a) = post(
        &app,
        &cgj,
        &answer_path(&s3),
        json!({"disposition": "under_study", "text": "再研究一下道路改造的范围。"}),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(answered_adopted(&kept_figures(&app, &base).await), (2, 0));
    let (status, a) = post(
        &app,
        &cgj,
        &answer_path(&s3),
        json!({"disposition": "adopted", "text": "采纳，列入道路改造计划。", "publish": true}),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    let (status, a) = post(&app, &admin, &answer_path(&s4),
        json!({"disposition": "not_adopted", "text": "暂不采纳。", "reason": "该井盖已于今年维修。"})).await;
    assert_eq!(status, 200, "{a}");
    let (status, published) = post(
        &app,
        &admin,
        &format!("{base}/publish"),
        json!({"suggestions": [s4]}),
    )
    .await;
    assert_eq!(
        (status, published["published"].as_i64()),
        (200, Some(1)),
        "{published}"
    );
    assert_eq!(answered_adopted(&kept_figures(&app, &base).await), (4, 1));
    // A private suggestion is answered but not shown.
    assert_eq!(
        get(&app, &anon, &format!("{base}/suggestions/{s4}"))
            .await
            .0,
        404
    );

    advance(&app, &admin, &base, "selecting").await;
    let projects = format!("{base}/projects");
    let (status, p1) = post(&app, &admin, &projects, json!({
        "reference": "HM-001", "title": "供热计量收费改革", "description": "推行供热计量收费，公开收费明细。",
        "theme": "heating-fee", "lead_department": "rlgs", "planned_fen": 12_000_000_000_i64,
        "starts_on": "2012-07-01", "ends_on": "2012-12-31", "clusters": [cluster_id]
    })).await;
    assert_eq!(status, 201, "{p1}");
    assert_eq!(p1["from_citizens"], true);
    assert_eq!(p1["status"], "planned");
    assert_eq!(p1["sources"][0]["suggestions"].as_array().unwrap().len(), 2);
    let f = kept_figures(&app, &base).await;
    assert_eq!(
        (
            f["projects"].as_i64(),
            f["projects_from_citizens"].as_i64(),
            f["budget_committed_fen"].as_i64()
        ),
        (Some(1), Some(1), Some(12_000_000_000)),
        "{f}"
    );
    let (status, dup) = post(&app, &admin, &projects, json!({
        "reference": "HM-001", "title": "重复", "description": "重复的项目编号。", "planned_fen": 1
    })).await;
    assert_eq!(status, 409, "{dup}");
    let (status, bad) = post(
        &app,
        &admin,
        &projects,
        json!({
            "reference": "HM-X", "title": "坏", "description": "坏的项目。", "planned_fen": -1,
            "starts_on": "2012-07-01", "ends_on": "2012-01-01", "suggestions": ["NOPE-NOPE-NOPE"]
        }),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    // A parent whose progress is its children's, weighted.
    let (status, _) = post(&app, &admin, &projects, json!({
        "reference": "HM-002", "title": "道路改造", "description": "主干道改造工程。", "planned_fen": 5_000_000_000_i64,
        "suggestions": [s3]
    })).await;
    assert_eq!(status, 201);
    for (reference, weight) in [("HM-002-A", 3), ("HM-002-B", 1)] {
        let (status, c) = post(&app, &admin, &projects, json!({
            "reference": reference, "title": "分项工程", "description": "道路改造的分项工程。", "planned_fen": 0,
            "parent": "HM-002", "weight": weight
        })).await;
        assert_eq!(status, 201, "{c}");
    }
    let (status, p3) = post(&app, &admin, &projects, json!({
        "reference": "HM-003", "title": "政府自定项目", "description": "不来自市民建议的项目。", "planned_fen": 1_000_000_000_i64
    })).await;
    assert_eq!((status, p3["from_citizens"].as_bool()), (201, Some(false)));
    let f = kept_figures(&app, &base).await;
    assert_eq!(
        (f["projects"].as_i64(), f["projects_from_citizens"].as_i64()),
        (Some(3), Some(2)),
        "sub-projects are not counted: {f}"
    );

    advance(&app, &admin, &base, "implementing").await;
    let p1_path = format!("{projects}/HM-001");
    let (status, p) = call(
        &app,
        &admin,
        Method::PATCH,
        &p1_path,
        Some(json!({"status": "in_progress"})),
    )
    .await;
    assert_eq!((status, p["progress"].as_i64()), (200, Some(50)), "{p}");
    let (status, bad) = call(
        &app,
        &admin,
        Method::PATCH,
        &p1_path,
        Some(json!({"progress": 150})),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    let (status, bad) = call(
        &app,
        &admin,
        Method::PATCH,
        &p1_path,
        Some(json!({"status": "nope"})),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    let (status, m) = post(&app, &admin, &format!("{p1_path}/milestones"),
        json!({"day": "2012-09-01", "text": "计量收费试点小区开始运行", "image_url": "https://example.org/a.jpg"})).await;
    assert_eq!(status, 201, "{m}");
    let (status, bad) = post(
        &app,
        &admin,
        &format!("{p1_path}/milestones"),
        json!({"day": "2012-09-02", "text": "x", "image_url": "javascript:alert(1)"}),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    let (status, p) = call(
        &app,
        &admin,
        Method::PATCH,
        &p1_path,
        Some(json!({"status": "delivered", "spent_fen": 11_800_000_000_i64})),
    )
    .await;
    assert_eq!((status, p["progress"].as_i64()), (200, Some(100)), "{p}");
    assert_eq!(kept_figures(&app, &base).await["delivered"], 1);
    let (status, child) = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("{projects}/HM-002-A"),
        Some(json!({"status": "delivered"})),
    )
    .await;
    assert_eq!(status, 200, "{child}");
    let (_, parent) = get(&app, &anon, &format!("{projects}/HM-002")).await;
    assert_eq!(parent["progress"], 75, "3 of 4 weighted: {parent}");
    let (status, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("{projects}/HM-002"),
        Some(json!({"progress": 10})),
    )
    .await;
    assert_eq!(status, 422, "a parent's progress comes from its children");
    // Taken back from delivered, and delivered again.
    for (status, delivered) in [("in_progress", 0), ("delivered", 1)] {
        let (code, p) = call(
            &app,
            &admin,
            Method::PATCH,
            &p1_path,
            Some(json!({"status": status})),
        )
        .await;
        assert_eq!(code, 200, "{p}");
        assert_eq!(kept_figures(&app, &base).await["delivered"], delivered);
    }

    // The project's page and both suggestions' pages tell one story.
    let (status, project) = get(&app, &anon, &p1_path).await;
    assert_eq!(status, 200, "{project}");
    assert_eq!(project["progress"], 100);
    assert_eq!(project["milestones"][0]["text"], "计量收费试点小区开始运行");
    let from: Vec<&str> = project["sources"][0]["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tracking_code"].as_str().unwrap())
        .collect();
    assert_eq!(from.len(), 2);
    assert!(from.contains(&s1.as_str()) && from.contains(&s2.as_str()));
    for code in [&s1, &s2] {
        let (status, s) = get(&app, &anon, &format!("{base}/suggestions/{code}")).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["disposition"], "merged");
        assert_eq!(s["cluster"]["title"], "供热收费改革");
        assert_eq!(s["projects"][0]["reference"], "HM-001", "{s}");
        assert_eq!(s["projects"][0]["progress"], 100);
        assert_eq!(s["projects"][0]["status"], "delivered");
    }

    // Who is behind: each group's suggestions, answered and published.
    let (_, groups) = get(&app, &anon, &format!("{base}/groups")).await;
    let counts: Vec<(String, i64, i64, i64)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["suggestions"].as_i64().unwrap(),
                g["answered"].as_i64().unwrap(),
                g["published"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("供热组".to_owned(), 2, 2, 2),
            ("城建组".to_owned(), 2, 2, 2)
        ]
    );

    // The figures are a recount of what other endpoints list.
    let (_, campaign) = get(&app, &anon, &base).await;
    let f = &campaign["figures"];
    let (_, all) = get(
        &app,
        &admin,
        &format!("{base}/queue?state=all&page_size=100"),
    )
    .await;
    let (_, published) = get(
        &app,
        &admin,
        &format!("{base}/queue?state=published&page_size=100"),
    )
    .await;
    let adopted = published["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| ["adopted", "partly_adopted"].contains(&i["disposition"].as_str().unwrap()))
        .count();
    let (_, listed) = get(&app, &anon, &projects).await;
    let top: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["parent"].is_null())
        .collect();
    assert_eq!(f["suggestions"], all["total"]);
    assert_eq!(f["suggestions"], 4);
    assert_eq!(f["answered"], published["total"]);
    assert_eq!(f["answered"], 4);
    assert_eq!(f["answered_share"], 100.0);
    assert_eq!(f["adopted"].as_u64(), Some(adopted as u64));
    assert_eq!(f["projects"].as_u64(), Some(top.len() as u64));
    assert_eq!(f["projects"], 3);
    let sourced = top.iter().filter(|p| p["from_citizens"] == true).count();
    assert_eq!(f["projects_from_citizens"].as_u64(), Some(sourced as u64));
    assert_eq!(f["from_citizens_share"], 66.7);
    let budget: i64 = top.iter().map(|p| p["planned_fen"].as_i64().unwrap()).sum();
    assert_eq!(f["budget_committed_fen"].as_i64(), Some(budget));
    let delivered = top.iter().filter(|p| p["status"] == "delivered").count();
    assert_eq!(f["delivered"].as_u64(), Some(delivered as u64));
    assert_eq!(f["delivered"], 1);

    // Open data: public suggestions only, stable columns.
    let (status, data) = get(&app, &anon, &format!("{base}/open-data")).await;
    assert_eq!(status, 200, "{data}");
    assert_eq!(data["suggestions"].as_array().unwrap().len(), 3);
    assert_eq!(data["projects"].as_array().unwrap().len(), 5);
    let csv = app
        .client
        .get(app.api(&format!("{base}/open-data/csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "tracking_code,theme,title,submitted_at,disposition,answer,reason,published_at,cluster_id"
        )
    );
    assert_eq!(lines.count(), 3);
    assert!(
        !csv.contains(&s4) && !csv.contains("13900002222"),
        "no private suggestion, no personal data"
    );
    let csv = app
        .client
        .get(app.api(&format!("{base}/open-data/csv?table=sources")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("project,cluster_id,tracking_code\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("HM-001,{cluster_id},")) && csv.contains(&format!("HM-002,,{s3}")),
        "{csv}"
    );
    let (status, _) = get(&app, &anon, &format!("{base}/open-data/csv?table=nope")).await;
    assert_eq!(status, 422);

    // Webhooks heard the story.
    let (status, sent) = get(&app, &admin, "/tenants/daqing/notifications").await;
    assert_eq!(status, 200, "{sent}");
    let events: Vec<&str> = sent
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    for event in [
        "suggestion.answered",
        "project.created",
        "project.progress_updated",
    ] {
        assert!(events.contains(&event), "{event} in {events:?}");
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == "suggestion.answered")
            .count(),
        // Four suggestions, the first published twice (under study, then
        // merged), the third again after its answer was rewritten.
        4 + 2,
        "{events:?}"
    );

    advance(&app, &admin, &base, "closed").await;
    let (status, _) = call(
        &app,
        &admin,
        Method::PATCH,
        &p1_path,
        Some(json!({"spent_fen": 1})),
    )
    .await;
    assert_eq!(status, 409, "a closed campaign changes no more");
    let (status, _) = post(
        &app,
        &admin,
        &format!("{base}/phase"),
        json!({"phase": "draft"}),
    )
    .await;
    assert_eq!(status, 409);
}
on_both_backends!(a_campaign_runs_from_suggestions_to_delivered_projects);

async fn a_campaign_is_never_seen_under_another_city(backend: Backend) {
    let (app, admin, _, _) = city(backend).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let sf = app.login_ok(Some("springfield"), "sf-admin").await;
    let anon = Auth::default();
    let dq = create_campaign(&app, &admin, "daqing", "dq-only", &["heating-fee"]).await;
    let sfb = create_campaign(&app, &sf, "springfield", "sf-only", &["sidewalk"]).await;
    advance(&app, &admin, &dq, "collecting").await;
    advance(&app, &sf, &sfb, "collecting").await;
    let code = submit(
        &app,
        "daqing",
        "dq-only",
        suggestion("heating-fee", "供热收费应公开明细", true),
    )
    .await;
    let (status, _) = post(
        &app,
        &anon,
        "/tenants/springfield/campaigns/dq-only/suggestions",
        suggestion("heating-fee", "供热收费应公开明细", true),
    )
    .await;
    assert_eq!(status, 404);
    advance(&app, &admin, &dq, "answering").await;
    advance(&app, &admin, &dq, "selecting").await;
    let (status, _) = post(&app, &admin, &format!("{dq}/projects"), json!({
        "reference": "DQ-1", "title": "大庆项目", "description": "只属于大庆的项目。", "planned_fen": 100,
        "suggestions": [code]
    })).await;
    assert_eq!(status, 201);

    // Daqing's campaign, suggestion and project under Springfield: 404.
    for path in [
        "/tenants/springfield/campaigns/dq-only".to_owned(),
        format!("/tenants/springfield/campaigns/sf-only/suggestions/{code}"),
        "/tenants/springfield/campaigns/dq-only/projects/DQ-1".to_owned(),
        format!("/tenants/springfield/cases/{code}"),
    ] {
        assert_eq!(get(&app, &anon, &path).await.0, 404, "{path}");
        assert_eq!(get(&app, &sf, &path).await.0, 404, "{path}");
    }
    let (_, list) = get(&app, &sf, "/tenants/springfield/campaigns").await;
    assert!(!list.to_string().contains("dq-only"), "{list}");
    // Springfield's staff cannot act on it through their own city either.
    let (status, _) = post(
        &app,
        &sf,
        &format!("/tenants/springfield/campaigns/sf-only/suggestions/{code}/answer"),
        json!({"disposition": "adopted", "text": "采纳。", "publish": true}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &app,
        &sf,
        "/tenants/springfield/campaigns/sf-only/clusters",
        json!({"title": "偷来的", "suggestions": [code, code]}),
    )
    .await;
    assert_eq!(
        status, 422,
        "another city's suggestion is not in this campaign"
    );
    let (status, _) = post(
        &app,
        &sf,
        "/tenants/springfield/campaigns/sf-only/publish",
        json!({"suggestions": [code]}),
    )
    .await;
    assert_eq!(status, 422);
    // Or through Daqing's path.
    let (status, _) = post(
        &app,
        &sf,
        &format!("{dq}/suggestions/{code}/answer"),
        json!({"disposition": "adopted", "text": "采纳。"}),
    )
    .await;
    assert_eq!(status, 404);
    let (_, mine) = get(&app, &anon, &format!("{dq}/suggestions/{code}")).await;
    assert_eq!(
        mine["disposition"], "not_answered",
        "nothing reached it: {mine}"
    );
}
on_both_backends!(a_campaign_is_never_seen_under_another_city);

/// A browser without JavaScript: the page's status and body.
async fn page(app: &TestApp, auth: &Auth, path: &str) -> (u16, String) {
    let resp = app
        .client
        .get(app.url(path))
        .header("cookie", auth.cookie.clone().unwrap_or_default())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Post a form: its status and `Location` (or body).
async fn form(app: &TestApp, auth: &Auth, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", auth.csrf.as_deref().unwrap_or(""))];
    all.extend_from_slice(fields);
    let resp = app
        .client
        .post(app.url(path))
        .header("cookie", auth.cookie.clone().unwrap_or_default())
        .form(&all)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body = resp.text().await.unwrap();
    (status, location.unwrap_or(body))
}

fn tracking_code(html: &str) -> String {
    let start = html.find("data-testid=\"tracking-code\">").unwrap() + 28;
    html[start..start + 14].to_owned()
}

async fn campaign_pages_work_without_javascript(backend: Backend) {
    let (app, admin, rlgs, _) = city(backend).await;
    let anon = Auth::default();
    let base = create_campaign(
        &app,
        &admin,
        "daqing",
        "hm-pages",
        &["heating-fee", "road-damage"],
    )
    .await;
    let (status, _) = post(
        &app,
        &admin,
        &format!("{base}/groups"),
        json!({"name": "供热组", "departments": ["rlgs"], "themes": ["heating-fee"]}),
    )
    .await;
    assert_eq!(status, 201);
    advance(&app, &admin, &base, "collecting").await;

    // The public pages: list, campaign, themes, the form.
    let (status, html) = page(&app, &anon, "/t/daqing/campaigns").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("2012年惠民工程建议征集") && html.contains("惠民工程"),
        "{html}"
    );
    let (status, html) = page(&app, &anon, "/t/daqing/campaigns/hm-pages").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("data-testid=\"campaign-figures\"")
            && html.contains("data-testid=\"suggest\"")
    );
    let (status, html) = page(&app, &anon, "/t/daqing/campaigns/hm-pages/suggest").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("suggest?category=heating-fee") && !html.contains("category=gas"),
        "{html}"
    );
    let (status, html) = page(
        &app,
        &anon,
        "/t/daqing/campaigns/hm-pages/suggest?category=heating-fee",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("campaigns&#x2f;hm-pages&#x2f;suggest\" novalidate")
            && html.contains("data-testid=\"chosen-category\">供热收费"),
        "{html}"
    );
    // A bad form comes back with its problem next to the field.
    let (status, html) = form(
        &app,
        &anon,
        "/t/daqing/campaigns/hm-pages/suggest",
        &[
            ("category", "heating-fee"),
            ("form_id", "abcdefghijklmnop0001"),
            ("title", "短"),
            ("text", "太短"),
            ("public", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("form-errors"), "{html}");
    let mut codes = Vec::new();
    for (i, title) in ["供热收费应该公开明细", "供热计量收费应当试点"]
        .iter()
        .enumerate()
    {
        let id = format!("abcdefghijklmnop100{i}");
        let (status, html) = form(
            &app,
            &anon,
            "/t/daqing/campaigns/hm-pages/suggest",
            &[
                ("category", "heating-fee"),
                ("form_id", &id),
                ("title", title),
                ("text", "这是通过网页表单提交的惠民工程建议，请研究。"),
                ("public", "yes"),
                ("anonymous", "yes"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{html}");
        codes.push(tracking_code(&html));
    }
    advance(&app, &admin, &base, "answering").await;

    // The workbench: staff only.
    let (status, _) = page(&app, &anon, "/t/daqing/staff/campaigns/hm-pages").await;
    assert_eq!(status, 303);
    let desk = "/t/daqing/staff/campaigns/hm-pages";
    let (status, html) = page(&app, &rlgs, desk).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&codes[0]) && html.contains(&codes[1]),
        "{html}"
    );
    // Who is behind: a suggestion past its answer deadline is overdue
    // until its answer is published.
    assert!(html.contains("data-overdue=\"0\""), "{html}");
    app.platform_query(&format!(
        "UPDATE cases SET answer_deadline = '2012-01-01T00:00:00+00:00' WHERE tracking_code = '{}'",
        codes[0]
    ))
    .await;
    let (_, groups) = get(&app, &anon, &format!("{base}/groups")).await;
    assert_eq!(groups[0]["overdue"], 1, "{groups}");
    let (_, html) = page(&app, &rlgs, desk).await;
    assert!(html.contains("data-overdue=\"1\""), "{html}");
    let (status, html) = form(
        &app,
        &rlgs,
        desk,
        &[
            ("op", "answer"),
            ("suggestion", &codes[0]),
            ("disposition", "not_adopted"),
            ("text", "暂不采纳。"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(status, 422, "a reason is needed: {html}");
    assert!(html.contains("desk-error"));
    let (status, to) = form(
        &app,
        &rlgs,
        desk,
        &[
            ("op", "merge"),
            ("title", "供热收费改革"),
            ("code", &codes[0]),
            ("code", &codes[1]),
        ],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    for code in &codes {
        let (status, to) = form(
            &app,
            &rlgs,
            desk,
            &[
                ("op", "answer"),
                ("suggestion", code),
                ("disposition", "merged"),
                ("text", "并入供热收费改革。"),
            ],
        )
        .await;
        assert_eq!(status, 303, "{to}");
    }
    let (status, to) = form(&app, &rlgs, desk, &[("op", "publish")]).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("notice=published%3A2"), "{to}");
    let (status, html) = page(&app, &rlgs, &to).await;
    assert_eq!(status, 200, "the desk after publishing: {html}");
    assert!(html.contains("data-testid=\"desk-notice\""), "{html}");
    assert!(html.contains("data-overdue=\"0\""), "published: {html}");
    advance(&app, &admin, &base, "selecting").await;
    let (_, clusters) = get(&app, &anon, &format!("{base}/clusters")).await;
    let cluster = clusters[0]["id"].as_str().unwrap().to_owned();
    let (status, to) = form(
        &app,
        &admin,
        desk,
        &[
            ("op", "project"),
            ("reference", "HM-P1"),
            ("title", "供热计量收费改革"),
            ("description", "推行供热计量收费。"),
            ("planned", "1,200,000"),
            ("cluster", &cluster),
        ],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    let (status, to) = form(
        &app,
        &rlgs,
        desk,
        &[
            ("op", "project"),
            ("reference", "HM-P2"),
            ("title", "x"),
            ("description", "y"),
            ("planned", "1"),
        ],
    )
    .await;
    assert_eq!(status, 403, "department staff do not make projects: {to}");
    advance(&app, &admin, &base, "implementing").await;
    let (status, to) = form(
        &app,
        &admin,
        desk,
        &[
            ("op", "progress"),
            ("project", "HM-P1"),
            ("status", "in_progress"),
            ("progress", "60"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    let (status, to) = form(
        &app,
        &admin,
        desk,
        &[
            ("op", "milestone"),
            ("project", "HM-P1"),
            ("day", "2012-09-01"),
            ("text", "计量收费试点小区开始运行"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{to}");

    // The project's page and both suggestions' pages.
    let (status, html) = page(&app, &anon, "/t/daqing/campaigns/hm-pages/projects/HM-P1").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("计量收费试点小区开始运行")
            && html.contains("60%")
            && html.contains("¥1,200,000"),
        "{html}"
    );
    assert!(
        html.contains(&format!("suggestions/{}", codes[0]))
            && html.contains(&format!("suggestions/{}", codes[1]))
    );
    for code in &codes {
        let (status, html) = page(
            &app,
            &anon,
            &format!("/t/daqing/campaigns/hm-pages/suggestions/{code}"),
        )
        .await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("供热收费改革")
                && html.contains("projects/HM-P1")
                && html.contains("60%"),
            "{html}"
        );
        assert!(html.contains("并入供热收费改革。"));
    }
    let (status, html) = page(
        &app,
        &anon,
        "/t/daqing/campaigns/hm-pages?status=in_progress",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("data-reference=\"HM-P1\""), "{html}");
    assert!(
        html.contains(&format!(
            "suggestions/{}\">供热收费应该公开明细</a>",
            codes[0]
        )),
        "the suggestions are listed: {html}"
    );
    let (_, html) = page(&app, &anon, "/t/daqing/campaigns/hm-pages?status=delivered").await;
    assert!(!html.contains("data-reference=\"HM-P1\""));
    // Another city has none of it.
    for path in [
        "/t/springfield/campaigns/hm-pages",
        "/t/springfield/campaigns/hm-pages/projects/HM-P1",
    ] {
        assert_eq!(page(&app, &anon, path).await.0, 404, "{path}");
    }
    // English words too.
    let resp = app
        .client
        .get(app.url("/t/daqing/campaigns/hm-pages?lang=en"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
on_both_backends!(campaign_pages_work_without_javascript);

async fn the_daqing_demo_campaign_has_the_article_figures(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let started = std::time::Instant::now();
    let (ok, out) = app
        .cli(&["demo", "campaign", "--tenant", "daqing", "--bulk"])
        .await;
    assert!(ok, "{out}");
    eprintln!(
        "demo campaign generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let anon = Auth::default();
    let (status, c) = get(&app, &anon, "/tenants/daqing/campaigns/hm-2012").await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["title"], "2012年惠民工程建议征集");
    assert_eq!(c["phase"], "closed");
    let f = &c["figures"];
    assert_eq!(f["suggestions"], 3000);
    assert_eq!(f["answered_share"], 100.0);
    assert_eq!(f["projects"], 100);
    assert_eq!(f["projects_from_citizens"], 70);
    assert_eq!(f["from_citizens_share"], 70.0);
    assert_eq!(f["budget_committed_fen"], 286_000_000_000_i64);
    assert_eq!(f["delivered"], 100);
    let (_, groups) = get(&app, &anon, "/tenants/daqing/campaigns/hm-2012/groups").await;
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 14);
    let mut departments: Vec<&str> = groups
        .iter()
        .flat_map(|g| {
            g["departments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
        })
        .collect();
    departments.sort();
    departments.dedup();
    assert_eq!(departments.len(), 32);
    let (_, projects) = get(&app, &anon, "/tenants/daqing/campaigns/hm-2012/projects").await;
    let titles: Vec<&str> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for named in [
        "灭蚊专项行动",
        "东城区污水处理厂深度处理",
        "新建改建90所城乡公办幼儿园",
    ] {
        assert!(titles.contains(&named), "{named}");
    }
    // The public page says it in figures.
    let (status, html) = page(&app, &anon, "/t/daqing/campaigns/hm-2012").await;
    assert_eq!(status, 200);
    for shown in [
        "data-figure=\"suggestions\">3000<",
        "data-figure=\"answered\">100.0%<",
        "data-figure=\"projects\">100<",
        "data-figure=\"from-citizens\">70.0%<",
        "data-figure=\"budget\">¥2,860,000,000<",
    ] {
        assert!(html.contains(shown), "{shown}");
    }
}
on_both_backends!(the_daqing_demo_campaign_has_the_article_figures);
