//! Rule plugins: each city's registry of uploaded components
//! (`registry`, re-exported here: upload, versions, configuration, order,
//! limits and quota), the compiled components kept by the server
//! (`components`), the cities' chains of intake rules with their share of
//! calls and lookups, decisions and failures (`chains`), escalation
//! rules (`escalation`), and replays of a candidate over past cases
//! (`replay`).

pub mod chains;
pub mod components;
pub mod escalation;
mod registry;
pub mod replay;
pub use registry::{get, limits, list, quota, remove, reorder, set_limits, update, upload};
