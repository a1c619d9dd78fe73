//! Reads as integrators and visitors rely on them: conditional `GET`s on
//! the REST API and Open311 (`ETag`, `304`), the page cache serving the
//! same bytes a fresh render would, and every write visible to the next
//! read.

use crate::flows::{heating_complaint, staff_act, submit_case};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app, spawn_app_on};
use serde_json::json;

/// `GET path` with an optional `If-None-Match`: status, `ETag`,
/// `Cache-Control` and body.
async fn get(app: &TestApp, path: &str, tag: Option<&str>) -> (u16, String, String, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(tag) = tag {
        req = req.header("if-none-match", tag);
    }
    let resp = req.send().await.expect("response");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, etag, cache) = (
        resp.status().as_u16(),
        header("etag"),
        header("cache-control"),
    );
    (status, etag, cache, resp.text().await.expect("body"))
}

/// Wait until two reads of `path` in a row carry the same tag.
async fn settle(app: &TestApp, path: &str) {
    let tag_and_body = |(_, tag, _, body): (u16, String, String, String)| (tag, body);
    let mut last = tag_and_body(get(app, path, None).await);
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        let now = tag_and_body(get(app, path, None).await);
        if now == last {
            return;
        }
        last = now;
    }
    panic!("{path}: the ETag keeps changing with nothing written");
}

/// The city's reads an integrator polls.
fn polled(code: &str) -> Vec<String> {
    vec![
        format!("/api/v1/tenants/daqing/cases/{code}"),
        "/api/v1/tenants/daqing/cases?page_size=20".into(),
        "/api/v1/tenants/daqing/stats".into(),
        "/open311/v2/requests.json?jurisdiction_id=daqing".into(),
        format!("/open311/v2/requests/{code}.json?jurisdiction_id=daqing"),
        "/open311/v2/requests.xml?jurisdiction_id=daqing".into(),
    ]
}

/// Staff accept, assign to 人力社保 and start the case, then answer it
/// with `answer` when given.
async fn handle(app: &TestApp, code: &str, answer: Option<&str>) {
    let answer = answer.map(|text| json!({ "text": text }));
    let mut steps = vec![
        ("accept", None),
        ("assign", Some(json!({"lead": "rlgs"}))),
        ("start", None),
    ];
    if answer.is_some() {
        steps.push(("answer", answer));
    }
    for (action, body) in steps {
        let (status, out) =
            staff_act(app, &Auth::default(), "daqing", code, action, body.as_ref()).await;
        assert_eq!(status, 200, "{action}: {out}");
    }
}

/// Each polled read carries a strong `ETag` and revalidation rules; the
/// same tag back is `304` with no body; after staff act on the case, the
/// old tag gets the new answer (`200`, another tag), never a stale `304`.
async fn api_reads_are_conditional(backend: Backend) {
    let app = spawn_app(backend).await;
    let filed = submit_case(&app, "daqing", &heating_complaint()).await;
    let mut tags = Vec::new();
    for path in polled(&filed.code) {
        // Reading a public case counts a view once per reader, in the
        // background: the first read's body may still change once.
        settle(&app, &path).await;
        let (status, etag, cache, body) = get(&app, &path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "{path}: a strong ETag, got {etag:?}"
        );
        assert!(cache.contains("no-cache"), "{path}: {cache:?}");
        // Unchanged: the same tag again, and 304 with an empty body.
        let (status, again, _, _) = get(&app, &path, None).await;
        assert_eq!((status, &again), (200, &etag), "{path}");
        let (status, same, _, body) = get(&app, &path, Some(&etag)).await;
        assert_eq!(status, 304, "{path}");
        assert_eq!(same, etag, "{path}");
        assert!(body.is_empty(), "{path}: {body}");
        // A list of tags, and `*`, match too; another tag does not.
        let listed = format!("\"0000\", {etag}");
        assert_eq!(get(&app, &path, Some(&listed)).await.0, 304, "{path}");
        assert_eq!(get(&app, &path, Some("*")).await.0, 304, "{path}");
        assert_eq!(get(&app, &path, Some("\"0000\"")).await.0, 200, "{path}");
        tags.push((path, etag));
    }

    handle(&app, &filed.code, Some("温控阀已更换，供热恢复正常。")).await;
    for (path, old) in &tags {
        settle(&app, path).await;
        let (status, etag, _, body) = get(&app, path, Some(old)).await;
        assert_eq!(status, 200, "{path}: the answer changed it");
        assert_ne!(&etag, old, "{path}");
        assert!(
            body.contains("温控阀已更换") || path.contains("/stats"),
            "{path}: {body}"
        );
    }
    let (_, _, _, stats) = get(&app, "/api/v1/tenants/daqing/stats", None).await;
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("JSON");
    assert_eq!(stats["answered"], 1, "{stats}");

    // Writes and failures are not tagged.
    let (status, etag, _, _) = get(&app, "/api/v1/tenants/daqing/cases/DQ-0000-000000", None).await;
    assert_eq!((status, etag.as_str()), (404, ""));
}
on_both_backends!(api_reads_are_conditional);

/// The public pages a visitor reads.
fn pages(code: &str) -> Vec<String> {
    vec![
        "/t/daqing/".into(),
        "/t/daqing/answers".into(),
        "/t/daqing/answers?q=%E6%9A%96%E6%B0%94".into(),
        "/t/daqing/departments".into(),
        format!("/t/daqing/cases/{code}"),
    ]
}

/// A page served from the cache is byte for byte the page a server
/// without the cache renders; after a staff action, the next visit to
/// each page shows it, cached or not.
async fn cached_pages_equal_fresh_ones(backend: Backend) {
    let cached = spawn_app(backend).await;
    let fresh = spawn_app_on(&cached, &[("MINSHENG_PAGE_CACHE_SECS", "0")]).await;
    let filed = submit_case(&cached, "daqing", &heating_complaint()).await;
    handle(&cached, &filed.code, None).await;
    let compare = |label: &'static str| {
        let (cached, fresh, code) = (&cached, &fresh, filed.code.clone());
        async move {
            for path in pages(&code) {
                let (status, _, _, first) = get(cached, &path, None).await;
                assert_eq!(status, 200, "{label} {path}");
                let (_, _, _, from_cache) = get(cached, &path, None).await;
                let (_, _, _, rendered) = get(fresh, &path, None).await;
                assert_eq!(
                    first, from_cache,
                    "{label} {path}: the cache changed the page"
                );
                assert_eq!(
                    from_cache, rendered,
                    "{label} {path}: cached and fresh differ"
                );
            }
        }
    };
    compare("before the answer").await;
    // The answer goes through the caching server: its next pages show it.
    let (status, out) = staff_act(
        &cached,
        &Auth::default(),
        "daqing",
        &filed.code,
        "answer",
        Some(&json!({"text": "温控阀已更换，供热恢复正常。"})),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let (_, _, _, case_page) = get(&cached, &format!("/t/daqing/cases/{}", filed.code), None).await;
    assert!(case_page.contains("温控阀已更换"), "{case_page}");
    let (_, _, _, answers) = get(&cached, "/t/daqing/answers", None).await;
    assert!(
        answers.contains(&filed.code),
        "the answers page lists the answered case"
    );
    // The case page's view is counted after its response: let it land
    // before the home page (which shows the views) is compared.
    settle(&fresh, "/t/daqing/").await;
    compare("after the answer").await;
}
on_both_backends!(cached_pages_equal_fresh_ones);

/// What the reads keep per city in memory (the directory, the names a case
/// shows, the settled figures) never hides a change made through the
/// server: with the page cache off, a new department, a renamed category
/// and an answer show on the next read of every page and API read.
async fn kept_directory_and_figures_follow_writes(backend: Backend) {
    let cached = spawn_app(backend).await;
    let app = spawn_app_on(&cached, &[("MINSHENG_PAGE_CACHE_SECS", "0")]).await;
    let filed = submit_case(&app, "daqing", &heating_complaint()).await;
    let stats = || async {
        let (_, _, _, body) = get(&app, "/api/v1/tenants/daqing/stats", None).await;
        serde_json::from_str::<serde_json::Value>(&body).expect("JSON")
    };
    // Fill every kept thing.
    for path in pages(&filed.code) {
        assert_eq!(get(&app, &path, None).await.0, 200, "{path}");
    }
    let before = stats().await;

    let root = app.department_id("daqing", "szf").await;
    let (status, created) = app
        .send_json(
            reqwest::Method::POST,
            "/tenants/daqing/departments",
            &json!({"code": "reads-new", "name": "新设读取办公室", "kind": "government",
                    "parent_id": root}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    for path in ["/t/daqing/", "/t/daqing/departments"] {
        let (_, _, _, page) = get(&app, path, None).await;
        assert!(
            page.contains("新设读取办公室"),
            "{path}: the new department"
        );
    }
    let (_, categories) = app.get_json("/tenants/daqing/categories").await;
    let heating = categories
        .as_array()
        .and_then(|all| all.iter().find(|c| c["code"] == "heating-cold"))
        .expect("the heating category")["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let (status, renamed) = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/tenants/daqing/categories/{heating}"),
            &json!({"name": "供暖改名"}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    let (_, _, _, case) = get(
        &app,
        &format!("/api/v1/tenants/daqing/cases/{}", filed.code),
        None,
    )
    .await;
    assert!(
        case.contains("供暖改名"),
        "the case shows the new name: {case}"
    );
    let (_, _, _, page) = get(&app, &format!("/t/daqing/cases/{}", filed.code), None).await;
    assert!(
        page.contains("供暖改名"),
        "the case page shows the new name"
    );
    let (_, _, _, home) = get(&app, "/t/daqing/", None).await;
    assert!(
        home.contains("供暖改名"),
        "the home page lists the new name"
    );

    handle(&app, &filed.code, Some("已处理，供热恢复。")).await;
    let after = stats().await;
    assert_eq!(
        after["answered"].as_i64(),
        before["answered"].as_i64().map(|n| n + 1),
        "{before} then {after}"
    );
    let (_, _, _, depts) = get(&app, "/t/daqing/departments", None).await;
    let (_, _, _, depts_fresh) = get(&cached, "/t/daqing/departments", None).await;
    assert_eq!(depts, depts_fresh, "both servers show the same figures");
}
on_both_backends!(kept_directory_and_figures_follow_writes);
