//! Working groups: departments that answer a campaign's suggestions of
//! some themes together (a department may serve in several groups).

use super::{load, strings, uuids};
use crate::access::Ctx;
use crate::model::{Group, GroupInput};
use crate::services::directory::Names;
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::CampaignGroupId;
use minsheng_domain::values::parse_text;
use minsheng_store::entity::campaign_group;
use minsheng_store::queries::campaigns as q;
use sea_orm::ActiveValue::Set;

pub(crate) fn to_api(row: &campaign_group::Model, names: &Names) -> Group {
    let found: Vec<_> = uuids(&row.departments)
        .into_iter()
        .filter_map(|d| names.departments.get(&d))
        .collect();
    Group {
        id: row.id,
        name: row.name.clone(),
        departments: found.iter().map(|d| d.0.clone()).collect(),
        department_names: found.iter().map(|d| d.1.clone()).collect(),
        themes: strings(&row.themes),
        suggestions: 0,
        answered: 0,
        published: 0,
        overdue: 0,
    }
}

/// A new working group of a campaign.
pub async fn create(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    input: GroupInput,
) -> Result<Group, Error> {
    ctx.authorize(tenant, "campaign:write").await?;
    let tx = ctx.tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let names = ctx.app.calendars.rules_in(&tx, tenant).await?.names;
    let mut p = Problems::new();
    let name = p.check("name", parse_text(&input.name, 2, 200));
    if input.departments.is_empty() {
        p.push("departments", "name at least one department");
    }
    let mut departments = Vec::new();
    for (i, code) in input.departments.iter().enumerate() {
        match names
            .departments
            .iter()
            .find(|(_, (c, _))| c == code)
            .map(|(id, _)| *id)
        {
            Some(id) if !departments.contains(&id) => departments.push(id),
            Some(_) => {}
            None => p.push(
                format!("departments[{i}]"),
                format!("no department {code:?} in this city"),
            ),
        }
    }
    let themes = strings(&campaign.themes);
    for (i, theme) in input.themes.iter().enumerate() {
        if !themes.contains(theme) {
            p.push(
                format!("themes[{i}]"),
                format!(
                    "{theme:?} is not a theme of this campaign ({})",
                    themes.join(", ")
                ),
            );
        }
    }
    p.finish()?;
    let row = q::groups::insert(
        &tx,
        campaign_group::ActiveModel {
            id: Set(CampaignGroupId::new().into_uuid()),
            tenant_id: Set(tenant.id.into_uuid()),
            campaign_id: Set(campaign.id),
            name: Set(name.unwrap_or_default()),
            departments: Set(serde_json::json!(departments)),
            themes: Set(serde_json::json!(input.themes)),
            created_at: Set(ctx.now()),
        },
    )
    .await
    .or_conflict("name", "another group of this campaign has this name")?;
    let out = to_api(&row, &names);
    let out = commit(tx, out).await?;
    ctx.audit(
        Some(tenant.id),
        "campaign.group.create",
        &out.id.to_string(),
        "ok",
    )
    .await;
    Ok(out)
}

/// A campaign's working groups, in order of creation, each with how many
/// suggestions it answers and how far it has got (who is behind).
pub async fn list(ctx: &Ctx, tenant: &TenantRecord, slug: &str) -> Result<Vec<Group>, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let names = ctx.app.calendars.rules_in(&tx, tenant).await?.names;
    let t = tenant.id.into_uuid();
    let rows = q::groups::list(&tx, t, campaign.id).await.or_internal()?;
    let counts = q::suggestions::per_group(&tx, t, campaign.id, ctx.now())
        .await
        .or_internal()?;
    let out = rows
        .iter()
        .map(|r| {
            let mut g = to_api(r, &names);
            if let Some((_, c)) = counts.iter().find(|(id, _)| *id == Some(r.id)) {
                (g.suggestions, g.answered, g.published, g.overdue) =
                    (c.total, c.answered, c.published, c.overdue);
            }
            g
        })
        .collect();
    commit(tx, out).await
}
