//! Column and key shapes the migrations share. Changing one changes only
//! migrations that have not run yet, so keep them stable once shipped.

use sea_orm_migration::prelude::*;

/// A UUIDv7 primary key (made by the application).
pub fn uuid_pk<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

pub fn required<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).not_null().to_owned()
}

pub fn optional<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).null().to_owned()
}

/// A counter that starts at zero.
pub fn counter<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}
