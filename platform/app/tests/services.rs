//! The services without HTTP: an operator's context (`Ctx::operator`) on
//! `App::new` over a real SQLite store, the demo cities loaded from their
//! bundles. What the API and pages do, a service test can do in-process.

use minsheng_app::access::{Ctx, Principal};
use minsheng_app::config::Config;
use minsheng_app::model::CaseInput;
use minsheng_app::{App, Error, bundle, services};
use minsheng_store::Store;
use std::path::Path;

async fn app() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.expect("sqlite");
    store.migrate().await.expect("migrate");
    let tenants = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants");
    for city in ["daqing", "springfield"] {
        let bundle = bundle::format::Bundle::read(&tenants.join(city)).expect("bundle");
        bundle::apply::apply(&store, &bundle, false)
            .await
            .expect("apply");
    }
    let config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let app = App::new(config, store).await.expect("app");
    (dir, app)
}

fn heating() -> CaseInput {
    CaseInput {
        category: "heating-cold".into(),
        title: "家里暖气不热，室温太低".into(),
        text: "入冬以来暖气一直不热，室温只有十几度，请尽快处理。".into(),
        address: None,
        latitude: None,
        longitude: None,
        contact_name: Some("王先生".into()),
        contact_phone: None,
        contact_email: None,
        public: Some(false),
        attributes: [
            (
                "address_detail".to_owned(),
                vec!["东城领秀 C-22 栋 2 单元".to_owned()],
            ),
            ("indoor_temp".to_owned(), vec!["10-14".to_owned()]),
        ]
        .into(),
        media_url: None,
    }
}

#[tokio::test]
async fn a_case_filed_through_the_service_is_its_citys_alone() {
    let (_dir, app) = app().await;
    let operator = Ctx::operator(app.clone(), "test");
    let daqing = operator.tenant("daqing").await.expect("daqing");
    let springfield = operator.tenant("springfield").await.expect("springfield");

    let (created, replay) = services::intake::submit(&operator, &daqing, heating(), None)
        .await
        .expect("filed");
    assert!(!replay);
    assert_eq!(created.state, "submitted");
    let code = created.tracking_code;

    // Staff of the city (the operator) read it, personal data and all.
    let case = services::cases::get(&operator, &daqing, &code, None)
        .await
        .expect("read");
    let case = serde_json::to_value(&case).expect("json");
    assert_eq!(case["case"]["tracking_code"], code.as_str(), "{case}");
    assert_eq!(
        case["contact_name"], "王先生",
        "staff see the contact: {case}"
    );

    // Under another city it does not exist.
    let elsewhere = services::cases::get(&operator, &springfield, &code, None).await;
    assert!(
        matches!(elsewhere, Err(Error::NotFound(_))),
        "{elsewhere:?}"
    );

    // Anonymous: a private case does not exist; with its secret it does.
    let anonymous = Ctx::request(app.clone(), Principal::Anonymous, None, None);
    let hidden = services::cases::get(&anonymous, &daqing, &code, None).await;
    assert!(matches!(hidden, Err(Error::NotFound(_))), "{hidden:?}");
    services::cases::get(&anonymous, &daqing, &code, Some(&created.secret))
        .await
        .expect("the citizen with the secret");

    // The same city's public directory, through the service.
    let departments = services::directory::departments(&anonymous, &daqing, false)
        .await
        .expect("departments");
    assert!(departments.iter().any(|d| d.code == "rlgs"));
}
