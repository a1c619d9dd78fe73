//! A rule's decision is checked against its input before anything is
//! applied: it may name only departments and categories that exist, and
//! redact only text it was given.

use crate::bindings::types::{
    Category, Department, EscalationAction, EscalationDecision, IntakeDecision, IntakeInput,
    TextField,
};

/// The city's directory decisions are checked against: the whole of it,
/// whatever part the rule was given.
#[derive(Clone, Copy, Debug)]
pub struct Directory<'a> {
    pub departments: &'a [Department],
    pub categories: &'a [Category],
}

impl<'a> Directory<'a> {
    /// The lists an input carries.
    pub fn of(input: &'a IntakeInput) -> Self {
        Self {
            departments: &input.departments,
            categories: &input.categories,
        }
    }
}

const MAX_TAGS: usize = 20;
const MAX_TEXT: usize = 2000;

/// Whether an intake decision can be applied to this input.
pub fn check_intake(
    directory: Directory<'_>,
    input: &IntakeInput,
    d: &IntakeDecision,
) -> Result<(), String> {
    let department = |code: &str| directory.departments.iter().any(|x| x.code == code);
    if let Some(lead) = &d.lead
        && !department(lead)
    {
        return Err(format!(
            "lead department {lead:?} is not in this city's directory"
        ));
    }
    for code in &d.co_handlers {
        if !department(code) {
            return Err(format!(
                "co-handler {code:?} is not in this city's directory"
            ));
        }
        if d.lead.as_deref() == Some(code.as_str()) {
            return Err(format!("{code:?} is both lead and co-handler"));
        }
    }
    if let Some(category) = &d.category
        && !directory.categories.iter().any(|c| &c.code == category)
    {
        return Err(format!(
            "category {category:?} is not one of this city's categories"
        ));
    }
    if d.tags.len() > MAX_TAGS {
        return Err(format!("{} tags; at most {MAX_TAGS}", d.tags.len()));
    }
    for tag in &d.tags {
        if tag.is_empty() || tag.chars().count() > 40 {
            return Err(format!("tag {tag:?} must be 1 to 40 characters"));
        }
    }
    for r in &d.redactions {
        let text = match r.field {
            TextField::Title => input.case.title.as_deref(),
            TextField::Text => input.case.text.as_deref(),
            TextField::Address => input.case.address.as_deref(),
        };
        let Some(text) = text else {
            return Err(format!(
                "redaction of {:?}, which the rule was not given (declare it in `needs`)",
                r.field
            ));
        };
        let (start, end) = (r.start as usize, r.end as usize);
        if start >= end
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return Err(format!(
                "redaction {start}..{end} of {:?} is not a range of whole characters in its {} bytes",
                r.field,
                text.len()
            ));
        }
        if r.kind.is_empty() || r.kind.len() > 30 {
            return Err("a redaction's kind must be 1 to 30 characters".into());
        }
    }
    for (what, text) in [
        ("explanation", Some(&d.explanation)),
        ("hold", d.hold.as_ref()),
        ("reject", d.reject.as_ref()),
    ] {
        if let Some(text) = text
            && text.chars().count() > MAX_TEXT
        {
            return Err(format!("{what} is longer than {MAX_TEXT} characters"));
        }
    }
    if let Some(code) = &d.duplicate_of
        && (code.is_empty() || code.len() > 20)
    {
        return Err(format!("duplicate-of {code:?} is not a tracking code"));
    }
    if let Some(reject) = &d.reject
        && reject.trim().is_empty()
    {
        return Err("reject needs a message for the citizen".into());
    }
    Ok(())
}

/// Whether an escalation decision can be applied to this input.
pub fn check_escalation(departments: &[Department], d: &EscalationDecision) -> Result<(), String> {
    let department = |code: &str| departments.iter().any(|x| x.code == code);
    if d.actions.len() > 10 {
        return Err(format!("{} actions; at most 10", d.actions.len()));
    }
    for action in &d.actions {
        match action {
            EscalationAction::Notify(n) => {
                if n.role.is_none() && n.department.is_none() {
                    return Err("notify needs a role or a department".into());
                }
                if let Some(code) = &n.department
                    && !department(code)
                {
                    return Err(format!(
                        "notify: department {code:?} is not in this city's directory"
                    ));
                }
                if let Some(role) = &n.role
                    && !(1..=40).contains(&role.len())
                {
                    return Err(format!("notify: role {role:?} is not a role code"));
                }
                if n.message.trim().is_empty() || n.message.chars().count() > MAX_TEXT {
                    return Err("notify: the message must be 1 to 2000 characters".into());
                }
            }
            EscalationAction::Reassign(code) if !department(code) => {
                return Err(format!(
                    "reassign: department {code:?} is not in this city's directory"
                ));
            }
            EscalationAction::RecheckAfter(minutes) if *minutes == 0 || *minutes > 60 * 24 * 30 => {
                return Err("recheck-after must be 1 minute to 30 days".into());
            }
            EscalationAction::Supervise(reason) if reason.chars().count() > MAX_TEXT => {
                return Err("supervise: the reason is too long".into());
            }
            _ => {}
        }
    }
    if d.explanation.chars().count() > MAX_TEXT {
        return Err(format!("explanation is longer than {MAX_TEXT} characters"));
    }
    Ok(())
}
