//! Personal-data redactor: hides mobile and landline numbers and resident
//! identity numbers that citizens write into the title, text or address,
//! so they never appear on the public site. Staff still see the original.

use minsheng_rule_sdk::intake::{
    Guest, IntakeDecision, IntakeInput, Redaction, RuleError, TextField,
};
use minsheng_rule_sdk::prelude::*;
use minsheng_rule_sdk::text;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default = "yes")]
    phones: bool,
    #[serde(default = "yes")]
    id_numbers: bool,
    /// Make a case with an identity number private as a whole.
    #[serde(default)]
    private_on_id_number: bool,
}

fn yes() -> bool {
    true
}

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        let mut d = descriptor(
            "pii-redactor",
            env!("CARGO_PKG_VERSION"),
            Hook::Intake,
            serde_json::json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "phones": { "type": "boolean" },
                    "id_numbers": { "type": "boolean" },
                    "private_on_id_number": { "type": "boolean" }
                }
            }),
            &[CaseField::Title, CaseField::Text, CaseField::Address],
            "Hides phone numbers and identity numbers from the public",
        );
        // A failure must not publish what this rule would have hidden.
        d.fail_closed = true;
        d
    }

    fn decide(input: IntakeInput) -> Result<IntakeDecision, RuleError> {
        let config: Config = config(&input.config)?;
        let case = &input.case;
        let mut d = decision("");
        let mut ids = 0;
        for (field, value) in [
            (TextField::Title, &case.title),
            (TextField::Text, &case.text),
            (TextField::Address, &case.address),
        ] {
            let Some(value) = value else { continue };
            if config.phones {
                for (start, end) in text::phone_numbers(value) {
                    d.redactions.push(Redaction {
                        field,
                        start: start as u32,
                        end: end as u32,
                        kind: "phone".into(),
                    });
                }
            }
            if config.id_numbers {
                for (start, end) in text::id_numbers(value) {
                    ids += 1;
                    d.redactions.push(Redaction {
                        field,
                        start: start as u32,
                        end: end as u32,
                        kind: "id-number".into(),
                    });
                }
            }
        }
        if ids > 0 && config.private_on_id_number {
            d.force_private = true;
        }
        d.explanation = if d.redactions.is_empty() {
            "no personal data found".into()
        } else {
            format!("hid {} item(s) of personal data", d.redactions.len())
        };
        Ok(d)
    }
}

minsheng_rule_sdk::export_intake_rule!(Rule);
