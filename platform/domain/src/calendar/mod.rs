//! Working-day calendar: which dates are working days for a tenant, and deadlines counted in
//! working days.
//!
//! Rules:
//! - A date listed as a make-up working day (调休上班) is a working day; otherwise a listed
//!   holiday is not; otherwise a date is a working day unless its weekday is in the weekend.
//! - No date may be listed both as a holiday and as a make-up working day, and the weekend may
//!   not cover all seven days, so every run of non-working days ends.
//! - Deadlines follow 期间开始之日不计算在内: the day a period starts is not counted. A period of
//!   `n` working days starting at an instant ends at the end of the `n`-th working day after the
//!   local date of that instant in the calendar's time zone, i.e. at the local midnight starting
//!   the following calendar day (an exclusive end). When that midnight is skipped by a clock
//!   change the deadline is the first instant after the jump; when it occurs twice, the earlier.
//! - A period of `0` working days ends with the start date if it is a working day, else with
//!   the next working day.
//! - Date arithmetic saturates at the ends of chrono's range instead of panicking.

use std::collections::BTreeSet;
use std::ops::Bound;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone,
    Utc, Weekday, WeekdaySet,
};
use chrono_tz::Tz;

/// A tenant's working days: a weekly weekend plus dated exceptions, in one time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    time_zone: Tz,
    weekend: WeekdaySet,
    holidays: BTreeSet<NaiveDate>,
    makeup_workdays: BTreeSet<NaiveDate>,
}

/// Why a set of calendar rules was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("{0} is listed both as a holiday and as a make-up working day")]
    DateListedTwice(NaiveDate),
    #[error("the weekend covers all seven days, so no day would be a working day")]
    NoWorkingDays,
}

impl WorkingCalendar {
    /// Builds a calendar; duplicates within one list are harmless.
    pub fn new(
        time_zone: Tz,
        weekend: impl IntoIterator<Item = Weekday>,
        holidays: impl IntoIterator<Item = NaiveDate>,
        makeup_workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, CalendarError> {
        let weekend: WeekdaySet = weekend.into_iter().collect();
        if weekend.len() >= 7 {
            return Err(CalendarError::NoWorkingDays);
        }
        let holidays: BTreeSet<NaiveDate> = holidays.into_iter().collect();
        let makeup_workdays: BTreeSet<NaiveDate> = makeup_workdays.into_iter().collect();
        if let Some(date) = holidays.intersection(&makeup_workdays).next() {
            return Err(CalendarError::DateListedTwice(*date));
        }
        Ok(Self {
            time_zone,
            weekend,
            holidays,
            makeup_workdays,
        })
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn weekend(&self) -> WeekdaySet {
        self.weekend
    }

    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    pub fn makeup_workdays(&self) -> &BTreeSet<NaiveDate> {
        &self.makeup_workdays
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.makeup_workdays.contains(&date) {
            true
        } else if self.holidays.contains(&date) {
            false
        } else {
            !self.weekend.contains(date.weekday())
        }
    }

    /// The first working day strictly after `after` (saturating at `NaiveDate::MAX`).
    pub fn next_working_day(&self, after: NaiveDate) -> NaiveDate {
        // Past the last listed date only the weekly pattern applies, and it has a working day
        // every week, so the walk ends within a week of that date; the cap only guards that.
        let listed_span = self.last_listed().map_or(0, |last| {
            last.signed_duration_since(after).num_days().max(0)
        });
        let mut day = after;
        for _ in 0..=listed_span.saturating_add(7) {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                return day;
            }
        }
        day
    }

    /// The `n`-th working day strictly after `date`; for `n == 0`, `date` itself if it is a
    /// working day, else the next one. Saturates at `NaiveDate::MAX`.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return if self.is_working_day(date) {
                date
            } else {
                self.next_working_day(date)
            };
        }
        let per_week = self.working_days_per_week();
        let last_listed = self.last_listed();
        let mut day = date;
        let mut remaining = n;
        while remaining > 0 {
            // Beyond the listed dates every 7 days hold exactly `per_week` working days, so whole
            // weeks can be skipped; this keeps huge `n` cheap.
            if remaining > per_week && last_listed.is_none_or(|last| last <= day) {
                let weeks = (remaining - 1) / per_week;
                match day.checked_add_days(Days::new(7 * u64::from(weeks))) {
                    Some(later) => day = later,
                    None => return NaiveDate::MAX,
                }
                remaining -= weeks * per_week;
            }
            let next = self.next_working_day(day);
            if next == day {
                return NaiveDate::MAX;
            }
            day = next;
            remaining -= 1;
        }
        day
    }

    /// The instant a period of `n` working days starting at `start` ends (exclusive); see the
    /// module rules.
    pub fn deadline(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let start_date = local_date(self.time_zone, start);
        match self.add_working_days(start_date, n).succ_opt() {
            Some(following) => start_of_day(self.time_zone, following),
            None => DateTime::<Utc>::MAX_UTC,
        }
    }

    /// The number of working days `d` with `from < d <= to`; 0 when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let span = to.signed_duration_since(from).num_days();
        if span <= 0 {
            return 0;
        }
        // Count by the weekly pattern, then correct for the listed dates in range; this stays
        // cheap for ranges of any length.
        let mut count = span / 7 * i64::from(self.working_days_per_week());
        let mut weekday = from.weekday();
        for _ in 0..span % 7 {
            weekday = weekday.succ();
            if !self.weekend.contains(weekday) {
                count += 1;
            }
        }
        let range = (Bound::Excluded(from), Bound::Included(to));
        let on_weekend = |date: &&NaiveDate| self.weekend.contains(date.weekday());
        let holidays_off_weekend = self
            .holidays
            .range(range)
            .filter(|d| !on_weekend(d))
            .count();
        let makeups_on_weekend = self.makeup_workdays.range(range).filter(on_weekend).count();
        count = count - to_i64(holidays_off_weekend) + to_i64(makeups_on_weekend);
        u32::try_from(count.max(0)).unwrap_or(u32::MAX)
    }

    fn working_days_per_week(&self) -> u32 {
        7 - u32::from(self.weekend.len())
    }

    /// The last date whose status is listed rather than given by the weekly pattern.
    fn last_listed(&self) -> Option<NaiveDate> {
        let last_holiday = self.holidays.last().copied();
        last_holiday.max(self.makeup_workdays.last().copied())
    }
}

fn to_i64(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Local wall-clock time of a UTC instant; `None` only beyond chrono's range. Unlike
/// `DateTime::naive_local` this never panics.
fn to_local(tz: Tz, utc: NaiveDateTime) -> Option<NaiveDateTime> {
    let offset = tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    utc.checked_add_signed(TimeDelta::seconds(i64::from(offset)))
}

fn local_date(tz: Tz, instant: DateTime<Utc>) -> NaiveDate {
    match to_local(tz, instant.naive_utc()) {
        Some(local) => local.date(),
        None if instant.year() > 0 => NaiveDate::MAX,
        None => NaiveDate::MIN,
    }
}

/// The first instant of `date` in `tz`.
fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight).earliest() {
        Some(instant) => instant.with_timezone(&Utc),
        None => first_instant_reaching(tz, midnight),
    }
}

/// The first instant whose local time is at or after `local`, for a `local` skipped by a clock
/// change.
fn first_instant_reaching(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // UTC offsets, historical local mean times included, stay well within ±26 hours, so the
    // answer lies between these bounds; bisect on whole seconds, as offsets are whole seconds.
    const MARGIN_SECS: i64 = 26 * 3600;
    let base = local.and_utc().timestamp();
    let reaches = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .and_then(|instant| to_local(tz, instant.naive_utc()))
            .map_or(secs > base, |at| at >= local)
    };
    let mut before = base.saturating_sub(MARGIN_SECS);
    let mut after = base.saturating_add(MARGIN_SECS);
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if reaches(mid) {
            after = mid;
        } else {
            before = mid;
        }
    }
    DateTime::from_timestamp(after, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
