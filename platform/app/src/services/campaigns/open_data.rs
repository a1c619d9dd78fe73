//! Open data: a campaign's public suggestions with their published
//! answers, its projects and their sources, as JSON and as CSV (one table
//! at a time). The columns are stable: new ones are only ever added at
//! the end. Private suggestions are left out, and a source naming one
//! shows no tracking code.

use super::{figures, load};
use crate::access::Ctx;
use crate::model::{OpenData, OpenProject, OpenSource, OpenSuggestion};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, cases, commit};
use minsheng_domain::Error;
use minsheng_domain::campaign::Disposition;
use minsheng_store::entity::case;
use minsheng_store::queries::campaigns as q;
use std::collections::HashMap;
use uuid::Uuid;

/// The tables of the CSV form.
pub const TABLES: &[&str] = &["suggestions", "projects", "sources"];

/// Everything public about a campaign.
pub async fn data(ctx: &Ctx, tenant: &TenantRecord, slug: &str) -> Result<OpenData, Error> {
    let tx = ctx.read_tx(tenant.id).await?;
    let (campaign, _) = load(ctx, &tx, tenant, slug).await?;
    let t = tenant.id.into_uuid();
    let names = ctx.app.calendars.rules_in(&tx, tenant).await?.names;
    let rows = q::suggestions::all(&tx, t, campaign.id)
        .await
        .or_internal()?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
    let case_rows = q::suggestions::cases(&tx, t, &ids).await.or_internal()?;
    let by_id: HashMap<Uuid, &case::Model> = case_rows.iter().map(|c| (c.id, c)).collect();
    let mut suggestions = Vec::new();
    for s in &rows {
        let Some(row) = by_id.get(&s.case_id).filter(|r| r.public) else {
            continue;
        };
        let published = s.published_at.is_some();
        suggestions.push(OpenSuggestion {
            tracking_code: row.tracking_code.clone(),
            theme: names
                .categories
                .get(&row.category_id)
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            title: cases::public_title(tenant, &row.title),
            submitted_at: s.submitted_at,
            disposition: if published {
                s.disposition.clone()
            } else {
                Disposition::NotAnswered.as_str().into()
            },
            answer: s.answer.clone().filter(|_| published),
            reason: s.reason.clone().filter(|_| published),
            published_at: s.published_at,
            cluster_id: s.cluster_id,
        });
    }
    let projects = q::projects::list(&tx, t, campaign.id).await.or_internal()?;
    let refs: HashMap<Uuid, String> = projects
        .iter()
        .map(|p| (p.id, p.reference.clone()))
        .collect();
    let project_ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let sources = q::projects::sources(&tx, t, &project_ids)
        .await
        .or_internal()?
        .into_iter()
        .map(|s| OpenSource {
            project: refs.get(&s.project_id).cloned().unwrap_or_default(),
            cluster_id: s.cluster_id,
            tracking_code: s
                .case_id
                .and_then(|c| by_id.get(&c))
                .filter(|r| r.public)
                .map(|r| r.tracking_code.clone()),
        })
        .collect();
    let projects = projects
        .iter()
        .map(|p| OpenProject {
            reference: p.reference.clone(),
            title: p.title.clone(),
            theme: p.theme.clone(),
            lead_department: p
                .lead_department_id
                .and_then(|d| names.departments.get(&d))
                .map(|d| d.0.clone()),
            planned_fen: p.planned_fen,
            spent_fen: p.spent_fen,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            status: p.status.clone(),
            progress: p.progress,
            parent: p.parent_id.and_then(|id| refs.get(&id).cloned()),
        })
        .collect();
    let figures = figures::recount(&tx, tenant, campaign.id).await?;
    commit(
        tx,
        OpenData {
            campaign: campaign.slug,
            figures,
            suggestions,
            projects,
            sources,
        },
    )
    .await
}

/// One CSV field, quoted when it needs to be (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn line(fields: &[String]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

/// One table of the open data as CSV, with a header line.
pub async fn csv(
    ctx: &Ctx,
    tenant: &TenantRecord,
    slug: &str,
    table: &str,
) -> Result<String, Error> {
    if !TABLES.contains(&table) {
        return Err(Error::invalid(
            "table",
            format!("use one of {}", TABLES.join(", ")),
        ));
    }
    let d = data(ctx, tenant, slug).await?;
    let s = |v: &str| v.to_owned();
    let mut out = String::new();
    match table {
        "suggestions" => {
            out.push_str(&line(&[
                s("tracking_code"),
                s("theme"),
                s("title"),
                s("submitted_at"),
                s("disposition"),
                s("answer"),
                s("reason"),
                s("published_at"),
                s("cluster_id"),
            ]));
            for r in &d.suggestions {
                out.push_str(&line(&[
                    r.tracking_code.clone(),
                    r.theme.clone(),
                    r.title.clone(),
                    r.submitted_at.to_rfc3339(),
                    r.disposition.clone(),
                    opt(&r.answer),
                    opt(&r.reason),
                    opt(&r.published_at.map(|t| t.to_rfc3339())),
                    opt(&r.cluster_id),
                ]));
            }
        }
        "projects" => {
            out.push_str(&line(&[
                s("reference"),
                s("title"),
                s("theme"),
                s("lead_department"),
                s("planned_fen"),
                s("spent_fen"),
                s("starts_on"),
                s("ends_on"),
                s("status"),
                s("progress"),
                s("parent"),
            ]));
            for p in &d.projects {
                out.push_str(&line(&[
                    p.reference.clone(),
                    p.title.clone(),
                    opt(&p.theme),
                    opt(&p.lead_department),
                    p.planned_fen.to_string(),
                    p.spent_fen.to_string(),
                    opt(&p.starts_on),
                    opt(&p.ends_on),
                    p.status.clone(),
                    p.progress.to_string(),
                    opt(&p.parent),
                ]));
            }
        }
        _ => {
            out.push_str(&line(&[s("project"), s("cluster_id"), s("tracking_code")]));
            for r in &d.sources {
                out.push_str(&line(&[
                    r.project.clone(),
                    opt(&r.cluster_id),
                    opt(&r.tracking_code),
                ]));
            }
        }
    }
    Ok(out)
}
