//! Slowing down guessing. Two mechanisms:
//!
//! - **Brute-force backoff** on sign-in, per account and per client address,
//!   kept in the database so every replica sees it: after a few failures the
//!   key is locked for a time that doubles with each further failure.
//! - **Rate limits** on anonymous actions (sign-in now; submission and rating
//!   later), per city and client address, in each process's memory.

use chrono::{DateTime, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use minsheng_domain::Error;
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::login_throttle;
use minsheng_store::queries::access as q;
use std::net::IpAddr;
use std::num::NonZeroU32;

use crate::services::DbResultExt;

/// Failures allowed before a key is locked.
pub const FREE_FAILURES_PER_ACCOUNT: i32 = 5;
pub const FREE_FAILURES_PER_ADDRESS: i32 = 20;
const MAX_LOCK_SECS: i64 = 15 * 60;

pub fn account_key(tenant: Option<&str>, username: &str) -> String {
    format!(
        "account:{}:{}",
        tenant.unwrap_or("-"),
        username.to_lowercase()
    )
}

pub fn address_key(ip: Option<IpAddr>) -> String {
    format!(
        "address:{}",
        ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    )
}

/// Refuse with 429 while any of `keys` is locked.
pub async fn check(
    db: &impl ConnectionTrait,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for key in keys {
        if let Some(row) = q::throttle(db, key).await.or_internal()?
            && let Some(until) = row.locked_until
            && until > now
        {
            let wait = (until - now).num_seconds().max(1) as u64;
            return Err(Error::TooManyRequests {
                retry_after_secs: wait,
                message: format!("too many failed sign-ins; try again in {wait} s"),
            });
        }
    }
    Ok(())
}

/// Count a failure against each key; lock it with exponential backoff once
/// it is past its free failures.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    key: &str,
    free: i32,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let failures = q::throttle(db, key)
        .await
        .or_internal()?
        .map_or(0, |r| r.failures)
        + 1;
    let locked_until = (failures >= free).then(|| {
        let exponent = (failures - free).min(20) as u32;
        let secs = 2i64.saturating_pow(exponent).min(MAX_LOCK_SECS);
        now + chrono::Duration::seconds(secs)
    });
    q::save_throttle(
        db,
        login_throttle::Model {
            key: key.to_owned(),
            failures,
            locked_until,
            updated_at: now,
        },
    )
    .await
    .or_internal()
}

pub async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), Error> {
    q::clear_throttle(db, key).await.or_internal()
}

/// Per-process rate limits for anonymous actions, keyed by city and address.
pub struct RateLimits {
    limiter: DefaultKeyedRateLimiter<(String, String)>,
}

impl RateLimits {
    pub fn per_minute(n: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Take one action for (`scope`, `ip`), or a 429 saying when to retry.
    pub fn take(&self, scope: &str, ip: Option<IpAddr>) -> Result<(), Error> {
        let key = (
            scope.to_owned(),
            ip.map_or_else(|| "unknown".into(), |ip| ip.to_string()),
        );
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Error::TooManyRequests {
                retry_after_secs: secs.max(1),
                message: format!(
                    "too many requests from this address; try again in {} s",
                    secs.max(1)
                ),
            }
        })
    }
}
