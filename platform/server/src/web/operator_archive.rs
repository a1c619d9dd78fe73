//! City archives in the operators' console: `GET
//! /operator/cities/{slug}/archive` writes the city's complete archive
//! (what `minsheng tenant export --with-cases` writes) and sends it;
//! `POST /operator/cities/import` loads one (what `minsheng tenant import`
//! does), all or nothing. Both are in the platform's audit log.

use super::operator::not_an_operator;
use super::respond::error_page;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::archive;
use minsheng_domain::Error;
use poem::http::{StatusCode, header};
use poem::web::{Data, Multipart, Path};
use poem::{Body, Response, handler};
use tokio::io::AsyncWriteExt;

/// The largest archive the console takes; bigger ones are imported with
/// `minsheng tenant import` on the server.
pub const MAX_UPLOAD: u64 = 1 << 30;

/// `GET /operator/cities/{slug}/archive`
#[handler]
pub async fn download(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    Path(slug): Path<String>,
) -> Response {
    if let Some(resp) = not_an_operator(&ctx) {
        return resp;
    }
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return error_page(&Error::internal(e)),
    };
    let path = dir.path().join(format!("{slug}.minsheng-archive"));
    if let Err(e) = archive::write::export(&state.store, &slug, &path, |_, _, _| {}).await {
        // The only thing an operator can get wrong here is the city.
        return error_page(&match tenants_exists(&ctx, &slug).await {
            false => Error::not_found(format!("city {slug:?}")),
            true => Error::internal(e),
        });
    }
    ctx.audit(None, "tenant_export", &format!("tenant:{slug}"), "ok")
        .await;
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) => return error_page(&Error::internal(e)),
    };
    // The file stays readable while it is sent; the folder goes with the
    // response.
    let body = Body::from_async_read(KeepDir { file, _dir: dir });
    let name = archive::write::default_path(&slug);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", name.display()),
        )
        .header(header::CACHE_CONTROL, "private, no-store")
        .body(body)
}

async fn tenants_exists(ctx: &Ctx, slug: &str) -> bool {
    minsheng_app::services::tenants::get_by(ctx, slug)
        .await
        .is_ok()
}

/// A file read with its temporary folder kept alive.
struct KeepDir {
    file: tokio::fs::File,
    _dir: tempfile::TempDir,
}

impl tokio::io::AsyncRead for KeepDir {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.file).poll_read(cx, buf)
    }
}

/// `POST /operator/cities/import` (`multipart/form-data`, the CSRF token
/// and the file `archive`): load a city archive; to the city's page.
#[handler]
pub async fn import(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    mut multipart: Multipart,
) -> Response {
    if let Some(resp) = not_an_operator(&ctx) {
        return resp;
    }
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return error_page(&Error::internal(e)),
    };
    let path = dir.path().join("upload.minsheng-archive");
    let mut token = String::new();
    let mut received = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return error_page(&Error::invalid(
                    "archive",
                    format!("the form could not be read: {e}"),
                ));
            }
        };
        match field.name() {
            Some("csrf_token") => token = field.text().await.unwrap_or_default(),
            Some("archive") => {
                if let Err(e) = save(field, &path).await {
                    return error_page(&e);
                }
                received = true;
            }
            _ => {}
        }
    }
    if !super::operator::session_form(&ctx, &token) {
        return error_page(&Error::Forbidden(
            "the form has expired: load the page again".into(),
        ));
    }
    if !received {
        return error_page(&Error::invalid(
            "archive",
            "choose an archive file to import",
        ));
    }
    match archive::import::import(&state.store, &path, false, |_, _, _| {}).await {
        Ok(done) => {
            let slug = done.header.tenant.clone();
            ctx.audit(None, "tenant_import", &format!("tenant:{slug}"), "ok")
                .await;
            // The city's roles join the access policy.
            state.policy.reload().await.ok();
            Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(header::LOCATION, format!("/operator/cities/{slug}"))
                .header(header::CACHE_CONTROL, "no-store")
                .finish()
        }
        // What is wrong with an archive is said in its own words (a
        // checksum, a format version, a city that already exists).
        Err(e) => error_page(&Error::invalid("archive", format!("{e:#}"))),
    }
}

/// Write the uploaded file to `path`, refusing it past [`MAX_UPLOAD`].
async fn save(field: poem::web::Field, path: &std::path::Path) -> Result<(), Error> {
    use tokio::io::AsyncReadExt;
    let mut out = tokio::fs::File::create(path)
        .await
        .map_err(Error::internal)?;
    let mut reader = field.into_async_read().take(MAX_UPLOAD + 1);
    let copied = tokio::io::copy(&mut reader, &mut out)
        .await
        .map_err(|e| Error::invalid("archive", format!("the upload broke off: {e}")))?;
    if copied > MAX_UPLOAD {
        return Err(Error::invalid(
            "archive",
            format!(
                "larger than {} GiB: import it on the server with `minsheng tenant import`",
                MAX_UPLOAD >> 30
            ),
        ));
    }
    out.flush().await.map_err(Error::internal)
}
