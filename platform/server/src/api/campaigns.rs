//! Campaigns (惠民工程): the campaign and its phases, working groups,
//! suggestions and their answers, clusters, projects with progress and
//! milestones, and the open data.

use super::ApiTags;
use super::access::Created;
use super::error::ApiResult;
use minsheng_app::access::Ctx;
use minsheng_app::model::{
    Campaign, CampaignInput, CaseCreated, CaseInput, Cluster, Group, GroupInput, MergeInput,
    Milestone, MilestoneInput, OpenData, PhaseInput, Project, ProjectInput, ProjectPatch,
    PublishInput, Published, QueueItem, QueuePage, Suggestion, SuggestionAnswer, SuggestionPage,
};
use minsheng_app::services::campaigns::{
    clusters, groups, open_data, phases, projects, suggestions,
};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, OpenApi};

pub struct CampaignsApi;

#[derive(ApiResponse)]
pub enum SuggestionSubmitted {
    /// A new suggestion (keep the secret, shown once).
    #[oai(status = 201)]
    Created(Json<CaseCreated>),
    /// A retry with the same Idempotency-Key and body: the first answer.
    #[oai(status = 200)]
    Replayed(Json<CaseCreated>),
}

#[derive(ApiResponse)]
pub enum Csv {
    /// One table, with a header line (RFC 4180, UTF-8).
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(PlainText<String>),
}

#[OpenApi(prefix_path = "/v1/tenants", tag = "ApiTags::Campaigns")]
impl CampaignsApi {
    /// The city's campaigns, newest first, with their figures.
    #[oai(path = "/:tenant/campaigns", method = "get")]
    async fn list(&self, ctx: Data<&Ctx>, tenant: Path<String>) -> ApiResult<Json<Vec<Campaign>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(phases::list(&ctx, &t).await?))
    }

    /// A new campaign, in draft.
    #[oai(path = "/:tenant/campaigns", method = "post")]
    async fn create(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<CampaignInput>,
    ) -> ApiResult<Created<Campaign>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            phases::create(&ctx, &t, body.0).await?,
        )))
    }

    /// A campaign: what is asked, its phases and its figures.
    #[oai(path = "/:tenant/campaigns/:campaign", method = "get")]
    async fn get(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
    ) -> ApiResult<Json<Campaign>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(phases::get(&ctx, &t, &campaign).await?))
    }

    /// Move the campaign to its next phase.
    #[oai(path = "/:tenant/campaigns/:campaign/phase", method = "post")]
    async fn phase(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        body: Json<PhaseInput>,
    ) -> ApiResult<Json<Campaign>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(phases::advance(&ctx, &t, &campaign, &body.0).await?))
    }

    /// The campaign's working groups.
    #[oai(path = "/:tenant/campaigns/:campaign/groups", method = "get")]
    async fn groups(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
    ) -> ApiResult<Json<Vec<Group>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(groups::list(&ctx, &t, &campaign).await?))
    }

    /// A new working group of departments.
    #[oai(path = "/:tenant/campaigns/:campaign/groups", method = "post")]
    async fn create_group(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        body: Json<GroupInput>,
    ) -> ApiResult<Created<Group>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            groups::create(&ctx, &t, &campaign, body.0).await?,
        )))
    }

    /// Submit a suggestion (a case under one of the campaign's themes)
    /// while the campaign is collecting.
    #[oai(path = "/:tenant/campaigns/:campaign/suggestions", method = "post")]
    async fn submit(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
        body: Json<CaseInput>,
    ) -> ApiResult<SuggestionSubmitted> {
        let t = ctx.tenant(&tenant).await?;
        let (created, replayed) = suggestions::submit(&ctx, &t, &campaign, body.0, key.0).await?;
        Ok(if replayed {
            SuggestionSubmitted::Replayed(Json(created))
        } else {
            SuggestionSubmitted::Created(Json(created))
        })
    }

    /// Public suggestions, oldest first; `disposition` filters by the
    /// published disposition, `theme` by category code.
    #[oai(path = "/:tenant/campaigns/:campaign/suggestions", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn suggestions(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        disposition: Query<Option<String>>,
        theme: Query<Option<String>>,
        page: Query<Option<u64>>,
        page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<SuggestionPage>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            suggestions::list(
                &ctx,
                &t,
                &campaign,
                disposition.as_deref(),
                theme.as_deref(),
                page.unwrap_or(0),
                page_size.unwrap_or(20),
            )
            .await?,
        ))
    }

    /// One suggestion: its published answer, the cluster it was merged
    /// into and the projects it led to.
    #[oai(
        path = "/:tenant/campaigns/:campaign/suggestions/:suggestion",
        method = "get"
    )]
    async fn suggestion(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        suggestion: Path<String>,
    ) -> ApiResult<Json<Suggestion>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            suggestions::get(&ctx, &t, &campaign, &suggestion).await?,
        ))
    }

    /// Answer a suggestion (a draft unless `publish`); `not_adopted`
    /// needs a reason.
    #[oai(
        path = "/:tenant/campaigns/:campaign/suggestions/:suggestion/answer",
        method = "post"
    )]
    async fn answer(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        suggestion: Path<String>,
        body: Json<SuggestionAnswer>,
    ) -> ApiResult<Json<QueueItem>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            suggestions::answer(&ctx, &t, &campaign, &suggestion, &body.0).await?,
        ))
    }

    /// A working group's queue: `state` unanswered (default), drafted,
    /// published or all; `group` one group's (department staff: theirs).
    #[oai(path = "/:tenant/campaigns/:campaign/queue", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn queue(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        state: Query<Option<String>>,
        group: Query<Option<uuid::Uuid>>,
        page: Query<Option<u64>>,
        page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<QueuePage>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            suggestions::queue(
                &ctx,
                &t,
                &campaign,
                state.as_deref(),
                group.0,
                page.unwrap_or(0),
                page_size.unwrap_or(50),
            )
            .await?,
        ))
    }

    /// Publish drafted answers together: the named ones, or every one the
    /// caller answers for.
    #[oai(path = "/:tenant/campaigns/:campaign/publish", method = "post")]
    async fn publish(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        body: Json<PublishInput>,
    ) -> ApiResult<Json<Published>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            suggestions::publish(&ctx, &t, &campaign, &body.0).await?,
        ))
    }

    /// The campaign's clusters of merged suggestions.
    #[oai(path = "/:tenant/campaigns/:campaign/clusters", method = "get")]
    async fn clusters(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
    ) -> ApiResult<Json<Vec<Cluster>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(clusters::list(&ctx, &t, &campaign).await?))
    }

    /// Merge suggestions into a new cluster or an existing one (the
    /// originals stay).
    #[oai(path = "/:tenant/campaigns/:campaign/clusters", method = "post")]
    async fn merge(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        body: Json<MergeInput>,
    ) -> ApiResult<Created<Cluster>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            clusters::merge(&ctx, &t, &campaign, &body.0).await?,
        )))
    }

    /// The campaign's projects, filtered by status, theme and lead
    /// department (a code).
    #[oai(path = "/:tenant/campaigns/:campaign/projects", method = "get")]
    async fn projects(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        status: Query<Option<String>>,
        theme: Query<Option<String>>,
        department: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<Project>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            projects::list(
                &ctx,
                &t,
                &campaign,
                status.as_deref(),
                theme.as_deref(),
                department.as_deref(),
                true,
            )
            .await?,
        ))
    }

    /// A new project, with the clusters and suggestions it came from.
    #[oai(path = "/:tenant/campaigns/:campaign/projects", method = "post")]
    async fn create_project(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        body: Json<ProjectInput>,
    ) -> ApiResult<Created<Project>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            projects::create(&ctx, &t, &campaign, &body.0).await?,
        )))
    }

    /// A project with its progress, milestones and sources.
    #[oai(
        path = "/:tenant/campaigns/:campaign/projects/:project",
        method = "get"
    )]
    async fn project(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        project: Path<String>,
    ) -> ApiResult<Json<Project>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(projects::get(&ctx, &t, &campaign, &project).await?))
    }

    /// Change a project's status, progress or spending.
    #[oai(
        path = "/:tenant/campaigns/:campaign/projects/:project",
        method = "patch"
    )]
    async fn update_project(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        project: Path<String>,
        body: Json<ProjectPatch>,
    ) -> ApiResult<Json<Project>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(
            projects::update(&ctx, &t, &campaign, &project, &body.0).await?,
        ))
    }

    /// Add a milestone to a project.
    #[oai(
        path = "/:tenant/campaigns/:campaign/projects/:project/milestones",
        method = "post"
    )]
    async fn milestone(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        project: Path<String>,
        body: Json<MilestoneInput>,
    ) -> ApiResult<Created<Milestone>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Created::Created(Json(
            projects::add_milestone(&ctx, &t, &campaign, &project, &body.0).await?,
        )))
    }

    /// The campaign's open data as JSON: public suggestions and answers,
    /// projects, sources and figures.
    #[oai(path = "/:tenant/campaigns/:campaign/open-data", method = "get")]
    async fn open_data(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
    ) -> ApiResult<Json<OpenData>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(open_data::data(&ctx, &t, &campaign).await?))
    }

    /// One table of the open data as CSV: `table` is suggestions (the
    /// default), projects or sources.
    #[oai(path = "/:tenant/campaigns/:campaign/open-data/csv", method = "get")]
    async fn open_data_csv(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        campaign: Path<String>,
        table: Query<Option<String>>,
    ) -> ApiResult<Csv> {
        let t = ctx.tenant(&tenant).await?;
        let table = table.as_deref().unwrap_or("suggestions");
        Ok(Csv::Ok(PlainText(
            open_data::csv(&ctx, &t, &campaign, table).await?,
        )))
    }
}
