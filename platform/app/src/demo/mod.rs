//! Demo history: realistic cases for the demo cities, generated through the
//! same services as real submissions and staff actions, with the clock set
//! back so the history spreads over the past year.

pub mod campaigns;
pub mod corpus;
pub mod seed;
