//! A rule that misbehaves on purpose, chosen by its configuration's
//! `mode`. The tests upload it to prove the sandbox stops each kind of
//! abuse within its limits and that citizens never notice. Do not copy.

use minsheng_rule_sdk::intake::{Guest, IntakeDecision, IntakeInput, RuleError};
use minsheng_rule_sdk::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    mode: String,
    /// The tracking code `foreign-duplicate` names.
    #[serde(default)]
    code: String,
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
                "properties": {
                    "mode": { "enum": ["loop", "memory", "recursion", "trap", "output", "log-flood", "error", "bad-department",
                                       "lookup-loop", "dup-cohandlers", "grow-title", "foreign-duplicate", "invisible-reject",
                                       "leave-secret", "scan-secret", "leave-and-scan", "fine"] },
                    "code": { "type": "string" }
                }
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
            // Spends its whole time in the host's lookups.
            "lookup-loop" => {
                let mut seen = 0usize;
                loop {
                    seen += find_recent_cases("暖气", 24 * 365, 50).len();
                    std::hint::black_box(seen);
                }
            }
            "dup-cohandlers" => {
                let mut d = decision("the same co-handler twice");
                d.lead = Some("xfj".into());
                d.co_handlers = vec!["rlgs".into(), "rlgs".into()];
                Ok(d)
            }
            // Every character of the title replaced by a long kind.
            "grow-title" => {
                let title = input.case.title.unwrap_or_default();
                let mut d = decision("grows the title");
                d.redactions = title
                    .char_indices()
                    .map(|(i, c)| Redaction {
                        field: TextField::Title,
                        start: i as u32,
                        end: (i + c.len_utf8()) as u32,
                        kind: "k".repeat(30),
                    })
                    .collect();
                Ok(d)
            }
            "foreign-duplicate" => {
                let mut d = decision("a duplicate of a case elsewhere");
                d.duplicate_of = Some(config.code);
                Ok(d)
            }
            "invisible-reject" => {
                let mut d = decision("refuses with nothing to read");
                d.reject = Some("\u{200b}\u{200b}".into());
                Ok(d)
            }
            // Fills fresh memory, in the first pages of the heap and past
            // them, with a secret and leaves it there.
            "leave-secret" => {
                leave_secret();
                Ok(decision("left a secret"))
            }
            // Reads the whole linear memory for what an earlier call left
            // (after leaving its own, with `leave-and-scan`).
            mode @ ("scan-secret" | "leave-and-scan") => {
                if mode == "leave-and-scan" {
                    leave_secret();
                }
                let runs = secret_runs();
                let mut d = decision(format!("{runs} secret runs found"));
                d.tags = vec![format!("secret-runs:{runs}")];
                Ok(d)
            }
            _ => Ok(decision("behaved")),
        }
    }
}

/// What `leave-secret` writes: far from anything a Rust program keeps.
const SECRET: u64 = 0x5ec2_e75e_c2e7_5ec2;

fn leave_secret() {
    for size in [16 << 10, 2 << 20] {
        let secret = vec![SECRET; size / 8];
        std::mem::forget(std::hint::black_box(secret));
        // Keeps the two apart, so that they count as two runs.
        std::mem::forget(std::hint::black_box(vec![0u64; 8]));
    }
}

/// Runs of at least 64 words of `SECRET` anywhere in this instance's
/// memory (one word alone could be this function's own constant).
fn secret_runs() -> usize {
    let bytes = core::arch::wasm32::memory_size(0) * 65536;
    let (mut runs, mut length) = (0, 0);
    for address in (8..bytes).step_by(8) {
        // SAFETY: every address below the memory's size is readable in
        // wasm32; this reads memory the program does not own on purpose.
        #[allow(unsafe_code)]
        let word = unsafe { std::ptr::read_volatile(address as *const u64) };
        if word == SECRET {
            length += 1;
            if length == 64 {
                runs += 1;
            }
        } else {
            length = 0;
        }
    }
    runs
}

#[allow(unconditional_recursion)]
fn deep(n: u64) -> u64 {
    let local = [n; 64];
    std::hint::black_box(&local);
    deep(n + 1) + local[3]
}

minsheng_rule_sdk::export_intake_rule!(Rule);
