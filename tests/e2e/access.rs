//! Accounts, sessions, API keys, throttling and the audit log, end to end.

use crate::on_both_backends;
use crate::support::{Auth, Backend, PASSWORD, spawn_app_with};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const CLOSED: &[(&str, &str)] = &[("MINSHENG_DEV_OPEN_ADMIN", "0")];

async fn sessions_cookies_and_csrf(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_SESSION_IDLE_SECS", "3"),
        ],
    )
    .await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;

    // Wrong password: 401, nothing set.
    let (status, auth, cookie, _) = app
        .login(Some("daqing"), "dq-admin", "wrong password!")
        .await;
    assert_eq!(status, 401);
    assert!(auth.is_none() && cookie.is_empty());

    let (status, auth, cookie, _) = app.login(Some("daqing"), "dq-admin", PASSWORD).await;
    assert_eq!(status, 200);
    for flag in [
        "__Host-minsheng=",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(cookie.contains(flag), "cookie lacks {flag}: {cookie}");
    }
    assert!(
        !cookie.contains("Domain="),
        "__Host- cookies have no Domain"
    );
    let auth = auth.unwrap();

    let (status, me) = app.call(&auth, Method::GET, "/auth/me", None).await;
    assert_eq!(status, 200);
    let me: serde_json::Value = serde_json::from_str(&me).unwrap();
    assert_eq!(me["kind"], "staff");
    assert_eq!(me["tenant"], "daqing");
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "user:write")
    );

    // A cookie-authenticated change needs the CSRF token.
    let no_csrf = Auth {
        csrf: None,
        ..auth.clone()
    };
    let body = json!({"phone": "0459-1111111"});
    let rlgs = app.department_id("daqing", "rlgs").await;
    let path = format!("/tenants/daqing/departments/{rlgs}");
    let (status, text) = app.call(&no_csrf, Method::PATCH, &path, Some(&body)).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("CSRF"));
    let wrong = Auth {
        csrf: Some("forged".into()),
        ..auth.clone()
    };
    let (status, _) = app.call(&wrong, Method::PATCH, &path, Some(&body)).await;
    assert_eq!(status, 403);
    let (status, text) = app.call(&auth, Method::PATCH, &path, Some(&body)).await;
    assert_eq!(status, 200, "{text}");

    // Idle expiry: after 3 s without a request the session is gone.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let (status, _) = app
        .call(&auth, Method::GET, "/tenants/daqing/users", None)
        .await;
    assert_eq!(status, 401, "an idle session expires");

    // Log out everywhere ends every session of the person.
    let a = app.login_ok(Some("daqing"), "dq-admin").await;
    let b = app.login_ok(Some("daqing"), "dq-admin").await;
    let (status, _) = app
        .call(&a, Method::POST, "/auth/logout-everywhere", None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(&b, Method::GET, "/tenants/daqing/users", None)
        .await;
    assert_eq!(status, 401);

    // Passwords are stored as argon2id with at least the OWASP parameters.
    let rows = app
        .platform_query("SELECT password_hash FROM users WHERE username = 'dq-admin'")
        .await;
    assert_eq!(rows.len(), 1);
    let hash: String = rows[0].try_get("", "password_hash").unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}
on_both_backends!(sessions_cookies_and_csrf);

async fn brute_force_and_rate_limits(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "12"),
        ],
    )
    .await;
    app.staff("daqing", "dq-target", &["auditor"], &[]).await;
    for _ in 0..5 {
        let (status, ..) = app
            .login(Some("daqing"), "dq-target", "not the password")
            .await;
        assert_eq!(status, 401);
    }
    // Locked now, even with the right password.
    let (status, _, _, headers) = app.login(Some("daqing"), "dq-target", PASSWORD).await;
    assert_eq!(status, 429);
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    // After the lock the right password works and clears the count.
    tokio::time::sleep(Duration::from_secs(retry + 1)).await;
    let (status, ..) = app.login(Some("daqing"), "dq-target", PASSWORD).await;
    assert_eq!(status, 200);

    // The per-address rate limit: 12 a minute, then 429 with Retry-After.
    let mut limited = None;
    for _ in 0..12 {
        let (status, _, _, headers) = app
            .login(Some("springfield"), "nobody", "whatever-password")
            .await;
        if status == 429 {
            limited = Some(headers);
            break;
        }
    }
    let headers = limited.expect("the rate limit answers 429");
    assert!(headers.contains_key("retry-after"));

    // The audit log has the failures and the success; the auditor can read it.
    let auth = app.login_ok(Some("daqing"), "dq-target").await;
    let (status, text) = app
        .call(&auth, Method::GET, "/tenants/daqing/audit", None)
        .await;
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("login_failure") && text.contains("login_success"),
        "{text}"
    );
    assert!(
        !text.contains("springfield"),
        "no other city's events: {text}"
    );
}
on_both_backends!(brute_force_and_rate_limits);

async fn api_keys_and_roles(backend: Backend) {
    let app = spawn_app_with(backend, CLOSED).await;
    let (ok, key) = app
        .cli(&[
            "apikey",
            "create",
            "--tenant",
            "daqing",
            "--name",
            "crm",
            "--scope",
            "category:write",
        ])
        .await;
    assert!(ok, "{key}");
    let key = key.lines().next().unwrap().trim().to_owned();
    assert!(key.starts_with("ms_"), "{key}");
    let bearer = Auth {
        bearer: Some(key.clone()),
        ..Default::default()
    };

    // In scope in its own city; out of scope; another city.
    let (_, cats) = app.get_json("/tenants/daqing/categories").await;
    let cat = cats[0]["id"].as_str().unwrap().to_owned();
    let (status, text) = app
        .call(
            &bearer,
            Method::PATCH,
            &format!("/tenants/daqing/categories/{cat}"),
            Some(&json!({"answer_days": 9})),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let (status, _) = app
        .call(&bearer, Method::GET, "/tenants/daqing/users", None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call(
            &bearer,
            Method::POST,
            "/tenants/springfield/categories",
            Some(&json!({"code": "x", "name": "x", "answer_days": 2})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            &Auth {
                bearer: Some(format!("{key}x")),
                ..Default::default()
            },
            Method::GET,
            "/auth/me",
            None,
        )
        .await;
    assert_eq!(status, 401, "a wrong key is refused");

    // The key is stored hashed: its secret is nowhere in the database.
    let secret = key.strip_prefix("ms_").unwrap().split_once('_').unwrap().1;
    let rows = app
        .platform_query("SELECT secret_hash, prefix FROM api_keys")
        .await;
    assert_eq!(rows.len(), 1);
    for row in rows {
        let hash: String = row.try_get("", "secret_hash").unwrap();
        assert!(!hash.contains(secret));
    }

    // A city admin revokes it; it stops working at once.
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    let admin = app.login_ok(Some("daqing"), "dq-admin").await;
    let (_, keys) = app
        .call(&admin, Method::GET, "/tenants/daqing/api-keys", None)
        .await;
    assert!(!keys.contains(secret), "listing never shows the secret");
    let keys: serde_json::Value = serde_json::from_str(&keys).unwrap();
    let id = keys[0]["id"].as_str().unwrap();
    let (status, _) = app
        .call(
            &admin,
            Method::DELETE,
            &format!("/tenants/daqing/api-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.call(&bearer, Method::GET, "/auth/me", None).await;
    assert_eq!(status, 401);

    // Custom roles from the catalogue; unknown permissions are refused.
    let (status, text) = app
        .call(&admin, Method::POST, "/tenants/daqing/roles", Some(&json!({"code": "calendar-keeper", "name": "日历管理", "permissions": ["calendar:write", "fly:away"]})))
        .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("permissions[1]"));
    let (status, _) = app
        .call(&admin, Method::POST, "/tenants/daqing/roles", Some(&json!({"code": "calendar-keeper", "name": "日历管理", "permissions": ["calendar:write"]})))
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .call(
            &admin,
            Method::PATCH,
            "/tenants/daqing/roles/city-admin",
            Some(&json!({"permissions": []})),
        )
        .await;
    assert_eq!(status, 409, "built-in roles do not change");
}
on_both_backends!(api_keys_and_roles);

async fn department_scoping(backend: Backend) {
    let app = spawn_app_with(backend, CLOSED).await;
    app.staff("daqing", "heat-admin", &["department-admin"], &["rlgs"])
        .await;
    app.staff("daqing", "heat-worker", &["department-staff"], &["rlgs"])
        .await;
    app.staff("daqing", "bus-worker", &["department-staff"], &["jtj"])
        .await;
    let auth = app.login_ok(Some("daqing"), "heat-admin").await;
    let rlgs = app.department_id("daqing", "rlgs").await;
    let jtj = app.department_id("daqing", "jtj").await;
    let phone = json!({"phone": "0459-2222222"});
    let (status, text) = app
        .call(
            &auth,
            Method::PATCH,
            &format!("/tenants/daqing/departments/{rlgs}"),
            Some(&phone),
        )
        .await;
    assert_eq!(status, 200, "own department: {text}");
    let (status, _) = app
        .call(
            &auth,
            Method::PATCH,
            &format!("/tenants/daqing/departments/{jtj}"),
            Some(&phone),
        )
        .await;
    assert_eq!(status, 403, "another department");
    // Staff lists show only the department's people.
    let (status, text) = app
        .call(&auth, Method::GET, "/tenants/daqing/users", None)
        .await;
    assert_eq!(status, 200);
    assert!(
        text.contains("heat-worker") && !text.contains("bus-worker"),
        "{text}"
    );
}
on_both_backends!(department_scoping);

/// A role change made through one server process is enforced by a second
/// process on the same database within 5 seconds.
async fn policy_reaches_other_processes(backend: Backend) {
    let first = spawn_app_with(backend, CLOSED).await;
    let second = crate::support::spawn_app_on(&first, CLOSED).await;
    first
        .staff("daqing", "dq-admin", &["city-admin"], &[])
        .await;
    first
        .staff("daqing", "dq-clerk", &["department-staff"], &["rlgs"])
        .await;
    let admin = first.login_ok(Some("daqing"), "dq-admin").await;
    let clerk = second.login_ok(Some("daqing"), "dq-clerk").await;
    let (status, _) = second
        .call(&clerk, Method::GET, "/tenants/daqing/audit", None)
        .await;
    assert_eq!(status, 403);
    let (_, users) = first
        .call(&admin, Method::GET, "/tenants/daqing/users", None)
        .await;
    let users: serde_json::Value = serde_json::from_str(&users).unwrap();
    let clerk_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "dq-clerk")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, text) = first
        .call(
            &admin,
            Method::PATCH,
            &format!("/tenants/daqing/users/{clerk_id}"),
            Some(&json!({"roles": ["auditor"]})),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let started = std::time::Instant::now();
    loop {
        let (status, _) = second
            .call(&clerk, Method::GET, "/tenants/daqing/audit", None)
            .await;
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the second process still says {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Taking the role away reaches the second process too.
    let roles = json!({"roles": ["department-staff"]});
    let path = format!("/tenants/daqing/users/{clerk_id}");
    let (status, _) = first.call(&admin, Method::PATCH, &path, Some(&roles)).await;
    assert_eq!(status, 200);
    let started = std::time::Instant::now();
    loop {
        let (status, _) = second
            .call(&clerk, Method::GET, "/tenants/daqing/audit", None)
            .await;
        if status == 403 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the second process still says {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, audit) = first
        .call(&admin, Method::GET, "/tenants/daqing/audit", None)
        .await;
    assert!(
        audit.contains("role_change") && audit.contains("permission_denied"),
        "{audit}"
    );
}
on_both_backends!(policy_reaches_other_processes);

/// A session ends at its absolute age even while it is in use.
async fn absolute_session_expiry(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
            ("MINSHENG_SESSION_MAX_AGE_SECS", "3"),
        ],
    )
    .await;
    app.staff("daqing", "dq-busy", &["auditor"], &[]).await;
    // The session began between these two instants; a request was
    // served between its sending and its answer. Only what is certain
    // either way is asserted, so a slow machine cannot fail the test.
    let before_login = std::time::Instant::now();
    let auth = app.login_ok(Some("daqing"), "dq-busy").await;
    let after_login = std::time::Instant::now();
    let mut ended = false;
    while !ended && after_login.elapsed() < Duration::from_secs(20) {
        let sent = std::time::Instant::now();
        let (status, _) = app
            .call(&auth, Method::GET, "/tenants/daqing/audit", None)
            .await;
        if before_login.elapsed() < Duration::from_millis(2500) {
            assert_eq!(status, 200, "still within the session's age");
        }
        if sent.duration_since(after_login) > Duration::from_millis(4000) {
            assert_eq!(status, 401, "the session ended at its absolute age");
            ended = true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ended, "a request was sent after the session's age");
}
on_both_backends!(absolute_session_expiry);
