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
    pub use crate::intake::minsheng::rules::host::{
        CaseRef, LogLevel, find_recent_cases, find_same_title,
    };
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

/// A bump allocator for the guest (feature `bump-alloc`, on by default).
///
/// Every call runs in a fresh instance that is thrown away afterwards, so
/// nothing needs freeing: allocation is a pointer increment, and the host's
/// copying of the input (one allocation per string) gets cheap. A rule that
/// allocates and frees in a long loop should turn the feature off
/// (`default-features = false`) to get the standard allocator back.
#[cfg(all(target_arch = "wasm32", feature = "bump-alloc"))]
mod bump {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    pub struct Bump {
        next: UnsafeCell<usize>,
        end: UnsafeCell<usize>,
    }

    // A component instance runs one thread.
    unsafe impl Sync for Bump {}

    const PAGE: usize = 65536;

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: one thread per instance; nothing else touches these.
            let (next, end) = unsafe { (&mut *self.next.get(), &mut *self.end.get()) };
            let start = (*next + layout.align() - 1) & !(layout.align() - 1);
            let Some(stop) = start.checked_add(layout.size()) else {
                return core::ptr::null_mut();
            };
            if *end == 0 {
                // First use: the free memory above the data and stack.
                unsafe extern "C" {
                    static __heap_base: u8;
                }
                *next = core::ptr::addr_of!(__heap_base) as usize;
                *end = core::arch::wasm32::memory_size(0) * PAGE;
                return unsafe { self.alloc(layout) };
            }
            if stop > *end {
                let pages = (stop - *end).div_ceil(PAGE).max(4);
                let previous = core::arch::wasm32::memory_grow(0, pages);
                if previous == usize::MAX {
                    return core::ptr::null_mut();
                }
                if *end != previous * PAGE {
                    // Memory grown by someone else: go on in the new pages.
                    *next = previous * PAGE;
                }
                *end = (previous + pages) * PAGE;
                return unsafe { self.alloc(layout) };
            }
            *next = stop;
            start as *mut u8
        }

        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    }

    #[global_allocator]
    static ALLOCATOR: Bump = Bump {
        next: UnsafeCell::new(0),
        end: UnsafeCell::new(0),
    };
}
