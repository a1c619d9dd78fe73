//! `minsheng plugin …`: scaffold a rule, run it locally on a case, and
//! replay it against a city's stored cases before anyone enables it.

mod new;
mod replay;
mod run;

pub use new::scaffold;
pub use replay::replay;
pub use run::run;

use super::PluginCommand;
use anyhow::Context;
use minsheng_app::bundle::format::Bundle;
use minsheng_app::config::Config;
use minsheng_plugin_host::types::{Category, Department};
use minsheng_plugin_host::{Host, Limits, Plugin};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// Limits given on the command line over the defaults.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct LimitArgs {
    /// Fuel (roughly, instructions) for each call.
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Memory for each call, in MiB.
    #[arg(long)]
    pub memory_mib: Option<usize>,
    /// Wall-clock limit of each call, in milliseconds.
    #[arg(long)]
    pub timeout_ms: Option<u64>,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            fuel: self.fuel.unwrap_or(d.fuel),
            memory_bytes: self.memory_mib.map_or(d.memory_bytes, |m| m << 20),
            timeout_ms: self.timeout_ms.unwrap_or(d.timeout_ms),
            ..d
        }
    }
}

fn host(config: &Config) -> anyhow::Result<Arc<Host>> {
    Host::new(Some(&config.plugin_cache_dir()), config.plugin_maxima())
        .map_err(|e| anyhow::anyhow!("cannot start the plugin engine: {e:#}"))
}

fn load(host: &Arc<Host>, path: &Path) -> anyhow::Result<Plugin> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Plugin::load(host, &bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn read_json(path: Option<&Path>, default: Value) -> anyhow::Result<Value> {
    match path {
        None => Ok(default),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", p.display()))
        }
    }
}

/// The directory a rule sees, from a city's bundle folder.
pub fn directory(bundle: &Bundle) -> (Vec<Department>, Vec<Category>) {
    let departments = bundle
        .departments
        .department
        .iter()
        .filter(|d| d.active)
        .map(|d| Department {
            code: d.code.clone(),
            name: d.name.clone(),
            parent: d.parent.clone(),
        })
        .collect();
    let categories = bundle
        .categories
        .category
        .iter()
        .filter(|c| c.active)
        .map(|c| Category {
            code: c.code.clone(),
            name: c.name.clone(),
            group: c.group.clone(),
            keywords: c.keywords.clone(),
            default_department: c.default_department.clone(),
        })
        .collect();
    (departments, categories)
}

/// Run one `minsheng plugin …` command.
pub(super) async fn command(config: Config, command: PluginCommand) -> anyhow::Result<()> {
    match command {
        PluginCommand::New {
            name,
            hook,
            dir,
            sdk,
        } => {
            let root = scaffold(&name, &hook, dir.as_deref(), sdk.as_deref())?;
            println!("created {} ({hook} rule)", root.display());
            println!("build it: cd {} && cargo build --release", root.display());
            Ok(())
        }
        PluginCommand::Run {
            component,
            case,
            config: rule_config,
            tenant_dir,
            event,
            limits,
        } => {
            // Loading blocks (it compiles the component): off the async
            // threads; the call itself runs on the runtime, as the server's.
            tokio::task::spawn_blocking(move || {
                run(
                    &config,
                    &component,
                    &case,
                    rule_config.as_deref(),
                    &tenant_dir,
                    &event,
                    &limits,
                )
            })
            .await?
        }
        PluginCommand::Replay {
            component,
            tenant,
            since,
            config: rule_config,
            limit,
            limits,
        } => {
            replay(
                config,
                &component,
                &tenant,
                since,
                rule_config.as_deref(),
                limit,
                &limits,
            )
            .await
        }
    }
}
