//! Campaigns (惠民工程): the campaign with its phases and figures, working
//! groups, suggestions with their answers, clusters, projects with
//! milestones and sources, and the open data. Money is in fen (1 yuan =
//! 100 fen), always an integer.

use super::PublicCase;
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A new campaign; it starts in the `draft` phase.
#[derive(Clone, Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// Lower-case letters, digits and dashes, 2 to 64 characters.
    pub slug: String,
    /// 4 to 200 characters.
    pub title: String,
    /// What is asked, 10 to 20,000 characters.
    pub description: String,
    /// What the campaign may commit, in fen.
    pub budget_fen: i64,
    /// Working days each suggestion has to be answered in (default 15).
    pub answer_days: Option<u32>,
    /// The category codes suggestions are filed under (at least one).
    pub themes: Vec<String>,
    /// Planned start of each phase: phase → date.
    #[oai(default)]
    #[serde(default)]
    pub schedule: BTreeMap<String, NaiveDate>,
}

/// One phase of a campaign: when it is planned and when it began.
#[derive(Clone, Debug, Object, Serialize, Deserialize)]
pub struct PhaseEntry {
    pub phase: String,
    pub planned: Option<NaiveDate>,
    pub started_at: Option<DateTime<Utc>>,
}

/// A project status with the progress it sets.
#[derive(Clone, Debug, Object, Serialize, Deserialize)]
pub struct ProjectStatusView {
    pub code: String,
    pub name: String,
    pub progress: i16,
}

/// What a campaign has done, counted from its rows.
#[derive(Clone, Debug, Default, Object, Serialize, PartialEq)]
pub struct Figures {
    /// Suggestions received.
    pub suggestions: i64,
    /// Suggestions whose answer is published.
    pub answered: i64,
    /// `answered` as a percentage of `suggestions` (one decimal).
    pub answered_share: f64,
    /// Published as adopted or partly adopted.
    pub adopted: i64,
    /// Projects (top-level).
    pub projects: i64,
    /// Projects with at least one suggestion or cluster as source.
    pub projects_from_citizens: i64,
    /// `projects_from_citizens` as a percentage of `projects`.
    pub from_citizens_share: f64,
    /// The planned budget of the projects, in fen.
    pub budget_committed_fen: i64,
    /// Projects delivered.
    pub delivered: i64,
}

/// A campaign as anyone sees it.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Campaign {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub budget_fen: i64,
    /// draft, collecting, answering, selecting, implementing or closed.
    pub phase: String,
    pub phases: Vec<PhaseEntry>,
    pub answer_days: i32,
    pub themes: Vec<String>,
    pub statuses: Vec<ProjectStatusView>,
    pub figures: Figures,
}

/// Move a campaign to its next phase.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PhaseInput {
    /// The phase to enter: the one after the current phase.
    pub phase: String,
}

/// A new working group.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct GroupInput {
    /// 2 to 200 characters, unique in the campaign.
    pub name: String,
    /// Department codes (at least one; a department may serve in several
    /// groups).
    pub departments: Vec<String>,
    /// The campaign's themes this group answers; a suggestion goes to one
    /// of the groups that answer its theme, at random.
    pub themes: Vec<String>,
}

/// A working group of departments.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Group {
    pub id: uuid::Uuid,
    pub name: String,
    pub departments: Vec<String>,
    pub department_names: Vec<String>,
    pub themes: Vec<String>,
    /// Suggestions it answers.
    pub suggestions: i64,
    /// Of those, answered (drafted or published).
    pub answered: i64,
    /// Of those, published.
    pub published: i64,
    /// Not published and past their answer deadline.
    pub overdue: i64,
}

/// A suggestion: a case of kind `suggestion`, with its campaign's side.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Suggestion {
    pub case: PublicCase,
    /// The published disposition (`not_answered` until one is published).
    pub disposition: String,
    /// The published answer.
    pub answer: Option<String>,
    /// Why it is not adopted.
    pub reason: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub group: Option<String>,
    /// The cluster it was merged into.
    pub cluster: Option<ClusterRef>,
    /// The projects it led to, itself or through its cluster.
    pub projects: Vec<ProjectRef>,
}

/// A suggestion as its working group sees it (draft included).
#[derive(Clone, Debug, Object, Serialize)]
pub struct QueueItem {
    pub tracking_code: String,
    pub title: String,
    pub theme: String,
    pub group: Option<String>,
    pub disposition: String,
    pub draft: Option<String>,
    pub reason: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub cluster: Option<ClusterRef>,
    pub submitted_at: DateTime<Utc>,
    pub answer_deadline: DateTime<Utc>,
}

/// One page of suggestions.
#[derive(Clone, Debug, Object, Serialize)]
pub struct SuggestionPage {
    pub items: Vec<Suggestion>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// One page of a working group's queue.
#[derive(Clone, Debug, Object, Serialize)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

/// A working group's answer, kept as a draft unless `publish` is set.
#[derive(Clone, Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
pub struct SuggestionAnswer {
    /// under_study, adopted, partly_adopted, merged, not_adopted or
    /// withdrawn.
    pub disposition: String,
    /// 2 to 5,000 characters.
    pub text: String,
    /// Required for `not_adopted` (2 to 1,000 characters).
    pub reason: Option<String>,
    /// Publish at once (default: keep as a draft).
    pub publish: Option<bool>,
}

/// Publish drafted answers together.
#[derive(Clone, Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct PublishInput {
    /// Tracking codes; leave out for every drafted answer the caller may
    /// publish.
    pub suggestions: Option<Vec<String>>,
}

/// How many answers were published.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Published {
    pub published: u64,
}

/// Merge suggestions into a new cluster or an existing one.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MergeInput {
    /// A title for a new cluster (2 to 200 characters).
    pub title: Option<String>,
    /// An existing cluster to add to, instead.
    pub cluster: Option<uuid::Uuid>,
    /// Tracking codes of the suggestions (at least two for a new cluster).
    pub suggestions: Vec<String>,
}

/// A cluster, for links.
#[derive(Clone, Debug, Object, Serialize)]
pub struct ClusterRef {
    pub id: uuid::Uuid,
    pub title: String,
}

/// A cluster of merged suggestions.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Cluster {
    pub id: uuid::Uuid,
    pub title: String,
    pub suggestions: Vec<SuggestionRef>,
    pub projects: Vec<ProjectRef>,
}

/// A suggestion, for links.
#[derive(Clone, Debug, Object, Serialize)]
pub struct SuggestionRef {
    pub tracking_code: String,
    /// Empty when the suggestion is not public.
    pub title: String,
    pub public: bool,
}

/// A project, for links.
#[derive(Clone, Debug, Object, Serialize)]
pub struct ProjectRef {
    pub reference: String,
    pub title: String,
    pub status: String,
    pub progress: i16,
}

/// A new project.
#[derive(Clone, Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
pub struct ProjectInput {
    /// Unique in the campaign: letters, digits and dashes, 1 to 64.
    pub reference: String,
    pub title: String,
    pub description: String,
    /// One of the campaign's themes.
    pub theme: Option<String>,
    /// The lead department's code.
    pub lead_department: Option<String>,
    pub planned_fen: i64,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// A status code of the campaign (default: the first).
    pub status: Option<String>,
    /// The parent project's reference.
    pub parent: Option<String>,
    /// Its weight in the parent's progress (default 1).
    pub weight: Option<i32>,
    /// Clusters it came from.
    #[oai(default)]
    #[serde(default)]
    pub clusters: Vec<uuid::Uuid>,
    /// Suggestions (tracking codes) it came from.
    #[oai(default)]
    #[serde(default)]
    pub suggestions: Vec<String>,
}

/// A change of a project's status, progress or spending.
#[derive(Clone, Debug, Object, Default)]
#[oai(deny_unknown_fields)]
pub struct ProjectPatch {
    /// A status code; it sets the status's progress unless `progress` is
    /// given.
    pub status: Option<String>,
    /// 0 to 100 (a parent's progress comes from its children).
    pub progress: Option<i16>,
    pub spent_fen: Option<i64>,
}

/// A new milestone.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MilestoneInput {
    pub day: NaiveDate,
    /// 2 to 2,000 characters.
    pub text: String,
    /// An http or https link to an image.
    pub image_url: Option<String>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct Milestone {
    pub id: uuid::Uuid,
    pub day: NaiveDate,
    pub text: String,
    pub image_url: Option<String>,
}

/// Where a project came from: a cluster (with its suggestions) or one
/// suggestion.
#[derive(Clone, Debug, Object, Serialize)]
pub struct ProjectSource {
    pub cluster: Option<ClusterRef>,
    pub suggestions: Vec<SuggestionRef>,
}

/// A project with its milestones and sources.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Project {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub theme: Option<String>,
    pub lead_department: Option<String>,
    pub lead_department_name: Option<String>,
    pub planned_fen: i64,
    pub spent_fen: i64,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub status: String,
    pub status_name: String,
    pub progress: i16,
    pub parent: Option<String>,
    pub weight: i32,
    /// At least one source.
    pub from_citizens: bool,
    pub children: Vec<ProjectRef>,
    pub milestones: Vec<Milestone>,
    pub sources: Vec<ProjectSource>,
}

/// A row of the open data's suggestions (public suggestions only).
#[derive(Clone, Debug, Object, Serialize)]
pub struct OpenSuggestion {
    pub tracking_code: String,
    pub theme: String,
    pub title: String,
    pub submitted_at: DateTime<Utc>,
    pub disposition: String,
    pub answer: Option<String>,
    pub reason: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub cluster_id: Option<uuid::Uuid>,
}

/// A row of the open data's projects.
#[derive(Clone, Debug, Object, Serialize)]
pub struct OpenProject {
    pub reference: String,
    pub title: String,
    pub theme: Option<String>,
    pub lead_department: Option<String>,
    pub planned_fen: i64,
    pub spent_fen: i64,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub status: String,
    pub progress: i16,
    pub parent: Option<String>,
}

/// A row of the open data's sources: a project and a cluster or a public
/// suggestion it came from.
#[derive(Clone, Debug, Object, Serialize)]
pub struct OpenSource {
    pub project: String,
    pub cluster_id: Option<uuid::Uuid>,
    pub tracking_code: Option<String>,
}

/// A campaign's open data.
#[derive(Clone, Debug, Object, Serialize)]
pub struct OpenData {
    pub campaign: String,
    pub figures: Figures,
    pub suggestions: Vec<OpenSuggestion>,
    pub projects: Vec<OpenProject>,
    pub sources: Vec<OpenSource>,
}
