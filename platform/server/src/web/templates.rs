//! The page templates and the words they use in each language.

use minijinja::Environment;
use minsheng_domain::values::Locale;

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // `.html` names turn on automatic escaping.
    for (name, source) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("landing.html", include_str!("../../templates/landing.html")),
        ("index.html", include_str!("../../templates/index.html")),
        ("login.html", include_str!("../../templates/login.html")),
        (
            "not_found.html",
            include_str!("../../templates/not_found.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, source) {
            // The templates are part of the binary; a broken one is a build bug
            // that the page tests catch.
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env
}

/// The words of the pages, in one language.
pub fn words(locale: Locale) -> serde_json::Value {
    match locale {
        Locale::ZhCn => serde_json::json!({
            "lang": "zh-CN",
            "directory": "部门名录",
            "directory_intro": "以下单位在线受理群众诉求，有求必应，有问必答。",
            "departments_online": "上线单位",
            "categories": "问政类别",
            "answer_within": "答复时限",
            "working_days": "个工作日",
            "phone": "电话",
            "email": "邮箱",
            "address": "地址",
            "contact": "联系我们",
            "not_found": "页面不存在",
            "not_found_text": "您访问的页面不存在或已被移除。",
            "home": "返回首页",
            "api": "开放接口",
            "sign_in": "工作人员登录",
            "sign_out": "退出登录",
            "username": "用户名",
            "password": "密码",
            "wrong_login": "用户名或密码错误。",
            "form_expired": "表单已过期，请重新提交。",
            "too_many": "尝试次数过多，请稍后再试。",
        }),
        Locale::En => serde_json::json!({
            "lang": "en",
            "directory": "Department directory",
            "directory_intro": "These departments answer residents' questions and requests online.",
            "departments_online": "departments online",
            "categories": "What you can ask about",
            "answer_within": "Answer within",
            "working_days": "working days",
            "phone": "Phone",
            "email": "Email",
            "address": "Address",
            "contact": "Contact",
            "not_found": "Page not found",
            "not_found_text": "The page you asked for does not exist or has moved.",
            "home": "Home",
            "api": "API",
            "sign_in": "Staff sign-in",
            "sign_out": "Sign out",
            "username": "User name",
            "password": "Password",
            "wrong_login": "The user name or password is wrong.",
            "form_expired": "The form has expired; please submit it again.",
            "too_many": "Too many attempts; please try again later.",
        }),
    }
}

#[cfg(test)]
mod tests {
    /// Every file in `templates/` is registered and compiles.
    #[test]
    fn every_template_is_registered() {
        let env = super::environment();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                env.get_template(&name).is_ok(),
                "{name} is not registered or does not compile"
            );
        }
    }
}
