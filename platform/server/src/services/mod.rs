//! Services: one module per area. A service function takes the store (or a
//! transaction) and, for tenant data, the tenant; it checks its input, runs
//! its queries and returns API shapes or the one error type. Handlers and
//! the bundle loader both call these, so the rules live in one place.

pub mod calendar;
pub mod categories;
pub mod departments;
pub mod tenants;

use minsheng_domain::Error;
use minsheng_store::DbErr;

/// Turn a database error into the one error type: a unique-key violation is
/// a conflict the caller can fix; anything else is our fault.
pub(crate) trait DbResultExt<T> {
    fn or_internal(self) -> Result<T, Error>;
    fn or_conflict(self, field: &str, message: &str) -> Result<T, Error>;
}

impl<T> DbResultExt<T> for Result<T, DbErr> {
    fn or_internal(self) -> Result<T, Error> {
        self.map_err(|e| Error::internal(format!("database: {e}")))
    }

    fn or_conflict(self, field: &str, message: &str) -> Result<T, Error> {
        self.map_err(|e| {
            if minsheng_store::queries::is_unique_violation(&e) {
                Error::conflict(field, message)
            } else {
                Error::internal(format!("database: {e}"))
            }
        })
    }
}
