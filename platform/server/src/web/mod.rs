//! Server-rendered pages: each city's branded, bilingual site (home, ask,
//! track, public answers, departments, accounts), the platform index and
//! the error pages. Templates are compiled into the binary and escape every
//! value automatically; the pages work without JavaScript.

pub mod account;
pub mod admin;
pub mod ask;
pub mod bulletins;
pub mod cache;
pub mod campaigns;
pub mod colors;
pub mod departments;
pub mod operator;
pub mod operator_archive;
pub mod pages;
pub mod resolve;
pub mod respond;
pub mod site;
pub mod staff;
pub mod templates;
pub mod track;
pub mod upload;
