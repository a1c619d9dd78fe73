//! `{base}admin/categories`: categories, their groups, keywords, default
//! department, deadlines and questions, with a preview of the citizen form.

use poem::Route;

pub fn mount(route: Route) -> Route {
    route
}
