//! Listings of cases: public pages, Open311 lists and updates, and a
//! department's inbox. Public listings show free text as the public reads
//! it ([`Redaction::public`]); the inbox and the citizen's own list as
//! written.

use super::read::{Redaction, public_view, timeline_view};
use super::{Names, names};
use crate::access::Ctx;
use crate::model::{CasePage, PublicCase, TimelineEvent};
use crate::services::tenants::TenantRecord;
use crate::services::{DbResultExt, commit};
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_store::DatabaseTransaction;
use minsheng_store::queries::cases::{self as q, Filter};

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
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let names = names(ctx, &tx, tenant).await?;
    let shown = Redaction::public(tenant);
    let filter = public_filter(tenant, &names, filter, department, category, shown)?;
    let counted = Counted::Ahead(PUBLIC_COUNT_AHEAD);
    let mut list = page_of(tx, tenant, &names, &filter, page, page_size, shown, counted).await?;
    highlight(&mut list.items, &filter);
    Ok(list)
}

/// How far past a public page's last case its total is counted.
pub const PUBLIC_COUNT_AHEAD: u64 = 1000;

/// How a page's total is counted.
#[derive(Clone, Copy, Debug)]
pub(super) enum Counted {
    /// Every match.
    All,
    /// Up to this many past the page's last.
    Ahead(u64),
}

/// `filter` limited to public cases, with department and category codes
/// turned into ids.
fn public_filter(
    tenant: &TenantRecord,
    names: &Names,
    mut filter: Filter,
    department: Option<&str>,
    category: Option<&str>,
    shown: Redaction,
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
    if shown.hides() && filter.search.as_deref().is_some_and(probes_personal_data) {
        // Finds nothing rather than everything: the words are not ignored.
        filter.codes = Some(Vec::new());
    }
    filter.search = filter
        .search
        .map(|s| crate::services::search::terms(tenant, &s));
    filter.ranked = true;
    Ok(filter)
}

/// Mark the searched words of `filter` in each listed case.
fn highlight(items: &mut [PublicCase], filter: &Filter) {
    use minsheng_text::{snippet, to_html};
    let Some(terms) = filter.search.as_deref() else {
        return;
    };
    let terms: Vec<String> = terms.split_whitespace().map(str::to_owned).collect();
    if terms.is_empty() {
        return;
    }
    for item in items {
        let text = snippet(&item.text, &terms, 80);
        let snip = match &item.answer {
            Some(answer) if !text.iter().any(|f| f.hit) => snippet(answer, &terms, 80),
            _ => text,
        };
        item.highlight = Some(crate::model::Highlight {
            title: to_html(&snippet(&item.title, &terms, 200)),
            snippet: to_html(&snip),
        });
    }
}

/// Whether a public search could tell which case holds a phone number, ID
/// number or e-mail address its public text hides: the search runs over
/// the text as written, so it may hold at most four digits in all (a
/// year, a room) and no `@`.
fn probes_personal_data(search: &str) -> bool {
    let digits = search
        .chars()
        .filter(|c| c.is_ascii_digit() || ('０'..='９').contains(c))
        .count();
    digits > 4 || search.contains('@') || search.contains('＠')
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
    let names = names(ctx, &tx, tenant).await?;
    let shown = Redaction::public(tenant);
    let filter = public_filter(tenant, &names, filter, department, category, shown)?;
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
        items: {
            let mut items: Vec<PublicCase> =
                rows.iter().map(|r| public_view(r, &names, shown)).collect();
            highlight(&mut items, &filter);
            items
        },
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
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let names = names(ctx, &tx, tenant).await?;
    let rows = q::page(&tx, tenant.id.into_uuid(), &filter, 0, limit)
        .await
        .or_internal()?;
    let shown = Redaction::public(tenant);
    let items = rows.iter().map(|r| public_view(r, &names, shown)).collect();
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
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let names = names(ctx, &tx, tenant).await?;
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
    let shown = Redaction::public(tenant);
    Ok(rows.iter().map(|r| public_view(r, &names, shown)).collect())
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
    let names = names(ctx, &tx, tenant).await?;
    let rows = q::public_events(&tx, tenant.id.into_uuid(), from, to, codes, limit)
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    let shown = Redaction::public(tenant);
    Ok(rows
        .into_iter()
        .map(|(event, row)| {
            let id = event.id;
            (
                timeline_view(&event, &names, false, shown),
                public_view(&row, &names, shown),
                id,
            )
        })
        .collect())
}

/// One page of a listing, in public view with free text `shown` so,
/// committing the read transaction.
#[allow(clippy::too_many_arguments)]
pub(super) async fn page_of(
    tx: DatabaseTransaction,
    tenant: &TenantRecord,
    names: &Names,
    filter: &Filter,
    page: u64,
    page_size: u64,
    shown: Redaction,
    counted: Counted,
) -> Result<CasePage, Error> {
    if page_size == 0 || page_size > 100 {
        return Err(Error::invalid("page_size", "must be between 1 and 100"));
    }
    let t = tenant.id.into_uuid();
    let (rows, total, total_capped) = match counted {
        Counted::All => {
            let (rows, total) = q::list(&tx, t, filter, page, page_size)
                .await
                .or_internal()?;
            (rows, total, false)
        }
        Counted::Ahead(ahead) => {
            let rows = q::page(&tx, t, filter, page, page_size)
                .await
                .or_internal()?;
            let cap = (page + 1).saturating_mul(page_size).saturating_add(ahead);
            let n = q::count_capped(&tx, t, filter, cap.saturating_add(1))
                .await
                .or_internal()?;
            (rows, n.min(cap), n > cap)
        }
    };
    let items = rows.iter().map(|r| public_view(r, names, shown)).collect();
    commit(
        tx,
        CasePage {
            items,
            total,
            total_capped,
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
    let tx = ctx.planned_read_tx(tenant.id).await?;
    let names = names(ctx, &tx, tenant).await?;
    page_of(
        tx,
        tenant,
        &names,
        &filter,
        page,
        page_size,
        Redaction::NONE,
        Counted::All,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::probes_personal_data;

    #[test]
    fn searches_that_could_find_a_hidden_number() {
        for probe in [
            "13812345678",
            "1381 2345",
            "a@b",
            "１３８１２",
            "路灯 2024 301",
        ] {
            assert!(probes_personal_data(probe), "{probe}");
        }
        for fine in ["暖气不热", "2024年", "301室", "C-22 栋", ""] {
            assert!(!probes_personal_data(fine), "{fine}");
        }
    }
}
