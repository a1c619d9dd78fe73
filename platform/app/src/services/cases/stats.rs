//! Statistics: counting views, a city's and its departments' figures from
//! the rollup, and recounting them from the cases.

use super::{count, day_of, find, names, settled};
use crate::access::Ctx;
use crate::model::Stats;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::Rating;
use minsheng_store::ConnectionTrait;
use minsheng_store::queries::cases::{self as q, StatDelta};
use uuid::Uuid;

/// A reader saw a public case: count it in the background unless the same
/// reader saw it moments ago (a reload storm counts once). Never delays or
/// fails the page.
pub fn note_view(
    state: &crate::App,
    tenant: &TenantRecord,
    code: &str,
    reader: Option<std::net::IpAddr>,
) {
    if state.views.first_in_window(tenant.id, code, reader) {
        let (state, tenant, code) = (state.clone(), tenant.clone(), code.to_owned());
        tokio::spawn(async move {
            if let Err(e) = count_view(&state, &tenant, &code).await {
                tracing::warn!(error = %e, "cannot count a view");
            }
        });
    }
}

/// Count a view of a public case. Called without waiting: a failure is
/// logged and never reaches the reader.
pub async fn count_view(
    state: &crate::App,
    tenant: &TenantRecord,
    code: &str,
) -> Result<(), Error> {
    let tx = state.tenant_tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    q::add_view(&tx, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    count(
        &tx,
        tenant,
        row.lead_department_id,
        Utc::now(),
        StatDelta {
            views: 1,
            ..Default::default()
        },
    )
    .await?;
    commit(tx, ()).await
}

pub(crate) fn summarize(
    totals: &q::StatTotals,
    from: NaiveDate,
    to: NaiveDate,
    department: Option<String>,
) -> Stats {
    let t = totals;
    let ratio = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Stats {
        from,
        to,
        department,
        received: t.received,
        accepted: t.accepted,
        answered: t.answered,
        answer_rate: ratio(t.answered, t.received),
        on_time_rate: ratio(t.answered_on_time, t.answered),
        average_answer_hours: ratio(t.answer_seconds, t.answered) / 3600.0,
        rated: t.rated,
        satisfaction_rate: ratio(t.satisfied, t.rated),
        views: t.views,
        overdue: t.overdue,
        supervised: t.supervised,
        co_handled: t.co_handled,
        opinions: t.opinions,
        opinions_on_time: t.opinions_on_time,
        opinions_overdue: t.opinions_overdue,
    }
}

/// A city's figures for a period (default: the last 365 days), read from
/// the rollup: the cost grows with days, not cases.
pub async fn city_stats(
    ctx: &Ctx,
    tenant: &TenantRecord,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Stats, Error> {
    let (from, to) = window(tenant, from, to)?;
    let ticket = ctx.app.figures.ticket();
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let totals = totals(ctx, &tx, ticket, tenant, q::StatScope::City, from, to)
        .await?
        .pop()
        .unwrap_or_default();
    commit(tx, summarize(&totals, from, to, None)).await
}

/// Every department's figures for a period.
pub async fn department_stats(
    ctx: &Ctx,
    tenant: &TenantRecord,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Stats>, Error> {
    let (from, to) = window(tenant, from, to)?;
    let ticket = ctx.app.figures.ticket();
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let rows = totals(
        ctx,
        &tx,
        ticket,
        tenant,
        q::StatScope::Departments,
        from,
        to,
    )
    .await?;
    let names = names(ctx, &tx, tenant).await?;
    let mut out: Vec<Stats> = rows
        .iter()
        .map(|t| {
            summarize(
                t,
                from,
                to,
                names.departments.get(&t.department_id).map(|n| n.0.clone()),
            )
        })
        .collect();
    out.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then(a.department.cmp(&b.department))
    });
    commit(tx, out).await
}

/// The rollup summed from `from` to `to` (inclusive): the settled days'
/// sums from the city's cache ([`settled`]), the live days from `tx`.
async fn totals(
    ctx: &Ctx,
    tx: &impl ConnectionTrait,
    ticket: settled::Ticket,
    tenant: &TenantRecord,
    scope: q::StatScope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<q::StatTotals>, Error> {
    let t = tenant.id.into_uuid();
    let live_from = day_of(tenant, Utc::now()) - chrono::Duration::days(settled::LIVE_DAYS - 1);
    let mut out = Vec::new();
    if from < live_from {
        let settled_to = to.min(live_from - chrono::Duration::days(1));
        let load = || async move {
            q::stat_totals(tx, t, scope, from, settled_to)
                .await
                .or_internal()
        };
        let sums = ctx
            .app
            .figures
            .sums(ticket, tenant.id, scope, from, settled_to, load)
            .await?;
        out = sums.as_ref().clone();
    }
    if to >= live_from {
        let live = q::stat_totals(tx, t, scope, from.max(live_from), to)
            .await
            .or_internal()?;
        settled::merge(&mut out, &live);
    }
    Ok(out)
}

fn window(
    tenant: &TenantRecord,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), Error> {
    let today = day_of(tenant, Utc::now());
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(364));
    if from > to {
        return Err(Error::invalid("from", "must not be after `to`"));
    }
    if (to - from).num_days() > 3660 {
        return Err(Error::invalid("from", "a window is at most ten years"));
    }
    Ok((from, to))
}

/// Recount a city's figures from its cases and timelines (a full scan; for
/// tests and repair, never for pages).
pub async fn recount(
    ctx: &Ctx,
    tenant: &TenantRecord,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Stats, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let t = tenant.id.into_uuid();
    let mut rows = Vec::new();
    let in_window = |at: DateTime<Utc>| {
        let d = day_of(tenant, at);
        d >= from && d <= to
    };
    let mut views = 0;
    for c in q::all(&tx, t).await.or_internal()? {
        views += c.views;
        let mut r = minsheng_store::entity::case_stat::Model {
            tenant_id: t,
            department_id: Uuid::nil(),
            day: from,
            shard: 0,
            received: 0,
            accepted: 0,
            answered: 0,
            answered_on_time: 0,
            answer_seconds: 0,
            rated: 0,
            satisfied: 0,
            views: 0,
            overdue: 0,
            supervised: 0,
            co_handled: 0,
            opinions: 0,
            opinions_on_time: 0,
            opinions_overdue: 0,
        };
        for e in q::events(&tx, t, c.id, true).await.or_internal()? {
            if !in_window(e.at) {
                continue;
            }
            let detail = e.detail.clone().unwrap_or_default();
            match e.action.as_str() {
                // A merged duplicate counts once, as its main case.
                "submitted" if c.merged_into_id.is_none() => r.received += 1,
                "accept" => r.accepted += 1,
                "answer" if detail["first"].as_bool().unwrap_or(false) => {
                    r.answered += 1;
                    r.answered_on_time += i64::from(detail["on_time"].as_bool().unwrap_or(false));
                    r.answer_seconds += detail["seconds"].as_i64().unwrap_or(0);
                }
                "rated" => {
                    r.rated += 1;
                    let satisfied = detail["rating"]
                        .as_str()
                        .and_then(|s| Rating::parse(s).ok())
                        .is_some_and(Rating::is_satisfied);
                    r.satisfied += i64::from(satisfied);
                }
                "overdue" => r.overdue += 1,
                "supervision" => r.supervised += 1,
                "assign" => {
                    r.co_handled += detail["co_handlers"]
                        .as_array()
                        .map_or(0, |a| a.len() as i64);
                }
                "opinion" if detail["first"].as_bool().unwrap_or(false) => {
                    r.opinions += 1;
                    r.opinions_on_time += i64::from(detail["on_time"].as_bool().unwrap_or(false));
                }
                "opinion_overdue" => r.opinions_overdue += 1,
                _ => {}
            }
        }
        rows.push(r);
    }
    let mut totals = q::StatTotals::default();
    for row in &rows {
        totals.add(row);
    }
    let mut stats = summarize(&totals, from, to, None);
    stats.views = views;
    commit(tx, stats).await
}

/// Add `n` views at the context's time (the demo history; readers go
/// through [`count_view`]).
pub async fn add_views(ctx: &Ctx, tenant: &TenantRecord, code: &str, n: i64) -> Result<(), Error> {
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    for _ in 0..n {
        q::add_view(&tx, tenant.id.into_uuid(), row.id)
            .await
            .or_internal()?;
    }
    count(
        &tx,
        tenant,
        row.lead_department_id,
        ctx.now(),
        StatDelta {
            views: n,
            ..Default::default()
        },
    )
    .await?;
    commit(tx, ()).await
}
