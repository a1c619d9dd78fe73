//! Cities (tenants) and the host names that serve them.

use super::DbResultExt;
use super::departments::set_if_changed;
use crate::model::{Branding, Host, HostInput, Publication, Tenant, TenantInput, TenantPatch};
use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::error::Problems;
use minsheng_domain::ids::{TenantHostId, TenantId};
use minsheng_domain::values::{
    self, HexColor, HostName, Locale, Slug, parse_optional_text, parse_text, parse_weekday,
};
use minsheng_store::entity::{tenant, tenant_host};
use minsheng_store::queries::tenants as q;
use minsheng_store::{ConnectionTrait, Store};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

/// A city as the rest of the server sees it: checked values, ready to use.
#[derive(Clone, Debug)]
pub struct TenantRecord {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub locale: Locale,
    pub time_zone: chrono_tz::Tz,
    pub weekend: Vec<chrono::Weekday>,
    pub branding: Branding,
    pub active: bool,
    pub row: tenant::Model,
}

impl TenantRecord {
    pub fn from_row(row: tenant::Model) -> Result<Self, Error> {
        let locale = Locale::parse(&row.locale).map_err(Error::internal)?;
        let time_zone = values::parse_time_zone(&row.time_zone).map_err(Error::internal)?;
        let weekend = weekend_from_json(&row.weekend)?;
        Ok(Self {
            id: TenantId::from_uuid(row.id),
            slug: row.slug.clone(),
            name: row.name.clone(),
            locale,
            time_zone,
            weekend,
            branding: Branding {
                site_title: Some(row.site_title.clone()).filter(|t| *t != row.name),
                primary_color: row.primary_color.clone(),
                accent_color: row.accent_color.clone(),
                logo_url: row.logo_url.clone(),
                footer: row.footer.clone(),
                contact: row.contact.clone(),
            },
            active: row.active,
            row,
        })
    }

    /// The city's publication settings (the defaults where unset).
    pub fn publication(&self) -> crate::model::Publication {
        self.row
            .publication
            .as_ref()
            .and_then(|p| serde_json::from_value(p.clone()).ok())
            .unwrap_or_default()
    }

    pub fn site_title(&self) -> &str {
        &self.row.site_title
    }
}

fn weekend_from_json(value: &serde_json::Value) -> Result<Vec<chrono::Weekday>, Error> {
    let names: Vec<String> = serde_json::from_value(value.clone())
        .map_err(|e| Error::internal(format!("stored weekend: {e}")))?;
    names
        .iter()
        .map(|n| parse_weekday(n).map_err(Error::internal))
        .collect()
}

/// Checked fields of a city.
struct ValidTenant {
    name: String,
    locale: Locale,
    time_zone: chrono_tz::Tz,
    weekend: Vec<String>,
    branding: ValidBranding,
    /// The column's value.
    publication: Option<serde_json::Value>,
}

struct ValidBranding {
    site_title: Option<String>,
    primary_color: HexColor,
    accent_color: HexColor,
    logo_url: Option<String>,
    footer: Option<String>,
    contact: Option<String>,
}

fn check_branding(p: &mut Problems, b: &Branding) -> Option<ValidBranding> {
    let site_title = p.check(
        "branding.site_title",
        parse_optional_text(b.site_title.as_deref(), 100),
    );
    let primary = p.check("branding.primary_color", HexColor::parse(&b.primary_color));
    let accent = p.check("branding.accent_color", HexColor::parse(&b.accent_color));
    let logo_url = match b
        .logo_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(link) => p.check("branding.logo_url", values::parse_link(link).map(Some)),
        None => Some(None),
    };
    let footer = p.check(
        "branding.footer",
        parse_optional_text(b.footer.as_deref(), 500),
    );
    let contact = p.check(
        "branding.contact",
        parse_optional_text(b.contact.as_deref(), 200),
    );
    Some(ValidBranding {
        site_title: site_title?,
        primary_color: primary?,
        accent_color: accent?,
        logo_url: logo_url?,
        footer: footer?,
        contact: contact?,
    })
}

/// Check a city's publication settings: how they are stored (`None` for
/// the defaults, so a city that never changed them follows new defaults).
fn check_publication(
    p: &mut Problems,
    settings: &Publication,
) -> Option<Option<serde_json::Value>> {
    if !(1..=60).contains(&settings.close_unrated_after_days) {
        p.push(
            "publication.close_unrated_after_days",
            format!(
                "must be 1 to 60 working days, not {}",
                settings.close_unrated_after_days
            ),
        );
        return None;
    }
    if settings.words.len() > 2000 {
        p.push(
            "publication.words",
            format!("at most 2000 words, not {}", settings.words.len()),
        );
        return None;
    }
    let mut bad = false;
    for (i, word) in settings.words.iter().enumerate() {
        if let Some(problem) = minsheng_text::word_problem(word) {
            p.push(
                format!("publication.words[{i}]"),
                format!("{word:?} {problem}"),
            );
            bad = true;
        }
    }
    if bad {
        return None;
    }
    if *settings == Publication::default() {
        return Some(None);
    }
    serde_json::to_value(settings).ok().map(Some)
}

fn check_weekend(p: &mut Problems, names: Option<&[String]>) -> Option<Vec<String>> {
    let Some(names) = names else {
        return Some(vec!["sat".into(), "sun".into()]);
    };
    let mut days = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let day = p.check(&format!("weekend[{i}]"), parse_weekday(name))?;
        if days.contains(&day) {
            p.push(format!("weekend[{i}]"), format!("{name:?} is listed twice"));
            return None;
        }
        days.push(day);
    }
    if days.len() == 7 {
        p.push("weekend", "a week needs at least one working day");
        return None;
    }
    days.sort_by_key(chrono::Weekday::num_days_from_monday);
    Some(
        days.into_iter()
            .map(|d| values::weekday_name(d).to_owned())
            .collect(),
    )
}

fn check_fields(
    p: &mut Problems,
    name: &str,
    locale: &str,
    time_zone: &str,
    weekend: Option<&[String]>,
    branding: &Branding,
    publication: &Publication,
) -> Option<ValidTenant> {
    let name = p.check("name", parse_text(name, 1, 100));
    let locale = p.check("locale", Locale::parse(locale));
    let time_zone = p.check("time_zone", values::parse_time_zone(time_zone));
    let weekend = check_weekend(p, weekend);
    let branding = check_branding(p, branding);
    let publication = check_publication(p, publication);
    Some(ValidTenant {
        name: name?,
        locale: locale?,
        time_zone: time_zone?,
        weekend: weekend?,
        branding: branding?,
        publication: publication?,
    })
}

fn apply_fields(row: &mut tenant::ActiveModel, v: ValidTenant) {
    set_if_changed(
        &mut row.site_title,
        v.branding.site_title.unwrap_or_else(|| v.name.clone()),
    );
    set_if_changed(&mut row.name, v.name);
    set_if_changed(&mut row.locale, v.locale.as_str().to_owned());
    set_if_changed(&mut row.time_zone, v.time_zone.name().to_owned());
    set_if_changed(&mut row.weekend, serde_json::json!(v.weekend));
    set_if_changed(
        &mut row.primary_color,
        v.branding.primary_color.into_string(),
    );
    set_if_changed(&mut row.accent_color, v.branding.accent_color.into_string());
    set_if_changed(&mut row.logo_url, v.branding.logo_url);
    set_if_changed(&mut row.footer, v.branding.footer);
    set_if_changed(&mut row.contact, v.branding.contact);
    set_if_changed(&mut row.publication, v.publication);
}

pub async fn list(store: &Store) -> Result<Vec<Tenant>, Error> {
    let rows = q::list(store.db()).await.or_internal()?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(to_api(store.db(), row).await?);
    }
    Ok(out)
}

/// The city with this slug, active or not.
pub async fn find(db: &impl ConnectionTrait, slug: &str) -> Result<TenantRecord, Error> {
    let row = q::by_slug(db, slug).await.or_internal()?;
    row.map(TenantRecord::from_row)
        .transpose()?
        .ok_or_else(|| Error::not_found(format!("city {slug:?}")))
}

/// The active city served at this exact host name.
/// The keys a city's own mail texts may set.
pub const MAIL_KEYS: &[&str] = &[
    "reminder_subject",
    "reminder_body",
    "overdue_subject",
    "overdue_body",
    "supervision_subject",
    "supervision_body",
    "escalated_subject",
    "escalated_body",
    "answered_subject",
    "answered_body",
    "accept_reminder_subject",
    "accept_reminder_body",
    "accept_overdue_subject",
    "accept_overdue_body",
    "opinion_reminder_subject",
    "opinion_reminder_body",
    "opinion_overdue_subject",
    "opinion_overdue_body",
    "opinion_supervision_subject",
    "opinion_supervision_body",
];

/// Check a city's mail texts: known keys, 1 to 4,000 characters each.
/// `None` when there are none.
pub fn check_mail_templates(
    mail: &std::collections::BTreeMap<String, String>,
) -> Result<Option<serde_json::Value>, Error> {
    let mut p = Problems::new();
    for (key, text) in mail {
        let field = format!("mail.{key}");
        if !MAIL_KEYS.contains(&key.as_str()) {
            p.push(
                field,
                format!(
                    "no mail text {key:?}; the texts are {}",
                    MAIL_KEYS.join(", ")
                ),
            );
        } else if text.trim().is_empty() || text.chars().count() > 4000 {
            p.push(field, "must be 1 to 4,000 characters");
        }
    }
    p.finish()?;
    Ok((!mail.is_empty()).then(|| serde_json::json!(mail)))
}

/// The city with this id (workers, which find work of every city).
pub(crate) async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<TenantRecord, Error> {
    let row = q::by_id(db, id).await.or_internal()?;
    row.map(TenantRecord::from_row)
        .transpose()?
        .ok_or_else(|| Error::not_found(format!("city {id}")))
}

pub async fn find_by_host(
    db: &impl ConnectionTrait,
    host: &str,
) -> Result<Option<TenantRecord>, Error> {
    let row = q::by_host(db, host).await.or_internal()?;
    Ok(row
        .map(TenantRecord::from_row)
        .transpose()?
        .filter(|t| t.active))
}

pub(crate) async fn get(db: &impl ConnectionTrait, slug: &str) -> Result<Tenant, Error> {
    let record = find(db, slug).await?;
    to_api(db, record.row).await
}

pub(crate) async fn create(db: &impl ConnectionTrait, input: TenantInput) -> Result<Tenant, Error> {
    let now = Utc::now();
    let mut row = tenant::ActiveModel {
        id: Set(TenantId::new().into_uuid()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    fill_row(&mut row, &input)?;
    if q::by_slug(db, &input.slug).await.or_internal()?.is_some() {
        return Err(Error::conflict(
            "slug",
            format!("a city with slug {:?} already exists", input.slug),
        ));
    }
    let row = q::insert(db, row)
        .await
        .or_conflict("slug", "a city with this slug already exists")?;
    to_api(db, row).await
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    slug: &str,
    patch: TenantPatch,
) -> Result<Tenant, Error> {
    let current = find(db, slug).await?;
    let mut p = Problems::new();
    let weekend: Option<Vec<String>> = patch.weekend.clone().or_else(|| {
        Some(
            current
                .weekend
                .iter()
                .map(|d| values::weekday_name(*d).to_owned())
                .collect(),
        )
    });
    let branding = patch.branding.clone().unwrap_or_else(|| {
        let mut b = current.branding.clone();
        b.site_title = Some(current.row.site_title.clone());
        b
    });
    let fields = check_fields(
        &mut p,
        patch.name.as_deref().unwrap_or(&current.name),
        patch.locale.as_deref().unwrap_or(current.locale.as_str()),
        patch
            .time_zone
            .as_deref()
            .unwrap_or(current.time_zone.name()),
        weekend.as_deref(),
        &branding,
        &patch
            .publication
            .clone()
            .unwrap_or_else(|| current.publication()),
    );
    let mail = match &patch.mail {
        Some(mail) => match check_mail_templates(mail) {
            Ok(mail) => Some(mail),
            Err(Error::Invalid(problems)) => {
                problems
                    .into_iter()
                    .for_each(|f| p.push(f.field, f.message));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    p.finish()?;
    let Some(fields) = fields else {
        return Err(Error::internal("checked tenant fields missing"));
    };
    let mut row: tenant::ActiveModel = current.row.clone().into();
    apply_fields(&mut row, fields);
    if let Some(mail) = mail
        && mail != current.row.mail_templates
    {
        row.mail_templates = Set(mail);
    }
    if let Some(active) = patch.active {
        row.active = Set(active);
    }
    let row = save_if_changed(db, row).await?;
    to_api(db, row).await
}

/// Write a tenant row only if something changed, so applying the same values
/// twice leaves `updated_at` alone.
pub(crate) async fn save_if_changed(
    db: &impl ConnectionTrait,
    mut row: tenant::ActiveModel,
) -> Result<tenant::Model, Error> {
    use sea_orm::{ActiveModelTrait, TryIntoModel};
    if !row.is_changed() {
        return row.try_into_model().map_err(Error::internal);
    }
    row.updated_at = Set(Utc::now());
    q::update(db, row).await.or_internal()
}

/// Check a bundle's or client's full description of a city and write it
/// into `row` (a new row, or an existing one whose unchanged columns stay
/// unchanged).
pub(crate) fn fill_row(row: &mut tenant::ActiveModel, input: &TenantInput) -> Result<(), Error> {
    let mut p = Problems::new();
    let slug = p.check("slug", Slug::parse(&input.slug));
    let fields = check_fields(
        &mut p,
        &input.name,
        &input.locale,
        &input.time_zone,
        input.weekend.as_deref(),
        &input.branding,
        &input.publication.clone().unwrap_or_default(),
    );
    p.finish()?;
    let (Some(slug), Some(fields)) = (slug, fields) else {
        return Err(Error::internal("checked tenant fields missing"));
    };
    set_if_changed(&mut row.slug, slug.into_string());
    apply_fields(row, fields);
    Ok(())
}

pub(crate) async fn to_api(db: &impl ConnectionTrait, row: tenant::Model) -> Result<Tenant, Error> {
    let hosts = q::hosts(db, row.id).await.or_internal()?;
    let record = TenantRecord::from_row(row)?;
    let publication = record.publication();
    let row = record.row;
    Ok(Tenant {
        id: row.id,
        weekend: record
            .weekend
            .iter()
            .map(|d| values::weekday_name(*d).to_owned())
            .collect(),
        publication,
        branding: record.branding,
        hosts: hosts.into_iter().map(|h| h.host).collect(),
        slug: row.slug,
        name: row.name,
        locale: row.locale,
        time_zone: row.time_zone,
        active: row.active,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) async fn hosts(db: &impl ConnectionTrait, slug: &str) -> Result<Vec<Host>, Error> {
    let tenant = find(db, slug).await?;
    let rows = q::hosts(db, tenant.id.into_uuid()).await.or_internal()?;
    Ok(rows.into_iter().map(host_to_api).collect())
}

fn host_to_api(row: tenant_host::Model) -> Host {
    Host {
        id: row.id,
        host: row.host,
        created_at: row.created_at,
    }
}

/// Give a city one more host name. A name serves one city only.
pub(crate) async fn add_host(
    db: &impl ConnectionTrait,
    tenant_id: TenantId,
    input: &HostInput,
) -> Result<Host, Error> {
    let host = HostName::parse(&input.host).map_err(|m| Error::invalid("host", m))?;
    if let Some(owner) = q::host_owner(db, host.as_str()).await.or_internal()? {
        if owner.tenant_id == tenant_id.into_uuid() {
            return Ok(host_to_api(owner));
        }
        return Err(Error::conflict(
            "host",
            format!("{host} already serves another city"),
        ));
    }
    let row = tenant_host::ActiveModel {
        id: Set(TenantHostId::new().into_uuid()),
        tenant_id: Set(tenant_id.into_uuid()),
        host: Set(host.into_string()),
        created_at: Set(Utc::now()),
    };
    let row = q::insert_host(db, row)
        .await
        .or_conflict("host", "this host already serves a city")?;
    Ok(host_to_api(row))
}

pub(crate) async fn remove_host(
    db: &impl ConnectionTrait,
    tenant_id: TenantId,
    host_id: Uuid,
) -> Result<(), Error> {
    if q::delete_host(db, tenant_id.into_uuid(), host_id)
        .await
        .or_internal()?
    {
        Ok(())
    } else {
        Err(Error::not_found(format!("host {host_id}")))
    }
}

// ---- on behalf of a principal (the API) -----------------------------------

use crate::access::Ctx;

pub async fn list_by(ctx: &Ctx) -> Result<Vec<Tenant>, Error> {
    ctx.require_operator()?;
    list(&ctx.app.store).await
}

pub async fn create_by(ctx: &Ctx, input: TenantInput) -> Result<Tenant, Error> {
    ctx.require_operator()?;
    let tenant = create(ctx.db(), input).await?;
    let record = find(ctx.db(), &tenant.slug).await?;
    let tx = ctx.tx(record.id).await?;
    super::accounts::ensure_builtin_roles(&tx, record.id, record.locale).await?;
    tx.commit().await.or_internal()?;
    ctx.app.policy.reload().await.map_err(Error::internal)?;
    Ok(tenant)
}

pub async fn get_by(ctx: &Ctx, slug: &str) -> Result<Tenant, Error> {
    let record = find(ctx.db(), slug).await?;
    ctx.authorize(&record, "tenant:read").await?;
    to_api(ctx.db(), record.row).await
}

/// City admins change their city's settings; suspending a city is the
/// platform operator's.
pub async fn update_by(ctx: &Ctx, slug: &str, patch: TenantPatch) -> Result<Tenant, Error> {
    let record = find(ctx.db(), slug).await?;
    ctx.authorize(&record, "tenant:write").await?;
    if patch.active.is_some() {
        ctx.require_operator_for(&record)?;
    }
    let fields = patch_fields(&patch);
    let updated = update(ctx.db(), slug, patch).await?;
    ctx.app.calendars.forget(record.id);
    ctx.app.tenants.forget(slug);
    ctx.audit(
        Some(record.id),
        "tenant_update",
        &format!("tenant:{slug} {}", fields.join(",")),
        "ok",
    )
    .await;
    Ok(updated)
}

/// The fields a change names, for the audit log.
fn patch_fields(patch: &TenantPatch) -> Vec<&'static str> {
    [
        ("name", patch.name.is_some()),
        ("locale", patch.locale.is_some()),
        ("time_zone", patch.time_zone.is_some()),
        ("weekend", patch.weekend.is_some()),
        ("branding", patch.branding.is_some()),
        ("publication", patch.publication.is_some()),
        ("mail", patch.mail.is_some()),
        ("active", patch.active.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, given)| given.then_some(field))
    .collect()
}

pub async fn hosts_by(ctx: &Ctx, slug: &str) -> Result<Vec<Host>, Error> {
    let record = find(ctx.db(), slug).await?;
    ctx.authorize(&record, "tenant:read").await?;
    hosts(ctx.db(), slug).await
}

/// Host names route traffic for the whole deployment: operators only.
pub async fn add_host_by(ctx: &Ctx, slug: &str, input: &HostInput) -> Result<Host, Error> {
    let record = find(ctx.db(), slug).await?;
    ctx.require_operator_for(&record)?;
    let added = add_host(ctx.db(), record.id, input).await?;
    ctx.app.tenants.forget(slug);
    Ok(added)
}

pub async fn remove_host_by(ctx: &Ctx, slug: &str, host_id: Uuid) -> Result<(), Error> {
    let record = find(ctx.db(), slug).await?;
    ctx.require_operator_for(&record)?;
    remove_host(ctx.db(), record.id, host_id).await?;
    ctx.app.tenants.forget(slug);
    Ok(())
}

/// Cities by slug, and which city (if any) a host name serves, kept for a
/// few seconds so every request does not read the tenants tables. A change
/// made in this process applies at once; one made elsewhere (suspending a
/// city on another replica, a new host name) within the TTL.
#[derive(Default)]
pub struct Cache {
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, TenantRecord)>>,
    hosts: std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, Option<TenantRecord>)>,
    >,
}

const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl Cache {
    pub async fn find(&self, db: &impl ConnectionTrait, slug: &str) -> Result<TenantRecord, Error> {
        if let Ok(entries) = self.entries.lock()
            && let Some((at, record)) = entries.get(slug)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(record.clone());
        }
        let record = find(db, slug).await?;
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(slug.to_owned(), (std::time::Instant::now(), record.clone()));
        }
        Ok(record)
    }

    /// The active city served at `host`, or none.
    pub async fn find_by_host(
        &self,
        db: &impl ConnectionTrait,
        host: &str,
    ) -> Result<Option<TenantRecord>, Error> {
        if let Ok(hosts) = self.hosts.lock()
            && let Some((at, found)) = hosts.get(host)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(found.clone());
        }
        let found = find_by_host(db, host).await?;
        if let Ok(mut hosts) = self.hosts.lock() {
            // Bounded: a scanner sending random Host headers cannot grow it.
            if hosts.len() >= 10_000 {
                hosts.clear();
            }
            hosts.insert(host.to_owned(), (std::time::Instant::now(), found.clone()));
        }
        Ok(found)
    }

    pub fn forget(&self, slug: &str) {
        if let Ok(mut hosts) = self.hosts.lock() {
            hosts.clear();
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(slug);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Problems, Publication, check_publication};

    #[test]
    fn publication_settings_are_stored_only_when_not_the_defaults() {
        let mut p = Problems::new();
        assert_eq!(
            check_publication(&mut p, &Publication::default()),
            Some(None)
        );
        let demo = Publication {
            demo: true,
            ..Publication::default()
        };
        let stored = check_publication(&mut p, &demo).flatten().expect("stored");
        assert_eq!(stored["demo"], true);
        assert_eq!(stored["close_unrated_after_days"], 7);
        assert!(p.finish().is_ok());
    }

    #[test]
    fn closing_unrated_answers_takes_1_to_60_days() {
        for days in [0, 61] {
            let mut p = Problems::new();
            let settings = Publication {
                close_unrated_after_days: days,
                ..Publication::default()
            };
            assert_eq!(check_publication(&mut p, &settings), None);
            let err = p.finish().expect_err("refused");
            assert!(
                err.to_string().contains("close_unrated_after_days"),
                "{err}"
            );
        }
        for days in [1, 60] {
            let mut p = Problems::new();
            let settings = Publication {
                close_unrated_after_days: days,
                ..Publication::default()
            };
            assert!(check_publication(&mut p, &settings).is_some());
        }
    }
}
