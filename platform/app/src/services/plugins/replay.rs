//! Replay: a candidate intake rule over a city's stored cases, and where
//! its decisions differ from what happened. Changes nothing. Shared by
//! `minsheng plugin replay` and the console's replay jobs
//! ([`jobs`]: run in the background, kept in memory).

pub mod jobs;

use crate::services::DbResultExt;
use crate::services::plugins::chains::{self, Chain, Draft, instant, priority_name};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Utc};
use minsheng_domain::Error;
use minsheng_plugin_host::{Limits, NoLookups, Plugin};
use minsheng_store::entity::case;
use minsheng_store::{Scope, Store};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the candidate is replayed over: the city's directory as its rules
/// see it now, and the cases submitted since `from`, oldest first.
pub struct Cases {
    pub chain: Chain,
    pub rows: Vec<case::Model>,
}

/// The city's directory and at most `limit` cases submitted since `from`.
pub async fn cases(
    store: &Store,
    tenant: &TenantRecord,
    from: DateTime<Utc>,
    limit: u64,
) -> Result<Cases, Error> {
    let t = tenant.id.into_uuid();
    let chain = chains::directory(store, tenant).await?;
    let tx = store.read(Scope::Tenant(t)).await.or_internal()?;
    let rows = minsheng_store::queries::cases::submitted_since(&tx, t, from, limit)
        .await
        .or_internal()?;
    tx.commit().await.or_internal()?;
    Ok(Cases { chain, rows })
}

/// One way a decision differs from what happened.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// `department`, `category`, `priority`, `spam`, `redacted`, `held`,
    /// `refused` or `private`.
    pub field: &'static str,
    /// What happened (department, category, priority), else empty.
    pub from: String,
    /// What the rule decided (the new code or priority, the number of
    /// redactions, the refusal's message), else empty.
    pub to: String,
}

impl Change {
    /// As `minsheng plugin replay` prints it.
    pub fn text(&self) -> String {
        match self.field {
            "spam" => "spam".into(),
            "redacted" => format!("{} redaction(s)", self.to),
            "held" => "held for review".into(),
            "refused" => format!("refused: {}", self.to),
            "private" => "made private".into(),
            field => format!("{field} {} → {}", self.from, self.to),
        }
    }
}

/// What the candidate did with one case.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Verdict {
    /// It decided as what happened.
    Same,
    Changed {
        changes: Vec<Change>,
        explanation: String,
    },
    Failed {
        kind: &'static str,
        message: String,
    },
}

/// One case replayed.
#[derive(Clone, Debug, Serialize)]
pub struct CaseReplay {
    pub tracking_code: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    pub fuel: u64,
}

impl CaseReplay {
    /// The line `minsheng plugin replay` prints, when there is one.
    pub fn line(&self) -> Option<String> {
        match &self.verdict {
            Verdict::Same => None,
            Verdict::Changed {
                changes,
                explanation,
            } => Some(format!(
                "{}  {}  ({explanation})",
                self.tracking_code,
                changes
                    .iter()
                    .map(Change::text)
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Verdict::Failed { kind, message } => {
                Some(format!("{}  FAILED {kind}: {message}", self.tracking_code))
            }
        }
    }
}

/// Run the candidate on one stored case. `config` is its configuration
/// as JSON text.
pub async fn one(
    plugin: &Plugin,
    chain: &Chain,
    tenant: &TenantRecord,
    config: &str,
    limits: &Limits,
    row: &case::Model,
) -> CaseReplay {
    let original = row.unredacted.as_ref();
    let field = |key: &str, stored: &str| {
        original
            .and_then(|o| o[key].as_str())
            .unwrap_or(stored)
            .to_owned()
    };
    let category = chain
        .category_codes
        .get(&row.category_id)
        .cloned()
        .unwrap_or_default();
    let draft = Draft {
        category: category.clone(),
        title: field("title", &row.title),
        text: field("text", &row.body),
        address: original
            .and_then(|o| o["address"].as_str().map(str::to_owned))
            .or_else(|| row.address.clone()),
        location: row.latitude.zip(row.longitude),
        attributes: row.attributes.clone(),
        media_url: row.media_url.clone(),
        contact_name: row.contact_name.clone(),
        contact_phone: row.contact_phone.clone(),
        contact_email: row.contact_email.clone(),
        public: row.public || row.review.is_some(),
        priority: row.priority,
        ..Default::default()
    };
    let input = draft.input(
        &plugin.descriptor.needs,
        chain,
        config,
        instant(tenant, row.submitted_at),
    );
    let out = plugin
        .intake_alone(&input, chain.directory(), limits, Arc::new(NoLookups))
        .await;
    let lead = row
        .lead_department_id
        .and_then(|d| chain.department_codes.get(&d).cloned());
    let verdict = match out.result {
        Err(failure) => Verdict::Failed {
            kind: failure.kind(),
            message: failure.to_string(),
        },
        Ok(d) => {
            let mut changes = Vec::new();
            let mut change = |field, from: String, to: String| {
                changes.push(Change { field, from, to });
            };
            if let Some(new) = &d.lead
                && Some(new) != lead.as_ref()
            {
                change(
                    "department",
                    lead.clone().unwrap_or_else(|| "none".into()),
                    new.clone(),
                );
            }
            if let Some(new) = &d.category
                && *new != category
            {
                change("category", category.clone(), new.clone());
            }
            if let Some(p) = d.priority {
                let new = chains::priority_value(p);
                if new != row.priority {
                    change(
                        "priority",
                        priority_name(row.priority).into(),
                        priority_name(new).into(),
                    );
                }
            }
            if d.spam && !row.spam {
                change("spam", String::new(), String::new());
            }
            if !d.redactions.is_empty() {
                change("redacted", String::new(), d.redactions.len().to_string());
            }
            if d.hold.is_some() {
                change("held", String::new(), String::new());
            }
            if let Some(m) = &d.reject {
                change("refused", String::new(), m.clone());
            }
            if d.force_private && row.public {
                change("private", String::new(), String::new());
            }
            if changes.is_empty() {
                Verdict::Same
            } else {
                Verdict::Changed {
                    changes,
                    explanation: d.explanation,
                }
            }
        }
    };
    CaseReplay {
        tracking_code: row.tracking_code.clone(),
        verdict,
        fuel: out.report.fuel_used,
    }
}

/// The totals of a replay.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tally {
    /// Cases replayed so far.
    pub cases: usize,
    /// Cases on which the candidate would decide otherwise.
    pub changed: usize,
    pub failed: usize,
    /// Cases per kind of change (`department`, `category`, …).
    pub changes: BTreeMap<&'static str, usize>,
    /// Failures per kind (`fuel`, `timeout`, …).
    pub failures: BTreeMap<&'static str, usize>,
    fuel: Vec<u64>,
}

impl Tally {
    pub fn add(&mut self, case: &CaseReplay) {
        self.cases += 1;
        self.fuel.push(case.fuel);
        match &case.verdict {
            Verdict::Same => {}
            Verdict::Changed { changes, .. } => {
                self.changed += 1;
                for c in changes {
                    *self.changes.entry(c.field).or_default() += 1;
                }
            }
            Verdict::Failed { kind, .. } => {
                self.failed += 1;
                *self.failures.entry(kind).or_default() += 1;
            }
        }
    }

    /// Cases with a change of this kind.
    pub fn of(&self, field: &str) -> usize {
        self.changes.get(field).copied().unwrap_or(0)
    }

    /// The fuel per call at quantile `q` (0.5: the median, 1: the most).
    pub fn fuel_at(&self, q: f64) -> u64 {
        let mut fuel = self.fuel.clone();
        fuel.sort_unstable();
        fuel.get(((fuel.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0)
    }
}

/// The configuration checked against the candidate's schema; the errors
/// named by path (`config/routes/0/department`).
pub fn check_config(plugin: &Plugin, config: &Value) -> Result<(), Error> {
    let mut p = minsheng_domain::error::Problems::new();
    if let Err(errors) =
        minsheng_plugin_host::check_config(&plugin.descriptor.config_schema, config)
    {
        for e in errors {
            p.push(format!("config{}", e.path), e.message);
        }
    }
    p.finish()
}
