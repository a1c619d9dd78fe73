//! The shapes clients send and receive: the REST API's objects (documented in
//! OpenAPI) and, where they coincide, the tenant bundle's TOML. Unknown fields
//! are rejected in both. Values are checked by the services, not here.

mod access;
mod bulletins;
mod campaigns;
mod cases;
mod directory;
mod plugins;
mod tenants;
mod webhooks;

pub use access::{
    ApiKey, ApiKeyCreated, ApiKeyInput, AuditEvent, LoginInput, Me, Permission, Role, RoleInput,
    RolePatch, User, UserInput, UserPatch,
};
pub use bulletins::{Bulletin, BulletinFigures, BulletinRef, CategoryFigure, TermTrend, Trends};
pub use campaigns::{
    Campaign, CampaignInput, Cluster, ClusterRef, Figures, Group, GroupInput, MergeInput,
    Milestone, MilestoneInput, OpenData, OpenProject, OpenSource, OpenSuggestion, PhaseEntry,
    PhaseInput, Project, ProjectInput, ProjectPatch, ProjectRef, ProjectSource, ProjectStatusView,
    PublishInput, Published, QueueItem, QueuePage, Suggestion, SuggestionAnswer, SuggestionPage,
    SuggestionRef,
};
pub use cases::{
    AnswerTemplate, AnswerTemplateInput, AssignInput, CaseCreated, CaseDetail, CaseFlags,
    CaseInput, CaseMergeInput, CasePage, DecisionInput, ExtensionInput, Highlight,
    NotDuplicateInput, Opinion, OpinionInput, PublicCase, RatingInput, ReasonInput, ReleaseInput,
    SimilarCase, SimilarCases, Stats, TextInput, TimelineEvent, TransferInput,
};
pub use directory::{
    Attribute, AttributeValue, Category, CategoryInput, CategoryPatch, Department, DepartmentInput,
    DepartmentPatch,
};
pub use plugins::{PluginLimits, PluginQuota, PluginUpdate, PluginView};
pub use tenants::{
    Branding, Calendar, CalendarDay, CalendarDayInput, Deadline, Host, HostInput, Publication,
    QuotaLimits, QuotaUsage, Quotas, Tenant, TenantInput, TenantPatch,
};
pub use webhooks::{Notification, Webhook, WebhookCreated, WebhookInput};
