//! Spam guard: flags advertising, link floods and keyboard mashing as spam
//! and holds them for a person; marks a repeat of a recent case with the
//! same title as its duplicate. Nothing is refused outright unless the
//! configuration lists words to refuse.

use minsheng_rule_sdk::intake::{Guest, IntakeDecision, IntakeInput, RuleError};
use minsheng_rule_sdk::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    spam_words: Vec<String>,
    /// Words that refuse the submission with `refuse_message`.
    #[serde(default)]
    refuse_words: Vec<String>,
    #[serde(default = "refuse_message")]
    refuse_message: String,
    #[serde(default = "max_links")]
    max_links: usize,
    /// Look for a duplicate among cases of the last so many hours (0: off).
    #[serde(default = "duplicate_hours")]
    duplicate_hours: u32,
}

fn refuse_message() -> String {
    "该内容不符合问政平台的受理范围。This submission cannot be accepted.".into()
}
fn max_links() -> usize {
    2
}
fn duplicate_hours() -> u32 {
    72
}

struct Rule;

impl Guest for Rule {
    fn describe() -> Descriptor {
        descriptor(
            "spam-guard",
            env!("CARGO_PKG_VERSION"),
            Hook::Intake,
            serde_json::json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "spam_words": { "type": "array", "items": { "type": "string", "minLength": 1 } },
                    "refuse_words": { "type": "array", "items": { "type": "string", "minLength": 1 } },
                    "refuse_message": { "type": "string", "minLength": 1, "maxLength": 500 },
                    "max_links": { "type": "integer", "minimum": 0 },
                    "duplicate_hours": { "type": "integer", "minimum": 0, "maximum": 2160 }
                }
            }),
            &[CaseField::Title, CaseField::Text],
            "Holds spam for review and marks repeats of recent cases",
        )
    }

    fn decide(input: IntakeInput) -> Result<IntakeDecision, RuleError> {
        let config: Config = config(&input.config)?;
        let title = input.case.title.clone().unwrap_or_default();
        let text = input.case.text.clone().unwrap_or_default();
        let all = format!("{title}\n{text}");
        if let Some(word) = config
            .refuse_words
            .iter()
            .find(|w| all.contains(w.as_str()))
        {
            let mut d = decision(format!("refused: contains {word:?}"));
            d.reject = Some(config.refuse_message.clone());
            return Ok(d);
        }
        let links = all.matches("http://").count() + all.matches("https://").count();
        let mashing = longest_repeat(&all) >= 12;
        let word = config.spam_words.iter().find(|w| all.contains(w.as_str()));
        if links > config.max_links || mashing || word.is_some() {
            let why = match (word, mashing) {
                (Some(w), _) => format!("contains {w:?}"),
                (None, true) => "the same character repeated many times".into(),
                _ => format!("{links} links"),
            };
            let mut d = decision(format!("looks like spam: {why}"));
            d.spam = true;
            d.hold = Some(format!("possible spam ({why})"));
            d.tags = vec!["spam".into()];
            return Ok(d);
        }
        if config.duplicate_hours > 0 && title.chars().count() >= 6 {
            let recent = find_same_title(&title, config.duplicate_hours, 5);
            if let Some(same) = recent
                .iter()
                .find(|c| c.title == title && c.category == input.case.category)
            {
                let mut d = decision(format!(
                    "same title as {} in the last {} hours",
                    same.tracking_code, config.duplicate_hours
                ));
                d.duplicate_of = Some(same.tracking_code.clone());
                d.tags = vec!["duplicate".into()];
                return Ok(d);
            }
        }
        Ok(decision("no sign of spam"))
    }
}

fn longest_repeat(text: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut last = None;
    for c in text.chars() {
        if Some(c) == last && !c.is_whitespace() {
            run += 1;
        } else {
            run = 1;
            last = Some(c);
        }
        best = best.max(run);
    }
    best
}

minsheng_rule_sdk::export_intake_rule!(Rule);
