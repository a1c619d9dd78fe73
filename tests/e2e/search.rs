//! Chinese full-text search and similar questions, on both databases:
//! 2-character words (油烟, 噪音, 暖气) are found; a case is found by a word
//! of its answer; results are highlighted; the staff inbox filters by the
//! same index; a rewritten question is offered as similar, an unrelated
//! one is not; the backfill indexes cases that lost their rows; and no
//! city ever sees another city's cases.

use crate::duplicates::scanned_for_duplicates;
use crate::flows::{staff_act, submit_case};
use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app};
use crate::workbench::page;
use serde_json::{Value, json};

fn case(category: &str, title: &str, text: &str) -> Value {
    json!({ "category": category, "title": title, "text": text, "public": true })
}

/// The tracking codes of a public search of `tenant`.
async fn search(app: &TestApp, tenant: &str, q: &str) -> (Vec<String>, Value) {
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let (status, body) = app
        .get_json(&format!("/tenants/{tenant}/cases?q={q}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let codes = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tracking_code"].as_str().unwrap().to_owned())
        .collect();
    (codes, body)
}

/// Accept, assign, start and answer a case as the (open, dev) operator.
async fn answer(app: &TestApp, tenant: &str, code: &str, lead: &str, text: &str) {
    let auth = Auth::default();
    for (action, body) in [
        ("accept", None),
        ("assign", Some(json!({ "lead": lead }))),
        ("start", None),
        ("answer", Some(json!({ "text": text }))),
    ] {
        let (status, out) = staff_act(app, &auth, tenant, code, action, body.as_ref()).await;
        assert_eq!(status, 200, "{action}: {out}");
    }
}

async fn chinese_words_answers_and_cities(backend: Backend) {
    let app = spawn_app(backend).await;
    let fumes = submit_case(
        &app,
        "daqing",
        &case(
            "pollution",
            "楼下饭店油烟太大",
            "萨尔图区某小区楼下新开的饭店，每天中午和晚上油烟直冲楼上住户窗户。",
        ),
    )
    .await;
    let noise = submit_case(
        &app,
        "daqing",
        &case(
            "other",
            "工地夜间施工噪音扰民",
            "让胡路区一处工地每天夜里十一点后还在施工，噪音很大，无法入睡。",
        ),
    )
    .await;
    let heating = submit_case(
        &app,
        "daqing",
        &case(
            "heating-fee",
            "暖气费缴费方式咨询",
            "今年的暖气费可以在网上缴纳吗？需要带什么材料到营业厅？",
        ),
    )
    .await;
    // Another city with the same word: never in daqing's results.
    let elsewhere = submit_case(
        &app,
        "springfield",
        &case(
            "other",
            "Restaurant 油烟 on Main St",
            "The 油烟 from the restaurant fills the stairwell.",
        ),
    )
    .await;

    for (word, expected) in [("油烟", &fumes), ("噪音", &noise), ("暖气", &heating)] {
        let (codes, body) = search(&app, "daqing", word).await;
        assert_eq!(
            codes,
            std::slice::from_ref(&expected.code),
            "{word}: {body}"
        );
        let item = &body["items"][0];
        let marked = format!("<mark>{word}</mark>");
        assert!(
            item["highlight"]["title"]
                .as_str()
                .unwrap()
                .contains(&marked)
                || item["highlight"]["snippet"]
                    .as_str()
                    .unwrap()
                    .contains(&marked),
            "{word}: {item}"
        );
    }
    // Several words: each must be there; order and punctuation do not count.
    let (codes, _) = search(&app, "daqing", "噪音，工地").await;
    assert_eq!(codes, std::slice::from_ref(&noise.code));
    let (codes, _) = search(&app, "daqing", "噪音 饭店").await;
    assert!(codes.is_empty(), "{codes:?}");
    // Only stop words: nothing, not everything.
    let (codes, _) = search(&app, "daqing", "的了吗").await;
    assert!(codes.is_empty(), "{codes:?}");
    // The other city finds only its own.
    let (codes, _) = search(&app, "springfield", "油烟").await;
    assert_eq!(codes, std::slice::from_ref(&elsewhere.code));
    let (codes, _) = search(&app, "springfield", "restaurant").await;
    assert_eq!(codes, std::slice::from_ref(&elsewhere.code));
    let (codes, _) = search(&app, "daqing", "restaurant").await;
    assert!(codes.is_empty());

    // A word only the answer holds finds the case once answered.
    let (codes, _) = search(&app, "daqing", "温控阀").await;
    assert!(codes.is_empty());
    answer(
        &app,
        "daqing",
        &heating.code,
        "rlgs",
        "暖气费可通过市热力公司微信公众号缴纳；如室内不热，可报修温控阀。",
    )
    .await;
    let (codes, body) = search(&app, "daqing", "温控阀").await;
    assert_eq!(codes, std::slice::from_ref(&heating.code), "{body}");
    assert!(
        body["items"][0]["highlight"]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>温控阀</mark>"),
        "{body}"
    );

    // Bad input is a 422 naming the field.
    let long = "油".repeat(101);
    let (status, body) = app
        .get_json(&format!(
            "/tenants/daqing/cases?q={}",
            form_urlencoded::byte_serialize(long.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(status, 422, "{body}");

    // The public answers page: highlighted, and the same results.
    let html = app
        .client
        .get(app.url("/t/daqing/answers?q=%E6%B2%B9%E7%83%9F"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&fumes.code), "{html}");
    assert!(!html.contains(&noise.code));
    assert!(html.contains("<mark>油烟</mark>"), "{html}");

    // The staff inbox filters through the same index.
    app.staff("daqing", "dq-search", &["dispatcher"], &[]).await;
    let staff = app.login_ok(Some("daqing"), "dq-search").await;
    let inbox = |q: &'static str| {
        let app = &app;
        let staff = staff.clone();
        async move {
            let resp = app
                .client
                .get(app.url(&format!(
                    "/t/daqing/staff/?tab=all&q={}",
                    form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
                )))
                .header("cookie", staff.cookie.clone().unwrap_or_default())
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200);
            resp.text().await.unwrap()
        }
    };
    let body = inbox("噪音").await;
    assert!(
        body.contains(&noise.code) && !body.contains(&fumes.code),
        "{body}"
    );
    let body = inbox("油烟").await;
    assert!(body.contains(&fumes.code) && !body.contains(&elsewhere.code));

    // Cases that lost their index rows (as before the index existed) are
    // indexed again by the backfill, with progress.
    app.platform_query("DELETE FROM case_search").await;
    let (codes, _) = search(&app, "daqing", "油烟").await;
    assert!(codes.is_empty());
    let (ok, out) = app.cli(&["search", "backfill"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("indexed 4 case(s)"), "{out}");
    let (codes, _) = search(&app, "daqing", "油烟").await;
    assert_eq!(codes, std::slice::from_ref(&fumes.code));
    let (codes, _) = search(&app, "daqing", "温控阀").await;
    assert_eq!(codes, std::slice::from_ref(&heating.code));
    let (ok, out) = app.cli(&["search", "reindex", "--tenant", "daqing"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("indexed all 3 case(s) of daqing"), "{out}");
}
on_both_backends!(chinese_words_answers_and_cities);

/// The similar answered questions of `tenant` for `text`.
async fn similar(app: &TestApp, tenant: &str, text: &str) -> Vec<String> {
    let q: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    let (status, body) = app
        .get_json(&format!("/tenants/{tenant}/cases/similar?text={q}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"]["tracking_code"].as_str().unwrap().to_owned())
        .collect()
}

/// The default button of the page's form with `action` ending in `/ask`:
/// its first `<button>` or `<input>` that submits, as HTML text.
fn default_button(html: &str) -> String {
    let field = html.find("name=\"form_id\"").expect("the ask form");
    let start = html[..field].rfind("<form").expect("a form");
    let form = &html[start..start + html[start..].find("</form>").expect("its end")];
    let mut rest = form;
    while let Some(at) = rest.find("<button").or_else(|| rest.find("<input")) {
        let at = match (rest.find("<button"), rest.find("<input")) {
            (Some(b), Some(i)) => b.min(i),
            _ => at,
        };
        let tag = &rest[at..at + rest[at..].find('>').expect("a tag's end")];
        let submits = if tag.starts_with("<button") {
            !tag.contains("type=\"button\"") && !tag.contains("type=\"reset\"")
        } else {
            tag.contains("type=\"submit\"")
        };
        if submits {
            return tag.to_owned();
        }
        rest = &rest[at + tag.len()..];
    }
    panic!("no submit button in {form}")
}

async fn similar_questions_before_asking(backend: Backend) {
    let app = spawn_app(backend).await;
    let original = submit_case(
        &app,
        "daqing",
        &json!({
            "category": "heating-cold",
            "attributes": {"address_detail": ["东城领秀 C-22 栋 2 单元"], "indoor_temp": ["10-14"]},
            "title": "东城领秀小区暖气不热",
            "text": "东城领秀小区C-22栋2单元，家里暖气一直不热，室温只有十几度。",
            "public": true
        }),
    )
    .await;
    let unanswered = submit_case(
        &app,
        "daqing",
        &case(
            "heating-fee",
            "暖气不热能不能少交暖气费",
            "暖气一直不热，暖气费能否减免？",
        ),
    )
    .await;
    let bus = submit_case(
        &app,
        "daqing",
        &case(
            "bus-route",
            "希望增开公交线路",
            "东城领秀小区附近没有公交车，出行不便。",
        ),
    )
    .await;
    // Only answered public cases are offered.
    assert!(similar(&app, "daqing", "东城领秀暖气不热").await.is_empty());
    answer(
        &app,
        "daqing",
        &original.code,
        "rlgs",
        "经市热力公司技术人员入户检查，温控阀损坏，已修复，供热已恢复正常。",
    )
    .await;
    answer(
        &app,
        "daqing",
        &bus.code,
        "gjjt",
        "已将您的建议转公交公司研究。",
    )
    .await;

    // The same question in other words.
    let found = similar(&app, "daqing", "我家在东城领秀，暖气不热怎么办").await;
    assert_eq!(found.first(), Some(&original.code), "{found:?}");
    assert!(!found.contains(&unanswered.code));
    // Unrelated: nothing (the bus case shares only the estate's name).
    let found = similar(&app, "daqing", "路灯坏了好几天").await;
    assert!(found.is_empty(), "{found:?}");
    let found = similar(&app, "daqing", "暖气不热").await;
    assert!(!found.contains(&bus.code), "{found:?}");
    // Never another city's.
    assert!(
        similar(&app, "springfield", "东城领秀暖气不热")
            .await
            .is_empty()
    );
    // Bad input.
    let (status, body) = app.get_json("/tenants/daqing/cases/similar?text=x").await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.get_json("/tenants/daqing/cases/similar").await;
    assert_eq!(status, 400);
    let (status, _) = app
        .get_json("/tenants/nowhere/cases/similar?text=abc")
        .await;
    assert_eq!(status, 404);

    // The ask form without JavaScript: "check for similar questions" shows
    // them and files nothing; the form keeps what was typed.
    let before = app.platform_query("SELECT COUNT(*) AS n FROM cases").await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    let resp = app
        .client
        .post(app.url("/t/daqing/ask"))
        .form(&[
            ("category", "heating-fee"),
            ("form_id", "similar-check-form-0001"),
            ("title", "东城领秀暖气不热怎么办"),
            ("text", ""),
            ("action", "similar"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains(&format!("cases/{}", original.code)), "{html}");
    assert!(html.contains("东城领秀暖气不热怎么办"));
    let after = app.platform_query("SELECT COUNT(*) AS n FROM cases").await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(before, after);
    // Enter in a field files the case: a browser submits the form with
    // its default button, the first submit button in tree order, which
    // must be the file button (not the similar-questions check).
    let html = app
        .client
        .get(app.url("/t/daqing/ask?category=heating-fee"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let default = default_button(&html);
    assert!(default.contains("data-testid=\"submit\""), "{default}");
    assert!(!default.contains("name="), "{default}");
    let form_id = crate::site::field_value(&html, "form_id");
    let resp = app
        .client
        .post(app.url("/t/daqing/ask"))
        .form(&[
            ("category", "heating-fee"),
            ("form_id", form_id.as_str()),
            ("title", "东城领秀暖气不热怎么办"),
            ("text", "家里暖气一直不热，室温只有十四度。"),
            ("public", "yes"),
            ("anonymous", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let filed = resp.text().await.unwrap();
    assert!(filed.contains("data-testid=\"tracking-code\""), "{filed}");
    let after_enter = app.platform_query("SELECT COUNT(*) AS n FROM cases").await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(after_enter, after + 1);
    // The empty form carries the live list's address for JavaScript.
    let html = app
        .client
        .get(app.url("/t/daqing/ask?category=heating-fee"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            "data-similar-url=\"&#x2f;api&#x2f;v1&#x2f;tenants&#x2f;daqing&#x2f;cases&#x2f;similar\""
        ),
        "{html}"
    );
}
on_both_backends!(similar_questions_before_asking);

/// A city's own words: kept whole by the search, checked when applied.
async fn city_words(backend: Backend) {
    let app = spawn_app(backend).await;
    // 东城领秀 is one of daqing's words (its bundle): a search for the
    // estate finds it, and a search for a part of it too.
    let estate = submit_case(
        &app,
        "daqing",
        &case(
            "other",
            "东城领秀物业不管垃圾",
            "小区垃圾堆了一周没人清理。",
        ),
    )
    .await;
    let (codes, _) = search(&app, "daqing", "东城领秀").await;
    assert_eq!(codes, std::slice::from_ref(&estate.code));
    let (codes, _) = search(&app, "daqing", "东城").await;
    assert_eq!(codes, std::slice::from_ref(&estate.code));
    // A word with a space or punctuation is refused with its place.
    let (status, body) = app
        .send_json(
            reqwest::Method::PATCH,
            "/tenants/daqing",
            &json!({"publication": {"words": ["东城 领秀"]}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("publication.words[0]"), "{body}");
}
on_both_backends!(city_words);

/// A case at a place.
fn case_at(category: &str, title: &str, text: &str, at: (f64, f64)) -> Value {
    let mut c = case(category, title, text);
    c["latitude"] = json!(at.0);
    c["longitude"] = json!(at.1);
    c
}

/// Likely duplicates on the staff case page: a near-copy and the same
/// request in other words are offered with a score, and so is the request
/// filed under another category a few hundred metres away; an unrelated
/// case, the request under another category far away, and another city's
/// copy are not.
async fn likely_duplicates_for_staff(backend: Backend) {
    let app = spawn_app(backend).await;
    let here = (46.5877, 125.1042);
    let original = submit_case(
        &app,
        "daqing",
        &case_at(
            "other",
            "南一路饭店老板拖欠工资跑路",
            "我在南一路一家饭店打工，老板欠了两个月工资后关门跑了。",
            here,
        ),
    )
    .await;
    // The worker scans it while it has no duplicates yet: the ones filed
    // after it are offered on its page because their own scans add it.
    scanned_for_duplicates(&app).await;
    // 300 m north, under another category.
    let nearby = submit_case(
        &app,
        "daqing",
        &case_at(
            "street-vending",
            "南一路饭店老板欠工资跑路了",
            "南一路饭店的老板欠我们两个月工资，关门跑了，请帮忙追讨。",
            (here.0 + 0.0027, here.1),
        ),
    )
    .await;
    // 5 km away, under another category.
    let far = submit_case(
        &app,
        "daqing",
        &case_at(
            "street-vending",
            "南一路饭店老板欠工资跑路了",
            "南一路饭店的老板欠我们两个月工资，关门跑了，请帮忙追讨。",
            (here.0 + 0.045, here.1),
        ),
    )
    .await;
    let copy = submit_case(
        &app,
        "daqing",
        &case(
            "other",
            "南一路饭店老板拖欠工资跑路",
            "您好，我在南一路一家饭店打工，老板欠了两个月工资后关门跑了！请尽快处理。",
        ),
    )
    .await;
    let reworded = submit_case(
        &app,
        "daqing",
        &case(
            "other",
            "南一路饭店老板欠薪跑了",
            "南一路那个饭店的老板欠了我两个月工资，现在饭店关了人也找不到。",
        ),
    )
    .await;
    let unrelated = submit_case(
        &app,
        "daqing",
        &case(
            "other",
            "儿童公园滑梯损坏",
            "儿童公园滑梯断了一块，孩子容易受伤。",
        ),
    )
    .await;
    let elsewhere = submit_case(
        &app,
        "springfield",
        &case(
            "other",
            "南一路饭店老板拖欠工资跑路",
            "我在南一路一家饭店打工，老板欠了两个月工资后关门跑了。",
        ),
    )
    .await;
    scanned_for_duplicates(&app).await;
    app.staff("daqing", "dq-dup", &["dispatcher"], &[]).await;
    let staff = app.login_ok(Some("daqing"), "dq-dup").await;
    let (status, html) = page(
        &app,
        &staff,
        &format!("/t/daqing/staff/cases/{}", original.code),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"duplicates\""), "{html}");
    let mut places = Vec::new();
    for code in [&copy.code, &reworded.code, &nearby.code] {
        let at = html
            .find(&format!("data-testid=\"duplicate-{code}\""))
            .unwrap_or_else(|| panic!("{code} offered: {html}"));
        let item = &html[at..at + html[at..].find("</li>").unwrap()];
        assert!(item.contains("相似度") && item.contains('%'), "{item}");
        places.push(at);
    }
    // Most alike first: the copy before the rewording.
    assert!(places[0] < places[1], "{html}");
    assert!(!html.contains(&format!("duplicate-{}", unrelated.code)));
    assert!(!html.contains(&format!("duplicate-{}", far.code)), "{html}");
    assert!(!html.contains(&elsewhere.code));
    // A later case's page offers the earlier one.
    let (_, html) = page(
        &app,
        &staff,
        &format!("/t/daqing/staff/cases/{}", copy.code),
    )
    .await;
    assert!(
        html.contains(&format!("data-testid=\"duplicate-{}\"", original.code)),
        "{html}"
    );
    assert!(!html.contains(&elsewhere.code));
    // The unrelated case has none.
    let (_, html) = page(
        &app,
        &staff,
        &format!("/t/daqing/staff/cases/{}", unrelated.code),
    )
    .await;
    assert!(!html.contains("data-testid=\"duplicates\""), "{html}");
}
on_both_backends!(likely_duplicates_for_staff);
