//! The REST API (poem-openapi): thin handlers that read the request, call one
//! service and shape the answer. The document is served at
//! `/api/openapi.json` and browsable at `/api/docs`.

mod access;
mod body;
mod bulletins;
mod campaigns;
mod cases;
mod directory;
pub mod error;
mod health;
mod plugins;
mod tenants;
mod webhooks;

pub use health::{healthz, readyz};

use crate::app::ServerState;
use poem_openapi::{OpenApiService, Tags};

#[derive(Tags)]
pub enum ApiTags {
    /// Cities and the host names that serve them (platform operators).
    Tenants,
    /// A city's departments.
    Departments,
    /// A city's case categories (Open311 services).
    Categories,
    /// A city's working-day calendar.
    Calendar,
    /// Signing in, staff accounts, roles, API keys and the audit log.
    Access,
    /// Citizens' cases, their lifecycle and the city's statistics.
    Cases,
    /// Webhook endpoints and the log of email and webhook messages.
    Notifications,
    /// Rule plugins: the city's own intake and escalation rules as
    /// WebAssembly components.
    Plugins,
    /// Campaigns (惠民工程): calls for suggestions, working groups,
    /// answers, clusters, projects, progress and open data.
    Campaigns,
    /// Public-opinion bulletins (三情通报): weekly and monthly figures,
    /// kept as they were when each period ended.
    Bulletins,
}

pub type Api = (
    tenants::TenantsApi,
    directory::DirectoryApi,
    access::AccessApi,
    cases::CasesApi,
    webhooks::WebhooksApi,
    plugins::PluginsApi,
    campaigns::CampaignsApi,
    bulletins::BulletinsApi,
);

pub fn service(state: &ServerState) -> OpenApiService<Api, ()> {
    OpenApiService::new(
        (
            tenants::TenantsApi,
            directory::DirectoryApi,
            access::AccessApi {
                state: state.clone(),
            },
            cases::CasesApi {
                state: state.clone(),
            },
            webhooks::WebhooksApi,
            plugins::PluginsApi,
            campaigns::CampaignsApi,
            bulletins::BulletinsApi,
        ),
        "Minsheng API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "The REST API of Minsheng (民声), a multi-city platform for citizen petitions. \
         Every city's data lives under `/v1/tenants/{tenant}`; ids of one city are \
         never found under another.",
    )
    .server("/api")
}
