//! Open311 service requests: listing them, one by its id, posting a new
//! one through the intake, and the updates extension.

use super::format::{self, Format, Node};
use super::services::attributes_of;
use super::{DEFAULT_DAYS, DEFAULT_LIMIT, DEFAULT_PAGE, first};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use minsheng_app::access::Ctx;
use minsheng_app::model::{CaseInput, PublicCase};
use minsheng_app::services::tenants::TenantRecord;
use minsheng_app::services::{cases, intake};
use minsheng_domain::Error;
use minsheng_domain::case::State;
use minsheng_store::queries::cases::Filter;
use poem::Response;
use poem::http::StatusCode;
use std::collections::BTreeMap;

/// `POST requests`: a new case through the same intake as every route.
pub(super) async fn create(
    ctx: &Ctx,
    tenant: &TenantRecord,
    form: &[(String, String)],
    format: Format,
) -> Result<Response, Error> {
    let key = first(form, "api_key")
        .ok_or_else(|| Error::Forbidden("api_key is required: ask the city for one".into()))?;
    let (principal, _) = minsheng_app::access::ctx::resolve(
        &ctx.app,
        Some(&format!("Bearer {key}")),
        None,
        ctx.now(),
    )
    .await
    .map_err(|_| Error::Forbidden("api_key is not valid or has been revoked".into()))?;
    if principal.tenant() != Some(tenant.id) {
        return Err(Error::Forbidden(
            "api_key belongs to another jurisdiction".into(),
        ));
    }
    let client = ctx.acting_as(principal);
    let service_code = first(form, "service_code")
        .ok_or_else(|| Error::invalid("service_code", "required"))?
        .to_owned();
    // Unknown services are 404, as the specification says.
    attributes_of(ctx, tenant, &service_code).await?;
    let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form {
        if let Some(code) = k
            .strip_prefix("attribute[")
            .map(|rest| rest.trim_end_matches("[]").trim_end_matches(']'))
        {
            answers.entry(code.to_owned()).or_default().push(v.clone());
        }
    }
    let number = |name: &str| -> Result<Option<f64>, Error> {
        first(form, name)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| Error::invalid(name, format!("{v:?} is not a number")))
            })
            .transpose()
    };
    let latitude = number("lat")?;
    let longitude = number("long")?;
    let address = first(form, "address_string")
        .or_else(|| first(form, "address_id"))
        .map(str::to_owned);
    if latitude.is_none() && longitude.is_none() && address.is_none() {
        return Err(Error::invalid(
            "lat",
            "give a location: lat and long, address_string or address_id",
        ));
    }
    let description = first(form, "description")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let name = [first(form, "first_name"), first(form, "last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let input = CaseInput {
        category: service_code,
        title: title_of(&description),
        text: description,
        address,
        latitude,
        longitude,
        contact_name: Some(name).filter(|n| !n.is_empty()),
        contact_phone: first(form, "phone").map(str::to_owned),
        contact_email: first(form, "email").map(str::to_owned),
        public: None,
        attributes: answers,
        media_url: first(form, "media_url").map(str::to_owned),
    };
    let (created, _) = intake::submit(&client, tenant, input, None)
        .await
        .map_err(|e| match e {
            // Name fields as Open311 does.
            Error::Invalid(fields) => Error::Invalid(
                fields
                    .into_iter()
                    .map(|mut f| {
                        f.field = match f.field.as_str() {
                            "text" | "title" => "description".into(),
                            "category" => "service_code".into(),
                            "latitude" => "lat".into(),
                            "longitude" => "long".into(),
                            "address" => "address_string".into(),
                            "contact_email" => "email".into(),
                            "contact_phone" => "phone".into(),
                            "contact_name" => "first_name".into(),
                            _ => f.field,
                        };
                        f
                    })
                    .collect(),
            ),
            other => other,
        })?;
    let body = Node::List {
        item: "request",
        items: vec![Node::Object(vec![
            ("service_request_id", Node::text(created.tracking_code)),
            ("service_notice", Node::Null),
            ("account_id", Node::Null),
        ])],
    };
    Ok(format::render(
        format,
        StatusCode::CREATED,
        "service_requests",
        &body,
    ))
}

/// A title from the description's first words (Open311 has no title).
fn title_of(description: &str) -> String {
    let first_line = description.lines().next().unwrap_or("").trim();
    let title: String = first_line.chars().take(40).collect();
    if first_line.chars().count() > 40 {
        format!("{title}…")
    } else {
        title
    }
}

/// A date parameter (RFC 3339), if given.
fn date_param(query: &[(String, String)], name: &str) -> Result<Option<DateTime<Utc>>, Error> {
    first(query, name)
        .map(|v| {
            // A `+` offset arrives as a space when the client did not
            // encode it.
            DateTime::parse_from_rfc3339(&v.trim().replace(' ', "+"))
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| {
                    Error::invalid(
                        name,
                        format!("{v:?} is not a date like 2026-11-28T09:30:00+08:00"),
                    )
                })
        })
        .transpose()
}

/// `service_request_id`: a comma-separated list of tracking codes, if given.
fn codes_param(query: &[(String, String)]) -> Option<Vec<String>> {
    first(query, "service_request_id").map(|ids| {
        ids.split(',')
            .filter_map(|id| minsheng_domain::case::normalize_tracking_code(id.trim()))
            .collect()
    })
}

/// The public cases a `GET requests` asks for.
pub(super) async fn list(
    ctx: &Ctx,
    tenant: &TenantRecord,
    query: &[(String, String)],
) -> Result<Vec<PublicCase>, Error> {
    let date = |name: &str| date_param(query, name);
    let mut filter = Filter::default();
    let codes = codes_param(query);
    let (start, end) = (date("start_date")?, date("end_date")?);
    if codes.is_none() {
        let end = end.unwrap_or_else(|| ctx.now() + Duration::seconds(1));
        filter.to = Some(end);
        filter.from = Some(start.unwrap_or(end - Duration::days(DEFAULT_DAYS)));
    } else {
        filter.from = start;
        filter.to = end;
    }
    filter.codes = codes;
    if let Some(status) = first(query, "status") {
        let mut states = Vec::new();
        for s in status.split(',').map(str::trim) {
            match s {
                "open" => states.extend(OPEN.iter().map(|s| s.as_str().to_owned())),
                "closed" => states.extend(CLOSED.iter().map(|s| s.as_str().to_owned())),
                other => match State::parse(other) {
                    Ok(state) => states.push(state.as_str().to_owned()),
                    Err(_) => {
                        return Err(Error::invalid(
                            "status",
                            format!(
                                "{other:?}: use open or closed (or one of our states: submitted, accepted, assigned, in_progress, answered, closed, rejected)"
                            ),
                        ));
                    }
                },
            }
        }
        filter.states = Some(states);
    }
    let page = match first(query, "page") {
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| Error::invalid("page", "a whole number from 1"))?,
        None => 1,
    };
    let page_size = match first(query, "page_size") {
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=DEFAULT_LIMIT).contains(p))
            .ok_or_else(|| Error::invalid("page_size", "a whole number from 1 to 1000"))?,
        None => DEFAULT_PAGE,
    };
    cases::list_open311(
        ctx,
        tenant,
        filter,
        first(query, "service_code"),
        page,
        page_size,
    )
    .await
}

pub(super) async fn requests(
    ctx: &Ctx,
    tenant: &TenantRecord,
    query: &[(String, String)],
    format: Format,
) -> Result<Response, Error> {
    let items = list(ctx, tenant, query).await?;
    Ok(render_requests(tenant, &items, format))
}

const OPEN: [State; 4] = [
    State::Submitted,
    State::Accepted,
    State::Assigned,
    State::InProgress,
];
const CLOSED: [State; 3] = [State::Answered, State::Closed, State::Rejected];

/// `open` until the department has answered (or the case was not
/// accepted), `closed` after.
fn status_of(state: &str) -> &'static str {
    if CLOSED.iter().any(|s| s.as_str() == state) {
        "closed"
    } else {
        "open"
    }
}

/// An instant in the city's time zone, with its offset.
fn when(tenant: &TenantRecord, at: DateTime<Utc>) -> String {
    at.with_timezone(&tenant.time_zone)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

pub(super) fn render_requests(
    tenant: &TenantRecord,
    items: &[PublicCase],
    format: Format,
) -> Response {
    let items = items
        .iter()
        .map(|c| {
            Node::Object(vec![
                ("service_request_id", Node::text(c.tracking_code.clone())),
                ("status", Node::text(status_of(&c.state))),
                ("status_notes", Node::opt_text(c.answer.clone())),
                ("service_name", Node::text(c.category_name.clone())),
                ("service_code", Node::text(c.category.clone())),
                ("description", Node::text(c.text.clone())),
                (
                    "agency_responsible",
                    Node::opt_text(c.department_name.clone()),
                ),
                ("service_notice", Node::Null),
                (
                    "requested_datetime",
                    Node::text(when(tenant, c.submitted_at)),
                ),
                ("updated_datetime", Node::text(when(tenant, c.updated_at))),
                (
                    "expected_datetime",
                    Node::text(when(tenant, c.answer_deadline)),
                ),
                ("address", Node::opt_text(c.address.clone())),
                ("address_id", Node::Null),
                ("zipcode", Node::Null),
                ("lat", c.latitude.map_or(Node::Null, Node::Number)),
                ("long", c.longitude.map_or(Node::Null, Node::Number)),
                ("media_url", Node::opt_text(c.media_url.clone())),
            ])
        })
        .collect();
    format::render(
        format,
        StatusCode::OK,
        "service_requests",
        &Node::List {
            item: "request",
            items,
        },
    )
}

/// `GET servicerequestupdates`: public timeline entries of public cases.
pub(super) async fn updates(
    ctx: &Ctx,
    tenant: &TenantRecord,
    query: &[(String, String)],
    format: Format,
) -> Result<Response, Error> {
    let date = |name: &str| date_param(query, name);
    let end = date("end_date")?.unwrap_or_else(|| ctx.now() + Duration::seconds(1));
    let start = date("start_date")?.unwrap_or(end - Duration::days(DEFAULT_DAYS));
    let codes = codes_param(query);
    let rows =
        cases::public_updates(ctx, tenant, start, end, codes.as_deref(), DEFAULT_LIMIT).await?;
    let items = rows
        .into_iter()
        .map(|(event, case, id)| {
            let status = event
                .to_state
                .as_deref()
                .map_or_else(|| status_of(&case.state), status_of);
            let description = event.text.clone().unwrap_or_else(|| event.action.clone());
            Node::Object(vec![
                ("update_id", Node::text(id.to_string())),
                ("service_request_id", Node::text(case.tracking_code.clone())),
                ("status", Node::text(status)),
                ("updated_datetime", Node::text(when(tenant, event.at))),
                ("description", Node::text(description)),
                ("media_url", Node::Null),
            ])
        })
        .collect();
    Ok(format::render(
        format,
        StatusCode::OK,
        "service_request_updates",
        &Node::List {
            item: "request_update",
            items,
        },
    ))
}
