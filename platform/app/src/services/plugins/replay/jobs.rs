//! Replay jobs started from the console: an uploaded intake rule with a
//! configuration over the past days of the city's cases, run in a task of
//! the server (not of the request that started it), with its progress.
//!
//! Jobs are kept **in this process's memory**, by id and city: a restart
//! forgets them, and another server of the same deployment does not know
//! them. A city runs at most [`MAX_RUNNING_PER_CITY`] at once and keeps
//! its last [`KEPT_PER_CITY`].

use super::{CaseReplay, Tally, Verdict};
use crate::access::Ctx;
use crate::services::DbResultExt;
use crate::services::plugins::chains::tenant_limits;
use crate::services::plugins::components::Ready;
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_plugin_host::types::Hook;
use minsheng_plugin_host::{Limits, Plugin};
use minsheng_store::queries::plugins as q;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use uuid::Uuid;

/// Replays a city runs at once.
pub const MAX_RUNNING_PER_CITY: usize = 2;
/// Finished replays a city keeps (the oldest are forgotten).
pub const KEPT_PER_CITY: usize = 20;
/// The most days a replay goes back.
pub const MAX_DAYS: u32 = 366;
/// The most cases a replay reads.
pub const MAX_CASES: u64 = 100_000;
/// The differing cases a job keeps to show (all are counted).
pub const MAX_SHOWN: usize = 500;

/// The process's replay jobs.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<Uuid, Arc<Job>>>,
}

struct Job {
    id: Uuid,
    tenant: Uuid,
    plugin_id: Uuid,
    plugin: String,
    days: u32,
    config: Value,
    started_at: DateTime<Utc>,
    progress: Mutex<Progress>,
}

#[derive(Clone, Default)]
struct Progress {
    total: Option<usize>,
    tally: Tally,
    differing: Vec<CaseReplay>,
    finished_at: Option<DateTime<Utc>>,
    error: Option<String>,
}

/// A replay job as it is now.
#[derive(Clone, Debug, Serialize)]
pub struct JobView {
    pub id: Uuid,
    pub plugin_id: Uuid,
    /// The candidate's name and version.
    pub plugin: String,
    pub days: u32,
    pub config: Value,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub running: bool,
    /// The cases to replay, once read.
    pub total: Option<usize>,
    /// Done, in percent.
    pub percent: usize,
    pub tally: Tally,
    /// The fuel per call: median, 99th percentile, most.
    pub fuel: [u64; 3],
    /// The cases it would change or failed on (the first [`MAX_SHOWN`]).
    pub differing: Vec<CaseReplay>,
    /// Why the job stopped before the end.
    pub error: Option<String>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Job {
    fn view(&self) -> JobView {
        let p = locked(&self.progress).clone();
        let percent = match p.total {
            Some(0) => 100,
            Some(total) => p.tally.cases * 100 / total,
            None => 0,
        };
        JobView {
            id: self.id,
            plugin_id: self.plugin_id,
            plugin: self.plugin.clone(),
            days: self.days,
            config: self.config.clone(),
            started_at: self.started_at,
            finished_at: p.finished_at,
            running: p.finished_at.is_none(),
            total: p.total,
            percent,
            fuel: [
                p.tally.fuel_at(0.5),
                p.tally.fuel_at(0.99),
                p.tally.fuel_at(1.0),
            ],
            tally: p.tally,
            differing: p.differing,
            error: p.error,
        }
    }

    fn running(&self) -> bool {
        locked(&self.progress).finished_at.is_none()
    }

    fn finish(&self, error: Option<String>) {
        let mut p = locked(&self.progress);
        p.error = error;
        p.finished_at = Some(Utc::now());
    }
}

impl Jobs {
    /// Room for one more job of the city: finished jobs over the city's
    /// share are forgotten; too many running is refused.
    fn admit(&self, job: Arc<Job>) -> Result<(), Error> {
        let mut jobs = locked(&self.jobs);
        let mut mine: Vec<Arc<Job>> = jobs
            .values()
            .filter(|j| j.tenant == job.tenant)
            .cloned()
            .collect();
        if mine.iter().filter(|j| j.running()).count() >= MAX_RUNNING_PER_CITY {
            return Err(Error::TooManyRequests {
                retry_after_secs: 30,
                message: format!(
                    "this city already runs {MAX_RUNNING_PER_CITY} replays; wait until one has finished"
                ),
            });
        }
        mine.retain(|j| !j.running());
        mine.sort_by_key(|j| j.started_at);
        let over = (mine.len() + 1).saturating_sub(KEPT_PER_CITY);
        for old in mine.iter().take(over) {
            jobs.remove(&old.id);
        }
        jobs.insert(job.id, job);
        Ok(())
    }

    fn find(&self, tenant: Uuid, id: Uuid) -> Option<Arc<Job>> {
        locked(&self.jobs)
            .get(&id)
            .filter(|j| j.tenant == tenant)
            .cloned()
    }
}

/// Start replaying the uploaded intake rule `plugin_id` with `config`
/// over the city's cases of the past `days` days. Returns the job's id.
pub async fn start(
    ctx: &Ctx,
    tenant: &TenantRecord,
    plugin_id: Uuid,
    config: Value,
    days: u32,
) -> Result<Uuid, Error> {
    ctx.authorize(tenant, "plugin:write").await?;
    let t = tenant.id.into_uuid();
    let tx = ctx.read_tx(tenant.id).await?;
    let row = q::summary(&tx, t, plugin_id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found("plugin"))?;
    tx.commit().await.or_internal()?;
    let mut p = Problems::new();
    if !(1..=MAX_DAYS).contains(&days) {
        p.push("days", format!("must be between 1 and {MAX_DAYS}"));
    }
    if row.hook != crate::services::plugins::chains::INTAKE {
        p.push(
            "plugin",
            "replay runs intake rules over past submissions; this is an escalation rule",
        );
    }
    p.finish()?;
    let plugin = compiled(ctx, t, &row.hash, plugin_id).await?;
    if plugin.descriptor.hook != Hook::Intake {
        return Err(Error::invalid("plugin", "not an intake rule"));
    }
    super::check_config(&plugin, &config)?;
    let now = ctx.now();
    let job = Arc::new(Job {
        id: Uuid::now_v7(),
        tenant: t,
        plugin_id,
        plugin: format!("{} {}", row.name, row.version),
        days,
        config,
        started_at: now,
        progress: Mutex::new(Progress::default()),
    });
    ctx.app.replays.admit(job.clone())?;
    ctx.audit(
        Some(tenant.id),
        "plugin_replay",
        &format!("plugin:{plugin_id}"),
        "ok",
    )
    .await;
    let limits = tenant_limits(tenant).capped_by(ctx.app.rules.maxima());
    let (app, tenant, id) = (ctx.app.clone(), tenant.clone(), job.id);
    tokio::spawn(async move {
        let error = run(&app, &tenant, &job, &plugin, &limits)
            .await
            .err()
            .map(|e| {
                tracing::warn!(job = %job.id, error = %e, "a replay stopped");
                e.to_string()
            });
        job.finish(error);
    });
    Ok(id)
}

/// The candidate compiled: kept since its upload, or compiled again from
/// the stored bytes.
async fn compiled(ctx: &Ctx, t: Uuid, hash: &str, id: Uuid) -> Result<Arc<Plugin>, Error> {
    let rules = &ctx.app.rules;
    let host = rules.host()?;
    if let Ready::Yes(p) = rules.components().ready(&host, hash).await {
        return Ok(p);
    }
    let tx = ctx
        .app
        .store
        .read(minsheng_store::Scope::Tenant(t))
        .await
        .or_internal()?;
    let bytes = q::component(&tx, t, id)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found("plugin"))?;
    tx.commit().await.or_internal()?;
    match rules.compile(t, bytes).await {
        Ok(fresh) => Ok(rules.admit(fresh)),
        Err(crate::services::plugins::chains::LoadFailure::Refused(e)) => {
            Err(Error::invalid("plugin", e.to_string()))
        }
        Err(crate::services::plugins::chains::LoadFailure::Server(e)) => Err(e),
    }
}

async fn run(
    app: &crate::App,
    tenant: &TenantRecord,
    job: &Job,
    plugin: &Plugin,
    limits: &Limits,
) -> Result<(), Error> {
    let from = job.started_at - chrono::Duration::days(i64::from(job.days));
    let cases = super::cases(&app.store, tenant, from, MAX_CASES).await?;
    locked(&job.progress).total = Some(cases.rows.len());
    let config = job.config.to_string();
    let t = tenant.id.into_uuid();
    for row in &cases.rows {
        // One call at a time, each in the city's share of calls: a replay
        // never takes the places its citizens' submissions need.
        let seat = app.rules.seat(t, Duration::from_secs(60)).await;
        let case = match seat {
            Some(_seat) => super::one(plugin, &cases.chain, tenant, &config, limits, row).await,
            None => CaseReplay {
                tracking_code: row.tracking_code.clone(),
                verdict: Verdict::Failed {
                    kind: "busy",
                    message: "the city's rules were busy for a minute".into(),
                },
                fuel: 0,
            },
        };
        let mut p = locked(&job.progress);
        p.tally.add(&case);
        if !matches!(case.verdict, Verdict::Same) && p.differing.len() < MAX_SHOWN {
            p.differing.push(case);
        }
    }
    Ok(())
}

/// A job of the city (another city's is not found).
pub async fn get(ctx: &Ctx, tenant: &TenantRecord, id: Uuid) -> Result<JobView, Error> {
    ctx.authorize(tenant, "tenant:read").await?;
    ctx.app
        .replays
        .find(tenant.id.into_uuid(), id)
        .map(|j| j.view())
        .ok_or_else(|| Error::not_found("replay"))
}

/// The city's jobs kept here, newest first.
pub async fn list(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<JobView>, Error> {
    ctx.authorize(tenant, "tenant:read").await?;
    let t = tenant.id.into_uuid();
    let mut jobs: Vec<JobView> = locked(&ctx.app.replays.jobs)
        .values()
        .filter(|j| j.tenant == t)
        .map(|j| j.view())
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.started_at));
    Ok(jobs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn job(tenant: Uuid, minutes_ago: i64, finished: bool) -> Arc<Job> {
        let progress = Progress {
            finished_at: finished.then(Utc::now),
            ..Progress::default()
        };
        Arc::new(Job {
            id: Uuid::now_v7(),
            tenant,
            plugin_id: Uuid::nil(),
            plugin: "r 1.0.0".into(),
            days: 1,
            config: Value::Null,
            started_at: Utc::now() - chrono::Duration::minutes(minutes_ago),
            progress: Mutex::new(progress),
        })
    }

    #[test]
    fn a_city_runs_a_few_replays_at_once_and_keeps_its_last() {
        let jobs = Jobs::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        for _ in 0..MAX_RUNNING_PER_CITY {
            jobs.admit(job(a, 0, false)).unwrap();
        }
        assert!(matches!(
            jobs.admit(job(a, 0, false)),
            Err(Error::TooManyRequests { .. })
        ));
        // Another city is not held back by this one.
        let theirs = job(b, 0, false);
        jobs.admit(theirs.clone()).unwrap();
        assert!(jobs.find(b, theirs.id).is_some());
        assert!(jobs.find(a, theirs.id).is_none(), "another city's job");
        // Finished jobs are kept up to the city's share, oldest forgotten.
        let oldest = job(b, 1000, true);
        jobs.admit(oldest.clone()).unwrap();
        for i in 0..KEPT_PER_CITY {
            jobs.admit(job(b, i as i64, true)).unwrap();
        }
        assert!(jobs.find(b, oldest.id).is_none());
        assert!(jobs.find(b, theirs.id).is_some(), "a running job stays");
    }
}
