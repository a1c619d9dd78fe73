//! Escalation ladder: who hears about a case that is late or that the
//! citizen was unhappy with, beyond the platform's default ladder.
//!
//! - deadline approaching: remind the lead department;
//! - deadline passed: at overdue (超期) raise the priority to high and tell
//!   the lead department; from supervision (督办) on, make it urgent, put it
//!   under supervision (if the ladder has not yet) and tell the supervisors;
//! - unsatisfied rating: supervise, tell the supervisors, look again later
//!   (the platform stops re-checks once the case is closed);
//! - reopened: raise the priority, and hand the case to the configured
//!   department if there is one.

use minsheng_rule_sdk::escalation::{
    EscalationAction, EscalationDecision, EscalationEvent, EscalationInput, Guest, Notice,
    Priority, RuleError,
};
use minsheng_rule_sdk::prelude::{CaseField, Descriptor, Hook, config, descriptor};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Department (code) that takes over cases reopened more than once.
    #[serde(default)]
    reopen_department: Option<String>,
    /// Minutes until an unsatisfied case is looked at again.
    #[serde(default = "recheck")]
    recheck_minutes: u32,
}

fn recheck() -> u32 {
    24 * 60
}

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "escalation-ladder",
            env!("CARGO_PKG_VERSION"),
            Hook::Escalation,
            serde_json::json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "reopen_department": { "type": "string", "minLength": 1 },
                    "recheck_minutes": { "type": "integer", "minimum": 1, "maximum": 43200 }
                }
            }),
            &[CaseField::Title],
            "Reminds, supervises and reassigns late or disputed cases",
        )
    }

    fn on_event(input: EscalationInput) -> Result<EscalationDecision, RuleError> {
        let config: Config = config(&input.config)?;
        let case = &input.case;
        let title = case.title.clone().unwrap_or_default();
        let mut actions = Vec::new();
        let explanation = match input.event {
            EscalationEvent::DeadlineApproaching => {
                if let Some(lead) = &case.lead {
                    actions.push(EscalationAction::Notify(Notice {
                        role: None,
                        department: Some(lead.clone()),
                        message: format!(
                            "{} 即将到期 / is nearly due: {title}",
                            case.tracking_code
                        ),
                    }));
                }
                "reminded the lead department".to_string()
            }
            EscalationEvent::DeadlinePassed if case.escalation_level <= 1 => {
                actions.push(EscalationAction::RaisePriority(Priority::High));
                if let Some(lead) = &case.lead {
                    actions.push(EscalationAction::Notify(Notice {
                        role: None,
                        department: Some(lead.clone()),
                        message: format!("{} 已超期 / is overdue: {title}", case.tracking_code),
                    }));
                }
                "overdue: priority raised, department told".to_string()
            }
            EscalationEvent::DeadlinePassed => {
                actions.push(EscalationAction::RaisePriority(Priority::Urgent));
                actions.push(EscalationAction::Supervise(format!(
                    "超期未办结 / still overdue: {}",
                    case.tracking_code
                )));
                actions.push(EscalationAction::Notify(Notice {
                    role: Some("supervisor".into()),
                    department: None,
                    message: format!(
                        "{} 仍未办结，已列入督办 / still overdue, under supervision",
                        case.tracking_code
                    ),
                }));
                "still overdue: supervision".to_string()
            }
            EscalationEvent::UnsatisfiedRating => {
                actions.push(EscalationAction::Supervise(format!(
                    "群众不满意 / the citizen is not satisfied: {}",
                    case.tracking_code
                )));
                actions.push(EscalationAction::Notify(Notice {
                    role: Some("supervisor".into()),
                    department: None,
                    message: format!(
                        "{} 群众不满意 / the citizen is not satisfied",
                        case.tracking_code
                    ),
                }));
                actions.push(EscalationAction::RecheckAfter(config.recheck_minutes));
                "unsatisfied: supervised, supervisors told".to_string()
            }
            EscalationEvent::Reopened => {
                actions.push(EscalationAction::RaisePriority(Priority::High));
                if let Some(department) = &config.reopen_department {
                    actions.push(EscalationAction::Reassign(department.clone()));
                }
                "reopened: priority raised".to_string()
            }
        };
        if actions.is_empty() {
            actions.push(EscalationAction::Nothing);
        }
        Ok(EscalationDecision {
            actions,
            explanation,
        })
    }
}

minsheng_rule_sdk::export_escalation_rule!(Rule);
