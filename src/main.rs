//! The `sluice` command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sluice::config::{Config, LogFormat, ServeArgs};
use tracing_subscriber::EnvFilter;

/// Sluice: a SQL-first gateway for data pipelines, speaking the PostgreSQL protocol.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway.
    Serve(ServeArgs),
    /// Re-encrypt every secret of the catalog under a new master key, in one transaction
    /// (stop the gateways that share the catalog first). The current key is read as
    /// `serve` reads it; the new one from SLUICE_NEW_MASTER_KEY or --new-key-file, else a
    /// random one replaces DATA_DIR/master.key.
    RotateMasterKey(RotateArgs),
    /// Write the catalog of a running gateway as SQL files, one per object
    /// (DIR/sources/NAME.sql …), connecting as psql does (--url, else PGHOST, PGPORT,
    /// PGUSER, PGPASSWORD, PGDATABASE). Secrets' values are never written.
    Dump(sluice::client::dump::DumpArgs),
    /// Compare SQL files (or directories of them) with a running gateway's catalog: each
    /// object they declare is to be created (+), altered in place (~), replaced (-/+) or
    /// unchanged (=), with a diff. Exit 0: no changes; 2: changes pending; 1: an error.
    Plan(sluice::client::plan::PlanArgs),
    /// Plan, then make the changes in dependency order (asks first unless --auto-approve).
    Apply(sluice::client::plan::ApplyArgs),
}

#[derive(Debug, clap::Args)]
struct RotateArgs {
    /// File holding the new key (32 bytes in base64 or hex)
    #[arg(long)]
    new_key_file: Option<std::path::PathBuf>,
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Command::Serve(args) => args,
        Command::RotateMasterKey(args) => return rotate_master_key(args),
        Command::Dump(args) => return dump(args),
        Command::Plan(args) => return plan_or_apply("plan", sluice::client::plan::plan(&args)),
        Command::Apply(args) => return plan_or_apply("apply", sluice::client::plan::apply(&args)),
    };
    let config = match Config::resolve(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("sluice: {e}");
            return ExitCode::from(2);
        }
    };
    // The password now lives in `config`; keep it out of the environment that child
    // processes and /proc/PID/environ would show. Still single-threaded here.
    // SAFETY: no other thread exists yet that could read the environment concurrently.
    unsafe {
        std::env::remove_var("SLUICE_PASSWORD");
        std::env::remove_var("SLUICE_MASTER_KEY");
    }
    init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sluice: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            let _ = stop.send(true);
        });
        sluice::server::run(config, stopped).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("sluice: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `sluice rotate-master-key`: prints what was done, or the reason nothing was.
fn rotate_master_key(args: RotateArgs) -> ExitCode {
    let new_key = match &args.new_key_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                eprintln!("sluice: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => std::env::var("SLUICE_NEW_MASTER_KEY").ok(),
    };
    let config = match Config::resolve(args.serve) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("sluice: {e}");
            return ExitCode::from(2);
        }
    };
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| sluice::StartError(format!("cannot start the runtime: {e}")))
        .and_then(|rt| rt.block_on(sluice::master_key::rotate(&config, new_key.as_deref())));
    match result {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sluice: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `sluice dump`: lists what it wrote and removed; exit 1 with the reason on failure.
fn dump(args: sluice::client::dump::DumpArgs) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| sluice::client::ClientError(format!("cannot start the runtime: {e}")))
        .and_then(|rt| rt.block_on(sluice::client::dump::run(&args)));
    match result {
        Ok(dumped) => {
            for file in &dumped.removed {
                println!("removed {file}");
            }
            println!("wrote {} files to {}", dumped.written.len(), args.dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sluice dump: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `sluice plan` / `sluice apply`: exit 0 (no changes), 2 (plan: changes pending), 1 (error).
fn plan_or_apply(
    what: &str,
    work: impl std::future::Future<Output = Result<sluice::client::plan::Outcome, sluice::client::ClientError>>,
) -> ExitCode {
    use sluice::client::plan::Outcome;
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| sluice::client::ClientError(format!("cannot start the runtime: {e}")))
        .and_then(|rt| rt.block_on(work));
    match result {
        Ok(Outcome::NoChanges) => ExitCode::SUCCESS,
        Ok(Outcome::Changes) if what == "plan" => ExitCode::from(2),
        Ok(Outcome::Changes) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sluice {what}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
