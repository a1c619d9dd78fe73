//! The staff workbench's pages, driven like a browser without JavaScript
//! (forms posted with the session cookie and CSRF token): the article's
//! heating complaint from the staff side with co-handling, and what a
//! department's staff may not see or do.

use crate::flows::{heating_complaint, submit_case};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app};
use serde_json::json;

/// A browser-like client that does not follow redirects.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn page(app: &TestApp, auth: &Auth, path: &str) -> (u16, String) {
    let resp = browser()
        .get(app.url(path))
        .header("cookie", auth.cookie.clone().unwrap_or_default())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Post a workbench form; its status and `Location` (or body).
pub(crate) async fn post(
    app: &TestApp,
    auth: &Auth,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", auth.csrf.as_deref().unwrap_or(""))];
    form.extend_from_slice(fields);
    let resp = browser()
        .post(app.url(path))
        .header("cookie", auth.cookie.clone().unwrap_or_default())
        .form(&form)
        .send()
        .await
        .unwrap();
    status_and_location(resp).await
}

/// A form's answer: its status and `Location` (or body).
pub(crate) async fn status_and_location(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body = resp.text().await.unwrap();
    (status, location.unwrap_or(body))
}

async fn heating_complaint_from_the_staff_side(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("daqing", "dq-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("daqing", "dq-heat", &["department-staff"], &["rlgs"])
        .await;
    app.staff("daqing", "dq-lfcgj", &["department-staff"], &["lfq-cgj"])
        .await;
    app.staff("daqing", "dq-super", &["supervisor"], &[]).await;
    let dispatcher = app.login_ok(Some("daqing"), "dq-dispatcher").await;
    let heat = app.login_ok(Some("daqing"), "dq-heat").await;
    let cgj = app.login_ok(Some("daqing"), "dq-lfcgj").await;
    let supervisor = app.login_ok(Some("daqing"), "dq-super").await;
    let case = submit_case(&app, "daqing", &heating_complaint()).await;
    let staff_case = format!("/t/daqing/staff/cases/{}", case.code);

    // The dispatcher's queue: the new case under 待受理, with its count.
    let (status, inbox) = page(&app, &dispatcher, "/t/daqing/staff/").await;
    assert_eq!(status, 200, "{inbox}");
    assert!(inbox.contains(&case.code), "{inbox}");
    assert!(
        inbox.contains("data-testid=\"count-submitted\">1<"),
        "{inbox}"
    );
    // A filter that excludes it, and a bad one that says what to fix.
    let (_, filtered) = page(&app, &dispatcher, "/t/daqing/staff/?tab=submitted&q=下水道").await;
    assert!(!filtered.contains(&case.code));
    let (status, bad) = page(&app, &dispatcher, "/t/daqing/staff/?tab=soon").await;
    assert_eq!(status, 422, "{bad}");

    // The staff case page shows the contact data; the public page does not.
    let (status, body) = page(&app, &dispatcher, &staff_case).await;
    assert_eq!(status, 200);
    assert!(body.contains("13900001111") && body.contains("data-testid=\"form-accept\""));
    // The category's questions and the chosen values by name, not code.
    assert!(
        body.contains("目前室内温度大约是多少？") && body.contains("10–14℃"),
        "{body}"
    );
    assert!(
        !body.contains("data-testid=\"form-answer\""),
        "no answer before assigning"
    );

    // Accept; assign to 市热力公司 with 龙凤区城管局 co-handling.
    let (status, to) = post(&app, &dispatcher, &staff_case, &[("op", "accept")]).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("done=accept"), "{to}");
    let (status, to) = post(
        &app,
        &dispatcher,
        &staff_case,
        &[("op", "assign"), ("lead", "rlgs"), ("co", "lfq-cgj")],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    // A stale form (accept again) is a 409 showing what is allowed now.
    let (status, body) = post(&app, &dispatcher, &staff_case, &[("op", "accept")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.contains("action-error") && body.contains("allowed now"),
        "{body}"
    );

    // The co-handler sees the case in its queue and gives its opinion; it
    // may not answer (403), which is reserved to the lead.
    let (_, inbox) = page(&app, &cgj, "/t/daqing/staff/?tab=handling").await;
    assert!(inbox.contains(&case.code), "{inbox}");
    let (_, body) = page(&app, &cgj, &staff_case).await;
    assert!(body.contains("data-testid=\"form-opinion\""), "{body}");
    assert!(!body.contains("data-testid=\"form-answer\""));
    let (status, _) = post(
        &app,
        &cgj,
        &staff_case,
        &[("op", "answer"), ("text", "不是我们答复。")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, to) = post(
        &app,
        &cgj,
        &staff_case,
        &[
            ("op", "opinion"),
            ("department", "lfq-cgj"),
            (
                "text",
                "经现场核实，小区外部管网无占道施工，建议由热力公司入户检查。",
            ),
        ],
    )
    .await;
    assert_eq!(status, 303, "{to}");

    // The lead keeps a template, sees the opinion and answers with it.
    let (status, _) = post(
        &app,
        &heat,
        "/t/daqing/staff/templates",
        &[
            ("op", "create"),
            ("department", "rlgs"),
            ("title", "入户检修"),
            (
                "text",
                "经市热力公司技术人员入户检查，温控阀损坏，已修复，供热已恢复正常。",
            ),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, body) = page(&app, &heat, &staff_case).await;
    assert!(body.contains("data-testid=\"opinion-lfq-cgj\""), "{body}");
    assert!(body.contains("入户检修"), "the template is offered: {body}");
    let (status, body) = post(&app, &heat, &staff_case, &[("op", "answer"), ("text", "x")]).await;
    assert_eq!(status, 422, "too short an answer says so: {body}");
    assert!(body.contains("aria-invalid=\"true\""), "{body}");
    let (status, _) = post(
        &app,
        &heat,
        &staff_case,
        &[
            ("op", "answer"),
            (
                "text",
                "经市热力公司技术人员入户检查，温控阀损坏，已修复，供热已恢复正常。",
            ),
        ],
    )
    .await;
    assert_eq!(status, 303);

    // The citizen rates; the case is answered on the public page.
    let status = app
        .client
        .post(app.api(&format!("/tenants/daqing/cases/{}/rating", case.code)))
        .header("x-case-secret", &case.secret)
        .json(&json!({"rating": "satisfied"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 200);
    let (_, body) = page(&app, &heat, &staff_case).await;
    assert!(body.contains("data-testid=\"case-rating\""), "{body}");
    let (_, inbox) = page(&app, &dispatcher, "/t/daqing/staff/?tab=answered").await;
    assert!(inbox.contains(&case.code));

    // Supervision: the board and an urge on an open case.
    let second = submit_case(&app, "daqing", &heating_complaint()).await;
    let second_page = format!("/t/daqing/staff/cases/{}", second.code);
    post(&app, &dispatcher, &second_page, &[("op", "accept")]).await;
    post(
        &app,
        &dispatcher,
        &second_page,
        &[("op", "assign"), ("lead", "rlgs")],
    )
    .await;
    let (status, to) = post(
        &app,
        &supervisor,
        &second_page,
        &[("op", "supervise"), ("text", "请三日内入户检查并答复。")],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    let (_, inbox) = page(&app, &supervisor, "/t/daqing/staff/?tab=supervised").await;
    assert!(inbox.contains(&second.code), "{inbox}");
    let (status, board) = page(&app, &supervisor, "/t/daqing/staff/supervision").await;
    assert_eq!(status, 200);
    assert!(board.contains("市热力公司"), "{board}");
    let (status, _) = post(
        &app,
        &heat,
        &second_page,
        &[("op", "supervise"), ("text", "自己督办自己。")],
    )
    .await;
    assert_eq!(status, 403, "department staff do not supervise");

    // Performance, as a page and as CSV.
    let (status, body) = page(&app, &supervisor, "/t/daqing/staff/performance").await;
    assert_eq!(status, 200);
    assert!(body.contains("市热力公司"), "{body}");
    let (status, csv) = page(&app, &supervisor, "/t/daqing/staff/performance?format=csv").await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("department,name,received"), "{csv}");
    assert!(csv.contains("rlgs,市热力公司,"), "{csv}");
    // 龙凤区城管局 co-handled one case and gave its opinion.
    let cgj = csv
        .lines()
        .find(|l| l.starts_with("lfq-cgj,"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(cgj.ends_with(",1,1,1,0"), "{cgj}");

    // A form without the session's token is refused.
    let resp = browser()
        .post(app.url(&second_page))
        .header("cookie", heat.cookie.clone().unwrap())
        .form(&[("op", "note"), ("text", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
}
on_both_backends!(heating_complaint_from_the_staff_side);

/// A department's staff see only their department's cases and no other
/// city's, by page, link or guessed URL.
async fn department_staff_see_only_their_cases(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("daqing", "dq-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("daqing", "dq-water", &["department-staff"], &["lfq-cgj"])
        .await;
    app.staff("springfield", "sf-dispatcher", &["dispatcher"], &[])
        .await;
    let dispatcher = app.login_ok(Some("daqing"), "dq-dispatcher").await;
    let other_department = app.login_ok(Some("daqing"), "dq-water").await;
    let other_city = app.login_ok(Some("springfield"), "sf-dispatcher").await;
    let case = submit_case(&app, "daqing", &heating_complaint()).await;
    let staff_case = format!("/t/daqing/staff/cases/{}", case.code);
    post(&app, &dispatcher, &staff_case, &[("op", "accept")]).await;
    post(
        &app,
        &dispatcher,
        &staff_case,
        &[("op", "assign"), ("lead", "rlgs")],
    )
    .await;

    let (_, inbox) = page(&app, &other_department, "/t/daqing/staff/?tab=all").await;
    assert!(!inbox.contains(&case.code), "{inbox}");
    let (status, _) = page(&app, &other_department, &staff_case).await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &app,
        &other_department,
        &staff_case,
        &[("op", "note"), ("text", "看看别人的")],
    )
    .await;
    assert_eq!(status, 404);
    // A department filter cannot widen what they see.
    let (_, inbox) = page(
        &app,
        &other_department,
        "/t/daqing/staff/?tab=all&department=rlgs",
    )
    .await;
    assert!(!inbox.contains(&case.code), "{inbox}");

    // Springfield's staff: sent to sign in on daqing's workbench, and the
    // case is not found under their own city.
    let (status, _) = page(&app, &other_city, "/t/daqing/staff/").await;
    assert_eq!(status, 303);
    let (status, _) = page(
        &app,
        &other_city,
        &format!("/t/springfield/staff/cases/{}", case.code),
    )
    .await;
    assert_eq!(status, 404);
    let (_, inbox) = page(&app, &other_city, "/t/springfield/staff/?tab=all").await;
    assert!(!inbox.contains(&case.code));
}
on_both_backends!(department_staff_see_only_their_cases);

/// Answer templates and supervision through the REST API: department staff
/// keep their own department's templates only; a supervisor's 督办 is on
/// the case and its timeline.
async fn templates_and_supervision_through_the_api(backend: Backend) {
    use reqwest::Method;
    let app = spawn_app(backend).await;
    app.staff("daqing", "dq-heat", &["department-staff"], &["rlgs"])
        .await;
    app.staff("daqing", "dq-super", &["supervisor"], &[]).await;
    let heat = app.login_ok(Some("daqing"), "dq-heat").await;
    let supervisor = app.login_ok(Some("daqing"), "dq-super").await;
    let templates = "/tenants/daqing/answer-templates";
    let mine = json!({"department": "rlgs", "title": "入户检修", "text": "已入户检修。"});
    let (status, text) = app.call(&heat, Method::POST, templates, Some(&mine)).await;
    assert_eq!(status, 201, "{text}");
    let created: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(created["department_name"], "市热力公司");
    let theirs = json!({"department": "lfq-cgj", "title": "别人的", "text": "别人的常用语。"});
    let (status, _) = app
        .call(&heat, Method::POST, templates, Some(&theirs))
        .await;
    assert_eq!(status, 403);
    let city = json!({"title": "全市", "text": "全市的常用语。"});
    let (status, _) = app.call(&heat, Method::POST, templates, Some(&city)).await;
    assert_eq!(status, 403, "department staff keep no city-wide templates");
    let short = json!({"department": "rlgs", "title": "x", "text": "已入户检修。"});
    let (status, text) = app.call(&heat, Method::POST, templates, Some(&short)).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("title"), "{text}");
    let (status, text) = app.call(&heat, Method::GET, templates, None).await;
    assert_eq!(status, 200);
    assert!(text.contains("入户检修"), "{text}");
    let id = created["id"].as_str().unwrap();
    let (status, _) = app
        .call(&heat, Method::DELETE, &format!("{templates}/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, text) = app.call(&heat, Method::GET, templates, None).await;
    assert!(!text.contains("入户检修"), "{text}");

    let case = submit_case(&app, "daqing", &heating_complaint()).await;
    let path = format!("/tenants/daqing/cases/{}/supervision", case.code);
    let body = json!({"text": "请尽快入户检查。"});
    let (status, _) = app.call(&heat, Method::POST, &path, Some(&body)).await;
    assert_eq!(status, 403);
    let (status, text) = app
        .call(&supervisor, Method::POST, &path, Some(&body))
        .await;
    assert_eq!(status, 204, "{text}");
    let (status, _) = app
        .call(&supervisor, Method::POST, &path, Some(&body))
        .await;
    assert_eq!(status, 204, "urged again");
    let view = crate::flows::staff_view(&app, "daqing", &case.code).await;
    assert!(view["supervised_at"].is_string(), "{view}");
    let actions: Vec<&str> = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"supervise") && actions.contains(&"urge"),
        "{actions:?}"
    );
}
on_both_backends!(templates_and_supervision_through_the_api);

/// How many cases the inbox lists under `tab`, following its pages.
async fn listed(app: &TestApp, auth: &Auth, tab: &str) -> usize {
    let mut path = format!("/t/daqing/staff/?tab={tab}");
    let mut n = 0;
    loop {
        let (status, inbox) = page(app, auth, &path).await;
        assert_eq!(status, 200, "{inbox}");
        n += inbox.matches("data-testid=\"queue-case\"").count();
        let Some(at) = inbox.find("&amp;after=") else {
            return n;
        };
        let cursor: String = inbox[at + 11..].chars().take_while(|c| *c != '"').collect();
        path = format!("/t/daqing/staff/?tab={tab}&after={cursor}");
    }
}

/// The count on a tab of the inbox.
fn tab_count(inbox: &str, tab: &str) -> usize {
    let marker = format!("data-testid=\"count-{tab}\">");
    let at = inbox
        .find(&marker)
        .unwrap_or_else(|| panic!("no {tab} count"))
        + marker.len();
    inbox[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// A city with a year of history, some of it supervised and held: every
/// tab's count is exactly the number of cases it lists, page after page.
async fn every_tab_counts_what_it_lists(backend: Backend) {
    use reqwest::Method;
    // No worker: its ladders would supervise overdue cases of the history
    // between the two looks at the inbox.
    let app = crate::support::spawn_app_with(backend, &[("MINSHENG_WORKER", "false")]).await;
    let (ok, out) = app
        .cli(&[
            "demo", "seed", "--tenant", "daqing", "--cases", "120", "--seed", "18",
        ])
        .await;
    assert!(ok, "{out}");
    app.staff("daqing", "dq-super", &["supervisor"], &[]).await;
    let supervisor = app.login_ok(Some("daqing"), "dq-super").await;
    // Two more open cases under supervision, one held for review.
    let (_, before) = page(&app, &supervisor, "/t/daqing/staff/").await;
    for title in ["铁人广场路灯不亮", "万宝小区门口积水"] {
        let case = submit_case(
            &app,
            "daqing",
            &json!({"category": "other", "title": title,
                    "text": format!("{title}，已经一周了，请尽快处理。"), "public": true}),
        )
        .await;
        let path = format!("/tenants/daqing/cases/{}/supervision", case.code);
        let body = json!({"text": "请加快办理。"});
        let (status, text) = app
            .call(&supervisor, Method::POST, &path, Some(&body))
            .await;
        assert_eq!(status, 204, "{text}");
    }
    let (status, _) = app
        .send_json(
            Method::PATCH,
            "/tenants/daqing",
            &json!({"publication": {"review_before_publication": true}}),
        )
        .await;
    assert_eq!(status, 200);
    submit_case(&app, "daqing", &heating_complaint()).await;

    let (status, inbox) = page(&app, &supervisor, "/t/daqing/staff/?tab=all").await;
    assert_eq!(status, 200, "{inbox}");
    let mut nonzero = 0;
    for tab in [
        "submitted",
        "to_assign",
        "handling",
        "held",
        "due_soon",
        "overdue",
        "supervised",
        "answered",
        "all",
    ] {
        let count = tab_count(&inbox, tab);
        assert_eq!(count, listed(&app, &supervisor, tab).await, "tab {tab}");
        nonzero += usize::from(count > 0);
    }
    assert_eq!(
        tab_count(&inbox, "supervised"),
        tab_count(&before, "supervised") + 2
    );
    assert_eq!(tab_count(&inbox, "held"), tab_count(&before, "held") + 1);
    assert_eq!(
        tab_count(&inbox, "submitted"),
        tab_count(&before, "submitted") + 3
    );
    assert_eq!(tab_count(&inbox, "all"), 123);
    assert!(nonzero >= 6, "a history fills most tabs: {nonzero}");
}
on_both_backends!(every_tab_counts_what_it_lists);
