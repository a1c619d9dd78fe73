//! Cases: submission, the lifecycle, answers, ratings, public reading and
//! statistics. Every change appends to the timeline and updates the
//! statistics rollup in the same transaction.

use super::{DbResultExt, calendar, commit};
use crate::access::tokens::{constant_time_eq, sha256_hex};
use crate::access::{Ctx, Principal};
use crate::model::{CaseDetail, CasePage, PublicCase, Stats, TimelineEvent};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, NaiveDate, Utc};
use minsheng_domain::Error;
use minsheng_domain::case::{self as machine, Action, Facts, Rating, State};
use minsheng_domain::ids::{CaseEventId, DepartmentId};
use minsheng_domain::values::{parse_optional_text, parse_text};
use minsheng_store::entity::{case, case_event, category, department};
use minsheng_store::queries::cases::{self as q, Filter, StatDelta};
use minsheng_store::queries::directory;
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
use rand::Rng;
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

/// Unsatisfied ratings that reopen a case; after that it closes.
pub const MAX_REOPENS: u32 = 1;

/// A staff action on a case.
#[derive(Clone, Debug)]
pub enum StaffAction {
    Accept,
    Reject {
        reason: String,
    },
    Assign {
        lead: Option<String>,
        co: Vec<String>,
    },
    Start,
    Transfer {
        to: String,
        reason: String,
    },
    Return {
        reason: String,
    },
    RequestExtension {
        working_days: u32,
        reason: String,
    },
    DecideExtension {
        approve: bool,
        reason: Option<String>,
    },
    Answer {
        text: String,
    },
    Close,
}

impl StaffAction {
    fn action(&self) -> Action {
        match self {
            Self::Accept => Action::Accept,
            Self::Reject { .. } => Action::Reject,
            Self::Assign { .. } => Action::Assign,
            Self::Start => Action::Start,
            Self::Transfer { .. } => Action::Transfer,
            Self::Return { .. } => Action::Return,
            Self::RequestExtension { .. } => Action::RequestExtension,
            Self::DecideExtension { .. } => Action::DecideExtension,
            Self::Answer { .. } => Action::Answer,
            Self::Close => Action::Close,
        }
    }

    /// The permission the action needs.
    fn permission(&self) -> &'static str {
        match self {
            Self::Accept | Self::Reject { .. } | Self::Close => "case:accept",
            Self::Assign { .. } => "case:assign",
            Self::DecideExtension { .. } => "case:supervise",
            Self::Start
            | Self::Transfer { .. }
            | Self::Return { .. }
            | Self::RequestExtension { .. }
            | Self::Answer { .. } => "case:answer",
        }
    }
}

fn state_of(row: &case::Model) -> Result<State, Error> {
    State::parse(&row.state).map_err(Error::internal)
}

fn facts_of(row: &case::Model) -> Facts {
    Facts {
        extension_pending: row.extension_pending,
        reopened: u32::try_from(row.reopened).unwrap_or(0),
        max_reopens: MAX_REOPENS,
    }
}

fn conflict(e: machine::IllegalTransition) -> Error {
    Error::Conflict {
        field: Some("state".into()),
        message: e.to_string(),
    }
}

/// The local day of an instant in the city, for the statistics.
pub(super) fn day_of(tenant: &TenantRecord, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tenant.time_zone).date_naive()
}

/// Add to the city's counters and, when known, the department's, in a
/// random shard so concurrent writers rarely touch the same row. The city's
/// row is always updated before the department's, so two transactions
/// cannot lock them in opposite orders.
pub(super) async fn count(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    department: Option<Uuid>,
    at: DateTime<Utc>,
    delta: StatDelta,
) -> Result<(), Error> {
    let shard = rand::rng().random_range(0..q::STAT_SHARDS);
    let mut rows = vec![Uuid::nil()];
    rows.extend(department);
    q::add_stats(
        db,
        tenant.id.into_uuid(),
        &rows,
        day_of(tenant, at),
        shard,
        delta,
    )
    .await
    .or_internal()
}

/// One timeline entry to append.
pub(super) struct Entry<'a> {
    pub case_id: Uuid,
    /// Who did it, as the timeline shows it.
    pub actor: String,
    pub action: &'a str,
    pub from: Option<State>,
    pub to: Option<State>,
    pub department: Option<Uuid>,
    pub public: bool,
    pub text: Option<String>,
    pub detail: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

impl Entry<'_> {
    /// The row to insert.
    pub(super) fn row(self, tenant: &TenantRecord) -> case_event::ActiveModel {
        case_event::ActiveModel {
            id: Set(CaseEventId::new().into_uuid()),
            tenant_id: Set(tenant.id.into_uuid()),
            case_id: Set(self.case_id),
            at: Set(self.at),
            actor: Set(self.actor),
            action: Set(self.action.to_owned()),
            from_state: Set(self.from.map(|s| s.as_str().to_owned())),
            to_state: Set(self.to.map(|s| s.as_str().to_owned())),
            department_id: Set(self.department),
            public: Set(self.public),
            text: Set(self.text),
            detail: Set(self.detail),
        }
    }
}

/// Append to a case's timeline; entries are never changed afterwards.
pub(super) async fn append(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    entry: Entry<'_>,
) -> Result<(), Error> {
    q::insert_event(db, entry.row(tenant)).await.or_internal()
}

/// Whether the principal holds a permission in the city (no audit entry).
async fn holds(ctx: &Ctx, tenant: &TenantRecord, permission: &str) -> bool {
    match &ctx.principal {
        Principal::Operator { .. } => true,
        Principal::Staff {
            user, tenant: t, ..
        } if *t == tenant.id => ctx.app.policy.allows(*user, tenant.id, permission).await,
        Principal::ApiClient {
            scopes, tenant: t, ..
        } if *t == tenant.id => scopes.iter().any(|s| s == permission),
        _ => false,
    }
}

/// Staff, operators and integrations are not rate-limited like anonymous
/// visitors.
pub(super) fn is_trusted(ctx: &Ctx) -> bool {
    matches!(
        ctx.principal,
        Principal::Staff { .. } | Principal::Operator { .. } | Principal::ApiClient { .. }
    )
}

// ---- reading ------------------------------------------------------------

/// Who may see a case's non-public parts.
enum Access {
    /// Only what is public.
    Public,
    /// The citizen who filed it (secret or account).
    Owner,
    /// The city's staff who may read it.
    Staff,
}

async fn access_to(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
    secret: Option<&str>,
) -> Result<Access, Error> {
    if let Some(secret) = secret
        && constant_time_eq(&sha256_hex(secret), &row.secret_hash)
    {
        return Ok(Access::Owner);
    }
    match &ctx.principal {
        Principal::Citizen {
            user, tenant: t, ..
        } if *t == tenant.id && row.citizen_id == Some(user.into_uuid()) => {
            return Ok(Access::Owner);
        }
        Principal::Operator { .. } => return Ok(Access::Staff),
        Principal::Staff {
            user, tenant: t, ..
        } if *t == tenant.id && ctx.app.policy.allows(*user, tenant.id, "case:read").await => {
            return Ok(match ctx.department_scope(tenant, "case:read").await {
                None => Access::Staff,
                Some(scope) if handles(db, tenant, row, &scope).await? => Access::Staff,
                Some(_) => Access::Public,
            });
        }
        Principal::ApiClient {
            scopes, tenant: t, ..
        } if *t == tenant.id && scopes.iter().any(|s| s == "case:read") => {
            return Ok(Access::Staff);
        }
        _ => {}
    }
    Ok(Access::Public)
}

/// Whether one of `scope`'s departments leads or co-handles the case.
async fn handles(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    row: &case::Model,
    scope: &[DepartmentId],
) -> Result<bool, Error> {
    let mine = |d: &Uuid| scope.iter().any(|s| s.into_uuid() == *d);
    if row.lead_department_id.as_ref().is_some_and(mine) {
        return Ok(true);
    }
    let co = q::co_departments(db, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    Ok(co.iter().any(mine))
}

struct Names {
    departments: HashMap<Uuid, (String, String)>,
    categories: HashMap<Uuid, (String, String)>,
}

impl Names {
    /// The id of the category with this code.
    fn category_id(&self, code: &str) -> Option<Uuid> {
        self.categories
            .iter()
            .find(|(_, v)| v.0 == code)
            .map(|(k, _)| *k)
    }
}

async fn names(db: &impl ConnectionTrait, tenant: &TenantRecord) -> Result<Names, Error> {
    let t = tenant.id.into_uuid();
    let departments = directory::list::<department::Entity>(db, t, true)
        .await
        .or_internal()?
        .into_iter()
        .map(|d| (d.id, (d.code, d.name)))
        .collect();
    let categories = directory::list::<category::Entity>(db, t, true)
        .await
        .or_internal()?
        .into_iter()
        .map(|c| (c.id, (c.code, c.name)))
        .collect();
    Ok(Names {
        departments,
        categories,
    })
}

fn public_view(row: &case::Model, names: &Names) -> PublicCase {
    let dept = row
        .lead_department_id
        .and_then(|d| names.departments.get(&d));
    let cat = names.categories.get(&row.category_id);
    PublicCase {
        tracking_code: row.tracking_code.clone(),
        title: row.title.clone(),
        text: row.body.clone(),
        address: row.address.clone(),
        category: cat.map(|c| c.0.clone()).unwrap_or_default(),
        category_name: cat.map(|c| c.1.clone()).unwrap_or_default(),
        department: dept.map(|d| d.0.clone()),
        department_name: dept.map(|d| d.1.clone()),
        state: row.state.clone(),
        submitted_at: row.submitted_at,
        accept_deadline: row.accept_deadline,
        answer_deadline: row.answer_deadline,
        answered_at: row.answered_at,
        answer: row.answer.clone(),
        rating: row.rating.clone(),
        views: row.views,
        latitude: row.latitude,
        longitude: row.longitude,
        attributes: row
            .attributes
            .as_ref()
            .and_then(|a| a.as_object())
            .map(|answers| {
                answers
                    .iter()
                    .map(|(code, v)| (code.clone(), super::attributes::values(v)))
                    .collect()
            })
            .unwrap_or_default(),
        media_url: row.media_url.clone(),
        updated_at: row.updated_at,
    }
}

/// A timeline entry as shown; who did it only to staff.
fn timeline_view(e: &case_event::Model, names: &Names, staff: bool) -> TimelineEvent {
    TimelineEvent {
        at: e.at,
        action: e.action.clone(),
        from_state: e.from_state.clone(),
        to_state: e.to_state.clone(),
        department: e
            .department_id
            .and_then(|d| names.departments.get(&d))
            .map(|d| d.1.clone()),
        public: e.public,
        text: e.text.clone(),
        actor: staff.then(|| e.actor.clone()),
        detail: staff.then(|| e.detail.clone()).flatten(),
    }
}

async fn find(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    code: &str,
) -> Result<case::Model, Error> {
    let not_found = || Error::not_found(format!("case {code:?}"));
    let code = machine::normalize_tracking_code(code).ok_or_else(not_found)?;
    q::by_code(db, tenant.id.into_uuid(), &code)
        .await
        .or_internal()?
        .ok_or_else(not_found)
}

/// One case: public cases to anyone; private ones only to their citizen and
/// the city's staff (anyone else is told it does not exist). Staff and the
/// owner also see personal data and (staff) the internal timeline.
pub async fn get(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
) -> Result<CaseDetail, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    let access = access_to(ctx, &tx, tenant, &row, secret).await?;
    if !row.public && matches!(access, Access::Public) {
        return Err(Error::not_found(format!("case {code:?}")));
    }
    let names = names(&tx, tenant).await?;
    let staff = matches!(access, Access::Staff);
    let personal = !matches!(access, Access::Public);
    let events = q::events(&tx, tenant.id.into_uuid(), row.id, staff)
        .await
        .or_internal()?;
    let co = q::co_departments(&tx, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    let timeline = events
        .iter()
        .map(|e| timeline_view(e, &names, staff))
        .collect();
    let allowed = State::parse(&row.state)
        .map(|s| {
            machine::allowed(s, facts_of(&row))
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let detail = CaseDetail {
        case: public_view(&row, &names),
        public: row.public,
        contact_name: personal.then(|| row.contact_name.clone()).flatten(),
        contact_phone: personal.then(|| row.contact_phone.clone()).flatten(),
        contact_email: personal.then(|| row.contact_email.clone()).flatten(),
        co_departments: co
            .iter()
            .filter_map(|d| names.departments.get(d))
            .map(|d| d.0.clone())
            .collect(),
        extension_pending: row.extension_pending,
        reopened: row.reopened,
        allowed_actions: if staff { allowed } else { Vec::new() },
        timeline,
        flags: staff.then(|| flags_of(&row)),
    };
    commit(tx, detail).await
}

fn flags_of(row: &case::Model) -> crate::model::CaseFlags {
    crate::model::CaseFlags {
        priority: super::rules::priority_name(row.priority).to_owned(),
        tags: row
            .tags
            .as_ref()
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default(),
        spam: row.spam,
        duplicate_of: row.duplicate_of.clone(),
        held: row
            .review
            .as_ref()
            .map(|r| serde_json::from_value(r["reasons"].clone()).unwrap_or_default()),
        rule_failed: row.rule_failed,
        unredacted: row.unredacted.clone(),
    }
}

/// Release a case a rule held for review: it becomes public if the
/// citizen (and the rules) wanted it public.
pub async fn release(ctx: &Ctx, tenant: &TenantRecord, code: &str) -> Result<(), Error> {
    ctx.authorize(tenant, "case:accept").await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    if !matches!(
        access_to(ctx, &tx, tenant, &row, None).await?,
        Access::Staff
    ) {
        return Err(Error::not_found(format!("case {code:?}")));
    }
    let Some(review) = row.review.clone() else {
        return Err(Error::Conflict {
            field: Some("review".into()),
            message: "this case is not held for review".into(),
        });
    };
    let public = review["public"].as_bool().unwrap_or(false);
    let now = ctx.now();
    q::update_by_id(
        &tx,
        tenant.id.into_uuid(),
        row.id,
        case::ActiveModel {
            review: Set(None),
            public: Set(public),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await
    .or_internal()?;
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "released",
            from: None,
            to: None,
            department: row.lead_department_id,
            public: false,
            text: None,
            detail: Some(serde_json::json!({ "public": public })),
            at: now,
        },
    )
    .await?;
    commit(tx, ()).await
}

/// A reader saw a public case: count it in the background unless the same
/// reader saw it moments ago (a reload storm counts once). Never delays or
/// fails the page.
pub fn note_view(
    state: &crate::App,
    tenant: &TenantRecord,
    code: &str,
    reader: Option<std::net::IpAddr>,
) {
    if state.views.first_in_window(tenant.id, code, reader) {
        let (state, tenant, code) = (state.clone(), tenant.clone(), code.to_owned());
        tokio::spawn(async move {
            if let Err(e) = count_view(&state, &tenant, &code).await {
                tracing::warn!(error = %e, "cannot count a view");
            }
        });
    }
}

/// Count a view of a public case. Called without waiting: a failure is
/// logged and never reaches the reader.
pub async fn count_view(
    state: &crate::App,
    tenant: &TenantRecord,
    code: &str,
) -> Result<(), Error> {
    let tx = state.tenant_tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    q::add_view(&tx, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?;
    count(
        &tx,
        tenant,
        row.lead_department_id,
        Utc::now(),
        StatDelta {
            views: 1,
            ..Default::default()
        },
    )
    .await?;
    commit(tx, ()).await
}

/// A page of public cases, newest first.
pub async fn list_public(
    ctx: &Ctx,
    tenant: &TenantRecord,
    filter: Filter,
    department: Option<&str>,
    category: Option<&str>,
    page: u64,
    page_size: u64,
) -> Result<CasePage, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(&tx, tenant).await?;
    let filter = public_filter(&names, filter, department, category)?;
    page_of(tx, tenant, &names, &filter, page, page_size).await
}

/// `filter` limited to public cases, with department and category codes
/// turned into ids.
fn public_filter(
    names: &Names,
    mut filter: Filter,
    department: Option<&str>,
    category: Option<&str>,
) -> Result<Filter, Error> {
    if let Some(code) = department {
        let d = names
            .departments
            .iter()
            .find(|(_, v)| v.0 == code)
            .map(|(k, _)| *k);
        filter.department =
            Some(d.ok_or_else(|| Error::invalid("department", format!("no department {code:?}")))?);
    }
    if let Some(code) = category {
        filter.category = Some(
            names
                .category_id(code)
                .ok_or_else(|| Error::invalid("category", format!("no category {code:?}")))?,
        );
    }
    filter.public_only = true;
    Ok(filter)
}

/// A page of public cases for people browsing: whether there is a next
/// page, and the number of matches counted up to [`BROWSE_COUNT_CAP`]
/// (counting every match of a large city on every page view costs more
/// than the page itself).
pub struct Browse {
    pub items: Vec<PublicCase>,
    /// Matches, at most the cap.
    pub total: u64,
    /// There are more matches than `total`.
    pub capped: bool,
    /// There is a page after this one.
    pub more: bool,
}

pub const BROWSE_COUNT_CAP: u64 = 1000;

pub async fn browse_public(
    ctx: &Ctx,
    tenant: &TenantRecord,
    filter: Filter,
    department: Option<&str>,
    category: Option<&str>,
    page: u64,
    page_size: u64,
) -> Result<Browse, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(&tx, tenant).await?;
    let filter = public_filter(&names, filter, department, category)?;
    let tenant_id = tenant.id.into_uuid();
    let mut rows = q::page(&tx, tenant_id, &filter, page, page_size + 1)
        .await
        .or_internal()?;
    let more = rows.len() as u64 > page_size;
    rows.truncate(usize::try_from(page_size).unwrap_or(usize::MAX));
    let counted = q::count_capped(&tx, tenant_id, &filter, BROWSE_COUNT_CAP + 1)
        .await
        .or_internal()?;
    let browse = Browse {
        items: rows.iter().map(|r| public_view(r, &names)).collect(),
        total: counted.min(BROWSE_COUNT_CAP),
        capped: counted > BROWSE_COUNT_CAP,
        more,
    };
    commit(tx, browse).await
}

/// The newest `limit` public cases matching `filter`, without counting
/// them all (the home page, department pages and the sitemap).
pub async fn list_recent_public(
    ctx: &Ctx,
    tenant: &TenantRecord,
    mut filter: Filter,
    limit: u64,
) -> Result<Vec<PublicCase>, Error> {
    filter.public_only = true;
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(&tx, tenant).await?;
    let rows = q::page(&tx, tenant.id.into_uuid(), &filter, 0, limit)
        .await
        .or_internal()?;
    let items = rows.iter().map(|r| public_view(r, &names)).collect();
    commit(tx, items).await
}

/// Public cases for Open311 clients: page `page` (from 1) of up to 1,000,
/// newest first, optionally of one category, without a total count.
pub async fn list_open311(
    ctx: &Ctx,
    tenant: &TenantRecord,
    mut filter: Filter,
    category: Option<&str>,
    page: u64,
    page_size: u64,
) -> Result<Vec<PublicCase>, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(&tx, tenant).await?;
    if let Some(code) = category {
        filter.category = Some(
            names
                .category_id(code)
                .ok_or_else(|| Error::not_found(format!("service_code {code:?}")))?,
        );
    }
    filter.public_only = true;
    if page_size == 0 || page_size > 1000 {
        return Err(Error::invalid("page_size", "must be between 1 and 1000"));
    }
    let rows = q::page(
        &tx,
        tenant.id.into_uuid(),
        &filter,
        page.saturating_sub(1),
        page_size,
    )
    .await
    .or_internal()?;
    tx.commit().await.or_internal()?;
    Ok(rows.iter().map(|r| public_view(r, &names)).collect())
}

/// Public timeline entries of public cases, oldest first, for clients that
/// sync (the Open311 updates extension).
pub async fn public_updates(
    ctx: &Ctx,
    tenant: &TenantRecord,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    codes: Option<&[String]>,
    limit: u64,
) -> Result<Vec<(TimelineEvent, PublicCase, uuid::Uuid)>, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(&tx, tenant).await?;
    let rows = q::public_events(&tx, tenant.id.into_uuid(), from, to, codes, limit)
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    Ok(rows
        .into_iter()
        .map(|(event, row)| {
            let id = event.id;
            (
                timeline_view(&event, &names, false),
                public_view(&row, &names),
                id,
            )
        })
        .collect())
}

/// One page of a listing, in public view, committing the read transaction.
async fn page_of(
    tx: DatabaseTransaction,
    tenant: &TenantRecord,
    names: &Names,
    filter: &Filter,
    page: u64,
    page_size: u64,
) -> Result<CasePage, Error> {
    if page_size == 0 || page_size > 100 {
        return Err(Error::invalid("page_size", "must be between 1 and 100"));
    }
    let (rows, total) = q::list(&tx, tenant.id.into_uuid(), filter, page, page_size)
        .await
        .or_internal()?;
    let items = rows.iter().map(|r| public_view(r, names)).collect();
    commit(
        tx,
        CasePage {
            items,
            total,
            page,
            page_size,
        },
    )
    .await
}

/// A department's inbox: every case (public or not) it leads or co-handles;
/// city-wide readers see all the city's cases.
pub async fn inbox(
    ctx: &Ctx,
    tenant: &TenantRecord,
    mut filter: Filter,
    page: u64,
    page_size: u64,
) -> Result<CasePage, Error> {
    ctx.authorize(tenant, "case:read").await?;
    if let Some(scope) = ctx.department_scope(tenant, "case:read").await {
        filter.departments_any = Some(scope.iter().map(|d| d.into_uuid()).collect());
    }
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(&tx, tenant).await?;
    page_of(tx, tenant, &names, &filter, page, page_size).await
}

// ---- staff actions --------------------------------------------------------

async fn department_by_code(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    field: &str,
    code: &str,
) -> Result<Uuid, Error> {
    directory::by_code::<department::Entity>(db, tenant.id.into_uuid(), code)
        .await
        .or_internal()?
        .filter(|d| d.active)
        .map(|d| d.id)
        .ok_or_else(|| Error::invalid(field, format!("no active department {code:?} in this city")))
}

/// Do `action` to the case, as a member of the city's staff.
#[tracing::instrument(name = "case.act", skip_all, fields(minsheng.tenant = %tenant.slug))]
pub async fn act(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    action: StaffAction,
) -> Result<CaseDetail, Error> {
    // Dispatchers reroute any case; the lead department may transfer its own.
    let permission = match &action {
        StaffAction::Transfer { .. } if holds(ctx, tenant, "case:assign").await => "case:assign",
        _ => action.permission(),
    };
    ctx.authorize(tenant, permission).await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    // Department staff act only on the cases their departments lead.
    if let Some(scope) = ctx.department_scope(tenant, permission).await {
        if !handles(&tx, tenant, &row, &scope).await? {
            return Err(Error::not_found(format!("case {code:?}")));
        }
        let leads = row
            .lead_department_id
            .is_some_and(|d| scope.iter().any(|s| s.into_uuid() == d));
        if !leads {
            return Err(Error::Forbidden(
                "only the lead department (主办) may do this".into(),
            ));
        }
    }
    let from = state_of(&row)?;
    let step = machine::apply(from, facts_of(&row), action.action()).map_err(conflict)?;
    let now = ctx.now();
    let mut update = case::ActiveModel {
        state: Set(step.to.as_str().to_owned()),
        extension_pending: Set(step.extension_pending),
        reopened: Set(i32::try_from(step.reopened).unwrap_or(i32::MAX)),
        updated_at: Set(now),
        ..Default::default()
    };
    let mut lead = row.lead_department_id;
    let (mut public, mut text, mut detail, mut delta) = (true, None, None, StatDelta::default());
    let mut update_deadline = None;
    match &action {
        StaffAction::Accept => {
            update.accepted_at = Set(Some(now));
            delta.accepted = 1;
        }
        StaffAction::Reject { reason } => {
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
            update.closed_at = Set(Some(now));
        }
        StaffAction::Assign { lead: given, co } => {
            let chosen = match given {
                Some(code) => Some(department_by_code(&tx, tenant, "lead", code).await?),
                None => row.lead_department_id,
            };
            let chosen = chosen.ok_or_else(|| {
                Error::invalid("lead", "this category has no default department: name one")
            })?;
            let mut co_ids = Vec::new();
            for (i, code) in co.iter().enumerate() {
                let id = department_by_code(&tx, tenant, &format!("co[{i}]"), code).await?;
                if id != chosen && !co_ids.contains(&id) {
                    co_ids.push(id);
                }
            }
            q::set_co_departments(&tx, tenant.id.into_uuid(), row.id, &co_ids)
                .await
                .or_internal()?;
            lead = Some(chosen);
            update.lead_department_id = Set(lead);
        }
        StaffAction::Start => {}
        StaffAction::Transfer { to, reason } => {
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
            let to = department_by_code(&tx, tenant, "to", to).await?;
            if Some(to) == row.lead_department_id {
                return Err(Error::invalid(
                    "to",
                    "the case is already with this department",
                ));
            }
            lead = Some(to);
            update.lead_department_id = Set(lead);
        }
        StaffAction::Return { reason } => {
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
        }
        StaffAction::RequestExtension {
            working_days,
            reason,
        } => {
            if !(1..=30).contains(working_days) {
                return Err(Error::invalid("working_days", "must be between 1 and 30"));
            }
            text = Some(parse_text(reason, 2, 1000).map_err(|m| Error::invalid("reason", m))?);
            detail = Some(serde_json::json!({ "days": working_days }));
            public = false;
        }
        StaffAction::DecideExtension { approve, reason } => {
            text = parse_optional_text(reason.as_deref(), 1000)
                .map_err(|m| Error::invalid("reason", m))?;
            if *approve {
                let days = requested_days(&tx, tenant, row.id).await?;
                let working = calendar::working_calendar(&tx, tenant).await?;
                let extended =
                    working.deadline(row.answer_deadline - chrono::Duration::seconds(1), days);
                update.answer_deadline = Set(extended);
                update.escalation_level = Set(0);
                update_deadline = Some(extended);
                detail = Some(
                    serde_json::json!({ "approved": true, "days": days, "answer_deadline": extended }),
                );
            } else {
                detail = Some(serde_json::json!({ "approved": false }));
            }
        }
        StaffAction::Answer { text: answer } => {
            let answer = parse_text(answer, 2, 5000).map_err(|m| Error::invalid("text", m))?;
            // A reopened case's second answer does not count again.
            let first = row.answered_at.is_none();
            let on_time = now <= row.answer_deadline;
            let seconds = (now - row.submitted_at).num_seconds().max(0);
            update.answer = Set(Some(answer.clone()));
            update.answered_at = Set(Some(now));
            update.rating = Set(None);
            update.rating_comment = Set(None);
            update.rated_at = Set(None);
            text = Some(answer);
            detail =
                Some(serde_json::json!({ "first": first, "on_time": on_time, "seconds": seconds }));
            if first {
                delta.answered = 1;
                delta.answered_on_time = i64::from(on_time);
                delta.answer_seconds = seconds;
            }
        }
        StaffAction::Close => {
            update.closed_at = Set(Some(now));
        }
    }
    if !q::update_fenced(&tx, tenant.id.into_uuid(), row.id, &row.state, update)
        .await
        .or_internal()?
    {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case changed while you were acting on it; reload and try again".into(),
        });
    }
    let to = (step.to != from).then_some(step.to);
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: action.action().as_str(),
            from: Some(from),
            to,
            department: lead,
            public,
            text,
            detail,
            at: now,
        },
    )
    .await?;
    if delta != StatDelta::default() {
        count(&tx, tenant, lead, now, delta).await?;
    }
    follow_up(ctx, &tx, tenant, &row, &action, update_deadline, lead, now).await?;
    tx.commit().await.or_internal()?;
    if matches!(action, StaffAction::Answer { .. }) {
        ctx.app.metrics.count(
            "minsheng_cases_answered_total",
            vec![("tenant", tenant.slug.clone())],
        );
    }
    get(ctx, tenant, code, None).await
}

/// What a staff action means for the escalation ladder and the citizen's
/// mail, in the action's transaction: an answer, a rejection or closing
/// ends the ladder; an extension starts it again for the new deadline; an
/// answer is mailed to the citizen who left an address.
#[allow(clippy::too_many_arguments)]
async fn follow_up(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    row: &case::Model,
    action: &StaffAction,
    new_deadline: Option<DateTime<Utc>>,
    lead: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    use super::escalation;
    let event = match action {
        StaffAction::Accept => Some(("case.accepted", "accepted")),
        StaffAction::Assign { .. } => Some(("case.assigned", "assigned")),
        StaffAction::Answer { .. } => Some(("case.answered", "answered")),
        StaffAction::Close => Some(("case.closed", "closed")),
        StaffAction::Reject { .. } => Some(("case.rejected", "rejected")),
        _ => None,
    };
    if let Some((event, state)) = event {
        let department = match lead {
            Some(d) => names(tx, tenant)
                .await?
                .departments
                .get(&d)
                .map(|n| n.0.clone()),
            None => None,
        };
        super::webhooks::enqueue(
            tx,
            tenant,
            row.id,
            event,
            super::webhooks::case_data(tenant, row, state, department.as_deref()),
            now,
        )
        .await?;
    }
    match action {
        StaffAction::Answer { text } => {
            escalation::cancel(tx, tenant, row.id, now).await?;
            if let Some(to) = row.contact_email.as_deref() {
                let department = match lead {
                    Some(d) => names(tx, tenant)
                        .await?
                        .departments
                        .get(&d)
                        .map(|n| n.1.clone())
                        .unwrap_or_default(),
                    None => String::new(),
                };
                let facts = escalation::Facts {
                    code: &row.tracking_code,
                    title: &row.title,
                    deadline: &escalation::local_time(tenant, row.answer_deadline),
                    department: &department,
                    answer: text.trim(),
                    link: &escalation::case_link(&ctx.app, tenant, &row.tracking_code),
                };
                let message =
                    escalation::email(tenant, row.id, to, "case.answered", "answered", &facts, now);
                minsheng_store::queries::escalation::insert_outbox(tx, vec![message])
                    .await
                    .or_internal()?;
            }
        }
        StaffAction::Reject { .. } | StaffAction::Close => {
            escalation::cancel(tx, tenant, row.id, now).await?;
        }
        StaffAction::DecideExtension { approve: true, .. } => {
            if let Some(deadline) = new_deadline {
                escalation::reschedule(
                    tx,
                    tenant,
                    row.id,
                    row.submitted_at,
                    deadline,
                    ctx.app.config.reminder_share,
                    now,
                )
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn requested_days(
    db: &DatabaseTransaction,
    tenant: &TenantRecord,
    case_id: Uuid,
) -> Result<u32, Error> {
    let events = q::events(db, tenant.id.into_uuid(), case_id, true)
        .await
        .or_internal()?;
    events
        .iter()
        .rev()
        .find(|e| e.action == Action::RequestExtension.as_str())
        .and_then(|e| e.detail.as_ref())
        .and_then(|d| d["days"].as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .ok_or_else(|| Error::internal("extension request without days"))
}

/// An internal note by staff who handle the case.
pub async fn note(ctx: &Ctx, tenant: &TenantRecord, code: &str, text: &str) -> Result<(), Error> {
    ctx.authorize(tenant, "case:answer").await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    if !matches!(
        access_to(ctx, &tx, tenant, &row, None).await?,
        Access::Staff
    ) {
        return Err(Error::not_found(format!("case {code:?}")));
    }
    let text = parse_text(text, 1, 5000).map_err(|m| Error::invalid("text", m))?;
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "note",
            from: None,
            to: None,
            department: row.lead_department_id,
            public: false,
            text: Some(text),
            detail: None,
            at: ctx.now(),
        },
    )
    .await?;
    commit(tx, ()).await
}

// ---- the citizen ----------------------------------------------------------

async fn owned(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
) -> Result<case::Model, Error> {
    let row = find(tx, tenant, code).await?;
    match access_to(ctx, tx, tenant, &row, secret).await? {
        Access::Owner => Ok(row),
        _ if !row.public => Err(Error::not_found(format!("case {code:?}"))),
        _ => Err(Error::Forbidden(
            "send the case's secret (X-Case-Secret) or sign in as the citizen who filed it".into(),
        )),
    }
}

/// The case as the citizen who filed it sees it (with its secret, or signed
/// in as its citizen): contact data included, internal steps not. Anyone
/// else is refused as [`owned`] refuses them.
pub async fn get_own(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
) -> Result<CaseDetail, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    owned(ctx, &tx, tenant, code, secret).await?;
    commit(tx, ()).await?;
    get(ctx, tenant, code, secret).await
}

/// The cases the signed-in citizen filed in this city, newest first.
pub async fn mine(
    ctx: &Ctx,
    tenant: &TenantRecord,
    page: u64,
    page_size: u64,
) -> Result<CasePage, Error> {
    let citizen = match &ctx.principal {
        Principal::Citizen {
            user, tenant: t, ..
        } if *t == tenant.id => user.into_uuid(),
        _ => {
            return Err(Error::Unauthenticated(
                "sign in as a citizen of this city to see your cases".into(),
            ));
        }
    };
    let tx = ctx.read_tx(tenant.id).await?;
    let names = names(&tx, tenant).await?;
    let filter = Filter {
        citizen: Some(citizen),
        ..Default::default()
    };
    page_of(tx, tenant, &names, &filter, page, page_size).await
}

/// More information from the citizen; staff see it on the timeline.
pub async fn add_information(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
    text: &str,
) -> Result<(), Error> {
    if !is_trusted(ctx) {
        ctx.app
            .limits
            .take(&format!("case-info:{}", tenant.slug), ctx.ip)?;
    }
    let tx = ctx.tx(tenant.id).await?;
    let row = owned(ctx, &tx, tenant, code, secret).await?;
    let text = parse_text(text, 1, 5000).map_err(|m| Error::invalid("text", m))?;
    if matches!(
        State::parse(&row.state),
        Ok(State::Closed | State::Rejected)
    ) {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case is finished".into(),
        });
    }
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "information",
            from: None,
            to: None,
            department: row.lead_department_id,
            public: false,
            text: Some(text),
            detail: None,
            at: ctx.now(),
        },
    )
    .await?;
    commit(tx, ()).await
}

/// The citizen rates the answer, once per answer. A satisfied rating closes
/// the case; an unsatisfied one reopens it (once), then closes it.
#[tracing::instrument(name = "case.rate", skip_all, fields(minsheng.tenant = %tenant.slug))]
pub async fn rate(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    secret: Option<&str>,
    rating: &str,
    comment: Option<&str>,
) -> Result<CaseDetail, Error> {
    if !is_trusted(ctx) {
        ctx.app
            .limits
            .take(&format!("rate:{}", tenant.slug), ctx.ip)?;
    }
    let rating = Rating::parse(rating).map_err(|m| Error::invalid("rating", m))?;
    let comment = parse_optional_text(comment, 1000).map_err(|m| Error::invalid("comment", m))?;
    // Read before the write transaction (cached): whether the city has
    // escalation rules to tell.
    let rules = super::escalation_rules::any(&ctx.app, tenant).await?;
    let tx = ctx.tx(tenant.id).await?;
    let row = owned(ctx, &tx, tenant, code, secret).await?;
    let from = state_of(&row)?;
    if from != State::Answered {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: format!("only an answered case can be rated; this one is {from}"),
        });
    }
    if row.rating.is_some() {
        return Err(Error::Conflict {
            field: Some("rating".into()),
            message: "this answer is already rated".into(),
        });
    }
    let now = ctx.now();
    let action = match rating {
        Rating::Unsatisfied if u32::try_from(row.reopened).unwrap_or(0) < MAX_REOPENS => {
            Action::Reopen
        }
        _ => Action::Close,
    };
    let step = machine::apply(from, facts_of(&row), action).map_err(conflict)?;
    let update = case::ActiveModel {
        state: Set(step.to.as_str().to_owned()),
        reopened: Set(i32::try_from(step.reopened).unwrap_or(i32::MAX)),
        extension_pending: Set(step.extension_pending),
        rating: Set(Some(rating.as_str().to_owned())),
        rating_comment: Set(comment.clone()),
        rated_at: Set(Some(now)),
        closed_at: Set((step.to == State::Closed).then_some(now)),
        updated_at: Set(now),
        ..Default::default()
    };
    if !q::update_fenced(&tx, tenant.id.into_uuid(), row.id, &row.state, update)
        .await
        .or_internal()?
    {
        return Err(Error::Conflict {
            field: Some("state".into()),
            message: "the case changed; reload".into(),
        });
    }
    let lead = row.lead_department_id;
    let rated = serde_json::json!({ "rating": rating.as_str() });
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: "rated",
            from: None,
            to: None,
            department: lead,
            public: true,
            text: None,
            detail: Some(rated),
            at: now,
        },
    )
    .await?;
    super::webhooks::enqueue(
        &tx,
        tenant,
        row.id,
        "case.rated",
        super::webhooks::case_data(tenant, &row, step.to.as_str(), None),
        now,
    )
    .await?;
    if let Some(comment) = comment {
        append(
            &tx,
            tenant,
            Entry {
                case_id: row.id,
                actor: ctx.principal.label(),
                action: "rating_comment",
                from: None,
                to: None,
                department: lead,
                public: false,
                text: Some(comment),
                detail: None,
                at: now,
            },
        )
        .await?;
    }
    append(
        &tx,
        tenant,
        Entry {
            case_id: row.id,
            actor: ctx.principal.label(),
            action: action.as_str(),
            from: Some(from),
            to: Some(step.to),
            department: lead,
            public: true,
            text: None,
            detail: None,
            at: now,
        },
    )
    .await?;
    let delta = StatDelta {
        rated: 1,
        satisfied: i64::from(rating.is_satisfied()),
        ..Default::default()
    };
    count(&tx, tenant, lead, now, delta).await?;
    if rules && !rating.is_satisfied() {
        use minsheng_plugin_host::types::EscalationEvent;
        let mut steps = vec![super::escalation_rules::step(
            tenant,
            row.id,
            EscalationEvent::UnsatisfiedRating,
            now,
            now,
        )];
        if action == Action::Reopen {
            steps.push(super::escalation_rules::step(
                tenant,
                row.id,
                EscalationEvent::Reopened,
                now,
                now,
            ));
        }
        minsheng_store::queries::escalation::insert_due(&tx, steps)
            .await
            .or_internal()?;
    }
    tx.commit().await.or_internal()?;
    get(ctx, tenant, code, secret).await
}

// ---- statistics -------------------------------------------------------------

fn summarize(
    totals: &q::StatTotals,
    from: NaiveDate,
    to: NaiveDate,
    department: Option<String>,
) -> Stats {
    let t = totals;
    let ratio = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Stats {
        from,
        to,
        department,
        received: t.received,
        accepted: t.accepted,
        answered: t.answered,
        answer_rate: ratio(t.answered, t.received),
        on_time_rate: ratio(t.answered_on_time, t.answered),
        average_answer_hours: ratio(t.answer_seconds, t.answered) / 3600.0,
        rated: t.rated,
        satisfaction_rate: ratio(t.satisfied, t.rated),
        views: t.views,
        overdue: t.overdue,
        supervised: t.supervised,
    }
}

/// A city's figures for a period (default: the last 365 days), read from
/// the rollup: the cost grows with days, not cases.
pub async fn city_stats(
    ctx: &Ctx,
    tenant: &TenantRecord,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Stats, Error> {
    let (from, to) = window(tenant, from, to)?;
    let tx = ctx.read_tx(tenant.id).await?;
    let totals = q::stat_totals(&tx, tenant.id.into_uuid(), q::StatScope::City, from, to)
        .await
        .or_internal()?
        .pop()
        .unwrap_or_default();
    commit(tx, summarize(&totals, from, to, None)).await
}

/// Every department's figures for a period.
pub async fn department_stats(
    ctx: &Ctx,
    tenant: &TenantRecord,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Stats>, Error> {
    let (from, to) = window(tenant, from, to)?;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::stat_totals(
        &tx,
        tenant.id.into_uuid(),
        q::StatScope::Departments,
        from,
        to,
    )
    .await
    .or_internal()?;
    let names = names(&tx, tenant).await?;
    let mut out: Vec<Stats> = rows
        .iter()
        .map(|t| {
            summarize(
                t,
                from,
                to,
                names.departments.get(&t.department_id).map(|n| n.0.clone()),
            )
        })
        .collect();
    out.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then(a.department.cmp(&b.department))
    });
    commit(tx, out).await
}

fn window(
    tenant: &TenantRecord,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), Error> {
    let today = day_of(tenant, Utc::now());
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(364));
    if from > to {
        return Err(Error::invalid("from", "must not be after `to`"));
    }
    if (to - from).num_days() > 3660 {
        return Err(Error::invalid("from", "a window is at most ten years"));
    }
    Ok((from, to))
}

/// Recount a city's figures from its cases and timelines (a full scan; for
/// tests and repair, never for pages).
pub async fn recount(
    ctx: &Ctx,
    tenant: &TenantRecord,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Stats, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let t = tenant.id.into_uuid();
    let mut rows = Vec::new();
    let in_window = |at: DateTime<Utc>| {
        let d = day_of(tenant, at);
        d >= from && d <= to
    };
    let mut views = 0;
    for c in q::all(&tx, t).await.or_internal()? {
        views += c.views;
        let mut r = minsheng_store::entity::case_stat::Model {
            tenant_id: t,
            department_id: Uuid::nil(),
            day: from,
            shard: 0,
            received: 0,
            accepted: 0,
            answered: 0,
            answered_on_time: 0,
            answer_seconds: 0,
            rated: 0,
            satisfied: 0,
            views: 0,
            overdue: 0,
            supervised: 0,
        };
        for e in q::events(&tx, t, c.id, true).await.or_internal()? {
            if !in_window(e.at) {
                continue;
            }
            let detail = e.detail.clone().unwrap_or_default();
            match e.action.as_str() {
                "submitted" => r.received += 1,
                "accept" => r.accepted += 1,
                "answer" if detail["first"].as_bool().unwrap_or(false) => {
                    r.answered += 1;
                    r.answered_on_time += i64::from(detail["on_time"].as_bool().unwrap_or(false));
                    r.answer_seconds += detail["seconds"].as_i64().unwrap_or(0);
                }
                "rated" => {
                    r.rated += 1;
                    let satisfied = detail["rating"]
                        .as_str()
                        .and_then(|s| Rating::parse(s).ok())
                        .is_some_and(Rating::is_satisfied);
                    r.satisfied += i64::from(satisfied);
                }
                "overdue" => r.overdue += 1,
                "supervision" => r.supervised += 1,
                _ => {}
            }
        }
        rows.push(r);
    }
    let mut totals = q::StatTotals::default();
    for row in &rows {
        totals.add(row);
    }
    let mut stats = summarize(&totals, from, to, None);
    stats.views = views;
    commit(tx, stats).await
}

/// Add `n` views at the context's time (the demo history; readers go
/// through [`count_view`]).
pub async fn add_views(ctx: &Ctx, tenant: &TenantRecord, code: &str, n: i64) -> Result<(), Error> {
    let tx = ctx.tx(tenant.id).await?;
    let row = find(&tx, tenant, code).await?;
    for _ in 0..n {
        q::add_view(&tx, tenant.id.into_uuid(), row.id)
            .await
            .or_internal()?;
    }
    count(
        &tx,
        tenant,
        row.lead_department_id,
        ctx.now(),
        StatDelta {
            views: n,
            ..Default::default()
        },
    )
    .await?;
    commit(tx, ()).await
}
