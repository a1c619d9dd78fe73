//! `{base}admin/settings`: the city's name, colours, logo, locale,
//! time zone, host names, mail texts and publication settings.

use poem::Route;

pub fn mount(route: Route) -> Route {
    route
}
