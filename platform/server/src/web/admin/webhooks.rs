//! `{base}admin/webhooks`: endpoints, event filters, the delivery log,
//! and failed notifications with a resend button.

use poem::Route;

pub fn mount(route: Route) -> Route {
    route
}
