//! `{base}admin/rules/replays/{job}`: a replay's progress (the page
//! reloads itself while it runs, without JavaScript) and its result: the
//! cases, how many decisions differ and how, the differing cases, the
//! failures. Another city's job is not found.

use super::console;
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::services::plugins::replay::jobs;
use minsheng_domain::Error;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde_json::json;
use uuid::Uuid;

/// The kinds of change, in the order the result lists them.
const CHANGES: [&str; 8] = [
    "department",
    "category",
    "priority",
    "spam",
    "redacted",
    "held",
    "refused",
    "private",
];

#[handler]
pub async fn replay_page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, job)): Path<(String, String)>,
) -> Response {
    let console = console!(&state, &ctx, req, &slug);
    let found = match Uuid::parse_str(&job) {
        Ok(id) => jobs::get(&ctx, &console.site.tenant, id).await,
        Err(_) => Err(Error::not_found("replay")),
    };
    let job = match found {
        Ok(j) => j,
        Err(e) => return console.site.error(&state, &ctx, &e),
    };
    let counts: Vec<_> = CHANGES
        .iter()
        .map(|c| json!({"kind": c, "cases": job.tally.of(c)}))
        .collect();
    let mut context = console.context(&ctx, "rules");
    context.insert(
        "config".into(),
        json!(serde_json::to_string_pretty(&job.config).unwrap_or_default()),
    );
    context.insert("counts".into(), json!(counts));
    context.insert("job".into(), json!(job));
    console.render(&state, "admin_rule_replay.html", context, StatusCode::OK)
}
