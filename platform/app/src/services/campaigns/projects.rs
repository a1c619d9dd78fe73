//! Projects chosen in a campaign: budget (fen), dates, a status from the
//! campaign's list (each with a default progress), progress 0–100, an
//! optional parent whose progress is its children's weighted sum,
//! milestones, and the clusters or suggestions they came from ("from
//! citizens" = at least one source). Creation and progress are told to
//! webhooks (`project.created`, `project.progress_updated`).

use super::clusters::suggestion_ref;
use super::{figures, load, require, statuses, strings};
use crate::access::Ctx;
use crate::model::{
    ClusterRef, Milestone, MilestoneInput, Project, ProjectInput, ProjectPatch, ProjectRef,
    ProjectSource, SuggestionRef,
};
use crate::services::directory::Names;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, cases, commit};
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_domain::campaign::{DELIVERED, ProjectStatus, rolled_up};
use minsheng_domain::error::Problems;
use minsheng_domain::ids::{MilestoneId, ProjectId, ProjectSourceId};
use minsheng_domain::values::parse_text;
use minsheng_store::entity::{
    campaign, campaign_milestone, campaign_project, campaign_project_source,
};
use minsheng_store::queries::campaigns as q;
use minsheng_store::queries::campaigns::rows::FigureDelta;
use minsheng_store::{ConnectionTrait, DatabaseTransaction};
use sea_orm::ActiveValue::Set;
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) fn to_ref(row: &campaign_project::Model) -> ProjectRef {
    ProjectRef {
        reference: row.reference.clone(),
        title: row.title.clone(),
        status: row.status.clone(),
        progress: row.progress,
    }
}

fn parse_reference(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!("{s:?}: use 1 to 64 letters, digits, '-' and '_'"))
    }
}

fn status<'a>(list: &'a [ProjectStatus], code: &str) -> Result<&'a ProjectStatus, String> {
    list.iter().find(|s| s.code == code).ok_or_else(|| {
        let codes: Vec<_> = list.iter().map(|s| s.code.as_str()).collect();
        format!("no status {code:?}; use one of {}", codes.join(", "))
    })
}

/// The sources of projects as they are shown, by project: each cluster
/// with its suggestions (oldest first), each suggestion on its own. Four
/// queries however many projects and sources.
pub(crate) async fn shown_sources(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    sources: &[campaign_project_source::Model],
) -> Result<HashMap<Uuid, Vec<ProjectSource>>, Error> {
    let t = tenant.id.into_uuid();
    let mut cluster_ids: Vec<Uuid> = sources.iter().filter_map(|s| s.cluster_id).collect();
    cluster_ids.sort();
    cluster_ids.dedup();
    let titles: HashMap<Uuid, String> = q::groups::cluster_titles(db, t, &cluster_ids)
        .await
        .or_internal()?
        .into_iter()
        .collect();
    let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (case, cluster) in q::suggestions::cluster_members(db, t, &cluster_ids)
        .await
        .or_internal()?
    {
        members.entry(cluster).or_default().push(case);
    }
    let mut case_ids: Vec<Uuid> = members.values().flatten().copied().collect();
    case_ids.extend(sources.iter().filter_map(|s| s.case_id));
    case_ids.sort();
    case_ids.dedup();
    let refs: HashMap<Uuid, SuggestionRef> = q::suggestions::case_refs(db, t, &case_ids)
        .await
        .or_internal()?
        .iter()
        .map(|c| (c.id, suggestion_ref(tenant, c)))
        .collect();
    let mut out: HashMap<Uuid, Vec<ProjectSource>> = HashMap::new();
    for s in sources {
        let shown = out.entry(s.project_id).or_default();
        if let Some(c) = s.cluster_id {
            shown.push(ProjectSource {
                cluster: Some(ClusterRef {
                    id: c,
                    title: titles.get(&c).cloned().unwrap_or_default(),
                }),
                suggestions: members
                    .get(&c)
                    .into_iter()
                    .flatten()
                    .filter_map(|case| refs.get(case).cloned())
                    .collect(),
            });
        }
        if let Some(r) = s.case_id.and_then(|c| refs.get(&c)) {
            shown.push(ProjectSource {
                cluster: None,
                suggestions: vec![r.clone()],
            });
        }
    }
    Ok(out)
}

fn status_name(list: &[ProjectStatus], code: &str) -> String {
    list.iter()
        .find(|s| s.code == code)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

fn milestone(m: campaign_milestone::Model) -> Milestone {
    Milestone {
        id: m.id,
        day: m.day,
        text: m.text,
        image_url: m.image_url,
    }
}

/// A project with its children, milestones and sources.
pub(crate) async fn view(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    row: &campaign_project::Model,
    names: &Names,
) -> Result<Project, Error> {
    let t = tenant.id.into_uuid();
    let children = q::projects::children(db, t, row.id).await.or_internal()?;
    let milestones = q::projects::milestones(db, t, &[row.id])
        .await
        .or_internal()?;
    let sources = q::projects::sources(db, t, &[row.id]).await.or_internal()?;
    let shown = shown_sources(db, tenant, &sources)
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let parent = match row.parent_id {
        Some(p) => q::projects::by_ids(db, t, &[p])
            .await
            .or_internal()?
            .pop()
            .map(|p| p.reference),
        None => None,
    };
    let dept = row
        .lead_department_id
        .and_then(|d| names.departments.get(&d));
    Ok(Project {
        reference: row.reference.clone(),
        title: row.title.clone(),
        description: row.description.clone(),
        theme: row.theme.clone(),
        lead_department: dept.map(|d| d.0.clone()),
        lead_department_name: dept.map(|d| d.1.clone()),
        planned_fen: row.planned_fen,
        spent_fen: row.spent_fen,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        status: row.status.clone(),
        status_name: status_name(&statuses(campaign), &row.status),
        progress: row.progress,
        parent,
        weight: row.weight,
        from_citizens: !sources.is_empty(),
        children: children.iter().map(to_ref).collect(),
        milestones: milestones.into_iter().map(milestone).collect(),
        sources: shown,
    })
}

async fn find(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    reference: &str,
) -> Result<campaign_project::Model, Error> {
    q::projects::by_reference(db, tenant.id.into_uuid(), campaign.id, reference)
        .await
        .or_internal()?
        .ok_or_else(|| Error::not_found(format!("project {reference:?}")))
}

/// Set a parent's progress from its children's.
async fn roll_up(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    parent: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let t = tenant.id.into_uuid();
    let children = q::projects::children(tx, t, parent).await.or_internal()?;
    let progress = rolled_up(
        &children
            .iter()
            .map(|c| (c.progress, c.weight))
            .collect::<Vec<_>>(),
    );
    q::projects::update(
        tx,
        t,
        parent,
        campaign_project::ActiveModel {
            progress: Set(progress),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await
    .or_internal()
}

async fn tell(
    tx: &DatabaseTransaction,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    event: &str,
    row: &campaign_project::Model,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    crate::services::webhooks::enqueue_about(
        tx,
        tenant,
        None,
        event,
        serde_json::json!({
            "tenant": tenant.slug,
            "campaign": campaign.slug,
            "project": row.reference,
            "status": row.status,
            "progress": row.progress,
        }),
        now,
    )
    .await
}

/// A new project, with the clusters and suggestions it came from.
pub async fn create(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    input: &ProjectInput,
) -> Result<Project, Error> {
    ctx.authorize(tenant, "campaign:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let (campaign, phase) = load(ctx, &tx, tenant, slug).await?;
    require(phase.allows_projects(), phase, "creating a project")?;
    let t = tenant.id.into_uuid();
    let names = ctx.app.calendars.rules_in(&tx, tenant).await?.names;
    let list = statuses(&campaign);
    let mut p = Problems::new();
    let reference = p.check("reference", parse_reference(&input.reference));
    let title = p.check("title", parse_text(&input.title, 2, 200));
    let description = p.check("description", parse_text(&input.description, 2, 20_000));
    if let Some(theme) = &input.theme
        && !strings(&campaign.themes).contains(theme)
    {
        p.push(
            "theme",
            format!("{theme:?} is not a theme of this campaign"),
        );
    }
    let lead = match &input.lead_department {
        Some(code) => {
            let id = names
                .departments
                .iter()
                .find(|(_, (c, _))| c == code)
                .map(|(id, _)| *id);
            if id.is_none() {
                p.push(
                    "lead_department",
                    format!("no department {code:?} in this city"),
                );
            }
            id
        }
        None => None,
    };
    if input.planned_fen < 0 {
        p.push("planned_fen", "the budget cannot be negative");
    }
    if let (Some(a), Some(b)) = (input.starts_on, input.ends_on)
        && b < a
    {
        p.push("ends_on", "the end comes before the start");
    }
    let first = list
        .first()
        .cloned()
        .ok_or_else(|| Error::internal("a campaign without statuses"))?;
    let chosen = match &input.status {
        Some(code) => p.check("status", status(&list, code).cloned()),
        None => Some(first),
    };
    let weight = input.weight.unwrap_or(1);
    if !(0..=1000).contains(&weight) {
        p.push("weight", "give 0 to 1,000");
    }
    let parent = match &input.parent {
        Some(reference) => {
            let found = q::projects::by_reference(&tx, t, campaign.id, reference)
                .await
                .or_internal()?;
            if found.is_none() {
                p.push(
                    "parent",
                    format!("no project {reference:?} in this campaign"),
                );
            }
            found
        }
        None => None,
    };
    let mut sources = Vec::new();
    for (i, cluster) in input.clusters.iter().enumerate() {
        match q::groups::cluster(&tx, t, *cluster).await.or_internal()? {
            Some(c) if c.campaign_id == campaign.id => sources.push((Some(c.id), None)),
            _ => p.push(format!("clusters[{i}]"), "no such cluster in this campaign"),
        }
    }
    for (i, code) in input.suggestions.iter().enumerate() {
        let found = match cases::find_suggestion(&tx, tenant, code).await {
            Ok(row) => q::suggestions::by_case(&tx, t, row.id)
                .await
                .or_internal()?
                .filter(|s| s.campaign_id == campaign.id),
            Err(_) => None,
        };
        match found {
            Some(s) => sources.push((None, Some(s.case_id))),
            None => p.push(
                format!("suggestions[{i}]"),
                format!("no suggestion {code:?} in this campaign"),
            ),
        }
    }
    p.finish()?;
    let (Some(reference), Some(title), Some(description), Some(chosen)) =
        (reference, title, description, chosen)
    else {
        return Err(Error::internal("checked fields missing"));
    };
    let now = ctx.now();
    let id = ProjectId::new().into_uuid();
    // The figures count top-level projects.
    let counted = FigureDelta {
        projects: 1,
        from_citizens: i64::from(!sources.is_empty()),
        committed_fen: input.planned_fen,
        delivered: i64::from(chosen.code == DELIVERED),
        ..FigureDelta::default()
    };
    let row = q::projects::insert(
        &tx,
        campaign_project::ActiveModel {
            id: Set(id),
            tenant_id: Set(t),
            campaign_id: Set(campaign.id),
            reference: Set(reference),
            title: Set(title),
            description: Set(description),
            theme: Set(input.theme.clone()),
            lead_department_id: Set(lead),
            planned_fen: Set(input.planned_fen),
            spent_fen: Set(0),
            starts_on: Set(input.starts_on),
            ends_on: Set(input.ends_on),
            status: Set(chosen.code.clone()),
            progress: Set(chosen.progress),
            parent_id: Set(parent.as_ref().map(|p| p.id)),
            weight: Set(weight),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .or_conflict(
        "reference",
        "another project of this campaign has this reference",
    )?;
    q::projects::insert_sources(
        &tx,
        sources
            .into_iter()
            .map(|(cluster, case)| campaign_project_source::ActiveModel {
                id: Set(ProjectSourceId::new().into_uuid()),
                tenant_id: Set(t),
                project_id: Set(id),
                cluster_id: Set(cluster),
                case_id: Set(case),
            })
            .collect(),
    )
    .await
    .or_internal()?;
    match &parent {
        Some(parent) => roll_up(&tx, tenant, parent.id, now).await?,
        None => figures::add(&tx, tenant, campaign.id, counted).await?,
    }
    tell(&tx, tenant, &campaign, "project.created", &row, now).await?;
    let out = view(&tx, tenant, &campaign, &row, &names).await?;
    let out = commit(tx, out).await?;
    ctx.audit(
        Some(tenant.id),
        "campaign.project.create",
        &out.reference,
        "ok",
    )
    .await;
    Ok(out)
}

/// One project.
pub async fn get(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    reference: &str,
) -> Result<Project, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let out = get_in(ctx, &tx, tenant, &campaign, reference).await?;
    commit(tx, out).await
}

/// A campaign's projects, by reference, with filters by status, theme and
/// lead department (a code). A few queries for the whole list, however
/// many projects there are. Without `detail`, milestones and the sources'
/// suggestions are left out (`from_citizens` is still told): what a list
/// page shows.
pub async fn list(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    status: Option<&str>,
    theme: Option<&str>,
    department: Option<&str>,
    detail: bool,
) -> Result<Vec<Project>, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let filter = Filter {
        status,
        theme,
        department,
    };
    let out = list_in(ctx, &tx, tenant, &campaign, &filter, detail).await?;
    commit(tx, out).await
}

/// Which projects to list (none set: all).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Filter<'a> {
    pub status: Option<&'a str>,
    pub theme: Option<&'a str>,
    pub department: Option<&'a str>,
}

/// `list` in the caller's transaction.
pub(crate) async fn list_in(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    filter: &Filter<'_>,
    detail: bool,
) -> Result<Vec<Project>, Error> {
    let names = ctx.app.calendars.rules_in(db, tenant).await?.names;
    let t = tenant.id.into_uuid();
    let all = q::projects::list(db, t, campaign.id).await.or_internal()?;
    let ids: Vec<Uuid> = all.iter().map(|p| p.id).collect();
    let mut milestones: HashMap<Uuid, Vec<Milestone>> = HashMap::new();
    if detail {
        for m in q::projects::milestones(db, t, &ids).await.or_internal()? {
            milestones
                .entry(m.project_id)
                .or_default()
                .push(milestone(m));
        }
    }
    let sources = q::projects::sources(db, t, &ids).await.or_internal()?;
    let sourced: std::collections::HashSet<Uuid> = sources.iter().map(|s| s.project_id).collect();
    let mut shown = if detail {
        shown_sources(db, tenant, &sources).await?
    } else {
        HashMap::new()
    };
    let by_id: HashMap<Uuid, &campaign_project::Model> = all.iter().map(|p| (p.id, p)).collect();
    let list = statuses(campaign);
    let mut out = Vec::new();
    for row in &all {
        let dept = row
            .lead_department_id
            .and_then(|d| names.departments.get(&d));
        if filter.status.is_some_and(|s| s != row.status)
            || filter
                .theme
                .is_some_and(|th| row.theme.as_deref() != Some(th))
            || filter
                .department
                .is_some_and(|d| dept.map(|x| x.0.as_str()) != Some(d))
        {
            continue;
        }
        out.push(Project {
            reference: row.reference.clone(),
            title: row.title.clone(),
            description: row.description.clone(),
            theme: row.theme.clone(),
            lead_department: dept.map(|d| d.0.clone()),
            lead_department_name: dept.map(|d| d.1.clone()),
            planned_fen: row.planned_fen,
            spent_fen: row.spent_fen,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            status: row.status.clone(),
            status_name: status_name(&list, &row.status),
            progress: row.progress,
            parent: row
                .parent_id
                .and_then(|p| by_id.get(&p))
                .map(|p| p.reference.clone()),
            weight: row.weight,
            from_citizens: sourced.contains(&row.id),
            children: all
                .iter()
                .filter(|c| c.parent_id == Some(row.id))
                .map(to_ref)
                .collect(),
            milestones: milestones.remove(&row.id).unwrap_or_default(),
            sources: shown.remove(&row.id).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// One project in the caller's transaction.
pub(crate) async fn get_in(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign: &campaign::Model,
    reference: &str,
) -> Result<Project, Error> {
    let row = find(db, tenant, campaign, reference).await?;
    let names = ctx.app.calendars.rules_in(db, tenant).await?.names;
    view(db, tenant, campaign, &row, &names).await
}

/// Change a project's status, progress or spending; a status sets its
/// default progress unless a progress is given; a parent's progress then
/// follows.
pub async fn update(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    reference: &str,
    patch: &ProjectPatch,
) -> Result<Project, Error> {
    ctx.authorize(tenant, "campaign:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let (campaign, phase) = load(ctx, &tx, tenant, slug).await?;
    require(phase.allows_progress(), phase, "updating a project")?;
    let t = tenant.id.into_uuid();
    let row = find(&tx, tenant, &campaign, reference).await?;
    let has_children = !q::projects::children(&tx, t, row.id)
        .await
        .or_internal()?
        .is_empty();
    let list = statuses(&campaign);
    let mut p = Problems::new();
    let chosen = match &patch.status {
        Some(code) => p.check("status", status(&list, code).cloned()),
        None => None,
    };
    if let Some(progress) = patch.progress {
        if !(0..=100).contains(&progress) {
            p.push("progress", "give 0 to 100");
        } else if has_children {
            p.push(
                "progress",
                "this project's progress comes from its sub-projects",
            );
        }
    }
    if patch.spent_fen.is_some_and(|s| s < 0) {
        p.push("spent_fen", "spending cannot be negative");
    }
    p.finish()?;
    let now = ctx.now();
    let mut update = campaign_project::ActiveModel {
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(s) = &chosen {
        update.status = Set(s.code.clone());
        if !has_children {
            update.progress = Set(s.progress);
        }
    }
    if let Some(progress) = patch.progress {
        update.progress = Set(progress);
    }
    if let Some(spent) = patch.spent_fen {
        update.spent_fen = Set(spent);
    }
    q::projects::update(&tx, t, row.id, update)
        .await
        .or_internal()?;
    if let Some(parent) = row.parent_id {
        roll_up(&tx, tenant, parent, now).await?;
    } else if let Some(s) = &chosen {
        let delivered = |code: &str| i64::from(code == DELIVERED);
        let delta = FigureDelta {
            delivered: delivered(&s.code) - delivered(&row.status),
            ..FigureDelta::default()
        };
        figures::add(&tx, tenant, campaign.id, delta).await?;
    }
    let row = find(&tx, tenant, &campaign, reference).await?;
    tell(
        &tx,
        tenant,
        &campaign,
        "project.progress_updated",
        &row,
        now,
    )
    .await?;
    let names = ctx.app.calendars.rules_in(&tx, tenant).await?.names;
    let out = view(&tx, tenant, &campaign, &row, &names).await?;
    commit(tx, out).await
}

/// Add a milestone to a project.
pub async fn add_milestone(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    reference: &str,
    input: &MilestoneInput,
) -> Result<Milestone, Error> {
    ctx.authorize(tenant, "campaign:write").await?;
    let mut p = Problems::new();
    let text = p.check("text", parse_text(&input.text, 2, 2000));
    let image = match input
        .image_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(url) => {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 500
                && !url.contains(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>');
            if !ok {
                p.push(
                    "image_url",
                    "give an http:// or https:// link of at most 500 characters",
                );
            }
            Some(url.to_owned())
        }
        None => None,
    };
    p.finish()?;
    let tx = ctx.tx(tenant.id).await?;
    let (campaign, phase) = load(ctx, &tx, tenant, slug).await?;
    require(phase.allows_progress(), phase, "adding a milestone")?;
    let row = find(&tx, tenant, &campaign, reference).await?;
    let now = ctx.now();
    let m = q::projects::insert_milestone(
        &tx,
        campaign_milestone::ActiveModel {
            id: Set(MilestoneId::new().into_uuid()),
            tenant_id: Set(tenant.id.into_uuid()),
            project_id: Set(row.id),
            day: Set(input.day),
            text: Set(text.unwrap_or_default()),
            image_url: Set(image),
            created_by: Set(ctx.principal.label()),
            created_at: Set(now),
        },
    )
    .await
    .or_internal()?;
    tell(
        &tx,
        tenant,
        &campaign,
        "project.progress_updated",
        &row,
        now,
    )
    .await?;
    commit(
        tx,
        Milestone {
            id: m.id,
            day: m.day,
            text: m.text,
            image_url: m.image_url,
        },
    )
    .await
}
