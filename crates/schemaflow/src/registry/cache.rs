//! Caching in front of the registry client: what producers and consumers call on the hot path.
//!
//! * id → schema, (subject, schema) → id, (subject, version) → schema: kept (ids and versions
//!   never change meaning);
//! * (subject, latest) → schema: kept for a TTL, since `latest` moves.
//!
//! Concurrent first requests for the same key make one HTTP call (moka's `try_get_with`
//! coalesces them); errors are never cached, so a registry that was down is asked again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use super::client::{RegistryClient, SchemaById};
use super::error::RegistryError;
use super::types::{RegisteredSchema, Schema, Version};
use crate::wire::SchemaId;

/// Cache sizes and the TTL of `latest`: [`CacheConfig::default`], then a chainable method per
/// setting, named like its field. The fields stay public, to read and to set on a value; the
/// struct is `#[non_exhaustive]`, so new settings can come without breaking callers (build it
/// from `default()`, not a struct literal).
///
/// ```
/// use std::time::Duration;
///
/// use schemaflow::registry::CacheConfig;
///
/// let config = CacheConfig::default()
///     .capacity(1_000)
///     .latest_ttl(Duration::from_secs(5));
/// assert_eq!(config.capacity, 1_000);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Entries per cache. Default: 10,000.
    pub capacity: u64,
    /// How long a `latest` answer is reused (`latest.cache.ttl.sec`). Default: 60 s.
    pub latest_ttl: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            capacity: 10_000,
            latest_ttl: Duration::from_secs(60),
        }
    }
}

impl CacheConfig {
    /// Entries per cache.
    pub fn capacity(mut self, entries: u64) -> Self {
        self.capacity = entries;
        self
    }

    /// How long a `latest` answer is reused (`latest.cache.ttl.sec`).
    pub fn latest_ttl(mut self, ttl: Duration) -> Self {
        self.latest_ttl = ttl;
        self
    }
}

/// Hit and miss counts of a [`CachedRegistry`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Answers served from the cache.
    pub hits: u64,
    /// Answers that needed the registry.
    pub misses: u64,
}

/// A registry client with caches: what producers and consumers share (cheap to clone; clones
/// share the caches).
///
/// ```no_run
/// use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient, Schema};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = CachedRegistry::new(
///     RegistryClient::new(ClientConfig::new("http://localhost:8081"))?,
///     CacheConfig::default(),
/// );
/// let schema = Schema::avro(r#"{"type":"record","name":"User","fields":[]}"#);
/// let id = registry.register("users-value", &schema, false).await?; // asks the registry
/// let again = registry.register("users-value", &schema, false).await?; // from the cache
/// assert_eq!(id, again);
/// let by_id = registry.schema_by_id(id).await?; // a consumer's lookup, cached for good
/// assert_eq!(by_id.schema.schema, schema.schema);
/// let stats = registry.stats();
/// println!("cache: {} hits, {} misses", stats.hits, stats.misses);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct CachedRegistry {
    client: RegistryClient,
    by_id: Cache<u32, Arc<SchemaById>>,
    ids: Cache<(String, String), SchemaId>,
    lookups: Cache<(String, String), Arc<RegisteredSchema>>,
    versions: Cache<(String, i32), Arc<RegisteredSchema>>,
    latest: Cache<String, Arc<RegisteredSchema>>,
    hits: Arc<AtomicU64>,
    misses: Arc<AtomicU64>,
}

impl std::fmt::Debug for CachedRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedRegistry")
            .field("stats", &self.stats())
            .finish()
    }
}

fn key_of(schema: &Schema) -> String {
    serde_json::to_string(schema).unwrap_or_default()
}

impl CachedRegistry {
    /// Wrap `client`.
    pub fn new(client: RegistryClient, config: CacheConfig) -> Self {
        CachedRegistry {
            client,
            by_id: Cache::new(config.capacity),
            ids: Cache::new(config.capacity),
            lookups: Cache::new(config.capacity),
            versions: Cache::new(config.capacity),
            latest: Cache::builder()
                .max_capacity(config.capacity)
                .time_to_live(config.latest_ttl)
                .build(),
            hits: Arc::new(AtomicU64::new(0)),
            misses: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The uncached client.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    fn count<T>(&self, missed: bool, v: T) -> T {
        if !missed {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        v
    }

    /// The schema with id `id`.
    pub async fn schema_by_id(&self, id: SchemaId) -> Result<Arc<SchemaById>, RegistryError> {
        let mut missed = false;
        let r = self
            .by_id
            .try_get_with(id.0, async {
                missed = true;
                self.miss();
                self.client.schema_by_id(id).await.map(Arc::new)
            })
            .await
            .map_err(|e| (*e).clone());
        self.count(missed, r)
    }

    /// Register (or find) `schema` under `subject`: its id.
    pub async fn register(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<SchemaId, RegistryError> {
        let mut missed = false;
        let r = self
            .ids
            .try_get_with((subject.to_string(), key_of(schema)), async {
                missed = true;
                self.miss();
                self.client
                    .register(subject, schema, normalize)
                    .await
                    .map(|(id, _)| id)
            })
            .await
            .map_err(|e| (*e).clone());
        self.count(missed, r)
    }

    /// The version of `subject` holding `schema` (no registration).
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<Arc<RegisteredSchema>, RegistryError> {
        let mut missed = false;
        let r = self
            .lookups
            .try_get_with((subject.to_string(), key_of(schema)), async {
                missed = true;
                self.miss();
                self.client
                    .lookup(subject, schema, normalize)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(|e| (*e).clone());
        self.count(missed, r)
    }

    /// A version of `subject`; `latest` is cached for the configured TTL only.
    pub async fn version(
        &self,
        subject: &str,
        version: Version,
    ) -> Result<Arc<RegisteredSchema>, RegistryError> {
        let mut missed = false;
        let fetch = async {
            missed = true;
            self.miss();
            self.client.version(subject, version).await.map(Arc::new)
        };
        let r = match version {
            Version::Latest => self.latest.try_get_with(subject.to_string(), fetch).await,
            Version::Number(n) => {
                self.versions
                    .try_get_with((subject.to_string(), n), fetch)
                    .await
            }
        }
        .map_err(|e| (*e).clone());
        self.count(missed, r)
    }
}
