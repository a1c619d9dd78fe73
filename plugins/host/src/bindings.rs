//! Host bindings generated from `plugins/wit`. Generated types derive serde,
//! so decisions can be stored on the timeline and cases read from JSON by
//! `minsheng plugin run`. Exports and imports are async: a rule runs on
//! the caller's task and yields to it (see `run`).

#![allow(missing_docs, clippy::all)]

pub mod intake {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "intake-rule",
        imports: { default: async },
        exports: { default: async },
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

pub mod escalation {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "escalation-rule",
        imports: { default: async },
        exports: { default: async },
        with: {
            "minsheng:rules/types": super::intake::minsheng::rules::types,
            "minsheng:rules/host": super::intake::minsheng::rules::host,
        },
    });
}

pub use intake::minsheng::rules::host as host_api;
pub use intake::minsheng::rules::types;
