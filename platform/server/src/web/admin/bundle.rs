//! `{base}admin/bundle`: the city as a tenant bundle, the four TOML files
//! `minsheng tenant apply` reads and the operators' console creates a
//! city from, each to read or download.

use super::console;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::bundle::export;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Request, Response, Route, get, handler};
use serde_json::json;

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin/bundle", get(page))
        .at("/t/:slug/admin/bundle/:file", get(download))
}

/// The city's bundle files, by name.
async fn files(
    state: &ServerState,
    slug: &str,
) -> Result<Vec<(&'static str, String)>, minsheng_domain::Error> {
    let bundle = export::export(&state.store, slug).await?;
    bundle.files().map_err(minsheng_domain::Error::internal)
}

#[handler]
pub async fn page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let files = match files(&state, &console.site.tenant.slug).await {
        Ok(files) => files,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let mut context = console.context(&ctx, "bundle");
    context.insert(
        "files".into(),
        json!(
            files
                .iter()
                .map(|(name, text)| json!({"name": name, "text": text, "lines": text.lines().count()}))
                .collect::<Vec<_>>()
        ),
    );
    console.render(&state, "admin_bundle.html", context, StatusCode::OK)
}

/// `GET {base}admin/bundle/{file}`: one file, to save.
#[handler]
pub async fn download(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, file)): Path<(String, String)>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let files = match files(&state, &console.site.tenant.slug).await {
        Ok(files) => files,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let Some((name, text)) = files.into_iter().find(|(name, _)| *name == file) else {
        return console.site.not_found(&state, &ctx);
    };
    crate::web::staff::private(
        Response::builder()
            .header(header::CONTENT_TYPE, "application/toml; charset=utf-8")
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            )
            .body(text),
    )
}
