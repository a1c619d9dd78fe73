//! The sign-in and sign-out forms: work without JavaScript, refuse
//! cross-site submissions, answer in the city's language.

use crate::on_both_backends;
use crate::support::{Backend, PASSWORD, spawn_app_with};

fn hidden_token(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF field")
        + 25;
    html[at..].split('"').next().unwrap().to_owned()
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn sign_in_form(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    app.staff("daqing", "dq-clerk", &["department-staff"], &["rlgs"])
        .await;

    let resp = app
        .client
        .get(app.url("/t/daqing/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let form_cookie = cookie_pair(resp.headers()["set-cookie"].to_str().unwrap());
    assert!(form_cookie.starts_with("__Host-minsheng-form="));
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("<h1>登录</h1>") && html.contains("<label for=\"password\">"),
        "{html}"
    );
    let token = hidden_token(&html);

    // Without the matching cookie (a cross-site post): refused.
    let resp = app
        .client
        .post(app.url("/t/daqing/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "dq-clerk"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.text().await.unwrap().contains("表单已过期"));

    // Wrong password: the form again, with the error, in Chinese.
    let resp = app
        .client
        .post(app.url("/t/daqing/login"))
        .header("cookie", &form_cookie)
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "dq-clerk"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("用户名或密码错误"),
        "{html}"
    );

    // Right password: staff are sent to their workbench, with a session cookie.
    let resp = app
        .client
        .post(app.url("/t/daqing/login"))
        .header("cookie", &form_cookie)
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "dq-clerk"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/t/daqing/staff/");
    let session = cookie_pair(resp.headers()["set-cookie"].to_str().unwrap());
    assert!(session.starts_with("__Host-minsheng="));

    let resp = app
        .client
        .get(app.url("/t/daqing/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "private, no-store");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"signed-in\">dq-clerk<"),
        "{html}"
    );
    let logout_token = hidden_token(&html);

    // Sign out needs the session's token.
    let resp = app
        .client
        .post(app.url("/t/daqing/logout"))
        .header("cookie", &session)
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = app
        .client
        .post(app.url("/t/daqing/logout"))
        .header("cookie", &session)
        .form(&[("csrf_token", logout_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let html = app
        .client
        .get(app.url("/t/daqing/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("data-testid=\"signed-in\""), "signed out");
}
on_both_backends!(sign_in_form);
