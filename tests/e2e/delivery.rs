//! Mail and webhooks reach the people and systems a city names: email
//! through a real SMTP server on loopback (late when it was down, but
//! nothing lost), webhooks signed and retried.

use crate::escalation::{call, heating, submit};
use crate::flows::staff_act;
use crate::on_both_backends;
use crate::support::{Backend, spawn_app_with};
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

/// A free port on loopback (nothing listens there until the test starts a
/// server on it).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real SMTP server on loopback (Python's aiosmtpd), keeping what it
/// receives in a maildir.
pub(crate) fn smtp_server(port: u16, maildir: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .kill_on_drop(true)
        .spawn()
        .expect("python3 -m aiosmtpd (pip install aiosmtpd; .ci/run does)")
}

/// The messages in a maildir, decoded by Python's email package:
/// (to, subject, body).
pub(crate) async fn received(maildir: &std::path::Path) -> Vec<(String, String, String)> {
    let script = r#"
import json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    import email
    msg = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
    out.append([str(msg["To"]), str(msg["Subject"]), msg.get_content()])
print(json.dumps(out))
"#;
    if !maildir.join("new").exists() {
        return Vec::new();
    }
    let output = tokio::process::Command::new("python3")
        .args(["-c", &format!("import email.policy\n{script}")])
        .arg(maildir)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Answers and escalations reach people by email in their city's language,
/// through a real SMTP server; while it is down, messages wait and are
/// retried, and none is lost.
async fn email_reaches_people(backend: Backend) {
    let port = free_port();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_SMTP_URL", &smtp),
            ("MINSHENG_WORKER_POLL_MS", "200"),
            ("MINSHENG_PUBLIC_URL", "https://minsheng.example.org"),
        ],
    )
    .await;
    // The city's own wording for one message, from its bundle; an unknown
    // text is refused with the key named.
    let bundle = app.dir.path().join("daqing");
    std::fs::create_dir_all(&bundle).unwrap();
    for file in [
        "tenant.toml",
        "departments.toml",
        "categories.toml",
        "calendar.toml",
    ] {
        std::fs::copy(
            crate::support::repo_root()
                .join("tenants/daqing")
                .join(file),
            bundle.join(file),
        )
        .unwrap();
    }
    let toml = std::fs::read_to_string(bundle.join("tenant.toml")).unwrap();
    std::fs::write(
        bundle.join("tenant.toml"),
        format!("{toml}\n[mail]\nnonsense_subject = \"x\"\n"),
    )
    .unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", bundle.to_str().unwrap()])
        .await;
    assert!(!ok && out.contains("mail.nonsense_subject"), "{out}");
    std::fs::write(
        bundle.join("tenant.toml"),
        format!("{toml}\n[mail]\nanswered_subject = \"【百湖民声】{{title}} 已有答复\"\n"),
    )
    .unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", bundle.to_str().unwrap()])
        .await;
    assert!(ok, "{out}");
    // A staff member of the heating company, with an address.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/tenants/daqing/users",
            &json!({
                "username": "li.heat", "display_name": "李工", "email": "li@heat.example.cn",
                "password": crate::support::PASSWORD, "departments": ["rlgs"], "roles": ["department-admin"]
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.staff("springfield", "streets", &["city-admin"], &[])
        .await;
    app.staff("daqing", "boss", &["city-admin"], &[]).await;
    let li = app.login_ok(Some("daqing"), "li.heat").await;
    let boss = app.login_ok(Some("daqing"), "boss").await;
    let streets = app.login_ok(Some("springfield"), "streets").await;

    // Two citizens who left an address, one in each city.
    let (wang, _, _) = submit(
        &app,
        &heating("暖气不热，请师傅上门", Some("wang@example.cn")),
    )
    .await;
    let (status, created) = app
        .send_json(
            Method::POST,
            "/tenants/springfield/cases",
            &json!({"category": "pothole", "title": "Pothole on Elm", "text": "A deep pothole on Elm Street by the school.",
                    "attributes": {"size": ["large"]}, "contact_email": "marge@example.com", "public": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let marge = created["tracking_code"].as_str().unwrap().to_owned();
    // A third case goes overdue now: its department is told.
    let (late, _, _) = submit(&app, &heating("暖气不热，超期未处理", None)).await;
    for code in [&wang, &late] {
        staff_act(&app, &boss, "daqing", code, "accept", None).await;
        staff_act(
            &app,
            &boss,
            "daqing",
            code,
            "assign",
            Some(&json!({"lead": "rlgs"})),
        )
        .await;
    }
    let (status, body) = staff_act(
        &app,
        &li,
        "daqing",
        &wang,
        "answer",
        Some(&json!({"text": "温控阀已更换，供热恢复正常。"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sp = |action: &str| format!("/tenants/springfield/cases/{marge}/{action}");
    call(&app, &streets, Method::POST, &sp("accept"), None).await;
    let (status, body) = call(
        &app,
        &streets,
        Method::POST,
        &sp("assign"),
        Some(&json!({"lead": "pw-streets"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &app,
        &streets,
        Method::POST,
        &sp("answer"),
        Some(&json!({"text": "A crew filled it this morning."})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let now = Utc::now().to_rfc3339();
    let late_id = app
        .platform_query(&format!(
            "SELECT id FROM cases WHERE tracking_code = '{late}'"
        ))
        .await;
    let late_id: uuid::Uuid = late_id[0].try_get_by_index(0).unwrap();
    let id = match backend {
        Backend::Postgres => format!("'{late_id}'"),
        Backend::Sqlite => format!("X'{}'", late_id.simple()),
    };
    app.platform_query(&format!(
        "UPDATE cases SET answer_deadline = '{now}' WHERE id = {id}"
    ))
    .await;
    app.platform_query(&format!(
        "UPDATE due_work SET level = 1, deadline_at = '{now}', due_at = '{now}' WHERE case_id = {id} AND state = 'pending'"
    ))
    .await;

    // The SMTP server is down: the messages wait, with the reason.
    let waiting = || async {
        app.platform_query("SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts > 0 AND last_error IS NOT NULL")
            .await[0]
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while waiting().await < 3 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(waiting().await, 3, "three messages tried and waiting");

    // It comes up: everything arrives.
    let maildir = app.dir.path().join("mail");
    let _server = smtp_server(port, &maildir);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut mail = Vec::new();
    while mail.len() < 3 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        mail = received(&maildir).await;
    }
    assert_eq!(mail.len(), 3, "{mail:?}");
    let to = |who: &str| {
        mail.iter()
            .find(|m| m.0.contains(who))
            .unwrap_or_else(|| panic!("no mail to {who}: {mail:?}"))
    };
    let (_, subject, body) = to("wang@example.cn");
    assert_eq!(
        subject, "【百湖民声】暖气不热，请师傅上门 已有答复",
        "the city's own subject"
    );
    assert!(
        body.contains("温控阀已更换")
            && body.contains(&format!(
                "https://minsheng.example.org/t/daqing/track?code={wang}"
            )),
        "{body}"
    );
    assert!(body.contains("市热力公司"), "{body}");
    let (_, subject, body) = to("marge@example.com");
    assert!(
        subject.starts_with("Your request has been answered"),
        "{subject}"
    );
    assert!(body.contains("A crew filled it this morning."), "{body}");
    let (_, subject, body) = to("li@heat.example.cn");
    assert!(
        subject.starts_with("【超期】") && subject.contains(&late),
        "{subject}"
    );
    assert!(body.contains("已超过答复期限"), "{body}");
    let sent = app
        .platform_query("SELECT count(*) FROM outbox WHERE state = 'sent'")
        .await[0]
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(sent, 3);
}
on_both_backends!(email_reaches_people);

/// What a webhook receiver got: headers of interest and the body.
#[derive(Clone, Debug)]
struct Call {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A receiver on loopback that refuses its first call (503) and accepts
/// the rest; returns its URL and what it received.
async fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Call>>>) {
    use poem::{EndpointExt, Route, handler, post};
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Call>::new()));
    #[handler]
    fn hook(
        req: &poem::Request,
        body: String,
        poem::web::Data(calls): poem::web::Data<&std::sync::Arc<std::sync::Mutex<Vec<Call>>>>,
    ) -> poem::http::StatusCode {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let mut calls = calls.lock().unwrap();
        calls.push(Call {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body,
        });
        if calls.len() == 1 {
            poem::http::StatusCode::SERVICE_UNAVAILABLE
        } else {
            poem::http::StatusCode::OK
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    let app = Route::new().at("/hook", post(hook)).data(calls.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (url, calls)
}

/// Webhooks follow the Standard Webhooks conventions: id, timestamp and an
/// HMAC signature a receiver can check with its secret; a refused call is
/// retried with the same id; only the events asked for are sent; the
/// delivery log shows it all.
async fn webhooks_are_signed_and_retried(backend: Backend) {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let app = spawn_app_with(backend, &[("MINSHENG_WORKER_POLL_MS", "200")]).await;
    app.staff("daqing", "boss", &["city-admin"], &[]).await;
    let boss = app.login_ok(Some("daqing"), "boss").await;
    let (url, calls) = receiver().await;
    // Bad input says what to fix.
    let (status, body) = call(
        &app,
        &boss,
        Method::POST,
        "/tenants/daqing/webhooks",
        Some(&json!({"url": "ftp://x", "events": ["case.eaten"]})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["url", "events[0]"], "{body}");
    let (status, created) = call(
        &app,
        &boss,
        Method::POST,
        "/tenants/daqing/webhooks",
        Some(&json!({"url": url, "events": ["case.accepted", "case.answered"]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let hook_id = created["webhook"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = call(&app, &boss, Method::GET, "/tenants/daqing/webhooks", None).await;
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let (code, _, _) = submit(
        &app,
        &heating("暖气不热，请尽快处理", Some("wang@example.cn")),
    )
    .await;
    assert_eq!(
        staff_act(&app, &boss, "daqing", &code, "accept", None)
            .await
            .0,
        200
    );
    assert_eq!(
        staff_act(
            &app,
            &boss,
            "daqing",
            &code,
            "assign",
            Some(&json!({"lead": "rlgs"}))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        staff_act(
            &app,
            &boss,
            "daqing",
            &code,
            "answer",
            Some(&json!({"text": "已修复。"}))
        )
        .await
        .0,
        200
    );

    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while calls.lock().unwrap().len() < 3 && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let got = calls.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        3,
        "one refused call, its retry, and the other event: {got:?}"
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    for c in &got {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", c.id, c.timestamp, c.body).as_bytes());
        let expected = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(c.signature, expected, "the signature checks out");
        let age = Utc::now().timestamp() - c.timestamp.parse::<i64>().unwrap();
        assert!((0..60).contains(&age));
        assert!(
            !c.body.contains("wang@example.cn"),
            "no personal data: {}",
            c.body
        );
    }
    let body = |c: &Call| serde_json::from_str::<Value>(&c.body).unwrap();
    // The refused call came again with the same id.
    assert_eq!(
        got[0].id,
        got.iter()
            .skip(1)
            .find(|c| body(c)["type"] == body(&got[0])["type"])
            .unwrap()
            .id
    );
    let types: HashSet<String> = got
        .iter()
        .map(|c| body(c)["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        HashSet::from(["case.accepted".to_owned(), "case.answered".to_owned()]),
        "only what was asked for"
    );
    assert!(
        got.iter()
            .all(|c| body(c)["data"]["tracking_code"] == code.as_str())
    );
    // The delivery log. The receiver counts a call before it answers, and
    // the worker marks a delivery sent only once it has the answer.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let (status, log) = call(
            &app,
            &boss,
            Method::GET,
            &format!("/tenants/daqing/webhooks/{hook_id}/deliveries"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{log}");
        let all_sent = log
            .as_array()
            .is_some_and(|l| l.iter().all(|d| d["state"] == "sent"));
        if all_sent || std::time::Instant::now() > until {
            break log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|d| d["state"] == "sent"), "{log:?}");
    assert!(
        log.iter()
            .any(|d| d["attempts"] == 2
                && d["last_error"].as_str().unwrap_or_default().contains("503")),
        "{log:?}"
    );
    // Removed: no more calls.
    let (status, _) = call(
        &app,
        &boss,
        Method::DELETE,
        &format!("/tenants/daqing/webhooks/{hook_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &app,
        &boss,
        Method::DELETE,
        &format!("/tenants/daqing/webhooks/{hook_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}
on_both_backends!(webhooks_are_signed_and_retried);
