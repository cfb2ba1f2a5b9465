//! `schemaflow registry serve`: the embedded Confluent-compatible schema registry.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use schemaflow::registry::server::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

use super::common::{block_on, finish, CliError};

/// `schemaflow registry …`
#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
enum RegistryCommand {
    /// Serve the registry API until Ctrl-C / SIGTERM.
    ///
    /// Example: schemaflow registry serve --listen 127.0.0.1:8081 --data-dir ./registry-data
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Folder for the durable log (every acknowledged write is fsynced); omit for in-memory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Require basic auth on every call.
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "SCHEMAFLOW_REGISTRY_BASIC_AUTH",
        hide_env_values = true
    )]
    basic_auth: Option<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    max_body_bytes: usize,
}

/// Run `registry …`.
pub fn run(args: RegistryArgs) -> ExitCode {
    let RegistryCommand::Serve(a) = args.command;
    finish(
        "registry serve",
        block_on(async move {
            let config = ServerConfig {
                listen: a.listen,
                data_dir: a.data_dir.clone(),
                basic_auth: a.basic_auth,
                max_body_bytes: a.max_body_bytes,
            };
            let server = EmbeddedRegistry::start(config, Arc::new(CompatibilityEngine))
                .await
                .map_err(|e| {
                    CliError::io(format!("cannot start the registry on {}: {e}", a.listen))
                })?;
            let where_ = a
                .data_dir
                .map(|d| format!("data in {}", d.display()))
                .unwrap_or_else(|| "in memory".to_string());
            // The first stdout line is the URL, for scripts that start it on port 0. A reader
            // that took it and went away (`| head -1`) must not stop the server.
            let _ = super::common::out_line(server.url());
            eprintln!(
                "schemaflow registry: listening on {} ({where_}); Ctrl-C to stop",
                server.url()
            );
            schemaflow::consumer::shutdown_signal().await;
            server.stop().await.map_err(|e| CliError::io(e.to_string()))
        }),
    )
}
