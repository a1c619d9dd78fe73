//! Load for the HTTP benchmarks: `CLIENTS` keep-alive clients over
//! loopback, requests per second and p99 latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const CLIENTS: usize = 16;
pub const SECONDS: f64 = 2.0;

/// Requests per second and p99 latency for `url` with `CLIENTS` clients for
/// `SECONDS` (`cookie` may be empty); every answer must be a 200 containing `marker`.
pub async fn measure(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    marker: &'static str,
) -> (f64, f64) {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(SECONDS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, done, cookie) = (
            client.clone(),
            url.to_owned(),
            done.clone(),
            cookie.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let at = Instant::now();
                let mut req = client.get(&url);
                if !cookie.is_empty() {
                    req = req.header("cookie", &cookie);
                }
                let resp = req.send().await.expect("request");
                assert_eq!(resp.status().as_u16(), 200, "{url}");
                let body = resp.text().await.expect("body");
                assert!(
                    body.contains(marker),
                    "{url}: {}",
                    &body[..body.len().min(300)]
                );
                latencies.push(at.elapsed().as_secs_f64());
                done.fetch_add(1, Ordering::Relaxed);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(f64::total_cmp);
    let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
    (
        done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64(),
        p99,
    )
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
