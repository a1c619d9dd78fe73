//! Cases: submission, public reading, staff actions, the citizen's rating
//! and the city's statistics.

use super::ApiTags;
use super::body::OptionalJson;
use super::error::ApiResult;
use crate::app::ServerState;
use chrono::{NaiveDate, NaiveTime};
use minsheng_app::access::Ctx;
use minsheng_app::model::{
    AnswerTemplate, AnswerTemplateInput, AssignInput, CaseCreated, CaseDetail, CaseInput,
    CaseMergeInput, CasePage, DecisionInput, ExtensionInput, NotDuplicateInput, OpinionInput,
    RatingInput, ReasonInput, ReleaseInput, SimilarCases, Stats, TextInput, TransferInput,
};
use minsheng_app::services::answer_templates;
use minsheng_app::services::cases::{self, StaffAction};
use minsheng_domain::case::State;
use minsheng_store::queries::cases::Filter;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

pub struct CasesApi {
    pub state: ServerState,
}

#[derive(ApiResponse)]
pub enum TemplateCreated {
    #[oai(status = 201)]
    Created(Json<AnswerTemplate>),
}

#[derive(ApiResponse)]
pub enum Submitted {
    /// A new case.
    #[oai(status = 201)]
    Created(Json<CaseCreated>),
    /// A retry with the same Idempotency-Key and body: the first answer.
    #[oai(status = 200)]
    Replayed(Json<CaseCreated>),
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    Done,
}

fn day_start(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

fn filter(
    state: Option<&str>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Filter, minsheng_domain::Error> {
    let state = match state {
        Some(s) => Some(
            State::parse(s)
                .map_err(|m| minsheng_domain::Error::invalid("state", m))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    Ok(Filter {
        state,
        from: from.map(day_start),
        to: to.map(|d| day_start(d + chrono::Duration::days(1))),
        ..Filter::default()
    })
}

/// The search words of `q`: at most 100 characters (none when blank).
fn search_text(q: Option<String>) -> Result<Option<String>, minsheng_domain::Error> {
    let Some(q) = q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > 100 {
        return Err(minsheng_domain::Error::invalid(
            "q",
            "must be at most 100 characters",
        ));
    }
    Ok(Some(q))
}

#[OpenApi(prefix_path = "/v1/tenants", tag = "ApiTags::Cases")]
impl CasesApi {
    /// Submit a question or complaint; anonymous citizens keep the secret.
    #[oai(path = "/:tenant/cases", method = "post")]
    async fn submit(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
        body: Json<CaseInput>,
    ) -> ApiResult<Submitted> {
        let t = ctx.tenant(&tenant).await?;
        let (created, replayed) =
            minsheng_app::services::intake::submit(&ctx, &t, body.0, key.0).await?;
        Ok(if replayed {
            Submitted::Replayed(Json(created))
        } else {
            Submitted::Created(Json(created))
        })
    }

    /// Public cases, newest first, with filters. With `q`, only cases whose
    /// title, text or answer holds every word of `q` (Chinese segmented
    /// into words), best matches first, each with `highlight`.
    #[oai(path = "/:tenant/cases", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        q: Query<Option<String>>,
        department: Query<Option<String>>,
        category: Query<Option<String>>,
        state: Query<Option<String>>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
        page: Query<Option<u64>>,
        page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<CasePage>> {
        let t = ctx.tenant(&tenant).await?;
        let mut f = filter(state.as_deref(), from.0, to.0)?;
        f.search = search_text(q.0)?;
        let list = cases::list_public(
            &ctx,
            &t,
            f,
            department.as_deref(),
            category.as_deref(),
            page.unwrap_or(0),
            page_size.unwrap_or(20),
        )
        .await?;
        Ok(Json(list))
    }

    /// Public answered cases like `text` (what a citizen is about to ask),
    /// most alike first, at most 5.
    #[oai(path = "/:tenant/cases/similar", method = "get")]
    async fn similar(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        text: Query<String>,
    ) -> ApiResult<Json<SimilarCases>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(cases::similar_public(&ctx, &t, &text).await?))
    }

    /// One case: public ones to anyone; with `X-Case-Secret` (or as the
    /// citizen or staff) also private ones and personal details.
    #[oai(path = "/:tenant/cases/:case", method = "get")]
    async fn get(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        #[oai(name = "X-Case-Secret")] secret: Header<Option<String>>,
    ) -> ApiResult<Json<CaseDetail>> {
        let t = ctx.tenant(&tenant).await?;
        let detail = cases::get(&ctx, &t, &case, secret.as_deref()).await?;
        if detail.public {
            cases::note_view(&self.state, &t, &detail.case.tracking_code, ctx.ip);
        }
        Ok(Json(detail))
    }

    /// The cases a department leads or co-handles (city-wide readers: all).
    #[oai(path = "/:tenant/inbox", method = "get")]
    async fn inbox(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        state: Query<Option<String>>,
        page: Query<Option<u64>>,
        page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<CasePage>> {
        let t = ctx.tenant(&tenant).await?;
        let f = filter(state.as_deref(), None, None)?;
        Ok(Json(
            cases::inbox(&ctx, &t, f, page.unwrap_or(0), page_size.unwrap_or(20)).await?,
        ))
    }

    /// 受理: accept a submitted case.
    #[oai(path = "/:tenant/cases/:case/accept", method = "post")]
    async fn accept(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
    ) -> ApiResult<Json<CaseDetail>> {
        self.act(&ctx, &tenant, &case, StaffAction::Accept).await
    }

    /// 不予受理: reject a submitted case, with the reason the citizen sees.
    #[oai(path = "/:tenant/cases/:case/reject", method = "post")]
    async fn reject(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<ReasonInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        self.act(
            &ctx,
            &tenant,
            &case,
            StaffAction::Reject {
                reason: body.0.reason,
            },
        )
        .await
    }

    /// 交办: assign to a lead department (主办) and co-handlers (协办).
    #[oai(path = "/:tenant/cases/:case/assign", method = "post")]
    async fn assign(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<AssignInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        let action = StaffAction::Assign {
            lead: body.0.lead,
            co: body.0.co.unwrap_or_default(),
        };
        self.act(&ctx, &tenant, &case, action).await
    }

    /// The lead department starts work.
    #[oai(path = "/:tenant/cases/:case/start", method = "post")]
    async fn start(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
    ) -> ApiResult<Json<CaseDetail>> {
        self.act(&ctx, &tenant, &case, StaffAction::Start).await
    }

    /// 转办: transfer to another department, with a reason.
    #[oai(path = "/:tenant/cases/:case/transfer", method = "post")]
    async fn transfer(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<TransferInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        self.act(
            &ctx,
            &tenant,
            &case,
            StaffAction::Transfer {
                to: body.0.to,
                reason: body.0.reason,
            },
        )
        .await
    }

    /// 退回: return a wrongly routed case to the dispatcher, with a reason.
    #[oai(path = "/:tenant/cases/:case/return", method = "post")]
    async fn return_case(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<ReasonInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        self.act(
            &ctx,
            &tenant,
            &case,
            StaffAction::Return {
                reason: body.0.reason,
            },
        )
        .await
    }

    /// 延期: ask a supervisor for more working days.
    #[oai(path = "/:tenant/cases/:case/extension", method = "post")]
    async fn extension(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<ExtensionInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        let action = StaffAction::RequestExtension {
            working_days: body.0.working_days,
            reason: body.0.reason,
        };
        self.act(&ctx, &tenant, &case, action).await
    }

    /// A supervisor approves or refuses the pending extension.
    #[oai(path = "/:tenant/cases/:case/extension/decision", method = "post")]
    async fn decide(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<DecisionInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        let action = StaffAction::DecideExtension {
            approve: body.0.approve,
            reason: body.0.reason,
        };
        self.act(&ctx, &tenant, &case, action).await
    }

    /// 答复: the lead department's public answer.
    #[oai(path = "/:tenant/cases/:case/answer", method = "post")]
    async fn answer(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<TextInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        self.act(
            &ctx,
            &tenant,
            &case,
            StaffAction::Answer { text: body.0.text },
        )
        .await
    }

    /// 办结: close an answered case without waiting for a rating.
    #[oai(path = "/:tenant/cases/:case/close", method = "post")]
    async fn close(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
    ) -> ApiResult<Json<CaseDetail>> {
        self.act(&ctx, &tenant, &case, StaffAction::Close).await
    }

    /// Decide about a held case (held by a rule, or waiting for review
    /// before publication): publish it, so it becomes public if the
    /// citizen asked for that (no body, or `{"publish": true}`), or keep it
    /// private with `{"publish": false, "reason": "…"}`.
    #[oai(path = "/:tenant/cases/:case/release", method = "post")]
    async fn release(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: OptionalJson<ReleaseInput>,
    ) -> ApiResult<Done> {
        let t = ctx.tenant(&tenant).await?;
        let decision = body.into_inner().unwrap_or_default();
        cases::release(&ctx, &t, &case, &decision).await?;
        Ok(Done::Done)
    }

    /// An internal note, seen by staff only.
    #[oai(path = "/:tenant/cases/:case/notes", method = "post")]
    async fn note(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<TextInput>,
    ) -> ApiResult<Done> {
        let t = ctx.tenant(&tenant).await?;
        cases::note(&ctx, &t, &case, &body.0.text).await?;
        Ok(Done::Done)
    }

    /// 协办意见: a co-handling department's opinion, while the case is
    /// being handled (staff of that department, or city-wide staff).
    #[oai(path = "/:tenant/cases/:case/opinion", method = "post")]
    async fn opinion(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<OpinionInput>,
    ) -> ApiResult<Done> {
        let t = ctx.tenant(&tenant).await?;
        cases::give_opinion(&ctx, &t, &case, &body.0.department, &body.0.text).await?;
        Ok(Done::Done)
    }

    /// 督办 / 催办: a supervisor puts the case under supervision (the first
    /// time) or urges its lead department (every time after); the words go
    /// on the internal timeline and the lead department's staff are mailed.
    #[oai(path = "/:tenant/cases/:case/supervision", method = "post")]
    async fn supervise(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<TextInput>,
    ) -> ApiResult<Done> {
        let t = ctx.tenant(&tenant).await?;
        cases::supervise(&ctx, &t, &case, &body.0.text).await?;
        Ok(Done::Done)
    }

    /// 并单: merge this open case, a duplicate, into the case `into` (its
    /// main case). The duplicate is closed and linked to the main case
    /// (nothing is deleted); its citizen is told and follows the main
    /// case's answer; both timelines say so; the statistics count the two
    /// once. Needs `case:accept`. Another city's case is not found (404).
    #[oai(path = "/:tenant/cases/:case/merge", method = "post")]
    async fn merge(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<CaseMergeInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(cases::merge(&ctx, &t, &case, &body.0.into).await?))
    }

    /// Not a duplicate: the two cases are not suggested as duplicates of
    /// each other again. Needs `case:accept`.
    #[oai(path = "/:tenant/cases/:case/not-duplicate", method = "post")]
    async fn not_duplicate(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        body: Json<NotDuplicateInput>,
    ) -> ApiResult<Done> {
        let t = ctx.tenant(&tenant).await?;
        cases::not_duplicate(&ctx, &t, &case, &body.0.other).await?;
        Ok(Done::Done)
    }

    /// The answer templates (常用语) the caller may use: the city's and
    /// their departments' (all of them for city-wide staff).
    #[oai(path = "/:tenant/answer-templates", method = "get")]
    async fn answer_templates(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
    ) -> ApiResult<Json<Vec<AnswerTemplate>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(answer_templates::usable(&ctx, &t).await?))
    }

    /// A new answer template for a department (department staff: their
    /// own) or the whole city.
    #[oai(path = "/:tenant/answer-templates", method = "post")]
    async fn create_answer_template(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        body: Json<AnswerTemplateInput>,
    ) -> ApiResult<TemplateCreated> {
        let t = ctx.tenant(&tenant).await?;
        let input = body.0;
        let created = answer_templates::create(
            &ctx,
            &t,
            input.department.as_deref(),
            &input.title,
            &input.text,
        )
        .await?;
        Ok(TemplateCreated::Created(Json(created)))
    }

    /// Remove an answer template the caller keeps.
    #[oai(path = "/:tenant/answer-templates/:id", method = "delete")]
    async fn delete_answer_template(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        id: Path<uuid::Uuid>,
    ) -> ApiResult<Done> {
        let t = ctx.tenant(&tenant).await?;
        answer_templates::delete(&ctx, &t, id.0).await?;
        Ok(Done::Done)
    }

    /// The citizen adds information (with the case's secret or account).
    #[oai(path = "/:tenant/cases/:case/information", method = "post")]
    async fn information(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        #[oai(name = "X-Case-Secret")] secret: Header<Option<String>>,
        body: Json<TextInput>,
    ) -> ApiResult<Done> {
        let t = ctx.tenant(&tenant).await?;
        cases::add_information(&ctx, &t, &case, secret.as_deref(), &body.0.text).await?;
        Ok(Done::Done)
    }

    /// The citizen rates the answer: 满意, 基本满意 or 不满意.
    #[oai(path = "/:tenant/cases/:case/rating", method = "post")]
    async fn rate(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        case: Path<String>,
        #[oai(name = "X-Case-Secret")] secret: Header<Option<String>>,
        body: Json<RatingInput>,
    ) -> ApiResult<Json<CaseDetail>> {
        let t = ctx.tenant(&tenant).await?;
        let detail = cases::rate(
            &ctx,
            &t,
            &case,
            secret.as_deref(),
            &body.0.rating,
            body.0.comment.as_deref(),
        )
        .await?;
        Ok(Json(detail))
    }

    /// The city's figures for a period (default: the last 365 days).
    #[oai(path = "/:tenant/stats", method = "get")]
    async fn stats(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> ApiResult<Json<Stats>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(cases::city_stats(&ctx, &t, from.0, to.0).await?))
    }

    /// Every department's figures for a period.
    #[oai(path = "/:tenant/stats/departments", method = "get")]
    async fn department_stats(
        &self,
        ctx: Data<&Ctx>,
        tenant: Path<String>,
        from: Query<Option<NaiveDate>>,
        to: Query<Option<NaiveDate>>,
    ) -> ApiResult<Json<Vec<Stats>>> {
        let t = ctx.tenant(&tenant).await?;
        Ok(Json(cases::department_stats(&ctx, &t, from.0, to.0).await?))
    }
}

impl CasesApi {
    async fn act(
        &self,
        ctx: &Ctx,
        tenant: &str,
        case: &str,
        action: StaffAction,
    ) -> ApiResult<Json<CaseDetail>> {
        let t = ctx.tenant(tenant).await?;
        Ok(Json(cases::act(ctx, &t, case, action).await?))
    }
}
