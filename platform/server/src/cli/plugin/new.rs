//! `minsheng plugin new`: scaffolding of a rule project, with its templates.

use anyhow::bail;
use serde_json::json;
use std::path::{Path, PathBuf};

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
