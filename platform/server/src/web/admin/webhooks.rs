//! `{base}admin/webhooks`: the city's webhook endpoints (added with their
//! events, the signing secret shown once; removed), the messages that were
//! given up (email and webhook calls) with a button to send each again,
//! and `{base}admin/webhooks/{id}`: an endpoint's delivery log.

use super::console;
use super::people::{Fields, Outcome, console_form, failure, parse_id, see_other};
use crate::app::ServerState;
use crate::web::staff::{Desk, local};
use minsheng_app::access::Ctx;
use minsheng_app::model::{Notification, WebhookInput};
use minsheng_app::services::webhooks;
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, Route, get, handler};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn mount(route: Route) -> Route {
    route
        .at(
            "/t/:slug/admin/webhooks",
            get(endpoints).post(endpoints_submit),
        )
        .at(
            "/t/:slug/admin/webhooks/:id",
            get(deliveries).post(deliveries_submit),
        )
}

#[derive(Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn done_of(done: Done) -> Option<String> {
    done.done
        .filter(|d| ["removed", "resent"].contains(&d.as_str()))
}

fn messages(console: &Desk, list: &[Notification]) -> Value {
    let tenant = &console.site.tenant;
    json!(
        list.iter()
            .map(|n| json!({
                "id": n.id, "channel": n.channel, "recipient": n.recipient,
                "event": n.event, "subject": n.subject, "state": n.state,
                "attempts": n.attempts, "last_error": n.last_error,
                "created_at": local(tenant, n.created_at),
                "sent_at": n.sent_at.map(|at| local(tenant, at)),
            }))
            .collect::<Vec<_>>()
    )
}

#[handler]
pub async fn endpoints(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let outcome = Outcome::Shown(done_of(done));
    endpoints_page(&state, &ctx, &console, &Fields::default(), outcome).await
}

async fn endpoints_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    form: &Fields,
    outcome: Outcome,
) -> Response {
    let tenant = &console.site.tenant;
    let loaded = async {
        Ok::<_, Error>((
            webhooks::list(ctx, tenant).await?,
            webhooks::notifications(ctx, tenant, Some("failed")).await?,
        ))
    };
    let (list, failed) = match loaded.await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let chosen = form.all("events");
    let events: Vec<_> = webhooks::EVENTS
        .iter()
        .map(|e| json!({"name": e, "checked": chosen.iter().any(|c| c == e)}))
        .collect();
    let mut context = console.context(ctx, "webhooks");
    context.insert(
        "endpoints".into(),
        json!(
            list.iter()
                .map(|w| json!({
                    "id": w.id, "url": w.url, "events": w.events,
                    "created_at": local(tenant, w.created_at),
                }))
                .collect::<Vec<_>>()
        ),
    );
    context.insert("failed".into(), messages(console, &failed));
    context.insert("events".into(), json!(events));
    context.insert("all_events".into(), json!(chosen.iter().any(|c| c == "*")));
    context.insert("form".into(), form.kept());
    let status = outcome.into_context(&mut context);
    console.render(state, "admin_webhooks.html", context, status)
}

#[handler]
pub async fn endpoints_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let console = console_form!(&state, &ctx, req, &slug, form);
    let tenant = &console.site.tenant;
    let back = |done: &str| see_other(&format!("{}webhooks?done={done}", console.home));
    let result = match form.one("op") {
        "create" => {
            let input = WebhookInput {
                url: form.one("url").to_owned(),
                events: Some(form.all("events")),
            };
            match webhooks::create(&ctx, tenant, input).await {
                Ok(created) => {
                    let made = json!({"url": created.webhook.url, "secret": created.secret});
                    let outcome = Outcome::Created(made);
                    return endpoints_page(&state, &ctx, &console, &Fields::default(), outcome)
                        .await;
                }
                Err(e) => Err(e),
            }
        }
        "remove" => match parse_id("id", form.one("id")) {
            Ok(id) => webhooks::remove(&ctx, tenant, id).await.map(|()| "removed"),
            Err(e) => Err(e),
        },
        "resend" => resend(&ctx, &console, &form).await.map(|()| "resent"),
        _ => Err(Error::invalid("op", "one of create, remove, resend")),
    };
    match result {
        Ok(done) => back(done),
        Err(e) => endpoints_page(&state, &ctx, &console, &form, Outcome::failed(&e)).await,
    }
}

async fn resend(ctx: &Ctx, console: &Desk, form: &Fields) -> Result<(), Error> {
    let id = parse_id("id", form.one("id"))?;
    webhooks::resend(ctx, &console.site.tenant, id)
        .await
        .map(|_| ())
}

#[handler]
pub async fn deliveries(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let done = done_of(done);
    deliveries_page(&state, &ctx, &console, &id, done, None).await
}

async fn deliveries_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    id: &str,
    done: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let tenant = &console.site.tenant;
    let loaded = async {
        let id =
            uuid::Uuid::parse_str(id).map_err(|_| Error::not_found(format!("webhook {id}")))?;
        let log = webhooks::deliveries(ctx, tenant, id).await?;
        let endpoint = webhooks::list(ctx, tenant)
            .await?
            .into_iter()
            .find(|w| w.id == id);
        Ok::<_, Error>((id, log, endpoint))
    };
    let (id, log, endpoint) = match loaded.await {
        Ok(l) => l,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let mut context = console.context(ctx, "webhooks");
    context.insert("id".into(), json!(id));
    context.insert(
        "endpoint".into(),
        json!(endpoint.map(|w| json!({"url": w.url, "events": w.events}))),
    );
    context.insert("deliveries".into(), messages(console, &log));
    context.insert("done".into(), json!(done));
    let status = match error {
        Some((status, message)) => {
            context.insert("error".into(), json!(message));
            status
        }
        None => StatusCode::OK,
    };
    console.render(state, "admin_webhook.html", context, status)
}

#[handler]
pub async fn deliveries_submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<Fields>,
) -> Response {
    let console = console_form!(&state, &ctx, req, &slug, form);
    let result = match form.one("op") {
        "resend" => resend(&ctx, &console, &form).await,
        _ => Err(Error::invalid("op", "resend")),
    };
    match result {
        Ok(()) => see_other(&format!("{}webhooks/{id}?done=resent", console.home)),
        Err(e) => deliveries_page(&state, &ctx, &console, &id, None, Some(failure(&e))).await,
    }
}
