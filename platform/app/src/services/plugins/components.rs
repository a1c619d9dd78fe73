//! Compiled rule components.
//!
//! An uploaded component is compiled in a child process under a memory
//! and a time limit (one compile per city at a time, a few across the
//! process), and kept only once its upload is saved: on disk by content
//! hash, and in memory up to a byte budget, the least recently used
//! dropped first. A stored component with no compiled copy (a restart on
//! a new machine, a new engine) is compiled in the background; until it
//! is ready, the rule is skipped as a failed one. Nothing is ever compiled
//! on a citizen's submission.

use crate::services::plugins::chains::LoadFailure;
use minsheng_domain::Error;
use minsheng_plugin_host::{Compiler, Host, LoadError, Plugin, compile_in_child, content_hash};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

/// A component compiled for an upload, not kept yet.
pub struct Fresh {
    pub plugin: Plugin,
    /// `None` when the same bytes were compiled here before (on disk).
    pub artifact: Option<Vec<u8>>,
    /// How long compiling took and the compiler's peak memory.
    pub duration: std::time::Duration,
    pub peak_memory: u64,
}

/// Where a stored component stands.
pub enum Ready {
    Yes(Arc<Plugin>),
    /// Not compiled here yet, or refused: why, for the timeline.
    No(String),
}

struct Entry {
    plugin: Arc<Plugin>,
    size: u64,
    used: u64,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<String, Entry>,
    bytes: u64,
    tick: u64,
}

/// The process's compiled components.
pub struct Components {
    compiler: Compiler,
    dir: PathBuf,
    budget: u64,
    memory: Mutex<Lru>,
    /// One compile per city at a time.
    cities: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    slots: tokio::sync::Semaphore,
    /// Stored components being compiled in the background.
    pending: Mutex<HashSet<String>>,
    /// Stored components the compiler refused, with why.
    refused: Mutex<HashMap<String, String>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Components {
    pub fn new(config: &crate::config::Config) -> Self {
        Self {
            compiler: config.plugin_compiler(),
            dir: config.plugin_cache_dir().join("compiled"),
            budget: config.plugin_cache_mib.max(1) << 20,
            memory: Mutex::default(),
            cities: Mutex::default(),
            slots: tokio::sync::Semaphore::new(config.plugin_compile_concurrency.max(1)),
            pending: Mutex::default(),
            refused: Mutex::default(),
        }
    }

    /// Compile and check an upload in the child, one per city at a time.
    /// Nothing is kept: see [`Components::admit`].
    pub async fn compile(
        &self,
        host: &Arc<Host>,
        tenant: Uuid,
        bytes: Vec<u8>,
    ) -> Result<Fresh, LoadFailure> {
        let city = locked(&self.cities).entry(tenant).or_default().clone();
        let _city = city.lock().await;
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| LoadFailure::Server(Error::internal(e)))?;
        let compiler = self.compiler.clone();
        let host = host.clone();
        let kept = self.path(&content_hash(&bytes));
        tokio::task::spawn_blocking(move || {
            let hash = content_hash(&bytes);
            // The same bytes compiled here before (another city's upload).
            if let Ok(artifact) = std::fs::read(&kept)
                && let Ok(plugin) = Plugin::load_compiled(&host, hash.clone(), &artifact)
            {
                return Ok(Fresh {
                    plugin,
                    artifact: None,
                    duration: std::time::Duration::ZERO,
                    peak_memory: 0,
                });
            }
            let compiled = compile_in_child(&compiler, &bytes)?;
            let plugin = Plugin::load_compiled(&host, hash, &compiled.artifact)?;
            Ok(Fresh {
                plugin,
                artifact: Some(compiled.artifact),
                duration: compiled.duration,
                peak_memory: compiled.peak_memory,
            })
        })
        .await
        .map_err(|e| LoadFailure::Server(Error::internal(e)))?
        .map_err(|e| match e {
            LoadError::Server(why) => {
                LoadFailure::Server(Error::internal(format!("compiling a rule: {why}")))
            }
            refused => LoadFailure::Refused(refused),
        })
    }

    /// Keep a compiled upload once it is saved: on disk and in memory.
    pub fn admit(&self, fresh: Fresh) -> Arc<Plugin> {
        let hash = fresh.plugin.hash.clone();
        let size = match &fresh.artifact {
            Some(artifact) => {
                if let Err(e) = self.write(&hash, artifact) {
                    tracing::warn!(error = %e, hash, "could not keep a compiled rule on disk");
                }
                artifact.len() as u64
            }
            None => std::fs::metadata(self.path(&hash)).map_or(0, |m| m.len()),
        };
        locked(&self.refused).remove(&hash);
        let plugin = Arc::new(fresh.plugin);
        self.keep(plugin.clone(), size);
        plugin
    }

    fn path(&self, hash: &str) -> PathBuf {
        // Hashes are hex; anything else never names a file.
        let name: String = hash.chars().filter(char::is_ascii_alphanumeric).collect();
        self.dir.join(format!("{name}.cwasm"))
    }

    fn write(&self, hash: &str, artifact: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(hash);
        let partial = path.with_extension(format!("partial-{}", Uuid::now_v7().simple()));
        std::fs::write(&partial, artifact)?;
        std::fs::rename(&partial, &path)
    }

    fn keep(&self, plugin: Arc<Plugin>, size: u64) {
        let mut lru = locked(&self.memory);
        lru.tick += 1;
        let used = lru.tick;
        if let Some(old) = lru
            .entries
            .insert(plugin.hash.clone(), Entry { plugin, size, used })
        {
            lru.bytes -= old.size;
        }
        lru.bytes += size;
        while lru.bytes > self.budget && lru.entries.len() > 1 {
            let Some(oldest) = lru
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(h, _)| h.clone())
            else {
                break;
            };
            if let Some(e) = lru.entries.remove(&oldest) {
                lru.bytes -= e.size;
            }
        }
    }

    /// Bytes of compiled code kept in memory, and how many components.
    pub fn resident(&self) -> (u64, usize) {
        let lru = locked(&self.memory);
        (lru.bytes, lru.entries.len())
    }

    /// Drop a component from memory (a version was deleted). Its file
    /// stays: another city may keep the same bytes.
    pub fn discard(&self, hash: &str) {
        let mut lru = locked(&self.memory);
        if let Some(e) = lru.entries.remove(hash) {
            lru.bytes -= e.size;
        }
    }

    /// The compiled component, from memory or from its file, without
    /// compiling.
    pub async fn ready(&self, host: &Arc<Host>, hash: &str) -> Ready {
        {
            let mut lru = locked(&self.memory);
            lru.tick += 1;
            let tick = lru.tick;
            if let Some(e) = lru.entries.get_mut(hash) {
                e.used = tick;
                return Ready::Yes(e.plugin.clone());
            }
        }
        if let Some(why) = locked(&self.refused).get(hash) {
            return Ready::No(format!("the stored component was refused: {why}"));
        }
        let path = self.path(hash);
        let host = host.clone();
        let owned = hash.to_owned();
        let loaded = tokio::task::spawn_blocking(move || {
            let artifact = std::fs::read(&path).ok()?;
            match Plugin::load_compiled(&host, owned, &artifact) {
                Ok(p) => Some((p, artifact.len() as u64)),
                Err(e) => {
                    // Made by another engine: compiled again.
                    tracing::info!(error = %e, path = %path.display(), "a compiled rule is stale");
                    let _ = std::fs::remove_file(&path);
                    None
                }
            }
        })
        .await
        .ok()
        .flatten();
        match loaded {
            Some((plugin, size)) => {
                let plugin = Arc::new(plugin);
                self.keep(plugin.clone(), size);
                Ready::Yes(plugin)
            }
            None => Ready::No(
                "the component is being compiled on this server; the rule is skipped until it is ready"
                    .into(),
            ),
        }
    }

    /// Compile a stored component in the background (once at a time).
    pub fn schedule(self: &Arc<Self>, host: &Arc<Host>, tenant: Uuid, bytes: Vec<u8>) {
        let hash = content_hash(&bytes);
        if locked(&self.refused).contains_key(&hash) || !locked(&self.pending).insert(hash.clone())
        {
            return;
        }
        let me = self.clone();
        let host = host.clone();
        tokio::spawn(async move {
            match me.compile(&host, tenant, bytes).await {
                Ok(fresh) => {
                    me.admit(fresh);
                    tracing::info!(hash, "stored rule compiled");
                }
                Err(LoadFailure::Refused(e)) => {
                    tracing::warn!(hash, error = %e, "a stored rule was refused by the compiler");
                    locked(&me.refused).insert(hash.clone(), e.to_string());
                }
                Err(LoadFailure::Server(e)) => {
                    tracing::warn!(hash, error = %e, "a stored rule could not be compiled");
                }
            }
            locked(&me.pending).remove(&hash);
        });
    }

    /// Whether a background compile is under way.
    pub fn compiling(&self, hash: &str) -> bool {
        locked(&self.pending).contains(hash)
    }
}
