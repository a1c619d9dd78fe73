//! `{base}staff/cases/{code}`: a case as its staff see it (contact data,
//! flags, opinions, the whole timeline, deadlines in working days) with a
//! form for each thing this person may do to it now. `POST` does one of
//! them and comes back to the page; an error shows the page again with
//! what to fix, and a race (409) with what is allowed now.

use super::{Desk, csrf_ok, desk, local};
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::model::ReleaseInput;
use minsheng_app::services::cases;
use minsheng_app::services::cases::StaffAction;
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Default, Deserialize)]
pub struct CaseParams {
    done: Option<String>,
    /// Start the answer from this template (works without JavaScript).
    template: Option<String>,
}

#[handler]
pub async fn case_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
    Query(params): Query<CaseParams>,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    let notice = params
        .done
        .as_deref()
        .map(|d| {
            desk.site.words()["staff"]["done"][d]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .filter(|n| !n.is_empty());
    let start = params.template.filter(|t| !t.is_empty());
    show(
        &state,
        &ctx,
        &desk,
        &code,
        notice,
        start,
        None,
        StatusCode::OK,
    )
    .await
}

/// The page, with a notice after an action, the answer started from a
/// template, or an error to fix.
#[allow(clippy::too_many_arguments)]
async fn show(
    state: &ServerState,
    ctx: &Ctx,
    desk: &Desk,
    code: &str,
    notice: Option<String>,
    template: Option<String>,
    error: Option<(String, Option<String>, Value)>,
    status: StatusCode,
) -> Response {
    let tenant = &desk.site.tenant;
    let page = match cases::staff_case(ctx, tenant, code).await {
        Ok(p) => p,
        Err(e) => return desk.site.error(state, ctx, &e),
    };
    let cases::StaffCase {
        desk: view,
        detail,
        attributes,
        templates,
        duplicates,
    } = page;
    let timeline: Vec<Value> = detail
        .timeline
        .iter()
        .map(|e| {
            json!({
                "at": local(tenant, e.at),
                "at_iso": e.at.to_rfc3339(),
                "action": e.action,
                "to_state": e.to_state,
                "department": e.department,
                "public": e.public,
                "text": e.text,
                "actor": e.actor,
                "detail": e.detail,
            })
        })
        .collect();
    let opinions: Vec<Value> = detail
        .opinions
        .iter()
        .map(|o| {
            json!({
                "department": o.department,
                "department_name": o.department_name,
                "deadline": o.deadline.map(|d| local(tenant, d)),
                "overdue": o.text.is_none() && o.deadline.is_some_and(|d| d < ctx.now()),
                "text": o.text,
                "given_at": o.given_at.map(|d| local(tenant, d)),
                "given_by": o.given_by,
            })
        })
        .collect();
    let mut context = desk.context(ctx, "case");
    context.insert("case".into(), json!(detail.case));
    context.insert("attributes".into(), json!(attributes));
    context.insert("public".into(), json!(detail.public));
    context.insert(
        "contact".into(),
        json!({
            "name": detail.contact_name,
            "phone": detail.contact_phone,
            "email": detail.contact_email,
        }),
    );
    context.insert("flags".into(), json!(detail.flags));
    context.insert("opinions".into(), json!(opinions));
    context.insert(
        "duplicates".into(),
        json!(
            duplicates
                .iter()
                .map(|d| json!({
                    "code": d.tracking_code,
                    "title": d.title,
                    "state": d.state,
                    "open": minsheng_domain::case::State::parse(&d.state).is_ok_and(|s| s.is_open()),
                    "submitted": local(tenant, d.submitted_at),
                    "score": format!("{:.0}%", d.score * 100.0),
                    "kind": d.kind,
                    "same_category": d.same_category,
                }))
                .collect::<Vec<_>>()
        ),
    );
    context.insert("timeline".into(), json!(timeline));
    context.insert("supervised".into(), json!(detail.supervised_at.is_some()));
    context.insert("extension_pending".into(), json!(detail.extension_pending));
    context.insert(
        "submitted".into(),
        json!(local(tenant, detail.case.submitted_at)),
    );
    context.insert(
        "accept_by".into(),
        json!(local(tenant, detail.case.accept_deadline)),
    );
    context.insert(
        "answer_by".into(),
        json!(local(tenant, detail.case.answer_deadline)),
    );
    context.insert("days_left".into(), json!(view.days_left));
    context.insert("actions".into(), json!(view.actions));
    context.insert("opinion_for".into(), json!(view.opinion_for));
    context.insert("may_release".into(), json!(view.may_release));
    context.insert("may_supervise".into(), json!(view.may_supervise));
    context.insert("may_note".into(), json!(view.may_note));
    context.insert("may_merge".into(), json!(view.may_merge));
    context.insert("merged_into".into(), json!(detail.merged_into));
    context.insert(
        "departments".into(),
        json!(
            view.departments
                .iter()
                .map(|(c, n)| json!({"code": c, "name": n}))
                .collect::<Vec<_>>()
        ),
    );
    context.insert("co_departments".into(), json!(detail.co_departments));
    // The answer starts from the chosen template, or from what was sent.
    let chosen = template.and_then(|id| templates.iter().find(|t| t.id.to_string() == id));
    let mut sent = chosen.map_or(Value::Null, |t| json!({ "op": "answer", "text": t.text }));
    context.insert("templates".into(), json!(templates));
    context.insert("notice".into(), json!(notice));
    context.insert("error".into(), Value::Null);
    context.insert("error_field".into(), Value::Null);
    if let Some((message, field, was_sent)) = error {
        context.insert(
            "error".into(),
            if message.is_empty() {
                Value::Null
            } else {
                json!(message)
            },
        );
        context.insert("error_field".into(), json!(field));
        sent = was_sent;
    }
    context.insert("sent".into(), sent);
    desk.render(state, "staff_case.html", context, status)
}

/// Every field an action form may send (`co` may repeat).
#[derive(Default)]
pub struct ActionForm {
    csrf_token: String,
    op: String,
    text: String,
    reason: String,
    lead: String,
    co: Vec<String>,
    to: String,
    days: String,
    approve: String,
    department: String,
    /// The other case of a merge (merged into this one) or of "not a
    /// duplicate".
    other: String,
    /// The answer's preview button, not the answer.
    preview: bool,
}

impl ActionForm {
    fn parse(body: &[u8]) -> ActionForm {
        let mut form = ActionForm::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf_token" => form.csrf_token = value,
                "op" => form.op = value,
                "text" => form.text = value,
                "reason" => form.reason = value,
                "lead" => form.lead = value,
                "co" => form.co.push(value),
                "to" => form.to = value,
                "days" => form.days = value,
                "approve" => form.approve = value,
                "department" => form.department = value,
                "other" => form.other = value,
                "preview" => form.preview = !value.is_empty(),
                _ => {}
            }
        }
        form
    }
}

/// The action a form asks for, or what is wrong with it.
fn staff_action(form: &ActionForm) -> Result<StaffAction, Error> {
    let reason = || form.reason.clone();
    Ok(match form.op.as_str() {
        "accept" => StaffAction::Accept,
        "reject" => StaffAction::Reject { reason: reason() },
        "assign" => StaffAction::Assign {
            lead: Some(form.lead.clone()).filter(|l| !l.is_empty()),
            co: form.co.iter().filter(|c| !c.is_empty()).cloned().collect(),
        },
        "start" => StaffAction::Start,
        "transfer" => StaffAction::Transfer {
            to: form.to.clone(),
            reason: reason(),
        },
        "return" => StaffAction::Return { reason: reason() },
        "request_extension" => {
            StaffAction::RequestExtension {
                working_days: form.days.trim().parse().map_err(|_| {
                    Error::invalid("days", "a whole number of working days, 1 to 30")
                })?,
                reason: reason(),
            }
        }
        "decide_extension" => StaffAction::DecideExtension {
            approve: match form.approve.as_str() {
                "yes" => true,
                "no" => false,
                _ => return Err(Error::invalid("approve", "choose approve or refuse")),
            },
            reason: Some(reason()).filter(|r| !r.trim().is_empty()),
        },
        "answer" => StaffAction::Answer {
            text: form.text.clone(),
        },
        "close" => StaffAction::Close,
        other => {
            return Err(Error::invalid("op", format!("{other:?} is not an action")));
        }
    })
}

/// `POST {base}staff/cases/{code}`: do `op` and come back.
#[handler]
pub async fn act(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, code)): Path<(String, String)>,
    body: poem::Body,
) -> Response {
    let desk = desk!(&state, &ctx, req, &slug);
    let form = match body.into_vec().await {
        Ok(bytes) => ActionForm::parse(&bytes),
        Err(_) => return super::super::respond::bad_request(&desk.site.word("err_other")),
    };
    if !csrf_ok(&ctx, &form.csrf_token) {
        return super::super::respond::refused(&desk.site.word("form_expired"));
    }
    let tenant = &desk.site.tenant;
    if form.preview {
        // What the public will read: the city's hiding of personal data.
        let public = if tenant.publication().redact_personal_data {
            minsheng_domain::redact::redact(form.text.trim(), tenant.locale).into_owned()
        } else {
            form.text.trim().to_owned()
        };
        let sent = json!({ "op": "answer", "text": form.text, "preview": public });
        return show(
            &state,
            &ctx,
            &desk,
            &code,
            None,
            None,
            Some((String::new(), None, sent)),
            StatusCode::OK,
        )
        .await;
    }
    let result = match form.op.as_str() {
        "note" => cases::note(&ctx, tenant, &code, &form.text).await,
        "opinion" => cases::give_opinion(&ctx, tenant, &code, &form.department, &form.text).await,
        "supervise" => cases::supervise(&ctx, tenant, &code, &form.text).await,
        // 并单: the listed duplicate is merged into this case.
        "merge" => cases::merge(&ctx, tenant, &form.other, &code)
            .await
            .map(|_| ()),
        "not_duplicate" => cases::not_duplicate(&ctx, tenant, &code, &form.other).await,
        "release" => cases::release(&ctx, tenant, &code, &ReleaseInput::default()).await,
        "keep_private" => {
            let decision = ReleaseInput {
                publish: false,
                reason: Some(form.reason.clone()),
            };
            cases::release(&ctx, tenant, &code, &decision).await
        }
        _ => match staff_action(&form) {
            Ok(action) => cases::act(&ctx, tenant, &code, action).await.map(|_| ()),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => {
            let to = format!("{}cases/{}?done={}#main", desk.home, code, form.op);
            Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(header::LOCATION, to)
                .header(header::CACHE_CONTROL, "no-store")
                .finish()
        }
        Err(e @ Error::NotFound(_)) => desk.site.error(&state, &ctx, &e),
        Err(e) => {
            let (status, _, message) = super::super::respond::status_and_message(&e);
            let field = match &e {
                Error::Invalid(problems) => problems.first().map(|p| p.field.clone()),
                _ => None,
            };
            let sent = json!({ "op": form.op, "text": form.text, "reason": form.reason });
            show(
                &state,
                &ctx,
                &desk,
                &code,
                None,
                None,
                Some((message, field, sent)),
                status,
            )
            .await
        }
    }
}
