//! The city administration console's people, roles, API keys, audit log
//! and webhooks pages over plain HTTP (a browser without JavaScript): each
//! change made there works (a new account signs in, a revoked key is
//! refused, a resent webhook arrives), bad input is a 4xx page that says
//! what to fix, and only the city's administrators get in.

use crate::escalation::{heating, submit};
use crate::flows::staff_act;
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app_with};
use crate::workbench::{page, post};
use reqwest::Method;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A server whose admin API is closed, with Daqing's administrator
/// `dq-admin`.
async fn console_app(backend: Backend) -> TestApp {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "1000"),
            ("MINSHENG_WORKER_POLL_MS", "200"),
        ],
    )
    .await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    app
}

/// A page's HTML with the escapes the templates write in text and
/// attributes turned back into characters.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the element marked `data-testid="{id}"`.
fn testid_value(html: &str, id: &str) -> String {
    let html = unescape(html);
    let marker = format!("data-testid=\"{id}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The id at the end of a `…/{id}?…` location.
fn last_segment(location: &str) -> String {
    location
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> u16 {
    app.login(Some("daqing"), username, password).await.0
}

async fn administrators_manage_people_roles_and_keys(backend: Backend) {
    let app = console_app(backend).await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let people = "/t/daqing/admin/people";

    let (status, html) = page(&app, &admin, people).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-user=\"dq-admin\""), "{html}");
    assert!(html.contains("data-testid=\"form-user\""));
    assert!(html.contains("value=\"rlgs\""), "departments to choose");

    // Bad input: 422, the fields named, what was typed kept.
    let (status, html) = post(
        &app,
        &admin,
        people,
        &[
            ("username", "Wang Li!"),
            ("display_name", "王力"),
            ("password", "short"),
            ("departments", "rlgs"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains("username") && html.contains("password"),
        "{html}"
    );
    assert!(html.contains("value=\"王力\""), "{html}");
    assert!(
        html.contains("name=\"departments\" value=\"rlgs\" checked"),
        "{html}"
    );
    let (status, html) = post(
        &app,
        &admin,
        people,
        &[
            ("username", "wang.li"),
            ("display_name", "王力"),
            ("password", "initial-pass-123"),
            ("departments", "no-such-department"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("departments[0]"), "{html}");

    // A staff account with a department and a role, who can sign in.
    let (status, to) = post(
        &app,
        &admin,
        people,
        &[
            ("username", "wang.li"),
            ("display_name", "王力"),
            ("password", "initial-pass-123"),
            ("departments", "rlgs"),
            ("roles", "department-staff"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{to}");
    assert!(to.starts_with("/t/daqing/admin/people/"), "{to}");
    let person = to.split('?').next().unwrap().to_owned();
    let (status, html) = page(&app, &admin, &to).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-testid=\"done\""), "{html}");
    assert!(
        html.contains("name=\"departments\" value=\"rlgs\" checked")
            && html.contains("name=\"roles\" value=\"department-staff\" checked"),
        "{html}"
    );
    assert_eq!(sign_in(&app, "wang.li", "initial-pass-123").await, 200);
    // The same user name again: 409, said so.
    let (status, html) = post(
        &app,
        &admin,
        people,
        &[
            ("username", "wang.li"),
            ("display_name", "另一个王力"),
            ("password", "initial-pass-123"),
        ],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("data-testid=\"error\""), "{html}");

    // Reset the password: a short one is refused, the old one stops working.
    let (status, html) = post(
        &app,
        &admin,
        &person,
        &[("op", "password"), ("password", "short")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("password"), "{html}");
    let (status, to) = post(
        &app,
        &admin,
        &person,
        &[("op", "password"), ("password", "second-pass-456")],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("{person}?done=password").as_str())
    );
    assert_eq!(sign_in(&app, "wang.li", "initial-pass-123").await, 401);
    assert_eq!(sign_in(&app, "wang.li", "second-pass-456").await, 200);

    // Locked after failed sign-ins (each lock doubles the one before), and
    // unlocked from the console.
    let mut failures = 0;
    let until = Instant::now() + Duration::from_secs(60);
    while failures < 9 {
        assert!(Instant::now() < until, "the lock never grew");
        match sign_in(&app, "wang.li", "wrong-password").await {
            401 => failures += 1,
            429 => tokio::time::sleep(Duration::from_millis(250)).await,
            other => panic!("a failed sign-in answered {other}"),
        }
    }
    assert_eq!(
        sign_in(&app, "wang.li", "second-pass-456").await,
        429,
        "locked for 16 s"
    );
    let (_, html) = page(&app, &admin, &person).await;
    assert!(html.contains("data-testid=\"locked\""), "{html}");
    let (_, html) = page(&app, &admin, people).await;
    assert!(
        html.contains("class=\"locked\""),
        "the list shows the lock: {html}"
    );
    let (status, _) = post(&app, &admin, &person, &[("op", "unlock")]).await;
    assert_eq!(status, 303);
    assert_eq!(sign_in(&app, "wang.li", "second-pass-456").await, 200);
    let (_, html) = page(&app, &admin, &person).await;
    assert!(!html.contains("data-testid=\"locked\""), "{html}");

    // Deactivated: cannot sign in, and the sessions end; reactivated: can.
    let wang = app
        .login(Some("daqing"), "wang.li", "second-pass-456")
        .await
        .1
        .unwrap();
    assert_eq!(page(&app, &wang, "/t/daqing/staff/").await.0, 200);
    let (status, _) = post(&app, &admin, &person, &[("op", "deactivate")]).await;
    assert_eq!(status, 303);
    assert_eq!(sign_in(&app, "wang.li", "second-pass-456").await, 401);
    assert_eq!(
        page(&app, &wang, "/t/daqing/staff/").await.0,
        303,
        "signed out"
    );
    let (_, html) = page(&app, &admin, people).await;
    assert!(html.contains("data-user=\"wang.li\""), "{html}");
    let (status, _) = post(&app, &admin, &person, &[("op", "reactivate")]).await;
    assert_eq!(status, 303);
    assert_eq!(sign_in(&app, "wang.li", "second-pass-456").await, 200);
    let (status, html) = post(&app, &admin, &person, &[("op", "explode")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("op"), "{html}");
    assert_eq!(
        page(&app, &admin, "/t/daqing/admin/people/not-an-id")
            .await
            .0,
        404
    );

    // A custom role from the catalogue, assigned to the account.
    let roles = "/t/daqing/admin/roles";
    let (status, html) = page(&app, &admin, roles).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-role=\"city-admin\""), "{html}");
    assert!(html.contains("value=\"audit:read\""), "{html}");
    let (status, html) = post(
        &app,
        &admin,
        roles,
        &[
            ("code", "hotline-lead"),
            ("name", "热线组长"),
            ("permissions", "case:read"),
            ("permissions", "case:eat"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("permissions[1]"), "{html}");
    assert!(html.contains("value=\"case:read\" checked"), "kept: {html}");
    let (status, html) = post(
        &app,
        &admin,
        roles,
        &[
            ("code", "city-admin"),
            ("name", "x"),
            ("permissions", "case:read"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("built-in"), "{html}");
    let (status, to) = post(
        &app,
        &admin,
        roles,
        &[
            ("code", "hotline-lead"),
            ("name", "热线组长"),
            ("permissions", "case:read"),
            ("permissions", "audit:read"),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/t/daqing/admin/roles/hotline-lead")
    );
    let (status, html) = page(&app, &admin, &to).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("value=\"audit:read\" checked"), "{html}");
    let (status, _) = post(
        &app,
        &admin,
        &to,
        &[
            ("name", "热线组长"),
            ("permissions", "case:read"),
            ("permissions", "audit:read"),
            ("permissions", "case:accept"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &admin, &to).await;
    assert!(html.contains("value=\"case:accept\" checked"), "{html}");
    // Built-in roles are shown, not changed.
    let (status, html) = page(&app, &admin, "/t/daqing/admin/roles/city-admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"builtin\""), "{html}");
    let (status, _) = post(
        &app,
        &admin,
        "/t/daqing/admin/roles/city-admin",
        &[("name", "x"), ("permissions", "case:read")],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        page(&app, &admin, "/t/daqing/admin/roles/nobody").await.0,
        404
    );
    let (status, _) = post(
        &app,
        &admin,
        &person,
        &[
            ("op", "access"),
            ("departments", "rlgs"),
            ("roles", "hotline-lead"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let wang = app
        .login(Some("daqing"), "wang.li", "second-pass-456")
        .await
        .1
        .unwrap();
    let (status, _) = app
        .call(&wang, Method::GET, "/tenants/daqing/audit", None)
        .await;
    assert_eq!(status, 200, "the custom role grants audit:read");
    // Not an administrator: the console is closed to them.
    assert_eq!(page(&app, &wang, people).await.0, 403);

    // API keys: the secret shown once, working, then revoked.
    let keys = "/t/daqing/admin/keys";
    let (status, html) = post(&app, &admin, keys, &[("op", "create"), ("name", " ")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("name"), "{html}");
    let (status, html) = post(
        &app,
        &admin,
        keys,
        &[("op", "create"), ("name", "crm"), ("scopes", "audit:read")],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    let secret = testid_value(&html, "secret");
    assert!(secret.len() > 20, "{secret}");
    let (status, html) = page(&app, &admin, keys).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-key=\"crm\""), "{html}");
    assert!(
        !unescape(&html).contains(&secret),
        "the secret is shown once"
    );
    let (status, html) = post(&app, &admin, keys, &[("op", "create"), ("name", "crm")]).await;
    assert_eq!(status, 409, "{html}");
    let key = Auth {
        bearer: Some(secret.clone()),
        ..Auth::default()
    };
    let (status, body) = app
        .call(&key, Method::GET, "/tenants/daqing/audit", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let id = crate::site::field_value(&html, "id");
    let (status, _) = post(&app, &admin, keys, &[("op", "revoke"), ("id", "nope")]).await;
    assert_eq!(status, 422);
    let (status, to) = post(&app, &admin, keys, &[("op", "revoke"), ("id", &id)]).await;
    assert_eq!((status, to.as_str()), (303, keys));
    let (status, _) = app
        .call(&key, Method::GET, "/tenants/daqing/audit", None)
        .await;
    assert_eq!(status, 401, "a revoked key");

    // The audit log, filtered and a page at a time.
    let audit = "/t/daqing/admin/audit";
    let (status, html) = page(&app, &admin, &format!("{audit}?per_page=500")).await;
    assert_eq!(status, 200, "{html}");
    for action in [
        "user_created",
        "user_unlocked",
        "role_change",
        "apikey_revoked",
    ] {
        assert!(
            html.contains(&format!("data-action=\"{action}\"")),
            "{action}: {html}"
        );
    }
    let (_, html) = page(&app, &admin, &format!("{audit}?action=apikey_revoked")).await;
    assert!(html.contains("data-action=\"apikey_revoked\""), "{html}");
    assert!(!html.contains("data-action=\"user_created\""), "{html}");
    let (_, html) = page(
        &app,
        &admin,
        &format!("{audit}?target=wang.li&actor=dq-admin"),
    )
    .await;
    assert!(html.contains("data-action=\"user_created\""), "{html}");
    assert!(!html.contains("data-action=\"apikey_created\""), "{html}");
    assert!(
        !html.contains("data-action=\"login_failure\""),
        "not by dq-admin: {html}"
    );
    let (_, html) = page(&app, &admin, &format!("{audit}?action=login_failure")).await;
    assert!(html.contains("data-action=\"login_failure\""), "{html}");
    let today = chrono::Utc::now().date_naive();
    let (_, html) = page(
        &app,
        &admin,
        &format!("{audit}?from=2001-01-01&to=2001-12-31"),
    )
    .await;
    assert!(html.contains("data-testid=\"no-events\""), "{html}");
    let (_, html) = page(
        &app,
        &admin,
        &format!(
            "{audit}?from={}&to={}&action=user_created",
            today.pred_opt().unwrap(),
            today.succ_opt().unwrap()
        ),
    )
    .await;
    assert!(html.contains("data-action=\"user_created\""), "{html}");
    let (status, html) = page(&app, &admin, &format!("{audit}?from=yesterday")).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("role=\"alert\"") && html.contains("from"),
        "{html}"
    );
    let (status, _) = page(
        &app,
        &admin,
        &format!("{audit}?from=2020-02-02&to=2020-01-01"),
    )
    .await;
    assert_eq!(status, 422);
    let (status, html) = page(
        &app,
        &admin,
        &format!("{audit}?action=login_failure&per_page=4"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("data-action=\"login_failure\"").count(), 4);
    let older = html
        .split("href=\"")
        .find(|s| s.contains("data-testid=\"older\""))
        .and_then(|s| s.split('"').next())
        .map(unescape)
        .unwrap_or_else(|| panic!("no older page: {html}"));
    assert!(
        older.contains("page=2") && older.contains("per_page=4"),
        "{older}"
    );
    let (_, page2) = page(&app, &admin, &older).await;
    assert_eq!(page2.matches("data-action=\"login_failure\"").count(), 4);
    assert_ne!(html, page2);
    let (status, _) = page(&app, &admin, &format!("{audit}?page=0")).await;
    assert_eq!(status, 422);

    // Every change made here is in the log the API reads too.
    let rows = app
        .platform_query(
            "SELECT action FROM audit_events WHERE actor = 'staff:dq-admin' \
             AND action IN ('user_created', 'user_unlocked', 'apikey_created', 'apikey_revoked')",
        )
        .await;
    assert_eq!(rows.len(), 4);
}
on_both_backends!(administrators_manage_people_roles_and_keys);

/// A loopback receiver that refuses calls (503) until told to accept.
async fn receiver() -> (String, Arc<AtomicBool>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    use poem::{EndpointExt, Route, handler, post};
    type Flags = (Arc<AtomicBool>, Arc<AtomicUsize>, Arc<AtomicUsize>);
    #[handler]
    fn hook(poem::web::Data(flags): poem::web::Data<&Flags>) -> poem::http::StatusCode {
        let (accepting, refused, accepted) = flags;
        if accepting.load(Ordering::SeqCst) {
            accepted.fetch_add(1, Ordering::SeqCst);
            poem::http::StatusCode::OK
        } else {
            refused.fetch_add(1, Ordering::SeqCst);
            poem::http::StatusCode::SERVICE_UNAVAILABLE
        }
    }
    let flags: Flags = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let app = Route::new().at("/hook", post(hook)).data(flags.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (url, flags.0, flags.1, flags.2)
}

/// Wait (at most 30 s) until `page` at `path` has `needle`; its HTML.
async fn wait_for(app: &TestApp, auth: &Auth, path: &str, needle: &str) -> String {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, html) = page(app, auth, path).await;
        assert_eq!(status, 200, "{html}");
        if html.contains(needle) {
            return html;
        }
        assert!(Instant::now() < until, "never {needle}: {html}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn administrators_resend_failed_webhooks(backend: Backend) {
    let app = console_app(backend).await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let hooks = "/t/daqing/admin/webhooks";
    let (url, accepting, refused, accepted) = receiver().await;

    let (status, html) = post(
        &app,
        &admin,
        hooks,
        &[
            ("op", "create"),
            ("url", "ftp://x"),
            ("events", "case.eaten"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("url") && html.contains("events[0]"), "{html}");
    assert!(
        unescape(&html).contains("value=\"ftp://x\""),
        "kept: {html}"
    );
    let (status, html) = post(
        &app,
        &admin,
        hooks,
        &[("op", "create"), ("url", &url), ("events", "case.accepted")],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    let secret = testid_value(&html, "secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, html) = page(&app, &admin, hooks).await;
    assert!(
        !unescape(&html).contains(&secret),
        "the secret is shown once"
    );
    let hook_id = html
        .split("data-webhook=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no endpoint: {html}"))
        .to_owned();
    let log = format!("{hooks}/{hook_id}");

    // A case event whose calls are refused until the message is given up
    // (the test counts its first eleven attempts as done).
    let (code, _, _) = submit(&app, &heating("暖气不热", None)).await;
    assert_eq!(
        staff_act(&app, &admin, "daqing", &code, "accept", None)
            .await
            .0,
        200
    );
    let until = Instant::now() + Duration::from_secs(20);
    while refused.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < until, "the endpoint was never called");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.platform_query("UPDATE outbox SET attempts = 11 WHERE channel = 'webhook'")
        .await;
    let html = wait_for(&app, &admin, &log, "data-state=\"failed\"").await;
    assert!(html.contains("503"), "the error is shown: {html}");
    let message = html
        .split("data-message=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let (_, html) = page(&app, &admin, hooks).await;
    assert!(
        html.contains(&format!("data-message=\"{message}\" data-state=\"failed\"")),
        "listed with the failed messages: {html}"
    );

    // Resent from the delivery log, once the receiver works again.
    accepting.store(true, Ordering::SeqCst);
    let (status, to) = post(&app, &admin, &log, &[("op", "resend"), ("id", &message)]).await;
    assert_eq!((status, to), (303, format!("{log}?done=resent")));
    wait_for(&app, &admin, &log, "data-state=\"sent\"").await;
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "it arrived once");
    let (_, html) = page(&app, &admin, hooks).await;
    assert!(html.contains("data-testid=\"no-messages\""), "{html}");
    // Only a failed message can be resent.
    let (status, html) = post(&app, &admin, &log, &[("op", "resend"), ("id", &message)]).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    let (status, _) = post(&app, &admin, hooks, &[("op", "resend"), ("id", "nope")]).await;
    assert_eq!(status, 422);
    let (status, body) = app
        .call(
            &admin,
            Method::POST,
            &format!("/tenants/daqing/notifications/{message}/resend"),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = app
        .call(
            &admin,
            Method::POST,
            &format!("/tenants/daqing/notifications/{}/resend", uuid::Uuid::nil()),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let rows = app
        .platform_query("SELECT target FROM audit_events WHERE action = 'notification_resend'")
        .await;
    assert_eq!(rows.len(), 1);

    // Removed: gone from the list, its log stays.
    let (status, to) = post(&app, &admin, hooks, &[("op", "remove"), ("id", &hook_id)]).await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("{hooks}?done=removed").as_str())
    );
    let (_, html) = page(&app, &admin, hooks).await;
    assert!(
        !html.contains(&format!("data-webhook=\"{hook_id}\"")),
        "{html}"
    );
    let (status, html) = page(&app, &admin, &log).await;
    assert_eq!(status, 200);
    assert!(html.contains(&message), "{html}");

    // Over a quota the page names it, and nothing is added.
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "c-operator"])
        .await;
    assert!(ok, "{out}");
    let operator = app.login_ok(None, "c-operator").await;
    let limits = serde_json::json!({"webhooks": 1, "staff_users": 1});
    let (status, body) = app
        .call(
            &operator,
            Method::PUT,
            "/tenants/daqing/quotas",
            Some(&limits),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let add = |n: &'static str| {
        let (app, admin, url) = (&app, &admin, url.clone());
        async move {
            let url = format!("{url}?{n}");
            post(
                app,
                admin,
                hooks,
                &[("op", "create"), ("url", &url), ("events", "*")],
            )
            .await
        }
    };
    assert_eq!(add("first").await.0, 201);
    let (status, html) = add("second").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("quota.webhooks"), "{html}");
    let (_, html) = page(&app, &admin, hooks).await;
    assert_eq!(html.matches("data-webhook=").count(), 1, "{html}");
    let (status, html) = post(
        &app,
        &admin,
        "/t/daqing/admin/people",
        &[
            ("username", "one.more"),
            ("display_name", "One more"),
            ("password", "one-more-pass-1"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("quota.staff_users"), "{html}");
    assert!(html.contains("value=\"one.more\""), "kept: {html}");
}
on_both_backends!(administrators_resend_failed_webhooks);

/// An email that failed every attempt while the mail server was down is
/// sent again from the console once it is back, and arrives.
async fn administrators_resend_failed_email(backend: Backend) {
    use crate::delivery::{free_port, received, smtp_server};
    let port = free_port();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_SMTP_URL", &smtp),
            ("MINSHENG_WORKER_POLL_MS", "200"),
        ],
    )
    .await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let (code, _, _) = submit(&app, &heating("暖气不热", Some("wang@example.cn"))).await;
    for (action, body) in [
        ("accept", None),
        ("assign", Some(serde_json::json!({"lead": "rlgs"}))),
        ("answer", Some(serde_json::json!({"text": "已修复。"}))),
    ] {
        let (status, body) = staff_act(&app, &admin, "daqing", &code, action, body.as_ref()).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    // The mail server is down: the worker tries, fails, and (the test
    // counting its first eleven attempts as done) gives up.
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = app
            .platform_query(
                "SELECT id FROM outbox WHERE channel = 'email' AND last_error IS NOT NULL",
            )
            .await;
        if !rows.is_empty() {
            break;
        }
        assert!(Instant::now() < until, "the mail was never tried");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.platform_query("UPDATE outbox SET attempts = 11 WHERE channel = 'email'")
        .await;
    let hooks = "/t/daqing/admin/webhooks";
    let html = wait_for(&app, &admin, hooks, "data-state=\"failed\"").await;
    assert!(html.contains("wang@example.cn"), "{html}");
    let failed: Vec<String> = html
        .split("data-message=\"")
        .skip(1)
        .filter(|s| s.contains("data-state=\"failed\""))
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    // The mail server is back; each failed message is sent again.
    let maildir = app.dir.path().join("maildir");
    let _server = smtp_server(port, &maildir);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in &failed {
        let (status, to) = post(&app, &admin, hooks, &[("op", "resend"), ("id", id)]).await;
        assert_eq!(
            (status, to.as_str()),
            (303, format!("{hooks}?done=resent").as_str())
        );
    }
    let until = Instant::now() + Duration::from_secs(30);
    let mail = loop {
        let mail = received(&maildir).await;
        if mail.len() >= failed.len() {
            break mail;
        }
        assert!(
            Instant::now() < until,
            "resent mail never arrived: {mail:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(mail.len(), failed.len(), "each once: {mail:?}");
    assert!(
        mail.iter().all(|(to, _, _)| to.contains("wang@example.cn")),
        "{mail:?}"
    );
    wait_for(&app, &admin, hooks, "data-testid=\"no-messages\"").await;
    let rows = app
        .platform_query("SELECT target FROM audit_events WHERE action = 'notification_resend'")
        .await;
    assert_eq!(rows.len(), failed.len());
}
on_both_backends!(administrators_resend_failed_email);

/// Anonymous: to sign in; the city's staff without `tenant:write`: 403;
/// another city's administrator: 404; for every page, read or posted.
async fn only_the_citys_administrators_get_in(backend: Backend) {
    let app = console_app(backend).await;
    app.staff("daqing", "dq-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let dispatcher = app.login_ok(Some("daqing"), "dq-dispatcher").await;
    let stranger = app.login_ok(Some("springfield"), "sf-admin").await;
    let (_, html) = page(&app, &admin, "/t/daqing/admin/people").await;
    let someone = unescape(&html)
        .split("/t/daqing/admin/people/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let someone = last_segment(&someone);
    let paths = [
        "/t/daqing/admin/people".to_owned(),
        format!("/t/daqing/admin/people/{someone}"),
        "/t/daqing/admin/roles".to_owned(),
        "/t/daqing/admin/roles/city-admin".to_owned(),
        "/t/daqing/admin/keys".to_owned(),
        "/t/daqing/admin/audit".to_owned(),
        "/t/daqing/admin/webhooks".to_owned(),
        format!("/t/daqing/admin/webhooks/{}", uuid::Uuid::nil()),
    ];
    let create = [
        ("op", "create"),
        ("username", "intruder"),
        ("display_name", "Intruder"),
        ("password", "intruder-pass-1"),
        ("roles", "city-admin"),
        ("code", "intruders"),
        ("name", "intruders"),
        ("url", "https://example.org/hook"),
        ("events", "*"),
    ];
    for path in &paths {
        assert_eq!(page(&app, &Auth::default(), path).await.0, 303, "{path}");
        assert_eq!(page(&app, &dispatcher, path).await.0, 403, "{path}");
        assert_eq!(page(&app, &stranger, path).await.0, 404, "{path}");
        if path.ends_with("/audit") {
            continue;
        }
        let (status, to) = post(&app, &Auth::default(), path, &create).await;
        assert_eq!(status, 303, "{path}");
        assert!(to.contains("/t/daqing/login"), "{path}: {to}");
        assert_eq!(
            post(&app, &dispatcher, path, &create).await.0,
            403,
            "{path}"
        );
        assert_eq!(post(&app, &stranger, path, &create).await.0, 404, "{path}");
    }
    // A form without the session's token changes nothing either.
    let (status, _) = post(
        &app,
        &Auth {
            csrf: None,
            ..admin.clone()
        },
        "/t/daqing/admin/people",
        &create,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.login(Some("daqing"), "intruder", "intruder-pass-1")
            .await
            .0,
        401,
        "no account was made"
    );
    let rows = app
        .platform_query("SELECT code FROM roles WHERE code = 'intruders'")
        .await;
    assert!(rows.is_empty());
    let (_, html) = page(&app, &admin, "/t/daqing/admin/webhooks").await;
    assert!(!html.contains("example.org"), "{html}");
    let (_, html) = page(&app, &admin, "/t/daqing/admin/keys").await;
    assert!(!html.contains("data-key=\"intruders\""), "{html}");
    // In their own city, in its language, the other administrator gets in.
    for (path, words) in [
        ("people", "New staff account"),
        ("roles", "New custom role"),
        ("roles/city-admin", "A built-in role cannot be changed"),
        ("keys", "New API key"),
        ("audit", "Audit events, newest first"),
        ("webhooks", "Failed messages"),
    ] {
        let (status, html) = page(&app, &stranger, &format!("/t/springfield/admin/{path}")).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains(words), "{path}: {html}");
    }
}
on_both_backends!(only_the_citys_administrators_get_in);
