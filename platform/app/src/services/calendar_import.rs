//! A year's schedule of holidays and make-up working days (调休) read from
//! a file, the year's listed days replaced by it in one transaction.
//!
//! The file is CSV in UTF-8: one day a line, `date,kind,name`, the date as
//! `2027-02-11`, the kind `holiday` (a day off) or `workday` (a make-up
//! working day); a first line `date,kind,name` and lines starting with `#`
//! are skipped.

use super::DbResultExt;
use super::tenants::TenantRecord;
use crate::access::Ctx;
use crate::bundle::csv;
use crate::model::CalendarDayInput;
use chrono::{Datelike, NaiveDate};
use minsheng_domain::Error;
use minsheng_domain::error::FieldError;
use minsheng_store::queries::calendar as q;
use std::collections::HashMap;

/// One day of the file and the line it is on.
#[derive(Clone, Debug)]
pub struct DayLine {
    pub line: usize,
    pub date: NaiveDate,
    pub input: CalendarDayInput,
}

/// What an import did to the year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub listed: usize,
    pub changed: usize,
    pub removed: usize,
}

/// The days of `text`, every one in `year`; problems name the line.
pub fn parse(text: &str, year: i32) -> Result<Vec<DayLine>, Error> {
    let records = csv::read(text).map_err(|e| Error::Invalid(vec![e]))?;
    let mut problems = Vec::new();
    let mut days = Vec::new();
    let mut seen: HashMap<NaiveDate, usize> = HashMap::new();
    for r in &records {
        let first = r.fields.first().map_or("", |f| f.trim());
        if first.starts_with('#')
            || (r.line == records[0].line && first.eq_ignore_ascii_case("date"))
        {
            continue;
        }
        let at = |column: &str| format!("line {}: {column}", r.line);
        if r.fields.len() != 3 {
            problems.push(FieldError::new(
                format!("line {}", r.line),
                format!("{} values: give date,kind,name", r.fields.len()),
            ));
            continue;
        }
        let (date, kind, name) = (first, r.fields[1].trim(), r.fields[2].trim());
        let date = match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
            Ok(d) if d.year() == year => Some(d),
            Ok(d) => {
                problems.push(FieldError::new(at("date"), format!("{d} is not in {year}")));
                None
            }
            Err(_) => {
                problems.push(FieldError::new(
                    at("date"),
                    format!("{date:?} is not a date like {year}-01-01"),
                ));
                None
            }
        };
        if let Err(m) = super::calendar::check_kind(kind) {
            problems.push(FieldError::new(at("kind"), m));
        }
        if name.is_empty() || name.chars().count() > 100 {
            problems.push(FieldError::new(
                at("name"),
                "give the day a name of 1 to 100 characters",
            ));
        }
        if let Some(date) = date {
            if let Some(earlier) = seen.insert(date, r.line) {
                problems.push(FieldError::new(
                    at("date"),
                    format!("{date} is also on line {earlier}"),
                ));
            }
            days.push(DayLine {
                line: r.line,
                date,
                input: CalendarDayInput {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                },
            });
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    if days.is_empty() {
        return Err(Error::invalid(
            "file",
            format!("the file lists no day of {year}"),
        ));
    }
    Ok(days)
}

/// Make `days` the listed days of `year`: those of the year the file does
/// not list are removed, the others added or changed.
pub async fn import_by(
    ctx: &Ctx,
    tenant: &TenantRecord,
    year: i32,
    days: &[DayLine],
) -> Result<Imported, Error> {
    ctx.authorize(tenant, "calendar:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let mut done = Imported::default();
    for row in q::list(&tx, tenant.id.into_uuid()).await.or_internal()? {
        if row.day.year() == year && !days.iter().any(|d| d.date == row.day) {
            super::calendar::delete_day(&tx, tenant, row.day).await?;
            done.removed += 1;
        }
    }
    for d in days {
        let (_, changed) = super::calendar::put_day(&tx, tenant, d.date, &d.input)
            .await
            .map_err(|e| match e {
                Error::Invalid(list) => Error::Invalid(
                    list.into_iter()
                        .map(|f| {
                            FieldError::new(format!("line {}: {}", d.line, f.field), f.message)
                        })
                        .collect(),
                ),
                other => other,
            })?;
        done.listed += 1;
        done.changed += usize::from(changed);
    }
    let done = super::commit(tx, done).await?;
    ctx.app.calendars.forget(tenant.id);
    ctx.audit(
        Some(tenant.id),
        "calendar_import",
        &format!(
            "calendar {year}: {} days listed, {} changed, {} removed",
            done.listed, done.changed, done.removed
        ),
        "ok",
    )
    .await;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_checked_one_by_one() {
        let text = "date,kind,name\n# Spring Festival\n2027-02-06,holiday,春节\n2027-02-14,workday,春节调休\n";
        let days = parse(text, 2027).expect("parses");
        assert_eq!(days.len(), 2);
        assert_eq!((days[1].line, days[1].input.kind.as_str()), (4, "workday"));
        let Err(Error::Invalid(problems)) = parse(
            "2026-01-01,holiday,x\n2027-13-01,holiday,y\n2027-01-02,rest,z\n2027-01-03,holiday\n",
            2027,
        ) else {
            panic!("bad lines passed");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["line 1: date", "line 2: date", "line 3: kind", "line 4"]
        );
    }
}
