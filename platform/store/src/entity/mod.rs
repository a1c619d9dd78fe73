//! sea-orm entities, one module per table. They mirror the migrations; rules
//! about what a valid row is live in the domain and service layers.
//!
//! Models of city tables also read and write themselves with serde, for
//! tenant archives (see [`encoding`]); the API never returns them.

pub mod answer_template;
pub mod api_key;
pub mod audit_event;
pub mod bulletin;
pub mod calendar_day;
pub mod campaign;
pub mod campaign_cluster;
pub mod campaign_group;
pub mod campaign_milestone;
pub mod campaign_project;
pub mod campaign_project_source;
pub mod campaign_suggestion;
pub mod case;
pub mod case_department;
pub mod case_duplicate;
pub mod case_event;
pub mod case_idempotency;
pub mod case_not_duplicate;
pub mod case_search;
pub mod case_stat;
pub mod category;
pub mod department;
pub mod due_work;
pub mod encoding;
pub mod escalation;
pub mod login_throttle;
pub mod outbox;
pub mod plugin;
pub mod policy_version;
pub mod role;
pub mod session;
pub mod tenant;
pub mod tenant_host;
pub mod tenant_logo;
pub mod tenant_quota;
pub mod user;
pub mod user_department;
pub mod user_role;
pub mod webhook;
