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

/// A reference to a row of the same city: `(tenant_id, from)` →
/// `(tenant_id, to)`, so no row can point at another city's row.
pub fn same_tenant_fk<A, B, C, D>(
    name: &str,
    from: (A, B),
    to: (C, D),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement
where
    A: IntoIden + 'static,
    B: IntoIden + 'static,
    C: IntoIden + 'static,
    D: IntoIden + 'static,
{
    ForeignKey::create()
        .name(name)
        .from_tbl(from.0)
        .from_col(Alias::new("tenant_id"))
        .from_col(from.1)
        .to_tbl(to.0)
        .to_col(Alias::new("tenant_id"))
        .to_col(to.1)
        .on_delete(on_delete)
        .to_owned()
}
