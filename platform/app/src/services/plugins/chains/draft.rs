//! A submission as the intake chain sees and changes it: what each rule is
//! given, how its decision is applied, and whether the result still fits.

use super::{Chain, priority_value};
use minsheng_plugin_host::types::{
    self as wit, CaseField, CaseInput, Instant as WitInstant, IntakeInput, TextField,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// A submission as the intake chain sees and changes it.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub category: String,
    pub title: String,
    pub text: String,
    pub address: Option<String>,
    pub location: Option<(f64, f64)>,
    pub attributes: Option<Value>,
    pub media_url: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub public: bool,
    /// Set by a rule: the lead department's code.
    pub lead: Option<String>,
    pub co_handlers: Vec<String>,
    pub priority: i16,
    pub tags: Vec<String>,
    pub spam: bool,
    pub duplicate_of: Option<String>,
    /// Held for review, with the reasons.
    pub review: Vec<String>,
    /// Refused, with the message for the citizen.
    pub reject: Option<String>,
    pub rule_failed: bool,
    /// The text before the first redaction.
    pub unredacted: Option<Value>,
    /// One timeline detail per rule run.
    pub runs: Vec<Value>,
    /// Which run (an index into `runs`) set `duplicate_of`.
    pub duplicate_by: Option<usize>,
    /// `lead` and `co_handlers` as department ids, after the chain ran.
    pub lead_id: Option<Uuid>,
    pub co_handler_ids: Vec<Uuid>,
}

impl Draft {
    /// What a rule declaring `needs` is given.
    pub fn input(
        &self,
        needs: &[CaseField],
        chain: &Chain,
        config: &str,
        now: WitInstant,
    ) -> IntakeInput {
        let has = |f: CaseField| needs.contains(&f);
        let attributes = if has(CaseField::Attributes) {
            self.attributes
                .as_ref()
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(code, v)| wit::Attribute {
                            code: code.clone(),
                            values: match v {
                                Value::Array(items) => items
                                    .iter()
                                    .map(|i| {
                                        i.as_str()
                                            .map(str::to_owned)
                                            .unwrap_or_else(|| i.to_string())
                                    })
                                    .collect(),
                                Value::String(s) => vec![s.clone()],
                                other => vec![other.to_string()],
                            },
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        IntakeInput {
            case: CaseInput {
                category: self.category.clone(),
                title: has(CaseField::Title).then(|| self.title.clone()),
                text: has(CaseField::Text).then(|| self.text.clone()),
                address: self.address.clone().filter(|_| has(CaseField::Address)),
                location: self.location.filter(|_| has(CaseField::Location)).map(
                    |(latitude, longitude)| wit::Location {
                        latitude,
                        longitude,
                    },
                ),
                attributes,
                media_url: self.media_url.clone().filter(|_| has(CaseField::MediaUrl)),
                contact_name: self
                    .contact_name
                    .clone()
                    .filter(|_| has(CaseField::ContactName)),
                contact_phone: self
                    .contact_phone
                    .clone()
                    .filter(|_| has(CaseField::ContactPhone)),
                contact_email: self
                    .contact_email
                    .clone()
                    .filter(|_| has(CaseField::ContactEmail)),
                public: self.public,
            },
            departments: if has(CaseField::Departments) {
                chain.departments.clone()
            } else {
                Vec::new()
            },
            categories: if has(CaseField::Categories) {
                chain.categories.clone()
            } else {
                Vec::new()
            },
            config: config.to_owned(),
            now,
        }
    }

    /// Apply one rule's checked decision.
    pub fn apply(&mut self, d: &wit::IntakeDecision) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if let Some(lead) = &d.lead {
            self.lead = Some(lead.clone());
            changed.push("lead");
        }
        if !d.co_handlers.is_empty() {
            let mut unique = Vec::new();
            for code in &d.co_handlers {
                if !unique.contains(code) && self.lead.as_ref() != Some(code) {
                    unique.push(code.clone());
                }
            }
            self.co_handlers = unique;
            changed.push("co_handlers");
        }
        if let Some(category) = &d.category
            && *category != self.category
        {
            self.category = category.clone();
            changed.push("category");
        }
        if let Some(p) = d.priority {
            self.priority = priority_value(p);
            changed.push("priority");
        }
        for tag in &d.tags {
            if !self.tags.contains(tag) && self.tags.len() < 20 {
                self.tags.push(tag.clone());
                changed.push("tags");
            }
        }
        if d.spam {
            self.spam = true;
            changed.push("spam");
        }
        if let Some(code) = &d.duplicate_of {
            self.duplicate_of = Some(code.clone());
            changed.push("duplicate_of");
        }
        if !d.redactions.is_empty() {
            self.unredacted.get_or_insert_with(
                || json!({"title": self.title, "text": self.text, "address": self.address}),
            );
            for field in [TextField::Title, TextField::Text, TextField::Address] {
                let mut spans: Vec<_> = d.redactions.iter().filter(|r| r.field == field).collect();
                spans.sort_by_key(|r| std::cmp::Reverse(r.start));
                let text = match field {
                    TextField::Title => Some(&mut self.title),
                    TextField::Text => Some(&mut self.text),
                    TextField::Address => self.address.as_mut(),
                };
                let Some(text) = text else { continue };
                let mut floor = usize::MAX;
                for r in spans {
                    let (start, end) = (r.start as usize, r.end as usize);
                    // Overlapping spans: the later-starting one won.
                    if end > floor || end > text.len() {
                        continue;
                    }
                    text.replace_range(start..end, &format!("[{}]", r.kind));
                    floor = start;
                }
            }
            changed.push("redactions");
        }
        if d.force_private && self.public {
            self.public = false;
            changed.push("private");
        }
        if let Some(reason) = &d.hold {
            self.review.push(reason.clone());
            changed.push("hold");
        }
        if let Some(message) = &d.reject {
            self.reject = Some(message.clone());
            changed.push("reject");
        }
        changed.dedup();
        changed
    }

    /// Why the draft no longer fits what a citizen may send (a redaction
    /// grew a field past its limit), if it does not.
    pub fn misfit(&self) -> Option<String> {
        use crate::services::intake::{ADDRESS_CHARS, TEXT_CHARS, TITLE_CHARS};
        let over = |field: &str, text: &str, max: usize| {
            let n = text.trim().chars().count();
            (n > max).then(|| {
                format!("its redactions make the {field} {n} characters long; the most is {max}")
            })
        };
        over("title", &self.title, TITLE_CHARS.1)
            .or_else(|| over("text", &self.text, TEXT_CHARS.1))
            .or_else(|| {
                over(
                    "address",
                    self.address.as_deref().unwrap_or(""),
                    ADDRESS_CHARS,
                )
            })
            .or_else(|| {
                self.title
                    .trim()
                    .is_empty()
                    .then(|| "its redactions leave the title empty".to_owned())
            })
    }
}
