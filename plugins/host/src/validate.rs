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
    for (i, code) in d.co_handlers.iter().enumerate() {
        if d.co_handlers[..i].contains(code) {
            return Err(format!("co-handler {code:?} is named twice"));
        }
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
        if !visible(tag) || tag.chars().count() > 40 {
            return Err(format!(
                "tag {tag:?} must be 1 to 40 characters, not all of them blank or invisible"
            ));
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
        if !visible(&r.kind)
            || r.kind.chars().count() > 30
            || r.kind
                .chars()
                .any(|c| c.is_control() || c == '[' || c == ']')
        {
            return Err(format!(
                "redaction kind {:?} must be 1 to 30 visible characters without brackets or control characters",
                r.kind
            ));
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
        && !looks_like_tracking_code(code)
    {
        return Err(format!(
            "duplicate-of {code:?} is not a tracking code (12 letters and digits, as XXXX-XXXX-XXXX)"
        ));
    }
    if let Some(reject) = &d.reject
        && !visible(reject)
    {
        return Err(
            "reject needs a message for the citizen; this one is empty or only invisible characters"
                .into(),
        );
    }
    if let Some(hold) = &d.hold
        && !visible(hold)
    {
        return Err(
            "hold needs a reason for the reviewer; this one is empty or only invisible characters"
                .into(),
        );
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
                if !visible(&n.message) || n.message.chars().count() > MAX_TEXT {
                    return Err(
                        "notify: the message must be 1 to 2000 characters, not all of them blank or invisible"
                            .into(),
                    );
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

/// Whether `text` shows anything: some character that is neither
/// whitespace nor one of the invisible format characters (zero-width
/// spaces and joiners, bidirectional controls, variation selectors,
/// blank fillers) a reader would see as nothing.
pub fn visible(text: &str) -> bool {
    text.chars().any(|c| !c.is_whitespace() && !invisible(c))
}

fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    ) || c.is_control()
}

/// The shape of a tracking code: 12 letters and digits, maybe in groups of
/// four with dashes. Whether it names a case of the city is for the
/// caller, which has the database.
fn looks_like_tracking_code(code: &str) -> bool {
    let plain: Vec<u8> = code.bytes().filter(|b| *b != b'-').collect();
    code.len() <= 14
        && plain.len() == 12
        && plain.iter().all(u8::is_ascii_alphanumeric)
        && !code.starts_with('-')
        && !code.ends_with('-')
        && !code.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_text_is_not_a_message() {
        assert!(!visible(""));
        assert!(!visible(" \u{200b}\u{200d}\u{feff}\t"));
        assert!(!visible("\u{2066}\u{2069}\u{3164}"));
        assert!(visible("请补充地址"));
        assert!(visible(" x\u{200b}"));
    }

    #[test]
    fn tracking_codes_have_their_shape() {
        assert!(looks_like_tracking_code("ABCD-EFGH-2345"));
        assert!(looks_like_tracking_code("ABCDEFGH2345"));
        assert!(!looks_like_tracking_code("<b>x</b>"));
        assert!(!looks_like_tracking_code("ABCD-EFGH-23456"));
        assert!(!looks_like_tracking_code("ABCD--EFGH2345"));
        assert!(!looks_like_tracking_code(""));
    }
}
