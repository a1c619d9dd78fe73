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
}
