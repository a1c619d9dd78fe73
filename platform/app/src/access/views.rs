//! View counting without double counts: a reader's reloads within ten
//! minutes count once. Kept per process in memory; the count itself is
//! written in the background so it never slows a page.

use minsheng_domain::ids::TenantId;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(600);
const MAX_ENTRIES: usize = 100_000;

/// Which reader saw which case of which city.
type Reader = (TenantId, String, Option<IpAddr>);

#[derive(Default)]
pub struct ViewCounter {
    seen: Mutex<HashMap<Reader, Instant>>,
}

impl ViewCounter {
    /// Whether this view should count (the first from this reader lately).
    pub fn first_in_window(&self, tenant: TenantId, code: &str, reader: Option<IpAddr>) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        let now = Instant::now();
        if seen.len() > MAX_ENTRIES {
            seen.retain(|_, at| now.duration_since(*at) < WINDOW);
        }
        match seen.get(&(tenant, code.to_owned(), reader)) {
            Some(at) if now.duration_since(*at) < WINDOW => false,
            _ => {
                seen.insert((tenant, code.to_owned(), reader), now);
                true
            }
        }
    }
}
