//! A campaign's public figures, counted from its rows: suggestions
//! received, the share answered (published), adopted, projects, the share
//! of projects from citizens, the budget committed and projects
//! delivered.

use crate::model::Figures;
use crate::services::DbResultExt;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::campaign::{DELIVERED, Disposition};
use minsheng_store::ConnectionTrait;
use minsheng_store::queries::campaigns as q;
use uuid::Uuid;

/// A percentage with one decimal.
pub fn share(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    ((part as f64) * 1000.0 / (whole as f64)).round() / 10.0
}

pub(crate) async fn count(
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
