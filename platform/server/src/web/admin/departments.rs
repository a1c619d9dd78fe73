//! `{base}admin/departments`: the department tree (add, rename, move,
//! deactivate), contacts, and the CSV import and export of the whole tree.

use poem::Route;

pub fn mount(route: Route) -> Route {
    route
}
