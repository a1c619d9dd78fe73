//! The `minsheng` command.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = minsheng_server::cli::Cli::parse();
    match minsheng_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
