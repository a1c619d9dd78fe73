//! Rule plugins: each city's registry of uploaded components
//! (`registry`, re-exported here: upload, versions, configuration, order,
//! limits and quota), the compiled components kept by the server
//! (`components`), the cities' chains of intake rules with their share of
//! calls and lookups, decisions and failures (`chains`), and escalation
//! rules (`escalation`).

pub mod chains;
pub mod components;
pub mod escalation;
mod registry;
pub use registry::{get, limits, list, quota, remove, set_limits, update, upload};
