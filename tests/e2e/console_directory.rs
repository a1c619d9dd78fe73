//! The city administration console's directory pages over plain HTTP (a
//! browser without JavaScript): the department tree with its CSV export
//! and import, categories with their questions and the citizen form they
//! make, and the calendar with a year imported from a file. Bad input is a
//! 4xx page that says what to fix; every change is in the audit log; only
//! the city's administrators get in.

use crate::on_both_backends;
use crate::support::{Auth, Backend, TestApp, spawn_app, spawn_app_with};
use crate::workbench::{page, post, status_and_location};
use chrono::Datelike;

/// Post a form with one file, as a browser sends it; status and
/// `Location` (or body).
async fn upload(
    app: &TestApp,
    auth: &Auth,
    path: &str,
    fields: &[(&str, &str)],
    file: &[u8],
) -> (u16, String) {
    let boundary = "----minsheng-test-boundary";
    let mut body = Vec::new();
    let csrf = auth.csrf.clone().unwrap_or_default();
    for (name, value) in [("csrf_token", csrf.as_str())].iter().chain(fields) {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(path))
        .header("cookie", auth.cookie.clone().unwrap_or_default())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    status_and_location(resp).await
}

/// The audit log's rows of these actions in any city.
async fn audited(app: &TestApp, actions: &str) -> Vec<String> {
    app.platform_query(&format!(
        "SELECT action, target FROM audit_events WHERE action IN ({actions}) ORDER BY at"
    ))
    .await
    .iter()
    .map(|r| {
        format!(
            "{} {}",
            r.try_get::<String>("", "action").unwrap(),
            r.try_get::<String>("", "target").unwrap()
        )
    })
    .collect()
}

/// The id of a city's category by its code (inactive ones too).
async fn category_id(app: &TestApp, admin: &Auth, code: &str) -> String {
    let (status, list) = crate::cases::json_call(
        app,
        admin,
        reqwest::Method::GET,
        "/tenants/springfield/categories?include_inactive=true",
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no category {code}: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn admins_build_and_exchange_the_department_tree(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let admin = app.login_ok(Some("springfield"), "sf-admin").await;
    let base = "/t/springfield/admin/departments";
    let (status, html) = page(&app, &admin, base).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("data-department=\"pw-streets\" data-depth=\"2\""),
        "{html}"
    );

    // A tree of three levels.
    let add = |code: &'static str, name: &'static str, parent: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            post(
                app,
                &admin,
                base,
                &[
                    ("code", code),
                    ("name", name),
                    ("kind", "district"),
                    ("parent", parent.as_str()),
                    ("phone", "+1 555 0100"),
                    ("email", "ops@example.org"),
                ],
            )
            .await
        }
    };
    let (status, to) = add("ops", "Operations", String::new()).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/t/springfield/admin/departments?done=created")
    );
    let ops = app.department_id("springfield", "ops").await;
    assert_eq!(add("ops-east", "East operations", ops.clone()).await.0, 303);
    let east = app.department_id("springfield", "ops-east").await;
    assert_eq!(
        add("ops-east-1", "East team one", east.clone()).await.0,
        303
    );
    let (_, html) = page(&app, &admin, base).await;
    for (code, depth) in [("ops", 0), ("ops-east", 1), ("ops-east-1", 2)] {
        assert!(
            html.contains(&format!(
                "data-department=\"{code}\" data-depth=\"{depth}\""
            )),
            "{code} at depth {depth}: {html}"
        );
    }
    let row = html.split("data-department=\"ops-east-1\"").nth(1).unwrap();
    assert!(
        row.split("</tr>")
            .next()
            .unwrap()
            .contains("<td>East operations</td>"),
        "its parent: {row}"
    );

    // Bad input: the fields named, what was typed kept.
    let (status, html) = post(
        &app,
        &admin,
        base,
        &[
            ("code", "Not A Code"),
            ("name", ""),
            ("kind", "district"),
            ("email", "nope"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    for field in ["code", "name", "email"] {
        assert!(
            html.contains(&format!("href=\"#new-{field}\"")),
            "{field}: {html}"
        );
        assert!(
            html.contains(&format!("id=\"new-{field}-error\"")),
            "{field}: {html}"
        );
    }
    assert!(html.contains("value=\"Not A Code\""), "{html}");
    let (status, html) = add("ops", "Operations again", String::new()).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("href=\"#new-code\""), "{html}");

    // Rename and move under another parent; a move under its own sub-unit
    // is refused.
    let one = app.department_id("springfield", "ops-east-1").await;
    let edit = format!("{base}/{one}");
    let (status, html) = page(&app, &admin, &edit).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("name=\"phone\" value=\"+1 555 0100\""),
        "{html}"
    );
    let (status, html) = post(
        &app,
        &admin,
        &format!("{base}/{ops}"),
        &[
            ("code", "ops"),
            ("name", "Operations"),
            ("kind", "district"),
            ("parent", one.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#d-parent_id\""), "{html}");
    let ops_static: &'static str = Box::leak(ops.clone().into_boxed_str());
    let fields = |name: &'static str, parent: &'static str, active: &'static str| {
        vec![
            ("code", "ops-east-1"),
            ("name", name),
            ("kind", "street"),
            ("parent", parent),
            ("address", "1 Main St"),
            ("active", active),
        ]
    };
    let (status, to) = post(&app, &admin, &edit, &fields("Team One", ops_static, "yes")).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/t/springfield/admin/departments?done=saved")
    );
    let (_, html) = page(&app, &admin, base).await;
    assert!(
        html.contains("data-department=\"ops-east-1\" data-depth=\"1\""),
        "{html}"
    );
    assert!(html.contains("Team One"), "{html}");
    // Deactivated: still in the tree, gone from the public directory.
    let (status, _) = post(&app, &admin, &edit, &fields("Team One", ops_static, "no")).await;
    assert_eq!(status, 303);
    let (_, public) = app.get_json("/tenants/springfield/departments").await;
    assert!(!public.to_string().contains("ops-east-1"), "{public}");
    let (_, html) = page(&app, &admin, base).await;
    assert!(
        html.contains("data-department=\"ops-east-1\" data-depth=\"1\" class=\"inactive\""),
        "{html}"
    );

    // The whole tree as CSV, imported back unchanged.
    let resp = reqwest::Client::new()
        .get(app.url(&format!("{base}/export.csv")))
        .header("cookie", admin.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = resp.text().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}code,name,kind,parent,phone,email,address,description,active\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\r\nops-east-1,Team One,street,ops,,,1 Main St,,no\r\n"),
        "{csv}"
    );
    let rows = csv.lines().count();
    let (status, to) = upload(&app, &admin, &format!("{base}/import"), &[], csv.as_bytes()).await;
    assert_eq!(status, 303, "{to}");
    assert!(
        to.ends_with(&format!("created=0&updated=0&unchanged={}", rows - 1)),
        "{to}"
    );

    // Edited: one renamed, one added.
    let edited = csv.replace("East operations", "Eastern operations")
        + "ops-west,West operations,district,ops,,,,,yes\r\n";
    let (status, to) = upload(
        &app,
        &admin,
        &format!("{base}/import"),
        &[],
        edited.as_bytes(),
    )
    .await;
    assert_eq!(status, 303, "{to}");
    assert!(to.contains("created=1&updated=1&"), "{to}");
    let (_, html) = page(&app, &admin, base).await;
    assert!(html.contains("Eastern operations"), "{html}");
    assert!(
        html.contains("data-department=\"ops-west\" data-depth=\"1\""),
        "{html}"
    );

    // A bad row: its line named, nothing changed.
    let bad = edited.replace("Eastern operations", "Renamed again")
        + "ops-north,North,district,nowhere,,,,,yes\r\n";
    let lines = bad.lines().count();
    let (status, html) = upload(&app, &admin, &format!("{base}/import"), &[], bad.as_bytes()).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains(&format!("line {lines}: parent")),
        "the unknown parent's line: {html}"
    );
    let bad = edited.clone() + "ops-south,South,district,ops,,,,,maybe\r\n";
    let (status, html) = upload(&app, &admin, &format!("{base}/import"), &[], bad.as_bytes()).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(&format!("line {}: active", bad.lines().count())),
        "{html}"
    );
    let (_, html) = page(&app, &admin, base).await;
    assert!(
        !html.contains("Renamed again"),
        "nothing of a refused file is kept"
    );
    // A bad email is named by the service's check, with its line.
    let bad = edited.clone() + "ops-south,South,district,ops,,not-an-email,,,yes\r\n";
    let (status, html) = upload(&app, &admin, &format!("{base}/import"), &[], bad.as_bytes()).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(&format!("line {}: email", bad.lines().count())),
        "{html}"
    );
    // Not UTF-8, or no file.
    let (status, html) = upload(
        &app,
        &admin,
        &format!("{base}/import"),
        &[],
        b"code,name,kind\n\xC4\xFE,x,other\n",
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("UTF-8"), "{html}");
    let workbook = b"PK\x03\x04\x14\x00\x06\x00";
    let (status, html) = upload(&app, &admin, &format!("{base}/import"), &[], workbook).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("CSV UTF-8"), "{html}");
    let big = vec![b'x'; 1024 * 1024 + 1];
    let (status, html) = upload(&app, &admin, &format!("{base}/import"), &[], &big).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("larger than 1024 KiB"), "{html}");
    let (status, html) = upload(&app, &admin, &format!("{base}/import"), &[], b"").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#import-file\""), "{html}");

    // `tenant apply` takes the same file as a bundle's departments.csv.
    let bundle = app.dir.path().join("bundle");
    let (ok, out) = app
        .cli(&[
            "tenant",
            "export",
            "springfield",
            "--out",
            bundle.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    let renamed = edited.replace("West operations", "Western operations");
    std::fs::write(bundle.join("departments.csv"), &renamed).unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", bundle.to_str().unwrap()])
        .await;
    assert!(!ok, "both department files: {out}");
    assert!(out.contains("keep one"), "{out}");
    std::fs::remove_file(bundle.join("departments.toml")).unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", bundle.to_str().unwrap()])
        .await;
    assert!(ok, "{out}");
    let (_, public) = app.get_json("/tenants/springfield/departments").await;
    assert!(
        public.to_string().contains("Western operations"),
        "{public}"
    );
    std::fs::write(
        bundle.join("departments.csv"),
        "code,name,kind,parent\nx,X,other,nowhere\n",
    )
    .unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", bundle.to_str().unwrap()])
        .await;
    assert!(!ok && out.contains("nowhere"), "{out}");

    let log = audited(
        &app,
        "'department_create', 'department_update', 'department_import'",
    )
    .await;
    assert_eq!(
        log.iter()
            .filter(|r| r.starts_with("department_create"))
            .count(),
        3,
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|r| r.starts_with("department_update"))
            .count(),
        2,
        "{log:?}"
    );
    let imports: Vec<&String> = log
        .iter()
        .filter(|r| r.starts_with("department_import"))
        .collect();
    assert_eq!(imports.len(), 2, "{log:?}");
    assert!(
        imports[1].starts_with("department_import departments: 1 created, 1 updated, "),
        "{log:?}"
    );
}
on_both_backends!(admins_build_and_exchange_the_department_tree);

async fn admins_set_up_categories_with_questions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let admin = app.login_ok(Some("springfield"), "sf-admin").await;
    let base = "/t/springfield/admin/categories";
    let (status, html) = page(&app, &admin, base).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-category=\"pothole\""), "{html}");
    let (status, html) = page(&app, &admin, &format!("{base}/new")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("name=\"q0_description\""),
        "blank questions offered"
    );
    let streets = app.department_id("springfield", "pw-streets").await;

    let category =
        |code: &'static str, name: &'static str, questions: Vec<(&'static str, &'static str)>| {
            let mut fields = vec![
                ("code", code),
                ("name", name),
                ("group", "Streets"),
                ("keywords", "tree, branch，枝"),
                ("default_department", streets.as_str()),
                ("accept_days", "1"),
                ("answer_days", "10"),
                ("public_by_default", "yes"),
                ("active", "yes"),
            ];
            fields.extend(questions);
            fields
        };
    let fallen = category(
        "fallen-tree",
        "Fallen tree",
        vec![
            ("q0_description", "Is the road blocked?"),
            ("q0_code", "blocked"),
            ("q0_datatype", "singlevaluelist"),
            ("q0_required", "yes"),
            ("q0_values", "yes = Yes, fully\nno = No, partly"),
            ("q1_description", "How tall was the tree?"),
            ("q1_code", "height"),
            ("q1_datatype", "number"),
            ("q1_hint", "In metres"),
            ("q2_description", ""),
            ("q2_code", ""),
            ("q2_datatype", "string"),
        ],
    );
    let (status, to) = post(&app, &admin, base, &fallen).await;
    assert_eq!(status, 303, "{to}");
    let id = category_id(&app, &admin, "fallen-tree").await;
    assert_eq!(to, format!("{base}/{id}?done=saved"));
    let noise = category(
        "night-noise",
        "Noise at night",
        vec![
            ("q0_description", "Where does it come from?"),
            ("q0_code", "source"),
            ("q0_datatype", "multivaluelist"),
            ("q0_values", "site = Building site\nbar\nroad = Traffic"),
        ],
    );
    assert_eq!(post(&app, &admin, base, &noise).await.0, 303);

    // The citizen form asks the questions; the preview shows the same.
    let (status, ask) = page(&app, &admin, "/t/springfield/ask?category=fallen-tree").await;
    assert_eq!(status, 200, "{ask}");
    assert!(ask.contains("Is the road blocked?"), "{ask}");
    assert!(
        ask.contains("type=\"radio\" name=\"attribute[blocked]\" value=\"yes\""),
        "{ask}"
    );
    assert!(
        ask.contains("id=\"attr-height\" name=\"attribute[height]\" type=\"number\""),
        "{ask}"
    );
    assert!(ask.contains("In metres"), "{ask}");
    let (_, noise_form) = page(&app, &admin, "/t/springfield/ask?category=night-noise").await;
    assert!(
        noise_form.contains("type=\"checkbox\" name=\"attribute[source]\" value=\"bar\""),
        "{noise_form}"
    );
    let (status, preview) = page(&app, &admin, &format!("{base}/{id}/preview")).await;
    assert_eq!(status, 200, "{preview}");
    for part in [
        "Is the road blocked?",
        "value=\"no\"> No, partly",
        "attribute[height]",
    ] {
        assert!(preview.contains(part), "{part}: {preview}");
    }
    // The required choice is required of citizens.
    let resp = crate::site::post(
        &app,
        "/t/springfield/ask",
        None,
        &[
            ("category", "fallen-tree"),
            ("form_id", "0123456789abcdef0123456789abcdef"),
            ("title", "A tree fell on Elm Street"),
            ("text", "A large tree fell across Elm Street this morning."),
            ("public", "yes"),
            ("anonymous", "yes"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 422);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("href=\"#attr-blocked\"")
    );

    // The form shows what is stored; a change is saved.
    let (_, html) = page(&app, &admin, &format!("{base}/{id}")).await;
    assert!(html.contains("yes = Yes, fully\nno = No, partly"), "{html}");
    assert!(
        html.contains("name=\"keywords\" value=\"tree, branch, 枝\""),
        "{html}"
    );
    let mut renamed = fallen.clone();
    renamed[1] = ("name", "Fallen or leaning tree");
    renamed[6] = ("answer_days", "7");
    assert_eq!(
        post(&app, &admin, &format!("{base}/{id}"), &renamed)
            .await
            .0,
        303
    );
    let (_, list) = page(&app, &admin, base).await;
    assert!(list.contains("Fallen or leaning tree"), "{list}");

    // Bad input: each field named where it is.
    let mut bad = fallen.clone();
    bad[0] = ("code", "other-tree");
    bad[6] = ("answer_days", "many");
    let (status, html) = post(&app, &admin, base, &bad).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#c-answer_days\""), "{html}");
    let mut bad = fallen.clone();
    bad[0] = ("code", "other-tree");
    bad[7] = ("public_by_default", "no");
    for f in bad.iter_mut() {
        if f.0 == "q0_values" {
            f.1 = "";
        }
    }
    let (status, html) = post(&app, &admin, base, &bad).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#c-q0-values\""), "{html}");
    assert!(html.contains("id=\"c-q0-values-error\""), "{html}");
    assert!(
        html.contains("name=\"q1_description\" value=\"How tall was the tree?\""),
        "{html}"
    );
    let (status, _) = post(&app, &admin, base, &fallen).await;
    assert_eq!(status, 409, "a code taken");
    assert_eq!(
        page(&app, &admin, &format!("{base}/not-an-id")).await.0,
        404
    );

    let log = audited(&app, "'category_create', 'category_update'").await;
    assert_eq!(
        log,
        [
            "category_create category:fallen-tree",
            "category_create category:night-noise",
            "category_update category:fallen-tree"
        ]
    );
}
on_both_backends!(admins_set_up_categories_with_questions);

async fn admins_import_next_years_holidays(backend: Backend) {
    let app = spawn_app(backend).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    let admin = app.login_ok(Some("springfield"), "sf-admin").await;
    let base = "/t/springfield/admin/calendar";
    let year = chrono::Utc::now().year() + 1;
    let (status, html) = page(&app, &admin, base).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-testid=\"month\""), "{html}");

    let file = format!(
        "date,kind,name\r\n# Spring Festival\r\n{year}-02-10,holiday,春节\r\n{year}-02-11,holiday,\"Spring Festival, day 2\"\r\n{year}-02-13,workday,春节调休\r\n"
    );
    let import = format!("{base}/import");
    let year_s = year.to_string();
    let (status, to) = upload(
        &app,
        &admin,
        &import,
        &[("year", year_s.as_str())],
        file.as_bytes(),
    )
    .await;
    assert_eq!(status, 303, "{to}");
    assert_eq!(to, format!("{base}?month={year}-01&done=imported&count=3"));
    let (status, html) = page(&app, &admin, &format!("{base}?month={year}-02")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!("data-date=\"{year}-02-10\" data-kind=\"holiday\"")),
        "{html}"
    );
    assert!(html.contains("Spring Festival, day 2"), "{html}");
    assert!(
        html.contains(&format!("data-date=\"{year}-02-13\" data-kind=\"workday\"")),
        "{html}"
    );
    let (_, calendar) = app.get_json("/tenants/springfield/calendar").await;
    assert!(
        calendar.to_string().contains(&format!("{year}-02-13")),
        "{calendar}"
    );

    // A bad file: each bad line named, nothing changed.
    let bad = format!(
        "{year}-03-01,holiday,x\n{}-03-02,holiday,y\n{year}-03-03,rest,z\n{year}-02-30,holiday,w\n",
        year - 1
    );
    let (status, html) = upload(
        &app,
        &admin,
        &import,
        &[("year", year_s.as_str())],
        bad.as_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("role=\"alert\""));
    for named in ["line 2: date", "line 3: kind", "line 4: date"] {
        assert!(html.contains(named), "{named}: {html}");
    }
    let (_, calendar) = app.get_json("/tenants/springfield/calendar").await;
    assert!(
        !calendar.to_string().contains(&format!("{year}-03-01")),
        "{calendar}"
    );
    let (status, html) = upload(&app, &admin, &import, &[("year", "soon")], file.as_bytes()).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#import-year\""), "{html}");

    // A day set and cleared by hand.
    let put = |date: String, name: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let fields = [
                ("op", "put"),
                ("date", date.as_str()),
                ("kind", "holiday"),
                ("name", name),
            ];
            post(app, &admin, base, &fields).await
        }
    };
    let (status, to) = put(format!("{year}-05-01"), "Labour Day").await;
    assert_eq!(
        (status, to),
        (303, format!("{base}?month={year}-05&done=saved"))
    );
    let (_, html) = page(&app, &admin, &format!("{base}?month={year}-05")).await;
    assert!(
        html.contains(&format!("data-date=\"{year}-05-01\" data-kind=\"holiday\"")),
        "{html}"
    );
    let (status, _) = post(
        &app,
        &admin,
        base,
        &[("op", "clear"), ("date", &format!("{year}-05-01"))],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &admin, &format!("{base}?month={year}-05")).await;
    assert!(!html.contains("Labour Day"), "{html}");

    // Bad input: the field named.
    let (status, html) = put("May Day".into(), "x").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#day-date\""), "{html}");
    let (status, html) = put(format!("{year}-05-01"), "").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#day-name\""), "{html}");
    let (status, html) = page(&app, &admin, &format!("{base}?month=13-2027")).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("month"), "{html}");

    let log = audited(
        &app,
        "'calendar_import', 'calendar_day_put', 'calendar_day_delete'",
    )
    .await;
    assert_eq!(
        log,
        [
            format!("calendar_import calendar {year}: 3 days listed, 3 changed, 0 removed"),
            format!("calendar_day_put calendar:{year}-05-01 holiday"),
            format!("calendar_day_delete calendar:{year}-05-01"),
        ]
    );
}
on_both_backends!(admins_import_next_years_holidays);

/// Every page and form of the three sections: to sign in when anonymous,
/// 403 for the city's staff without `tenant:write`, 404 for another
/// city's administrator; nothing changes.
async fn directory_pages_are_for_the_citys_administrators(backend: Backend) {
    let app = spawn_app_with(backend, &[("MINSHENG_DEV_OPEN_ADMIN", "0")]).await;
    app.staff("springfield", "sf-admin", &["city-admin"], &[])
        .await;
    app.staff("springfield", "sf-dispatcher", &["dispatcher"], &[])
        .await;
    app.staff("daqing", "dq-admin", &["city-admin"], &[]).await;
    let admin = app.login_ok(Some("springfield"), "sf-admin").await;
    let dispatcher = app.login_ok(Some("springfield"), "sf-dispatcher").await;
    let other = app.login_ok(Some("daqing"), "dq-admin").await;
    let department = app.department_id("springfield", "pw-streets").await;
    let category = category_id(&app, &admin, "pothole").await;
    let t = "/t/springfield/admin";
    let pages = [
        format!("{t}/departments"),
        format!("{t}/departments/{department}"),
        format!("{t}/departments/export.csv"),
        format!("{t}/categories"),
        format!("{t}/categories/new"),
        format!("{t}/categories/{category}"),
        format!("{t}/categories/{category}/preview"),
        format!("{t}/calendar"),
        format!("{t}/calendar?month=2027-01"),
    ];
    let forms = [
        format!("{t}/departments"),
        format!("{t}/departments/{department}"),
        format!("{t}/categories"),
        format!("{t}/categories/{category}"),
        format!("{t}/calendar"),
    ];
    let uploads = [
        format!("{t}/departments/import"),
        format!("{t}/calendar/import"),
    ];
    let fields = [
        ("code", "x-new"),
        ("name", "Changed"),
        ("kind", "other"),
        ("answer_days", "3"),
        ("op", "put"),
        ("date", "2027-01-04"),
    ];
    let csv = b"code,name,kind\nx-new,Changed,other\n";
    for path in &pages {
        assert_eq!(page(&app, &admin, path).await.0, 200, "{path}");
    }
    for (who, auth, status) in [
        ("anonymous", &Auth::default(), 303),
        ("a dispatcher", &dispatcher, 403),
        ("another city's admin", &other, 404),
    ] {
        for path in &pages {
            let (got, body) = page(&app, auth, path).await;
            assert_eq!(got, status, "{who} GET {path}: {body}");
        }
        for path in &forms {
            let (got, body) = post(&app, auth, path, &fields).await;
            assert_eq!(got, status, "{who} POST {path}: {body}");
            if status == 303 {
                assert!(body.starts_with("/t/springfield/login?next="), "{body}");
            }
        }
        for path in &uploads {
            let (got, body) = upload(&app, auth, path, &[("year", "2027")], csv).await;
            assert_eq!(got, status, "{who} POST {path}: {body}");
        }
    }
    // Nothing was changed by any of them.
    let (_, departments) = app.get_json("/tenants/springfield/departments").await;
    assert!(!departments.to_string().contains("x-new"));
    let (_, calendar) = app.get_json("/tenants/springfield/calendar").await;
    assert!(!calendar.to_string().contains("2027-01-04"), "{calendar}");
    assert!(
        audited(&app, "'department_create', 'department_update', 'department_import', 'category_create', 'category_update', 'calendar_import', 'calendar_day_put'")
            .await
            .is_empty()
    );
    // A form without the session's token changes nothing.
    let no_token = Auth {
        csrf: None,
        ..admin.clone()
    };
    assert_eq!(post(&app, &no_token, &forms[0], &fields).await.0, 403);
    assert_eq!(upload(&app, &no_token, &uploads[0], &[], csv).await.0, 403);
}
on_both_backends!(directory_pages_are_for_the_citys_administrators);

/// The same pages in Chromium, with JavaScript and without: axe-core finds
/// no serious or critical violation on any of them, problems shown or not.
async fn directory_pages_in_a_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    for javascript in [true, false] {
        let slug = if javascript { "springfield" } else { "daqing" };
        let admin = format!("{slug}-dir-admin");
        app.staff(slug, &admin, &["city-admin"], &[]).await;
        crate::browser::run_script(
            "directory.mjs",
            &serde_json::json!({
                "base": app.base,
                "slug": slug,
                "javascript": javascript,
                "artifacts": crate::browser::artifacts(backend),
                "admin": admin,
                "password": crate::support::PASSWORD,
                "year": chrono::Utc::now().year() + 1,
            }),
        )
        .await;
    }
}
on_both_backends!(directory_pages_in_a_browser);
