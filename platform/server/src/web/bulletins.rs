//! Public-opinion bulletins (三情通报) on the city's site: the list, each
//! bulletin's page (printable: plain tables, no script), and an Atom feed.
//! Every figure is the one kept when the period ended.

use super::pages::{percent, public_page};
use super::site::{Site, escape, origin, site};
use crate::app::ServerState;
use minsheng_app::access::Ctx;
use minsheng_app::model::{Bulletin, BulletinRef, Stats};
use minsheng_app::services::bulletins;
use minsheng_domain::Error;
use poem::http::header;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde_json::{Value, json};

/// How many bulletins the list and the feed show.
const LISTED: u64 = 100;

/// A bulletin's name in the page's language: 周报 第3期 / Weekly No. 3.
fn title(site: &Site, kind: &str, number: i32) -> String {
    let words = site.words();
    let number = words["bu"]["number"]
        .as_str()
        .unwrap_or("{n}")
        .replace("{n}", &number.to_string());
    format!("{} {number}", words["bu"][kind].as_str().unwrap_or(kind))
}

fn shown_ref(site: &Site, b: &BulletinRef) -> Value {
    json!({
        "kind": b.kind, "number": b.number, "from": b.from, "to": b.to,
        "title": title(site, &b.kind, b.number),
    })
}

/// The city's site and its latest bulletins, or the error page.
async fn listed(
    state: &ServerState,
    ctx: &Ctx,
    req: &Request,
    slug: &str,
) -> Result<(Site, Vec<BulletinRef>), Response> {
    let site = Site::load(state, ctx, req, slug).await?;
    match bulletins::list(ctx, &site.tenant, None, LISTED).await {
        Ok(rows) => Ok((site, rows)),
        Err(e) => Err(site.error(state, ctx, &e)),
    }
}

/// `/t/{slug}/bulletins`
#[handler]
pub async fn list(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let (site, rows) = match listed(&state, &ctx, req, &slug).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let mut context = site.context(&ctx, "bulletins");
    context.insert(
        "bulletins".into(),
        rows.iter().map(|b| shown_ref(&site, b)).collect(),
    );
    public_page(&state, &site, "bulletins.html", context)
}

/// A row of the totals table: this period, the one before, a year before.
fn line(label: &str, s: [&Stats; 3], value: impl Fn(&Stats) -> String) -> Value {
    json!({ "label": label, "now": value(s[0]), "previous": value(s[1]), "year_before": value(s[2]) })
}

fn shown(site: &Site, b: &Bulletin) -> Value {
    let f = &b.figures;
    let t = &site.words()["bu"];
    let w = |k: &str| t[k].as_str().unwrap_or(k).to_owned();
    let s = [&f.totals, &f.previous, &f.year_before];
    let totals = vec![
        line(&w("received"), s, |x| x.received.to_string()),
        line(&w("answered"), s, |x| x.answered.to_string()),
        line(&w("answer_rate"), s, |x| percent(x.answer_rate)),
        line(&w("on_time_rate"), s, |x| percent(x.on_time_rate)),
        line(&w("rated"), s, |x| x.rated.to_string()),
        line(&w("satisfaction_rate"), s, |x| percent(x.satisfaction_rate)),
        line(&w("overdue"), s, |x| x.overdue.to_string()),
        line(&w("supervised"), s, |x| x.supervised.to_string()),
    ];
    let departments: Vec<Value> = f
        .departments
        .iter()
        .map(|d| {
            json!({
                "name": d.department, "received": d.received, "answered": d.answered,
                "on_time_rate": percent(d.on_time_rate),
                "satisfaction_rate": percent(d.satisfaction_rate),
            })
        })
        .collect();
    let category = |c: &minsheng_app::model::CategoryFigure| {
        json!({
            "code": c.code, "name": c.name, "received": c.received, "previous": c.previous,
            "change": format!("{:+}", c.received - c.previous), "share": percent(c.share),
        })
    };
    json!({
        "kind": b.kind, "number": b.number, "from": b.from, "to": b.to,
        "title": title(site, &b.kind, b.number),
        "published": super::pages::local(&site.tenant, b.published_at),
        "totals": totals,
        "departments": departments,
        "categories": f.categories.iter().map(category).collect::<Vec<_>>(),
        "rising": f.rising.iter().map(category).collect::<Vec<_>>(),
        "rising_terms": f.rising_terms.iter().map(|r| json!({
            "term": r.term, "count": r.count, "new": r.new,
            "baseline": format!("{:.1}", r.baseline),
        })).collect::<Vec<_>>(),
    })
}

/// `/t/{slug}/bulletins/{kind}/{number}`
#[handler]
pub async fn page(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path((slug, kind, number)): Path<(String, String, String)>,
) -> Response {
    let site = site!(&state, &ctx, req, &slug);
    let Ok(number) = number.parse::<i32>() else {
        return site.not_found(&state, &ctx);
    };
    let b = match bulletins::get(&ctx, &site.tenant, &kind, number).await {
        Ok(b) => b,
        Err(Error::NotFound(_) | Error::Invalid(_)) => return site.not_found(&state, &ctx),
        Err(e) => return site.error(&state, &ctx, &e),
    };
    let mut context = site.context(&ctx, "bulletins");
    context.insert("bulletin".into(), shown(&site, &b));
    public_page(&state, &site, "bulletin.html", context)
}

/// `/t/{slug}/bulletins.atom`: the city's bulletins as an Atom feed.
#[handler]
pub async fn feed(
    state: Data<&ServerState>,
    ctx: Data<&Ctx>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let (site, rows) = match listed(&state, &ctx, req, &slug).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let root = format!("{}{}", origin(&state, req), site.base);
    let heading = format!(
        "{} · {}",
        site.tenant.site_title(),
        site.words()["bu"]["title"].as_str().unwrap_or_default()
    );
    let updated = rows
        .iter()
        .map(|b| b.published_at)
        .max()
        .unwrap_or(site.tenant.row.created_at);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>{}</title>\n<id>{}</id>\n<updated>{}</updated>\n\
         <link rel=\"self\" href=\"{}\"/>\n<link rel=\"alternate\" href=\"{}\"/>\n",
        escape(&heading),
        escape(&format!("{root}bulletins")),
        updated.to_rfc3339(),
        escape(&format!("{root}bulletins.atom")),
        escape(&format!("{root}bulletins")),
    );
    for b in &rows {
        let url = format!("{root}bulletins/{}/{}", b.kind, b.number);
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{}</id>\n<updated>{}</updated>\n\
             <link rel=\"alternate\" href=\"{}\"/>\n<summary>{} – {}</summary>\n\
             <author><name>{}</name></author>\n</entry>\n",
            escape(&title(&site, &b.kind, b.number)),
            escape(&url),
            b.published_at.to_rfc3339(),
            escape(&url),
            b.from,
            b.to,
            escape(&site.tenant.name),
        ));
    }
    xml.push_str("</feed>\n");
    Response::builder()
        .header(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=600")
        .body(xml)
}
