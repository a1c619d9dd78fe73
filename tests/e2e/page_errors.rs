//! Errors on a city's pages: the status the API gives for the same error,
//! what to do about it, in the city's branding and language.

use crate::on_both_backends;
use crate::site::{field_value, page, post};
use crate::support::{Backend, spawn_app_with};

/// An error on a city's page has the status the API gives for it, says
/// what to do, and keeps the city's branding and language: here the
/// anonymous rate limit on the ask form, a 429 with `Retry-After` and the
/// form kept with what was typed.
async fn page_errors_have_the_api_status_in_the_city_branding(backend: Backend) {
    // Closed, so the visitor is anonymous (the tests' open admin API
    // would make every request an operator's, which is not limited).
    let app = spawn_app_with(
        backend,
        &[
            ("MINSHENG_ANONYMOUS_RATE_PER_MINUTE", "2"),
            ("MINSHENG_DEV_OPEN_ADMIN", "0"),
        ],
    )
    .await;
    let mut statuses = Vec::new();
    let mut last = None;
    for i in 0..4 {
        let (_, form) = page(&app, "/t/daqing/ask?category=heating-fee", None).await;
        let form_id = field_value(&form, "form_id");
        let title = format!("暖气费退费一直没有到账 {i}");
        let resp = post(
            &app,
            "/t/daqing/ask",
            None,
            &[
                ("category", "heating-fee"),
                ("form_id", &form_id),
                ("title", &title),
                ("text", "去年申请的暖气费退费到现在也没有到账，请尽快处理。"),
                ("public", "yes"),
            ],
        )
        .await;
        statuses.push(resp.status().as_u16());
        last = Some(resp);
    }
    assert_eq!(statuses, [200, 200, 429, 429]);
    let resp = last.unwrap();
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("尝试次数过多"), "said in Chinese: {html}");
    assert!(html.contains("百湖民声"), "the city's branding: {html}");
    assert!(
        html.contains("暖气费退费一直没有到账 3"),
        "the form keeps what was typed: {html}"
    );
}
on_both_backends!(page_errors_have_the_api_status_in_the_city_branding);
