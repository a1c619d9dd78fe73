//! The city pages in a real headless Chromium: by path, and by host name
//! (`*.localhost` resolves to this machine in Chromium without DNS).

use crate::on_both_backends;
use crate::support::{Backend, spawn_app};
use tokio::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM Chromium builds for `url`, after running the page.
async fn dump_dom(url: &str) -> String {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "Chromium is needed for page tests: apt-get install chromium (.ci/run does)"
    );
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=en-US",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .await
        .expect("run chromium");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn city_pages_in_browser(backend: Backend) {
    let app = spawn_app(backend).await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();

    let dom = dump_dom(&app.url("/t/daqing/")).await;
    assert!(dom.contains("<title>百湖民声</title>"), "{dom}");
    assert!(
        dom.contains("龙凤区城管局") && dom.contains("暖气不热"),
        "{dom}"
    );

    let dom = dump_dom(&format!("http://springfield.localhost:{port}/")).await;
    assert!(
        dom.contains("Public Works"),
        "Springfield by host name: {dom}"
    );
    assert!(!dom.contains("市热力公司"));

    let dom = dump_dom(&format!("http://nowhere.localhost:{port}/")).await;
    assert!(
        dom.contains("Page not found") || dom.contains("not_found"),
        "{dom}"
    );
}
on_both_backends!(city_pages_in_browser);
