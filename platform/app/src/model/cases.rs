//! Cases: what citizens submit, the public and staff views with their
//! timeline, the inputs of staff actions and ratings, and the statistics.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};

/// A citizen's question or complaint.
#[derive(Clone, Debug, Object, Serialize)]
#[oai(deny_unknown_fields)]
pub struct CaseInput {
    /// The category's code (an Open311 `service_code`).
    pub category: String,
    /// 4 to 100 characters.
    pub title: String,
    /// 10 to 5,000 characters.
    pub text: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Personal data: seen by staff only, never in public.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// Publish the question and answer (default: the category's setting).
    pub public: Option<bool>,
    /// Answers to the category's extra questions (its Open311 attributes):
    /// attribute code → its values (one, or several for a multi-value list).
    #[oai(default)]
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, Vec<String>>,
    /// A link to a photo or other media (http or https).
    pub media_url: Option<String>,
}

/// What a submission returns: keep the secret, it is shown once.
#[derive(Clone, Debug, Object, Serialize, Deserialize)]
pub struct CaseCreated {
    /// Short, readable, unguessable: `XXXX-XXXX-XXXX`.
    pub tracking_code: String,
    /// Lets the citizen act on the case without an account (send it as
    /// `X-Case-Secret`).
    pub secret: String,
    pub state: String,
    pub accept_deadline: DateTime<Utc>,
    pub answer_deadline: DateTime<Utc>,
}

/// A case as anyone may see it: no personal data.
#[derive(Clone, Debug, Object, Serialize)]
pub struct PublicCase {
    pub tracking_code: String,
    pub title: String,
    pub text: String,
    pub address: Option<String>,
    pub category: String,
    pub category_name: String,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub state: String,
    pub submitted_at: DateTime<Utc>,
    pub accept_deadline: DateTime<Utc>,
    pub answer_deadline: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
    /// `satisfied`, `basically_satisfied` or `unsatisfied`.
    pub rating: Option<String>,
    pub views: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Answers to the category's extra questions: code → values.
    pub attributes: std::collections::BTreeMap<String, Vec<String>>,
    pub media_url: Option<String>,
    /// When anything about the case last changed.
    pub updated_at: DateTime<Utc>,
    /// In a search's results: the searched words marked in the title and
    /// in a short piece of the text or answer.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<Highlight>,
}

/// A public, answered case like a question being asked.
#[derive(Clone, Debug, Object, Serialize)]
pub struct SimilarCase {
    pub case: PublicCase,
    /// How alike the two are, 0 to 1 (the share of pairs of neighbouring
    /// characters they have in common).
    pub score: f64,
}

/// Public answered cases like a question, most alike first (at most 5).
#[derive(Clone, Debug, Object, Serialize)]
pub struct SimilarCases {
    pub items: Vec<SimilarCase>,
}

/// Searched words marked for display: HTML, the case's text escaped and
/// each searched word in `<mark>`.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Highlight {
    pub title: String,
    /// About 80 characters of the text (or, when only the answer holds a
    /// searched word, of the answer) around the first searched word.
    pub snippet: String,
}

/// A case as its city's staff (or its own citizen) see it.
#[derive(Clone, Debug, Object, Serialize)]
pub struct CaseDetail {
    pub case: PublicCase,
    pub public: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub co_departments: Vec<String>,
    pub extension_pending: bool,
    pub reopened: i32,
    /// What may be done next (whoever may do it).
    pub allowed_actions: Vec<String>,
    pub timeline: Vec<TimelineEvent>,
    /// Held for review: not public yet, published once staff release it
    /// (shown to its citizen as "public after review").
    pub awaiting_review: bool,
    /// What the city's rules decided (staff only).
    pub flags: Option<CaseFlags>,
    /// The co-handlers' deadlines and opinions (staff only).
    pub opinions: Vec<Opinion>,
    /// When a supervisor put the case under supervision (督办; staff only).
    pub supervised_at: Option<DateTime<Utc>>,
    /// Merged as a duplicate (并单) into the case with this tracking code:
    /// this case is closed and follows that one's answer.
    pub merged_into: Option<String>,
    /// The answer of the case it was merged into, once there is one.
    pub merged_answer: Option<String>,
}

/// A co-handling department (协办) of a case and its opinion.
#[derive(Clone, Debug, Object, Serialize)]
pub struct Opinion {
    pub department: String,
    pub department_name: String,
    /// When the opinion is due.
    pub deadline: Option<DateTime<Utc>>,
    /// The opinion (协办意见), once given.
    pub text: Option<String>,
    pub given_at: Option<DateTime<Utc>>,
    pub given_by: Option<String>,
}

/// What the city's rules (or staff) decided about a case.
#[derive(Clone, Debug, Object, Serialize)]
pub struct CaseFlags {
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub tags: Vec<String>,
    pub spam: bool,
    /// Tracking code of the case this one repeats.
    pub duplicate_of: Option<String>,
    /// Held for review (private until released), with the reasons.
    pub held: Option<Vec<String>>,
    /// A rule failed on this case and the default routing took over.
    pub rule_failed: bool,
    /// The text as the citizen wrote it, when a rule redacted it.
    pub unredacted: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub department: Option<String>,
    pub public: bool,
    pub text: Option<String>,
    /// Who did it; staff views only.
    pub actor: Option<String>,
    /// Details (a rule's plugin, version, fuel, outcome); staff only.
    pub detail: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Object, Serialize)]
pub struct CasePage {
    pub items: Vec<PublicCase>,
    /// The matches; in a public listing counted no further than 1,000 past
    /// this page's last (see `total_capped`).
    pub total: u64,
    /// There are more matches than `total` (a public listing stops
    /// counting 1,000 past the page: counting every case of a large city
    /// on each request cost more than the page).
    pub total_capped: bool,
    pub page: u64,
    pub page_size: u64,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
}

/// What staff decide about a held case: publish it (the default) or keep
/// it private, saying why.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ReleaseInput {
    /// `true` (the default): the case becomes public if the citizen asked
    /// for that; `false`: it stays private.
    #[oai(default = "yes")]
    pub publish: bool,
    /// Why the case stays private (2 to 500 characters; required when
    /// `publish` is `false`). Staff see it on the timeline.
    pub reason: Option<String>,
}

impl Default for ReleaseInput {
    fn default() -> Self {
        Self {
            publish: true,
            reason: None,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AssignInput {
    /// The lead department's code (主办); default: the category's department.
    pub lead: Option<String>,
    /// Co-handling departments' codes (协办).
    pub co: Option<Vec<String>>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TransferInput {
    /// The new lead department's code.
    pub to: String,
    pub reason: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ExtensionInput {
    /// Extra working days, 1 to 30.
    pub working_days: u32,
    pub reason: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DecisionInput {
    pub approve: bool,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TextInput {
    pub text: String,
}

/// 并单: the case (tracking code) a duplicate is merged into.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CaseMergeInput {
    pub into: String,
}

/// The case (tracking code) that is not a duplicate of this one.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NotDuplicateInput {
    pub other: String,
}

/// An answer template (常用语).
#[derive(Clone, Debug, Object, Serialize)]
pub struct AnswerTemplate {
    pub id: uuid::Uuid,
    /// The department's code; none for the whole city.
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub title: String,
    pub text: String,
}

/// A new answer template.
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AnswerTemplateInput {
    /// The department whose staff use it (a code); leave out for the whole
    /// city (city-wide staff only).
    pub department: Option<String>,
    /// 2 to 100 characters.
    pub title: String,
    /// 2 to 5,000 characters.
    pub text: String,
}

/// A co-handling department's opinion (协办意见).
#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct OpinionInput {
    /// The code of the co-handling department it speaks for.
    pub department: String,
    pub text: String,
}

#[derive(Clone, Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RatingInput {
    /// `satisfied` (满意), `basically_satisfied` (基本满意) or `unsatisfied` (不满意).
    pub rating: String,
    /// Seen by staff only.
    pub comment: Option<String>,
}

/// A city's or department's figures for a period.
#[derive(Clone, Debug, Object, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub department: Option<String>,
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    /// answered / received.
    pub answer_rate: f64,
    /// answered on time / answered.
    pub on_time_rate: f64,
    pub average_answer_hours: f64,
    pub rated: i64,
    /// (满意 + 基本满意) / rated.
    pub satisfaction_rate: f64,
    pub views: i64,
    /// Cases that passed their answer deadline unanswered (超期).
    pub overdue: i64,
    /// Cases escalated to supervision (督办).
    pub supervised: i64,
    /// Cases the department was named a co-handler (协办) of.
    pub co_handled: i64,
    /// Co-handling opinions (协办意见) given (the first on each case).
    pub opinions: i64,
    /// Of those, given by the opinion's deadline.
    pub opinions_on_time: i64,
    /// Opinions that passed their deadline ungiven.
    pub opinions_overdue: i64,
}
