//! Checking a submission: the limits of each field, the city's categories
//! and their attributes, and the checked case that rules may then route.

use crate::access::Ctx;
use crate::model::CaseInput;
use crate::services::calendar;
use crate::services::tenants::TenantRecord;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::values::{parse_email, parse_optional_text, parse_text};
use minsheng_store::entity::category;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone)]
pub(super) struct ValidCase {
    pub(super) category: Arc<category::Model>,
    pub(super) title: String,
    pub(super) text: String,
    pub(super) address: Option<String>,
    pub(super) latitude: Option<f64>,
    pub(super) longitude: Option<f64>,
    pub(super) contact_name: Option<String>,
    pub(super) contact_phone: Option<String>,
    pub(super) contact_email: Option<String>,
    pub(super) public: bool,
    pub(super) attributes: Option<serde_json::Value>,
    pub(super) media_url: Option<String>,
    // What the city's rules decided (defaults without rules).
    pub(super) lead: Option<Uuid>,
    pub(super) co_handlers: Vec<Uuid>,
    pub(super) priority: i16,
    pub(super) tags: Vec<String>,
    pub(super) spam: bool,
    pub(super) duplicate_of: Option<String>,
    pub(super) review: Option<serde_json::Value>,
    pub(super) rule_failed: bool,
    pub(super) unredacted: Option<serde_json::Value>,
    pub(super) runs: Vec<serde_json::Value>,
    pub(super) reject: Option<String>,
}

/// Check a submission without filing it: the problems it would be
/// refused for (a form shows them all at once, with its own).
pub async fn problems(
    ctx: &Ctx,
    tenant: &TenantRecord,
    input: &CaseInput,
) -> Result<Vec<minsheng_domain::error::FieldError>, Error> {
    let rules = ctx.app.calendars.rules(&ctx.app.store, tenant).await?;
    match check_input(&rules, input) {
        Ok(_) => Ok(Vec::new()),
        Err(Error::Invalid(problems)) => Ok(problems),
        Err(e) => Err(e),
    }
}

/// The shortest and longest title and text a case may have, in
/// characters, and the longest address; rules' redactions are held to the
/// same.
pub const TITLE_CHARS: (usize, usize) = (4, 100);
pub const TEXT_CHARS: (usize, usize) = (10, 5000);
pub const ADDRESS_CHARS: usize = 200;

pub(super) fn check_input(rules: &calendar::Rules, input: &CaseInput) -> Result<ValidCase, Error> {
    let mut p = Problems::new();
    let category = rules.categories.get(&input.category).cloned();
    if category.is_none() {
        p.push(
            "category",
            format!("no category {:?} in this city", input.category),
        );
    }
    let title = p.check(
        "title",
        parse_text(&input.title, TITLE_CHARS.0, TITLE_CHARS.1),
    );
    let text = p.check("text", parse_text(&input.text, TEXT_CHARS.0, TEXT_CHARS.1));
    let address = p.check(
        "address",
        parse_optional_text(input.address.as_deref(), ADDRESS_CHARS),
    );
    match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                p.push("latitude", "must be between -90 and 90");
            }
            if !(-180.0..=180.0).contains(&lon) {
                p.push("longitude", "must be between -180 and 180");
            }
        }
        (None, None) => {}
        _ => p.push("latitude", "give both latitude and longitude, or neither"),
    }
    let contact_name = p.check(
        "contact_name",
        parse_optional_text(input.contact_name.as_deref(), 50),
    );
    let contact_phone = p.check(
        "contact_phone",
        parse_optional_text(input.contact_phone.as_deref(), 30),
    );
    let contact_email = match input
        .contact_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => p.check("contact_email", parse_email(e).map(Some)),
        None => Some(None),
    };
    let attributes = category.as_ref().and_then(|c| {
        let definitions: Vec<crate::model::Attribute> =
            serde_json::from_value(c.attributes.clone()).unwrap_or_default();
        crate::services::attributes::check(&definitions, &input.attributes, &mut p)
    });
    let media_url =
        crate::services::attributes::check_media_url(input.media_url.as_deref(), &mut p);
    p.finish()?;
    let (
        Some(category),
        Some(title),
        Some(text),
        Some(address),
        Some(contact_name),
        Some(contact_phone),
        Some(contact_email),
    ) = (
        category,
        title,
        text,
        address,
        contact_name,
        contact_phone,
        contact_email,
    )
    else {
        return Err(Error::internal("checked case fields missing"));
    };
    let public = input.public.unwrap_or(category.public_by_default);
    Ok(ValidCase {
        category,
        title,
        text,
        address,
        latitude: input.latitude,
        longitude: input.longitude,
        contact_name,
        contact_phone,
        contact_email,
        public,
        attributes,
        media_url,
        lead: None,
        co_handlers: Vec::new(),
        priority: 1,
        tags: Vec::new(),
        spam: false,
        duplicate_of: None,
        review: None,
        rule_failed: false,
        unredacted: None,
        runs: Vec::new(),
        reject: None,
    })
}

impl ValidCase {
    /// Whether the city's rules changed where and how the case goes.
    pub(super) fn routed_by_rules(&self) -> bool {
        self.lead.is_some()
            || !self.co_handlers.is_empty()
            || self.priority != 1
            || !self.tags.is_empty()
            || self.spam
            || self.duplicate_of.is_some()
    }

    /// The case as if no rule had routed it (redactions and holds stay:
    /// they protect the citizen).
    pub(super) fn default_routing(&self) -> Self {
        Self {
            lead: None,
            co_handlers: Vec::new(),
            priority: 1,
            tags: Vec::new(),
            spam: false,
            duplicate_of: None,
            rule_failed: true,
            ..self.clone()
        }
    }
}
