//! Open311 discovery, the service list and each service's definition (its
//! attributes).

use super::format::{self, Format, Node};
use minsheng_app::access::Ctx;
use minsheng_app::model::Attribute;
use minsheng_app::services::{self, tenants::TenantRecord};
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::{Request, Response};

pub(super) fn discovery(ctx: &Ctx, req: &Request, format: Format) -> Response {
    let host = crate::request::request_host(req, &ctx.app.config).unwrap_or_default();
    let base = format!("//{host}/open311/v2/");
    let described = Node::Object(vec![
        (
            "specification",
            Node::text("http://wiki.open311.org/GeoReport_v2"),
        ),
        ("url", Node::text(base)),
        ("changeset", Node::text("2026-11-28T00:00:00Z")),
        ("type", Node::text("production")),
        (
            "formats",
            Node::List {
                item: "format",
                items: vec![Node::text("text/xml"), Node::text("application/json")],
            },
        ),
    ]);
    let body = Node::Object(vec![
        ("changeset", Node::text("2026-11-28T00:00:00Z")),
        (
            "contact",
            Node::text(
                "The city's own contact is in each service's description; the platform's operators run this endpoint.",
            ),
        ),
        (
            "key_service",
            Node::text("Ask the city's administrators for an API key (minsheng apikey create)."),
        ),
        (
            "endpoints",
            Node::List {
                item: "endpoint",
                items: vec![described],
            },
        ),
    ]);
    format::render(format, StatusCode::OK, "discovery", &body)
}

pub(super) async fn services(
    ctx: &Ctx,
    tenant: &TenantRecord,
    format: Format,
) -> Result<Response, Error> {
    let categories = services::directory::categories(ctx, tenant, false).await?;
    let items = categories
        .iter()
        .map(|c| {
            Node::Object(vec![
                ("service_code", Node::text(c.code.clone())),
                ("service_name", Node::text(c.name.clone())),
                ("description", Node::opt_text(c.description.clone())),
                ("metadata", Node::Bool(!c.attributes.is_empty())),
                ("type", Node::text("realtime")),
                ("keywords", Node::text(c.keywords.join(","))),
                ("group", Node::opt_text(c.group.clone())),
            ])
        })
        .collect();
    Ok(format::render(
        format,
        StatusCode::OK,
        "services",
        &Node::List {
            item: "service",
            items,
        },
    ))
}

pub(super) async fn service_definition(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
    format: Format,
) -> Result<Response, Error> {
    let attributes = attributes_of(ctx, tenant, code).await?;
    let items = attributes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let values = a.values.as_ref().map_or(Node::Null, |values| Node::List {
                item: "value",
                items: values
                    .iter()
                    .map(|v| {
                        Node::Object(vec![
                            ("key", Node::text(v.key.clone())),
                            ("name", Node::text(v.name.clone())),
                        ])
                    })
                    .collect(),
            });
            Node::Object(vec![
                ("variable", Node::Bool(true)),
                ("code", Node::text(a.code.clone())),
                ("datatype", Node::text(a.datatype.clone())),
                ("required", Node::Bool(a.required)),
                (
                    "datatype_description",
                    Node::opt_text(a.datatype_description.clone()),
                ),
                ("order", Node::Integer(i as i64 + 1)),
                ("description", Node::text(a.description.clone())),
                ("values", values),
            ])
        })
        .collect();
    let body = Node::Object(vec![
        ("service_code", Node::text(code)),
        (
            "attributes",
            Node::List {
                item: "attribute",
                items,
            },
        ),
    ]);
    Ok(format::render(
        format,
        StatusCode::OK,
        "service_definition",
        &body,
    ))
}

/// The active category's attributes, or 404.
pub(super) async fn attributes_of(
    ctx: &Ctx,
    tenant: &TenantRecord,
    code: &str,
) -> Result<Vec<Attribute>, Error> {
    let rules = ctx.app.calendars.rules(&ctx.app.store, tenant).await?;
    let category = rules
        .categories
        .get(code)
        .ok_or_else(|| Error::not_found(format!("service_code {code:?}")))?;
    Ok(serde_json::from_value(category.attributes.clone()).unwrap_or_default())
}
