//! Campaigns and their phases: draft → collecting → answering → selecting
//! → implementing → closed, one step at a time, each step's time kept.

use super::{figures, load, to_api};
use crate::access::Ctx;
use crate::model::{Campaign, CampaignInput, PhaseEntry, PhaseInput};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use minsheng_domain::Error;
use minsheng_domain::campaign::{Phase, default_statuses};
use minsheng_domain::error::Problems;
use minsheng_domain::ids::CampaignId;
use minsheng_domain::values::{Locale, Slug, parse_text};
use minsheng_store::entity::campaign;
use minsheng_store::queries::campaigns as q;
use sea_orm::ActiveValue::Set;

/// The default time a suggestion has for its answer, in working days.
pub const ANSWER_DAYS: u32 = 15;

/// A new campaign, in draft.
pub async fn create(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: CampaignInput,
) -> Result<Campaign, Error> {
    ctx.authorize(tenant, "campaign:write").await?;
    let rules = ctx.app.calendars.rules(&ctx.app.store, tenant).await?;
    let mut p = Problems::new();
    let slug = p.check("slug", Slug::parse(&input.slug));
    let title = p.check("title", parse_text(&input.title, 4, 200));
    let description = p.check("description", parse_text(&input.description, 10, 20_000));
    if input.budget_fen < 0 {
        p.push("budget_fen", "the budget cannot be negative");
    }
    let answer_days = input.answer_days.unwrap_or(ANSWER_DAYS);
    if !(1..=120).contains(&answer_days) {
        p.push("answer_days", "give 1 to 120 working days");
    }
    if input.themes.is_empty() {
        p.push(
            "themes",
            "name at least one category suggestions are filed under",
        );
    }
    for (i, theme) in input.themes.iter().enumerate() {
        if !rules.categories.contains_key(theme) {
            p.push(
                format!("themes[{i}]"),
                format!("no active category {theme:?} in this city"),
            );
        }
    }
    let mut phases = Vec::new();
    for name in input.schedule.keys() {
        if let Err(m) = Phase::parse(name) {
            p.push(format!("schedule.{name}"), m);
        }
    }
    p.finish()?;
    for phase in Phase::ALL {
        phases.push(PhaseEntry {
            phase: phase.as_str().into(),
            planned: input.schedule.get(phase.as_str()).copied(),
            started_at: (phase == Phase::Draft).then(|| ctx.now()),
        });
    }
    let (Some(slug), Some(title), Some(description)) = (slug, title, description) else {
        return Err(Error::internal("checked fields missing"));
    };
    let mut themes: Vec<String> = Vec::with_capacity(input.themes.len());
    for theme in &input.themes {
        if !themes.contains(theme) {
            themes.push(theme.clone());
        }
    }
    let now = ctx.now();
    let tx = ctx.tx(tenant.id).await?;
    let row = q::rows::insert(
        &tx,
        campaign::ActiveModel {
            id: Set(CampaignId::new().into_uuid()),
            tenant_id: Set(tenant.id.into_uuid()),
            slug: Set(slug.into_string()),
            title: Set(title),
            description: Set(description),
            budget_fen: Set(input.budget_fen),
            phase: Set(Phase::Draft.as_str().into()),
            phases: Set(serde_json::json!(phases)),
            answer_days: Set(i32::try_from(answer_days).unwrap_or(15)),
            themes: Set(serde_json::json!(themes)),
            statuses: Set(serde_json::json!(default_statuses(
                tenant.locale == Locale::ZhCn
            ))),
            figure_suggestions: Set(0),
            figure_answered: Set(0),
            figure_adopted: Set(0),
            figure_projects: Set(0),
            figure_from_citizens: Set(0),
            figure_committed_fen: Set(0),
            figure_delivered: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        },
    )
    .await
    .or_conflict("slug", "another campaign of this city has this slug")?;
    let out = to_api(&row, Default::default());
    let out = commit(tx, out).await?;
    ctx.audit(Some(tenant.id), "campaign.create", &out.slug, "ok")
        .await;
    Ok(out)
}

/// The city's campaigns, newest first, with their figures (drafts only
/// for those who run campaigns).
pub async fn list(ctx: &Ctx, tenant: &TenantRecord) -> Result<Vec<Campaign>, Error> {
    let staff = crate::services::cases::holds(ctx, tenant, "campaign:write").await;
    let tx = ctx.read_tx(tenant.id).await?;
    let rows = q::rows::list(&tx, tenant.id.into_uuid())
        .await
        .or_internal()?;
    let mut out = Vec::new();
    for row in rows {
        if row.phase == Phase::Draft.as_str() && !staff {
            continue;
        }
        out.push(to_api(&row, figures::of(&row)));
    }
    commit(tx, out).await
}

/// One campaign with its figures.
pub async fn get(ctx: &Ctx, tenant: &TenantRecord, slug: &str) -> Result<Campaign, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (row, _) = load(ctx, &tx, tenant, slug).await?;
    commit(tx, to_api(&row, figures::of(&row))).await
}

/// Move the campaign to its next phase.
pub async fn advance(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    input: &PhaseInput,
) -> Result<Campaign, Error> {
    ctx.authorize(tenant, "campaign:write").await?;
    let target = Phase::parse(&input.phase).map_err(|m| Error::invalid("phase", m))?;
    let tx = ctx.tx(tenant.id).await?;
    let (row, phase) = load(ctx, &tx, tenant, slug).await?;
    if phase.next() != Some(target) {
        return Err(Error::Conflict {
            field: Some("phase".into()),
            message: match phase.next() {
                Some(next) => format!(
                    "the campaign is {}; its next phase is {}",
                    phase.as_str(),
                    next.as_str()
                ),
                None => "the campaign is closed".into(),
            },
        });
    }
    let now = ctx.now();
    let mut phases: Vec<PhaseEntry> =
        serde_json::from_value(row.phases.clone()).unwrap_or_default();
    match phases.iter_mut().find(|p| p.phase == target.as_str()) {
        Some(entry) => entry.started_at = Some(now),
        None => phases.push(PhaseEntry {
            phase: target.as_str().into(),
            planned: None,
            started_at: Some(now),
        }),
    }
    let changed = q::rows::update_in_phase(
        &tx,
        tenant.id.into_uuid(),
        row.id,
        phase.as_str(),
        campaign::ActiveModel {
            phase: Set(target.as_str().into()),
            phases: Set(serde_json::json!(phases)),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await
    .or_internal()?;
    if !changed {
        return Err(Error::conflict(
            "phase",
            "the campaign changed phase meanwhile; reload and try again",
        ));
    }
    let (row, _) = load(ctx, &tx, tenant, slug).await?;
    let out = commit(tx, to_api(&row, figures::of(&row))).await?;
    ctx.audit(
        Some(tenant.id),
        "campaign.phase",
        &format!("{slug}:{}", target.as_str()),
        "ok",
    )
    .await;
    Ok(out)
}
