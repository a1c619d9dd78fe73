//! Open311 requests round trip: posted as a civic client would (API key,
//! attributes, bad input answered with the specification's errors), then
//! listed and read in JSON and XML.

use crate::on_both_backends;
use crate::open311::*;
use crate::support::{Backend, spawn_app};
use serde_json::json;

/// `base` without the `drop` fields, plus `extra`.
fn with<'a>(
    base: &[(&'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
    drop: &[&str],
) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = base
        .iter()
        .copied()
        .filter(|(k, _)| !drop.contains(k))
        .collect();
    form.extend_from_slice(extra);
    form
}

async fn requests_round_trip(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = api_key(&app, "springfield").await;
    let daqing_key = api_key(&app, "daqing").await;
    let base = [
        ("jurisdiction_id", "springfield"),
        ("service_code", "graffiti"),
        ("lat", "39.7817"),
        ("long", "-89.6501"),
        ("address_string", "742 Evergreen Terrace"),
        (
            "description",
            "Fresh graffiti on the underpass wall by the school.",
        ),
        ("attribute[surface][]", "bridge"),
        ("attribute[surface][]", "fence"),
        ("email", "marge@example.org"),
        ("first_name", "Marge"),
        ("media_url", "https://example.org/photo.jpg"),
    ];
    // api_key: missing, wrong, another city's.
    for (form, xml) in [
        (with(&base, &[], &[]), false),
        (with(&base, &[("api_key", "ms_nope_nope")], &[]), true),
        (with(&base, &[("api_key", daqing_key.as_str())], &[]), false),
    ] {
        let path = if xml { "requests.xml" } else { "requests.json" };
        let a = post(&app, path, &form).await;
        assert_eq!(a.status, 403, "{}", a.text);
        assert!(errors(&a, xml)[0].contains("api_key"));
    }
    // A required attribute missing: 400 naming it, in both formats.
    let missing = with(
        &base,
        &[("api_key", key.as_str())],
        &["attribute[surface][]"],
    );
    for (path, xml) in [("requests.json", false), ("requests.xml", true)] {
        let a = post(&app, path, &missing).await;
        assert_eq!(a.status, 400, "{}", a.text);
        assert!(
            errors(&a, xml)
                .iter()
                .any(|d| d.contains("attribute[surface]")),
            "{}",
            a.text
        );
    }
    let bad_choice = with(
        &base,
        &[("api_key", key.as_str()), ("attribute[surface][]", "moon")],
        &[],
    );
    assert_eq!(post(&app, "requests.json", &bad_choice).await.status, 400);
    let unknown = with(&base, &[("api_key", key.as_str())], &["service_code"]);
    let mut unknown = unknown;
    unknown.push(("service_code", "teleporter"));
    assert_eq!(post(&app, "requests.json", &unknown).await.status, 404);

    // Created, with both values of the multi-value list kept.
    let a = post(
        &app,
        "requests.json",
        &with(&base, &[("api_key", key.as_str())], &[]),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let created = a.json();
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(crate::support::tracking_code_shape(&id), "{id}");
    let a = post(
        &app,
        "requests.xml",
        &with(&base, &[("api_key", key.as_str())], &[]),
    )
    .await;
    assert_eq!(a.status, 201);
    let (root, items) = a.xml();
    assert_eq!(root, "service_requests");
    assert_eq!(items[0][0].0, "service_request_id");

    let one = get(
        &app,
        &format!("requests/{id}.json?jurisdiction_id=springfield"),
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.text);
    let one = one.json();
    let request = &one[0];
    let mut k = keys(request);
    k.sort();
    assert_eq!(k, sorted(REQUEST));
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "graffiti");
    assert_eq!(request["lat"], 39.7817);
    assert_eq!(request["media_url"], "https://example.org/photo.jpg");
    assert!(
        request["requested_datetime"]
            .as_str()
            .unwrap()
            .ends_with("-06:00")
            || request["requested_datetime"]
                .as_str()
                .unwrap()
                .ends_with("-05:00"),
        "{request}"
    );
    assert!(request.get("email").is_none(), "no personal data");
    let xml = get(
        &app,
        &format!("requests/{id}.xml?jurisdiction_id=springfield"),
    )
    .await;
    let (root, items) = xml.xml();
    assert_eq!(root, "service_requests");
    assert_eq!(names(&items[0]), REQUEST);

    // The same case through the REST API (what the citizen site reads),
    // with the attribute answers.
    let (status, case) = app
        .get_json(&format!("/tenants/springfield/cases/{id}"))
        .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(
        case["case"]["attributes"]["surface"],
        json!(["bridge", "fence"])
    );

    // On the city's site: its public page, by path and by host name.
    let page = html(&app, &format!("/t/springfield/cases/{id}"), None).await;
    assert_eq!(page.0, 200, "{}", page.1);
    assert!(page.1.contains("Fresh graffiti on the underpass wall"));
    assert!(page.1.contains("Graffiti") && page.1.contains("Received"));
    assert!(!page.1.contains("marge@example.org"), "no personal data");
    let by_host = html(&app, &format!("/cases/{id}"), Some("springfield.localhost")).await;
    assert_eq!(by_host.0, 200);
    assert_eq!(
        html(&app, &format!("/t/daqing/cases/{id}"), None).await.0,
        404,
        "not in another city"
    );
    // Text is shown as text.
    let script = with(
        &base,
        &[
            ("api_key", key.as_str()),
            ("description", "<script>alert(1)</script> on the wall"),
        ],
        &["description"],
    );
    let a = post(&app, "requests.json", &script).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let script_id = a.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = html(&app, &format!("/t/springfield/cases/{script_id}"), None).await;
    assert!(page.1.contains("&lt;script&gt;alert(1)"), "{}", page.1);
    assert!(!page.1.contains("<script>alert(1)"));
    // The page view is counted (in the background, once per reader).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, seen) = app
        .get_json(&format!("/tenants/springfield/cases/{script_id}"))
        .await;
    assert_eq!(seen["case"]["views"], 1, "{seen}");

    // A case submitted through the REST API is an Open311 request; a
    // private one is not.
    let (status, rest) = app
        .send_json(
            reqwest::Method::POST,
            "/tenants/daqing/cases",
            &json!({"category": "heating-cold", "title": "暖气不热", "text": "东城领秀小区暖气不热，室温只有十四度。",
                    "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]}}),
        )
        .await;
    assert_eq!(status, 201, "{rest}");
    let rest_code = rest["tracking_code"].as_str().unwrap().to_owned();
    let (status, private) = app
        .send_json(
            reqwest::Method::POST,
            "/tenants/daqing/cases",
            &json!({"category": "heating-cold", "title": "私密问题", "text": "这个问题不希望公开，谢谢。", "public": false,
                    "attributes": {"address_detail": ["某小区"], "indoor_temp": ["unknown"]}}),
        )
        .await;
    assert_eq!(status, 201);
    let private_code = private["tracking_code"].as_str().unwrap().to_owned();
    let listed = get(&app, "requests.xml?jurisdiction_id=daqing").await;
    assert!(listed.text.contains(&rest_code));
    assert!(
        listed.text.contains("东城领秀小区暖气不热"),
        "UTF-8 round trip"
    );
    assert!(!listed.text.contains(&private_code));
    assert_eq!(
        html(&app, &format!("/t/daqing/cases/{private_code}"), None)
            .await
            .0,
        404
    );
    let page = html(&app, &format!("/t/daqing/cases/{rest_code}"), None).await;
    assert!(page.1.contains("东城领秀小区暖气不热") && page.1.contains("待受理"));
    // The tracking form on the home page (no JavaScript): a code as people
    // type it finds the page; a wrong or private one is answered next to
    // the field.
    let typed = rest_code.to_lowercase().replace('-', " ");
    let found = app
        .client
        .get(app.url(&format!("/t/daqing/track?code={}", typed.replace(' ', "+"))))
        .send()
        .await
        .unwrap();
    assert_eq!(found.status().as_u16(), 303);
    assert_eq!(
        found.headers()["location"].to_str().unwrap(),
        format!("/t/daqing/cases/{rest_code}")
    );
    for code in ["ZZZZ-ZZZZ-ZZZZ", private_code.as_str(), "nonsense"] {
        let (status, page) = html(&app, &format!("/t/daqing/track?code={code}"), None).await;
        assert_eq!(status, 404, "{code}");
        assert!(page.contains(r#"aria-invalid="true""#));
        assert!(
            page.contains(r#"aria-describedby="code-error""#)
                && page.contains(r#"<span class="error" id="code-error">没有找到这个查询码"#),
            "{page}"
        );
    }
    let hidden = get(
        &app,
        &format!("requests/{private_code}.json?jurisdiction_id=daqing"),
    )
    .await;
    assert_eq!(hidden.status, 404);
    // Another city's request is not there, by id or in lists.
    let elsewhere = get(&app, &format!("requests/{id}.json?jurisdiction_id=daqing")).await;
    assert_eq!(elsewhere.status, 404);
    let many = get(
        &app,
        &format!("requests.json?jurisdiction_id=daqing&service_request_id={id},{rest_code}"),
    )
    .await
    .json();
    assert_eq!(many.as_array().unwrap().len(), 1);
    assert_eq!(many[0]["service_request_id"], rest_code.as_str());

    // Filters: dates, status, service, paging.
    let list = |q: &'static str| {
        let app = &app;
        async move {
            get(
                app,
                &format!("requests.json?jurisdiction_id=springfield{q}"),
            )
            .await
            .json()
            .as_array()
            .unwrap()
            .len()
        }
    };
    assert_eq!(list("").await, 3);
    assert_eq!(list("&service_code=graffiti").await, 3);
    assert_eq!(list("&service_code=pothole").await, 0);
    assert_eq!(list("&status=open").await, 3);
    assert_eq!(list("&status=closed").await, 0);
    assert_eq!(list("&start_date=2099-01-01T00:00:00Z").await, 0);
    assert_eq!(list("&end_date=2020-01-01T00:00:00Z").await, 0);
    // An unencoded `+` offset (a space once decoded) still reads.
    assert_eq!(list("&start_date=2020-01-01T08:00:00+08:00").await, 3);
    assert_eq!(list("&page_size=1").await, 1);
    assert_eq!(list("&page_size=2&page=2").await, 1);
    assert_eq!(list("&page_size=2&page=3").await, 0);
    let a = get(
        &app,
        "requests.json?jurisdiction_id=springfield&page_size=5000",
    )
    .await;
    assert_eq!(a.status, 400);

    // Staff answer it: closed, with the answer as status notes, and the
    // updates extension shows each public step.
    for (action, body) in [
        ("accept", json!({})),
        ("assign", json!({})),
        ("start", json!({})),
        ("answer", json!({"text": "Cleaned on Tuesday. Thank you!"})),
    ] {
        let (status, out) = app
            .send_json(
                reqwest::Method::POST,
                &format!("/tenants/springfield/cases/{id}/{action}"),
                &body,
            )
            .await;
        assert_eq!(status, 200, "{action}: {out}");
    }
    let closed = get(
        &app,
        &format!("requests/{id}.json?jurisdiction_id=springfield"),
    )
    .await
    .json();
    assert_eq!(closed[0]["status"], "closed");
    let page = html(&app, &format!("/t/springfield/cases/{id}"), None).await;
    assert!(page.1.contains("Cleaned on Tuesday. Thank you!"));
    assert!(page.1.contains("Official answer"));
    // The city's home page counts it and links the answer.
    let home = html(&app, "/t/springfield/", None).await.1;
    assert!(home.contains(r#"data-testid="received">3<"#), "{home}");
    assert!(home.contains(r#"data-testid="answered">1<"#));
    assert!(home.contains(r#"data-testid="answer-rate">33.3%<"#));
    assert!(home.contains(&format!("cases/{id}\">")), "{home}");
    assert_eq!(closed[0]["status_notes"], "Cleaned on Tuesday. Thank you!");
    assert_eq!(list("&status=closed").await, 1);
    let updates = get(
        &app,
        &format!("servicerequestupdates.json?jurisdiction_id=springfield&service_request_id={id}"),
    )
    .await
    .json();
    let updates = updates.as_array().unwrap();
    assert!(updates.len() >= 4, "{updates:?}");
    for u in updates {
        let mut k = keys(u);
        k.sort();
        assert_eq!(k, sorted(UPDATE));
        assert_eq!(u["service_request_id"], id.as_str());
    }
    assert_eq!(updates.last().unwrap()["status"], "closed");
    assert_eq!(updates[0]["status"], "open");
    let xml = get(
        &app,
        "servicerequestupdates.xml?jurisdiction_id=springfield",
    )
    .await;
    let (root, items) = xml.xml();
    assert_eq!(root, "service_request_updates");
    assert!(items.len() > updates.len(), "both requests' updates");
    assert_eq!(names(&items[0]), UPDATE);
    let token = get(&app, "tokens/abc.json?jurisdiction_id=springfield").await;
    assert_eq!(token.status, 404);
}
on_both_backends!(requests_round_trip);
