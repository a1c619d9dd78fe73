//! `{base}admin/rules`: rule plugins: upload, descriptor, configuration,
//! chain order, enable and disable, failures, and replay.

use poem::Route;

pub fn mount(route: Route) -> Route {
    route
}
