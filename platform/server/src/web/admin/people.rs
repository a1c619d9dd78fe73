//! `{base}admin/people`, `roles`, `keys`, `audit`: staff users, custom
//! roles, API keys and the audit log.

use poem::Route;

pub fn mount(route: Route) -> Route {
    route
}
