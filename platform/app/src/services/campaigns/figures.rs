//! A campaign's public figures: suggestions received, the share answered
//! (published), adopted, projects, the share of projects from citizens,
//! the budget committed and projects delivered.
//!
//! Pages read them from the campaign's row (`of`), where every write that
//! changes them adds its change in its own transaction (`add`: suggestions
//! filed in intake, answers published or taken back to drafts, projects
//! created, delivered or no longer delivered). `recount` counts them from
//! the rows: the open data does, and the tests hold the two equal.

use crate::model::Figures;
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::campaign::{DELIVERED, Disposition};
use minsheng_store::ConnectionTrait;
use minsheng_store::entity::campaign;
use minsheng_store::queries::campaigns as q;
use minsheng_store::queries::campaigns::rows::FigureDelta;
use uuid::Uuid;

/// A percentage with one decimal.
pub fn share(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    ((part as f64) * 1000.0 / (whole as f64)).round() / 10.0
}

/// The figures kept on the campaign's row.
pub(crate) fn of(row: &campaign::Model) -> Figures {
    let mut f = Figures {
        suggestions: row.figure_suggestions,
        answered: row.figure_answered,
        adopted: row.figure_adopted,
        projects: row.figure_projects,
        projects_from_citizens: row.figure_from_citizens,
        budget_committed_fen: row.figure_committed_fen,
        delivered: row.figure_delivered,
        ..Figures::default()
    };
    f.answered_share = share(f.answered, f.suggestions);
    f.from_citizens_share = share(f.projects_from_citizens, f.projects);
    f
}

/// Add a write's change to the campaign's figures, in its transaction.
pub(crate) async fn add(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign_id: Uuid,
    delta: FigureDelta,
) -> Result<(), Error> {
    q::rows::add_figures(db, tenant.id.into_uuid(), campaign_id, delta)
        .await
        .or_internal()
}

/// The figures counted from the campaign's rows.
pub(crate) async fn recount(
    db: &impl ConnectionTrait,
    tenant: &TenantRecord,
    campaign_id: Uuid,
) -> Result<Figures, Error> {
    let t = tenant.id.into_uuid();
    let counts = q::suggestions::counts(db, t, campaign_id)
        .await
        .or_internal()?;
    let mut f = Figures::default();
    for (disposition, published, n) in counts {
        f.suggestions += n;
        if published {
            f.answered += n;
            if Disposition::parse(&disposition).is_ok_and(Disposition::is_adopted) {
                f.adopted += n;
            }
        }
    }
    let (projects, sourced, planned, delivered) =
        q::projects::figures(db, t, campaign_id, DELIVERED)
            .await
            .or_internal()?;
    f.projects = projects;
    f.projects_from_citizens = sourced;
    f.budget_committed_fen = planned;
    f.delivered = delivered;
    f.answered_share = share(f.answered, f.suggestions);
    f.from_citizens_share = share(sourced, projects);
    Ok(f)
}
