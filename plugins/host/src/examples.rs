//! Build the example and hostile plugins from source, for tests and
//! benchmarks (feature `testing`). Nothing prebuilt is ever used.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Build `plugins/examples` for `wasm32-wasip2` once per process and
/// return the folder holding the `.wasm` components. Panics with cargo's
/// output when the build fails (the wasm target missing, say).
pub fn build() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest = root.join("plugins/examples/Cargo.toml");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "--release",
                "--quiet",
                "--target",
                "wasm32-wasip2",
                "--manifest-path",
            ])
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &target)
            // Its .cargo/config.toml applies from inside the folder.
            .current_dir(root.join("plugins/examples"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .expect("run cargo to build the example plugins");
        assert!(
            out.status.success(),
            "building the example plugins failed (is `rustup target add wasm32-wasip2` done?):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        target.join("wasm32-wasip2/release")
    })
}

/// The bytes of one built example, by crate name (`daqing-router`).
pub fn bytes(name: &str) -> Vec<u8> {
    let path = build().join(format!("{}.wasm", name.replace('-', "_")));
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The example's own configuration file, when it has one.
pub fn config(name: &str) -> serde_json::Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{name}/config.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        }
        Err(_) => serde_json::json!({}),
    }
}
