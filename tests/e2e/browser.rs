//! The city pages in a real headless Chromium: by path, and by host name
//! (`*.localhost` resolves to this machine in Chromium without DNS).

use crate::on_both_backends;
use crate::support::{Backend, spawn_app};
use tokio::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM Chromium builds for `url`, after running the page.
async fn dump_dom(url: &str) -> String {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "Chromium is needed for page tests: apt-get install chromium (.ci/run does)"
    );
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=en-US",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .await
        .expect("run chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn city_pages_in_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();

    let dom = dump_dom(&app.url("/t/daqing/")).await;
    assert!(dom.contains("<title>百湖民声</title>"), "{dom}");
    assert!(
        dom.contains("龙凤区城管局") && dom.contains("暖气不热"),
        "{dom}"
    );

    let dom = dump_dom(&format!("http://springfield.localhost:{port}/")).await;
    assert!(
        dom.contains("Public Works"),
        "Springfield by host name: {dom}"
    );
    assert!(!dom.contains("市热力公司"));

    let dom = dump_dom(&format!("http://nowhere.localhost:{port}/")).await;
    assert!(
        dom.contains("Page not found") || dom.contains("not_found"),
        "{dom}"
    );
}
on_both_backends!(city_pages_in_browser);

/// The browser suite's scripts and their packages (`npm ci` in
/// `tests/browser`, which `.ci/run` does).
fn browser_dir() -> std::path::PathBuf {
    let dir = crate::support::repo_root().join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists()
            && dir.join("node_modules/axe-core").exists(),
        "the browser tests need their packages: npm ci --prefix tests/browser (.ci/run does)"
    );
    dir
}

/// Where screenshots go: `tests/artifacts/browser/<backend>/`.
pub(crate) fn artifacts(backend: Backend) -> std::path::PathBuf {
    crate::support::repo_root()
        .join("tests/artifacts/browser")
        .join(format!("{backend:?}").to_lowercase())
}

/// A city administrator of `slug`, signed in through the API.
async fn city_admin(app: &crate::support::TestApp, slug: &str) -> serde_json::Value {
    let name = format!("{slug}-admin");
    app.staff(slug, &name, &["city-admin"], &[]).await;
    let auth = app.login_ok(Some(slug), &name).await;
    serde_json::json!({ "cookie": auth.cookie.unwrap(), "csrf": auth.csrf.unwrap() })
}

/// Run `tests/browser/{script}` with `plan`; it fails on the first thing
/// that is wrong and says what. Its output.
pub(crate) async fn run_script(script: &str, plan: &serde_json::Value) -> String {
    let output = Command::new("node")
        .arg(script)
        .current_dir(browser_dir())
        .env("MINSHENG_BROWSER_PLAN", plan.to_string())
        .output()
        .await
        .expect("run node (Node.js is needed for the browser tests)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed for {}:\n{}\n{stdout}",
        plan["slug"],
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Run `tests/browser/citizen.mjs` with `plan`: what it reports.
async fn run_citizen(plan: serde_json::Value) -> serde_json::Value {
    let stdout = run_script("citizen.mjs", &plan).await;
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

/// The article's heating question in daqing, in Chinese with JavaScript;
/// the same visit in springfield, in English with JavaScript turned off.
/// Each asks, gets staff's answer through the API, finds it by tracking
/// code, rates it and sees the home page figures move; axe-core checks
/// every main page; screenshots at phone width are kept as artifacts.
async fn citizens_ask_track_and_rate(backend: Backend) {
    let app = spawn_app(backend).await;
    let shots = artifacts(backend);
    let daqing = serde_json::json!({
        "base": app.base,
        "slug": "daqing",
        "lang": "zh-CN",
        "javascript": true,
        "staff": city_admin(&app, "daqing").await,
        "artifacts": shots,
        "search": "暖气",
        "category": "heating-cold",
        "category_name": "暖气不热",
        "title_error": "标题需要 4 到 100 个字。",
        "attributes": [
            {"code": "address_detail", "kind": "text", "value": "东城领秀 C-22 栋 2 单元 301"},
            {"code": "indoor_temp", "kind": "choice", "value": "10-14"},
        ],
        "title": "东城领秀C-22栋暖气不热 <script>alert(1)</script>",
        "text": "东城领秀小区C-22栋2单元，家里暖气一直不热，室温只有十几度，请尽快处理。<script>alert(1)</script>",
        "address": "龙凤区东城领秀 C-22 栋 2 单元",
        "contact_name": "王女士",
        "contact_phone": "13900001111",
        "lead": "rlgs",
        "answer": "经市热力公司技术人员入户检查，温控阀损坏，已修复，供热已恢复正常。",
        "rating_label": "满意",
        "satisfaction_after": "100.0%",
        "search_answers": "东城领秀",
        "site_title": "百湖民声",
    });
    let done = run_citizen(daqing).await;
    let code = done["code"].as_str().unwrap().to_owned();

    let springfield = serde_json::json!({
        "base": app.base,
        "slug": "springfield",
        "lang": "en",
        "javascript": false,
        "staff": city_admin(&app, "springfield").await,
        "artifacts": shots,
        "search": "pothole",
        "category": "pothole",
        "category_name": "Pothole",
        "title_error": "The title needs 4 to 100 characters.",
        "attributes": [{"code": "size", "kind": "choice", "value": "large"}],
        "title": "Deep pothole on Evergreen Terrace <b>now</b>",
        "text": "A deep pothole in front of number 742 <script>alert(1)</script> damaged two tyres today.",
        "address": "742 Evergreen Terrace",
        "contact_name": "Marge",
        "contact_phone": "555-0100",
        "lead": "pw-streets",
        "answer": "A crew filled the pothole this morning. Thank you for reporting it.",
        "rating_label": "Satisfied",
        "satisfaction_after": "100.0%",
        "search_answers": "Evergreen",
        "site_title": "Springfield 311",
    });
    run_citizen(springfield).await;

    // The daqing case is not springfield's: not by path, not by host.
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let other = app
        .client
        .get(app.url(&format!("/t/springfield/cases/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);
    let by_host = app
        .client
        .get(format!("http://127.0.0.1:{port}/cases/{code}"))
        .header("host", format!("springfield.localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_host.status().as_u16(), 404);
    let own_host = app
        .client
        .get(format!("http://127.0.0.1:{port}/cases/{code}"))
        .header("host", format!("daqing.localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(own_host.status().as_u16(), 200);
}
on_both_backends!(citizens_ask_track_and_rate);

/// The article's heating complaint from the staff side, in the browser:
/// once with JavaScript and once without. Dispatcher, lead department,
/// co-handling department and supervisor each sign in on the city's form;
/// axe-core checks every staff page.
async fn staff_answer_the_heating_complaint(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("daqing", "dq-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("daqing", "dq-heat", &["department-staff"], &["rlgs"])
        .await;
    app.staff("daqing", "dq-cgj", &["department-staff"], &["lfq-cgj"])
        .await;
    app.staff("daqing", "dq-super", &["supervisor"], &[]).await;
    let shots = artifacts(backend);
    for (javascript, template) in [(true, "入户检修"), (false, "入户检修（无脚本）")] {
        let case =
            crate::flows::submit_case(&app, "daqing", &crate::flows::heating_complaint()).await;
        run_script(
            "staff.mjs",
            &serde_json::json!({
                "base": app.base,
                "slug": "daqing",
                "javascript": javascript,
                "artifacts": shots,
                "password": crate::support::PASSWORD,
                "dispatcher": "dq-dispatcher",
                "lead_user": "dq-heat",
                "co_user": "dq-cgj",
                "supervisor": "dq-super",
                "code": case.code,
                "secret": case.secret,
                "contact_phone": "13900001111",
                "lead": "rlgs",
                "lead_name": "市热力公司",
                "co": "lfq-cgj",
                "opinion": "经现场核实，小区外部管网无占道施工，建议由热力公司入户检查。",
                "template_title": template,
                "answer": "经市热力公司技术人员入户检查，温控阀损坏，已修复，供热已恢复正常。",
                "rating_label": "满意",
            }),
        )
        .await;
    }
}
on_both_backends!(staff_answer_the_heating_complaint);

/// A campaign of `slug` opened for suggestions under `themes` through the
/// API, with one suggestion already filed: its tracking code.
async fn open_campaign(
    app: &crate::support::TestApp,
    admin: &crate::support::Auth,
    slug: &str,
    themes: &[&str],
    other: serde_json::Value,
) -> String {
    let base = format!("/tenants/{slug}/campaigns");
    let (status, body) = app
        .call(
            admin,
            reqwest::Method::POST,
            &base,
            Some(&serde_json::json!({
                "slug": "call-2012",
                "title": if slug == "daqing" { "2012年惠民工程建议征集" } else { "Springfield Improvement Call" },
                "description": if slug == "daqing" { "请市民为2012年的惠民工程提出建议，三个月内事事有回音。" } else { "Tell the city what to build this year; every suggestion is answered." },
                "budget_fen": 286_000_000_000_i64,
                "themes": themes,
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .call(
            admin,
            reqwest::Method::POST,
            &format!("{base}/call-2012/phase"),
            Some(&serde_json::json!({"phase": "collecting"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call(
            &crate::support::Auth::default(),
            reqwest::Method::POST,
            &format!("{base}/call-2012/suggestions"),
            Some(&other),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    created["tracking_code"].as_str().unwrap().to_owned()
}

/// A suggestion followed from the citizen's form to its delivered project:
/// in daqing in Chinese with JavaScript, in springfield in English without.
/// The citizen answers the theme's own questions; staff merge, answer and
/// publish on the campaign desk, make a project of the cluster, report
/// progress and a milestone and deliver it; the suggestion's page shows the
/// path to the project. axe-core checks every campaign page visited.
async fn a_suggestion_is_followed_to_its_delivered_project(backend: Backend) {
    let app = spawn_app(backend).await;
    let shots = artifacts(backend);
    for (slug, zh) in [("daqing", true), ("springfield", false)] {
        let user = format!("{slug}-desk");
        app.staff(slug, &user, &["city-admin"], &[]).await;
        let admin = app.login_ok(Some(slug), &user).await;
        let (themes, other) = if zh {
            (
                vec!["heating-cold", "heating-fee"],
                serde_json::json!({
                    "category": "heating-cold", "title": "老旧小区暖气管网改造",
                    "text": "东城区老旧小区暖气管网老化，冬天室温偏低，建议列入惠民工程改造。",
                    "public": true,
                    "attributes": {"address_detail": ["东城区老旧小区"], "indoor_temp": ["14-18"]},
                }),
            )
        } else {
            (
                vec!["pothole", "sidewalk"],
                serde_json::json!({
                    "category": "pothole", "title": "Resurface Evergreen Terrace",
                    "text": "Evergreen Terrace has potholes every few metres; please resurface the whole street.",
                    "public": true,
                    "attributes": {"size": ["medium"]},
                }),
            )
        };
        let other_code = open_campaign(&app, &admin, slug, &themes, other).await;
        let words = |zh_cn: &'static str, en: &'static str| if zh { zh_cn } else { en };
        run_script("campaign.mjs", &serde_json::json!({
            "base": app.base,
            "slug": slug,
            "campaign": "call-2012",
            "lang": words("zh-CN", "en"),
            "javascript": zh,
            "artifacts": shots,
            "admin": {"cookie": admin.cookie, "csrf": admin.csrf},
            "staff_user": user,
            "password": crate::support::PASSWORD,
            "other_code": other_code,
            "theme": themes[0],
            "theme_name": words("暖气不热", "Pothole"),
            "attributes": if zh {
                serde_json::json!([
                    {"code": "address_detail", "kind": "text", "value": "东城领秀 C-22 栋"},
                    {"code": "indoor_temp", "kind": "choice", "value": "10-14"},
                ])
            } else {
                serde_json::json!([{"code": "size", "kind": "choice", "value": "large"}])
            },
            "title": words("东城领秀暖气管网需要改造", "Fix the potholes on Evergreen Terrace"),
            "text": words(
                "东城领秀小区的暖气管网用了二十年，每年冬天都不热，建议整体改造。",
                "The potholes on Evergreen Terrace damage tyres every week; please fix the whole street.",
            ),
            "cluster": words("老旧小区供热管网改造", "Evergreen Terrace resurfacing"),
            "answer": words("已并入老旧小区供热管网改造一并研究。", "Merged with the other Evergreen Terrace suggestions."),
            "project": "HM-P1",
            "project_title": words("东城区老旧小区供热管网改造", "Evergreen Terrace resurfaced"),
            "project_text": words("改造东城区老旧小区供热管网二十公里。", "Resurface Evergreen Terrace from end to end."),
            "planned": "1,200,000",
            "planned_shown": "¥1,200,000",
            "milestone_day": "2012-09-01",
            "milestone": words("管网改造完成一半", "Half of the street resurfaced"),
        }))
        .await;
    }
}
on_both_backends!(a_suggestion_is_followed_to_its_delivered_project);

/// The consoles' part of setting up a new city, with JavaScript and
/// without: an operator creates it from a bundle, gives it a host name and
/// quotas; its administrator then reads them, gives the city a title and a
/// logo, makes a dispatcher's account, and uploads, configures, replays
/// and enables a routing rule, which then routes the case a citizen
/// submits on the city's site.
/// axe-core on every page; screenshots kept as artifacts.
async fn a_new_city_set_up_in_the_consoles(backend: Backend) {
    let app = crate::support::spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    let (ok, out) = app
        .cli_with_password(&["user", "create", "--operator", "--username", "b-operator"])
        .await;
    assert!(ok, "{out}");
    let file = |name: &str| {
        std::fs::read_to_string(
            crate::support::repo_root()
                .join("tenants/springfield")
                .join(name),
        )
        .unwrap()
    };
    let files = tempfile::tempdir().unwrap();
    let logo = files.path().join("logo.png");
    std::fs::write(&logo, crate::console_settings::png()).unwrap();
    let component = files.path().join("daqing-router.wasm");
    std::fs::write(
        &component,
        minsheng_plugin_host::examples::bytes("daqing-router"),
    )
    .unwrap();
    for (javascript, slug) in [(true, "shelbyville"), (false, "ogdenville")] {
        let tenant = file("tenant.toml")
            .replace("\"springfield\"", &format!("\"{slug}\""))
            .replace("City of Springfield", slug)
            .replace("springfield.localhost", &format!("{slug}.localhost"));
        let plan = serde_json::json!({
            "phase": "operator",
            "base": app.base,
            "slug": slug,
            "javascript": javascript,
            "artifacts": artifacts(backend),
            "operator": "b-operator",
            "admin": format!("{slug}-admin"),
            "password": crate::support::PASSWORD,
            "bundle": {
                "tenant": tenant,
                "departments": file("departments.toml"),
                "categories": file("categories.toml"),
                "calendar": file("calendar.toml"),
            },
            "host": format!("www.{slug}.localhost"),
            "quotas": {"cases_per_day": 500, "staff_users": 40, "webhooks": 3},
        });
        run_script("console.mjs", &plan).await;
        app.staff(slug, &format!("{slug}-admin"), &["city-admin"], &[])
            .await;
        let mut admin = plan;
        admin["phase"] = "admin".into();
        admin["site_title"] = format!("{slug} 311").into();
        admin["logo"] = logo.to_string_lossy().into();
        admin["staff"] = serde_json::json!({
            "username": format!("{slug}-dispatcher"),
            "display_name": "Dee Spatcher",
            "role": "dispatcher",
        });
        admin["component"] = component.to_string_lossy().into();
        admin["routes"] = serde_json::json!([
            {"keywords": ["water main"], "department": "pw-water"},
        ]);
        admin["only_categories"] = serde_json::json!(["pothole"]);
        // Past cases for the replay: one the rule would route elsewhere.
        for text in [
            "A deep pothole on Main Street.",
            "A water main is leaking into a pothole on Oak Street.",
            "Pothole by the school on 5th Avenue.",
        ] {
            let (status, body) = app
                .send_json(
                    reqwest::Method::POST,
                    &format!("/tenants/{slug}/cases"),
                    &serde_json::json!({"category": "pothole", "attributes": {"size": ["small"]},
                        "title": "Pothole", "text": text, "public": true}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
        admin["citizen"] = serde_json::json!({
            "category": "pothole",
            "attributes": {"size": "large"},
            "title": "Pothole over a broken water main",
            "text": "The water main under the pothole on Elm Street is leaking.",
            "address": "12 Elm Street",
            "contact_name": "Homer",
            "contact_phone": "555-0199",
        });
        let out = run_script("console.mjs", &admin).await;
        let done: serde_json::Value =
            serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap();

        // The enabled rule routed the citizen's pothole over a broken
        // water main to the water division instead of the category's
        // streets division.
        let code = done["code"].as_str().expect("a tracking code").to_owned();
        let auth = app.login_ok(Some(slug), &format!("{slug}-admin")).await;
        let (status, case) = app
            .call(
                &auth,
                reqwest::Method::GET,
                &format!("/tenants/{slug}/cases/{code}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{case}");
        let case: serde_json::Value = serde_json::from_str(&case).unwrap();
        assert_eq!(case["case"]["department"], "pw-water", "{case}");
        // The dispatcher made in the console signs in.
        app.login_ok(Some(slug), &format!("{slug}-dispatcher"))
            .await;
    }
}
on_both_backends!(a_new_city_set_up_in_the_consoles);
