//! What every subcommand shares: global flags (brokers, registry, auth, `-X` passthrough),
//! the exit-code error, and client construction.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use schemaflow::registry::{
    CacheConfig, CachedRegistry, ClientConfig, RegistryClient, RegistryError, TlsProblem,
};
use schemaflow::secret::Secret;
use schemaflow::SchemaType;

use super::{EXIT_FAILED, EXIT_IO, EXIT_USAGE};

/// Flags every command takes (also from the environment).
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Kafka bootstrap servers [default: localhost:9092; `demo`: an in-process broker].
    #[arg(long, global = true, env = "KAFKA_BROKERS")]
    pub brokers: Option<String>,
    /// Schema registry URL(s), comma-separated for failover [default: http://localhost:8081;
    /// `demo`: an in-process registry]. A URL's user-info (`https://USER:PASSWORD@host`) is
    /// basic auth for it unless --registry-auth or --registry-token is given; it is never printed.
    /// (`SCHEMA_REGISTRY_URL` is read when the flag is absent.)
    #[arg(long, global = true)]
    pub registry: Option<String>,
    /// Registry basic auth (`basic.auth.user.info`): USER:PASSWORD, with the colon; not with
    /// --registry-token.
    #[arg(
        long,
        global = true,
        env = "SCHEMA_REGISTRY_AUTH",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    pub registry_auth: Option<Secret>,
    /// Registry bearer token (`bearer.auth.token`); not with --registry-auth.
    #[arg(
        long,
        global = true,
        env = "SCHEMA_REGISTRY_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub registry_token: Option<Secret>,
    /// CA certificate (PEM) to trust for an `https://` registry (`schema.registry.ssl.ca.location`
    /// in Confluent's Python client); default: the system's.
    #[arg(long, global = true, value_name = "FILE")]
    pub registry_ca: Option<std::path::PathBuf>,
    /// Client certificate (PEM) for a registry that requires one (mutual TLS); needs
    /// --registry-key.
    #[arg(long, global = true, value_name = "FILE", requires = "registry_key")]
    pub registry_cert: Option<std::path::PathBuf>,
    /// The PKCS#8 private key (PEM) of --registry-cert.
    #[arg(long, global = true, value_name = "FILE", requires = "registry_cert")]
    pub registry_key: Option<std::path::PathBuf>,
    /// librdkafka property passed through, like kcat (repeatable): `-X security.protocol=SSL`.
    /// A property librdkafka does not know, or a value it refuses, is a usage error (exit 2).
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE", value_parser = parse_kv)]
    pub kafka: Vec<(String, String)>,
    /// How log lines are written to stderr: `text`, or `json` (one object per line). What is
    /// logged comes from `RUST_LOG` (`registry serve`: `info` by default; other commands log
    /// only when it is set).
    #[arg(
        long,
        global = true,
        env = "SCHEMAFLOW_LOG_FORMAT",
        value_enum,
        default_value_t = super::logging::LogFormat::Text
    )]
    pub log_format: super::logging::LogFormat,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

/// Default Kafka bootstrap servers.
pub const DEFAULT_BROKERS: &str = "localhost:9092";
/// Default registry URL.
pub const DEFAULT_REGISTRY: &str = "http://localhost:8081";

impl Global {
    /// Mistakes in the global flags, found before any command runs (exit 2): basic auth
    /// without a `:`, both kinds of registry auth (which one would win is a guess a user
    /// should not have to make), a `-X` property librdkafka does not know or a value it refuses.
    pub fn validate(&self) -> Result<(), CliError> {
        if let Some(auth) = &self.registry_auth {
            if !auth.expose_secret().contains(':') {
                return Err(CliError::usage(
                    "--registry-auth (or SCHEMA_REGISTRY_AUTH) must be USER:PASSWORD, with a colon",
                ));
            }
        }
        if self.registry_auth.is_some() && self.registry_token.is_some() {
            return Err(CliError::usage(
                "--registry-auth and --registry-token (or SCHEMA_REGISTRY_AUTH and SCHEMA_REGISTRY_TOKEN) both given: pass one",
            ));
        }
        // librdkafka checks names and values when the properties are set, before any client
        // exists: the same check every command's client would make later (and fail with an
        // I/O exit code, 3, for what is a mistake on the command line).
        for (key, value) in &self.kafka {
            let mut probe = rdkafka::ClientConfig::new();
            probe.set(key, value);
            if let Err(e) = probe.create_native_config() {
                let why = match &e {
                    rdkafka::error::KafkaError::ClientConfig(_, desc, _, _) => desc.clone(),
                    other => other.to_string(),
                };
                return Err(CliError::usage(format!("-X {key}={value}: {why}")));
            }
        }
        Ok(())
    }

    /// Kafka bootstrap servers (flag, `KAFKA_BROKERS`, or the default).
    pub fn brokers(&self) -> &str {
        self.brokers.as_deref().unwrap_or(DEFAULT_BROKERS)
    }

    /// A registry client for `url` with this command line's auth.
    pub fn registry_at(&self, url: &str) -> Result<CachedRegistry, CliError> {
        let mut c = ClientConfig::new(url);
        c.basic_auth = self.registry_auth.clone();
        c.bearer_token = self.registry_token.clone();
        let read = |flag: &str, p: &std::path::Path| {
            std::fs::read(p).map_err(|e| CliError::usage(format!("{flag} {}: {e}", p.display())))
        };
        if let Some(ca) = &self.registry_ca {
            c.ca_pem = Some(read("--registry-ca", ca)?);
        }
        if let (Some(cert), Some(key)) = (&self.registry_cert, &self.registry_key) {
            c.client_cert_pem = Some((
                read("--registry-cert", cert)?,
                read("--registry-key", key)?.into(),
            ));
        }
        let client = RegistryClient::new(c).map_err(|e| {
            let text = e.to_string();
            let hint = if text.contains("client key") || text.contains("client certificate") {
                " (--registry-key must be the PKCS#8 PEM private key of --registry-cert)"
            } else {
                ""
            };
            CliError::usage(format!("{text}{hint}"))
        })?;
        Ok(CachedRegistry::new(client, CacheConfig::default()))
    }

    /// The registry URL given by `--registry` or `SCHEMA_REGISTRY_URL`, if any.
    pub fn registry_url(&self) -> Option<String> {
        self.registry.clone().or_else(|| {
            std::env::var("SCHEMA_REGISTRY_URL")
                .ok()
                .filter(|u| !u.is_empty())
        })
    }

    /// The registry client (cached), at `--registry`, `SCHEMA_REGISTRY_URL` or the default.
    pub fn registry(&self) -> Result<CachedRegistry, CliError> {
        self.registry_at(
            &self
                .registry_url()
                .unwrap_or_else(|| DEFAULT_REGISTRY.to_string()),
        )
    }

    /// `-X` properties.
    pub fn properties(&self) -> schemaflow::redact::KafkaProperties {
        self.kafka.iter().cloned().collect()
    }

    /// A librdkafka config: `--brokers`, then `defaults`, then `-X` (which wins).
    pub fn kafka_config(&self, defaults: &[(&str, &str)]) -> rdkafka::ClientConfig {
        schemaflow::kafka_config::kafka_config(self.brokers(), defaults, &self.properties())
    }

    /// A librdkafka producer config for the CLI: the library's producer defaults plus
    /// [`CLI_PRODUCER_DEFAULTS`], then `-X`.
    pub fn producer_config(&self) -> rdkafka::ClientConfig {
        let defaults: Vec<(&str, &str)> = schemaflow::kafka_config::PRODUCER_DEFAULTS
            .iter()
            .chain(CLI_PRODUCER_DEFAULTS)
            .copied()
            .collect();
        self.kafka_config(&defaults)
    }

    /// The one cluster check every Kafka command makes first: the partitions of `topic`,
    /// within [`schemaflow::admin::METADATA_TIMEOUT`]; exit 3 with one line if the cluster
    /// does not answer or the topic does not exist.
    pub async fn topic_partitions(&self, topic: &str) -> Result<Vec<i32>, CliError> {
        use schemaflow::admin::{topic_partitions, TopicState, METADATA_TIMEOUT};
        match topic_partitions(self.brokers(), topic, &self.properties(), METADATA_TIMEOUT).await
        {
            Ok(TopicState::Exists(p)) => Ok(p),
            Ok(TopicState::Missing) => Err(CliError::io(format!(
                "topic {topic} not found at {} (create it with `schemaflow topics create --topic {topic}`)",
                self.brokers()
            ))),
            Err(e) => Err(CliError::io(format!(
                "the Kafka cluster at {} did not answer within {} s ({e}); is it running? set --brokers or KAFKA_BROKERS",
                self.brokers(),
                METADATA_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// What CLI producers add to the library's producer defaults: a record the broker has not
/// acknowledged within 30 s fails (librdkafka's default is 5 minutes, a long silence at a
/// terminal). Override with `-X message.timeout.ms=…`.
pub const CLI_PRODUCER_DEFAULTS: &[(&str, &str)] = &[("message.timeout.ms", "30000")];

/// `--schema-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaTypeArg {
    /// Apache Avro (`.avsc`).
    Avro,
    /// Protocol Buffers (`.proto`).
    Protobuf,
    /// JSON Schema (`.json`).
    Json,
}

impl From<SchemaTypeArg> for SchemaType {
    fn from(a: SchemaTypeArg) -> Self {
        match a {
            SchemaTypeArg::Avro => SchemaType::Avro,
            SchemaTypeArg::Protobuf => SchemaType::Protobuf,
            SchemaTypeArg::Json => SchemaType::Json,
        }
    }
}

/// The schema type a file's extension names: `.avsc` is Avro, `.proto` is Protobuf, `.json` is
/// JSON Schema, and nothing else is guessed, in every command (`check`, `register`,
/// `produce`). `.avsc` is what Avro's own tools and Confluent's Maven plugin take for an Avro
/// schema (so an Avro schema in a `.json` file needs `--schema-type avro`); `.avro` names an
/// Avro data (object container) file, not a schema. The providers say which extension is
/// whose ([`schemaflow::format::from_extension`]).
pub fn schema_type_from_extension(file: &std::path::Path) -> Option<SchemaType> {
    schemaflow::format::from_extension(file)
}

/// Schema type from `--schema-type`, else from the file extension.
pub fn schema_type_of(
    arg: Option<SchemaTypeArg>,
    file: &std::path::Path,
) -> Result<SchemaType, CliError> {
    if let Some(a) = arg {
        return Ok(a.into());
    }
    schema_type_from_extension(file).ok_or_else(|| {
        CliError::usage(format!(
            "cannot tell the schema type of {} (.avsc is Avro, .proto is Protobuf): pass --schema-type avro|protobuf",
            file.display()
        ))
    })
}

/// An error ending a command: one line on stderr and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code (1 check failed, 2 usage, 3 I/O/broker/registry).
    pub code: u8,
    /// What failed and what to do.
    pub message: String,
}

impl CliError {
    /// Usage or parse error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// I/O, broker or registry error (exit 3).
    pub fn io(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_IO,
            message: message.into(),
        }
    }

    /// The check failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }

    /// Whoever reads our stdout went away (`schemaflow … | head`): not a failure of the
    /// command, so it ends quietly with exit 0, as Unix tools do, after the usual cleanup
    /// (the error travels up like any other, so consumers commit and temp dirs go).
    pub fn stdout_closed() -> Self {
        CliError {
            code: 0,
            message: String::new(),
        }
    }

    /// Whether this is [`CliError::stdout_closed`].
    pub fn is_stdout_closed(&self) -> bool {
        self.code == 0
    }
}

/// A write to stdout that failed: a reader that went away (`EPIPE`) is
/// [`CliError::stdout_closed`], anything else an I/O error (exit 3).
pub fn stdout_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::stdout_closed()
    } else {
        CliError::io(format!("writing to stdout: {e}"))
    }
}

/// Write `text` and a newline to stdout. Every command writes its stdout through this (or
/// [`outln!`](crate::outln)) instead of `println!`, which panics when the reader has gone.
pub fn out_line(text: impl std::fmt::Display) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// `println!` for commands: `outln!("{x}")?` ends the command quietly (exit 0) when stdout
/// is closed, see [`out_line`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::cli::common::out_line("")
    };
    ($($arg:tt)*) => {
        $crate::cli::common::out_line(format_args!($($arg)*))
    };
}

/// What to do about a TLS failure, in the CLI's flags.
fn tls_hint(problem: TlsProblem) -> &'static str {
    match problem {
        TlsProblem::UnknownCa => " (pass the CA certificate that signed the registry's certificate with --registry-ca FILE)",
        TlsProblem::Expired | TlsProblem::NotYetValid => " (the registry's certificate must be renewed, or a clock is wrong)",
        TlsProblem::HostnameMismatch => " (use a host name the registry's certificate names in --registry, or give the registry a certificate for this one)",
        TlsProblem::NotAServerCertificate => " (the registry needs a certificate made for a TLS server: extended key usage serverAuth)",
        TlsProblem::ClientCertificateRequired => " (pass --registry-cert FILE and --registry-key FILE)",
        TlsProblem::ClientCertificateRefused => " (--registry-cert must be signed by the CA the registry trusts for clients and allow client authentication, extended key usage clientAuth)",
        TlsProblem::NotTls => " (is it a plain HTTP registry? use an http:// URL)",
        TlsProblem::ClosedByServer {
            client_certificate: true,
        } => " (--registry-cert must be signed by the CA the registry trusts for clients and allow client authentication)",
        TlsProblem::ClosedByServer {
            client_certificate: false,
        } => " (if the registry requires client certificates, pass --registry-cert FILE and --registry-key FILE)",
        _ => " (the registry's log may say more)",
    }
}

impl From<RegistryError> for CliError {
    fn from(e: RegistryError) -> Self {
        use schemaflow::registry::ErrorCode;
        let hint = match (&e, e.code()) {
            (RegistryError::Tls { problem, .. }, _) => tls_hint(*problem),
            (RegistryError::Response { status: 401, credentials_sent: false, .. }, _) => {
                " (pass --registry-auth USER:PASSWORD or --registry-token TOKEN)"
            }
            (RegistryError::Response { status: 401, credentials_sent: true, .. }, _) => {
                " (check --registry-auth, --registry-token or the user-info of the registry URL)"
            }
            (_, Some(ErrorCode::SubjectNotFound)) => " (is the subject name right? `schemaflow schemas list` shows them)",
            (_, Some(ErrorCode::Incompatible)) => " (see `schemaflow check`; or change the subject's level with `schemaflow config set`)",
            (_, None) if e.is_transient() => " (is the registry running? set --registry or SCHEMA_REGISTRY_URL)",
            _ => "",
        };
        match e.code() {
            Some(ErrorCode::Incompatible) => CliError::failed(format!("{e}{hint}")),
            Some(ErrorCode::InvalidSchema) => CliError::usage(format!("{e}{hint}")),
            _ => CliError::io(format!("{e}{hint}")),
        }
    }
}

impl From<schemaflow::Error> for CliError {
    fn from(e: schemaflow::Error) -> Self {
        use schemaflow::Error;
        match e {
            Error::Registry(r) => r.into(),
            Error::Kafka { .. } => CliError::io(format!(
                "{e} (is Kafka reachable? set --brokers or KAFKA_BROKERS)"
            )),
            // The environment failed while a record was in hand: nothing was skipped.
            Error::Environment { .. } => CliError::io(e.to_string()),
            // A record that cannot be decoded, under the stop policy: the check failed.
            Error::Undecodable { .. } => CliError::failed(format!(
                "{e} (pass --dlq-topic to set such records aside, or --skip-undecodable)"
            )),
            // The handler stopped the consumer (its output closed).
            Error::Handler { .. } => CliError::io(e.to_string()),
            Error::Schema(s) => s.into(),
            other => CliError::failed(other.to_string()),
        }
    }
}

impl From<schemaflow::SchemaError> for CliError {
    fn from(e: schemaflow::SchemaError) -> Self {
        use schemaflow::SchemaError;
        match e {
            SchemaError::ParseAvroSchema { .. }
            | SchemaError::ParseProtobufSchema { .. }
            | SchemaError::ParseJsonSchema { .. }
            | SchemaError::Json(_) => CliError::usage(e.to_string()),
            other => CliError::failed(other.to_string()),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::io(e.to_string())
    }
}

/// Print the error (one line) and turn the result into an exit code.
pub fn finish(command: &str, result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_stdout_closed() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("schemaflow {command}: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Run an async command on a fresh runtime.
pub fn block_on<F: std::future::Future<Output = Result<(), CliError>>>(
    f: F,
) -> Result<(), CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io(format!("starting the async runtime: {e}")))?
        .block_on(f)
}

/// Print one JSON value on a line.
pub fn print_json(v: &serde_json::Value) -> Result<(), CliError> {
    out_line(v)
}
