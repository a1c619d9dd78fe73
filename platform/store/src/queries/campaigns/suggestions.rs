//! Suggestions beside their cases: the rows, the queue, counts by
//! disposition, the published answers.

use super::{CHUNK, Result};
use crate::entity::{campaign_suggestion as s, case};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

/// Insert the suggestion rows of an intake batch.
pub async fn insert_batch(db: &impl ConnectionTrait, rows: Vec<s::ActiveModel>) -> Result<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        s::Entity::insert_many(rows.by_ref().take(CHUNK))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub async fn by_case(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
) -> Result<Option<s::Model>> {
    s::Entity::find()
        .filter(s::Column::TenantId.eq(tenant_id))
        .filter(s::Column::CaseId.eq(case_id))
        .one(db)
        .await
}

pub async fn by_cases(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_ids: &[Uuid],
) -> Result<Vec<s::Model>> {
    let mut out = Vec::new();
    for ids in case_ids.chunks(CHUNK) {
        out.extend(
            s::Entity::find()
                .filter(s::Column::TenantId.eq(tenant_id))
                .filter(s::Column::CaseId.is_in(ids.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The cases of `case_ids`, in the city.
pub async fn cases(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_ids: &[Uuid],
) -> Result<Vec<case::Model>> {
    let mut out = Vec::new();
    for ids in case_ids.chunks(CHUNK) {
        out.extend(
            case::Entity::find()
                .filter(case::Column::TenantId.eq(tenant_id))
                .filter(case::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// What a link to a suggestion shows of its case.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct CaseRef {
    pub id: Uuid,
    pub tracking_code: String,
    pub title: String,
    pub public: bool,
    pub category_id: Uuid,
}

/// The links to the cases of `case_ids` (only the columns a link shows).
pub async fn case_refs(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_ids: &[Uuid],
) -> Result<Vec<CaseRef>> {
    let mut out = Vec::new();
    for ids in case_ids.chunks(CHUNK) {
        out.extend(
            case::Entity::find()
                .select_only()
                .columns([
                    case::Column::Id,
                    case::Column::TrackingCode,
                    case::Column::Title,
                    case::Column::Public,
                    case::Column::CategoryId,
                ])
                .filter(case::Column::TenantId.eq(tenant_id))
                .filter(case::Column::Id.is_in(ids.iter().copied()))
                .into_model::<CaseRef>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// (suggestion, cluster) of every suggestion merged into `cluster_ids`,
/// oldest first.
pub async fn cluster_members(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    cluster_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>> {
    let mut out = Vec::new();
    for ids in cluster_ids.chunks(CHUNK) {
        out.extend(
            s::Entity::find()
                .select_only()
                .columns([s::Column::CaseId, s::Column::ClusterId])
                .filter(s::Column::TenantId.eq(tenant_id))
                .filter(s::Column::ClusterId.is_in(ids.iter().copied()))
                .order_by_asc(s::Column::SubmittedAt)
                .order_by_asc(s::Column::CaseId)
                .into_tuple::<(Uuid, Uuid)>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// What to list.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub groups: Option<Vec<Uuid>>,
    pub disposition: Option<String>,
    /// Only published answers (the public list shows every suggestion, and
    /// the disposition only once published).
    pub published: Option<bool>,
    pub cluster: Option<Uuid>,
    /// Only answered (drafted or published), or only not yet answered.
    pub answered: Option<bool>,
    /// Only suggestions whose case is public.
    pub public_only: bool,
    /// Only suggestions of this category (theme).
    pub category: Option<Uuid>,
    /// Only suggestions whose answer was due before this time.
    pub due_before: Option<chrono::DateTime<chrono::Utc>>,
}

fn filtered(tenant_id: Uuid, campaign_id: Uuid, q: &Query) -> sea_orm::Select<s::Entity> {
    let mut find = s::Entity::find()
        .filter(s::Column::TenantId.eq(tenant_id))
        .filter(s::Column::CampaignId.eq(campaign_id));
    if let Some(groups) = &q.groups {
        find = find.filter(s::Column::GroupId.is_in(groups.clone()));
    }
    if let Some(d) = &q.disposition {
        find = find.filter(s::Column::Disposition.eq(d.clone()));
    }
    match q.published {
        Some(true) => find = find.filter(s::Column::PublishedAt.is_not_null()),
        Some(false) => find = find.filter(s::Column::PublishedAt.is_null()),
        None => {}
    }
    if let Some(c) = q.cluster {
        find = find.filter(s::Column::ClusterId.eq(c));
    }
    match q.answered {
        Some(true) => find = find.filter(s::Column::AnsweredAt.is_not_null()),
        Some(false) => find = find.filter(s::Column::AnsweredAt.is_null()),
        None => {}
    }
    if q.public_only || q.category.is_some() || q.due_before.is_some() {
        // Each suggestion's own case, looked up by its key (an `IN` over
        // the city's public cases would read all of them for one page).
        let mut cases = sea_orm::sea_query::Query::select()
            .expr(Expr::val(1))
            .from(case::Entity)
            .and_where(Expr::col((case::Entity, case::Column::TenantId)).eq(tenant_id))
            .and_where(
                Expr::col((case::Entity, case::Column::Id)).equals((s::Entity, s::Column::CaseId)),
            )
            .to_owned();
        if q.public_only {
            cases.and_where(Expr::col((case::Entity, case::Column::Public)).eq(true));
        }
        if let Some(category) = q.category {
            cases.and_where(Expr::col((case::Entity, case::Column::CategoryId)).eq(category));
        }
        if let Some(due) = q.due_before {
            cases.and_where(Expr::col((case::Entity, case::Column::AnswerDeadline)).lt(due));
        }
        find = find.filter(Expr::exists(cases));
    }
    find
}

/// Page `page` of `size` suggestions (`limit` rows at most), oldest first.
fn ordered(
    tenant_id: Uuid,
    campaign_id: Uuid,
    q: &Query,
    page: u64,
    size: u64,
    limit: u64,
) -> sea_orm::Select<s::Entity> {
    filtered(tenant_id, campaign_id, q)
        .order_by_asc(s::Column::SubmittedAt)
        .order_by_asc(s::Column::CaseId)
        .offset(page * size)
        .limit(limit)
}

/// One page of suggestions, oldest first, and how many match.
pub async fn page(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
    q: &Query,
    page: u64,
    size: u64,
) -> Result<(Vec<s::Model>, u64)> {
    let total = filtered(tenant_id, campaign_id, q).count(db).await?;
    let rows = ordered(tenant_id, campaign_id, q, page, size, size)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// What a public list shows of a suggestion beside its case.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct SuggestionLine {
    pub case_id: Uuid,
    pub disposition: String,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One page of suggestions, oldest first, with only the columns a public
/// list shows, without counting them all: `size + 1` rows tell whether
/// another page follows.
pub async fn page_lines(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
    q: &Query,
    page: u64,
    size: u64,
) -> Result<Vec<SuggestionLine>> {
    ordered(tenant_id, campaign_id, q, page, size, size + 1)
        .select_only()
        .columns([
            s::Column::CaseId,
            s::Column::Disposition,
            s::Column::PublishedAt,
        ])
        .into_model::<SuggestionLine>()
        .all(db)
        .await
}

/// Every suggestion of a campaign (open data, recounts).
pub async fn all(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
) -> Result<Vec<s::Model>> {
    filtered(tenant_id, campaign_id, &Query::default())
        .order_by_asc(s::Column::SubmittedAt)
        .order_by_asc(s::Column::CaseId)
        .all(db)
        .await
}

/// (disposition, published, count) of a campaign's suggestions.
pub async fn counts(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
) -> Result<Vec<(String, bool, i64)>> {
    let mut out = Vec::new();
    for published in [true, false] {
        let rows: Vec<(String, i64)> = filtered(
            tenant_id,
            campaign_id,
            &Query {
                published: Some(published),
                ..Query::default()
            },
        )
        .select_only()
        .column(s::Column::Disposition)
        .column_as(Expr::col(s::Column::CaseId).count(), "n")
        .group_by(s::Column::Disposition)
        .into_tuple()
        .all(db)
        .await?;
        out.extend(rows.into_iter().map(|(d, n)| (d, published, n)));
    }
    Ok(out)
}

/// Change one suggestion; false when it is not there (or no longer in
/// `unpublished_only` state).
pub async fn update(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_id: Uuid,
    row: s::ActiveModel,
) -> Result<bool> {
    let done = s::Entity::update_many()
        .set(row)
        .filter(s::Column::TenantId.eq(tenant_id))
        .filter(s::Column::CaseId.eq(case_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Put suggestions into a cluster; those still unanswered become `merged`.
pub async fn merge(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_ids: &[Uuid],
    cluster_id: Uuid,
) -> Result<()> {
    for ids in case_ids.chunks(CHUNK) {
        s::Entity::update_many()
            .col_expr(s::Column::ClusterId, Expr::value(cluster_id))
            .filter(s::Column::TenantId.eq(tenant_id))
            .filter(s::Column::CaseId.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Drafted, unpublished answers among `case_ids` (or of `groups`).
pub async fn drafted(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
    case_ids: Option<&[Uuid]>,
    groups: Option<&[Uuid]>,
) -> Result<Vec<s::Model>> {
    let mut find = s::Entity::find()
        .filter(s::Column::TenantId.eq(tenant_id))
        .filter(s::Column::CampaignId.eq(campaign_id))
        .filter(s::Column::PublishedAt.is_null())
        .filter(s::Column::AnsweredAt.is_not_null());
    if let Some(ids) = case_ids {
        find = find.filter(s::Column::CaseId.is_in(ids.to_vec()));
    }
    if let Some(groups) = groups {
        find = find.filter(Condition::any().add(s::Column::GroupId.is_in(groups.to_vec())));
    }
    find.order_by_asc(s::Column::SubmittedAt).all(db).await
}

/// The suggestions merged into any of `cluster_ids`.
pub async fn in_clusters(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    cluster_ids: &[Uuid],
) -> Result<Vec<s::Model>> {
    let mut out = Vec::new();
    for ids in cluster_ids.chunks(CHUNK) {
        out.extend(
            s::Entity::find()
                .filter(s::Column::TenantId.eq(tenant_id))
                .filter(s::Column::ClusterId.is_in(ids.iter().copied()))
                .order_by_asc(s::Column::SubmittedAt)
                .order_by_asc(s::Column::CaseId)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// How far a working group has got with its suggestions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    pub total: i64,
    /// Answered: drafted or published.
    pub answered: i64,
    pub published: i64,
    /// Not published and past the answer deadline at `now`.
    pub overdue: i64,
}

/// Per working group (`None` for suggestions no group answers): how many
/// suggestions, answered, published and overdue at `now`.
pub async fn per_group(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    campaign_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(Option<Uuid>, GroupCounts)>> {
    let count = |q: Query| {
        filtered(tenant_id, campaign_id, &q)
            .select_only()
            .column(s::Column::GroupId)
            .column_as(Expr::col(s::Column::CaseId).count(), "n")
            .group_by(s::Column::GroupId)
            .into_tuple::<(Option<Uuid>, i64)>()
            .all(db)
    };
    let total = count(Query::default()).await?;
    let answered = count(Query {
        answered: Some(true),
        ..Query::default()
    })
    .await?;
    let published = count(Query {
        published: Some(true),
        ..Query::default()
    })
    .await?;
    let overdue = count(Query {
        published: Some(false),
        due_before: Some(now),
        ..Query::default()
    })
    .await?;
    let find = |list: &[(Option<Uuid>, i64)], g: Option<Uuid>| {
        list.iter().find(|(x, _)| *x == g).map_or(0, |(_, n)| *n)
    };
    Ok(total
        .iter()
        .map(|(g, n)| {
            let counts = GroupCounts {
                total: *n,
                answered: find(&answered, *g),
                published: find(&published, *g),
                overdue: find(&overdue, *g),
            };
            (*g, counts)
        })
        .collect())
}

/// Write the same change to many suggestions of the city.
pub async fn update_many(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    case_ids: &[Uuid],
    row: s::ActiveModel,
) -> Result<()> {
    for ids in case_ids.chunks(CHUNK) {
        s::Entity::update_many()
            .set(row.clone())
            .filter(s::Column::TenantId.eq(tenant_id))
            .filter(s::Column::CaseId.is_in(ids.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}
