//! `schemaflow registry serve`: the embedded Confluent-compatible schema registry.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use schemaflow::registry::server::{
    CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig,
};

use super::common::{block_on, finish, CliError, Global};

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
    #[arg(long, value_name = "DIR", conflicts_with_all = ["kafkastore_bootstrap_servers", "kafkastore_topic"])]
    data_dir: Option<PathBuf>,
    /// Keep the state in a Kafka topic in Confluent's `_schemas` format on these brokers
    /// (Confluent's `kafkastore.bootstrap.servers`); `--kafkastore-topic` alone uses the
    /// global `--brokers`. The global `-X key=value` reaches the store's clients (TLS/SASL).
    #[arg(long, value_name = "BROKERS")]
    kafkastore_bootstrap_servers: Option<String>,
    /// The store's topic (Confluent's `kafkastore.topic`): one partition, compacted; created
    /// when missing. Default: `_schemas` (with --kafkastore-bootstrap-servers).
    #[arg(long, value_name = "TOPIC")]
    kafkastore_topic: Option<String>,
    /// Replication factor when the store's topic is created
    /// (`kafkastore.topic.replication.factor`).
    #[arg(long, default_value_t = 1)]
    kafkastore_replication_factor: i32,
    /// The group the instances on one Kafka store elect their leader in
    /// (`schema.registry.group.id`).
    #[arg(long, default_value = "schema-registry")]
    group_id: String,
    /// How the other instances reach this one (`http://host:port`); default: the listen
    /// address.
    #[arg(long, value_name = "URL")]
    advertised_url: Option<String>,
    /// Whether this instance may become the leader (`leader.eligibility`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "true|false")]
    leader_eligibility: bool,
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
pub fn run(global: &Global, args: RegistryArgs) -> ExitCode {
    let RegistryCommand::Serve(a) = args.command;
    let kafka_store = match (&a.kafkastore_bootstrap_servers, &a.kafkastore_topic) {
        (None, None) => None,
        (servers, topic) => {
            let Some(brokers) = servers.clone().or_else(|| global.brokers.clone()) else {
                return finish(
                    "registry serve",
                    Err(CliError::usage(
                        "--kafkastore-topic needs the brokers: --kafkastore-bootstrap-servers BROKERS or the global --brokers",
                    )),
                );
            };
            let mut k = KafkaStoreConfig::new(brokers);
            if let Some(t) = topic {
                k.topic = t.clone();
            }
            k.replication_factor = a.kafkastore_replication_factor;
            k.leader.group_id = a.group_id.clone();
            k.leader.advertised_url = a.advertised_url.clone();
            k.leader.eligible = a.leader_eligibility;
            k.properties = global.properties();
            Some(k)
        }
    };
    finish(
        "registry serve",
        block_on(async move {
            let where_ = match (&a.data_dir, &kafka_store) {
                (Some(d), _) => format!("data in {}", d.display()),
                (None, Some(k)) => format!("data in topic {} on {}", k.topic, k.bootstrap_servers),
                (None, None) => "in memory".to_string(),
            };
            let config = ServerConfig {
                listen: a.listen,
                data_dir: a.data_dir.clone(),
                kafka_store,
                basic_auth: a.basic_auth,
                max_body_bytes: a.max_body_bytes,
            };
            let server = EmbeddedRegistry::start(config, Arc::new(CompatibilityEngine))
                .await
                .map_err(|e| {
                    CliError::io(format!("cannot start the registry on {}: {e}", a.listen))
                })?;
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
