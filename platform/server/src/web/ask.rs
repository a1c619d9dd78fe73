//! Asking a question: choose a category (searchable, works without
//! JavaScript), then one form with the category's own questions. The form
//! carries a random id that becomes the submission's idempotency key, so a
//! double click, a reload or the back button never files a second case.
//! Every message is shown next to its field, in the page's language.

use super::pages::local;
use super::respond::render;
use super::site::Site;
use super::site::site;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::access::tokens::random_token;
use minsheng_app::model::{CaseInput, Category, SimilarCase};
use minsheng_app::services::{intake, quotas};
use minsheng_domain::Error;
use minsheng_domain::error::FieldError;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Body, IntoResponse, Request, Response, handler};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Where a form sends what the citizen typed: the city's questions, or a
/// campaign's suggestions (the same form, checks and rules).
#[derive(Clone, Debug)]
pub(super) enum Target {
    Ask,
    Campaign {
        slug: String,
        title: String,
        answer_days: i32,
    },
}

impl Target {
    fn action(&self, site: &Site) -> String {
        match self {
            Target::Ask => format!("{}ask", site.base),
            Target::Campaign { slug, .. } => format!("{}campaigns/{slug}/suggest", site.base),
        }
    }
}

#[derive(Deserialize)]
pub struct AskQuery {
    category: Option<String>,
    q: Option<String>,
}

async fn city_categories(ctx: &Ctx, site: &Site) -> Result<Vec<Category>, Error> {
    minsheng_app::services::directory::categories(ctx, &site.tenant, false).await
}

/// `GET /t/{slug}/ask`: the categories (filtered by `q`), or with
/// `?category=` the form for that category.
#[handler]
pub async fn ask(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<AskQuery>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let all = match city_categories(&ctx, &site).await {
        Ok(c) => c,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let q = query.q.unwrap_or_default();
    if let Some(code) = query.category
        && let Some(category) = all.iter().find(|c| c.code == code)
    {
        let form = AskForm {
            public: category.public_by_default,
            ..AskForm::default()
        };
        return form_page(
            &state,
            &ctx,
            &site,
            &Target::Ask,
            category,
            &form,
            &random_token(),
            &[],
            None,
            StatusCode::OK,
            None,
        );
    }
    chooser(&state, &ctx, &site, &all, q.trim())
}

/// The category list, grouped as the city groups it.
fn chooser(state: &ServerState, ctx: &Ctx, site: &Site, all: &[Category], q: &str) -> Response {
    let needle = q.to_lowercase();
    let hit = |c: &Category| {
        needle.is_empty()
            || [
                c.name.as_str(),
                c.code.as_str(),
                c.group.as_deref().unwrap_or_default(),
                c.description.as_deref().unwrap_or_default(),
            ]
            .iter()
            .chain(
                c.keywords
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .any(|field| field.to_lowercase().contains(&needle))
    };
    let mut groups: Vec<(Option<String>, Vec<&Category>)> = Vec::new();
    for c in all.iter().filter(|c| hit(c)) {
        match groups.iter_mut().find(|(g, _)| *g == c.group) {
            Some((_, list)) => list.push(c),
            None => groups.push((c.group.clone(), vec![c])),
        }
    }
    let groups: Vec<_> = groups
        .into_iter()
        .map(|(name, list)| json!({ "name": name, "categories": list }))
        .collect();
    let mut context = site.context(ctx, "ask");
    context.insert("q".into(), json!(q));
    context.insert("groups".into(), json!(groups));
    render(
        state,
        "ask_category.html",
        Value::Object(context),
        StatusCode::OK,
    )
    .with_header(header::CACHE_CONTROL, site.cache_control(300))
    .with_header(header::VARY, "Cookie")
    .into_response()
}

/// What the citizen typed, kept to show the form again.
#[derive(Default, Serialize)]
pub(super) struct AskForm {
    pub(super) category: String,
    form_id: String,
    title: String,
    text: String,
    address: String,
    latitude: String,
    longitude: String,
    pub(super) public: bool,
    anonymous: bool,
    contact_name: String,
    contact_phone: String,
    contact_email: String,
    attributes: BTreeMap<String, Vec<String>>,
    /// The citizen pressed "check for similar questions": show them, file
    /// nothing.
    #[serde(skip)]
    check_similar: bool,
}

impl AskForm {
    /// An empty form, public unless the citizen says otherwise.
    pub(super) fn public() -> Self {
        AskForm {
            public: true,
            ..AskForm::default()
        }
    }

    /// Read a form body; `attribute[code]` and `attribute[code][]` may repeat.
    pub(super) fn parse(body: &[u8]) -> Self {
        let mut f = AskForm::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "category" => f.category = value,
                "form_id" => f.form_id = value,
                "title" => f.title = value,
                "text" => f.text = value,
                "address" => f.address = value,
                "latitude" => f.latitude = value,
                "longitude" => f.longitude = value,
                "public" => f.public = value == "yes",
                "anonymous" => f.anonymous = value == "yes",
                "contact_name" => f.contact_name = value,
                "contact_phone" => f.contact_phone = value,
                "contact_email" => f.contact_email = value,
                "action" => f.check_similar = value == "similar",
                other => {
                    if let Some(code) = other
                        .strip_prefix("attribute[")
                        .map(|rest| rest.trim_end_matches("[]"))
                        .and_then(|rest| rest.strip_suffix(']'))
                    {
                        f.attributes.entry(code.to_owned()).or_default().push(value);
                    }
                }
            }
        }
        f
    }

    /// The submission, and the coordinates' problems (a coordinate that is
    /// not a number is left out of the submission and reported).
    pub(super) fn input(&self) -> (CaseInput, Vec<FieldError>) {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let mut problems = Vec::new();
        let mut number = |name: &str, s: &str| -> Option<f64> {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            let n = s.parse::<f64>().ok().filter(|n| n.is_finite());
            if n.is_none() {
                problems.push(FieldError {
                    field: name.into(),
                    message: "not a number".into(),
                });
            }
            n
        };
        let latitude = number("latitude", &self.latitude);
        let longitude = number("longitude", &self.longitude);
        let contact = |s: &str| if self.anonymous { None } else { text(s) };
        let input = CaseInput {
            category: self.category.trim().to_owned(),
            title: self.title.clone(),
            text: self.text.clone(),
            address: text(&self.address),
            latitude,
            longitude,
            contact_name: contact(&self.contact_name),
            contact_phone: contact(&self.contact_phone),
            contact_email: contact(&self.contact_email),
            public: Some(self.public),
            attributes: self.attributes.clone(),
            media_url: None,
        };
        (input, problems)
    }
}

/// A form id is a token this server made: letters, digits, `-` and `_`.
fn valid_form_id(id: &str) -> bool {
    (16..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The word for a field's problem.
fn message_for(field: &str) -> &'static str {
    match field {
        "category" => "err_category",
        "title" => "err_title",
        "text" => "err_text",
        "address" => "err_address",
        "latitude" | "longitude" => "err_location",
        "contact_name" => "err_contact_name",
        "contact_phone" => "err_contact_phone",
        "contact_email" => "err_email",
        "media_url" => "err_media",
        f if f.starts_with("attribute[") => "err_attribute",
        _ => "err_other",
    }
}

/// `POST /t/{slug}/ask`
#[handler]
pub async fn submit(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
    body: Body,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let bytes = match body.into_bytes().await {
        Ok(b) => b,
        Err(_) => return super::respond::bad_request(&site.word("form_expired")),
    };
    let form = AskForm::parse(&bytes);
    let all = match city_categories(&ctx, &site).await {
        Ok(c) => c,
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let Some(category) = all.iter().find(|c| c.code == form.category.trim()) else {
        return chooser(&state, &ctx, &site, &all, "");
    };
    file(&state, &ctx, &site, &Target::Ask, category, &form).await
}

/// Check and file what the form sent: the confirmation, or the form again
/// with every problem next to its field.
pub(super) async fn file(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    target: &Target,
    category: &Category,
    form: &AskForm,
) -> Response {
    let form_id = if valid_form_id(&form.form_id) {
        form.form_id.clone()
    } else {
        random_token()
    };
    if form.check_similar {
        // Without JavaScript: the answered questions like this one, and
        // the form again as typed; nothing is filed.
        let similar = similar_to(ctx, site, form).await;
        return form_page(
            state,
            ctx,
            site,
            target,
            category,
            form,
            &form_id,
            &[],
            None,
            StatusCode::OK,
            Some(&similar),
        );
    }
    let (mut input, mut problems) = form.input();
    if !problems.is_empty() {
        // Show every problem at once, not the coordinates first.
        input.latitude = None;
        input.longitude = None;
        match intake::problems(ctx, &site.tenant, &input).await {
            Ok(more) => problems.extend(more),
            Err(e) => return site.error(state, ctx, &e),
        }
        let similar = similar_to(ctx, site, form).await;
        return form_page(
            state,
            ctx,
            site,
            target,
            category,
            form,
            &form_id,
            &problems,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&similar),
        );
    }
    let key = valid_form_id(&form.form_id).then(|| format!("web-form:{}", form.form_id));
    let filed = match target {
        Target::Ask => intake::submit(ctx, &site.tenant, input, key).await,
        Target::Campaign { slug, .. } => {
            minsheng_app::services::campaigns::suggestions::submit(
                ctx,
                &site.tenant,
                slug,
                input,
                key,
            )
            .await
        }
    };
    match filed {
        Ok((created, _replayed)) => submitted(state, ctx, site, &created, form.public),
        Err(Error::Invalid(problems)) if problems.iter().any(|p| p.field == "Idempotency-Key") => {
            // The same form sent again with other text (edited after going
            // back): nothing is filed twice; a fresh form starts over.
            form_page(
                state,
                ctx,
                site,
                target,
                category,
                form,
                &random_token(),
                &[],
                Some(site.word("form_already_sent")),
                StatusCode::CONFLICT,
                None,
            )
        }
        Err(Error::Invalid(problems)) => form_page(
            state,
            ctx,
            site,
            target,
            category,
            form,
            &form_id,
            &problems,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        Err(Error::TooManyRequests {
            retry_after_secs,
            message,
        }) => form_page(
            state,
            ctx,
            site,
            target,
            category,
            form,
            &form_id,
            &[],
            // Over the city's daily quota the case is refused, and said so.
            Some(site.word(if message.contains(quotas::CASES_PER_DAY) {
                "daily_quota_reached"
            } else {
                "too_many"
            })),
            StatusCode::TOO_MANY_REQUESTS,
            None,
        )
        .with_header(header::RETRY_AFTER, retry_after_secs.to_string())
        .into_response(),
        Err(e) => site.error(state, ctx, &e),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn form_page(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    target: &Target,
    category: &Category,
    form: &AskForm,
    form_id: &str,
    problems: &[FieldError],
    notice: Option<String>,
    status: StatusCode,
    similar: Option<&[SimilarCase]>,
) -> Response {
    let t = site.words();
    let mut errors = serde_json::Map::new();
    let mut list = Vec::new();
    for p in problems {
        if errors.contains_key(&p.field) {
            continue;
        }
        // A city's rule refused it: its own words, next to the text.
        if p.field == "submission" {
            let label = t["text"].as_str().unwrap_or("text").to_owned();
            list.push(json!({ "id": "text", "label": label, "message": p.message }));
            errors.insert("text".into(), json!(p.message));
            continue;
        }
        let message = site.word(message_for(&p.field));
        let (id, label) = match p
            .field
            .strip_prefix("attribute[")
            .and_then(|r| r.strip_suffix(']'))
        {
            Some(code) => (
                format!("attr-{code}"),
                category
                    .attributes
                    .iter()
                    .find(|a| a.code == code)
                    .map_or_else(|| code.to_owned(), |a| a.description.clone()),
            ),
            None => {
                let label = t[p.field.as_str()].as_str().unwrap_or(&p.field).to_owned();
                (p.field.clone(), label)
            }
        };
        list.push(json!({ "id": id, "label": label, "message": message }));
        errors.insert(p.field.clone(), json!(message));
    }
    let mut context = site.context(ctx, "ask");
    context.extend([
        ("category".into(), json!(category)),
        ("attributes".into(), json!(category.attributes)),
        ("form".into(), json!(form)),
        ("form_id".into(), json!(form_id)),
        ("text_length".into(), json!(form.text.chars().count())),
        ("errors".into(), Value::Object(errors)),
        ("error_list".into(), json!(list)),
        ("notice".into(), json!(notice)),
        ("similar".into(), json!(similar)),
        (
            "similar_url".into(),
            json!(format!(
                "/api/v1/tenants/{}/cases/similar",
                site.tenant.slug
            )),
        ),
        ("form_action".into(), json!(target.action(site))),
    ]);
    if let Target::Campaign {
        slug,
        title,
        answer_days,
    } = target
    {
        context.extend([
            ("campaign".into(), json!({ "slug": slug, "title": title })),
            ("answer_days".into(), json!(answer_days)),
        ]);
    }
    // Kept in the browser's history (not `no-store`), so going back shows
    // the same form id and a second send is recognised.
    render(state, "ask.html", Value::Object(context), status)
        .with_header(header::CACHE_CONTROL, "private, max-age=0")
        .into_response()
}

/// The answered public cases like the form's title (and text), or none
/// when the title is too short or the search fails (the form still works).
async fn similar_to(ctx: &Ctx, site: &Site, form: &AskForm) -> Vec<SimilarCase> {
    let title = form.title.trim();
    if title.chars().count() < 2 {
        return Vec::new();
    }
    match minsheng_app::services::cases::similar_public(ctx, &site.tenant, title).await {
        Ok(found) => found.items,
        Err(e) => {
            tracing::warn!(error = %e, "similar questions could not be found");
            Vec::new()
        }
    }
}

fn submitted(
    state: &ServerState,
    ctx: &Ctx,
    site: &Site,
    created: &minsheng_app::model::CaseCreated,
    public: bool,
) -> Response {
    let mut link = form_urlencoded::Serializer::new(String::new());
    link.append_pair("code", &created.tracking_code);
    link.append_pair("secret", &created.secret);
    let mut context = site.context(ctx, "ask");
    context.extend([
        ("created".into(), json!(created)),
        ("public".into(), json!(public)),
        (
            "accept_by".into(),
            json!(local(&site.tenant, created.accept_deadline)),
        ),
        (
            "answer_by".into(),
            json!(local(&site.tenant, created.answer_deadline)),
        ),
        (
            "link".into(),
            json!(format!("{}track?{}", site.base, link.finish())),
        ),
    ]);
    render(
        state,
        "submitted.html",
        Value::Object(context),
        StatusCode::OK,
    )
    .with_header(header::CACHE_CONTROL, "no-store")
    .with_header("Referrer-Policy", "no-referrer")
    .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::AskForm;

    #[test]
    fn repeated_attributes_are_collected() {
        let f = AskForm::parse(
            b"category=graffiti&attribute%5Bsurface%5D%5B%5D=wall&attribute%5Bsurface%5D%5B%5D=bridge&attribute%5Bsize%5D=big&public=yes&title=x",
        );
        assert_eq!(f.attributes["surface"], vec!["wall", "bridge"]);
        assert_eq!(f.attributes["size"], vec!["big"]);
        assert!(f.public);
        assert!(!f.anonymous);
    }

    #[test]
    fn coordinates_that_are_not_numbers_are_their_fields_problem() {
        let f = AskForm::parse(b"latitude=north&longitude=125.1");
        let (input, problems) = f.input();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "latitude");
        assert_eq!(input.longitude, Some(125.1));
    }

    #[test]
    fn anonymous_drops_contact_details() {
        let f = AskForm::parse(b"anonymous=yes&contact_name=Wang&contact_phone=139");
        let (input, _) = f.input();
        assert_eq!(input.contact_name, None);
        assert_eq!(input.contact_phone, None);
    }
}
