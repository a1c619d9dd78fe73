//! `{base}admin/calendar`: a month view of working days, holidays and
//! make-up days, and the import of a year's schedule from a file.

use poem::Route;

pub fn mount(route: Route) -> Route {
    route
}
