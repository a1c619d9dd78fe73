//! A rule that misbehaves on purpose, chosen by its configuration's
//! `mode`. The tests upload it to prove the sandbox stops each kind of
//! abuse within its limits and that citizens never notice. Do not copy.

use minsheng_rule_sdk::intake::{Guest, IntakeDecision, IntakeInput, RuleError};
use minsheng_rule_sdk::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    mode: String,
}

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            Hook::Intake,
            serde_json::json!({
                "type": "object",
                "required": ["mode"],
                "properties": { "mode": { "enum": ["loop", "memory", "recursion", "trap", "output", "log-flood", "error", "bad-department", "fine"] } }
            }),
            &[CaseField::Title, CaseField::Text],
            "Misbehaves on purpose (sandbox tests)",
        )
    }

    fn decide(input: IntakeInput) -> Result<IntakeDecision, RuleError> {
        let config: Config = config(&input.config)?;
        match config.mode.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recursion" => Ok(decision(format!("{}", deep(std::hint::black_box(1))))),
            "trap" => panic!("the hostile rule gave up on purpose"),
            "output" => Ok(decision("x".repeat(2 << 20))),
            "log-flood" => {
                for i in 0..1_000_000u32 {
                    log(
                        LogLevel::Info,
                        &format!("flood line {i} {}", "y".repeat(100)),
                    );
                }
                Ok(decision("logged a lot"))
            }
            "error" => Err(RuleError::Internal("the hostile rule refused".into())),
            "bad-department" => {
                let mut d = decision("routes to nowhere");
                d.lead = Some("no-such-department".into());
                Ok(d)
            }
            _ => Ok(decision("behaved")),
        }
    }
}

#[allow(unconditional_recursion)]
fn deep(n: u64) -> u64 {
    let local = [n; 64];
    std::hint::black_box(&local);
    deep(n + 1) + local[3]
}

minsheng_rule_sdk::export_intake_rule!(Rule);
