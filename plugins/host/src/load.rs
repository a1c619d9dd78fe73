//! Checking an uploaded component and calling it.

use crate::bindings::escalation::EscalationRulePre;
use crate::bindings::intake::IntakeRulePre;
use crate::bindings::types::{
    Descriptor, EscalationDecision, EscalationInput, Hook, IntakeDecision, IntakeInput,
};
use crate::engine::Host;
use crate::limits::Limits;
use crate::run::{self, Failure, Lookups, NoLookups, Outcome};
use crate::session::Session;
use crate::validate::Directory;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use wasmtime::component::Component;

/// The version of `minsheng:rules` this host implements.
pub const WIT_VERSION: (u64, u64, u64) = (1, 0, 0);

/// Largest component accepted.
pub const MAX_COMPONENT_BYTES: usize = 8 << 20;

/// Interfaces a guest may import besides our own `host`: the harmless parts
/// of WASI that Rust's standard library links (stdio is captured, the clock
/// is fixed, randomness is deterministic). Files, sockets and HTTP are not
/// granted.
const GRANTED_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
];

/// Why an upload was refused. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the component is {0} bytes; the limit is {MAX_COMPONENT_BYTES}")]
    TooLarge(usize),
    #[error("{0}")]
    NotAComponent(String),
    #[error("{0}")]
    Incompatible(String),
    #[error(
        "the component imports {0}, which Minsheng does not grant to rules (no files, network or HTTP); remove the dependency that needs it"
    )]
    ImportNotGranted(String),
    #[error("the component does not compile: {0}")]
    Compile(String),
    #[error(
        "compiling the component took longer than {0} s, the limit; make it smaller (fewer functions, fewer locals per function)"
    )]
    CompileTimeout(f64),
    #[error(
        "compiling the component needed more than {0} MiB of memory, the limit; make it smaller (fewer functions, fewer locals per function)"
    )]
    CompileMemory(u64),
    /// The server's own trouble, not the component's.
    #[error("{0}")]
    Server(String),
    #[error("describe() failed: {0}")]
    Describe(Failure),
    #[error("the descriptor is invalid: {0}")]
    Descriptor(String),
}

enum Pre {
    Intake(IntakeRulePre<run::CallState>),
    Escalation(EscalationRulePre<run::CallState>),
}

/// A checked, compiled rule ready to be called.
pub struct Plugin {
    host: Arc<Host>,
    pre: Pre,
    /// Hex SHA-256 of the component's bytes.
    pub hash: String,
    pub descriptor: Descriptor,
    /// The `minsheng:rules` version the component was built against.
    pub wit_version: String,
}

impl Plugin {
    /// Check and compile a component. Compiled code comes from the host's
    /// disk cache when the same bytes were compiled before.
    /// In this process, without bounds: for an author's own machine
    /// (`minsheng plugin run`) and tests. The server compiles uploads with
    /// [`crate::compile_in_child`] and loads them with
    /// [`Plugin::load_compiled`].
    pub fn load(host: &Arc<Host>, bytes: &[u8]) -> Result<Self, LoadError> {
        if bytes.len() > MAX_COMPONENT_BYTES {
            return Err(LoadError::TooLarge(bytes.len()));
        }
        kind_check(bytes)?;
        let component = Component::new(&host.engine, bytes)
            .map_err(|e| LoadError::Compile(format!("{e:#}")))?;
        Self::checked(host, content_hash(bytes), component)
    }

    /// Check and load a component from the artifact a compiling child
    /// made of it ([`crate::compile_in_child`]); `hash` is the
    /// [`content_hash`] of the component's bytes.
    pub fn load_compiled(
        host: &Arc<Host>,
        hash: String,
        artifact: &[u8],
    ) -> Result<Self, LoadError> {
        #[allow(unsafe_code)]
        // SAFETY: wasmtime runs the machine code in an artifact as it is,
        // so an artifact must come from a trusted compiler. These come only
        // from our own compiling child (the same executable, the same
        // engine settings) through a pipe or from the server's own cache
        // folder; tenants' precompiled code is refused at upload
        // (`kind_check`). wasmtime still checks the header, version and
        // engine settings.
        let component = unsafe { Component::deserialize(&host.engine, artifact) }.map_err(|e| {
            LoadError::Server(format!("the compiled artifact does not load: {e:#}"))
        })?;
        Self::checked(host, hash, component)
    }

    fn checked(host: &Arc<Host>, hash: String, component: Component) -> Result<Self, LoadError> {
        let ty = component.component_type();
        let mut hook = None;
        let mut wit_version = String::new();
        let mut exports = Vec::new();
        for (name, _) in ty.exports(&host.engine) {
            exports.push(name.to_string());
            for (interface, h) in [
                ("minsheng:rules/intake", Hook::Intake),
                ("minsheng:rules/escalation", Hook::Escalation),
            ] {
                if let Some(version) = name
                    .strip_prefix(interface)
                    .and_then(|v| v.strip_prefix('@'))
                {
                    compatible(version)?;
                    if hook.is_some() {
                        return Err(LoadError::Incompatible(
                            "the component exports both the intake and the escalation interface; make one rule per component".into(),
                        ));
                    }
                    hook = Some(h);
                    wit_version = version.to_string();
                } else if name == interface {
                    return Err(LoadError::Incompatible(format!(
                        "{interface} is exported without a version; build against the versioned WIT in plugins/wit"
                    )));
                }
            }
        }
        let Some(hook) = hook else {
            return Err(LoadError::Incompatible(format!(
                "the component exports neither minsheng:rules/intake nor minsheng:rules/escalation (it exports: {}); build it with the Minsheng rule SDK",
                if exports.is_empty() {
                    "nothing".to_string()
                } else {
                    exports.join(", ")
                }
            )));
        };
        for (name, _) in ty.imports(&host.engine) {
            let unversioned = name.split('@').next().unwrap_or(name);
            if unversioned == "minsheng:rules/host" || unversioned == "minsheng:rules/types" {
                if let Some(version) = name.split('@').nth(1) {
                    compatible(version)?;
                }
                continue;
            }
            if !GRANTED_WASI.contains(&unversioned) {
                return Err(LoadError::ImportNotGranted(name.to_string()));
            }
        }
        let instance_pre = host.linker.instantiate_pre(&component).map_err(|e| {
            LoadError::Incompatible(format!("its imports do not match this server: {e:#}"))
        })?;
        let pre = match hook {
            Hook::Intake => Pre::Intake(
                IntakeRulePre::new(instance_pre)
                    .map_err(|e| LoadError::Incompatible(format!("{e:#}")))?,
            ),
            Hook::Escalation => Pre::Escalation(
                EscalationRulePre::new(instance_pre)
                    .map_err(|e| LoadError::Incompatible(format!("{e:#}")))?,
            ),
        };
        let mut plugin = Self {
            host: host.clone(),
            pre,
            hash,
            descriptor: Descriptor {
                name: String::new(),
                version: String::new(),
                hook,
                config_schema: String::new(),
                needs: Vec::new(),
                summary: String::new(),
                fail_closed: false,
            },
            wit_version,
        };
        // Loading runs off the async workers (it deserializes machine
        // code), so waiting here holds up no one.
        let described = futures_executor::block_on(plugin.describe(&Limits::default()));
        let descriptor = described.result.map_err(LoadError::Describe)?;
        check_descriptor(&descriptor, hook)?;
        plugin.descriptor = descriptor;
        Ok(plugin)
    }

    pub fn hook(&self) -> Hook {
        self.descriptor.hook
    }

    async fn describe(&self, limits: &Limits) -> Outcome<Descriptor> {
        let limits = limits.capped_by(&self.host.maxima);
        let mut session = Session::new(&self.host, 1);
        let started = session.begin(&limits, Arc::new(NoLookups));
        let store = &mut session.store;
        let result = match &self.pre {
            Pre::Intake(pre) => match pre.instantiate_async(&mut *store).await {
                Ok(r) => r.minsheng_rules_intake().call_describe(store).await,
                Err(e) => Err(e),
            },
            Pre::Escalation(pre) => match pre.instantiate_async(&mut *store).await {
                Ok(r) => r.minsheng_rules_escalation().call_describe(store).await,
                Err(e) => Err(e),
            },
        };
        session.finish(&limits, started, result.map(Ok))
    }

    /// Run an intake rule whose input carries the whole directory, in a
    /// store of its own. The decision is returned as the rule gave it,
    /// after [`crate::check_intake`] found it valid.
    pub async fn intake(
        &self,
        input: &IntakeInput,
        limits: &Limits,
        lookups: Arc<dyn Lookups>,
    ) -> Outcome<IntakeDecision> {
        self.intake_alone(input, Directory::of(input), limits, lookups)
            .await
    }

    /// [`Plugin::intake_in`] in a store of its own.
    pub async fn intake_alone(
        &self,
        input: &IntakeInput,
        directory: Directory<'_>,
        limits: &Limits,
        lookups: Arc<dyn Lookups>,
    ) -> Outcome<IntakeDecision> {
        let mut session = Session::new(&self.host, 1);
        self.intake_in(&mut session, input, directory, limits, lookups)
            .await
    }

    /// Run an intake rule in a fresh instance in `session`'s store; its
    /// input carries only the directory lists it declared, and its
    /// decision is checked against the whole `directory`.
    pub async fn intake_in(
        &self,
        session: &mut Session,
        input: &IntakeInput,
        directory: Directory<'_>,
        limits: &Limits,
        lookups: Arc<dyn Lookups>,
    ) -> Outcome<IntakeDecision> {
        let limits = limits.capped_by(&self.host.maxima);
        let started = session.begin(&limits, lookups);
        let result = match &self.pre {
            Pre::Intake(pre) => match pre.instantiate_async(&mut session.store).await {
                Ok(r) => r
                    .minsheng_rules_intake()
                    .call_decide(&mut session.store, input)
                    .await
                    .map(|r| r.map_err(Failure::from)),
                Err(e) => Ok(Err(session.not_started(&e))),
            },
            Pre::Escalation(_) => Ok(Err(Failure::Instantiate(
                "this is an escalation rule, not an intake rule".into(),
            ))),
        };
        let mut outcome = session.finish(&limits, started, result);
        outcome.result = outcome.result.and_then(|d| {
            crate::validate::check_intake(directory, input, &d).map_err(Failure::Invalid)?;
            Ok(d)
        });
        outcome
    }

    /// Run an escalation rule in a fresh instance in `session`'s store;
    /// its actions are checked against the city's `departments` (the
    /// input carries them only when declared).
    pub async fn escalation(
        &self,
        session: &mut Session,
        input: &EscalationInput,
        departments: &[crate::bindings::types::Department],
        limits: &Limits,
        lookups: Arc<dyn Lookups>,
    ) -> Outcome<EscalationDecision> {
        let limits = limits.capped_by(&self.host.maxima);
        let started = session.begin(&limits, lookups);
        let result = match &self.pre {
            Pre::Escalation(pre) => match pre.instantiate_async(&mut session.store).await {
                Ok(r) => r
                    .minsheng_rules_escalation()
                    .call_on_event(&mut session.store, input)
                    .await
                    .map(|r| r.map_err(Failure::from)),
                Err(e) => Ok(Err(session.not_started(&e))),
            },
            Pre::Intake(_) => Ok(Err(Failure::Instantiate(
                "this is an intake rule, not an escalation rule".into(),
            ))),
        };
        let mut outcome = session.finish(&limits, started, result);
        outcome.result = outcome.result.and_then(|d| {
            crate::validate::check_escalation(departments, &d).map_err(Failure::Invalid)?;
            Ok(d)
        });
        outcome
    }

    /// The host this plugin runs on (for a [`Session`] of its chain).
    pub fn host(&self) -> &Arc<Host> {
        &self.host
    }
}

/// Hex SHA-256 of a component: the key compiled code is cached by.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A component, not a core module or a precompiled artifact.
pub(crate) fn kind_check(bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"\xcf\xfa\xed\xfe") {
        return Err(LoadError::NotAComponent(
            "precompiled code is never accepted; upload the .wasm component and the server compiles it".into(),
        ));
    }
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => Ok(()),
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => Err(LoadError::NotAComponent(
            "this is a core WebAssembly module, not a component; build with `cargo build --target wasm32-wasip2`".into(),
        )),
        _ => Err(LoadError::NotAComponent(
            "this is not a WebAssembly component (it does not start with \\0asm); upload the .wasm file cargo built".into(),
        )),
    }
}

/// Same major version, and a minor version no newer than ours.
fn compatible(version: &str) -> Result<(), LoadError> {
    let (major, minor, _) = WIT_VERSION;
    let ours = format!("{}.{}.{}", WIT_VERSION.0, WIT_VERSION.1, WIT_VERSION.2);
    let mut parts = version.split(['.', '-', '+']).map(|p| p.parse::<u64>());
    let (Some(Ok(their_major)), Some(Ok(their_minor))) = (parts.next(), parts.next()) else {
        return Err(LoadError::Incompatible(format!(
            "minsheng:rules@{version} is not a version"
        )));
    };
    if their_major != major || their_minor > minor {
        return Err(LoadError::Incompatible(format!(
            "the rule was built against minsheng:rules@{version}, but this server implements minsheng:rules@{ours}; \
             it accepts {major}.x up to {major}.{minor}. Rebuild the rule with an SDK for {major}.{minor} or upgrade the server"
        )));
    }
    Ok(())
}

fn check_descriptor(d: &Descriptor, hook: Hook) -> Result<(), LoadError> {
    let name_ok = (2..=64).contains(&d.name.len())
        && d.name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && d.name.starts_with(|c: char| c.is_ascii_lowercase());
    if !name_ok {
        return Err(LoadError::Descriptor(format!(
            "name {:?} must be 2 to 64 lowercase letters, digits and dashes, starting with a letter",
            d.name
        )));
    }
    let mut parts = d.version.split('.');
    let semver = (0..3).all(|_| {
        parts
            .next()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }) && parts.next().is_none();
    if !semver {
        return Err(LoadError::Descriptor(format!(
            "version {:?} must look like 1.2.3",
            d.version
        )));
    }
    if d.hook != hook {
        return Err(LoadError::Descriptor(format!(
            "describe() says hook {:?} but the component exports the {:?} interface",
            d.hook, hook
        )));
    }
    crate::schema::check_schema(&d.config_schema)
        .map_err(|e| LoadError::Descriptor(format!("config-schema: {e}")))?;
    if d.summary.chars().count() > 200 {
        return Err(LoadError::Descriptor(
            "summary is longer than 200 characters".into(),
        ));
    }
    Ok(())
}
