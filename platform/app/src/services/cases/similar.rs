//! Similar questions before asking: the public, answered cases of the city
//! most like what a citizen is typing, so many find their answer without
//! filing. Candidates come from the search index (any of the words); they
//! are ordered by how many pairs of neighbouring characters they share
//! with the question, which also sees a question put in other words.

use super::names;
use super::read::{Redaction, public_view};
use crate::access::Ctx;
use crate::model::{SimilarCase, SimilarCases};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit, search};
use minsheng_domain::Error;
use minsheng_store::queries::search::{self as q, Among, Match};

/// At most this many similar cases are shown.
pub const SIMILAR_SHOWN: usize = 5;
/// Cases the index proposes before they are compared.
const CANDIDATES: u64 = 40;
/// Below this score a case is not shown as similar.
pub const SIMILAR_MIN_SCORE: f64 = 0.2;

/// The public answered cases most like `text` (a title, or a title and
/// text): 2 to 2,000 characters.
pub async fn similar_public(
    ctx: &Ctx,
    tenant: &TenantRecord,
    text: &str,
) -> Result<SimilarCases, Error> {
    let text = text.trim();
    let n = text.chars().count();
    if !(2..=2000).contains(&n) {
        return Err(Error::invalid("text", "must be 2 to 2000 characters"));
    }
    let mut terms = search::term_list(tenant, text);
    terms.truncate(16);
    let tx = ctx.read_tx(tenant.id).await?;
    let t = tenant.id.into_uuid();
    let found = q::candidates(
        &tx,
        t,
        &terms,
        Match::Any,
        &Among {
            public_answered: true,
        },
        CANDIDATES,
    )
    .await
    .or_internal()?;
    if found.is_empty() {
        return commit(tx, SimilarCases { items: Vec::new() }).await;
    }
    let rows = q::cases_by_ids(&tx, t, found.iter().map(|(id, _)| *id).collect())
        .await
        .or_internal()?;
    let names = names(ctx, &tx, tenant).await?;
    let shown = Redaction::public(tenant);
    let asked = minsheng_text::bigrams(text);
    let mut scored: Vec<(f64, &minsheng_store::entity::case::Model)> = rows
        .iter()
        .map(|r| {
            let title = minsheng_text::sets_similarity(&asked, &minsheng_text::bigrams(&r.title));
            let whole = minsheng_text::sets_similarity(
                &asked,
                &minsheng_text::bigrams(&format!("{} {}", r.title, r.body)),
            );
            (title.max(0.8 * whole), r)
        })
        .filter(|(score, _)| *score >= SIMILAR_MIN_SCORE)
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.submitted_at.cmp(&a.1.submitted_at))
    });
    scored.truncate(SIMILAR_SHOWN);
    let items = scored
        .into_iter()
        .map(|(score, r)| {
            let mut case = public_view(r, &names, shown);
            case.highlight = Some(crate::model::Highlight {
                title: minsheng_text::to_html(&minsheng_text::snippet(&case.title, &terms, 200)),
                snippet: minsheng_text::to_html(&minsheng_text::snippet(
                    case.answer.as_deref().unwrap_or_default(),
                    &terms,
                    80,
                )),
            });
            SimilarCase {
                case,
                score: (score * 1000.0).round() / 1000.0,
            }
        })
        .collect();
    commit(tx, SimilarCases { items }).await
}
