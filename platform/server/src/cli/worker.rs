//! `minsheng worker`: the escalation worker without the web server.

use super::open_store;
use crate::app;
use minsheng_app::config::Config;
use minsheng_app::services;

/// `minsheng worker`: once, or until a shutdown signal.
pub(super) async fn worker(
    config: Config,
    once: bool,
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let lease = chrono::Duration::seconds(i64::try_from(config.worker_lease_secs).unwrap_or(30));
    let poll = std::time::Duration::from_millis(config.worker_poll_ms);
    let state = minsheng_app::App::new(config, store).await?;
    let worker = services::escalation::Worker::new(lease);
    if once {
        let now = move || at.map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
        let pass = services::escalation::run_due(&state, &worker, now).await?;
        let bulletins = services::bulletins::publish_due(&state, now()).await?;
        let sent = services::notify::deliver_due(&state, &worker, now()).await?;
        let scanned = services::cases::scan_due(&state.store).await?;
        println!(
            "{} escalation step(s) applied, {} skipped, {} bulletin(s) published, {} message(s) sent, \
             {} case(s) scanned for duplicates",
            pass.fired, pass.skipped, bulletins, sent, scanned
        );
        return Ok(());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        app::shutdown_signal().await;
        let _ = stop.send(true);
    });
    services::escalation::work(state, worker, poll, stopped).await;
    Ok(())
}
