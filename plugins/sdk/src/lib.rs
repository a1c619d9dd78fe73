//! Write Minsheng rule plugins in Rust.
//!
//! A rule is a WebAssembly component built for `wasm32-wasip2`. This crate
//! gives the typed bindings of the `minsheng:rules` WIT package and small
//! helpers; see `docs/plugin-guide.md` and `plugins/examples/`.
//!
//! ```text
//! use minsheng_rule_sdk::intake::{Guest, IntakeInput, IntakeDecision, RuleError};
//! use minsheng_rule_sdk::prelude::*;
//!
//! struct Rule;
//! impl Guest for Rule {
//!     fn describe() -> Descriptor { /* … */ }
//!     fn decide(input: IntakeInput) -> Result<IntakeDecision, RuleError> {
//!         Ok(decision("nothing to change"))
//!     }
//! }
//! minsheng_rule_sdk::export_intake_rule!(Rule);
//! ```

/// Bindings of the `intake-rule` world. Implement [`intake::Guest`] and
/// call [`export_intake_rule!`].
pub mod intake {
    wit_bindgen::generate!({
        path: "../wit",
        world: "intake-rule",
        pub_export_macro: true,
        export_macro_name: "export_intake_rule",
        default_bindings_module: "minsheng_rule_sdk::intake",
    });

    pub use self::exports::minsheng::rules::intake::Guest;
    pub use self::minsheng::rules::types::*;
}

/// Bindings of the `escalation-rule` world. Implement
/// [`escalation::Guest`] and call [`export_escalation_rule!`].
pub mod escalation {
    wit_bindgen::generate!({
        path: "../wit",
        world: "escalation-rule",
        pub_export_macro: true,
        export_macro_name: "export_escalation_rule",
        default_bindings_module: "minsheng_rule_sdk::escalation",
        with: {
            "minsheng:rules/types@1.0.0": crate::intake::minsheng::rules::types,
            "minsheng:rules/host@1.0.0": crate::intake::minsheng::rules::host,
        },
    });

    pub use self::exports::minsheng::rules::escalation::Guest;
    pub use crate::intake::minsheng::rules::types::*;
}

pub mod text;

pub use escalation::export_escalation_rule;
pub use intake::export_intake_rule;

/// What most rules need.
pub mod prelude {
    pub use crate::intake::minsheng::rules::host::{CaseRef, LogLevel, find_recent_cases};
    pub use crate::intake::minsheng::rules::types::*;
    pub use crate::{config, decision, descriptor, log};
}

use intake::minsheng::rules::host::{self, LogLevel};
use intake::minsheng::rules::types::{CaseField, Descriptor, Hook, IntakeDecision, RuleError};

/// Write a line to the rule's log (kept with the run, capped by the host).
pub fn log(level: LogLevel, message: &str) {
    host::log(level, message);
}

/// Parse the rule's configuration; a parse error becomes `bad-config`.
pub fn config<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, RuleError> {
    serde_json::from_str(json).map_err(|e| RuleError::BadConfig(e.to_string()))
}

/// A decision that changes nothing, with an explanation for staff.
pub fn decision(explanation: impl Into<String>) -> IntakeDecision {
    IntakeDecision {
        lead: None,
        co_handlers: Vec::new(),
        category: None,
        priority: None,
        tags: Vec::new(),
        spam: false,
        duplicate_of: None,
        redactions: Vec::new(),
        force_private: false,
        hold: None,
        reject: None,
        explanation: explanation.into(),
    }
}

/// A descriptor. Set `fail_closed` on the result for rules whose failure
/// must hold the case (redaction).
pub fn descriptor(
    name: &str,
    version: &str,
    hook: Hook,
    config_schema: serde_json::Value,
    needs: &[CaseField],
    summary: &str,
) -> Descriptor {
    Descriptor {
        name: name.into(),
        version: version.into(),
        hook,
        config_schema: config_schema.to_string(),
        needs: needs.to_vec(),
        summary: summary.into(),
        fail_closed: false,
    }
}
