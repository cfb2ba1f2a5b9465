//! `schemaflow registry serve`: the embedded Confluent-compatible schema registry.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use schemaflow_registry::{
    CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, RateLimit, ServerConfig, TlsConfig,
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
    Serve(Box<ServeArgs>),
    /// Print an auth-file user entry for USER: reads the password from stdin (first line),
    /// prints `{"username": …, "algorithm": "argon2", "password_hash": "$argon2id$…"}`.
    ///
    /// Example: echo -n 's3cret' | schemaflow registry passwd alice
    Passwd(PasswdArgs),
}

#[derive(Debug, Args)]
struct PasswdArgs {
    /// The user's name.
    user: String,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Folder for the durable log (every acknowledged write is fsynced); omit for in-memory.
    /// One registry per folder: a second one started on it exits (code 3) naming the first.
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
    /// How long start-up waits to read the store's topic to its end, and a write for the
    /// broker and this instance's reader (`kafkastore.timeout.ms`; ours also bounds start-up,
    /// Confluent's `kafkastore.init.timeout.ms`).
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    kafkastore_timeout_ms: u64,
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
    /// Require basic auth on every call (one user, allowed everything). A flag's value shows
    /// in `ps` to every user of the machine: set SCHEMAFLOW_REGISTRY_BASIC_AUTH or use
    /// --basic-auth-file instead.
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        conflicts_with_all = ["auth_file", "basic_auth_file"],
        env = "SCHEMAFLOW_REGISTRY_BASIC_AUTH",
        hide_env_values = true
    )]
    basic_auth: Option<String>,
    /// Like --basic-auth, the `USER:PASSWORD` read from this file (its first line) instead:
    /// stays out of `ps`.
    #[arg(long, value_name = "FILE", conflicts_with = "auth_file")]
    basic_auth_file: Option<PathBuf>,
    /// Users and their permissions (JSON, like Karapace's auth file: argon2 password hashes,
    /// `Read`/`Write` on `Subject:<regex>` and `Config:`); every call but /health needs them.
    #[arg(long, value_name = "FILE")]
    auth_file: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    max_body_bytes: usize,
    /// Requests per second each client address may make (HTTP 429 with Retry-After beyond
    /// it; a burst of one second's worth). Default: no limit.
    #[arg(long, value_name = "N")]
    rate_limit: Option<f64>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (PEM): mutual TLS.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Whether a schema's rule set must compile to be registered: each CEL and CEL_FIELD
    /// expression as CEL, each JSONATA one as JSONata, in every phase; a rule set that does not
    /// is refused with 422 (error code 42210) naming the rule. Confluent's registry does not
    /// check: `false` stores any rule set as given, and a client then fails at start-up.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "true|false")]
    check_rule_expressions: bool,
}

impl RegistryArgs {
    /// Whether this is `registry serve` (which logs at `info` by default).
    pub fn is_serve(&self) -> bool {
        matches!(self.command, RegistryCommand::Serve(_))
    }
}

/// Run `registry …`.
pub fn run(global: &Global, args: RegistryArgs) -> ExitCode {
    let a = match args.command {
        RegistryCommand::Serve(a) => a,
        RegistryCommand::Passwd(p) => return finish("registry passwd", passwd(&p)),
    };
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
            k.timeout = std::time::Duration::from_millis(a.kafkastore_timeout_ms.max(1));
            k.leader.group_id = a.group_id.clone();
            k.leader.advertised_url = a.advertised_url.clone();
            k.leader.eligible = a.leader_eligibility;
            k.properties = global.properties();
            Some(k)
        }
    };
    let basic_auth = match (&a.basic_auth_file, a.basic_auth.clone()) {
        (Some(path), _) => match read_basic_auth_file(path) {
            Ok(b) => Some(b),
            Err(e) => return finish("registry serve", Err(e)),
        },
        (None, b) => b,
    };
    finish(
        "registry serve",
        block_on(async move {
            let where_ = match (&a.data_dir, &kafka_store) {
                (Some(d), _) => format!("data in {}", d.display()),
                (None, Some(k)) => format!("data in topic {} on {}", k.topic, k.bootstrap_servers),
                (None, None) => "in memory".to_string(),
            };
            let mut config = ServerConfig::default()
                .listen(a.listen)
                .max_body_bytes(a.max_body_bytes);
            // Each of these is set only when its flag is given.
            config.data_dir = a.data_dir.clone();
            config.kafka_store = kafka_store;
            config.basic_auth = basic_auth.map(Into::into);
            config.auth_file = a.auth_file.clone();
            config.check_rule_expressions = a.check_rule_expressions;
            config.rate_limit = a
                .rate_limit
                .filter(|n| *n > 0.0 && n.is_finite())
                .map(RateLimit::per_second);
            config.tls = match (&a.tls_cert, &a.tls_key) {
                (Some(cert), Some(key)) => Some(
                    TlsConfig::from_files(cert, key, a.tls_client_ca.as_deref())
                        .map_err(|e| CliError::usage(format!("--tls-cert/--tls-key: {e}")))?,
                ),
                _ => None,
            };
            // The start-up configuration, secrets redacted by `ServerConfig`'s `Debug`.
            tracing::info!(config = ?config, "registry starting");
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

/// The `USER:PASSWORD` of `--basic-auth-file`: the first line, its line ending removed.
fn read_basic_auth_file(path: &std::path::Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("--basic-auth-file {}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or("");
    match line.split_once(':') {
        Some((user, _)) if !user.is_empty() => Ok(line.to_string()),
        // Never the file's text in the message: it is meant to be a password.
        _ => Err(CliError::usage(format!(
            "--basic-auth-file {}: the first line must be USER:PASSWORD",
            path.display()
        ))),
    }
}

/// `registry passwd USER`: one auth-file user entry, the password read from stdin.
fn passwd(p: &PasswdArgs) -> Result<(), CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::io(format!("cannot read the password from stdin: {e}")))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(CliError::usage("an empty password (give it on stdin)"));
    }
    let hash = schemaflow_registry::authz::hash_password(password).map_err(CliError::io)?;
    let entry =
        serde_json::json!({"username": p.user, "algorithm": "argon2", "password_hash": hash});
    let _ = super::common::out_line(entry);
    Ok(())
}
