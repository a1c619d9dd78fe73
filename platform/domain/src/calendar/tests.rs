//! Tests of the working-day calendar: worked examples and property tests.

use super::*;
use chrono_tz::{America, Asia, Australia, Europe, Pacific};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn days(first: NaiveDate, last: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    first.iter_days().take_while(move |d| *d <= last)
}

/// 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
fn prc_2026() -> WorkingCalendar {
    let holidays = [
        (date(2026, 1, 1), date(2026, 1, 3)),
        (date(2026, 2, 15), date(2026, 2, 23)),
        (date(2026, 4, 4), date(2026, 4, 6)),
        (date(2026, 5, 1), date(2026, 5, 5)),
        (date(2026, 6, 19), date(2026, 6, 21)),
        (date(2026, 9, 25), date(2026, 9, 27)),
        (date(2026, 10, 1), date(2026, 10, 7)),
    ]
    .into_iter()
    .flat_map(|(first, last)| days(first, last));
    let makeups = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)];
    let makeups = makeups.into_iter().map(|(m, d)| date(2026, m, d));
    WorkingCalendar::new(
        Asia::Shanghai,
        [Weekday::Sat, Weekday::Sun],
        holidays,
        makeups,
    )
    .unwrap()
}

fn us_federal_2026() -> WorkingCalendar {
    let holidays = [
        (1, 1),
        (1, 19),
        (2, 16),
        (5, 25),
        (6, 19),
        (7, 3),
        (9, 7),
        (10, 12),
        (11, 11),
        (11, 26),
        (12, 25),
    ];
    let holidays = holidays.into_iter().map(|(m, d)| date(2026, m, d));
    WorkingCalendar::new(America::Chicago, [Weekday::Sat, Weekday::Sun], holidays, []).unwrap()
}

fn every_day(tz: Tz) -> WorkingCalendar {
    WorkingCalendar::new(tz, [], [], []).unwrap()
}

#[test]
fn hand_checked_weekdays() {
    assert_eq!(date(2026, 10, 1).weekday(), Weekday::Thu);
    assert_eq!(date(2026, 10, 10).weekday(), Weekday::Sat);
    assert_eq!(date(2026, 10, 13).weekday(), Weekday::Tue);
    assert_eq!(date(2026, 9, 20).weekday(), Weekday::Sun);
    assert_eq!(date(2026, 2, 14).weekday(), Weekday::Sat);
    assert_eq!(date(2026, 2, 25).weekday(), Weekday::Wed);
    assert_eq!(date(2026, 3, 8).weekday(), Weekday::Sun);
    assert_eq!(date(2026, 11, 1).weekday(), Weekday::Sun);
    assert_eq!(date(2026, 11, 26).weekday(), Weekday::Thu);
}

#[test]
fn national_day_2026() {
    let cal = prc_2026();
    let expected = [(8, 1), (9, 2), (10, 3), (12, 4), (13, 5)];
    for (day, n) in expected {
        assert_eq!(
            cal.add_working_days(date(2026, 9, 30), n),
            date(2026, 10, day)
        );
    }
    // Submitted 2026-09-30 10:00 in Shanghai.
    let start = utc("2026-09-30T10:00:00+08:00");
    assert_eq!(cal.deadline(start, 5), utc("2026-10-13T16:00:00Z"));
    assert_eq!(
        cal.deadline(utc("2026-09-30T23:59:59+08:00"), 5),
        utc("2026-10-13T16:00:00Z")
    );
    assert_eq!(
        cal.working_days_between(date(2026, 9, 30), date(2026, 10, 31)),
        18
    );
}

#[test]
fn the_local_date_counts_not_the_utc_date() {
    let cal = prc_2026();
    // 01:00 on Oct 9 in Shanghai is still Oct 8 in UTC.
    let start = utc("2026-10-09T01:00:00+08:00");
    assert_eq!(cal.deadline(start, 1), utc("2026-10-10T16:00:00Z"));
}

#[test]
fn weekend_makeup_days_count() {
    let cal = prc_2026();
    for (m, d) in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)] {
        assert!(cal.is_working_day(date(2026, m, d)));
    }
    assert!(!cal.is_working_day(date(2026, 9, 19)));
    assert_eq!(cal.next_working_day(date(2026, 9, 18)), date(2026, 9, 20));
    assert_eq!(
        cal.deadline(utc("2026-09-18T09:00:00+08:00"), 1),
        utc("2026-09-20T16:00:00Z")
    );
    // Spring Festival: Sat Feb 14 is worked, Feb 15-23 are off.
    assert_eq!(
        cal.deadline(utc("2026-02-13T17:00:00+08:00"), 3),
        utc("2026-02-25T16:00:00Z")
    );
}

#[test]
fn prc_2026_has_248_working_days() {
    let cal = prc_2026();
    assert_eq!(
        cal.working_days_between(date(2025, 12, 31), date(2026, 12, 31)),
        248
    );
    let walked = days(date(2026, 1, 1), date(2026, 12, 31)).filter(|d| cal.is_working_day(*d));
    assert_eq!(walked.count(), 248);
}

#[test]
fn zero_days_ends_with_the_start_day_or_the_next_working_day() {
    let cal = prc_2026();
    assert_eq!(
        cal.add_working_days(date(2026, 9, 30), 0),
        date(2026, 9, 30)
    );
    assert_eq!(
        cal.add_working_days(date(2026, 10, 2), 0),
        date(2026, 10, 8)
    );
    assert_eq!(
        cal.deadline(utc("2026-09-30T10:00:00+08:00"), 0),
        utc("2026-09-30T16:00:00Z")
    );
}

#[test]
fn us_calendar_across_dst() {
    let cal = us_federal_2026();
    // Friday before spring-forward: CST at the start, CDT at the deadline.
    let friday = utc("2026-03-06T15:00:00-06:00");
    assert_eq!(cal.deadline(friday, 0), utc("2026-03-07T06:00:00Z"));
    assert_eq!(cal.deadline(friday, 1), utc("2026-03-10T05:00:00Z"));
    // Friday before fall-back: CDT at the start, CST at the deadline.
    let friday = utc("2026-10-30T16:00:00-05:00");
    assert_eq!(cal.deadline(friday, 1), utc("2026-11-03T06:00:00Z"));
    // Thanksgiving is skipped; the Friday after it is worked.
    let wednesday = utc("2026-11-25T10:00:00-06:00");
    assert_eq!(cal.deadline(wednesday, 2), utc("2026-12-01T06:00:00Z"));
}

#[test]
fn dst_days_are_23_and_25_hours_long() {
    let cal = every_day(America::Chicago);
    let start = utc("2026-03-07T12:00:00-06:00");
    assert_eq!(cal.deadline(start, 0), utc("2026-03-08T06:00:00Z"));
    assert_eq!(cal.deadline(start, 1), utc("2026-03-09T05:00:00Z"));
    let start = utc("2026-10-31T12:00:00-05:00");
    assert_eq!(cal.deadline(start, 0), utc("2026-11-01T05:00:00Z"));
    assert_eq!(cal.deadline(start, 1), utc("2026-11-02T06:00:00Z"));
}

#[test]
fn skipped_and_repeated_midnights() {
    // Cuba changes clocks at midnight: 2026-03-08 00:00 never happens, 2026-11-01 00:00
    // happens twice.
    let havana = |d: NaiveDate| America::Havana.from_local_datetime(&d.and_time(NaiveTime::MIN));
    assert!(havana(date(2026, 3, 8)).earliest().is_none());
    assert_ne!(
        havana(date(2026, 11, 1)).earliest(),
        havana(date(2026, 11, 1)).latest()
    );
    let cal = every_day(America::Havana);
    assert_eq!(
        cal.deadline(utc("2026-03-07T12:00:00-05:00"), 0),
        utc("2026-03-08T05:00:00Z")
    );
    assert_eq!(
        cal.deadline(utc("2026-10-31T12:00:00-04:00"), 0),
        utc("2026-11-01T04:00:00Z")
    );
    // Samoa skipped 2011-12-30 entirely; the day after Dec 29 starts on Dec 31 at +14.
    let cal = every_day(Pacific::Apia);
    assert_eq!(
        cal.deadline(utc("2011-12-28T12:00:00-10:00"), 1),
        utc("2011-12-30T10:00:00Z")
    );
}

#[test]
fn rejects_inconsistent_rules() {
    let tz = Asia::Shanghai;
    let day = date(2026, 10, 10);
    let twice = WorkingCalendar::new(tz, [Weekday::Sun], [day, day], [date(2026, 1, 4), day]);
    assert_eq!(twice, Err(CalendarError::DateListedTwice(day)));
    let all = [0, 1, 2, 3, 4, 5, 6].map(|i| Weekday::try_from(i).unwrap());
    assert_eq!(
        WorkingCalendar::new(tz, all, [], []),
        Err(CalendarError::NoWorkingDays)
    );
    assert!(WorkingCalendar::new(tz, all.into_iter().skip(1), [day], []).is_ok());
}

#[test]
fn extremes_saturate_without_panicking() {
    let cal = prc_2026();
    assert_eq!(
        cal.deadline(DateTime::<Utc>::MAX_UTC, 1),
        DateTime::<Utc>::MAX_UTC
    );
    assert_eq!(
        cal.deadline(utc("2026-01-01T00:00:00Z"), u32::MAX),
        DateTime::<Utc>::MAX_UTC
    );
    assert!(cal.deadline(DateTime::<Utc>::MIN_UTC, 0) > DateTime::<Utc>::MIN_UTC);
    assert_eq!(cal.next_working_day(NaiveDate::MAX), NaiveDate::MAX);
    assert_eq!(cal.add_working_days(NaiveDate::MAX, 3), NaiveDate::MAX);
    assert!(cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX) > 0);
    assert_eq!(
        cal.working_days_between(date(2026, 2, 1), date(2026, 1, 1)),
        0
    );
}

/// Day-by-day reference for the arithmetic shortcuts.
fn walk_working_days(cal: &WorkingCalendar, date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    let mut found = 0;
    while found < n {
        day = day.succ_opt().unwrap();
        if cal.is_working_day(day) {
            found += 1;
        }
    }
    day
}

const MIDNIGHT_SAFE_ZONES: [Tz; 6] = [
    Asia::Shanghai,
    America::Chicago,
    Europe::London,
    Australia::Lord_Howe,
    Asia::Kolkata,
    Tz::UTC,
];

fn any_date() -> impl Strategy<Value = NaiveDate> + Clone {
    (0u64..2500).prop_map(|offset| date(2024, 1, 1) + Days::new(offset))
}

fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let first = utc("2024-01-01T00:00:00Z").timestamp();
    let last = utc("2030-01-01T00:00:00Z").timestamp();
    (first..last).prop_map(|secs| DateTime::from_timestamp(secs, 0).unwrap())
}

fn any_calendar(zones: &'static [Tz]) -> impl Strategy<Value = WorkingCalendar> {
    let listed = prop::collection::vec(any_date(), 0..60);
    (
        prop::sample::select(zones),
        0u8..127,
        listed.clone(),
        listed,
    )
        .prop_map(|(tz, weekend_bits, holidays, makeups)| {
            let weekend = (0u8..7)
                .filter(|i| weekend_bits & (1 << i) != 0)
                .map(|i| Weekday::try_from(i).unwrap());
            let makeups: Vec<_> = makeups
                .into_iter()
                .filter(|d| !holidays.contains(d))
                .collect();
            WorkingCalendar::new(tz, weekend, holidays, makeups).unwrap()
        })
}

fn with_extra_holiday(cal: &WorkingCalendar, extra: NaiveDate) -> WorkingCalendar {
    let holidays = cal.holidays().iter().copied().chain([extra]);
    let makeups = cal
        .makeup_workdays()
        .iter()
        .copied()
        .filter(|d| *d != extra);
    let weekend = cal.weekend().iter(Weekday::Mon);
    WorkingCalendar::new(cal.time_zone(), weekend, holidays, makeups).unwrap()
}

proptest! {
    #[test]
    fn added_days_are_working_days_and_counted_back(
        cal in any_calendar(&MIDNIGHT_SAFE_ZONES), from in any_date(), n in 0u32..400,
    ) {
        let end = cal.add_working_days(from, n);
        prop_assert!(cal.is_working_day(end));
        if n == 0 {
            let working = cal.is_working_day(from);
            prop_assert_eq!(end, if working { from } else { walk_working_days(&cal, from, 1) });
        } else {
            prop_assert_eq!(end, walk_working_days(&cal, from, n));
            prop_assert_eq!(cal.working_days_between(from, end), n);
        }
    }

    #[test]
    fn monotonic_in_n(
        cal in any_calendar(&MIDNIGHT_SAFE_ZONES), from in any_date(), n in 0u32..400,
    ) {
        let (this, next) = (cal.add_working_days(from, n), cal.add_working_days(from, n + 1));
        prop_assert!(this <= next);
        if n >= 1 {
            prop_assert!(this < next);
        }
    }

    #[test]
    fn between_matches_a_day_by_day_count(
        cal in any_calendar(&MIDNIGHT_SAFE_ZONES), a in any_date(), b in any_date(),
    ) {
        let walked = a.iter_days().skip(1).take_while(|d| *d <= b);
        let walked = walked.filter(|d| cal.is_working_day(*d)).count();
        prop_assert_eq!(cal.working_days_between(a, b) as usize, walked);
    }

    #[test]
    fn an_extra_holiday_never_brings_a_deadline_forward(
        cal in any_calendar(&MIDNIGHT_SAFE_ZONES),
        start in any_instant(),
        extra in any_date(),
        n in 0u32..300,
    ) {
        let stricter = with_extra_holiday(&cal, extra);
        prop_assert!(stricter.deadline(start, n) >= cal.deadline(start, n));
    }

    #[test]
    fn deadlines_are_later_local_midnights(
        cal in any_calendar(&MIDNIGHT_SAFE_ZONES), start in any_instant(), n in 0u32..300,
    ) {
        let deadline = cal.deadline(start, n);
        prop_assert!(deadline > start);
        prop_assert!(deadline <= cal.deadline(start, n + 1));
        let local = to_local(cal.time_zone(), deadline.naive_utc()).unwrap();
        prop_assert_eq!(local.time(), NaiveTime::MIN);
        let last_day = cal.add_working_days(local_date(cal.time_zone(), start), n);
        prop_assert_eq!(local.date(), last_day.succ_opt().unwrap());
    }

    #[test]
    fn deadlines_in_zones_with_midnight_changes_stay_ordered(
        cal in any_calendar(&[America::Havana, America::Santiago, Asia::Beirut, Pacific::Apia]),
        start in any_instant(),
        n in 0u32..300,
    ) {
        let deadline = cal.deadline(start, n);
        prop_assert!(deadline > start);
        let next = cal.deadline(start, n + 1);
        let ordered = if n == 0 { deadline <= next } else { deadline < next };
        prop_assert!(ordered);
    }
}
