//! The page templates and the words they use in each language.

use minijinja::Environment;
use minsheng_domain::values::Locale;
use std::sync::LazyLock;

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // `.html` names turn on automatic escaping.
    macro_rules! template {
        ($name:literal) => {
            ($name, include_str!(concat!("../../templates/", $name)))
        };
    }
    for (name, source) in [
        template!("base.html"),
        template!("landing.html"),
        template!("case.html"),
        template!("index.html"),
        template!("login.html"),
        template!("not_found.html"),
        template!("ask.html"),
        template!("ask_category.html"),
        template!("submitted.html"),
        template!("track.html"),
        template!("answers.html"),
        template!("departments.html"),
        template!("department.html"),
        template!("register.html"),
        template!("my_cases.html"),
        template!("form_macros.html"),
    ] {
        if let Err(e) = env.add_template(name, source) {
            // The templates are part of the binary; a broken one is a build bug
            // that the page tests catch.
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env.add_filter("truncate", truncate);
    env
}

/// `{{ text|truncate(150) }}`: at most `length` characters, with `…` when
/// cut.
fn truncate(value: String, length: Option<usize>) -> String {
    let length = length.unwrap_or(255);
    if value.chars().count() <= length {
        return value;
    }
    let mut cut: String = value.chars().take(length.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The words of the pages, in one language. Translators edit
/// `templates/words/*.json`; both files must have the same keys (a test
/// checks).
pub fn words(locale: Locale) -> &'static serde_json::Value {
    static ZH: LazyLock<serde_json::Value> =
        LazyLock::new(|| parse_words(include_str!("../../templates/words/zh-CN.json")));
    static EN: LazyLock<serde_json::Value> =
        LazyLock::new(|| parse_words(include_str!("../../templates/words/en.json")));
    match locale {
        Locale::ZhCn => &ZH,
        Locale::En => &EN,
    }
}

fn parse_words(source: &str) -> serde_json::Value {
    serde_json::from_str(source).unwrap_or_else(|e| {
        // Part of the binary; the unit test below catches a broken file.
        tracing::error!(error = %e, "page words do not parse");
        serde_json::Value::Null
    })
}

/// One word in one language (empty when the key is missing).
pub fn word(locale: Locale, key: &str) -> String {
    words(locale)[key].as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    /// Every file in `templates/` is registered and compiles.
    #[test]
    fn every_template_is_registered() {
        let env = super::environment();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                env.get_template(&name).is_ok(),
                "{name} is not registered or does not compile"
            );
        }
    }
    #[test]
    fn truncate_counts_characters() {
        assert_eq!(super::truncate("暖气不热".into(), Some(3)), "暖气…");
        assert_eq!(super::truncate("short".into(), Some(10)), "short");
    }

    /// Both languages have every word, and every word is text or a table.
    #[test]
    fn both_languages_have_the_same_words() {
        use minsheng_domain::values::Locale;
        let zh = super::words(Locale::ZhCn).as_object().expect("zh-CN words");
        let en = super::words(Locale::En).as_object().expect("en words");
        let keys = |m: &serde_json::Map<String, serde_json::Value>| {
            m.keys().cloned().collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(keys(zh), keys(en));
        for (key, value) in zh {
            if let Some(table) = value.as_object() {
                assert_eq!(
                    keys(table),
                    keys(en[key].as_object().expect("a table in both")),
                    "{key}"
                );
            }
        }
    }
}
