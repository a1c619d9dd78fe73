//! Host bindings generated from `plugins/wit`. Generated types derive serde,
//! so decisions can be stored on the timeline and cases read from JSON by
//! `minsheng plugin run`.

#![allow(missing_docs, clippy::all)]

pub mod intake {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "intake-rule",
        additional_derives: [serde::Serialize, serde::Deserialize],
    });
}

pub mod escalation {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "escalation-rule",
        with: {
            "minsheng:rules/types": super::intake::minsheng::rules::types,
            "minsheng:rules/host": super::intake::minsheng::rules::host,
        },
    });
}

pub use intake::minsheng::rules::host as host_api;
pub use intake::minsheng::rules::types;
