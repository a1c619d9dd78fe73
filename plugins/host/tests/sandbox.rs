//! The sandbox against real components built from `plugins/examples`.

use minsheng_plugin_host::types::{
    CaseInput, Category, Department, Instant, IntakeInput, Priority, TextField,
};
use minsheng_plugin_host::{
    Directory, Failure, Host, Limits, LoadError, NoLookups, Plugin, Session, examples,
};
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

#[tokio::test]
async fn the_router_sends_the_heating_complaint_to_the_heating_company() {
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
    )
    .await;
    let d = out.result.expect("decision");
    assert_eq!(d.lead.as_deref(), Some("rlgs"));
    assert_eq!(d.category.as_deref(), Some("heating-cold"));
    assert_eq!(d.priority, Some(Priority::High));
    assert!(d.explanation.contains("市热力公司"), "{}", d.explanation);
    assert!(out.report.fuel_used > 0);
    assert!(out.report.peak_memory > 0);
    assert_eq!(out.report.logs.len(), 1);
    // Another category is left to its default routing.
    let other = router
        .intake(
            &input(
                "noise",
                "楼下暖气施工噪音",
                "夜里十一点还在施工，影响休息。",
                examples::config("daqing-router"),
            ),
            &Limits::default(),
            Arc::new(NoLookups),
        )
        .await;
    assert_eq!(other.result.expect("decision").lead, None);
}

#[tokio::test]
async fn the_redactor_finds_phone_and_identity_numbers() {
    let redactor = load("redactor");
    let text = "联系电话13812345678，身份证11010519491231002X，请尽快处理。";
    let out = redactor
        .intake(
            &input(
                "other",
                "暖气不热请联系",
                text,
                serde_json::json!({"private_on_id_number": true}),
            ),
            &Limits::default(),
            Arc::new(NoLookups),
        )
        .await;
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

async fn hostile(
    mode: &str,
    limits: &Limits,
) -> minsheng_plugin_host::Outcome<minsheng_plugin_host::IntakeDecision> {
    load("hostile")
        .intake(
            &input(
                "other",
                "标题标题",
                "正文正文正文正文正文",
                serde_json::json!({ "mode": mode }),
            ),
            limits,
            Arc::new(NoLookups),
        )
        .await
}

#[tokio::test]
async fn hostile_rules_are_stopped_within_their_limits() {
    let limits = Limits::default();
    let out = hostile("loop", &limits).await;
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
    let out = hostile("loop", &generous).await;
    assert_eq!(
        out.result.expect_err("the sandbox should stop it"),
        Failure::Timeout(10)
    );
    assert!(
        out.report.duration.as_millis() < 500,
        "{:?}",
        out.report.duration
    );

    let out = hostile("memory", &limits).await;
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
            .await
            .result
            .expect_err("the sandbox should stop it"),
        Failure::StackOverflow
    );

    match hostile("trap", &limits)
        .await
        .result
        .expect_err("the sandbox should stop it")
    {
        Failure::Panic(message) => assert!(message.contains("gave up on purpose"), "{message}"),
        other => panic!("trap: {other:?}"),
    }

    match hostile("output", &limits)
        .await
        .result
        .expect_err("the sandbox should stop it")
    {
        Failure::OutputTooLarge { size, limit } => {
            assert_eq!(limit, limits.output_bytes);
            assert!(size > 2 << 20);
        }
        other => panic!("output: {other:?}"),
    }

    let out = hostile("log-flood", &limits).await;
    let kept: usize = out.report.logs.iter().map(|l| l.message.len()).sum();
    assert!(kept <= limits.log_bytes, "{kept}");
    assert!(out.report.logs_dropped > 0);
    // Either it finished within its limits or its fuel or time stopped it.
    if let Err(e) = &out.result {
        assert!(
            [
                Failure::OutOfFuel(limits.fuel),
                Failure::Timeout(limits.timeout_ms)
            ]
            .contains(e),
            "{e:?}"
        );
    }

    match hostile("bad-department", &limits)
        .await
        .result
        .expect_err("the sandbox should stop it")
    {
        Failure::Invalid(why) => assert!(why.contains("no-such-department"), "{why}"),
        other => panic!("bad department: {other:?}"),
    }
    assert!(matches!(
        hostile("error", &limits).await.result,
        Err(Failure::RuleError(_))
    ));
    // After all that the same plugin still works.
    assert!(hostile("fine", &limits).await.result.is_ok());
}

#[tokio::test]
async fn a_rule_cannot_read_what_an_earlier_call_left_in_memory() {
    let rule = load("hostile");
    let call = |mode: &'static str| {
        let rule = &rule;
        async move {
            let out = rule
                .intake(
                    &input("other", "标题", "正文", serde_json::json!({ "mode": mode })),
                    &Limits::default(),
                    Arc::new(NoLookups),
                )
                .await;
            out.result.expect("decision").tags
        }
    };
    // The scan finds a secret where there is one: the two this call left.
    assert_eq!(call("leave-and-scan").await, ["secret-runs:2"]);
    // Calls of the same plugin reuse the same memory slot; none sees what
    // the one before it left, in the first pages or past them.
    for _ in 0..5 {
        assert_eq!(call("leave-secret").await, Vec::<String>::new());
        assert_eq!(call("scan-secret").await, ["secret-runs:0"]);
    }
}

#[tokio::test]
async fn a_busy_rule_yields_its_thread_to_other_calls() {
    // One thread for everything: a rule that never yielded would hold it
    // until its fuel or time ran out. A tight loop burns the platform's
    // fuel in some tens of milliseconds, so this host allows enough for the
    // loop to run until its deadline, a second away.
    let roomy = {
        let dir = std::env::temp_dir().join("minsheng-plugin-host-tests");
        let maxima = Limits {
            fuel: u64::MAX / 2,
            ..Limits::platform_maxima()
        };
        Host::new(Some(&dir), maxima).expect("engine")
    };
    let looping = Arc::new(
        Plugin::load(&roomy, &examples::bytes("hostile")).expect("the hostile rule loads"),
    );
    let router = Plugin::load(&roomy, &examples::bytes("daqing-router")).expect("router loads");
    let busy = Limits {
        fuel: u64::MAX / 2,
        timeout_ms: 1_000,
        ..Limits::default()
    };
    let spinning = tokio::spawn({
        let looping = looping.clone();
        async move {
            let input = input("other", "标题", "正文", serde_json::json!({"mode": "loop"}));
            let out = looping.intake(&input, &busy, Arc::new(NoLookups)).await;
            (out, std::time::Instant::now())
        }
    });
    // Let the loop start: it runs until its first yield.
    tokio::task::yield_now().await;
    let heating = input(
        "other",
        "家里暖气不热",
        "入冬以来暖气一直不热，室温只有十二度。",
        examples::config("daqing-router"),
    );
    let out = router
        .intake(&heating, &Limits::default(), Arc::new(NoLookups))
        .await;
    let routed = std::time::Instant::now();
    assert_eq!(out.result.expect("decision").lead.as_deref(), Some("rlgs"));
    let (stopped, ended) = spinning.await.expect("task");
    assert!(
        matches!(stopped.result, Err(Failure::Timeout(1_000))),
        "{:?}",
        stopped.result
    );
    assert!(
        routed < ended,
        "the router waited for the loop to stop ({:?})",
        stopped.report.duration
    );
}

#[tokio::test]
async fn rules_of_one_chain_share_a_store_but_nothing_else() {
    let (hostile, router) = (load("hostile"), load("daqing-router"));
    let mut session = Session::new(host(), 5);
    let limits = Limits::default();
    let mut call = async |rule: &Plugin, config: serde_json::Value| {
        let input = input("other", "家里暖气不热", "入冬以来暖气一直不热。", config);
        let directory = Directory::of(&input);
        rule.intake_in(
            &mut session,
            &input,
            directory,
            &limits,
            Arc::new(NoLookups),
        )
        .await
    };
    let left = call(&hostile, serde_json::json!({"mode": "leave-secret"})).await;
    assert!(left.result.is_ok());
    // A trap ends its own instance; the output it printed is its own.
    let trapped = call(&hostile, serde_json::json!({"mode": "trap"})).await;
    assert!(matches!(trapped.result, Err(Failure::Panic(_))));
    assert!(trapped.report.output.contains("gave up on purpose"));
    // The next rule starts afresh: its own fuel, memory, log and output.
    let routed = call(&router, examples::config("daqing-router")).await;
    assert_eq!(
        routed.result.expect("decision").lead.as_deref(),
        Some("rlgs")
    );
    assert_eq!(routed.report.logs.len(), 1);
    assert_eq!(routed.report.output, "");
    assert!(routed.report.fuel_used < limits.fuel / 10);
    let scanned = call(&hostile, serde_json::json!({"mode": "scan-secret"})).await;
    assert_eq!(scanned.result.expect("decision").tags, ["secret-runs:0"]);
    let looped = call(&hostile, serde_json::json!({"mode": "loop"})).await;
    assert_eq!(
        looped.result.expect_err("stopped"),
        Failure::OutOfFuel(limits.fuel)
    );
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
