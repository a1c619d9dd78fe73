//! An escalation rule that spends its call in the host's lookups and then
//! returns a valid decision (supervise), to prove that a slow city's rules
//! hold no database lock and delay no other city. Do not copy.

use minsheng_rule_sdk::escalation::{
    EscalationAction, EscalationDecision, EscalationInput, Guest, RuleError,
};
use minsheng_rule_sdk::prelude::{
    CaseField, Descriptor, Hook, config, descriptor, find_recent_cases,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    /// How many lookups to make before deciding.
    #[serde(default = "rounds")]
    rounds: u32,
}

fn rounds() -> u32 {
    1000
}

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "hostile-escalation",
            env!("CARGO_PKG_VERSION"),
            Hook::Escalation,
            serde_json::json!({
                "type": "object",
                "properties": { "rounds": { "type": "integer", "minimum": 0 } }
            }),
            &[CaseField::Title],
            "Looks up cases for its whole call, then supervises (sandbox tests)",
        )
    }

    fn on_event(input: EscalationInput) -> Result<EscalationDecision, RuleError> {
        let config: Config = config(&input.config)?;
        let title = input.case.title.unwrap_or_default();
        let mut found = 0usize;
        for _ in 0..config.rounds {
            found += find_recent_cases(&title, 24 * 365, 50).len();
        }
        Ok(EscalationDecision {
            actions: vec![EscalationAction::Supervise(format!(
                "looked {} times, found {found}",
                config.rounds
            ))],
            explanation: "slow on purpose".into(),
        })
    }
}

minsheng_rule_sdk::export_escalation_rule!(Rule);
