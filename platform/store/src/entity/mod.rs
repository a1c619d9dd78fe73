//! sea-orm entities, one module per table. They mirror the migrations; rules
//! about what a valid row is live in the domain and service layers.

pub mod calendar_day;
pub mod category;
pub mod department;
pub mod tenant;
pub mod tenant_host;
