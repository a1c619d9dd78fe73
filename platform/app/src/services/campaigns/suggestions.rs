//! Suggestions: submitted through intake as cases of kind `suggestion`,
//! read in public with their published answer and the path to the
//! projects they led to; answered by their working group in drafts, then
//! published one by one or in bulk.

use super::{answer_scope, figures, load, require, strings};
use crate::access::Ctx;
use crate::model::{
    CaseCreated, CaseInput, ClusterRef, ProjectRef, PublishInput, Published, QueueItem, QueuePage,
    Suggestion, SuggestionAnswer, SuggestionPage,
};
use crate::services::intake::{self, SuggestionLink};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, cases, commit};
use minsheng_domain::Error;
use minsheng_domain::campaign::{Disposition, Phase};
use minsheng_domain::error::Problems;
use minsheng_domain::values::parse_text;
use minsheng_store::entity::{campaign, campaign_suggestion, case};
use minsheng_store::queries::campaigns::rows::FigureDelta;
use minsheng_store::queries::campaigns::{self as q, suggestions::Query};
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

/// The most suggestions one page lists.
pub const PAGE_SIZE_MAX: u64 = 100;

/// Submit a suggestion to a collecting campaign, under one of its themes.
/// It goes to one of the working groups that answer its theme (at random,
/// so the work spreads evenly); none answers it until one does.
pub async fn submit(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    input: CaseInput,
    idempotency_key: Option<String>,
) -> Result<(CaseCreated, bool), Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, phase) = load(ctx, &tx, tenant, slug).await?;
    let groups = q::groups::list(&tx, tenant.id.into_uuid(), campaign.id)
        .await
        .or_internal()?;
    commit(tx, ()).await?;
    require(
        phase.accepts_suggestions(),
        phase,
        "submitting a suggestion",
    )?;
    if !strings(&campaign.themes).contains(&input.category) {
        return Err(Error::invalid(
            "category",
            format!(
                "file the suggestion under one of the campaign's themes: {}",
                strings(&campaign.themes).join(", ")
            ),
        ));
    }
    // Spread evenly, at random, over the groups that answer the theme.
    let matching: Vec<Uuid> = groups
        .iter()
        .filter(|g| strings(&g.themes).contains(&input.category))
        .map(|g| g.id)
        .collect();
    let group = match matching.len() {
        0 => None,
        n => matching.get(rand::random_range(0..n)).copied(),
    };
    let link = SuggestionLink {
        campaign_id: campaign.id,
        group_id: group,
        answer_days: u32::try_from(campaign.answer_days).unwrap_or(15),
    };
    intake::submit_as(ctx, tenant, input, idempotency_key, Some(link)).await
}

/// The projects a suggestion led to, itself or through its cluster.
pub(crate) async fn projects_of(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    case_id: Uuid,
    cluster: Option<Uuid>,
) -> Result<Vec<ProjectRef>, Error> {
    let t = tenant.id.into_uuid();
    let sources = q::projects::sources_naming(db, t, case_id, cluster)
        .await
        .or_internal()?;
    let mut ids: Vec<Uuid> = sources.iter().map(|s| s.project_id).collect();
    ids.sort();
    ids.dedup();
    let rows = q::projects::by_ids(db, t, &ids).await.or_internal()?;
    Ok(rows.iter().map(super::projects::to_ref).collect())
}

/// Whether a suggestion's (drafted or published) answer adopts it.
fn adopted(s: &campaign_suggestion::Model) -> bool {
    Disposition::parse(&s.disposition).is_ok_and(Disposition::is_adopted)
}

/// What the public reads of a suggestion's answer: nothing until it is
/// published.
pub(crate) fn published_view(
    s: &campaign_suggestion::Model,
) -> (String, Option<String>, Option<String>) {
    if s.published_at.is_some() {
        (s.disposition.clone(), s.answer.clone(), s.reason.clone())
    } else {
        (Disposition::NotAnswered.as_str().into(), None, None)
    }
}

/// The clusters `rows` are merged into, for links.
async fn clusters_of(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    rows: &[campaign_suggestion::Model],
) -> Result<HashMap<Uuid, ClusterRef>, Error> {
    let mut ids: Vec<Uuid> = rows.iter().filter_map(|r| r.cluster_id).collect();
    ids.sort();
    ids.dedup();
    Ok(q::groups::cluster_titles(db, tenant.id.into_uuid(), &ids)
        .await
        .or_internal()?
        .into_iter()
        .map(|(id, title)| (id, ClusterRef { id, title }))
        .collect())
}

async fn views(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    rows: Vec<campaign_suggestion::Model>,
    with_projects: bool,
) -> Result<Vec<Suggestion>, Error> {
    let t = tenant.id.into_uuid();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
    let case_rows = q::suggestions::cases(db, t, &ids).await.or_internal()?;
    let by_id: HashMap<Uuid, &case::Model> = case_rows.iter().map(|c| (c.id, c)).collect();
    let clusters = clusters_of(db, tenant, &rows).await?;
    let groups: HashMap<Uuid, String> = q::groups::list(db, t, campaign.id)
        .await
        .or_internal()?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let rows: Vec<_> = rows
        .into_iter()
        .filter_map(|s| by_id.get(&s.case_id).map(|c| (s, (*c).clone())))
        .collect();
    let cases: Vec<case::Model> = rows.iter().map(|(_, c)| c.clone()).collect();
    let publics = cases::public_views(ctx, db, tenant, &cases).await?;
    let mut out = Vec::new();
    for ((s, _), public) in rows.into_iter().zip(publics) {
        let projects = if with_projects {
            projects_of(db, tenant, s.case_id, s.cluster_id).await?
        } else {
            Vec::new()
        };
        let (disposition, answer, reason) = published_view(&s);
        out.push(Suggestion {
            case: public,
            disposition,
            answer,
            reason,
            published_at: s.published_at,
            group: s.group_id.and_then(|g| groups.get(&g).cloned()),
            cluster: s.cluster_id.and_then(|c| clusters.get(&c).cloned()),
            projects,
        });
    }
    Ok(out)
}

/// One public suggestion with its published answer, the cluster it was
/// merged into and the projects it led to.
pub async fn get(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    code: &str,
) -> Result<Suggestion, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let out = get_in(ctx, &tx, tenant, &campaign, code).await?;
    commit(tx, out).await
}

/// `get` in the caller's transaction.
pub(crate) async fn get_in(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    code: &str,
) -> Result<Suggestion, Error> {
    let not_found = || Error::not_found(format!("suggestion {code:?}"));
    let row = cases::find_suggestion(db, tenant, code).await?;
    let s = q::suggestions::by_case(db, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?
        .filter(|s| s.campaign_id == campaign.id)
        .ok_or_else(not_found)?;
    if !row.public {
        return Err(not_found());
    }
    let mut list = views(ctx, db, tenant, campaign, vec![s], true).await?;
    list.pop().ok_or_else(not_found)
}

/// Public suggestions of a campaign, oldest first, by published
/// disposition and theme.
pub async fn list(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    disposition: Option<&str>,
    theme: Option<&str>,
    page: u64,
    page_size: u64,
) -> Result<SuggestionPage, Error> {
    let size = page_size.clamp(1, PAGE_SIZE_MAX);
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let query = public_query(ctx, &tx, tenant, &campaign, disposition, theme).await?;
    let (rows, total) =
        q::suggestions::page(&tx, tenant.id.into_uuid(), campaign.id, &query, page, size)
            .await
            .or_internal()?;
    let items = views(ctx, &tx, tenant, &campaign, rows, false).await?;
    commit(
        tx,
        SuggestionPage {
            items,
            total,
            page,
            page_size: size,
        },
    )
    .await
}

/// The query for public suggestions by published disposition and theme.
pub(crate) async fn public_query(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    disposition: Option<&str>,
    theme: Option<&str>,
) -> Result<Query, Error> {
    let mut query = Query {
        public_only: true,
        ..Query::default()
    };
    if let Some(d) = disposition {
        let d = Disposition::parse(d).map_err(|m| Error::invalid("disposition", m))?;
        if d == Disposition::NotAnswered {
            query.published = Some(false);
        } else {
            query.published = Some(true);
            query.disposition = Some(d.as_str().into());
        }
    }
    if let Some(theme) = theme {
        let names = ctx.app.calendars.rules_in(db, tenant).await?.names;
        let id = names
            .category_id(theme)
            .filter(|_| strings(&campaign.themes).iter().any(|t| t == theme))
            .ok_or_else(|| {
                Error::invalid("theme", format!("no theme {theme:?} in this campaign"))
            })?;
        query.category = Some(id);
    }
    Ok(query)
}

/// What a working group sees of its suggestions.
async fn queue_items(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    rows: Vec<campaign_suggestion::Model>,
) -> Result<Vec<QueueItem>, Error> {
    let t = tenant.id.into_uuid();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
    let case_rows = q::suggestions::cases(db, t, &ids).await.or_internal()?;
    let by_id: HashMap<Uuid, &case::Model> = case_rows.iter().map(|c| (c.id, c)).collect();
    let clusters = clusters_of(db, tenant, &rows).await?;
    let names = ctx.app.calendars.rules_in(db, tenant).await?.names;
    let groups: HashMap<Uuid, String> = q::groups::list(db, t, campaign.id)
        .await
        .or_internal()?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|s| {
            let row = by_id.get(&s.case_id)?;
            Some(QueueItem {
                tracking_code: row.tracking_code.clone(),
                title: row.title.clone(),
                theme: names
                    .categories
                    .get(&row.category_id)
                    .map(|c| c.0.clone())
                    .unwrap_or_default(),
                group: s.group_id.and_then(|g| groups.get(&g).cloned()),
                disposition: s.disposition.clone(),
                draft: s.answer.clone(),
                reason: s.reason.clone(),
                answered_at: s.answered_at,
                published_at: s.published_at,
                cluster: s.cluster_id.and_then(|c| clusters.get(&c).cloned()),
                submitted_at: s.submitted_at,
                answer_deadline: row.answer_deadline,
            })
        })
        .collect())
}

/// A working group's queue: `state` is `unanswered` (the default),
/// `drafted`, `published` or `all`; department staff see their groups'.
pub async fn queue(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    state: Option<&str>,
    group: Option<Uuid>,
    page: u64,
    page_size: u64,
) -> Result<QueuePage, Error> {
    ctx.authorize(tenant, "campaign:answer").await?;
    let size = page_size.clamp(1, PAGE_SIZE_MAX);
    let mut query = Query::default();
    match state.unwrap_or("unanswered") {
        "unanswered" => query.answered = Some(false),
        "drafted" => {
            query.answered = Some(true);
            query.published = Some(false);
        }
        "published" => query.published = Some(true),
        "all" => {}
        other => {
            return Err(Error::invalid(
                "state",
                format!("{other:?}: use unanswered, drafted, published or all"),
            ));
        }
    }
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let scope = answer_scope(ctx, &tx, tenant, campaign.id).await?;
    query.groups = match (scope, group) {
        (Some(mine), Some(g)) if !mine.contains(&g) => {
            return Err(Error::Forbidden(
                "you answer only for your departments' working groups".into(),
            ));
        }
        (_, Some(g)) => Some(vec![g]),
        (Some(mine), None) => Some(mine),
        (None, None) => None,
    };
    let (rows, total) =
        q::suggestions::page(&tx, tenant.id.into_uuid(), campaign.id, &query, page, size)
            .await
            .or_internal()?;
    let items = queue_items(ctx, &tx, tenant, &campaign, rows).await?;
    commit(
        tx,
        QueuePage {
            items,
            total,
            page,
            page_size: size,
        },
    )
    .await
}

/// A suggestion of the campaign that `ctx` answers for.
async fn answerable(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    scope: &Option<Vec<Uuid>>,
    code: &str,
) -> Result<(case::Model, campaign_suggestion::Model), Error> {
    let row = cases::find_suggestion(tx, tenant, code).await?;
    let s = q::suggestions::by_case(tx, tenant.id.into_uuid(), row.id)
        .await
        .or_internal()?
        .filter(|s| s.campaign_id == campaign.id)
        .ok_or_else(|| Error::not_found(format!("suggestion {code:?}")))?;
    if let Some(mine) = scope
        && !s.group_id.is_some_and(|g| mine.contains(&g))
    {
        return Err(Error::Forbidden(
            "this suggestion belongs to a working group your departments do not serve in".into(),
        ));
    }
    let _ = ctx;
    Ok((row, s))
}

/// Check an answer: a disposition an answer may set, its text, and the
/// reason a suggestion is not adopted (required then).
fn check_answer(
    input: &SuggestionAnswer,
    in_cluster: bool,
) -> Result<(Disposition, String, Option<String>), Error> {
    let mut p = Problems::new();
    let disposition = match Disposition::parse(&input.disposition) {
        Ok(d) if d.answerable() => Some(d),
        Ok(_) => {
            p.push("disposition", "an answer says how the suggestion stands: under_study, adopted, partly_adopted, merged, not_adopted or withdrawn");
            None
        }
        Err(m) => {
            p.push("disposition", m);
            None
        }
    };
    if disposition == Some(Disposition::Merged) && !in_cluster {
        p.push(
            "disposition",
            "merge the suggestion into a cluster before answering it as merged",
        );
    }
    let text = p.check("text", parse_text(&input.text, 2, 5000));
    let reason = match input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(r) => p.check("reason", parse_text(r, 2, 1000)),
        None if disposition.is_some_and(Disposition::needs_reason) => {
            p.push(
                "reason",
                "say why the suggestion is not adopted (2 to 1,000 characters)",
            );
            None
        }
        None => None,
    };
    p.finish()?;
    match (disposition, text) {
        (Some(d), Some(t)) => Ok((d, t, reason)),
        _ => Err(Error::internal("checked answer incomplete")),
    }
}

/// Write (or rewrite) a suggestion's answer as a draft; with `publish`,
/// publish it at once. Rewriting a published answer takes it back to a
/// draft until it is published again.
pub async fn answer(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    code: &str,
    input: &SuggestionAnswer,
) -> Result<QueueItem, Error> {
    let mut items = answer_many(ctx, tenant, slug, &[(code.to_owned(), input.clone())]).await?;
    items
        .pop()
        .ok_or_else(|| Error::internal("suggestion vanished"))
}

/// Answer many suggestions in one transaction (a group's batch, an
/// import): every answer is checked first, and one problem refuses them
/// all, named by its position (`answers[3].reason`).
pub async fn answer_many(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    answers: &[(String, SuggestionAnswer)],
) -> Result<Vec<QueueItem>, Error> {
    ctx.authorize(tenant, "campaign:answer").await?;
    let tx = ctx.tx(tenant.id).await?;
    let (campaign, phase) = load(ctx, &tx, tenant, slug).await?;
    require(phase.allows_answers(), phase, "answering")?;
    let scope = answer_scope(ctx, &tx, tenant, campaign.id).await?;
    let t = tenant.id.into_uuid();
    let many = answers.len() > 1;
    let codes: Vec<String> = answers.iter().map(|(c, _)| c.clone()).collect();
    let found = cases::find_suggestions(&tx, tenant, &codes).await?;
    let case_ids: Vec<Uuid> = found.iter().flatten().map(|r| r.id).collect();
    let mine: HashMap<Uuid, campaign_suggestion::Model> =
        q::suggestions::by_cases(&tx, t, &case_ids)
            .await
            .or_internal()?
            .into_iter()
            .filter(|s| s.campaign_id == campaign.id)
            .map(|s| (s.case_id, s))
            .collect();
    let mut checked = Vec::new();
    let mut problems = Problems::new();
    for (i, ((code, input), row)) in answers.iter().zip(found).enumerate() {
        let Some((row, s)) = row.and_then(|r| mine.get(&r.id).cloned().map(|s| (r, s))) else {
            return Err(Error::not_found(format!("suggestion {code:?}")));
        };
        if let Some(groups) = &scope
            && !s.group_id.is_some_and(|g| groups.contains(&g))
        {
            return Err(Error::Forbidden(format!(
                "{code} belongs to a working group your departments do not serve in"
            )));
        }
        match check_answer(input, s.cluster_id.is_some()) {
            Ok(ok) => checked.push((row, ok, input.publish.unwrap_or(false))),
            Err(Error::Invalid(list)) if many => {
                problems.extend(list.into_iter().map(|p| p.within(&format!("answers[{i}]"))))
            }
            Err(e) => return Err(e),
        }
    }
    problems.finish()?;
    let now = ctx.now();
    // A published answer rewritten goes back to a draft: no longer counted
    // as answered (nor adopted) until published again.
    let mut taken_back = FigureDelta::default();
    let mut seen = std::collections::HashSet::new();
    for (row, _, _) in checked.iter().filter(|(r, _, _)| seen.insert(r.id)) {
        if let Some(s) = mine.get(&row.id).filter(|s| s.published_at.is_some()) {
            taken_back.answered -= 1;
            taken_back.adopted -= i64::from(adopted(s));
        }
    }
    figures::add(&tx, tenant, campaign.id, taken_back).await?;
    let mut to_publish = Vec::new();
    let mut ids = Vec::new();
    // The same answer to many suggestions is one statement.
    let mut alike: HashMap<(Disposition, String, Option<String>), Vec<Uuid>> = HashMap::new();
    for (row, (disposition, text, reason), publish) in checked {
        alike
            .entry((disposition, text, reason))
            .or_default()
            .push(row.id);
        ids.push(row.id);
        if publish {
            to_publish.push(row.id);
        }
    }
    for ((disposition, text, reason), same) in alike {
        q::suggestions::update_many(
            &tx,
            t,
            &same,
            campaign_suggestion::ActiveModel {
                disposition: Set(disposition.as_str().into()),
                answer: Set(Some(text)),
                reason: Set(reason),
                answered_by: Set(Some(ctx.principal.label())),
                answered_at: Set(Some(now)),
                published_at: Set(None),
                ..Default::default()
            },
        )
        .await
        .or_internal()?;
    }
    if !to_publish.is_empty() {
        let drafted = q::suggestions::by_cases(&tx, t, &to_publish)
            .await
            .or_internal()?;
        publish_rows(ctx, &tx, tenant, &campaign, drafted).await?;
    }
    let mut rows = q::suggestions::by_cases(&tx, t, &ids).await.or_internal()?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.case_id));
    let out = queue_items(ctx, &tx, tenant, &campaign, rows).await?;
    commit(tx, out).await
}

/// Publish drafted answers: the named suggestions', or every drafted
/// answer `ctx` answers for. All or none.
pub async fn publish(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    input: &PublishInput,
) -> Result<Published, Error> {
    ctx.authorize(tenant, "campaign:answer").await?;
    let tx = ctx.tx(tenant.id).await?;
    let (campaign, phase) = load(ctx, &tx, tenant, slug).await?;
    require(phase.allows_answers(), phase, "publishing answers")?;
    let scope = answer_scope(ctx, &tx, tenant, campaign.id).await?;
    let t = tenant.id.into_uuid();
    let rows = match &input.suggestions {
        Some(codes) => {
            let mut rows = Vec::new();
            let mut p = Problems::new();
            for (i, code) in codes.iter().enumerate() {
                match answerable(ctx, &tx, tenant, &campaign, &scope, code).await {
                    Ok((_, s)) if s.answered_at.is_none() => p.push(
                        format!("suggestions[{i}]"),
                        format!("{code} has no drafted answer to publish"),
                    ),
                    Ok((_, s)) if s.published_at.is_some() => {}
                    Ok((_, s)) => rows.push(s),
                    Err(Error::NotFound(m)) => p.push(
                        format!("suggestions[{i}]"),
                        format!("{m} not found in this campaign"),
                    ),
                    Err(e) => return Err(e),
                }
            }
            p.finish()?;
            rows
        }
        None => q::suggestions::drafted(&tx, t, campaign.id, None, scope.as_deref())
            .await
            .or_internal()?,
    };
    let n = publish_rows(ctx, &tx, tenant, &campaign, rows).await?;
    commit(tx, ()).await?;
    ctx.audit(
        Some(tenant.id),
        "campaign.publish",
        &format!("{slug}:{n}"),
        "ok",
    )
    .await;
    Ok(Published { published: n })
}

/// Publish drafted answers in the caller's transaction: each becomes its
/// case's answer, and webhooks hear `suggestion.answered`.
pub(crate) async fn publish_rows(
    ctx: &Ctx,
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    rows: Vec<campaign_suggestion::Model>,
) -> Result<u64, Error> {
    let t = tenant.id.into_uuid();
    let now = ctx.now();
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|s| s.answer.is_some() && s.published_at.is_none() && seen.insert(s.case_id))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
    let delta = FigureDelta {
        answered: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        adopted: i64::try_from(rows.iter().filter(|s| adopted(s)).count()).unwrap_or(i64::MAX),
        ..FigureDelta::default()
    };
    let case_rows = q::suggestions::cases(tx, t, &ids).await.or_internal()?;
    let by_id: HashMap<Uuid, case::Model> = case_rows.into_iter().map(|c| (c.id, c)).collect();
    q::suggestions::update_many(
        tx,
        t,
        &ids,
        campaign_suggestion::ActiveModel {
            published_at: Set(Some(now)),
            ..Default::default()
        },
    )
    .await
    .or_internal()?;
    let mut items = Vec::new();
    for s in &rows {
        let (Some(row), Some(text)) = (by_id.get(&s.case_id), s.answer.clone()) else {
            continue;
        };
        let shown = match &s.reason {
            Some(reason) => format!("{text}\n\n{reason}"),
            None => text,
        };
        items.push((row, shown));
    }
    let n = items.len() as u64;
    cases::publish_answers(ctx, tx, tenant, items, now).await?;
    figures::add(tx, tenant, campaign.id, delta).await?;
    if crate::services::webhooks::wanted(tx, tenant, "suggestion.answered").await? {
        for s in &rows {
            let Some(row) = by_id.get(&s.case_id) else {
                continue;
            };
            crate::services::webhooks::enqueue_about(
                tx,
                tenant,
                Some(row.id),
                "suggestion.answered",
                serde_json::json!({
                    "tenant": tenant.slug,
                    "campaign": campaign.slug,
                    "tracking_code": row.tracking_code,
                    "disposition": s.disposition,
                }),
                now,
            )
            .await?;
        }
    }
    Ok(n)
}

/// Whether a phase allows working groups to act (for pages).
pub fn answers_open(phase: &str) -> bool {
    Phase::parse(phase).is_ok_and(Phase::allows_answers)
}
