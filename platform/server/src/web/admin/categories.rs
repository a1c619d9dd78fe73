//! `{base}admin/categories`: the city's categories (groups, keywords,
//! default department, deadlines, public by default) and each one's own
//! questions (Open311 attributes), with a preview of the citizen form.

use super::console;
use super::departments::{problems, see_other};
use crate::app::ServerState;
use crate::web::respond::refused;
use crate::web::staff::{Desk, csrf_ok};
use minsheng_app::access::Ctx;
use minsheng_app::model::{Attribute, AttributeValue, Category, CategoryPatch};
use minsheng_app::services::categories::{self, CategoryDraft, DATATYPES};
use minsheng_app::services::directory;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, Route, get, handler};
use poem_openapi::types::MaybeUndefined;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// Blank question slots a form offers after the category's own.
const BLANK_QUESTIONS: usize = 2;

pub fn mount(route: Route) -> Route {
    route
        .at("/t/:slug/admin/categories", get(list_page).post(create))
        .at("/t/:slug/admin/categories/new", get(new_page))
        .at("/t/:slug/admin/categories/:id", get(edit_page).post(update))
        .at("/t/:slug/admin/categories/:id/preview", get(preview))
}

/// One question of the form.
#[derive(Clone, Default, Serialize)]
struct QuestionForm {
    code: String,
    description: String,
    datatype: String,
    required: bool,
    hint: String,
    /// One choice a line: `key = name` (or just the name, which is its key).
    values: String,
}

impl QuestionForm {
    fn of(a: &Attribute) -> Self {
        Self {
            code: a.code.clone(),
            description: a.description.clone(),
            datatype: a.datatype.clone(),
            required: a.required,
            hint: a.datatype_description.clone().unwrap_or_default(),
            values: a
                .values
                .iter()
                .flatten()
                .map(|v| format!("{} = {}", v.key, v.name))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn is_blank(&self) -> bool {
        self.code.trim().is_empty()
            && self.description.trim().is_empty()
            && self.values.trim().is_empty()
    }

    fn attribute(&self) -> Attribute {
        let values: Vec<AttributeValue> = self
            .values
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once('=') {
                Some((k, n)) => AttributeValue {
                    key: k.trim().to_owned(),
                    name: n.trim().to_owned(),
                },
                None => AttributeValue {
                    key: l.to_owned(),
                    name: l.to_owned(),
                },
            })
            .collect();
        let is_list = self.datatype.ends_with("valuelist");
        Attribute {
            code: self.code.trim().to_owned(),
            description: self.description.trim().to_owned(),
            datatype: self.datatype.clone(),
            required: self.required,
            datatype_description: Some(self.hint.trim().to_owned()).filter(|h| !h.is_empty()),
            values: (is_list || !values.is_empty()).then_some(values),
        }
    }
}

/// A category form's fields, as sent (and shown again after a problem).
#[derive(Clone, Default, Serialize)]
struct CategoryForm {
    code: String,
    name: String,
    group: String,
    description: String,
    keywords: String,
    default_department: String,
    accept_days: String,
    answer_days: String,
    public_by_default: bool,
    active: bool,
    questions: Vec<QuestionForm>,
}

impl CategoryForm {
    fn blank() -> Self {
        Self {
            accept_days: "1".into(),
            answer_days: "15".into(),
            public_by_default: true,
            active: true,
            ..Default::default()
        }
    }

    fn of(c: &Category) -> Self {
        Self {
            code: c.code.clone(),
            name: c.name.clone(),
            group: c.group.clone().unwrap_or_default(),
            description: c.description.clone().unwrap_or_default(),
            keywords: c.keywords.join(", "),
            default_department: c
                .default_department_id
                .map(|d| d.to_string())
                .unwrap_or_default(),
            accept_days: c.accept_days.to_string(),
            answer_days: c.answer_days.to_string(),
            public_by_default: c.public_by_default,
            active: c.active,
            questions: c.attributes.iter().map(QuestionForm::of).collect(),
        }
    }

    /// The fields of a sent form (`q{n}_code` … for the questions); blank
    /// question slots are dropped.
    fn parse(fields: &[(String, String)]) -> (String, Self) {
        let mut form = Self::default();
        let mut csrf = String::new();
        let mut questions: std::collections::BTreeMap<usize, QuestionForm> = Default::default();
        for (k, v) in fields {
            let v = v.clone();
            match k.as_str() {
                "csrf_token" => csrf = v,
                "code" => form.code = v,
                "name" => form.name = v,
                "group" => form.group = v,
                "description" => form.description = v,
                "keywords" => form.keywords = v,
                "default_department" => form.default_department = v,
                "accept_days" => form.accept_days = v,
                "answer_days" => form.answer_days = v,
                "public_by_default" => form.public_by_default = v == "yes",
                "active" => form.active = v == "yes",
                k => {
                    let Some((n, part)) = k
                        .strip_prefix('q')
                        .and_then(|r| r.split_once('_'))
                        .and_then(|(n, part)| Some((n.parse::<usize>().ok()?, part)))
                    else {
                        continue;
                    };
                    let q = questions.entry(n).or_default();
                    match part {
                        "code" => q.code = v,
                        "description" => q.description = v,
                        "datatype" => q.datatype = v,
                        "required" => q.required = v == "yes",
                        "hint" => q.hint = v,
                        "values" => q.values = v,
                        _ => {}
                    }
                }
            }
        }
        form.questions = questions.into_values().filter(|q| !q.is_blank()).collect();
        (csrf, form)
    }

    fn draft(&self) -> Result<CategoryDraft, Error> {
        let mut p = Problems::new();
        let days = |p: &mut Problems, field: &str, v: &str| {
            p.check(
                field,
                v.trim()
                    .parse::<i32>()
                    .map_err(|_| format!("{v:?} is not a whole number of working days")),
            )
        };
        let accept_days = days(&mut p, "accept_days", &self.accept_days);
        let answer_days = days(&mut p, "answer_days", &self.answer_days);
        let default_department_id = match self.default_department.trim() {
            "" => None,
            d => p.check(
                "default_department_id",
                Uuid::parse_str(d).map_err(|_| "choose a department from the list".to_owned()),
            ),
        };
        p.finish()?;
        let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(CategoryDraft {
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            group: some(&self.group),
            description: some(&self.description),
            keywords: self
                .keywords
                .split([',', '，', '、', '\n'])
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            default_department_id,
            accept_days: accept_days.unwrap_or(1),
            answer_days: answer_days.unwrap_or(1),
            public_by_default: self.public_by_default,
            attributes: self.questions.iter().map(QuestionForm::attribute).collect(),
            sort_order: 0,
            active: self.active,
        })
    }

    fn patch(&self) -> Result<CategoryPatch, Error> {
        let d = self.draft()?;
        let maybe = |v: Option<String>| v.map_or(MaybeUndefined::Null, MaybeUndefined::Value);
        Ok(CategoryPatch {
            code: Some(d.code),
            name: Some(d.name),
            group: maybe(d.group),
            description: maybe(d.description),
            keywords: Some(d.keywords),
            default_department_id: d
                .default_department_id
                .map_or(MaybeUndefined::Null, MaybeUndefined::Value),
            accept_days: Some(d.accept_days),
            answer_days: Some(d.answer_days),
            public_by_default: Some(d.public_by_default),
            attributes: Some(d.attributes),
            sort_order: None,
            active: Some(d.active),
        })
    }
}

/// The form field a service's problem is about: a question's (`q2-code`),
/// a list's (`keywords[1]` is `keywords`), or the field itself.
fn form_field(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("attributes[")
        && let Some((n, part)) = rest.split_once("].")
    {
        let part = if part.starts_with("values") {
            "values"
        } else {
            part
        };
        let part = if part == "datatype_description" {
            "hint"
        } else {
            part
        };
        return format!("q{n}-{part}");
    }
    field.split('[').next().unwrap_or(field).to_owned()
}

#[handler]
pub async fn list_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let tenant = &console.site.tenant;
    let (all, departments) = match (
        directory::categories(&ctx, tenant, true).await,
        directory::departments(&ctx, tenant, true).await,
    ) {
        (Ok(c), Ok(d)) => (c, d),
        (Err(e), _) | (_, Err(e)) => return console.site.error(&state, &ctx, &e),
    };
    let rows: Vec<Value> = all
        .iter()
        .map(|c| {
            let department = departments
                .iter()
                .find(|d| Some(d.id) == c.default_department_id)
                .map(|d| d.name.clone());
            json!({"c": c, "department": department, "questions": c.attributes.len()})
        })
        .collect();
    let mut context = console.context(&ctx, "categories");
    context.insert("rows".into(), json!(rows));
    console.render(&state, "admin_categories.html", context, StatusCode::OK)
}

#[handler]
pub async fn new_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let form = CategoryForm::blank();
    let page = Page {
        category: None,
        form: &form,
        error: None,
        saved: false,
    };
    form_page(&state, &ctx, &console, page, StatusCode::OK).await
}

#[handler]
pub async fn edit_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    match find(&ctx, &console, &id).await {
        Ok(c) => {
            let form = CategoryForm::of(&c);
            let saved = req.uri().query() == Some("done=saved");
            let page = Page {
                category: Some(&c),
                form: &form,
                error: None,
                saved,
            };
            form_page(&state, &ctx, &console, page, StatusCode::OK).await
        }
        Err(e) => console.site.error(&state, &ctx, &e),
    }
}

async fn find(ctx: &Ctx, console: &Desk, id: &str) -> Result<Category, Error> {
    let id = Uuid::parse_str(id).map_err(|_| Error::not_found(format!("category {id}")))?;
    directory::category(ctx, &console.site.tenant, id).await
}

/// What the category form shows.
struct Page<'a> {
    category: Option<&'a Category>,
    form: &'a CategoryForm,
    error: Option<&'a Error>,
    saved: bool,
}

async fn form_page(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    page: Page<'_>,
    status: StatusCode,
) -> Response {
    let Page {
        category,
        form,
        error,
        saved,
    } = page;
    // Inactive ones too: a category may still name one as its default.
    let departments = match directory::departments(ctx, &console.site.tenant, true).await {
        Ok(d) => d,
        Err(e) => return console.site.error(state, ctx, &e),
    };
    let (_, mut errors) = error.map(|e| problems(e, "")).unwrap_or_default();
    let mut by_field = serde_json::Map::new();
    for e in &mut errors {
        let field = form_field(e["field"].as_str().unwrap_or_default());
        if !field.is_empty() {
            e["id"] = json!(format!("c-{field}"));
            by_field
                .entry(field)
                .or_insert_with(|| e["message"].clone());
        }
    }
    let mut form = form.clone();
    form.questions
        .extend(std::iter::repeat_with(QuestionForm::default).take(BLANK_QUESTIONS));
    let mut context = console.context(ctx, "categories");
    context.extend([
        ("category".into(), json!(category)),
        ("form".into(), json!(form)),
        ("departments".into(), json!(departments)),
        ("datatypes".into(), json!(DATATYPES)),
        ("errors".into(), json!(errors)),
        ("field_errors".into(), Value::Object(by_field)),
        ("saved".into(), json!(saved)),
    ]);
    console.render(state, "admin_category.html", context, status)
}

#[handler]
pub async fn create(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let (csrf, form) = CategoryForm::parse(&fields);
    if !csrf_ok(&ctx, &csrf) {
        return refused(&console.site.word("form_expired"));
    }
    let result = match form.draft() {
        Ok(draft) => categories::create_by(&ctx, &console.site.tenant, draft).await,
        Err(e) => Err(e),
    };
    saved(&state, &ctx, &console, None, &form, result).await
}

/// To the saved category's page, or the form again with its problems.
async fn saved(
    state: &ServerState,
    ctx: &Ctx,
    console: &Desk,
    current: Option<&Category>,
    form: &CategoryForm,
    result: Result<Category, Error>,
) -> Response {
    match result {
        Ok(c) => see_other(format!("{}categories/{}?done=saved", console.home, c.id)),
        Err(e) => {
            let (status, _) = problems(&e, "");
            let page = Page {
                category: current,
                form,
                error: Some(&e),
                saved: false,
            };
            form_page(state, ctx, console, page, status).await
        }
    }
}

#[handler]
pub async fn update(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let (csrf, form) = CategoryForm::parse(&fields);
    if !csrf_ok(&ctx, &csrf) {
        return refused(&console.site.word("form_expired"));
    }
    let current = match find(&ctx, &console, &id).await {
        Ok(c) => c,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let result = match form.patch() {
        Ok(patch) => categories::update_by(&ctx, &console.site.tenant, current.id, patch).await,
        Err(e) => Err(e),
    };
    saved(&state, &ctx, &console, Some(&current), &form, result).await
}

/// The citizen form's questions for the category, as citizens see them.
#[handler]
pub async fn preview(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let category = match find(&ctx, &console, &id).await {
        Ok(c) => c,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let mut context = console.context(&ctx, "categories");
    context.extend([
        ("category".into(), json!(category)),
        ("attributes".into(), json!(category.attributes)),
        ("form".into(), json!({"attributes": {}})),
        ("errors".into(), json!({})),
    ]);
    console.render(
        &state,
        "admin_category_preview.html",
        context,
        StatusCode::OK,
    )
}
