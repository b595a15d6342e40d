//! The `piphone` binary: logging, settings, subcommand. Everything else is in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    // `PIPHONE_LOG` under the settings' one rule: `PIPHONE_LOG=""` is the default filter, like every empty setting.
    let filter = piphone::settings::sources::from_process_env("PIPHONE_LOG")
        .and_then(|directives| tracing_subscriber::EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info,sqlx=warn,hyper=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("piphone: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(piphone::cli::run(std::env::args_os())) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("piphone: {e:#}");
            ExitCode::FAILURE
        }
    }
}
