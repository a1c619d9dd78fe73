//! A rule that reads a file: its component imports wasi:filesystem, which
//! the server does not grant, so the upload is refused.

use minsheng_rule_sdk::intake::{Guest, IntakeDecision, IntakeInput, RuleError};
use minsheng_rule_sdk::prelude::*;

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "hostile-import",
            env!("CARGO_PKG_VERSION"),
            Hook::Intake,
            serde_json::json!({}),
            &[],
            "Reads a file",
        )
    }

    fn decide(_: IntakeInput) -> Result<IntakeDecision, RuleError> {
        let secret = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        Ok(decision(secret))
    }
}

minsheng_rule_sdk::export_intake_rule!(Rule);
