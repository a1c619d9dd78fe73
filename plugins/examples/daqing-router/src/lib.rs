//! Keyword router for Daqing: a case whose title or text mentions heating,
//! water, gas… goes straight to the department that handles it, instead of
//! waiting for a dispatcher. Routes and departments come from the
//! configuration (see config.json), so the city changes them without a
//! rebuild.

use minsheng_rule_sdk::intake::{Guest, IntakeDecision, IntakeInput, Priority, RuleError};
use minsheng_rule_sdk::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    routes: Vec<Route>,
    /// Route only cases filed under these categories (empty: all).
    #[serde(default)]
    only_categories: Vec<String>,
}

#[derive(Deserialize)]
struct Route {
    keywords: Vec<String>,
    department: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    co_handlers: Vec<String>,
    #[serde(default)]
    priority: Option<String>,
}

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "daqing-router",
            env!("CARGO_PKG_VERSION"),
            Hook::Intake,
            serde_json::json!({
                "type": "object",
                "required": ["routes"],
                "additionalProperties": false,
                "properties": {
                    "routes": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["keywords", "department"],
                            "additionalProperties": false,
                            "properties": {
                                "keywords": { "type": "array", "minItems": 1, "items": { "type": "string", "minLength": 1 } },
                                "department": { "type": "string", "minLength": 1 },
                                "category": { "type": "string" },
                                "co_handlers": { "type": "array", "items": { "type": "string" } },
                                "priority": { "enum": ["low", "normal", "high", "urgent"] }
                            }
                        }
                    },
                    "only_categories": { "type": "array", "items": { "type": "string" } }
                }
            }),
            &[CaseField::Title, CaseField::Text, CaseField::Departments],
            "Routes cases to a department by keywords in the title and text",
        )
    }

    fn decide(input: IntakeInput) -> Result<IntakeDecision, RuleError> {
        let config: Config = config(&input.config)?;
        let case = &input.case;
        if !config.only_categories.is_empty() && !config.only_categories.contains(&case.category) {
            return Ok(decision(format!(
                "category {} is routed by its default",
                case.category
            )));
        }
        let title = case.title.as_deref().unwrap_or("");
        let text = case.text.as_deref().unwrap_or("");
        for route in &config.routes {
            let Some(keyword) = route
                .keywords
                .iter()
                .find(|k| title.contains(k.as_str()) || text.contains(k.as_str()))
            else {
                continue;
            };
            let name = input
                .departments
                .iter()
                .find(|d| d.code == route.department)
                .map(|d| d.name.clone())
                .ok_or_else(|| {
                    RuleError::BadConfig(format!("no department {} in this city", route.department))
                })?;
            log(LogLevel::Info, &format!("matched {keyword:?}"));
            let mut d = decision(format!("“{keyword}” → {name}"));
            d.lead = Some(route.department.clone());
            d.co_handlers = route.co_handlers.clone();
            d.category = route.category.clone();
            d.priority = route.priority.as_deref().map(|p| match p {
                "low" => Priority::Low,
                "high" => Priority::High,
                "urgent" => Priority::Urgent,
                _ => Priority::Normal,
            });
            d.tags = vec![format!("keyword:{keyword}")];
            return Ok(d);
        }
        Ok(decision("no keyword matched"))
    }
}

minsheng_rule_sdk::export_intake_rule!(Rule);
