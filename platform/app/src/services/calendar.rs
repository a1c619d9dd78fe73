//! A city's working-day calendar: the weekly days off come with the tenant;
//! listed days (holidays, make-up working days) are stored here.

use super::DbResultExt;
use crate::model::{Calendar, CalendarDay, CalendarDayInput, Deadline};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::CalendarDayId;
use minsheng_domain::values::{self, parse_text};
use minsheng_store::entity::calendar_day;
use minsheng_store::queries::calendar as q;
use minsheng_store::{ConnectionTrait, Scope, Store};
use sea_orm::ActiveValue::Set;

pub const HOLIDAY: &str = "holiday";
pub const WORKDAY: &str = "workday";

pub fn check_kind(kind: &str) -> Result<&'static str, String> {
    match kind {
        HOLIDAY => Ok(HOLIDAY),
        WORKDAY => Ok(WORKDAY),
        _ => Err(format!(
            "{kind:?} is not a kind of day: use \"holiday\" or \"workday\""
        )),
    }
}

pub(crate) async fn get(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
) -> Result<Calendar, Error> {
    let rows = q::list(db, tenant.id.into_uuid()).await.or_internal()?;
    Ok(Calendar {
        time_zone: tenant.time_zone.name().to_owned(),
        weekend: tenant
            .weekend
            .iter()
            .map(|d| values::weekday_name(*d).to_owned())
            .collect(),
        days: rows
            .into_iter()
            .map(|r| CalendarDay {
                date: r.day,
                kind: r.kind,
                name: r.name,
            })
            .collect(),
    })
}

/// The city's calendar, ready to count working days.
pub(crate) async fn working_calendar(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
) -> Result<WorkingCalendar, Error> {
    let rows = q::list(db, tenant.id.into_uuid()).await.or_internal()?;
    let (holidays, workdays): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.kind == HOLIDAY);
    WorkingCalendar::new(
        tenant.time_zone,
        tenant.weekend.iter().copied(),
        holidays.iter().map(|r| r.day),
        workdays.iter().map(|r| r.day),
    )
    .map_err(|e| Error::internal(format!("stored calendar: {e}")))
}

/// Add or change the listed day at `date`; returns whether anything changed.
pub(crate) async fn put_day(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    date: NaiveDate,
    input: &CalendarDayInput,
) -> Result<(CalendarDay, bool), Error> {
    let mut p = Problems::new();
    let kind = p.check("kind", check_kind(&input.kind));
    let name = p.check("name", parse_text(&input.name, 1, 100));
    p.finish()?;
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(Error::internal("checked day fields missing"));
    };
    let tenant_id = tenant.id.into_uuid();
    let day = CalendarDay {
        date,
        kind: kind.to_owned(),
        name: name.clone(),
    };
    match q::by_day(db, tenant_id, date).await.or_internal()? {
        Some(row) if row.kind == kind && row.name == name => Ok((day, false)),
        Some(row) => {
            let update = calendar_day::ActiveModel {
                kind: Set(kind.to_owned()),
                name: Set(name),
                ..Default::default()
            };
            q::update(db, tenant_id, row.id, update)
                .await
                .or_internal()?;
            Ok((day, true))
        }
        None => {
            let row = calendar_day::ActiveModel {
                id: Set(CalendarDayId::new().into_uuid()),
                tenant_id: Set(tenant_id),
                day: Set(date),
                kind: Set(kind.to_owned()),
                name: Set(name),
            };
            q::insert(db, row)
                .await
                .or_conflict("date", "this day is already listed")?;
            Ok((day, true))
        }
    }
}

pub(crate) async fn delete_day(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    date: NaiveDate,
) -> Result<(), Error> {
    if q::delete(db, tenant.id.into_uuid(), date)
        .await
        .or_internal()?
    {
        Ok(())
    } else {
        Err(Error::not_found(format!("calendar day {date}")))
    }
}

/// When work started at `start` with `working_days` allowed is due.
pub(crate) async fn deadline(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    start: DateTime<Utc>,
    working_days: u32,
) -> Result<Deadline, Error> {
    if working_days > 366 {
        return Err(Error::invalid("working_days", "must be at most 366"));
    }
    let calendar = working_calendar(db, tenant).await?;
    let deadline = calendar.deadline(start, working_days);
    Ok(Deadline {
        start,
        working_days,
        deadline,
        deadline_local: deadline.with_timezone(&tenant.time_zone).to_rfc3339(),
    })
}

// ---- on behalf of a principal (the API) -----------------------------------

pub async fn put_day_by(
    ctx: &crate::access::Ctx,
    tenant: &TenantRecord,
    date: NaiveDate,
    input: &CalendarDayInput,
) -> Result<CalendarDay, Error> {
    ctx.authorize(tenant, "calendar:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let (day, _) = put_day(&tx, tenant, date, input).await?;
    ctx.app.calendars.forget(tenant.id);
    super::commit(tx, day).await
}

pub async fn delete_day_by(
    ctx: &crate::access::Ctx,
    tenant: &TenantRecord,
    date: NaiveDate,
) -> Result<(), Error> {
    ctx.authorize(tenant, "calendar:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    delete_day(&tx, tenant, date).await?;
    ctx.app.calendars.forget(tenant.id);
    super::commit(tx, ()).await
}

/// Each city's working calendar, active categories and directory names,
/// kept for a minute so a submission or a read of a case reads none of
/// those tables. Changes made in this process take
/// effect at once; changes made by another process (a bundle applied from
/// the command line, another replica) within a minute.
#[derive(Default)]
pub struct Cache {
    entries: std::sync::Mutex<std::collections::HashMap<minsheng_domain::ids::TenantId, Cached>>,
    /// Held while loading, so a burst of requests after the entry expired
    /// loads it once instead of once each.
    loading: tokio::sync::Mutex<()>,
}

/// What a submission needs to know about its city.
#[derive(Clone)]
pub struct Rules {
    pub calendar: std::sync::Arc<WorkingCalendar>,
    /// Active categories by code, each shared: a submission holds its
    /// category without copying it.
    pub categories: std::sync::Arc<
        std::collections::HashMap<String, std::sync::Arc<minsheng_store::entity::category::Model>>,
    >,
    /// Every department's and category's code and name, by id.
    pub(crate) names: std::sync::Arc<super::directory::Names>,
}

#[derive(Clone)]
struct Cached {
    at: std::time::Instant,
    rules: Rules,
}

const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

impl Cache {
    fn cached(&self, tenant: &TenantRecord) -> Option<Rules> {
        let entries = self.entries.lock().ok()?;
        let cached = entries.get(&tenant.id)?;
        (cached.at.elapsed() < CACHE_TTL).then(|| cached.rules.clone())
    }

    fn keep(&self, tenant: &TenantRecord, rules: &Rules) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(
                tenant.id,
                Cached {
                    at: std::time::Instant::now(),
                    rules: rules.clone(),
                },
            );
        }
    }

    async fn load(db: &impl ConnectionTrait, tenant: &TenantRecord) -> Result<Rules, Error> {
        Ok(Rules {
            calendar: std::sync::Arc::new(working_calendar(db, tenant).await?),
            categories: std::sync::Arc::new(
                super::categories::active_by_code(db, tenant.id).await?,
            ),
            names: std::sync::Arc::new(super::directory::Names::load(db, tenant).await?),
        })
    }

    /// The city's rules, read through `db` when not cached.
    pub async fn rules_in(
        &self,
        db: &impl ConnectionTrait,
        tenant: &TenantRecord,
    ) -> Result<Rules, Error> {
        if let Some(rules) = self.cached(tenant) {
            return Ok(rules);
        }
        let _loading = self.loading.lock().await;
        if let Some(rules) = self.cached(tenant) {
            return Ok(rules);
        }
        let rules = Self::load(db, tenant).await?;
        self.keep(tenant, &rules);
        Ok(rules)
    }

    /// The city's rules, opening a read transaction only when not cached.
    pub async fn rules(&self, store: &Store, tenant: &TenantRecord) -> Result<Rules, Error> {
        if let Some(rules) = self.cached(tenant) {
            return Ok(rules);
        }
        let _loading = self.loading.lock().await;
        if let Some(rules) = self.cached(tenant) {
            return Ok(rules);
        }
        let tx = store
            .read(Scope::Tenant(tenant.id.into_uuid()))
            .await
            .or_internal()?;
        let rules = Self::load(&tx, tenant).await?;
        tx.commit().await.or_internal()?;
        self.keep(tenant, &rules);
        Ok(rules)
    }

    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        tenant: &TenantRecord,
    ) -> Result<std::sync::Arc<WorkingCalendar>, Error> {
        Ok(self.rules_in(db, tenant).await?.calendar)
    }

    /// An active category by its code.
    pub async fn category(
        &self,
        db: &impl ConnectionTrait,
        tenant: &TenantRecord,
        code: &str,
    ) -> Result<Option<std::sync::Arc<minsheng_store::entity::category::Model>>, Error> {
        Ok(self
            .rules_in(db, tenant)
            .await?
            .categories
            .get(code)
            .cloned())
    }

    pub fn forget(&self, tenant: minsheng_domain::ids::TenantId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&tenant);
        }
    }
}
