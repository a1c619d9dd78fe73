//! The words of the pages and of the mail, in each language. Translators
//! edit `platform/app/words/*.json`; both files must have the same keys (a
//! test checks). Pages (the server's templates) and mail (the escalation
//! worker's messages) read the same words.

use minsheng_domain::values::Locale;
use std::sync::LazyLock;

/// The words in one language.
pub fn words(locale: Locale) -> &'static serde_json::Value {
    static ZH: LazyLock<serde_json::Value> =
        LazyLock::new(|| parse_words(include_str!("../words/zh-CN.json")));
    static EN: LazyLock<serde_json::Value> =
        LazyLock::new(|| parse_words(include_str!("../words/en.json")));
    match locale {
        Locale::ZhCn => &ZH,
        Locale::En => &EN,
    }
}

fn parse_words(source: &str) -> serde_json::Value {
    serde_json::from_str(source).unwrap_or_else(|e| {
        // Part of the binary; the unit test below catches a broken file.
        tracing::error!(error = %e, "words do not parse");
        serde_json::Value::Null
    })
}

/// One word in one language (empty when the key is missing).
pub fn word(locale: Locale, key: &str) -> String {
    words(locale)[key].as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
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
