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

/// Components made to be expensive to compile, as an attacker with a city
/// administrator's rights would upload them. Neither is a rule: a server
/// that compiled them would refuse them only after paying for it.
pub mod bombs {
    use wasm_encoder::{
        CodeSection, Component, ExportKind, ExportSection, Function, FunctionSection, Instruction,
        Module, ModuleSection, TypeSection, ValType,
    };

    fn component(module: &Module) -> Vec<u8> {
        let mut component = Component::new();
        component.section(&ModuleSection(module));
        component.finish()
    }

    /// One function with `locals` 64-bit locals, all live across `blocks`
    /// nested blocks and loops: the register allocator's worst case.
    pub fn live_locals(locals: u32, blocks: u32) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I64]);
        let mut functions = FunctionSection::new();
        functions.function(0);
        let mut f = Function::new([(locals, ValType::I64)]);
        for b in 0..blocks {
            f.instruction(&Instruction::Block(wasm_encoder::BlockType::Empty));
            // Each block writes a few locals from others, so all of them
            // stay live to the end.
            for k in 0..4u32 {
                let i = (b * 7 + k * 13) % locals;
                let j = (b * 11 + k * 17 + 1) % locals;
                f.instruction(&Instruction::LocalGet(i));
                f.instruction(&Instruction::LocalGet(j));
                f.instruction(&Instruction::I64Add);
                f.instruction(&Instruction::LocalSet((i + j) % locals));
            }
            f.instruction(&Instruction::LocalGet(b % locals));
            f.instruction(&Instruction::I64Eqz);
            f.instruction(&Instruction::BrIf(0));
        }
        for _ in 0..blocks {
            f.instruction(&Instruction::End);
        }
        f.instruction(&Instruction::I64Const(0));
        for i in 0..locals {
            f.instruction(&Instruction::LocalGet(i));
            f.instruction(&Instruction::I64Add);
        }
        f.instruction(&Instruction::End);
        let mut code = CodeSection::new();
        code.function(&f);
        let mut exports = ExportSection::new();
        exports.export("f", ExportKind::Func, 0);
        let mut module = Module::new();
        module
            .section(&types)
            .section(&functions)
            .section(&exports)
            .section(&code);
        component(&module)
    }

    /// `count` empty functions.
    pub fn many_functions(count: u32) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        let mut empty = Function::new([]);
        empty.instruction(&Instruction::End);
        for _ in 0..count {
            functions.function(0);
            code.function(&empty);
        }
        let mut module = Module::new();
        module.section(&types).section(&functions).section(&code);
        component(&module)
    }
}
