//! The HTTP application: routes, shared state, middleware, and `serve`.

use crate::{api, cli, open311, web};
use minijinja::Environment;
use minsheng_app::config::Config;
use minsheng_app::{App, access, bundle, services};
use minsheng_store::Store;
use poem::http::{StatusCode, header};
use poem::listener::TcpAcceptor;
use poem::{Endpoint, EndpointExt, IntoResponse, Route, Server, get, post};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What every request handler can reach: the application, and what only
/// the HTTP transport needs. It dereferences to [`App`], so a handler
/// reads `state.store` and passes `&state` where a service wants `&App`.
#[derive(Clone)]
pub struct ServerState {
    pub app: App,
    pub templates: Arc<Environment<'static>>,
    /// Public pages kept for a few seconds.
    pub pages: Arc<web::cache::PageCache>,
    /// Set on SIGTERM: `/readyz` answers 503 so load balancers stop
    /// sending new requests before the server stops accepting them.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl ServerState {
    /// The application and the server's own parts.
    pub async fn new(config: Config, store: Store) -> anyhow::Result<Self> {
        let pages = web::cache::PageCache::new(Duration::from_secs(config.page_cache_secs));
        Ok(Self {
            app: App::new(config, store).await?,
            templates: Arc::new(web::templates::environment()),
            pages: Arc::new(pages),
            draining: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        })
    }
}

impl std::ops::Deref for ServerState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// The whole application as one endpoint.
pub fn build(state: ServerState) -> impl Endpoint {
    let api_service = api::service(&state);
    let spec = api_service.spec_endpoint();
    let docs = api_service.swagger_ui();
    let max_body = state.config.max_body_bytes;
    web::admin::mount(Route::new())
        .at("/healthz", get(api::healthz))
        .at("/readyz", get(api::readyz))
        .at("/api/openapi.json", spec)
        .nest("/api/docs", docs)
        .nest(
            "/api",
            api_service
                .around(move |ep, req| {
                    // Rule plugins are components of up to 8 MiB.
                    let max = if req.method() == poem::http::Method::POST
                        && req.uri().path().ends_with("/plugins")
                    {
                        max_body.max(minsheng_plugin_host::MAX_COMPONENT_BYTES)
                    } else {
                        max_body
                    };
                    limit_body(ep, req, max)
                })
                .around(crate::conditional::tag),
        )
        .at(
            "/open311/v2/*path",
            get(open311::endpoint)
                .post(open311::endpoint)
                .around(move |ep, req| limit_body(ep, req, max_body))
                .around(crate::conditional::tag),
        )
        .at("/static/:name", get(web::site::asset))
        .at("/t/:slug", get(web::pages::slug_redirect))
        .at("/t/:slug/", get(web::pages::home))
        .at("/t/:slug/ask", get(web::ask::ask).post(web::ask::submit))
        .at("/t/:slug/track", get(web::track::track))
        .at("/t/:slug/answers", get(web::pages::answers))
        .at("/t/:slug/cases/:code", get(web::pages::case_page))
        .at("/t/:slug/campaigns", get(web::campaigns::campaigns_page))
        .at("/t/:slug/bulletins", get(web::bulletins::list))
        .at("/t/:slug/bulletins.atom", get(web::bulletins::feed))
        .at(
            "/t/:slug/bulletins/:kind/:number",
            get(web::bulletins::page),
        )
        .at(
            "/t/:slug/campaigns/:campaign",
            get(web::campaigns::campaign_page),
        )
        .at(
            "/t/:slug/campaigns/:campaign/suggest",
            get(web::campaigns::suggest).post(web::campaigns::suggest_submit),
        )
        .at(
            "/t/:slug/campaigns/:campaign/suggestions/:code",
            get(web::campaigns::suggestion_page),
        )
        .at(
            "/t/:slug/campaigns/:campaign/projects/:reference",
            get(web::campaigns::project_page),
        )
        .at("/t/:slug/cases/:code/rate", post(web::track::rate))
        .at(
            "/t/:slug/cases/:code/information",
            post(web::track::add_information),
        )
        .at(
            "/t/:slug/departments",
            get(web::departments::departments_page),
        )
        .at(
            "/t/:slug/departments/:code",
            get(web::departments::department_page),
        )
        .at(
            "/t/:slug/login",
            get(web::account::login_form).post(web::account::login_submit),
        )
        .at("/t/:slug/logout", post(web::account::logout_submit))
        .at(
            "/t/:slug/register",
            get(web::account::register_form).post(web::account::register_submit),
        )
        .at("/t/:slug/my", get(web::account::my_cases))
        .at("/t/:slug/staff", get(web::staff::inbox::inbox))
        .at("/t/:slug/staff/", get(web::staff::inbox::inbox))
        .at(
            "/t/:slug/staff/cases/:code",
            get(web::staff::case::case_page).post(web::staff::case::act),
        )
        .at(
            "/t/:slug/staff/supervision",
            get(web::staff::board::supervision),
        )
        .at(
            "/t/:slug/staff/performance",
            get(web::staff::board::performance),
        )
        .at("/t/:slug/staff/campaigns", get(web::staff::campaigns::list))
        .at(
            "/t/:slug/staff/campaigns/:campaign",
            get(web::staff::campaigns::desk_page).post(web::staff::campaigns::submit),
        )
        .at(
            "/t/:slug/staff/templates",
            get(web::staff::board::templates).post(web::staff::board::templates_submit),
        )
        .at(
            "/operator/login",
            get(web::operator::login_form).post(web::operator::login_submit),
        )
        .at("/operator/", get(web::operator::cities))
        .at("/operator/cities", post(web::operator::create_city))
        .at("/operator/cities/new", get(web::operator::new_city))
        .at(
            "/operator/cities/import",
            post(web::operator_archive::import),
        )
        .at(
            "/operator/cities/:slug/archive",
            get(web::operator_archive::download),
        )
        .at(
            "/operator/cities/:slug",
            get(web::operator::city).post(web::operator::city_submit),
        )
        .at("/t/:slug/logo", get(web::site::logo))
        .at("/t/:slug/lang", get(web::site::switch_language))
        .at("/t/:slug/robots.txt", get(web::site::robots))
        .at("/t/:slug/sitemap.xml", get(web::site::sitemap))
        .at("/*rest", web::pages::fallback)
        .around(web::cache::serve)
        .around(crate::http_metrics::record)
        .around(web::site::route_by_host)
        .around(authenticate)
        .data(state)
        .around(crate::telemetry::log_request)
        .around(|ep, req| async move {
            Ok(match ep.call(req).await {
                Ok(resp) => resp.into_response(),
                Err(error) => api::error::json_error_response(error),
            })
        })
}

/// Refuse bodies over `max` bytes with 413, whether or not the client said
/// the length up front.
async fn limit_body<E: Endpoint>(
    ep: Arc<E>,
    mut req: poem::Request,
    max: usize,
) -> poem::Result<poem::Response> {
    let too_large = || {
        poem::Error::from_string(
            format!("the request body is larger than the limit of {max} bytes"),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        // The unread body stays on the connection, so close it rather than
        // let the client send its next request behind it.
        Some(len) if len > max => {
            return Ok(api::error::json_error_response(too_large())
                .with_header(header::CONNECTION, "close")
                .into_response());
        }
        Some(_) => {}
        None if req.headers().contains_key(header::TRANSFER_ENCODING) => {
            let body = req
                .take_body()
                .into_bytes_limit(max)
                .await
                .map_err(|_| too_large())?;
            req.set_body(body);
        }
        None => {}
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

/// Find who the request acts for (API key or session cookie) and put the
/// request context into its extensions. Unsafe API requests made with the
/// session cookie must carry the session's CSRF token.
async fn authenticate<E: Endpoint>(
    ep: Arc<E>,
    mut req: poem::Request,
) -> poem::Result<poem::Response> {
    let Some(state) = req.data::<ServerState>().cloned() else {
        return Err(poem::Error::from_string(
            "no application state",
            StatusCode::INTERNAL_SERVER_ERROR,
        ));
    };
    let ip = crate::request::client_ip(&req, &state.config);
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let cookie = crate::request::cookie(&req, access::ctx::SESSION_COOKIE);
    let resolved =
        access::ctx::resolve(&state, authorization, cookie.as_deref(), chrono::Utc::now()).await;
    let (principal, session) = match resolved {
        Ok(found) => found,
        Err(e) => return Ok(api::error::ApiError::from(e).into_response()),
    };
    let unsafe_method = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    if let Some((_, csrf)) = &session
        && unsafe_method
        && req.uri().path().starts_with("/api/")
    {
        let sent = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !access::tokens::constant_time_eq(sent, csrf) {
            return Ok(
                api::error::ApiError::from(minsheng_domain::Error::Forbidden(
                    "send the session's CSRF token in the X-CSRF-Token header".into(),
                ))
                .into_response(),
            );
        }
    }
    let ctx = access::Ctx::request(state.app, principal, ip, session);
    req.extensions_mut().insert(ctx);
    ep.call(req).await.map(IntoResponse::into_response)
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = cli::open_store(&config).await?;
    let unknown = store.unknown_migrations().await?;
    if !unknown.is_empty() {
        anyhow::bail!(
            "the database schema is newer than this minsheng {}: it has migrations this build does not know ({}). \
             Run the version that applied them (or newer); this one would misread the data",
            env!("CARGO_PKG_VERSION"),
            unknown.join(", ")
        );
    }
    // Migrate only when something is pending: the runtime role of a
    // production deployment may not create tables (`minsheng migrate` runs
    // as the owner in a release step).
    if !store.pending_migrations().await?.is_empty() {
        store.migrate().await?;
    }
    // Cases without search rows (written before the index existed, or
    // imported): indexed before listening, with progress, when few; in the
    // background otherwise.
    let missing = minsheng_app::services::search::missing(&store).await?;
    if missing > 0 && missing <= 20_000 {
        let n = minsheng_app::services::search::backfill(
            &store,
            None,
            cli::search_progress("search index"),
        )
        .await?;
        eprintln!();
        println!("indexed {n} case(s) for search");
    } else if missing > 0 {
        let store = store.clone();
        println!("indexing {missing} case(s) for search in the background");
        tokio::spawn(async move {
            match minsheng_app::services::search::backfill(&store, None, |_, _| {}).await {
                Ok(n) => tracing::info!(cases = n, "search index backfilled"),
                Err(e) => tracing::error!(error = %e, "search backfill failed"),
            }
        });
    }
    let loaded = if config.load_demo_tenants {
        load_bundles_if_empty(&store, &config.tenants_dir).await?
    } else {
        Vec::new()
    };
    let demo_cases = config.demo_cases;
    let (listen, dev_open_admin, database) = (
        config.listen,
        config.dev_open_admin,
        config.database_url_redacted(),
    );
    let state = ServerState::new(config, store).await?;
    if crate::telemetry::exporting() {
        minsheng_app::metrics::export_to_otel(&state.metrics, &state.store);
    }
    // Generate the demo history before listening, so the printed address
    // answers at once.
    if demo_cases > 0 && !loaded.is_empty() {
        println!("generating demo history ({demo_cases} cases per city) …");
        for slug in &loaded {
            let tenant = services::tenants::find(state.store.db(), slug).await?;
            cli::seed_demo(&state, &tenant, demo_cases, 2014, 4).await?;
            cli::seed_campaign(&state, &tenant).await?;
        }
    }
    // The planner's statistics, now and hourly as the city grows.
    let store = state.store.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = store.optimize().await {
                tracing::warn!(error = %e, "could not refresh the planner's statistics");
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", listen))?;
    if let Some(at) = state.config.metrics_listen {
        let metrics_listener = tokio::net::TcpListener::bind(at)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {at}: {e}"))?;
        println!(
            "  metrics: http://{}/metrics",
            metrics_listener.local_addr()?
        );
        let scrape_state = state.clone();
        let metrics_app = Route::new().at(
            "/metrics",
            get(poem::endpoint::make(move |_| {
                let state = scrape_state.clone();
                async move {
                    poem::Response::builder()
                        .content_type("text/plain; version=0.0.4; charset=utf-8")
                        .body(minsheng_app::metrics::scrape(&state).await)
                }
            })),
        );
        let acceptor = TcpAcceptor::from_tokio(metrics_listener)?;
        tokio::spawn(Server::new_with_acceptor(acceptor).run(metrics_app));
    }
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    println!("Minsheng {} listening on {base}", env!("CARGO_PKG_VERSION"));
    println!("  database: {}", database);
    for t in services::tenants::list(&state.store).await? {
        println!("  {}: {base}/t/{}/", t.name, t.slug);
        for host in &t.hosts {
            println!("      also http://{host}:{}/", addr.port());
        }
    }
    println!("  API docs: {base}/api/docs");
    if dev_open_admin {
        println!("  warning: the admin API is open to everyone (MINSHENG_DEV_OPEN_ADMIN)");
    }
    state.policy.watch(Duration::from_secs(1));
    // The escalation worker stops with the server, after the step in hand.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = state.config.worker.then(|| {
        let lease =
            chrono::Duration::seconds(i64::try_from(state.config.worker_lease_secs).unwrap_or(30));
        let poll = Duration::from_millis(state.config.worker_poll_ms);
        tokio::spawn(services::escalation::work(
            state.app.clone(),
            services::escalation::Worker::new(lease),
            poll,
            stopped,
        ))
    });
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    // On SIGTERM: unready first, keep serving for `shutdown_delay_secs`
    // while load balancers notice, then stop accepting and finish what is
    // in flight.
    let draining = state.draining.clone();
    let delay = Duration::from_secs(state.config.shutdown_delay_secs);
    let stopping = async move {
        shutdown_signal().await;
        draining.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            delay_secs = delay.as_secs(),
            "shutting down: unready, then draining"
        );
        tokio::time::sleep(delay).await;
    };
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(build(state), stopping, Some(Duration::from_secs(20)))
        .await?;
    let _ = stop.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Load every bundle folder under `dir` into a database that has no city yet.
/// Returns the slugs of the cities it loaded.
async fn load_bundles_if_empty(store: &Store, dir: &Path) -> anyhow::Result<Vec<String>> {
    if minsheng_store::queries::tenants::count(store.db()).await? > 0 {
        return Ok(Vec::new());
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        println!(
            "no tenant bundles at {}; starting with no city",
            dir.display()
        );
        return Ok(Vec::new());
    };
    let mut folders: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(bundle::format::TENANT_FILE).is_file())
        .collect();
    folders.sort();
    let mut loaded = Vec::new();
    for folder in folders {
        println!("loading demo city from {}", folder.display());
        let bundle = bundle::format::Bundle::read(&folder)?;
        bundle::apply::apply(store, &bundle, false).await?;
        loaded.push(bundle.tenant.slug);
    }
    Ok(loaded)
}
