//! The embedded, Confluent-compatible schema registry: `schemaflow registry serve`, or
//! in-process for tests and the demo ([`EmbeddedRegistry::start`]).
//!
//! It speaks the Confluent REST API the client and Confluent's own clients use, with its JSON
//! shapes and error codes: global increasing ids (the same schema under two subjects has one
//! id; re-registering returns the existing id), versions per subject, soft then permanent
//! deletes (ids stay readable after a soft delete), global and per-subject compatibility
//! (default BACKWARD) enforced on register with HTTP 409 / `error_code` 409 (Confluent's), modes READWRITE, READONLY
//! and IMPORT (which takes a given id). Schemas are validated on register (42201 with the
//! parser's reason). Protobuf schemas are accepted as `.proto` text or as a base64
//! `FileDescriptorProto` (what Confluent's Python serializer sends), and `?format=serialized`
//! answers base64 for either. Every acknowledged write is fsynced to an append-only log first.
//!
//! A schema registered as a base64 descriptor is served back in that form, and as `.proto`
//! text with `?format=default` (Confluent's formatted form). `GET /ui/` serves a web page over
//! this same API (see the README's "Web page").

mod access_log;
mod answer;
pub mod authz;
mod compat;
pub mod contract;
mod core;
mod data_lock;
mod event;
mod forward;
mod log;
mod metrics;
mod rate_limit;
mod readiness;
mod routes;
pub mod schemas_topic;
mod state;
mod store;
mod tls;
mod ui;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use schemaflow::secret::Secret;

pub use self::compat::{CheckInput, CompatibilityChecker, CompatibilityEngine};
pub use self::core::{ApiError, Registered, Registry, SchemaContract, INVALID_RULESET};
pub use self::event::{Event, StoredSchema};
pub use self::log::error::LogError;
pub use self::log::kafka::{KafkaStoreConfig, KafkaStoreError};
pub use self::rate_limit::RateLimit;
pub use self::routes::{api_routes, router, CONTENT_TYPE, OPENAPI};
pub use self::schemas_topic::leader::{LeaderConfig, Leadership};
pub use self::state::{State, VersionEntry};
pub use self::store::Store;
pub use self::tls::TlsConfig;

/// How to run the embedded registry: [`ServerConfig::default`] (in memory, on
/// `127.0.0.1:8081`), then a chainable method per setting, named like its field. The fields stay
/// public, to read and to set on a value; the struct is `#[non_exhaustive]`, so new settings
/// can come without breaking callers (build it from `default()`, not a struct literal). Its
/// `Debug` shows every setting, secrets as `<redacted>` (`registry serve` logs it at start-up).
///
/// ```
/// use schemaflow_registry::{KafkaStoreConfig, ServerConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ServerConfig::default()
///     .listen("0.0.0.0:8081".parse()?)
///     .kafka_store(KafkaStoreConfig::new("localhost:9092").topic("_schemas"))
///     .basic_auth("admin:hunter2")
///     .max_body_bytes(1 << 20);
/// let shown = format!("{config:?}");
/// assert!(shown.contains("0.0.0.0:8081") && !shown.contains("hunter2"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Address to listen on. Default: `127.0.0.1:8081` (loopback only).
    pub listen: SocketAddr,
    /// Folder for the durable log; `None` keeps everything in memory. One registry at a time
    /// uses a folder (an OS lock on `registry.lock` in it, released when the registry stops or
    /// its process ends); starting a second one there fails. Default: `None`.
    pub data_dir: Option<PathBuf>,
    /// Keep the state in a Kafka topic in Confluent's format instead (excludes `data_dir`).
    /// Default: `None`.
    pub kafka_store: Option<KafkaStoreConfig>,
    /// `user:password` required on every call when set (that user may do everything).
    /// Default: none.
    pub basic_auth: Option<Secret>,
    /// An auth file (users with argon2 password hashes, `Read`/`Write` permissions on subject
    /// patterns: see [`authz`]) checked on every call but `/health`; read at start-up, which
    /// fails on a malformed file. Excludes `basic_auth`. Default: none.
    pub auth_file: Option<PathBuf>,
    /// Largest request body accepted. Default: 16 MiB.
    pub max_body_bytes: usize,
    /// Serve HTTPS with this certificate (and require client certificates of this CA).
    /// Default: plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Requests per client address (429 beyond it). Default: none (no limit).
    pub rate_limit: Option<RateLimit>,
    /// Refuse (42210) a rule set whose CEL or JSONata expression does not compile. Default:
    /// true. See [`Registry::check_rule_expressions`].
    pub check_rule_expressions: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            data_dir: None,
            kafka_store: None,
            basic_auth: None,
            auth_file: None,
            max_body_bytes: 16 << 20,
            tls: None,
            rate_limit: None,
            check_rule_expressions: true,
        }
    }
}

impl ServerConfig {
    /// Listen on this address (port 0: any free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Keep the durable log in this folder (instead of memory).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Keep the state in a Kafka topic in Confluent's format (instead of memory).
    pub fn kafka_store(mut self, store: KafkaStoreConfig) -> Self {
        self.kafka_store = Some(store);
        self
    }

    /// Require `user:password` on every call (that user may do everything).
    pub fn basic_auth(mut self, user_password: impl Into<Secret>) -> Self {
        self.basic_auth = Some(user_password.into());
        self
    }

    /// Check every call but `/health` against this auth file (see [`authz`]).
    pub fn auth_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.auth_file = Some(path.into());
        self
    }

    /// The largest request body accepted.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Serve HTTPS with this certificate.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Limit the requests per client address.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Whether rule sets whose expressions do not compile are refused (default: true).
    pub fn check_rule_expressions(mut self, check: bool) -> Self {
        self.check_rule_expressions = check;
        self
    }
}

/// How long [`EmbeddedRegistry::stop`] waits for open connections to finish.
pub const STOP_DRAIN: Duration = Duration::from_secs(10);

/// A registry server running in this process.
///
/// Use it in your own tests: a real registry over HTTP on a free port, in memory, gone when
/// the test ends.
///
/// ```
/// use std::sync::Arc;
///
/// use schemaflow::registry::{ClientConfig, RegistryClient, Schema};
/// use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// // Any free port, in memory (no data folder).
/// let config = ServerConfig::default().listen("127.0.0.1:0".parse()?);
/// let server = EmbeddedRegistry::start(config, Arc::new(CompatibilityEngine)).await?;
///
/// let client = RegistryClient::new(ClientConfig::new(server.url()))?;
/// let schema = Schema::avro(r#"{"type":"record","name":"User","fields":[]}"#);
/// let (id, _guid) = client.register("users-value", &schema, false).await?;
/// assert_eq!(client.schema_by_id(id).await?.schema.schema, schema.schema);
/// // Registering the same schema again answers the same id.
/// assert_eq!(client.register("users-value", &schema, false).await?.0, id);
///
/// server.stop().await?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })
/// # }
/// ```
#[derive(Debug)]
pub struct EmbeddedRegistry {
    addr: SocketAddr,
    url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Closed when the server stops (releasing the data folder); `None` until the store opens.
    registry: Option<Arc<Registry>>,
}

impl EmbeddedRegistry {
    /// Start serving at once (every call but `/health` answers 503 "not ready" meanwhile),
    /// open the store, and return once it is read to its end and the registry answers (use
    /// port 0 for any free port). On an error opening the store the server is stopped.
    ///
    /// With a data folder, the folder is locked first, before anything listens: a folder
    /// another registry uses fails the start with an [`ErrorKind::ResourceBusy`] error
    /// (holding a [`LogError::Locked`] that names that registry's pid and URL).
    ///
    /// [`ErrorKind::ResourceBusy`]: std::io::ErrorKind::ResourceBusy
    pub async fn start(
        config: ServerConfig,
        checker: Arc<dyn CompatibilityChecker>,
    ) -> std::io::Result<Self> {
        if config.data_dir.is_some() && config.kafka_store.is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a registry keeps its state in a data folder or in a Kafka topic, not both",
            ));
        }
        let auth = match (&config.basic_auth, &config.auth_file) {
            (Some(_), Some(_)) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "basic auth and an auth file exclude each other",
                ))
            }
            (Some(b), None) => Some(authz::AuthFile::single_user(b.expose_secret())),
            (None, Some(path)) => Some(
                authz::AuthFile::load(path)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
            ),
            (None, None) => None,
        };
        // Locked before binding: a second registry on a folder in use says so, even when it
        // asks for the first one's port too.
        let mut dir_lock = match &config.data_dir {
            Some(dir) => {
                let dir = dir.clone();
                Some(
                    tokio::task::spawn_blocking(move || data_lock::DataDirLock::acquire(&dir))
                        .await
                        .map_err(std::io::Error::other)??,
                )
            }
            None => None,
        };
        // Bound first: the address is this instance's advertised URL by default.
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let slot = readiness::Slot::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // The access log is outermost: it sees the gate's 503s and the rate limit's 429s too.
        let gate = readiness::gated(Arc::clone(&slot))
            .layer(axum::middleware::from_fn(access_log::access_log));
        // A certificate or key that does not load fails the start, before anything listens.
        let acceptor = config.tls.as_ref().map(TlsConfig::acceptor).transpose()?;
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let stopped = async {
            let _ = rx.await;
        };
        let task = match acceptor {
            Some(acceptor) => tokio::spawn(tls::serve(listener, acceptor, gate, stopped)),
            None => tokio::spawn(async move {
                // The client's address reaches the rate limit as axum's ConnectInfo.
                axum::serve(
                    listener,
                    gate.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(stopped)
                .await
            }),
        };
        let mut server = EmbeddedRegistry {
            addr,
            url: format!("{scheme}://{addr}"),
            shutdown: Some(tx),
            task,
            registry: None,
        };
        if let Some(lock) = &mut dir_lock {
            // Only for the message of a registry refused later: not worth failing the start.
            if let Err(e) = lock.record_holder(Some(&server.url)) {
                tracing::warn!(error = %e, "cannot write this registry's URL into the data folder's lock file");
            }
        }
        let store = match open_store(&config, addr, dir_lock).await {
            Ok(store) => store,
            Err(e) => {
                let _ = server.stop().await;
                return Err(e);
            }
        };
        let registry = Arc::new(
            Registry::new(store, checker).check_rule_expressions(config.check_rule_expressions),
        );
        server.registry = Some(Arc::clone(&registry));
        // Set once, here; nothing else holds the slot's writer.
        let router = routes::router_with_auth(
            registry,
            auth.map(|a| Arc::new(authz::Authorizer::new(a))),
            config.max_body_bytes,
        );
        let router = match config.rate_limit {
            Some(limit) => rate_limit::limited(router, limit),
            None => router,
        };
        let _ = slot.set(router);
        Ok(server)
    }

    /// The base URL (`http://127.0.0.1:PORT`, `https://` with TLS).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving and wait for in-flight requests, up to [`STOP_DRAIN`]; connections still
    /// open then are dropped. The data folder is released when this returns (a new registry
    /// may open it at once).
    ///
    /// The bound matters: hyper's graceful shutdown waits for every connection to end, and a
    /// client's connection that was accepted but has not sent its request yet (a client
    /// retrying at that moment) can keep it waiting for ever — a test run hung in `stop` so.
    /// Jetty (Confluent's server) bounds its graceful stop the same way.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = match tokio::time::timeout(STOP_DRAIN, &mut self.task).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(std::io::Error::other(e)),
            Err(_) => {
                tracing::warn!(
                    "connections still open {STOP_DRAIN:?} after the stop; dropping them"
                );
                self.task.abort();
                let _ = (&mut self.task).await;
                Ok(())
            }
        };
        // Explicitly, not on the last drop: a connection's task that is still ending (on
        // another worker) may hold the registry a little longer.
        if let Some(registry) = self.registry.take() {
            registry.close();
        }
        result
    }

    /// Serve until the task ends (for `registry serve`).
    pub async fn wait(mut self) -> std::io::Result<()> {
        let ended = (&mut self.task).await;
        if let Some(registry) = self.registry.take() {
            registry.close();
        }
        match ended {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// The store `config` asks for (blocking opens run off the async workers); `dir_lock` is the
/// data folder's, locked by the caller when there is one.
async fn open_store(
    config: &ServerConfig,
    addr: SocketAddr,
    dir_lock: Option<data_lock::DataDirLock>,
) -> std::io::Result<Store> {
    Ok(match (dir_lock, &config.kafka_store) {
        (Some(lock), _) => tokio::task::spawn_blocking(move || Store::open_locked(lock))
            .await
            .map_err(std::io::Error::other)??,
        (None, Some(k)) => {
            let k = k.clone();
            let advertised = k
                .leader
                .advertised_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}"));
            tokio::task::spawn_blocking(move || Store::kafka(k, advertised))
                .await
                .map_err(std::io::Error::other)??
        }
        (None, None) => Store::in_memory(),
    })
}

#[cfg(test)]
mod config_tests {
    use super::*;

    /// The start-up line `registry serve` logs: every setting, no secret.
    #[test]
    fn server_config_debug_shows_no_secret() {
        let config = ServerConfig::default()
            .basic_auth("admin:BasicPassword")
            .kafka_store(
                KafkaStoreConfig::new("kafka:9092")
                    .set("sasl.password", "SaslPassword")
                    .set("sasl.username", "registry"),
            )
            .tls(
                TlsConfig::new(
                    b"-----BEGIN CERTIFICATE-----".to_vec(),
                    b"-----BEGIN PRIVATE KEY-----KeyBytes".to_vec(),
                )
                .client_ca_pem(b"CA".to_vec()),
            );
        for shown in [format!("{config:?}"), format!("{config:#?}")] {
            for secret in ["BasicPassword", "SaslPassword", "KeyBytes", "PRIVATE KEY"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains("<redacted>"), "{shown}");
            assert!(
                shown.contains("kafka:9092") && shown.contains("registry"),
                "{shown}"
            );
        }
    }
}
