//! The page templates; their words in each language are `minsheng_app::words`.

use minijinja::Environment;

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
        template!("error.html"),
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
        template!("staff_base.html"),
        template!("staff_inbox.html"),
        template!("staff_case.html"),
        template!("staff_supervision.html"),
        template!("staff_performance.html"),
        template!("staff_templates.html"),
        template!("campaigns.html"),
        template!("bulletins.html"),
        template!("bulletin.html"),
        template!("campaign.html"),
        template!("campaign_figures.html"),
        template!("campaign_suggest.html"),
        template!("suggestion.html"),
        template!("project.html"),
        template!("staff_campaign.html"),
        template!("admin_base.html"),
        template!("admin_quotas.html"),
        template!("admin_dir_macros.html"),
        template!("admin_departments.html"),
        template!("admin_department.html"),
        template!("admin_categories.html"),
        template!("admin_category.html"),
        template!("admin_category_preview.html"),
        template!("admin_calendar.html"),
        template!("admin_settings.html"),
        template!("admin_bundle.html"),
        template!("admin_people.html"),
        template!("admin_person.html"),
        template!("admin_access_fields.html"),
        template!("admin_permissions.html"),
        template!("admin_roles.html"),
        template!("admin_role.html"),
        template!("admin_keys.html"),
        template!("admin_audit.html"),
        template!("admin_webhooks.html"),
        template!("admin_webhook.html"),
        template!("admin_messages.html"),
        template!("admin_rules.html"),
        template!("admin_rule.html"),
        template!("admin_rule_replay.html"),
        template!("operator_base.html"),
        template!("operator_login.html"),
        template!("operator_cities.html"),
        template!("operator_city.html"),
        template!("operator_new_city.html"),
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

pub use minsheng_app::words::{word, words};

/// Stands for a language's words (`t`) in a page's context: the page names
/// its language instead of carrying a copy of every word, and
/// [`template_context`] puts in the words converted once.
pub fn words_ref(locale: minsheng_domain::values::Locale) -> serde_json::Value {
    serde_json::Value::String(format!("{WORDS_REF}{}", locale.as_str()))
}

const WORDS_REF: &str = "\u{0}words:";

/// A language's words as the templates read them, converted once.
fn template_words(tag: &str) -> Option<minijinja::Value> {
    use minsheng_domain::values::Locale;
    use std::sync::LazyLock;
    static ZH: LazyLock<minijinja::Value> =
        LazyLock::new(|| minijinja::Value::from_serialize(words(Locale::ZhCn)));
    static EN: LazyLock<minijinja::Value> =
        LazyLock::new(|| minijinja::Value::from_serialize(words(Locale::En)));
    match tag {
        "zh-CN" => Some(ZH.clone()),
        "en" => Some(EN.clone()),
        _ => None,
    }
}

/// A page's context for its template, with its words (see [`words_ref`]).
pub fn template_context(mut context: serde_json::Value) -> minijinja::Value {
    let words = context.as_object_mut().and_then(|map| {
        let tag = map.get("t")?.as_str()?.strip_prefix(WORDS_REF)?;
        let words = template_words(tag)?;
        map.remove("t");
        Some(words)
    });
    let rest = minijinja::Value::from_serialize(&context);
    match words {
        Some(t) => minijinja::context! { t => t, ..rest },
        None => rest,
    }
}

#[cfg(test)]
mod tests {
    /// A page rendered with its words named renders as with them copied in.
    #[test]
    fn named_words_render_as_copied_ones() {
        use minsheng_domain::values::Locale;
        let env = super::environment();
        for locale in [Locale::ZhCn, Locale::En] {
            let page = |t: serde_json::Value| {
                let context = serde_json::json!({"t": t, "asset": "1", "city": null});
                env.get_template("not_found.html")
                    .and_then(|tpl| tpl.render(super::template_context(context)))
                    .ok()
            };
            let copied = page(super::words(locale).clone());
            assert!(copied.is_some());
            assert_eq!(page(super::words_ref(locale)), copied);
        }
    }

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
}
