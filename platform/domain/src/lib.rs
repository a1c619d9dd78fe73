//! Minsheng's domain: the pure types and rules every other crate shares.
//!
//! Nothing here does I/O. Values are parsed once at the edge (`parse()` returns
//! `Result`), so code further in can trust them.

pub mod access;
pub mod calendar;
pub mod campaign;
pub mod case;
pub mod error;
pub mod ids;
pub mod redact;
pub mod values;

pub use error::{Error, FieldError};
