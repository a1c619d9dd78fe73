//! The platform operators' console over plain HTTP (a browser without
//! JavaScript): signing in, the cities, suspending and reactivating one,
//! its host names and quotas, each change in the audit log; bad input is a
//! 4xx page that says what is wrong, and nobody but an operator gets in.

use crate::on_both_backends;
use crate::site::field_value;
use crate::support::{Auth, Backend, PASSWORD, TestApp, spawn_app_with};
use crate::workbench::{page, post};

/// A server whose admin API is closed, with the operator `c-operator`.
async fn closed_app_with_operator(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "c-operator"])
        .await;
    assert!(ok, "{out}");
    app
}

async fn operators_run_cities_from_the_console(backend: Backend) {
    let app = closed_app_with_operator(backend).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;

    // Not signed in: to the sign-in form, which signs an operator in.
    let (status, to) = page(&app, &Auth::default(), "/operator/").await;
    assert_eq!(status, 303, "{to}");
    let resp = app
        .client
        .get(app.url("/operator/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let form = resp.text().await.unwrap();
    let token = field_value(&form, "csrf_token");
    let login = |password: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.client
                .post(app.url("/operator/login"))
                .header("cookie", format!("__Host-minsheng-form={token}"))
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("username", "c-operator"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = login("not-the-password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong.text().await.unwrap().contains("role=\"alert\""));
    let resp = login(PASSWORD).await;
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/operator/");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, cities) = page(
        &app,
        &Auth {
            cookie: Some(cookie),
            ..Auth::default()
        },
        "/operator/",
    )
    .await;
    assert_eq!(status, 200, "{cities}");
    for slug in ["daqing", "springfield"] {
        assert!(
            cities.contains(&format!("data-city=\"{slug}\"")),
            "{cities}"
        );
    }

    // A city's page: host names, quotas, suspension.
    let operator = app.login_ok(None, "c-operator").await;
    let path = "/operator/cities/springfield";
    let act = |fields: &'static [(&'static str, &'static str)]| post(&app, &operator, path, fields);
    let (status, html) = page(&app, &operator, path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-testid=\"form-quotas\""));
    let (status, to) = act(&[("op", "add_host"), ("host", "sf.example.org")]).await;
    assert_eq!((status, to.as_str()), (303, path));
    let (status, hosts) = crate::cases::json_call(
        &app,
        &operator,
        reqwest::Method::GET,
        "/tenants/springfield/hosts",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hosts[0]["host"], "sf.example.org", "{hosts}");
    let (status, html) = act(&[("op", "add_host"), ("host", "not a host!")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("data-testid=\"error\"") && html.contains("value=\"not a host!\""),
        "{html}"
    );
    let id = hosts[0]["id"].as_str().unwrap();
    let (status, _) = post(
        &app,
        &operator,
        path,
        &[("op", "remove_host"), ("host_id", id)],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = act(&[("op", "remove_host"), ("host_id", "nope")]).await;
    assert_eq!(status, 422);

    let (status, _) = act(&[
        ("op", "quotas"),
        ("cases_per_day", "10"),
        ("webhooks", " 3 "),
        ("staff_users", ""),
    ])
    .await;
    assert_eq!(status, 303);
    let (_, quotas) = crate::cases::json_call(
        &app,
        &operator,
        reqwest::Method::GET,
        "/tenants/springfield/quotas",
        None,
    )
    .await;
    assert_eq!(quotas["limits"]["cases_per_day"], 10, "{quotas}");
    assert_eq!(quotas["limits"]["webhooks"], 3);
    assert!(quotas["limits"]["staff_users"].is_null());
    let (_, html) = page(&app, &operator, path).await;
    assert!(
        html.contains(
            "name=\"cases_per_day\" inputmode=\"numeric\" pattern=\"[0-9]*\" value=\"10\""
        ),
        "{html}"
    );
    let (status, html) = act(&[("op", "quotas"), ("departments", "many")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("departments: a whole number"), "{html}");

    let (status, _) = act(&[("op", "suspend")]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &operator, path).await;
    assert!(html.contains("data-testid=\"state\">Suspended"), "{html}");
    let resp = app
        .client
        .get(app.url("/t/springfield/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        404,
        "a suspended city's site is gone"
    );
    let (status, _) = act(&[("op", "reactivate")]).await;
    assert_eq!(status, 303);
    let resp = app
        .client
        .get(app.url("/t/springfield/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (status, _) = act(&[("op", "explode")]).await;
    assert_eq!(status, 422);
    // A form without the session's token changes nothing.
    let (status, _) = post(
        &app,
        &Auth {
            csrf: None,
            ..operator.clone()
        },
        path,
        &[("op", "suspend")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = page(&app, &operator, "/operator/cities/atlantis").await;
    assert_eq!(status, 404);

    // Every change is in the audit log.
    let rows = app
        .platform_query(
            "SELECT action FROM audit_events WHERE action IN ('quota_update', 'tenant_update')",
        )
        .await;
    assert_eq!(
        rows.len(),
        3,
        "one quota change, a suspension and a reactivation"
    );

    // A city's administrator does not get in.
    let admin = app.login_ok(Some("springfield"), "sf-admin").await;
    for p in ["/operator/", path] {
        assert_eq!(page(&app, &admin, p).await.0, 404, "{p}");
    }
    assert_eq!(post(&app, &admin, path, &[("op", "suspend")]).await.0, 404);
}
on_both_backends!(operators_run_cities_from_the_console);

/// A city made from a bundle pasted into the console: the same files
/// `tenant apply` reads; broken files are named, an existing slug refused.
async fn operators_create_a_city_from_a_bundle(backend: Backend) {
    let app = closed_app_with_operator(backend).await;
    let operator = app.login_ok(None, "c-operator").await;
    let (status, html) = page(&app, &operator, "/operator/cities/new").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-testid=\"form-new-city\""));
    let file = |name: &str| {
        std::fs::read_to_string(
            crate::support::repo_root()
                .join("tenants/springfield")
                .join(name),
        )
        .unwrap()
    };
    let tenant = file("tenant.toml")
        .replace("slug = \"springfield\"", "slug = \"shelbyville\"")
        .replace("name = \"City of Springfield\"", "name = \"Shelbyville\"")
        .replace("springfield.localhost", "shelbyville.localhost");
    let (departments, categories, calendar) = (
        file("departments.toml"),
        file("categories.toml"),
        file("calendar.toml"),
    );
    let fields = |tenant: &str, departments: &str| {
        vec![
            ("tenant".to_owned(), tenant.to_owned()),
            ("departments".to_owned(), departments.to_owned()),
            ("categories".to_owned(), categories.clone()),
            ("calendar".to_owned(), calendar.clone()),
        ]
    };
    let send = |fields: Vec<(String, String)>| {
        let operator = operator.clone();
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            post(app, &operator, "/operator/cities", &pairs).await
        }
    };
    // A broken file: named, what was pasted kept, nothing made.
    let (status, html) = send(fields(&tenant, "[[department]]\ncode = ")).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("departments.toml"), "{html}");
    assert!(html.contains("shelbyville.localhost"), "{html}");
    let (status, html) = send(fields("", "")).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("tenant.toml: give the city"), "{html}");
    // An existing city's slug.
    let (status, html) = send(fields(&file("tenant.toml"), &departments)).await;
    assert_eq!(status, 409, "{html}");

    let (status, to) = send(fields(&tenant, &departments)).await;
    assert_eq!((status, to.as_str()), (303, "/operator/cities/shelbyville"));
    let (status, html) = page(&app, &operator, &to).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("shelbyville.localhost"), "{html}");
    let resp = app
        .client
        .get(app.url("/t/shelbyville/ask"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (_, springfield) = app.get_json("/tenants/springfield/departments").await;
    let (_, shelbyville) = app.get_json("/tenants/shelbyville/departments").await;
    assert_eq!(
        springfield.as_array().unwrap().len(),
        shelbyville.as_array().unwrap().len()
    );
    // Its built-in roles are there: a city admin can be made and work.
    app.staff("shelbyville", "sh-admin", &["city-admin"], &[])
        .await;
    let admin = app.login_ok(Some("shelbyville"), "sh-admin").await;
    assert_eq!(
        page(&app, &admin, "/t/shelbyville/admin/quotas").await.0,
        200
    );
    let rows = app
        .platform_query("SELECT target FROM audit_events WHERE action = 'tenant_create'")
        .await;
    assert_eq!(rows.len(), 1);
}
on_both_backends!(operators_create_a_city_from_a_bundle);
