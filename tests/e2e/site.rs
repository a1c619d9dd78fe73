//! The citizen site over plain HTTP (what a browser without JavaScript
//! sends): one case per form however often it is sent, accounts and "my
//! cases", the owner's forms by account, caching headers, robots.txt and
//! the sitemap, bad input answered with 4xx pages, and one city's pages
//! never showing another's cases.

use crate::on_both_backends;
use crate::support::{Backend, TestApp, spawn_app};
use reqwest::header::{COOKIE, SET_COOKIE};

/// The value of `name="{field}" value="…"` in a page.
pub(crate) fn field_value(html: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {field} in {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The text of the element with `data-testid="{id}"`.
pub(crate) fn testid(html: &str, id: &str) -> String {
    let marker = format!("data-testid=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..].split('<').next().unwrap().trim().to_owned()
}

pub(crate) async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(app.url(path)).header("accept", "text/html");
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).form(form);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    req.send().await.unwrap()
}

fn graffiti<'a>(form_id: &'a str, title: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("category", "graffiti"),
        ("form_id", form_id),
        ("title", title),
        ("text", "Spray paint all over the underpass wall on 5th."),
        ("attribute[surface][]", "bridge"),
        ("attribute[surface][]", "fence"),
        ("public", "yes"),
        ("anonymous", "yes"),
    ]
}

async fn one_case_per_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, form) = page(&app, "/t/springfield/ask?category=graffiti", None).await;
    assert_eq!(status, 200);
    let form_id = field_value(&form, "form_id");
    // Sent twice (a double click, or back and send again): one case.
    let fields = graffiti(&form_id, "Graffiti under the 5th street bridge");
    let first = post(&app, "/t/springfield/ask", None, &fields).await;
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let first = first.text().await.unwrap();
    let second = post(&app, "/t/springfield/ask", None, &fields)
        .await
        .text()
        .await
        .unwrap();
    let code = testid(&first, "tracking-code");
    assert_eq!(testid(&second, "tracking-code"), code);
    assert_eq!(testid(&second, "secret"), testid(&first, "secret"));
    let (_, stats) = app.get_json("/tenants/springfield/stats").await;
    assert_eq!(stats["received"], 1, "{stats}");
    // The same form edited after sending: refused with a fresh form, nothing filed.
    let edited = graffiti(&form_id, "Graffiti under the 6th street bridge");
    let resp = post(&app, "/t/springfield/ask", None, &edited).await;
    assert_eq!(resp.status().as_u16(), 409);
    let html = resp.text().await.unwrap();
    assert!(html.contains("This form was already sent"), "{html}");
    assert_ne!(field_value(&html, "form_id"), form_id);
    let (_, stats) = app.get_json("/tenants/springfield/stats").await;
    assert_eq!(stats["received"], 1);

    // Mistakes come back next to their fields, what was typed kept.
    let fresh = field_value(
        &page(&app, "/t/springfield/ask?category=graffiti", None)
            .await
            .1,
        "form_id",
    );
    let resp = post(
        &app,
        "/t/springfield/ask",
        None,
        &[
            ("category", "graffiti"),
            ("form_id", &fresh),
            ("title", "Tag"),
            ("text", "<script>alert(1)</script>"),
            ("latitude", "north"),
            ("contact_email", "not-an-email"),
            ("attribute[surface][]", "moon"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 422);
    let html = resp.text().await.unwrap();
    for (field, message) in [
        ("title", "The title needs 4 to 100 characters."),
        ("latitude", "The location is not valid"),
    ] {
        assert!(
            html.contains(&format!(
                "<span class=\"error\" id=\"{field}-error\">{message}"
            )),
            "{field}: {html}"
        );
        assert!(html.contains(&format!("id=\"{field}\"")));
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    for id in ["contact_email-error", "attr-surface-error"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    // A category that does not exist: the list of categories.
    let resp = post(
        &app,
        "/t/springfield/ask",
        None,
        &[("category", "nope"), ("title", "x")],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.text().await.unwrap().contains("data-code=\"pothole\""));
    // Nothing more was filed.
    let (_, stats) = app.get_json("/tenants/springfield/stats").await;
    assert_eq!(stats["received"], 1);
}
on_both_backends!(one_case_per_form);

/// Register, ask while signed in, find the case under "my cases" and act
/// on it without the secret; the account is no use in another city.
async fn resident_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let resp = app
        .client
        .get(app.url("/t/daqing/register"))
        .send()
        .await
        .unwrap();
    let form_cookie = resp.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = resp.text().await.unwrap();
    let csrf = field_value(&html, "csrf_token");
    // A weak password and a bad user name: both fields say what to fix.
    let resp = post(
        &app,
        "/t/daqing/register",
        Some(&form_cookie),
        &[
            ("csrf_token", &csrf),
            ("username", "a"),
            ("display_name", "王"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 422);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("id=\"username-error\"") && html.contains("id=\"password-error\""),
        "{html}"
    );
    // Without the form cookie (a cross-site post): refused.
    let resp = post(
        &app,
        "/t/daqing/register",
        None,
        &[
            ("csrf_token", &csrf),
            ("username", "wang.li"),
            ("display_name", "王丽"),
            ("password", "correct-horse-battery"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 403);
    let resp = post(
        &app,
        "/t/daqing/register",
        Some(&form_cookie),
        &[
            ("csrf_token", &csrf),
            ("username", "wang.li"),
            ("display_name", "王丽"),
            ("password", "correct-horse-battery"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/t/daqing/my?welcome=1");
    let session = resp.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // The same name again: taken.
    let resp = post(
        &app,
        "/t/daqing/register",
        Some(&form_cookie),
        &[
            ("csrf_token", &csrf),
            ("username", "wang.li"),
            ("display_name", "另一个"),
            ("password", "correct-horse-battery"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 422);
    assert!(resp.text().await.unwrap().contains("这个用户名已被使用"));

    let (status, html) = page(&app, "/t/daqing/my?welcome=1", Some(&session)).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("注册成功") && html.contains("您还没有提交过诉求"),
        "{html}"
    );

    // Ask while signed in: a private question.
    let (_, form) = page(&app, "/t/daqing/ask?category=heating-fee", Some(&session)).await;
    let form_id = field_value(&form, "form_id");
    let resp = post(
        &app,
        "/t/daqing/ask",
        Some(&session),
        &[
            ("category", "heating-fee"),
            ("form_id", &form_id),
            ("title", "供热费退费进度"),
            ("text", "去年申请停供退费，至今没有到账，请问进度。"),
            ("public", "no"),
        ],
    )
    .await;
    let html = resp.text().await.unwrap();
    let code = testid(&html, "tracking-code");
    let (_, mine) = page(&app, "/t/daqing/my", Some(&session)).await;
    assert!(
        mine.contains(&code) && mine.contains("供热费退费进度"),
        "{mine}"
    );
    // Private: nobody else finds it, the owner sees it and its forms.
    let (status, _) = page(&app, &format!("/t/daqing/cases/{code}"), None).await;
    assert_eq!(status, 404);
    let (status, _) = page(&app, &format!("/t/daqing/track?code={code}"), None).await;
    assert_eq!(status, 404);
    let (status, own) = page(
        &app,
        &format!("/t/daqing/track?code={code}"),
        Some(&session),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        own.contains("供热费退费进度") && own.contains("补充情况"),
        "{own}"
    );
    // Adding details by account needs the session's token.
    let token = field_value(&own, "csrf_token");
    let path = format!("/t/daqing/cases/{code}/information");
    let resp = post(
        &app,
        &path,
        Some(&session),
        &[("text", "退费账号尾号 1234"), ("csrf_token", "forged")],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 403);
    let resp = post(
        &app,
        &path,
        Some(&session),
        &[("text", "退费账号尾号 1234"), ("csrf_token", &token)],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 303);
    // Empty details: the message next to the field.
    let resp = post(
        &app,
        &path,
        Some(&session),
        &[("text", " "), ("csrf_token", &token)],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 422);
    assert!(resp.text().await.unwrap().contains("id=\"info-error\""));
    // Rating before an answer: said plainly, not a server error.
    let rate = format!("/t/daqing/cases/{code}/rate");
    let resp = post(
        &app,
        &rate,
        Some(&session),
        &[("rating", "satisfied"), ("csrf_token", &token)],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 409);
    assert!(resp.text().await.unwrap().contains("答复后即可评价"));

    // The daqing account means nothing in springfield.
    let resp = app
        .client
        .get(app.url("/t/springfield/my"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let (status, _) = page(
        &app,
        &format!("/t/springfield/track?code={code}"),
        Some(&session),
    )
    .await;
    assert_eq!(status, 404);
    let resp = post(
        &app,
        &format!("/t/springfield/cases/{code}/information"),
        Some(&session),
        &[("text", "x"), ("csrf_token", &token)],
    )
    .await;
    assert!(
        matches!(resp.status().as_u16(), 403 | 404),
        "{}",
        resp.status()
    );
}
on_both_backends!(resident_accounts);

/// Public pages: ETags and revalidation, the cache emptied by a write,
/// robots.txt, the sitemap, the language switch, filters, and 4xx for
/// everything a visitor can get wrong.
async fn public_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, created) = app
        .send_json(
            reqwest::Method::POST,
            "/tenants/springfield/cases",
            &serde_json::json!({
                "category": "pothole", "title": "Pothole on Main Street",
                "text": "A deep pothole by the fire station on Main Street.",
                "attributes": {"size": ["large"]}, "public": true
            }),
        )
        .await;
    let code = created["tracking_code"].as_str().unwrap().to_owned();

    let home = app
        .client
        .get(app.url("/t/springfield/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        home.headers()["cache-control"],
        "public, max-age=0, s-maxage=10"
    );
    let etag = home.headers()["etag"].to_str().unwrap().to_owned();
    let before = home.text().await.unwrap();
    assert_eq!(testid(&before, "received"), "1");
    let again = app
        .client
        .get(app.url("/t/springfield/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    // A new case: the next visit sees it at once, with another ETag.
    app.send_json(
        reqwest::Method::POST,
        "/tenants/springfield/cases",
        &serde_json::json!({
            "category": "pothole", "title": "Second pothole on Elm",
            "text": "Another pothole, this one on Elm Street by the school.",
            "attributes": {"size": ["small"]}, "public": true
        }),
    )
    .await;
    let after = app
        .client
        .get(app.url("/t/springfield/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 200);
    assert_eq!(testid(&after.text().await.unwrap(), "received"), "2");

    // robots.txt and the sitemap, by path and by the city's host name.
    let (status, robots) = page(&app, "/t/springfield/robots.txt", None).await;
    assert_eq!(status, 200);
    assert!(
        robots.contains("Disallow: /t/springfield/ask")
            && robots.contains("/t/springfield/sitemap.xml"),
        "{robots}"
    );
    let port = app.base.rsplit(':').next().unwrap();
    let by_host = app
        .client
        .get(format!("{}/robots.txt", app.base))
        .header("host", format!("springfield.localhost:{port}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        by_host.contains("Disallow: /ask")
            && by_host.contains(&format!("http://springfield.localhost:{port}/sitemap.xml")),
        "{by_host}"
    );
    let sitemap = app
        .client
        .get(app.url("/t/springfield/sitemap.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sitemap.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let xml = sitemap.text().await.unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("the sitemap is XML");
    let locs: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        locs.iter().any(|l| l.ends_with("/t/springfield/answers")),
        "{locs:?}"
    );
    // Only answered cases are listed; this one is not answered yet.
    assert!(!locs.iter().any(|l| l.contains(&code)));

    // The language switch: a cookie, then back to the page.
    let resp = app
        .client
        .get(app.url("/t/springfield/lang?to=zh-CN&back=/t/springfield/answers"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/t/springfield/answers");
    let lang = resp.headers()[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (_, zh) = page(&app, "/t/springfield/answers", Some(&lang)).await;
    assert!(
        zh.contains("<html lang=\"zh-CN\">") && zh.contains("答复公开"),
        "{zh}"
    );
    let (_, en) = page(&app, "/t/springfield/answers", None).await;
    assert!(en.contains("<html lang=\"en\">"));
    // Never a redirect to another site.
    let resp = app
        .client
        .get(app.url("/t/springfield/lang?to=en&back=//evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/t/springfield/");

    // Filters and search: shareable GET URLs; wrong ones say so, never 5xx.
    let (status, list) = page(&app, "/t/springfield/answers?q=elm", None).await;
    assert_eq!(status, 200);
    assert_eq!(testid(&list, "total"), "1");
    // The searched word is marked in the result.
    assert!(
        list.contains("Second pothole on <mark>Elm</mark>") && !list.contains("Pothole on Main")
    );
    let (_, list) = page(&app, "/t/springfield/answers?q=100%25", None).await;
    assert_eq!(testid(&list, "total"), "0");
    for bad in [
        "page=abc",
        "state=lost",
        "period=9",
        "department=nope",
        "category=%3Cscript%3E",
        "page=999999999999",
    ] {
        let (status, html) = page(&app, &format!("/t/springfield/answers?{bad}"), None).await;
        assert_eq!(status, 200, "{bad}");
        assert!(!html.contains("<script>"), "{bad}");
    }
    let (status, _) = page(&app, "/t/springfield/lang?to=klingon", None).await;
    assert_eq!(status, 400);
    let (status, html) = page(
        &app,
        "/t/springfield/departments?sort=%3Cx%3E&dir=sideways",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"departments\""));
    let (status, html) = page(&app, "/t/springfield/departments/no-such", None).await;
    assert_eq!(status, 404);
    assert!(html.contains("Springfield 311"), "a branded 404");
    let (status, html) = page(&app, "/t/springfield/departments/pw-streets", None).await;
    assert_eq!(status, 200);
    assert_eq!(testid(&html, "received"), "2");

    // Another city's department, case or answers are not springfield's.
    let (status, _) = page(&app, "/t/springfield/departments/rlgs", None).await;
    assert_eq!(status, 404);
    let (_, daqing) = page(&app, "/t/daqing/answers?q=pothole", None).await;
    assert_eq!(testid(&daqing, "total"), "0");
    let (status, _) = page(&app, &format!("/t/daqing/cases/{code}"), None).await;
    assert_eq!(status, 404);

    // The stylesheet: kept a year, versioned by the pages' links.
    let css = app
        .client
        .get(app.url("/static/minsheng.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        css.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(before.contains("/static/minsheng.css?v="));
}
on_both_backends!(public_pages);
