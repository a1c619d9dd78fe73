//! The `minsheng` command.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A compiling child for one uploaded rule: no runtime, no config, no
    // database; the component comes on stdin, the artifact goes to stdout.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == minsheng_server::COMPILE_RULE)
    {
        let code = minsheng_plugin_host::child_main();
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = minsheng_server::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(minsheng_server::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
