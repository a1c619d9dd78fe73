//! A rule whose configuration schema refers to itself in a cycle, reached
//! only under a property: checking it must end, with a clear refusal at
//! upload. Do not copy.

use minsheng_rule_sdk::intake::{Guest, IntakeDecision, IntakeInput, RuleError};
use minsheng_rule_sdk::prelude::*;

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "hostile-schema",
            env!("CARGO_PKG_VERSION"),
            Hook::Intake,
            serde_json::json!({
                "type": "object",
                "properties": { "nested": { "$ref": "#/$defs/a" } },
                "$defs": {
                    "a": { "$ref": "#/$defs/b" },
                    "b": { "$ref": "#/$defs/a" }
                }
            }),
            &[],
            "A schema with a $ref cycle (sandbox tests)",
        )
    }

    fn decide(_input: IntakeInput) -> Result<IntakeDecision, RuleError> {
        Ok(decision("never enabled"))
    }
}

minsheng_rule_sdk::export_intake_rule!(Rule);
