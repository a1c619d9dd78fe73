//! The compiling child, alone (tests of the plugin host); the server
//! runs its own executable in this mode instead.

fn main() -> std::process::ExitCode {
    let code = minsheng_plugin_host::child_main();
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
