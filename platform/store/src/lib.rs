//! Minsheng's storage: the connection (SQLite or PostgreSQL), migrations, the
//! sea-orm entities and the queries over them.
//!
//! Rules: every query of a tenant table takes the tenant id and filters by it
//! itself, so a caller cannot forget; functions take any `ConnectionTrait` so
//! services can run them inside one transaction.

pub mod connect;
pub mod entity;
pub mod group_commit;
pub mod queries;

pub use connect::{Backend, Durability, PoolUsage, Scope, Store};
pub use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait,
};
