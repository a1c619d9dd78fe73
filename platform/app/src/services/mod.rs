//! Services: one module per area. A service function takes the store (or a
//! transaction) and, for tenant data, the tenant; it checks its input, runs
//! its queries and returns API shapes or the one error type. Handlers and
//! the bundle loader both call these, so the rules live in one place.

pub mod accounts;
pub mod answer_templates;
pub mod attributes;
pub mod bulletins;
pub mod calendar;
pub mod calendar_import;
pub mod campaigns;
pub mod cases;
pub mod categories;
pub mod city_cache;
pub mod department_import;
pub mod departments;
pub mod directory;
pub mod escalation;
pub mod intake;
pub mod logos;
pub mod notify;
pub mod plugins;
pub mod quotas;
pub mod search;
pub mod tenants;
pub mod trends;
pub mod webhooks;

use chrono::Utc;
use minsheng_domain::Error;
use minsheng_domain::ids::TenantId;
use minsheng_store::queries::directory::{self as rows, DirectoryTable};
use minsheng_store::{ConnectionTrait, DatabaseTransaction, DbErr};
use sea_orm::{ActiveModelTrait, TryIntoModel};
use uuid::Uuid;

/// Turn a database error into the one error type: a unique-key violation is
/// a conflict the caller can fix; anything else is our fault.
pub trait DbResultExt<T> {
    fn or_internal(self) -> Result<T, Error>;
    fn or_conflict(self, field: &str, message: &str) -> Result<T, Error>;
}

impl<T> DbResultExt<T> for Result<T, DbErr> {
    fn or_internal(self) -> Result<T, Error> {
        self.map_err(from_db)
    }

    fn or_conflict(self, field: &str, message: &str) -> Result<T, Error> {
        self.map_err(|e| {
            if minsheng_store::queries::is_unique_violation(&e) {
                Error::conflict(field, message)
            } else {
                from_db(e)
            }
        })
    }
}

/// A database error as the caller sees it: every connection busy (the
/// pool's wait ran out under load) is "try again shortly", anything else a
/// fault of ours.
fn from_db(e: DbErr) -> Error {
    match e {
        DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout) => {
            Error::Unavailable("database busy: no connection was free in time".into())
        }
        e => Error::internal(format!("database: {e}")),
    }
}

/// Write a checked row of a department or category if anything changed.
/// A new code must still be free in the city. `what` names the kind of row
/// in messages. Returns the saved row and whether anything changed.
pub(crate) async fn save_directory_row<E, A>(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    mut row: A,
    new_code: Option<&str>,
    what: &str,
) -> Result<(E::Model, bool), Error>
where
    E: DirectoryTable,
    A: ActiveModelTrait<Entity = E> + TryIntoModel<E::Model> + Send,
{
    if !row.is_changed() {
        return Ok((row.try_into_model().map_err(Error::internal)?, false));
    }
    let taken = format!("another {what} of this city has this code");
    if let Some(code) = new_code
        && rows::by_code::<E>(db, tenant.into_uuid(), code)
            .await
            .or_internal()?
            .is_some()
    {
        return Err(Error::conflict(
            "code",
            format!("another {what} of this city has the code {code:?}"),
        ));
    }
    row.set(E::UPDATED_AT, Utc::now().into());
    let updated = rows::update::<E, A>(db, tenant.into_uuid(), id, row)
        .await
        .or_conflict("code", &taken)?;
    let saved = match updated {
        true => rows::by_id::<E>(db, tenant.into_uuid(), id)
            .await
            .or_internal()?,
        false => None,
    };
    let saved = saved.ok_or_else(|| Error::not_found(format!("{what} {id}")))?;
    Ok((saved, true))
}

/// Commit `tx` and hand back `value`.
pub(crate) async fn commit<T>(tx: DatabaseTransaction, value: T) -> Result<T, Error> {
    tx.commit().await.or_internal()?;
    Ok(value)
}

#[cfg(test)]
mod db_errors {
    use super::*;

    #[test]
    fn a_busy_pool_is_try_again_and_anything_else_ours() {
        let busy: Result<(), DbErr> = Err(DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        ));
        assert!(matches!(busy.or_internal(), Err(Error::Unavailable(_))));
        let broken: Result<(), DbErr> = Err(DbErr::Custom("disk I/O error".into()));
        assert!(matches!(broken.or_internal(), Err(Error::Internal(_))));
    }
}
