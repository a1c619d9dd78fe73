//! What one call of a plugin may use.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Limits of one call. The platform's maxima cap what a city may set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Instructions, roughly: wasmtime's fuel, one unit per simple operator.
    pub fuel: u64,
    /// Linear memory, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock backstop in milliseconds, enforced with epochs.
    pub timeout_ms: u64,
    /// Log bytes kept per call; the rest is dropped and counted.
    pub log_bytes: usize,
    /// Size of the decision, as JSON, in bytes.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 20_000_000,
            memory_bytes: 16 << 20,
            timeout_ms: 100,
            log_bytes: 4096,
            output_bytes: 64 << 10,
        }
    }
}

impl Limits {
    /// The most any city can be given.
    pub fn platform_maxima() -> Self {
        Self {
            fuel: 500_000_000,
            memory_bytes: 64 << 20,
            timeout_ms: 2_000,
            log_bytes: 64 << 10,
            output_bytes: 1 << 20,
        }
    }

    /// These limits, each cut down to the maxima's.
    pub fn capped_by(&self, maxima: &Limits) -> Limits {
        Limits {
            fuel: self.fuel.min(maxima.fuel),
            memory_bytes: self.memory_bytes.min(maxima.memory_bytes),
            timeout_ms: self.timeout_ms.min(maxima.timeout_ms),
            log_bytes: self.log_bytes.min(maxima.log_bytes),
            output_bytes: self.output_bytes.min(maxima.output_bytes),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}
