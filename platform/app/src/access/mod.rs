//! Who is asking and what they may do: principals, passwords, sessions, API
//! keys, login throttling, and the casbin policy that decides permissions.

pub mod ctx;
pub mod password;
pub mod policy;
pub mod principal;
pub mod throttle;
pub mod tokens;
pub mod views;

pub use ctx::Ctx;
pub use policy::Policy;
pub use principal::Principal;
