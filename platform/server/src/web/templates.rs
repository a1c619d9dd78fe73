//! The page templates and the words they use in each language.

use minijinja::Environment;
use minsheng_domain::values::Locale;

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // `.html` names turn on automatic escaping.
    for (name, source) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("landing.html", include_str!("../../templates/landing.html")),
        ("case.html", include_str!("../../templates/case.html")),
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
            "tracking_code": "查询码",
            "figures": "近一年问政数据",
            "track": "查询办理进度",
            "find": "查询",
            "no_such_code": "没有找到这个查询码对应的公开诉求，请核对后重试。",
            "received": "收到诉求",
            "answered": "已答复",
            "answer_rate": "答复率",
            "satisfaction_rate": "满意率",
            "views": "浏览量",
            "recent_answers": "最新答复",
            "category": "类别",
            "department": "承办单位",
            "submitted": "提交时间",
            "answer_by": "答复期限",
            "media": "查看图片",
            "official_answer": "官方答复",
            "rating": "群众评价",
            "timeline": "办理过程",
            "states": {"submitted": "待受理", "accepted": "已受理", "rejected": "不予受理", "assigned": "已交办", "in_progress": "办理中", "answered": "已答复", "closed": "已办结"},
            "ratings": {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"},
            "actions": {"submitted": "提交诉求", "accept": "受理", "reject": "不予受理", "assign": "交办", "start": "开始办理", "transfer": "转办", "return": "退回", "request_extension": "申请延期", "decide_extension": "延期审批", "answer": "答复", "close": "办结", "reopen": "重新办理", "rated": "评价", "rating_comment": "评价意见"},
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
            "tracking_code": "Tracking code",
            "figures": "The past year",
            "track": "Follow your request",
            "find": "Find",
            "no_such_code": "No public request has this tracking code; please check it and try again.",
            "received": "Questions received",
            "answered": "Answered",
            "answer_rate": "Answer rate",
            "satisfaction_rate": "Satisfaction",
            "views": "Page views",
            "recent_answers": "Latest answers",
            "category": "Category",
            "department": "Department",
            "submitted": "Submitted",
            "answer_by": "Answer due",
            "media": "See the photo",
            "official_answer": "Official answer",
            "rating": "Resident's rating",
            "timeline": "What has happened",
            "states": {"submitted": "Received", "accepted": "Accepted", "rejected": "Not accepted", "assigned": "Assigned", "in_progress": "In progress", "answered": "Answered", "closed": "Closed"},
            "ratings": {"satisfied": "Satisfied", "basically_satisfied": "Mostly satisfied", "unsatisfied": "Not satisfied"},
            "actions": {"submitted": "Submitted", "accept": "Accepted", "reject": "Not accepted", "assign": "Assigned", "start": "Work started", "transfer": "Transferred", "return": "Returned to dispatch", "request_extension": "More time requested", "decide_extension": "Extension decided", "answer": "Answered", "close": "Closed", "reopen": "Reopened", "rated": "Rated", "rating_comment": "Rating comment"},
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
