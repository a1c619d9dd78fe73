//! Public-opinion bulletins (三情通报): a city's figures for a closed week
//! or month, counted once when the period ended and never recounted.

use super::Stats;
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};

/// A bulletin as listed: which one, and its period.
#[derive(Clone, Debug, Object, Serialize, PartialEq)]
pub struct BulletinRef {
    /// `weekly` or `monthly`.
    pub kind: String,
    /// 第N期: the city's Nth bulletin of this kind.
    pub number: i32,
    /// The period's first and last day, in the city's time zone.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub published_at: DateTime<Utc>,
}

/// A bulletin with its figures.
#[derive(Clone, Debug, Object, Serialize, PartialEq)]
pub struct Bulletin {
    pub kind: String,
    pub number: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub published_at: DateTime<Utc>,
    pub figures: BulletinFigures,
}

/// What a bulletin says, as counted when its period ended.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
pub struct BulletinFigures {
    /// The city's figures for the period (received, answered, on time,
    /// satisfaction, …).
    pub totals: Stats,
    /// The period before (环比).
    pub previous: Stats,
    /// The same period a year before (同比).
    pub year_before: Stats,
    /// Each department's figures for the period, most cases first.
    pub departments: Vec<Stats>,
    /// Cases received by category, most first, with the period before.
    pub categories: Vec<CategoryFigure>,
    /// Categories with the largest rise against the period before (at
    /// least two more cases), largest first.
    pub rising: Vec<CategoryFigure>,
    /// Words in more of the period's cases than in the four periods
    /// before (see [`TermTrend`]), sharpest rise first.
    #[serde(default)]
    pub rising_terms: Vec<TermTrend>,
}

/// Cases received in one category in the period and the period before.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
pub struct CategoryFigure {
    pub code: String,
    pub name: String,
    pub received: i64,
    pub previous: i64,
    /// received / all received in the period.
    pub share: f64,
}

/// A word found in more of the city's cases than usual.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
pub struct TermTrend {
    pub term: String,
    /// Cases of the window containing the word.
    pub count: i64,
    /// Cases per window containing it in the four windows before (mean).
    pub baseline: f64,
    /// (count − baseline) / √(baseline + 1): larger is a sharper rise.
    pub score: f64,
    /// Seen in less than one case per window before.
    pub new: bool,
}

/// What is rising in the city's cases: the last `days` days against the
/// four periods of the same length before.
#[derive(Clone, Debug, Object, Serialize, PartialEq)]
pub struct Trends {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub days: u32,
    /// Cases filed in the window.
    pub cases: i64,
    /// Rising words, sharpest first (at most 10).
    pub terms: Vec<TermTrend>,
}
