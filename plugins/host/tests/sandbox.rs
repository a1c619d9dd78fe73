//! The sandbox against real components built from `plugins/examples`.

use minsheng_plugin_host::types::{
    CaseInput, Category, Department, Instant, IntakeInput, Priority, TextField,
};
use minsheng_plugin_host::{Failure, Host, Limits, LoadError, NoLookups, Plugin, examples};
use std::sync::{Arc, OnceLock};

fn host() -> &'static Arc<Host> {
    static HOST: OnceLock<Arc<Host>> = OnceLock::new();
    HOST.get_or_init(|| {
        let dir = std::env::temp_dir().join("minsheng-plugin-host-tests");
        Host::new(Some(&dir), Limits::platform_maxima()).expect("engine")
    })
}

fn load(name: &str) -> Plugin {
    Plugin::load(host(), &examples::bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn input(category: &str, title: &str, text: &str, config: serde_json::Value) -> IntakeInput {
    let department = |code: &str, name: &str| Department {
        code: code.into(),
        name: name.into(),
        parent: None,
    };
    IntakeInput {
        case: CaseInput {
            category: category.into(),
            title: Some(title.into()),
            text: Some(text.into()),
            address: Some("让胡路区东湖小区".into()),
            location: None,
            attributes: Vec::new(),
            media_url: None,
            contact_name: None,
            contact_phone: None,
            contact_email: None,
            public: true,
        },
        departments: vec![
            department("xfj", "市信访局"),
            department("rlgs", "市热力公司"),
            department("gsgs", "市供水公司"),
            department("psgs", "市排水公司"),
            department("rqgs", "市燃气公司"),
            department("jtzf", "市交通运输综合行政执法支队"),
            department("gaj", "市公安局"),
            department("ldjc", "市劳动保障监察支队"),
        ],
        categories: [
            "other",
            "heating-cold",
            "heating-fee",
            "water-outage",
            "drainage",
            "gas",
            "illegal-taxi",
            "wage-arrears",
        ]
        .into_iter()
        .map(|c| Category {
            code: c.into(),
            name: c.into(),
            group: None,
            keywords: Vec::new(),
            default_department: None,
        })
        .collect(),
        config: config.to_string(),
        now: Instant {
            unix_seconds: 1_764_300_000,
            utc_offset_minutes: 480,
        },
    }
}

#[test]
fn the_router_sends_the_heating_complaint_to_the_heating_company() {
    let router = load("daqing-router");
    assert_eq!(router.descriptor.name, "daqing-router");
    let out = router.intake(
        &input(
            "other",
            "家里暖气不热",
            "我家住让胡路区东湖小区，入冬以来暖气一直不热，室温只有十二度，多次找物业没有解决。",
            examples::config("daqing-router"),
        ),
        &Limits::default(),
        Arc::new(NoLookups),
    );
    let d = out.result.expect("decision");
    assert_eq!(d.lead.as_deref(), Some("rlgs"));
    assert_eq!(d.category.as_deref(), Some("heating-cold"));
    assert_eq!(d.priority, Some(Priority::High));
    assert!(d.explanation.contains("市热力公司"), "{}", d.explanation);
    assert!(out.report.fuel_used > 0);
    assert!(out.report.peak_memory > 0);
    assert_eq!(out.report.logs.len(), 1);
    // Another category is left to its default routing.
    let other = router.intake(
        &input(
            "noise",
            "楼下暖气施工噪音",
            "夜里十一点还在施工，影响休息。",
            examples::config("daqing-router"),
        ),
        &Limits::default(),
        Arc::new(NoLookups),
    );
    assert_eq!(other.result.expect("decision").lead, None);
}

#[test]
fn the_redactor_finds_phone_and_identity_numbers() {
    let redactor = load("redactor");
    let text = "联系电话13812345678，身份证11010519491231002X，请尽快处理。";
    let out = redactor.intake(
        &input(
            "other",
            "暖气不热请联系",
            text,
            serde_json::json!({"private_on_id_number": true}),
        ),
        &Limits::default(),
        Arc::new(NoLookups),
    );
    let d = out.result.expect("decision");
    let hidden: Vec<_> = d
        .redactions
        .iter()
        .map(|r| {
            assert_eq!(r.field, TextField::Text);
            (&text[r.start as usize..r.end as usize], r.kind.as_str())
        })
        .collect();
    assert_eq!(
        hidden,
        [
            ("13812345678", "phone"),
            ("11010519491231002X", "id-number")
        ]
    );
    assert!(d.force_private);
}

fn hostile(
    mode: &str,
    limits: &Limits,
) -> minsheng_plugin_host::Outcome<minsheng_plugin_host::IntakeDecision> {
    load("hostile").intake(
        &input(
            "other",
            "标题标题",
            "正文正文正文正文正文",
            serde_json::json!({ "mode": mode }),
        ),
        limits,
        Arc::new(NoLookups),
    )
}

#[test]
fn hostile_rules_are_stopped_within_their_limits() {
    let limits = Limits::default();
    let out = hostile("loop", &limits);
    assert_eq!(
        out.result.expect_err("the sandbox should stop it"),
        Failure::OutOfFuel(limits.fuel)
    );
    assert!(
        out.report.duration.as_millis() < 1000,
        "{:?}",
        out.report.duration
    );

    // With fuel to spare the wall clock stops it. (Fuel is counted per
    // operator, so a tight loop burns the platform's whole budget in some
    // tens of milliseconds: the timeout here is shorter than that.)
    let generous = Limits {
        fuel: Limits::platform_maxima().fuel,
        timeout_ms: 10,
        ..Limits::default()
    };
    let out = hostile("loop", &generous);
    assert_eq!(
        out.result.expect_err("the sandbox should stop it"),
        Failure::Timeout(10)
    );
    assert!(
        out.report.duration.as_millis() < 500,
        "{:?}",
        out.report.duration
    );

    let out = hostile("memory", &limits);
    match out.result.expect_err("the sandbox should stop it") {
        Failure::Memory { wanted, limit } => {
            assert_eq!(limit, limits.memory_bytes);
            assert!(wanted > limit);
        }
        other => panic!("memory bomb: {other:?}"),
    }
    assert!(out.report.peak_memory <= limits.memory_bytes);

    assert_eq!(
        hostile("recursion", &limits)
            .result
            .expect_err("the sandbox should stop it"),
        Failure::StackOverflow
    );

    match hostile("trap", &limits)
        .result
        .expect_err("the sandbox should stop it")
    {
        Failure::Panic(message) => assert!(message.contains("gave up on purpose"), "{message}"),
        other => panic!("trap: {other:?}"),
    }

    match hostile("output", &limits)
        .result
        .expect_err("the sandbox should stop it")
    {
        Failure::OutputTooLarge { size, limit } => {
            assert_eq!(limit, limits.output_bytes);
            assert!(size > 2 << 20);
        }
        other => panic!("output: {other:?}"),
    }

    let out = hostile("log-flood", &limits);
    let kept: usize = out.report.logs.iter().map(|l| l.message.len()).sum();
    assert!(kept <= limits.log_bytes, "{kept}");
    assert!(out.report.logs_dropped > 0);
    // Either it finished within its fuel or the fuel stopped it.
    if let Err(e) = &out.result {
        assert_eq!(e, &Failure::OutOfFuel(limits.fuel));
    }

    match hostile("bad-department", &limits)
        .result
        .expect_err("the sandbox should stop it")
    {
        Failure::Invalid(why) => assert!(why.contains("no-such-department"), "{why}"),
        other => panic!("bad department: {other:?}"),
    }
    assert!(matches!(
        hostile("error", &limits).result,
        Err(Failure::RuleError(_))
    ));
    // After all that the same plugin still works.
    assert!(hostile("fine", &limits).result.is_ok());
}

#[test]
fn uploads_are_checked_and_refused_with_a_reason() {
    let refused = |bytes: &[u8]| match Plugin::load(host(), bytes) {
        Ok(_) => panic!("loaded"),
        Err(e) => e,
    };
    let e = refused(&examples::bytes("hostile-import"));
    assert!(
        matches!(e, LoadError::ImportNotGranted(ref i) if i.starts_with("wasi:filesystem/")),
        "{e}"
    );
    let e = refused(&examples::bytes("future-version"));
    let message = e.to_string();
    assert!(matches!(e, LoadError::Incompatible(_)), "{message}");
    assert!(
        message.contains("minsheng:rules@2.0.0") && message.contains("1.0.0"),
        "{message}"
    );
    let e = refused(b"\0asm\x01\0\0\0");
    assert!(e.to_string().contains("core WebAssembly module"), "{e}");
    let e = refused(b"\x7fELF\x02\x01\x01");
    assert!(e.to_string().contains("precompiled"), "{e}");
    let e = refused(b"hello");
    assert!(matches!(e, LoadError::NotAComponent(_)), "{e}");
}
