//! Server-rendered pages: each city's landing page, the platform index and
//! the not-found page. Templates are compiled into the binary and escape
//! every value automatically.

pub mod account;
pub mod pages;
pub mod resolve;
pub mod templates;
