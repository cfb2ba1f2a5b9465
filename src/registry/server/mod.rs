//! The embedded, Confluent-compatible schema registry: `schemaflow registry serve`, or
//! in-process for tests and the demo ([`EmbeddedRegistry::start`]).
//!
//! It speaks the Confluent REST API the client and Confluent's own clients use, with its JSON
//! shapes and error codes: global increasing ids (the same schema under two subjects has one
//! id; re-registering returns the existing id), versions per subject, soft then permanent
//! deletes (ids stay readable after a soft delete), global and per-subject compatibility
//! (default BACKWARD) enforced on register with HTTP 409 / 40901, modes READWRITE, READONLY
//! and IMPORT (which takes a given id). Schemas are validated on register (42201 with the
//! parser's reason). Protobuf schemas are accepted as `.proto` text or as a base64
//! `FileDescriptorProto` (what Confluent's Python serializer sends), and `?format=serialized`
//! answers base64 for either. Every acknowledged write is fsynced to an append-only log first.
//!
//! Known gap: a schema registered as a base64 descriptor is served back in that form (no
//! descriptor → `.proto` text printer yet).

mod compat;
mod core;
mod routes;
pub mod schemas_topic;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use self::compat::{CheckInput, CompatibilityChecker, CompatibilityEngine};
pub use self::core::{ApiError, Registry};
pub use self::routes::{router, CONTENT_TYPE};
pub use self::store::{Event, LogError, State, Store, StoredSchema};

/// How to run the embedded registry.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on. Default: `127.0.0.1:8081` (loopback only).
    pub listen: SocketAddr,
    /// Folder for the durable log; `None` keeps everything in memory. Default: `None`.
    pub data_dir: Option<PathBuf>,
    /// `user:password` required on every call when set. Default: none.
    pub basic_auth: Option<String>,
    /// Largest request body accepted. Default: 16 MiB.
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            data_dir: None,
            basic_auth: None,
            max_body_bytes: 16 << 20,
        }
    }
}

/// A registry server running in this process.
#[derive(Debug)]
pub struct EmbeddedRegistry {
    addr: SocketAddr,
    url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl EmbeddedRegistry {
    /// Open the store and start serving (use port 0 for any free port).
    pub async fn start(
        config: ServerConfig,
        checker: Arc<dyn CompatibilityChecker>,
    ) -> std::io::Result<Self> {
        let store = match &config.data_dir {
            Some(dir) => Store::open(dir)?,
            None => Store::in_memory(),
        };
        let registry = Arc::new(Registry::new(store, checker));
        let app = router(
            registry,
            config.basic_auth.as_deref(),
            config.max_body_bytes,
        );
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(EmbeddedRegistry {
            addr,
            url: format!("http://{addr}"),
            shutdown: Some(tx),
            task,
        })
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving and wait for in-flight requests.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Serve until the task ends (for `registry serve`).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}
