//! The campaign desk in the workbench: a working group's queue of
//! suggestions with an answer form each (draft, or draft and publish),
//! bulk publication, merging chosen suggestions into a cluster, a project
//! made from clusters, and each project's status, progress and milestones.
//! Every form posts to the campaign's desk page, which calls the same
//! services as the API and answers `303` back, or the page again with what
//! went wrong.

use super::{Desk, csrf_ok, desk};
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::model::{
    MergeInput, MilestoneInput, ProjectInput, ProjectPatch, PublishInput, SuggestionAnswer,
};
use minsheng_app::services::campaigns::{clusters, groups, phases, projects, suggestions};
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

/// `/t/{slug}/staff/campaigns`: the city's campaigns, each with its desk.
#[handler]
pub async fn list(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    let all = match phases::list(&ctx, &desk.site.tenant).await {
        Ok(l) => l,
        Err(e) => return desk.site.error(&state, &ctx, &e),
    };
    let mut context = desk.context(&ctx, "campaigns");
    context.insert("campaigns".into(), json!(all));
    context.insert("campaign".into(), json!(null));
    desk.render(&state, "staff_campaign.html", context, StatusCode::OK)
}

#[derive(Deserialize, Default)]
pub struct DeskQuery {
    state: Option<String>,
    page: Option<u64>,
    notice: Option<String>,
}

/// `GET /t/{slug}/staff/campaigns/{campaign}`
#[handler]
pub async fn desk_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, campaign)): Path<(String, String)>,
    Query(query): Query<DeskQuery>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    show(&state, &ctx, &desk, &campaign, &query, None, StatusCode::OK).await
}

async fn show(
    state: &ServerState,
    ctx: &Ctx,
    desk: &Desk,
    campaign: &str,
    query: &DeskQuery,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let tenant = &desk.site.tenant;
    let tab = query.state.clone().unwrap_or_else(|| "unanswered".into());
    let page = query.page.unwrap_or(0);
    let loaded = async {
        let c = phases::get(ctx, tenant, campaign).await?;
        let queue = suggestions::queue(ctx, tenant, campaign, Some(&tab), None, page, 50).await?;
        let cl = clusters::list(ctx, tenant, campaign).await?;
        let p = projects::list(ctx, tenant, campaign, None, None, None, false).await?;
        let g = groups::list(ctx, tenant, campaign).await?;
        Ok::<_, Error>((c, queue, cl, p, g))
    }
    .await;
    let (c, queue, cl, p, g) = match loaded {
        Ok(x) => x,
        Err(Error::NotFound(_)) => return desk.site.not_found(state, ctx),
        Err(e) => return desk.site.error(state, ctx, &e),
    };
    let more = (page + 1) * queue.page_size < queue.total;
    let mut context = desk.context(ctx, "campaigns");
    context.extend([
        ("campaign".into(), json!(c)),
        (
            "budget".into(),
            json!(super::super::campaigns::yuan(
                c.figures.budget_committed_fen
            )),
        ),
        ("queue".into(), json!(queue)),
        ("tab".into(), json!(tab)),
        ("page".into(), json!(page)),
        ("more".into(), json!(more)),
        ("clusters".into(), json!(cl)),
        ("groups".into(), json!(g)),
        ("projects".into(), json!(p)),
        ("error".into(), json!(error)),
        ("notice".into(), json!(query.notice)),
        (
            "published_n".into(),
            json!(
                query
                    .notice
                    .as_deref()
                    .and_then(|n| n.strip_prefix("published:"))
                    .and_then(|n| n.parse::<u64>().ok())
            ),
        ),
    ]);
    desk.render(state, "staff_campaign.html", context, status)
}

/// What a desk form sent; lists (`code`, `cluster`) may repeat.
#[derive(Default)]
struct DeskForm {
    csrf_token: String,
    op: String,
    fields: std::collections::HashMap<String, String>,
    codes: Vec<String>,
    clusters: Vec<String>,
}

impl DeskForm {
    fn parse(body: &[u8]) -> Self {
        let mut f = DeskForm::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf_token" => f.csrf_token = value,
                "op" => f.op = value,
                "code" => f.codes.push(value),
                "cluster" => f.clusters.push(value),
                other => {
                    f.fields.insert(other.to_owned(), value);
                }
            }
        }
        f
    }

    fn get(&self, key: &str) -> String {
        self.fields.get(key).cloned().unwrap_or_default()
    }

    fn opt(&self, key: &str) -> Option<String> {
        Some(self.get(key).trim().to_owned()).filter(|s| !s.is_empty())
    }
}

/// Yuan as typed (`1,234.5`) to fen.
fn fen(yuan: &str) -> Result<i64, Error> {
    let cleaned: String = yuan
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    let value: f64 = cleaned
        .parse()
        .map_err(|_| Error::invalid("planned", "give an amount in yuan, such as 1200000"))?;
    if !value.is_finite() || !(0.0..=1e15).contains(&value) {
        return Err(Error::invalid(
            "planned",
            "give an amount in yuan, such as 1200000",
        ));
    }
    Ok((value * 100.0).round() as i64)
}

async fn act(ctx: &Ctx, desk: &Desk, campaign: &str, form: &DeskForm) -> Result<String, Error> {
    let tenant = &desk.site.tenant;
    match form.op.as_str() {
        "answer" => {
            let code = form.get("suggestion");
            let input = SuggestionAnswer {
                disposition: form.get("disposition"),
                text: form.get("text"),
                reason: form.opt("reason"),
                publish: Some(form.get("publish") == "yes"),
            };
            suggestions::answer(ctx, tenant, campaign, &code, &input).await?;
            Ok("saved".into())
        }
        "publish" => {
            let n = suggestions::publish(ctx, tenant, campaign, &PublishInput::default()).await?;
            Ok(format!("published:{}", n.published))
        }
        "merge" => {
            let input = MergeInput {
                title: form.opt("title"),
                cluster: None,
                suggestions: form.codes.clone(),
            };
            clusters::merge(ctx, tenant, campaign, &input).await?;
            Ok("saved".into())
        }
        "project" => {
            let mut ids = Vec::new();
            for c in &form.clusters {
                ids.push(
                    uuid::Uuid::parse_str(c)
                        .map_err(|_| Error::invalid("clusters", "not a cluster"))?,
                );
            }
            let input = ProjectInput {
                reference: form.get("reference"),
                title: form.get("title"),
                description: form.get("description"),
                theme: None,
                lead_department: form.opt("lead_department"),
                planned_fen: fen(&form.get("planned"))?,
                starts_on: None,
                ends_on: None,
                status: None,
                parent: None,
                weight: None,
                clusters: ids,
                suggestions: form.codes.clone(),
            };
            projects::create(ctx, tenant, campaign, &input).await?;
            Ok("saved".into())
        }
        "progress" => {
            let progress = match form.opt("progress") {
                Some(p) => Some(
                    p.parse::<i16>()
                        .map_err(|_| Error::invalid("progress", "give 0 to 100"))?,
                ),
                None => None,
            };
            let patch = ProjectPatch {
                status: form.opt("status"),
                progress,
                spent_fen: None,
            };
            projects::update(ctx, tenant, campaign, &form.get("project"), &patch).await?;
            Ok("saved".into())
        }
        "milestone" => {
            let day = form
                .get("day")
                .parse()
                .map_err(|_| Error::invalid("day", "give a date as 2012-09-01"))?;
            let input = MilestoneInput {
                day,
                text: form.get("text"),
                image_url: form.opt("image_url"),
            };
            projects::add_milestone(ctx, tenant, campaign, &form.get("project"), &input).await?;
            Ok("saved".into())
        }
        _ => Err(Error::invalid("op", "unknown action")),
    }
}

/// `POST /t/{slug}/staff/campaigns/{campaign}`
#[handler]
pub async fn submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, campaign)): Path<(String, String)>,
    body: Body,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    let Ok(bytes) = body.into_bytes().await else {
        return super::super::respond::bad_request(&desk.site.word("form_expired"));
    };
    let form = DeskForm::parse(&bytes);
    if !csrf_ok(&ctx, &form.csrf_token) {
        return super::super::respond::refused(&desk.site.word("form_expired"));
    }
    let tab = form.opt("tab");
    match act(&ctx, &desk, &campaign, &form).await {
        Ok(notice) => {
            let mut to = form_urlencoded::Serializer::new(String::new());
            if let Some(tab) = &tab {
                to.append_pair("state", tab);
            }
            to.append_pair("notice", &notice);
            Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(
                    header::LOCATION,
                    format!("{}campaigns/{campaign}?{}", desk.home, to.finish()),
                )
                .finish()
        }
        Err(e) => {
            let (status, _, message) = super::super::respond::status_and_message(&e);
            let message = match &e {
                Error::Invalid(problems) => problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => message,
            };
            let query = DeskQuery {
                state: tab,
                ..DeskQuery::default()
            };
            show(
                &state,
                &ctx,
                &desk,
                &campaign,
                &query,
                Some(message),
                status,
            )
            .await
        }
    }
}
