//! Public-opinion bulletins (三情通报): when a week or a month has ended,
//! the worker counts each city's figures for it once (the rollup for the
//! city and its departments, the cases for categories), keeps them on the
//! bulletin's row, numbers it (第N期) and tells the city's webhooks. Pages,
//! the feed and the API read the kept figures, so a bulletin never changes
//! when cases arrive, are answered or are merged later.

use crate::App;
use crate::access::Ctx;
use crate::model::{Bulletin, BulletinFigures, BulletinRef, CategoryFigure, Stats};
use crate::services::cases::summarize;
use crate::services::directory::Names;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit, trends, webhooks};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use minsheng_domain::Error;
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::bulletin;
use minsheng_store::queries::bulletins as q;
use minsheng_store::queries::cases::{self as stats_q, StatScope};
use minsheng_store::queries::{is_unique_violation, tenants as tenants_q};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The webhook event sent when a bulletin is published.
pub const PUBLISHED: &str = "bulletin.published";

/// How often a city publishes a bulletin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Monday to Sunday.
    Weekly,
    /// A calendar month.
    Monthly,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Weekly, Kind::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Weekly => "weekly",
            Kind::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "weekly" => Ok(Kind::Weekly),
            "monthly" => Ok(Kind::Monthly),
            _ => Err(Error::invalid("kind", "is `weekly` or `monthly`")),
        }
    }

    /// The period of this kind that contains `day`.
    pub fn containing(self, day: NaiveDate) -> Period {
        match self {
            Kind::Weekly => {
                let from = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                Period {
                    kind: self,
                    from,
                    to: from + Duration::days(6),
                }
            }
            Kind::Monthly => {
                let from = day.with_day(1).unwrap_or(day);
                let to = from + Months::new(1) - Duration::days(1);
                Period {
                    kind: self,
                    from,
                    to,
                }
            }
        }
    }
}

/// A week or a month: its first and last day (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The period just before (环比).
    pub fn before(self) -> Period {
        self.kind.containing(self.from - Duration::days(1))
    }

    /// The same period a year before (同比): the same week 52 weeks
    /// earlier, or the same month of the year before.
    pub fn year_before(self) -> Period {
        match self.kind {
            Kind::Weekly => self.kind.containing(self.from - Duration::weeks(52)),
            Kind::Monthly => self.kind.containing(self.from - Months::new(12)),
        }
    }

    /// The instants the period covers in the city: `[start, end)`.
    fn instants(self, tenant: &TenantRecord) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |d: NaiveDate| {
            let local = d.and_time(NaiveTime::MIN);
            tenant
                .time_zone
                .from_local_datetime(&local)
                .earliest()
                .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
        };
        (at(self.from), at(self.to + Duration::days(1)))
    }
}

/// Publish every city's bulletins whose period has ended by `now` and
/// that are not published yet (the latest week and month of each city).
/// Returns how many were published. A city that fails is logged and left
/// for the next pass.
pub async fn publish_due(state: &App, now: DateTime<Utc>) -> Result<u64, Error> {
    let cities = tenants_q::list(state.store.db()).await.or_internal()?;
    let mut published = 0;
    for row in cities.into_iter().filter(|c| c.active) {
        let tenant = TenantRecord::from_row(row)?;
        for kind in Kind::ALL {
            match publish(state, &tenant, kind, now).await {
                Ok(true) => published += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, city = %tenant.slug, "cannot publish a bulletin")
                }
            }
        }
    }
    Ok(published)
}

/// Publish the city's bulletin of `kind` for the last period ended by
/// `now`, unless it exists. Whether this call published it.
pub async fn publish(
    state: &App,
    tenant: &TenantRecord,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let today = now.with_timezone(&tenant.time_zone).date_naive();
    let period = kind.containing(today).before();
    let t = tenant.id.into_uuid();
    let tx = state.tenant_tx(tenant.id).await?;
    if q::for_period(&tx, t, kind.as_str(), period.from)
        .await
        .or_internal()?
        .is_some()
    {
        return commit(tx, false).await;
    }
    let figures = count(&tx, tenant, period).await?;
    let number = q::latest(&tx, t, kind.as_str())
        .await
        .or_internal()?
        .map_or(1, |b| b.number + 1);
    let row = bulletin::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(t),
        kind: Set(kind.as_str().to_owned()),
        number: Set(number),
        period_from: Set(period.from),
        period_to: Set(period.to),
        figures: Set(serde_json::to_value(&figures).map_err(Error::internal)?),
        published_at: Set(now),
    };
    match bulletin::Entity::insert(row)
        .exec_without_returning(&tx)
        .await
    {
        Ok(_) => {}
        // Another worker published it first.
        Err(e) if is_unique_violation(&e) => return Ok(false),
        Err(e) => return Err(e).or_internal(),
    }
    webhooks::enqueue_about(
        &tx,
        tenant,
        None,
        PUBLISHED,
        serde_json::json!({
            "kind": kind.as_str(),
            "number": number,
            "from": period.from,
            "to": period.to,
            "received": figures.totals.received,
        }),
        now,
    )
    .await?;
    commit(tx, true).await
}

/// The city's figures for a period, counted now.
pub async fn count(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    period: Period,
) -> Result<BulletinFigures, Error> {
    let t = tenant.id.into_uuid();
    let names = Names::load(db, tenant).await?;
    let totals = city(db, t, period).await?;
    let previous = city(db, t, period.before()).await?;
    let year_before = city(db, t, period.year_before()).await?;
    let mut departments: Vec<Stats> =
        stats_q::stat_totals(db, t, StatScope::Departments, period.from, period.to)
            .await
            .or_internal()?
            .iter()
            .map(|d| {
                let name = names.departments.get(&d.department_id).map(|n| n.1.clone());
                summarize(d, period.from, period.to, name)
            })
            .collect();
    departments.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then(a.department.cmp(&b.department))
    });
    let categories = categories(db, tenant, &names, period).await?;
    let mut rising: Vec<CategoryFigure> = categories
        .iter()
        .filter(|c| c.received - c.previous >= 2)
        .cloned()
        .collect();
    rising.sort_by(|a, b| {
        (b.received - b.previous)
            .cmp(&(a.received - a.previous))
            .then(a.code.cmp(&b.code))
    });
    rising.truncate(5);
    let (start, end) = period.instants(tenant);
    let (_, rising_terms) = trends::rising_between(db, tenant, start, end).await?;
    Ok(BulletinFigures {
        totals,
        previous,
        year_before,
        departments,
        categories,
        rising,
        rising_terms,
    })
}

/// The whole city's figures for a period, from the rollup.
async fn city(db: &impl ConnectionTrait, t: Uuid, p: Period) -> Result<Stats, Error> {
    let totals = stats_q::stat_totals(db, t, StatScope::City, p.from, p.to)
        .await
        .or_internal()?
        .pop()
        .unwrap_or_default();
    Ok(summarize(&totals, p.from, p.to, None))
}

/// Cases received per category in the period and the one before, most
/// first.
async fn categories(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    names: &Names,
    period: Period,
) -> Result<Vec<CategoryFigure>, Error> {
    let t = tenant.id.into_uuid();
    let mut by_id: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for (i, p) in [period, period.before()].into_iter().enumerate() {
        let (start, end) = p.instants(tenant);
        for c in q::received_by_category(db, t, start, end)
            .await
            .or_internal()?
        {
            let entry = by_id.entry(c.category_id).or_default();
            if i == 0 {
                entry.0 += c.received;
            } else {
                entry.1 += c.received;
            }
        }
    }
    let all: i64 = by_id.values().map(|v| v.0).sum();
    let mut out: Vec<CategoryFigure> = by_id
        .into_iter()
        .map(|(id, (received, previous))| {
            let (code, name) = names
                .categories
                .get(&id)
                .cloned()
                .unwrap_or_else(|| (id.to_string(), id.to_string()));
            CategoryFigure {
                code,
                name,
                received,
                previous,
                share: if all == 0 {
                    0.0
                } else {
                    received as f64 / all as f64
                },
            }
        })
        .collect();
    out.sort_by(|a, b| b.received.cmp(&a.received).then(a.code.cmp(&b.code)));
    Ok(out)
}

fn to_ref(row: &bulletin::Model) -> BulletinRef {
    BulletinRef {
        kind: row.kind.clone(),
        number: row.number,
        from: row.period_from,
        to: row.period_to,
        published_at: row.published_at,
    }
}

/// The city's bulletins (of one kind, or both), newest first.
pub async fn list(
    ctx: &Ctx,
    tenant: &TenantRecord,
    kind: Option<&str>,
    limit: u64,
) -> Result<Vec<BulletinRef>, Error> {
    let kind = kind.map(Kind::parse).transpose()?;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::list(
        &tx,
        tenant.id.into_uuid(),
        kind.map(Kind::as_str),
        limit.clamp(1, 200),
    )
    .await
    .or_internal()?;
    commit(tx, rows.iter().map(to_ref).collect()).await
}

/// One of the city's bulletins by kind and number, with its kept figures.
pub async fn get(
    ctx: &Ctx,
    tenant: &TenantRecord,
    kind: &str,
    number: i32,
) -> Result<Bulletin, Error> {
    let kind = Kind::parse(kind)?;
    let tx = ctx.read_tx(tenant.id).await?;
    let row = q::by_number(&tx, tenant.id.into_uuid(), kind.as_str(), number)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("{} bulletin {number}", kind.as_str())))?;
    let figures: BulletinFigures =
        serde_json::from_value(row.figures.clone()).map_err(Error::internal)?;
    let r = to_ref(&row);
    commit(
        tx,
        Bulletin {
            kind: r.kind,
            number: r.number,
            from: r.from,
            to: r.to,
            published_at: r.published_at,
            figures,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_months_by_the_calendar() {
        let w = Kind::Weekly.containing(day("2026-12-07"));
        assert_eq!((w.from, w.to), (day("2026-12-07"), day("2026-12-13")));
        let w = Kind::Weekly.containing(day("2026-12-13"));
        assert_eq!(w.from, day("2026-12-07"));
        assert_eq!(w.before().from, day("2026-11-30"));
        assert_eq!(w.year_before().from, day("2025-12-08"));
        let m = Kind::Monthly.containing(day("2024-02-15"));
        assert_eq!((m.from, m.to), (day("2024-02-01"), day("2024-02-29")));
        assert_eq!(m.before().to, day("2024-01-31"));
        assert_eq!(m.year_before().to, day("2023-02-28"));
        assert!(Kind::parse("daily").is_err());
    }
}
