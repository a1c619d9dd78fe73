//! `minsheng plugin …`: scaffold a rule, run it locally on a case, and
//! replay it against a city's stored cases before anyone enables it.

use anyhow::{Context, bail};
use minsheng_app::bundle::format::Bundle;
use minsheng_app::config::Config;
use minsheng_app::services::rules::{Draft, instant, priority_name};
use minsheng_plugin_host::types::{
    self as wit, CaseSnapshot, Category, Department, EscalationInput,
};
use minsheng_plugin_host::{CallReport, Failure, Host, Limits, NoLookups, Plugin};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Limits given on the command line over the defaults.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct LimitArgs {
    /// Fuel (roughly, instructions) for each call.
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Memory for each call, in MiB.
    #[arg(long)]
    pub memory_mib: Option<usize>,
    /// Wall-clock limit of each call, in milliseconds.
    #[arg(long)]
    pub timeout_ms: Option<u64>,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            fuel: self.fuel.unwrap_or(d.fuel),
            memory_bytes: self.memory_mib.map_or(d.memory_bytes, |m| m << 20),
            timeout_ms: self.timeout_ms.unwrap_or(d.timeout_ms),
            ..d
        }
    }
}

fn host(config: &Config) -> anyhow::Result<Arc<Host>> {
    Host::new(Some(&config.plugin_cache_dir()), config.plugin_maxima())
        .map_err(|e| anyhow::anyhow!("cannot start the plugin engine: {e:#}"))
}

fn load(host: &Arc<Host>, path: &Path) -> anyhow::Result<Plugin> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Plugin::load(host, &bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn read_json(path: Option<&Path>, default: Value) -> anyhow::Result<Value> {
    match path {
        None => Ok(default),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", p.display()))
        }
    }
}

/// The directory a rule sees, from a city's bundle folder.
pub fn directory(bundle: &Bundle) -> (Vec<Department>, Vec<Category>) {
    let departments = bundle
        .departments
        .department
        .iter()
        .filter(|d| d.active)
        .map(|d| Department {
            code: d.code.clone(),
            name: d.name.clone(),
            parent: d.parent.clone(),
        })
        .collect();
    let categories = bundle
        .categories
        .category
        .iter()
        .filter(|c| c.active)
        .map(|c| Category {
            code: c.code.clone(),
            name: c.name.clone(),
            group: c.group.clone(),
            keywords: c.keywords.clone(),
            default_department: c.default_department.clone(),
        })
        .collect();
    (departments, categories)
}

fn text(case: &Value, key: &str) -> Option<String> {
    case[key].as_str().map(str::to_owned)
}

/// `minsheng plugin run`: one call, with everything it cost.
pub fn run(
    config: &Config,
    component: &Path,
    case: &Path,
    config_file: Option<&Path>,
    tenant_dir: &Path,
    event: &str,
    limits: &LimitArgs,
) -> anyhow::Result<()> {
    let host = host(config)?;
    let plugin = load(&host, component)?;
    let case = read_json(Some(case), Value::Null)?;
    let rule_config = read_json(config_file, json!({}))?;
    if let Err(errors) =
        minsheng_plugin_host::check_config(&plugin.descriptor.config_schema, &rule_config)
    {
        for e in &errors {
            eprintln!("config{}: {}", e.path, e.message);
        }
        bail!("the configuration does not match the rule's schema");
    }
    let bundle = Bundle::read(tenant_dir)
        .with_context(|| format!("cannot read the city bundle {}", tenant_dir.display()))?;
    let (departments, categories) = directory(&bundle);
    let now = chrono::Utc::now();
    let tz: chrono_tz::Tz = bundle
        .tenant
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let at = {
        use chrono::Offset;
        wit::Instant {
            unix_seconds: now.timestamp(),
            utc_offset_minutes: now.with_timezone(&tz).offset().fix().local_minus_utc() / 60,
        }
    };
    let d = &plugin.descriptor;
    let hook = match d.hook {
        wit::Hook::Intake => "intake",
        wit::Hook::Escalation => "escalation",
    };
    println!(
        "{} {} ({hook} rule, built against minsheng:rules@{}): {}",
        d.name, d.version, plugin.wit_version, d.summary
    );
    let limits = limits.limits();
    let (result, report) = match d.hook {
        wit::Hook::Intake => {
            let draft = Draft {
                category: text(&case, "category").unwrap_or_default(),
                title: text(&case, "title").unwrap_or_default(),
                text: text(&case, "text").unwrap_or_default(),
                address: text(&case, "address"),
                location: case["latitude"].as_f64().zip(case["longitude"].as_f64()),
                attributes: case.get("attributes").cloned().filter(|a| !a.is_null()),
                media_url: text(&case, "media_url"),
                contact_name: text(&case, "contact_name"),
                contact_phone: text(&case, "contact_phone"),
                contact_email: text(&case, "contact_email"),
                public: case["public"].as_bool().unwrap_or(true),
                priority: 1,
                ..Default::default()
            };
            let chain = minsheng_app::services::rules::Chain {
                departments,
                categories,
                ..Default::default()
            };
            let input = draft.input(
                &plugin.descriptor.needs,
                &chain,
                &rule_config.to_string(),
                at,
            );
            let out = plugin.intake_in(&input, chain.directory(), &limits, Arc::new(NoLookups));
            (out.result.map(|d| json!(d)), out.report)
        }
        wit::Hook::Escalation => {
            let event = minsheng_app::services::escalation_rules::parse_event(event).with_context(|| {
                format!("--event {event:?}: use deadline-approaching, deadline-passed, unsatisfied-rating or reopened")
            })?;
            let given = if d.needs.contains(&wit::CaseField::Departments) {
                departments.clone()
            } else {
                Vec::new()
            };
            let mut case = snapshot(&case, now);
            if !d.needs.contains(&wit::CaseField::Title) {
                case.title = None;
            }
            if !d.needs.contains(&wit::CaseField::Text) {
                case.text = None;
            }
            let input = EscalationInput {
                event,
                case,
                departments: given,
                config: rule_config.to_string(),
                now: at,
            };
            let out = plugin.escalation(&input, &departments, &limits, Arc::new(NoLookups));
            (out.result.map(|d| json!(d)), out.report)
        }
    };
    print_report(&report);
    match result {
        Ok(decision) => {
            println!("decision:\n{}", serde_json::to_string_pretty(&decision)?);
            Ok(())
        }
        Err(failure) => bail!("the rule failed ({}): {failure}", failure.kind()),
    }
}

fn snapshot(case: &Value, now: chrono::DateTime<chrono::Utc>) -> CaseSnapshot {
    let time = |key: &str, default: chrono::DateTime<chrono::Utc>| {
        case[key]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map_or(default.timestamp(), |t| t.timestamp())
    };
    CaseSnapshot {
        tracking_code: text(case, "tracking_code").unwrap_or_else(|| "LOCAL-0000".into()),
        state: text(case, "state").unwrap_or_else(|| "assigned".into()),
        category: text(case, "category").unwrap_or_default(),
        lead: text(case, "lead"),
        co_handlers: Vec::new(),
        priority: minsheng_app::services::rules::priority_of(
            minsheng_app::services::rules::priority_from_name(
                case["priority"].as_str().unwrap_or("normal"),
            ),
        ),
        title: text(case, "title"),
        text: text(case, "text"),
        submitted_at: time("submitted_at", now - chrono::Duration::days(20)),
        accept_deadline: time("accept_deadline", now - chrono::Duration::days(18)),
        answer_deadline: time("answer_deadline", now),
        escalation_level: u8::try_from(case["escalation_level"].as_u64().unwrap_or(0)).unwrap_or(0),
        reopened: u32::try_from(case["reopened"].as_u64().unwrap_or(0)).unwrap_or(0),
        rating: text(case, "rating"),
        history: Vec::new(),
    }
}

fn print_report(r: &CallReport) {
    println!(
        "fuel used: {}   peak memory: {} KiB   time: {} µs",
        r.fuel_used,
        r.peak_memory / 1024,
        r.duration.as_micros()
    );
    for line in &r.logs {
        println!("log [{}] {}", line.level, line.message);
    }
    if r.logs_dropped > 0 {
        println!("log: {} more bytes dropped (over the cap)", r.logs_dropped);
    }
    if !r.output.trim().is_empty() {
        println!("output: {}", r.output.trim_end());
    }
}

/// `minsheng plugin replay`: the rule over a city's stored cases, and how
/// its decisions differ from what happened.
pub async fn replay(
    config: Config,
    component: &Path,
    tenant: &str,
    since: chrono::NaiveDate,
    config_file: Option<&Path>,
    limit: usize,
    limits: &LimitArgs,
) -> anyhow::Result<()> {
    let store = crate::cli::open_store(&config).await?;
    let host = host(&config)?;
    let plugin = Arc::new(load(&host, component)?);
    if plugin.descriptor.hook != wit::Hook::Intake {
        bail!("replay runs intake rules over past submissions; this is an escalation rule");
    }
    let rule_config = read_json(config_file, json!({}))?;
    if let Err(errors) =
        minsheng_plugin_host::check_config(&plugin.descriptor.config_schema, &rule_config)
    {
        for e in &errors {
            eprintln!("config{}: {}", e.path, e.message);
        }
        bail!("the configuration does not match the rule's schema");
    }
    let record = minsheng_app::services::tenants::find(store.db(), tenant).await?;
    let t = record.id.into_uuid();
    // The directory as the city's rules see it now (without starting the
    // server's state or compiling the city's own rules).
    let chain = Arc::new(minsheng_app::services::rules::directory(&store, &record).await?);
    let from = since
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_local_timezone(record.time_zone).earliest())
        .and_then(|d| d)
        .map(|d| d.with_timezone(&chrono::Utc))
        .context("--since is not a date")?;
    let tx = store.read(minsheng_store::Scope::Tenant(t)).await?;
    let cases = minsheng_store::queries::cases::submitted_since(&tx, t, from, limit as u64).await?;
    tx.commit().await?;
    println!(
        "replaying {} {} over {} case(s) of {} submitted since {since}",
        plugin.descriptor.name,
        plugin.descriptor.version,
        cases.len(),
        record.slug
    );
    let limits = limits.limits();
    let mut tally = Replay::default();
    let total = cases.len();
    for (i, row) in cases.into_iter().enumerate() {
        let original = row.unredacted.as_ref();
        let field = |key: &str, stored: &str| {
            original
                .and_then(|o| o[key].as_str())
                .unwrap_or(stored)
                .to_owned()
        };
        let category = chain
            .category_codes
            .get(&row.category_id)
            .cloned()
            .unwrap_or_default();
        let draft = Draft {
            category: category.clone(),
            title: field("title", &row.title),
            text: field("text", &row.body),
            address: original
                .and_then(|o| o["address"].as_str().map(str::to_owned))
                .or_else(|| row.address.clone()),
            location: row.latitude.zip(row.longitude),
            attributes: row.attributes.clone(),
            media_url: row.media_url.clone(),
            contact_name: row.contact_name.clone(),
            contact_phone: row.contact_phone.clone(),
            contact_email: row.contact_email.clone(),
            public: row.public || row.review.is_some(),
            priority: row.priority,
            ..Default::default()
        };
        let input = draft.input(
            &plugin.descriptor.needs,
            &chain,
            &rule_config.to_string(),
            instant(&record, row.submitted_at),
        );
        let p = plugin.clone();
        let limits = limits.clone();
        let whole = chain.clone();
        let out = tokio::task::spawn_blocking(move || {
            p.intake_in(&input, whole.directory(), &limits, Arc::new(NoLookups))
        })
        .await?;
        tally.fuel.push(out.report.fuel_used);
        let lead = row
            .lead_department_id
            .and_then(|d| chain.department_codes.get(&d).cloned());
        match out.result {
            Err(failure) => {
                tally.failed += 1;
                println!(
                    "{}  FAILED {}: {failure}",
                    row.tracking_code,
                    failure.kind()
                );
                tally.note_failure(&failure);
            }
            Ok(d) => {
                let mut changes = Vec::new();
                if let Some(new) = &d.lead
                    && Some(new) != lead.as_ref()
                {
                    tally.routing += 1;
                    changes.push(format!(
                        "department {} → {new}",
                        lead.as_deref().unwrap_or("none")
                    ));
                }
                if let Some(new) = &d.category
                    && *new != category
                {
                    tally.category += 1;
                    changes.push(format!("category {category} → {new}"));
                }
                if let Some(p) = d.priority {
                    let new = minsheng_app::services::rules::priority_value(p);
                    if new != row.priority {
                        changes.push(format!(
                            "priority {} → {}",
                            priority_name(row.priority),
                            priority_name(new)
                        ));
                    }
                }
                if d.spam && !row.spam {
                    tally.spam += 1;
                    changes.push("spam".into());
                }
                if !d.redactions.is_empty() {
                    tally.redacted += 1;
                    changes.push(format!("{} redaction(s)", d.redactions.len()));
                }
                if d.hold.is_some() {
                    tally.held += 1;
                    changes.push("held for review".into());
                }
                if let Some(m) = &d.reject {
                    tally.rejected += 1;
                    changes.push(format!("refused: {m}"));
                }
                if d.force_private && row.public {
                    changes.push("made private".into());
                }
                if !changes.is_empty() {
                    tally.changed += 1;
                    println!(
                        "{}  {}  ({})",
                        row.tracking_code,
                        changes.join("; "),
                        d.explanation
                    );
                }
            }
        }
        if (i + 1) % 500 == 0 {
            eprintln!("… {}/{total}", i + 1);
        }
    }
    tally.print(total);
    Ok(())
}

#[derive(Default)]
struct Replay {
    changed: usize,
    routing: usize,
    category: usize,
    spam: usize,
    redacted: usize,
    held: usize,
    rejected: usize,
    failed: usize,
    failures: std::collections::BTreeMap<&'static str, usize>,
    fuel: Vec<u64>,
}

impl Replay {
    fn note_failure(&mut self, f: &Failure) {
        *self.failures.entry(f.kind()).or_default() += 1;
    }

    fn print(&mut self, total: usize) {
        self.fuel.sort_unstable();
        let at = |q: f64| {
            self.fuel
                .get(((self.fuel.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        println!();
        println!(
            "{total} case(s): {} would change, {} failed",
            self.changed, self.failed
        );
        println!(
            "  department {}, category {}, spam {}, redacted {}, held {}, refused {}",
            self.routing, self.category, self.spam, self.redacted, self.held, self.rejected
        );
        for (kind, n) in &self.failures {
            println!("  failures: {kind} × {n}");
        }
        println!(
            "  fuel per call: median {}, p99 {}, max {}",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}

/// `minsheng plugin new`: a plugin project that builds as it is.
pub fn scaffold(
    name: &str,
    hook: &str,
    dir: Option<&Path>,
    sdk: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let valid = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        bail!(
            "a plugin name is 2 to 64 lowercase letters, digits and dashes, starting with a letter"
        );
    }
    let root = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    if root.exists()
        && root
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!("{} already exists and is not empty", root.display());
    }
    let sdk = match sdk {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir()?.join("plugins/sdk"),
    };
    if !sdk.join("Cargo.toml").exists() {
        bail!(
            "the rule SDK is not at {}; run from a Minsheng checkout or pass --sdk <path to plugins/sdk>",
            sdk.display()
        );
    }
    let sdk = std::path::absolute(&sdk)?;
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::create_dir_all(root.join(".cargo"))?;
    let crate_name = name.replace('-', "_");
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
minsheng-rule-sdk = {{ path = {sdk:?} }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
strip = true

# A project of its own, not a member of any workspace around it.
[workspace]
"#,
            sdk = sdk.display().to_string()
        ),
    )?;
    std::fs::write(
        root.join(".cargo/config.toml"),
        "[build]\ntarget = \"wasm32-wasip2\"\n",
    )?;
    let source = if hook == "escalation" {
        ESCALATION_TEMPLATE
    } else {
        INTAKE_TEMPLATE
    };
    std::fs::write(root.join("src/lib.rs"), source.replace("{name}", name))?;
    std::fs::write(
        root.join("config.json"),
        "{\"keywords\": [\"暖气\"], \"department\": \"rlgs\"}\n",
    )?;
    std::fs::write(
        root.join("case.json"),
        serde_json::to_string_pretty(&json!({
            "category": "other",
            "title": "家里暖气不热",
            "text": "入冬以来暖气一直不热，室温只有十二度。",
            "public": true
        }))? + "\n",
    )?;
    std::fs::write(
        root.join("README.md"),
        format!(
            "# {name}\n\nA Minsheng {hook} rule.\n\n```sh\nrustup target add wasm32-wasip2\ncargo build --release\nminsheng plugin run target/wasm32-wasip2/release/{crate_name}.wasm --case case.json --config config.json --tenant-dir <checkout>/tenants/daqing\nminsheng plugin replay target/wasm32-wasip2/release/{crate_name}.wasm --tenant daqing --since 2026-01-01 --config config.json\n```\n\nUpload `target/wasm32-wasip2/release/{crate_name}.wasm` with `POST /api/v1/tenants/{{tenant}}/plugins`. See docs/plugin-guide.md.\n"
        ),
    )?;
    Ok(root)
}

const INTAKE_TEMPLATE: &str = r#"//! {name}: a Minsheng intake rule.

use minsheng_rule_sdk::intake::{Guest, IntakeDecision, IntakeInput, RuleError};
use minsheng_rule_sdk::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    keywords: Vec<String>,
    department: String,
}

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "{name}",
            env!("CARGO_PKG_VERSION"),
            Hook::Intake,
            serde_json::json!({
                "type": "object",
                "required": ["keywords", "department"],
                "additionalProperties": false,
                "properties": {
                    "keywords": { "type": "array", "items": { "type": "string", "minLength": 1 } },
                    "department": { "type": "string" }
                }
            }),
            &[CaseField::Title, CaseField::Text],
            "Routes cases that mention a keyword to one department",
        )
    }

    fn decide(input: IntakeInput) -> Result<IntakeDecision, RuleError> {
        let config: Config = config(&input.config)?;
        let title = input.case.title.as_deref().unwrap_or("");
        let text = input.case.text.as_deref().unwrap_or("");
        match config.keywords.iter().find(|k| title.contains(k.as_str()) || text.contains(k.as_str())) {
            Some(keyword) => {
                log(LogLevel::Info, &format!("matched {keyword}"));
                let mut d = decision(format!("mentions {keyword}"));
                d.lead = Some(config.department.clone());
                Ok(d)
            }
            None => Ok(decision("no keyword")),
        }
    }
}

minsheng_rule_sdk::export_intake_rule!(Rule);
"#;

const ESCALATION_TEMPLATE: &str = r#"//! {name}: a Minsheng escalation rule.

use minsheng_rule_sdk::escalation::{EscalationAction, EscalationDecision, EscalationEvent, EscalationInput, Guest, Notice, RuleError};
use minsheng_rule_sdk::prelude::{CaseField, Descriptor, Hook, descriptor};

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "{name}",
            env!("CARGO_PKG_VERSION"),
            Hook::Escalation,
            serde_json::json!({ "type": "object" }),
            &[CaseField::Title],
            "Tells the supervisors when a case is overdue",
        )
    }

    fn on_event(input: EscalationInput) -> Result<EscalationDecision, RuleError> {
        let actions = match input.event {
            EscalationEvent::DeadlinePassed => vec![EscalationAction::Notify(Notice {
                role: Some("supervisor".into()),
                department: None,
                message: format!("{} is overdue", input.case.tracking_code),
            })],
            _ => vec![EscalationAction::Nothing],
        };
        Ok(EscalationDecision { actions, explanation: "overdue cases go to the supervisors".into() })
    }
}

minsheng_rule_sdk::export_escalation_rule!(Rule);
"#;
