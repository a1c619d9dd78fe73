//! `{base}admin/departments`: the department tree (add, rename, move,
//! deactivate), contacts, and the CSV import and export of the whole tree.

use super::console;
use crate::app::ServerState;
use crate::web::respond::{refused, status_and_message};
use crate::web::staff::{Desk, csrf_ok};
use minsheng_app::access::Ctx;
use minsheng_app::bundle::{csv, departments_csv};
use minsheng_app::model::{Department, DepartmentPatch};
use minsheng_app::services::department_import::{self, tree_with_depth};
use minsheng_app::services::departments::{self, DepartmentDraft};
use minsheng_app::services::directory;
use minsheng_domain::Error;
use minsheng_domain::values::DepartmentKind;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Multipart, Path, Query};
use poem::{IntoResponse, Request, Response, Route, get, handler, post};
use poem_openapi::types::MaybeUndefined;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// The largest file an import takes.
pub const MAX_UPLOAD: usize = 1024 * 1024;

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin/departments", get(tree_page).post(create))
        .at("/t/:slug/admin/departments/export.csv", get(export))
        .at("/t/:slug/admin/departments/import", post(import))
        .at(
            "/t/:slug/admin/departments/:id",
            get(edit_page).post(update),
        )
}

/// A department form's fields, as sent (and shown again after a problem).
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct DepartmentForm {
    #[serde(default, skip_serializing)]
    csrf_token: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    active: String,
}

impl DepartmentForm {
    fn of(d: &Department) -> Self {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            csrf_token: String::new(),
            code: d.code.clone(),
            name: d.name.clone(),
            kind: d.kind.clone(),
            parent: d.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            phone: o(&d.phone),
            email: o(&d.email),
            address: o(&d.address),
            description: o(&d.description),
            active: if d.active { "yes" } else { "no" }.into(),
        }
    }

    fn parent_id(&self) -> Result<Option<Uuid>, Error> {
        match self.parent.trim() {
            "" => Ok(None),
            p => Uuid::parse_str(p)
                .map(Some)
                .map_err(|_| Error::invalid("parent_id", "choose a department from the list")),
        }
    }

    fn draft(&self) -> Result<DepartmentDraft, Error> {
        let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(DepartmentDraft {
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            kind: self.kind.clone(),
            parent_id: self.parent_id()?,
            phone: some(&self.phone),
            email: some(&self.email),
            address: some(&self.address),
            description: some(&self.description),
            sort_order: 0,
            active: true,
        })
    }

    fn patch(&self) -> Result<DepartmentPatch, Error> {
        let d = self.draft()?;
        let maybe = |v: Option<String>| v.map_or(MaybeUndefined::Null, MaybeUndefined::Value);
        Ok(DepartmentPatch {
            code: Some(d.code),
            name: Some(d.name),
            kind: Some(d.kind),
            parent_id: d
                .parent_id
                .map_or(MaybeUndefined::Null, MaybeUndefined::Value),
            phone: maybe(d.phone),
            email: maybe(d.email),
            address: maybe(d.address),
            description: maybe(d.description),
            sort_order: None,
            active: Some(self.active != "no"),
        })
    }
}

/// What to show of an error: each problem with the field it is about (and
/// the id of that field's input, after `prefix`), and the page's status.
pub fn problems(error: &Error, prefix: &str) -> (StatusCode, Vec<Value>) {
    let (status, _, message) = status_and_message(error);
    let list = match error {
        Error::Invalid(list) => list
            .iter()
            .map(|e| json!({"field": e.field, "message": e.message, "id": format!("{prefix}{}", e.field)}))
            .collect(),
        Error::Conflict {
            field: Some(field),
            ..
        } => vec![json!({"field": field, "message": message, "id": format!("{prefix}{field}")})],
        _ => vec![json!({"field": "", "message": message})],
    };
    (status, list)
}

/// Where a form goes after a change: back to `page` of the section.
pub fn see_other(location: String) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .finish()
}

/// A department of the tree with its depth and the marks that show it.
pub fn indented(depth: usize, d: &Department) -> Value {
    let pad = match depth {
        0 => String::new(),
        n => format!("{}└ ", "\u{2003}".repeat(n - 1)),
    };
    json!({"depth": depth, "d": d, "pad": pad, "dashes": "— ".repeat(depth)})
}

fn kinds() -> Value {
    json!(DepartmentKind::ALL.map(DepartmentKind::as_str))
}

/// What the page says after a change (`?done=…`; an import's counts).
#[derive(Default, Deserialize, Serialize)]
pub struct Notice {
    #[serde(default)]
    done: String,
    #[serde(default)]
    created: usize,
    #[serde(default)]
    updated: usize,
    #[serde(default)]
    unchanged: usize,
}

/// Each problem's message by its field, for the message next to the input.
pub fn by_field(errors: &[Value]) -> Value {
    let map: serde_json::Map<String, Value> = errors
        .iter()
        .filter_map(|e| Some((e["field"].as_str()?.to_owned(), e["message"].clone())))
        .collect();
    Value::Object(map)
}

#[handler]
pub async fn tree_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let form = DepartmentForm {
        kind: "government".into(),
        ..Default::default()
    };
    let done = (!notice.done.is_empty()).then_some(notice);
    tree(
        &state,
        &ctx,
        &console,
        &form,
        Vec::new(),
        done,
        StatusCode::OK,
    )
    .await
}

async fn tree(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    form: &DepartmentForm,
    errors: Vec<Value>,
    done: Option<Notice>,
    status: StatusCode,
) -> Response {
    let all = match directory::departments(ctx, &console.site.tenant, true).await {
        Ok(all) => all,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let names: std::collections::HashMap<Uuid, &str> =
        all.iter().map(|d| (d.id, d.name.as_str())).collect();
    let rows: Vec<Value> = tree_with_depth(&all)
        .into_iter()
        .map(|(depth, d)| {
            let mut row = indented(depth, d);
            row["parent"] = json!(d.parent_id.and_then(|p| names.get(&p)));
            row
        })
        .collect();
    let mut context = console.context(ctx, "departments");
    context.extend([
        ("rows".into(), json!(rows)),
        ("kinds".into(), kinds()),
        ("form".into(), json!(form)),
        ("field_errors".into(), by_field(&errors)),
        ("errors".into(), json!(errors)),
        ("done".into(), json!(done)),
    ]);
    console.render(state, "admin_departments.html", context, status)
}

#[handler]
pub async fn create(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    if !csrf_ok(&ctx, &form.csrf_token) {
        return refused(&console.site.word("form_expired"));
    }
    let result = match form.draft() {
        Ok(draft) => departments::create_by(&ctx, &console.site.tenant, draft).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("{}departments?done=created", console.home)),
        Err(e) => {
            let (status, errors) = problems(&e, "new-");
            tree(&state, &ctx, &console, &form, errors, None, status).await
        }
    }
}

#[handler]
pub async fn edit_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let Ok(id) = Uuid::parse_str(&id) else {
        return console.site.not_found(&state, &ctx);
    };
    match directory::department(&ctx, &console.site.tenant, id).await {
        Ok(d) => {
            edit(
                &state,
                &ctx,
                &console,
                &d,
                &DepartmentForm::of(&d),
                Vec::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => console.site.error(&state, &ctx, &e),
    }
}

async fn edit(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    department: &Department,
    form: &DepartmentForm,
    errors: Vec<Value>,
    status: StatusCode,
) -> Response {
    let all = match directory::departments(ctx, &console.site.tenant, true).await {
        Ok(all) => all,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    // A department cannot move under itself or its own sub-units.
    let mut below = vec![department.id];
    let mut grew = true;
    while grew {
        grew = false;
        for d in &all {
            if d.parent_id.is_some_and(|p| below.contains(&p)) && !below.contains(&d.id) {
                below.push(d.id);
                grew = true;
            }
        }
    }
    let parents: Vec<Value> = tree_with_depth(&all)
        .into_iter()
        .filter(|(_, d)| !below.contains(&d.id))
        .map(|(depth, d)| indented(depth, d))
        .collect();
    let mut context = console.context(ctx, "departments");
    context.extend([
        ("department".into(), json!(department)),
        ("parents".into(), json!(parents)),
        ("kinds".into(), kinds()),
        ("form".into(), json!(form)),
        ("field_errors".into(), by_field(&errors)),
        ("errors".into(), json!(errors)),
    ]);
    console.render(state, "admin_department.html", context, status)
}

#[handler]
pub async fn update(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<DepartmentForm>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    if !csrf_ok(&ctx, &form.csrf_token) {
        return refused(&console.site.word("form_expired"));
    }
    let tenant = &console.site.tenant;
    let Ok(id) = Uuid::parse_str(&id) else {
        return console.site.not_found(&state, &ctx);
    };
    let current = match directory::department(&ctx, tenant, id).await {
        Ok(d) => d,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let result = match form.patch() {
        Ok(patch) => departments::update_by(&ctx, tenant, id, patch).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(format!("{}departments?done=saved", console.home)),
        Err(e) => {
            let (status, errors) = problems(&e, "d-");
            edit(&state, &ctx, &console, &current, &form, errors, status).await
        }
    }
}

#[handler]
pub async fn export(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let tenant = &console.site.tenant;
    match department_import::export_by(&ctx, tenant).await {
        Ok(entries) => {
            let text = format!("\u{feff}{}", departments_csv::render(&entries));
            text.with_content_type("text/csv; charset=utf-8")
                .with_header(
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}-departments.csv\"", tenant.slug),
                )
                .with_header(header::CACHE_CONTROL, "private, no-store")
                .into_response()
        }
        Err(e) => console.site.error(&state, &ctx, &e),
    }
}

/// An uploaded file and the form's other fields.
pub struct Upload {
    pub csrf_token: String,
    pub fields: std::collections::HashMap<String, String>,
    pub file: Option<Vec<u8>>,
}

/// Read a multipart form with one file (`file`), at most [`MAX_UPLOAD`]
/// bytes, and a few short fields; problems are the `file` field's.
pub async fn read_upload(multipart: Multipart) -> Result<Upload, Error> {
    let form = crate::web::upload::read(multipart, "file", MAX_UPLOAD).await?;
    let csrf_token = form.field("csrf_token").to_owned();
    Ok(Upload {
        csrf_token,
        fields: form
            .fields
            .into_iter()
            .filter(|(name, _)| name != "csrf_token")
            .collect(),
        file: Some(form.file).filter(|f| !f.is_empty()),
    })
}

/// The text of the upload's file: there, and UTF-8.
pub fn upload_text(upload: &Upload) -> Result<&str, Error> {
    match upload.file.as_deref() {
        None | Some([]) => Err(Error::invalid("file", "choose a file to import")),
        Some(bytes) => csv::decode(bytes).map_err(|m| Error::invalid("file", m)),
    }
}

#[handler]
pub async fn import(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let upload = read_upload(multipart).await;
    if let Ok(u) = &upload
        && !csrf_ok(&ctx, &u.csrf_token)
    {
        return refused(&console.site.word("form_expired"));
    }
    let result = match &upload {
        Ok(u) => match upload_text(u).and_then(departments_csv::parse) {
            Ok(rows) => department_import::import_by(&ctx, &console.site.tenant, &rows).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e.clone()),
    };
    match result {
        Ok(done) => see_other(format!(
            "{}departments?done=imported&created={}&updated={}&unchanged={}",
            console.home, done.created, done.updated, done.unchanged
        )),
        Err(e) => {
            let (status, mut errors) = problems(&e, "");
            for e in &mut errors {
                e["id"] = json!("import-file");
            }
            let form = DepartmentForm {
                kind: "government".into(),
                ..Default::default()
            };
            tree(&state, &ctx, &console, &form, errors, None, status).await
        }
    }
}
