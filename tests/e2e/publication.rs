//! Publication: personal data hidden from the public (API, pages,
//! Open311) but not from staff or the case's citizen; review before
//! publication (先审后发) and its decisions; the settings in the API and in
//! bundles; the demo notice.

use crate::flows::{staff_act, submit_case};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const PHONE: &str = "13812345678";
const LANDLINE: &str = "0459-4612345";

/// An ID number with a right check digit.
fn id_number() -> String {
    let first17 = "23060219900307123";
    let check = minsheng_domain::redact::id_check_digit(first17).unwrap();
    format!("{first17}{check}")
}

/// A server whose admin API is closed (anonymous requests are the public),
/// and its operator's credentials.
async fn closed_app(backend: Backend) -> (TestApp, Auth) {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "p-operator"])
        .await;
    assert!(ok, "{out}");
    let operator = app.login_ok(None, "p-operator").await;
    (app, operator)
}

async fn call_json(
    app: &TestApp,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let (status, text) = app.call(auth, method, path, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn public_read(app: &TestApp, tenant: &str, code: &str) -> (u16, Value) {
    call_json(
        app,
        &Auth::default(),
        Method::GET,
        &format!("/tenants/{tenant}/cases/{code}"),
        None,
    )
    .await
}

async fn public_page(app: &TestApp, tenant: &str, code: &str) -> (u16, String) {
    let resp = app
        .client
        .get(app.url(&format!("/t/{tenant}/cases/{code}")))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The tracking codes on the first page of the city's public list.
async fn public_codes(app: &TestApp, tenant: &str) -> Vec<String> {
    let (status, page) = call_json(
        app,
        &Auth::default(),
        Method::GET,
        &format!("/tenants/{tenant}/cases?page_size=100"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tracking_code"].as_str().unwrap().to_owned())
        .collect()
}

async fn set_publication(app: &TestApp, auth: &Auth, tenant: &str, settings: Value) -> Value {
    let (status, body) = call_json(
        app,
        auth,
        Method::PATCH,
        &format!("/tenants/{tenant}"),
        Some(&json!({ "publication": settings })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn other_case(title: &str, text: &str) -> Value {
    json!({"category": "other", "title": title, "text": text, "public": true})
}

async fn personal_data_is_hidden_from_the_public(backend: Backend) {
    let (app, operator) = closed_app(backend).await;
    let id = id_number();
    let text = format!("小区路灯坏了半个月，请联系我{PHONE}，身份证号{id}，谢谢。");
    let created = submit_case(&app, "daqing", &other_case("路灯不亮", &text)).await;
    let code = created.code.clone();
    for (action, body) in [("accept", None), ("assign", Some(json!({})))] {
        let (status, body) =
            staff_act(&app, &operator, "daqing", &code, action, body.as_ref()).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let answer = format!("已安排维修，可拨打{LANDLINE}询问进度。");
    let (status, body) = staff_act(
        &app,
        &operator,
        "daqing",
        &code,
        "answer",
        Some(&json!({ "text": answer })),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The public API: the case and the list.
    let (status, case) = public_read(&app, "daqing", &code).await;
    assert_eq!(status, 200, "{case}");
    let shown = case.to_string();
    for hidden in [PHONE, &id, LANDLINE] {
        assert!(!shown.contains(hidden), "{hidden} is public: {shown}");
    }
    assert_eq!(
        case["case"]["text"],
        "小区路灯坏了半个月，请联系我[电话]，身份证号[身份证号]，谢谢。"
    );
    assert_eq!(case["case"]["answer"], "已安排维修，可拨打[电话]询问进度。");
    let answered = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "answer")
        .unwrap_or_else(|| panic!("no answer on the public timeline: {case}"));
    assert_eq!(answered["text"], "已安排维修，可拨打[电话]询问进度。");
    let (_, list) = call_json(
        &app,
        &Auth::default(),
        Method::GET,
        "/tenants/daqing/cases?page_size=100",
        None,
    )
    .await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tracking_code"] == code.as_str())
        .unwrap_or_else(|| panic!("not listed: {list}"));
    assert!(!listed.to_string().contains(PHONE), "{listed}");

    // The public page.
    let (status, page) = public_page(&app, "daqing", &code).await;
    assert_eq!(status, 200);
    assert!(!page.contains(PHONE) && !page.contains(&id) && !page.contains(LANDLINE));
    assert!(
        page.contains("[电话]") && page.contains("[身份证号]"),
        "{page}"
    );

    // Open311.
    let resp = app
        .client
        .get(app.url(&format!(
            "/open311/v2/requests/{code}.json?jurisdiction_id=daqing"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let open311: Value = resp.json().await.unwrap();
    let description = open311[0]["description"].as_str().unwrap();
    assert!(description.contains("[电话]"), "{open311}");
    assert!(!open311.to_string().contains(PHONE), "{open311}");
    assert!(!open311.to_string().contains(&id), "{open311}");
    assert_eq!(
        open311[0]["status_notes"],
        "已安排维修，可拨打[电话]询问进度。"
    );

    // Staff and the citizen with the secret read it as written.
    let (status, staff) = call_json(
        &app,
        &operator,
        Method::GET,
        &format!("/tenants/daqing/cases/{code}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(staff["case"]["text"], text.as_str());
    assert_eq!(staff["case"]["answer"], answer.as_str());
    let resp = app
        .client
        .get(app.api(&format!("/tenants/daqing/cases/{code}")))
        .header("X-Case-Secret", &created.secret)
        .send()
        .await
        .unwrap();
    let own: Value = resp.json().await.unwrap();
    assert_eq!(own["case"]["text"], text.as_str(), "{own}");

    // The city turns it off: the public reads the text as written.
    let tenant = set_publication(
        &app,
        &operator,
        "daqing",
        json!({"redact_personal_data": false, "demo": true}),
    )
    .await;
    assert_eq!(tenant["publication"]["redact_personal_data"], false);
    assert_eq!(tenant["publication"]["close_unrated_after_days"], 7);
    let (_, case) = public_read(&app, "daqing", &code).await;
    assert_eq!(case["case"]["text"], text.as_str());
    let (_, page) = public_page(&app, "daqing", &code).await;
    assert!(page.contains(PHONE));

    // Settings out of range are refused, field by field; the change is
    // in the audit log.
    let (status, body) = call_json(
        &app,
        &operator,
        Method::PATCH,
        "/tenants/daqing",
        Some(&json!({"publication": {"close_unrated_after_days": 0}})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"][0]["field"], "publication.close_unrated_after_days",
        "{body}"
    );
    let (status, body) = call_json(
        &app,
        &operator,
        Method::PATCH,
        "/tenants/daqing",
        Some(&json!({"publication": {"redact_personal_data": "no"}})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, log) =
        call_json(&app, &operator, Method::GET, "/tenants/daqing/audit", None).await;
    assert_eq!(status, 200, "{log}");
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "tenant_update"
                && e["target"].as_str().unwrap().contains("publication")),
        "{log}"
    );
}
on_both_backends!(personal_data_is_hidden_from_the_public);

async fn review_before_publication(backend: Backend) {
    let (app, operator) = closed_app(backend).await;
    let tenant = set_publication(
        &app,
        &operator,
        "daqing",
        json!({"review_before_publication": true}),
    )
    .await;
    assert_eq!(tenant["publication"]["review_before_publication"], true);
    assert_eq!(tenant["publication"]["redact_personal_data"], true);

    let first = submit_case(
        &app,
        "daqing",
        &other_case("先审后发一", "第一个等待审核的问题。"),
    )
    .await;
    let first_secret = first.secret;
    let first = first.code;
    let second = submit_case(
        &app,
        "daqing",
        &other_case("先审后发二", "第二个等待审核的问题。"),
    )
    .await
    .code;
    let mut private = other_case("不公开的问题", "市民选择不公开的问题。");
    private["public"] = json!(false);
    let private = submit_case(&app, "daqing", &private).await.code;

    // Held: in no public list, no public page, no public read.
    for code in [&first, &second] {
        assert!(!public_codes(&app, "daqing").await.contains(code));
        assert_eq!(public_page(&app, "daqing", code).await.0, 404);
        assert_eq!(public_read(&app, "daqing", code).await.0, 404);
        let (_, staff) = call_json(
            &app,
            &operator,
            Method::GET,
            &format!("/tenants/daqing/cases/{code}"),
            None,
        )
        .await;
        assert_eq!(staff["public"], false);
        assert_eq!(staff["flags"]["held"], json!(["review_before_publication"]));
    }
    // Its citizen reads "public after review", not "private".
    let own = reqwest::get(app.url(&format!(
        "/t/daqing/track?code={first}&secret={first_secret}"
    )))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(own.contains("data-testid=\"awaiting-review\""), "{own}");
    // A case the citizen kept private is not held: there is nothing to publish.
    let (_, staff) = call_json(
        &app,
        &operator,
        Method::GET,
        &format!("/tenants/daqing/cases/{private}"),
        None,
    )
    .await;
    assert_eq!(staff["flags"]["held"], Value::Null, "{staff}");

    // Bad decisions say what to fix and change nothing.
    let release = |code: &str| format!("/tenants/daqing/cases/{code}/release");
    for (body, status, field) in [
        (json!({"publish": "yes"}), 400, "publish"),
        (json!({"publsh": false}), 400, "publsh"),
        (
            json!({"publish": false, "reason": ["不公开"]}),
            400,
            "reason",
        ),
        (json!({"publish": false}), 422, "reason"),
        (json!({"publish": false, "reason": "x"}), 422, "reason"),
        (
            json!({"publish": false, "reason": "长".repeat(501)}),
            422,
            "reason",
        ),
    ] {
        let (got, answer) =
            call_json(&app, &operator, Method::POST, &release(&first), Some(&body)).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    let (_, staff) = staff_view_as(&app, &operator, &first).await;
    assert_eq!(staff["flags"]["held"], json!(["review_before_publication"]));

    // Published with no body at all (as clients did before there was one).
    let (status, body) = call_json(&app, &operator, Method::POST, &release(&first), None).await;
    assert_eq!(status, 204, "{body}");
    assert!(public_codes(&app, "daqing").await.contains(&first));
    assert_eq!(public_page(&app, "daqing", &first).await.0, 200);
    let (_, staff) = staff_view_as(&app, &operator, &first).await;
    assert_eq!(staff["public"], true);
    let released = timeline_entry(&staff, "released");
    assert_eq!(released["public"], false, "an internal entry");
    assert_eq!(released["detail"]["public"], true);

    // Kept private, with the reason on the staff timeline only.
    let reason = "涉及他人家庭矛盾，不宜公开。";
    let (status, body) = call_json(
        &app,
        &operator,
        Method::POST,
        &release(&second),
        Some(&json!({"publish": false, "reason": reason})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(!public_codes(&app, "daqing").await.contains(&second));
    assert_eq!(public_page(&app, "daqing", &second).await.0, 404);
    assert_eq!(public_read(&app, "daqing", &second).await.0, 404);
    let (_, staff) = staff_view_as(&app, &operator, &second).await;
    assert_eq!(staff["public"], false);
    assert_eq!(staff["flags"]["held"], Value::Null);
    let kept = timeline_entry(&staff, "kept_private");
    assert_eq!(kept["text"], reason);
    assert_eq!(kept["public"], false);
    assert_eq!(kept["detail"]["public"], false);
    // Decided once; again is a conflict.
    let (status, _) = call_json(&app, &operator, Method::POST, &release(&second), None).await;
    assert_eq!(status, 409);

    // With the setting off, public cases are public at once.
    set_publication(&app, &operator, "daqing", json!({})).await;
    let third = submit_case(
        &app,
        "daqing",
        &other_case("直接公开", "审核关闭后直接公开。"),
    )
    .await
    .code;
    assert!(public_codes(&app, "daqing").await.contains(&third));
}
on_both_backends!(review_before_publication);

async fn staff_view_as(app: &TestApp, auth: &Auth, code: &str) -> (u16, Value) {
    call_json(
        app,
        auth,
        Method::GET,
        &format!("/tenants/daqing/cases/{code}"),
        None,
    )
    .await
}

fn timeline_entry<'a>(case: &'a Value, action: &str) -> &'a Value {
    case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} on the timeline: {case}"))
}

async fn publication_settings_in_bundles(backend: Backend) {
    let app = spawn_app(backend).await;
    // The demo city's bundle says it is a demo.
    let (_, tenant) = app.get_json("/tenants/daqing").await;
    assert_eq!(
        tenant["publication"],
        json!({"redact_personal_data": true, "review_before_publication": false,
               "close_unrated_after_days": 7, "demo": true,
               "words": ["东城领秀", "百湖民声", "龙凤区", "让胡路区", "萨尔图区", "红岗区",
                         "大同区", "高新区", "市热力公司", "热力公司", "城管局", "私车营运", "黑车"]})
    );

    // Export, change the section, apply: the city has the new settings.
    let out_dir = app.dir.path().join("daqing");
    let (ok, out) = app
        .cli(&[
            "tenant",
            "export",
            "daqing",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    let path = out_dir.join("tenant.toml");
    let mut doc: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    assert_eq!(doc["publication"]["demo"].as_bool(), Some(true), "{doc}");
    doc.insert(
        "publication".into(),
        toml::Value::Table(
            [
                (
                    "review_before_publication".to_owned(),
                    toml::Value::Boolean(true),
                ),
                (
                    "close_unrated_after_days".to_owned(),
                    toml::Value::Integer(10),
                ),
            ]
            .into_iter()
            .collect(),
        ),
    );
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", out_dir.to_str().unwrap()])
        .await;
    assert!(ok, "{out}");
    let (_, tenant) = app.get_json("/tenants/daqing").await;
    assert_eq!(
        tenant["publication"],
        json!({"redact_personal_data": true, "review_before_publication": true,
               "close_unrated_after_days": 10, "demo": false})
    );

    // Exported back as applied; applying the export changes nothing.
    let again = app.dir.path().join("again");
    let (ok, out) = app
        .cli(&[
            "tenant",
            "export",
            "daqing",
            "--out",
            again.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    let doc: toml::Table = std::fs::read_to_string(again.join("tenant.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        doc["publication"]["review_before_publication"].as_bool(),
        Some(true)
    );
    assert_eq!(
        doc["publication"]["close_unrated_after_days"].as_integer(),
        Some(10)
    );
    assert_eq!(doc["publication"]["demo"].as_bool(), Some(false));
    let (ok, out) = app.cli(&["tenant", "apply", again.to_str().unwrap()]).await;
    assert!(ok, "{out}");
    assert!(out.contains("nothing changed"), "{out}");

    // Out of range, or an unknown key: refused, saying where.
    for (bad, says) in [
        (
            "close_unrated_after_days = 61",
            "publication.close_unrated_after_days",
        ),
        ("redact = false", "unknown field `redact`"),
    ] {
        let text = std::fs::read_to_string(again.join("tenant.toml")).unwrap();
        let broken = app.dir.path().join("broken");
        std::fs::create_dir_all(&broken).unwrap();
        let text = text.replace("close_unrated_after_days = 10", bad);
        std::fs::write(broken.join("tenant.toml"), text).unwrap();
        let (ok, out) = app
            .cli(&["tenant", "apply", broken.to_str().unwrap()])
            .await;
        assert!(!ok, "{bad}: {out}");
        assert!(out.contains(says), "{bad}: {out}");
    }

    // No section: the defaults, and none is exported.
    let mut doc: toml::Table = std::fs::read_to_string(again.join("tenant.toml"))
        .unwrap()
        .parse()
        .unwrap();
    doc.remove("publication");
    std::fs::write(again.join("tenant.toml"), toml::to_string(&doc).unwrap()).unwrap();
    let (ok, out) = app.cli(&["tenant", "apply", again.to_str().unwrap()]).await;
    assert!(ok, "{out}");
    let (_, tenant) = app.get_json("/tenants/daqing").await;
    assert_eq!(tenant["publication"]["review_before_publication"], false);
    assert_eq!(tenant["publication"]["demo"], false);
    let last = app.dir.path().join("last");
    let (ok, out) = app
        .cli(&[
            "tenant",
            "export",
            "daqing",
            "--out",
            last.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(last.join("tenant.toml")).unwrap();
    assert!(!text.contains("[publication]"), "{text}");
}
on_both_backends!(publication_settings_in_bundles);

async fn demo_cities_say_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = |path: &'static str| {
        let app = &app;
        async move {
            let resp = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{path}");
            resp.text().await.unwrap()
        }
    };
    let notice = r#"<p class="demo-notice" role="note" data-testid="demo-notice">"#;
    for path in ["/t/daqing/", "/t/daqing/answers", "/t/daqing/ask"] {
        let html = page(path).await;
        assert!(html.contains(notice), "{path}");
        assert!(
            html.contains("本站数据为演示而生成，并非真实诉求。"),
            "{path}"
        );
    }
    // The apostrophe as the templates escape it.
    let html = page("/t/springfield/departments").await;
    assert!(html.contains(notice), "{html}");
    assert!(
        html.contains("This site&#x27;s data is generated for a demonstration; it is not real."),
        "{html}"
    );

    // A city that is not a demo says nothing of the sort.
    let (status, body) = app
        .send_json(
            Method::PATCH,
            "/tenants/springfield",
            &json!({"publication": {"demo": false}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let html = page("/t/springfield/departments").await;
    assert!(!html.contains("demo-notice"), "{html}");
    let html = page("/t/daqing/").await;
    assert!(html.contains(notice));
}
on_both_backends!(demo_cities_say_so);
