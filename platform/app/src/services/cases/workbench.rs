//! The staff workbench's reads: the work queue (inbox) with its tabs,
//! filters, counts and keyset pages, and what the staff case page needs
//! besides the case (what this person may do to it, the departments to
//! pick from, the working days left).

use super::{day_of, facts_of, handles, holds};
use crate::access::Ctx;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::calendar::WorkingCalendar;
use minsheng_domain::case::{self as machine, Action, State};
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::case;
use minsheng_store::queries::cases::{self as q, Filter, QueueOrder};
use uuid::Uuid;

/// A tab of the work queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// 待受理
    Submitted,
    /// 待交办
    ToAssign,
    /// 办理中
    Handling,
    /// 待审核: held for review.
    Held,
    /// 即将超期: the answer is due within a working day.
    DueSoon,
    /// 已超期
    Overdue,
    /// 督办中
    Supervised,
    /// 已答复 (answered or closed)
    Answered,
    /// 全部
    All,
}

impl Tab {
    pub const ALL: [Tab; 9] = [
        Tab::Submitted,
        Tab::ToAssign,
        Tab::Handling,
        Tab::Held,
        Tab::DueSoon,
        Tab::Overdue,
        Tab::Supervised,
        Tab::Answered,
        Tab::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tab::Submitted => "submitted",
            Tab::ToAssign => "to_assign",
            Tab::Handling => "handling",
            Tab::Held => "held",
            Tab::DueSoon => "due_soon",
            Tab::Overdue => "overdue",
            Tab::Supervised => "supervised",
            Tab::Answered => "answered",
            Tab::All => "all",
        }
    }

    pub fn parse(s: &str) -> Result<Tab, Error> {
        Tab::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Tab::ALL.iter().map(|t| t.as_str()).collect();
                Error::invalid("tab", format!("use one of {}", names.join(", ")))
            })
    }

    /// A tab of open cases (the others hold finished ones too).
    fn is_open(self) -> bool {
        !matches!(self, Tab::Answered | Tab::All)
    }

    /// Open tabs list the earliest deadline first; the others the newest.
    fn order(self) -> QueueOrder {
        if self.is_open() {
            QueueOrder::Deadline
        } else {
            QueueOrder::Newest
        }
    }
}

/// What the queue shows: a tab, narrowed by the filters.
#[derive(Clone, Debug)]
pub struct InboxQuery {
    pub tab: Tab,
    /// A category code.
    pub category: Option<String>,
    /// A department code (lead or co-handler).
    pub department: Option<String>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: Option<String>,
    pub tag: Option<String>,
    /// Submitted on or after this day (the city's time).
    pub from: Option<NaiveDate>,
    /// Submitted on or before this day.
    pub to: Option<NaiveDate>,
    /// Words in the title or text.
    pub text: Option<String>,
    /// The cursor of the page's last case (`next` of the page before).
    pub after: Option<String>,
    pub page_size: u64,
}

impl Default for InboxQuery {
    fn default() -> Self {
        Self {
            tab: Tab::Submitted,
            category: None,
            department: None,
            priority: None,
            tag: None,
            from: None,
            to: None,
            text: None,
            after: None,
            page_size: 25,
        }
    }
}

/// How many cases a tab holds; counting stops at [`COUNT_CAP`] for the
/// tabs of finished cases.
#[derive(Clone, Copy, Debug)]
pub struct TabCount {
    pub tab: Tab,
    pub count: u64,
    /// There are more than `count`.
    pub capped: bool,
}

pub const COUNT_CAP: u64 = 1000;

/// A line of the queue.
#[derive(Clone, Debug)]
pub struct InboxItem {
    pub code: String,
    pub title: String,
    pub state: String,
    pub category_name: String,
    pub department_name: Option<String>,
    pub priority: String,
    pub tags: Vec<String>,
    pub submitted_at: DateTime<Utc>,
    pub answer_deadline: DateTime<Utc>,
    /// Working days left to answer (0: due today; negative: overdue by
    /// that many); none once answered.
    pub days_left: Option<i64>,
    pub held: bool,
    pub supervised: bool,
    pub public: bool,
}

/// One page of the queue.
#[derive(Clone, Debug)]
pub struct Inbox {
    pub tabs: Vec<TabCount>,
    pub items: Vec<InboxItem>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// The departments the queue is limited to (department staff); none
    /// for city-wide staff.
    pub scope: Option<Vec<String>>,
    /// Active departments and categories (code, name), for the filters.
    pub departments: Vec<(String, String)>,
    pub categories: Vec<(String, String)>,
}

/// Working days left until `deadline` on `today`: 0 when due today,
/// negative when overdue.
pub fn days_left(
    working: &WorkingCalendar,
    tenant: &TenantRecord,
    now: DateTime<Utc>,
    deadline: DateTime<Utc>,
) -> i64 {
    let today = day_of(tenant, now);
    let last = day_of(tenant, deadline - Duration::seconds(1));
    if now < deadline {
        i64::from(working.working_days_between(today, last))
    } else {
        -i64::from(working.working_days_between(last, today).max(1))
    }
}

/// The cursor of a case in a queue of `order`.
fn cursor(row: &q::QueueRow, order: QueueOrder) -> String {
    let at = match order {
        QueueOrder::Deadline => row.answer_deadline,
        QueueOrder::Newest => row.submitted_at,
    };
    format!("{}_{}", at.timestamp_nanos_opt().unwrap_or(0), row.id)
}

fn parse_cursor(s: &str) -> Result<(DateTime<Utc>, Uuid), Error> {
    let bad = || Error::invalid("after", "not a page cursor: follow the page's own link");
    let (nanos, id) = s.split_once('_').ok_or_else(bad)?;
    let nanos: i64 = nanos.parse().map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((DateTime::from_timestamp_nanos(nanos), id))
}

/// The staff member's work queue in `tenant`: their departments' cases
/// (city-wide for dispatchers and supervisors).
#[tracing::instrument(name = "case.inbox", skip_all, fields(minsheng.tenant = %tenant.slug))]
pub async fn work_queue(
    ctx: &Ctx,
    tenant: &TenantRecord,
    query: &InboxQuery,
) -> Result<Inbox, Error> {
    ctx.authorize(tenant, "case:read").await?;
    if query.page_size == 0 || query.page_size > 100 {
        return Err(Error::invalid("page_size", "must be between 1 and 100"));
    }
    let after = query.after.as_deref().map(parse_cursor).transpose()?;
    let scope = ctx.department_scope(tenant, "case:read").await;
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let rules = ctx.app.calendars.rules_in(&tx, tenant).await?;
    let names = rules.names.clone();
    let working = rules.calendar.clone();
    let tenant_id = tenant.id.into_uuid();

    // The filters every tab shares.
    let mut base = Filter::default();
    if let Some(scope) = &scope {
        base.departments_any = Some(scope.iter().map(|d| d.into_uuid()).collect());
    }
    if let Some(code) = query.category.as_deref().filter(|c| !c.is_empty()) {
        base.category = Some(
            names
                .category_id(code)
                .ok_or_else(|| Error::invalid("category", format!("no category {code:?}")))?,
        );
    }
    if let Some(code) = query.department.as_deref().filter(|c| !c.is_empty()) {
        let id = names
            .departments
            .iter()
            .find(|(_, v)| v.0 == code)
            .map(|(k, _)| *k)
            .ok_or_else(|| Error::invalid("department", format!("no department {code:?}")))?;
        base.departments_any = Some(match base.departments_any.take() {
            Some(mine) if !mine.contains(&id) => Vec::new(),
            _ => vec![id],
        });
    }
    if let Some(p) = query.priority.as_deref().filter(|p| !p.is_empty()) {
        if !["low", "normal", "high", "urgent"].contains(&p) {
            return Err(Error::invalid(
                "priority",
                "use low, normal, high or urgent",
            ));
        }
        base.priority = Some(crate::services::plugins::chains::priority_from_name(p));
    }
    base.tag = query.tag.clone().filter(|t| !t.trim().is_empty());
    base.search = query
        .text
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| crate::services::search::terms(tenant, t));
    let start_of = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(tenant.time_zone).earliest())
            .map(|t| t.with_timezone(&Utc))
    };
    base.from = query.from.and_then(start_of);
    base.to = query.to.and_then(|d| d.succ_opt()).and_then(start_of);

    let now = ctx.now();
    let soon = working.deadline(now, 1);
    let open: Vec<String> = q::OPEN_STATES.iter().map(|s| (*s).to_owned()).collect();
    let tab_filter = |tab: Tab| {
        let mut f = base.clone();
        match tab {
            Tab::Submitted => f.state = Some("submitted".into()),
            Tab::ToAssign => f.state = Some("accepted".into()),
            Tab::Handling => f.states = Some(vec!["assigned".into(), "in_progress".into()]),
            Tab::Held => {
                f.states = Some(open.clone());
                f.held = true;
            }
            Tab::DueSoon => {
                f.states = Some(open.clone());
                f.deadline_from = Some(now);
                f.deadline_before = Some(soon);
            }
            Tab::Overdue => {
                f.states = Some(open.clone());
                f.deadline_before = Some(now);
            }
            Tab::Supervised => {
                f.states = Some(open.clone());
                f.supervised = true;
            }
            Tab::Answered => f.states = Some(vec!["answered".into(), "closed".into()]),
            Tab::All => {}
        }
        f
    };

    // Every tab counts exactly what it lists (the same filter), in one
    // statement; the finished tabs stop counting at the cap.
    let counted: Vec<(Filter, Option<u64>)> = Tab::ALL
        .iter()
        .map(|&tab| {
            let cap = (!tab.is_open()).then_some(COUNT_CAP + 1);
            (tab_filter(tab), cap)
        })
        .collect();
    let counts = q::count_each(&tx, tenant_id, &counted)
        .await
        .or_internal()?;
    let tabs = Tab::ALL
        .iter()
        .zip(counts)
        .map(|(&tab, count)| {
            let capped = !tab.is_open() && count > COUNT_CAP;
            TabCount {
                tab,
                count: if capped { COUNT_CAP } else { count },
                capped,
            }
        })
        .collect();

    let order = query.tab.order();
    let mut rows = q::queue(
        &tx,
        tenant_id,
        &tab_filter(query.tab),
        order,
        after,
        query.page_size + 1,
    )
    .await
    .or_internal()?;
    let more = rows.len() as u64 > query.page_size;
    rows.truncate(usize::try_from(query.page_size).unwrap_or(usize::MAX));
    let next = more
        .then(|| rows.last().map(|r| cursor(r, order)))
        .flatten();
    let items = rows
        .iter()
        .map(|r| {
            let open = State::parse(&r.state).is_ok_and(State::is_open);
            InboxItem {
                code: r.tracking_code.clone(),
                title: r.title.clone(),
                state: r.state.clone(),
                category_name: names
                    .categories
                    .get(&r.category_id)
                    .map(|c| c.1.clone())
                    .unwrap_or_default(),
                department_name: r
                    .lead_department_id
                    .and_then(|d| names.departments.get(&d))
                    .map(|d| d.1.clone()),
                priority: crate::services::plugins::chains::priority_name(r.priority).to_owned(),
                tags: r
                    .tags
                    .as_ref()
                    .and_then(|t| serde_json::from_value(t.clone()).ok())
                    .unwrap_or_default(),
                submitted_at: r.submitted_at,
                answer_deadline: r.answer_deadline,
                days_left: open.then(|| days_left(&working, tenant, now, r.answer_deadline)),
                held: r.held,
                supervised: r.supervised_at.is_some(),
                public: r.public,
            }
        })
        .collect();
    let scope = scope.map(|s| {
        s.iter()
            .filter_map(|d| names.departments.get(&d.into_uuid()))
            .map(|d| d.1.clone())
            .collect()
    });
    commit(
        tx,
        Inbox {
            tabs,
            items,
            next,
            scope,
            departments: names.active_departments.clone(),
            categories: names.active_categories.clone(),
        },
    )
    .await
}

/// What the staff case page offers this person for this case.
#[derive(Clone, Debug, Default)]
pub struct DeskView {
    /// The lifecycle actions this person may do now (the state allows
    /// them and they hold the permission and, for department staff, lead
    /// the case).
    pub actions: Vec<String>,
    /// Co-handling departments (codes) this person may give the opinion of.
    pub opinion_for: Vec<String>,
    /// May release a held case or make it private.
    pub may_release: bool,
    /// May put the case under supervision (督办 / 催办).
    pub may_supervise: bool,
    /// May write internal notes.
    pub may_note: bool,
    /// May merge duplicates into the case or say they are not (并单).
    pub may_merge: bool,
    /// Working days left to answer; none once answered.
    pub days_left: Option<i64>,
    /// Every active department (code, name), for assigning and transferring.
    pub departments: Vec<(String, String)>,
}

/// What `ctx` may do to a case read in `tx` from the staff case page. A case
/// this person may not read is not found (`case:read` checked by the
/// caller).
pub(super) async fn desk_of(
    ctx: &Ctx,
    tx: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
) -> Result<DeskView, Error> {
    let scope = ctx.department_scope(tenant, "case:read").await;
    if let Some(scope) = &scope
        && !handles(tx, tenant, row, scope).await?
    {
        return Err(Error::not_found(format!("case {:?}", row.tracking_code)));
    }
    let rules = ctx.app.calendars.rules_in(tx, tenant).await?;
    let state = super::state_of(row)?;
    let leads = match ctx.department_scope(tenant, "case:answer").await {
        None => true,
        Some(mine) => row
            .lead_department_id
            .is_some_and(|d| mine.iter().any(|m| m.into_uuid() == d)),
    };
    let mut actions = Vec::new();
    for action in machine::allowed(state, facts_of(row)) {
        let permission = match action {
            Action::Accept | Action::Reject | Action::Close => "case:accept",
            Action::Assign => "case:assign",
            Action::DecideExtension => "case:supervise",
            Action::Reopen => continue,
            Action::Transfer if holds(ctx, tenant, "case:assign").await => "case:assign",
            _ => "case:answer",
        };
        if !holds(ctx, tenant, permission).await {
            continue;
        }
        // Department staff act only on what their department leads.
        let scoped = ctx.department_scope(tenant, permission).await.is_some();
        if scoped && !leads {
            continue;
        }
        actions.push(action.as_str().to_owned());
    }
    let co = q::co_departments(tx, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    let opinion_for = if matches!(state, State::Assigned | State::InProgress)
        && holds(ctx, tenant, "case:answer").await
    {
        let mine = ctx.department_scope(tenant, "case:answer").await;
        co.iter()
            .filter(|d| {
                mine.as_ref()
                    .is_none_or(|m| m.iter().any(|x| x.into_uuid() == **d))
            })
            .filter_map(|d| rules.names.departments.get(d))
            .map(|d| d.0.clone())
            .collect()
    } else {
        Vec::new()
    };
    let may_release = row.review.is_some() && holds(ctx, tenant, "case:accept").await;
    let may_supervise = state.is_open() && holds(ctx, tenant, "case:supervise").await;
    let may_note = holds(ctx, tenant, "case:answer").await;
    let may_merge = row.merged_into_id.is_none() && holds(ctx, tenant, "case:accept").await;
    let days_left = state
        .is_open()
        .then(|| days_left(&rules.calendar, tenant, ctx.now(), row.answer_deadline));
    let departments = rules.names.active_departments.clone();
    Ok(DeskView {
        actions,
        opinion_for,
        may_release,
        may_supervise,
        may_note,
        may_merge,
        days_left,
        departments,
    })
}
