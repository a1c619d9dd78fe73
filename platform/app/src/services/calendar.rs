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
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::calendar_day;
use minsheng_store::queries::calendar as q;
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
    let (day, changed) = put_day(&tx, tenant, date, input).await?;
    let day = super::commit(tx, day).await?;
    ctx.app.calendars.forget(tenant.id);
    if changed {
        let target = format!("calendar:{date} {}", day.kind);
        ctx.audit(Some(tenant.id), "calendar_day_put", &target, "ok")
            .await;
    }
    Ok(day)
}

pub async fn delete_day_by(
    ctx: &crate::access::Ctx,
    tenant: &TenantRecord,
    date: NaiveDate,
) -> Result<(), Error> {
    ctx.authorize(tenant, "calendar:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    delete_day(&tx, tenant, date).await?;
    super::commit(tx, ()).await?;
    ctx.app.calendars.forget(tenant.id);
    let target = format!("calendar:{date}");
    ctx.audit(Some(tenant.id), "calendar_day_delete", &target, "ok")
        .await;
    Ok(())
}

pub use super::city_cache::{Cache, Rules};
