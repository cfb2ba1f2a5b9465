//! The HTTP client of the registry: one method per REST call, nothing cached
//! (see [`CachedRegistry`](super::cache::CachedRegistry) for that).
//!
//! Built as a thin layer over reqwest: `schema-registry-client` 0.4 was evaluated and pins
//! apache-avro 0.21 / prost 0.13, not the versions this crate uses.
//!
//! Behaviour, with Confluent's defaults: several base URLs with failover (a transport error or
//! an HTTP 5xx moves on to the next URL); retries with jittered exponential backoff on
//! transport errors and HTTP 408/429/500/502/503/504 (3 retries, 1 s base, 20 s cap; a
//! `Retry-After` answer is honoured up to the cap); basic auth (`basic.auth.user.info`) or a
//! bearer token; TLS with a custom CA and a client certificate; timeouts.
//!
//! Credentials in a URL (`https://user:password@host:8081`) are basic auth for that URL, as
//! Confluent's clients take them. They are taken out of the URL when the client is built and
//! kept apart, so the URLs in errors, logs and `Debug` output never hold them.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::{ErrorCode, RegistryError, TlsProblem};
use super::protocol::{
    CompatibilityCheckResponse, ConfigResponse, ConfigUpdateRequest, ConfigUpdateResponse,
    ErrorBody, ModeResponse, ModeUpdateRequest, RegisterResponse, SchemaRequest, SchemaResponse,
    SubjectVersion, SubjectVersionResponse, CONTENT_TYPE,
};
use super::types::{
    CompatibilityLevel, CompatibilityResult, Metadata, Mode, RegisteredSchema, RuleSet, Schema,
    Version,
};
use crate::redact::Urls;
use crate::secret::Secret;
use crate::wire::SchemaId;

/// Client settings, named after Confluent's configuration keys: [`ClientConfig::new`] with the
/// URLs, then a chainable method per setting, named like its field. The fields stay public, to
/// read and to set on a value; the struct is `#[non_exhaustive]`, so new settings can come
/// without breaking callers (build it with `new`, not a struct literal).
///
/// ```
/// use std::time::Duration;
///
/// use schemaflow::registry::ClientConfig;
///
/// let config = ClientConfig::new("https://registry-1.example:8081,https://registry-2.example:8081")
///     .basic_auth("alice:hunter2")
///     .request_timeout(Duration::from_secs(5))
///     .max_retries(5);
/// assert_eq!(config.urls.len(), 2);
/// // Every setting shows, secrets as `<redacted>`.
/// let shown = format!("{config:?}");
/// assert!(shown.contains("registry-2.example") && !shown.contains("hunter2"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Base URLs (`schema.registry.url`, comma-separated there); tried in order. A URL's
    /// user-info (`https://user:password@host`) is basic auth for that URL, unless
    /// `basic_auth` or `bearer_token` is set (they win); it prints as `<redacted>`.
    pub urls: Urls,
    /// `user:password` for basic auth (`basic.auth.user.info`). Default: none.
    pub basic_auth: Option<Secret>,
    /// A bearer token (`bearer.auth.token`). Default: none.
    pub bearer_token: Option<Secret>,
    /// PEM CA certificate to trust (`ssl.ca.location`). Default: the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// PEM client certificate + PKCS#8 key (`ssl.certificate.location`, `ssl.key.location`).
    pub client_cert_pem: Option<(Vec<u8>, Secret<Vec<u8>>)>,
    /// Per-request timeout (`request.timeout.ms`). Default: 30 s.
    pub request_timeout: Duration,
    /// Connect timeout. Default: 10 s.
    pub connect_timeout: Duration,
    /// Retries after the first attempt (`max.retries`). Default: 3.
    pub max_retries: u32,
    /// First backoff (`retries.wait.ms`). Default: 1 s.
    pub retry_base: Duration,
    /// Backoff cap (`retries.max.wait.ms`). Default: 20 s.
    pub retry_cap: Duration,
}

impl ClientConfig {
    /// Defaults for one URL or a comma-separated list.
    pub fn new(urls: &str) -> Self {
        ClientConfig {
            urls: urls
                .split(',')
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty())
                .collect(),
            basic_auth: None,
            bearer_token: None,
            ca_pem: None,
            client_cert_pem: None,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(20),
        }
    }

    /// Basic auth as `user:password` (`basic.auth.user.info`).
    pub fn basic_auth(mut self, user_password: impl Into<Secret>) -> Self {
        self.basic_auth = Some(user_password.into());
        self
    }

    /// A bearer token (`bearer.auth.token`).
    pub fn bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// Trust this PEM CA certificate (`ssl.ca.location`) besides the system's.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Present this PEM client certificate with its PKCS#8 PEM key (mutual TLS).
    pub fn client_cert_pem(
        mut self,
        cert: impl Into<Vec<u8>>,
        key: impl Into<Secret<Vec<u8>>>,
    ) -> Self {
        self.client_cert_pem = Some((cert.into(), key.into()));
        self
    }

    /// The per-request timeout (`request.timeout.ms`).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after the first attempt (`max.retries`).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff (`retries.wait.ms`).
    pub fn retry_base(mut self, backoff: Duration) -> Self {
        self.retry_base = backoff;
        self
    }

    /// The backoff cap (`retries.max.wait.ms`).
    pub fn retry_cap(mut self, cap: Duration) -> Self {
        self.retry_cap = cap;
        self
    }
}

/// A registry HTTP client. Cheap to clone.
///
/// It speaks Confluent's REST API, so it works against Confluent Schema Registry and the
/// embedded registry alike (`schemaflow-registry`'s `EmbeddedRegistry` has a runnable example
/// of the two together, for your own tests). Most code wants the caching [`CachedRegistry`]
/// around it.
///
/// ```no_run
/// use schemaflow::registry::{ClientConfig, RegistryClient, Schema};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ClientConfig::new("https://registry-1.example:8081,https://registry-2.example:8081")
///     .max_retries(5); // retries after the first attempt (`max.retries`)
/// let client = RegistryClient::new(config)?;
/// let (id, _guid) = client
///     .register("users-value", &Schema::avro(r#"{"type":"string"}"#), false)
///     .await?;
/// let versions = client.subject_versions("users-value").await?;
/// println!("schema id {id}, versions {versions:?}");
/// # Ok(())
/// # }
/// ```
///
/// [`CachedRegistry`]: super::CachedRegistry
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    /// The configuration, its URLs without user-info.
    config: std::sync::Arc<ClientConfig>,
    /// One per URL of `config.urls`, in the same order.
    endpoints: std::sync::Arc<[Endpoint]>,
}

/// A base URL without its user-info, and the basic-auth credentials that user-info held.
#[derive(Debug)]
struct Endpoint {
    /// What requests go to and errors show.
    base: String,
    /// `(user, password)`, percent-decoded (a user name alone may be a token: both secret).
    user_info: Option<(Secret, Secret)>,
}

impl Endpoint {
    /// Take the user-info out of `url` (it must parse), decoding it as reqwest would.
    fn parse(url: &str) -> Result<Endpoint, RegistryError> {
        let mut parsed = reqwest::Url::parse(url).map_err(|e| {
            RegistryError::Config(format!(
                "invalid registry URL {:?}: {e}",
                crate::redact::url(url)
            ))
        })?;
        if parsed.username().is_empty() && parsed.password().is_none() {
            return Ok(Endpoint {
                base: url.to_string(),
                user_info: None,
            });
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| {
                    RegistryError::Config(format!(
                        "registry URL {}: its user-info is not UTF-8 once percent-decoded",
                        crate::redact::url(url)
                    ))
                })
        };
        let user = decode(parsed.username())?;
        let password = decode(parsed.password().unwrap_or(""))?;
        // Neither fails on a URL that has user-info (only on URLs that cannot have a host).
        let stripped = parsed.set_username("").is_ok() && parsed.set_password(None).is_ok();
        if !stripped {
            return Err(RegistryError::Config(format!(
                "registry URL {}: cannot take the user-info out of it",
                crate::redact::url(url)
            )));
        }
        Ok(Endpoint {
            base: parsed.as_str().trim_end_matches('/').to_string(),
            user_info: Some((user.into(), password.into())),
        })
    }
}

/// A schema fetched by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaById {
    /// The schema.
    pub schema: Schema,
    /// Its GUID, when the registry gives one.
    pub guid: Option<String>,
    /// Its data contract's metadata, when it has one.
    pub metadata: Option<Metadata>,
    /// Its data contract's rules, when it has some: what a producer writing with it and a
    /// consumer reading it run.
    pub rule_set: Option<RuleSet>,
}

impl RegistryClient {
    /// A client for `config`.
    pub fn new(mut config: ClientConfig) -> Result<Self, RegistryError> {
        if config.urls.is_empty() {
            return Err(RegistryError::Config("no registry URL given".into()));
        }
        let endpoints: Vec<Endpoint> = config
            .urls
            .iter()
            .map(|u| Endpoint::parse(u))
            .collect::<Result<_, _>>()?;
        config.urls = endpoints.iter().map(|e| e.base.clone()).collect();
        let mut b = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("schemaflow/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &config.ca_pem {
            let cert = reqwest::Certificate::from_pem(ca).map_err(|e| {
                RegistryError::Config(format!(
                    "the CA certificate is not a PEM certificate: {}",
                    error_chain(&e)
                ))
            })?;
            b = b.add_root_certificate(cert);
        }
        if let Some((cert, key)) = &config.client_cert_pem {
            let key = key.expose_secret();
            if !key
                .trim_ascii_start()
                .starts_with(b"-----BEGIN PRIVATE KEY-----")
            {
                return Err(RegistryError::Config(
                    "the client key cannot be read: it must be a PKCS#8 PEM private key \
                     (-----BEGIN PRIVATE KEY-----; convert with `openssl pkcs8 -topk8 -nocrypt`)"
                        .into(),
                ));
            }
            let id =
                reqwest::Identity::from_pkcs8_pem(cert, key.trim_ascii_start()).map_err(|e| {
                    RegistryError::Config(format!(
                        "the client certificate or key cannot be read: {}",
                        error_chain(&e)
                    ))
                })?;
            b = b.identity(id);
        }
        let http = b.build().map_err(|e| {
            // reqwest's own text is only "builder error": its source says what failed.
            let chain = std::error::Error::source(&e).map_or_else(|| e.to_string(), error_chain);
            // OpenSSL checks that the key is the certificate's only when the client is built,
            // and reqwest calls every failure there "builder error".
            if config.client_cert_pem.is_some() && chain.contains("key values mismatch") {
                RegistryError::Config(format!(
                    "the client key does not match the client certificate ({chain})"
                ))
            } else {
                RegistryError::Config(chain)
            }
        })?;
        Ok(RegistryClient {
            http,
            config: std::sync::Arc::new(config),
            endpoints: endpoints.into(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Register `schema` under `subject`; answers its id (existing or new).
    pub async fn register(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<(SchemaId, Option<String>), RegistryError> {
        let path = format!("/subjects/{}/versions", enc(subject));
        let r: RegisterResponse = self
            .call(
                Method::POST,
                &path,
                &[("normalize", normalize.to_string())],
                Some(&SchemaRequest::new(schema)),
            )
            .await?;
        Ok((SchemaId(r.id), r.guid))
    }

    /// Register `schema` under `subject` with a data contract (`metadata`, `rule_set`);
    /// answers its id (and GUID). A schema that differs from a registered one only in its contract is
    /// a new version, as Confluent decides.
    pub async fn register_with_contract(
        &self,
        subject: &str,
        schema: &Schema,
        metadata: Option<Metadata>,
        rule_set: Option<RuleSet>,
        normalize: bool,
    ) -> Result<(SchemaId, Option<String>), RegistryError> {
        let path = format!("/subjects/{}/versions", enc(subject));
        let r: RegisterResponse = self
            .call(
                Method::POST,
                &path,
                &[("normalize", normalize.to_string())],
                Some(&SchemaRequest::new(schema).with_contract(metadata, rule_set)),
            )
            .await?;
        Ok((SchemaId(r.id), r.guid))
    }

    /// Find the version of `subject` holding `schema`.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<RegisteredSchema, RegistryError> {
        let path = format!("/subjects/{}", enc(subject));
        let r: SubjectVersionResponse = self
            .call(
                Method::POST,
                &path,
                &[("normalize", normalize.to_string())],
                Some(&SchemaRequest::new(schema)),
            )
            .await?;
        self.registered(Method::POST, &path, r)
    }

    /// The registered schema of an answer, or why it is not one.
    fn registered(
        &self,
        method: Method,
        path: &str,
        r: SubjectVersionResponse,
    ) -> Result<RegisteredSchema, RegistryError> {
        r.into_registered().map_err(|e| RegistryError::BadResponse {
            method: method.to_string(),
            url: self.url_for(0, path),
            reason: e.to_string(),
        })
    }

    /// `GET /schemas/ids/{id}`.
    pub async fn schema_by_id(&self, id: SchemaId) -> Result<SchemaById, RegistryError> {
        let path = format!("/schemas/ids/{}", id.0);
        let body: SchemaResponse = self.call(Method::GET, &path, &[], None::<&()>).await?;
        let schema = body.schema().map_err(|e| RegistryError::BadResponse {
            method: "GET".into(),
            url: self.url_for(0, &path),
            reason: e.to_string(),
        })?;
        Ok(SchemaById {
            schema,
            guid: body.guid,
            metadata: body.metadata,
            rule_set: body.rule_set,
        })
    }

    /// `GET /schemas/guids/{guid}`.
    pub async fn schema_by_guid(
        &self,
        guid: &str,
    ) -> Result<(SchemaId, SchemaById), RegistryError> {
        let path = format!("/schemas/guids/{}", enc(guid));
        let body: SchemaResponse = self.call(Method::GET, &path, &[], None::<&()>).await?;
        let url = self.url_for(0, &path);
        let id = body.id.map(SchemaId);
        let s = SchemaById {
            schema: body.schema().map_err(|e| RegistryError::BadResponse {
                method: "GET".into(),
                url: url.clone(),
                reason: e.to_string(),
            })?,
            guid: body.guid,
            metadata: body.metadata,
            rule_set: body.rule_set,
        };
        let id = id.ok_or_else(|| RegistryError::BadResponse {
            method: "GET".into(),
            url,
            reason: "no id in answer".into(),
        })?;
        Ok((id, s))
    }

    /// `GET /schemas/ids/{id}/subjects`.
    pub async fn subjects_for_id(&self, id: SchemaId) -> Result<Vec<String>, RegistryError> {
        self.call(
            Method::GET,
            &format!("/schemas/ids/{}/subjects", id.0),
            &[],
            None::<&()>,
        )
        .await
    }

    /// `GET /schemas/ids/{id}/versions`: `(subject, version)` pairs.
    pub async fn versions_for_id(&self, id: SchemaId) -> Result<Vec<(String, i32)>, RegistryError> {
        let v: Vec<SubjectVersion> = self
            .call(
                Method::GET,
                &format!("/schemas/ids/{}/versions", id.0),
                &[],
                None::<&()>,
            )
            .await?;
        Ok(v.into_iter().map(|x| (x.subject, x.version)).collect())
    }

    /// `GET /subjects`.
    pub async fn subjects(&self, deleted: bool) -> Result<Vec<String>, RegistryError> {
        self.call(
            Method::GET,
            "/subjects",
            &[("deleted", deleted.to_string())],
            None::<&()>,
        )
        .await
    }

    /// `GET /subjects/{subject}/versions`.
    pub async fn subject_versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        self.call(
            Method::GET,
            &format!("/subjects/{}/versions", enc(subject)),
            &[],
            None::<&()>,
        )
        .await
    }

    /// `GET /subjects/{subject}/metadata?key=…&value=…`: the latest version of `subject`
    /// whose metadata properties hold every pair of `properties` (Confluent's
    /// `use.latest.with.metadata`).
    pub async fn latest_with_metadata(
        &self,
        subject: &str,
        properties: &std::collections::BTreeMap<String, String>,
    ) -> Result<RegisteredSchema, RegistryError> {
        let path = format!("/subjects/{}/metadata", enc(subject));
        let query: Vec<(&str, String)> = properties
            .iter()
            .flat_map(|(k, v)| [("key", k.clone()), ("value", v.clone())])
            .collect();
        let r: SubjectVersionResponse = self.call(Method::GET, &path, &query, None::<&()>).await?;
        self.registered(Method::GET, &path, r)
    }

    /// `GET /subjects/{subject}/versions/{version}`.
    pub async fn version(
        &self,
        subject: &str,
        version: Version,
    ) -> Result<RegisteredSchema, RegistryError> {
        let path = format!("/subjects/{}/versions/{version}", enc(subject));
        let r: SubjectVersionResponse = self.call(Method::GET, &path, &[], None::<&()>).await?;
        self.registered(Method::GET, &path, r)
    }

    /// `DELETE /subjects/{subject}`: the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i32>, RegistryError> {
        self.call(
            Method::DELETE,
            &format!("/subjects/{}", enc(subject)),
            &[("permanent", permanent.to_string())],
            None::<&()>,
        )
        .await
    }

    /// `DELETE /subjects/{subject}/versions/{version}`.
    pub async fn delete_version(
        &self,
        subject: &str,
        version: Version,
        permanent: bool,
    ) -> Result<i32, RegistryError> {
        self.call(
            Method::DELETE,
            &format!("/subjects/{}/versions/{version}", enc(subject)),
            &[("permanent", permanent.to_string())],
            None::<&()>,
        )
        .await
    }

    /// `GET /config` (subject `None`) or `GET /config/{subject}?defaultToGlobal=true`.
    pub async fn compatibility(
        &self,
        subject: Option<&str>,
    ) -> Result<CompatibilityLevel, RegistryError> {
        let c: ConfigResponse = match subject {
            None => self.call(Method::GET, "/config", &[], None::<&()>).await?,
            Some(s) => {
                self.call(
                    Method::GET,
                    &format!("/config/{}", enc(s)),
                    &[("defaultToGlobal", "true".into())],
                    None::<&()>,
                )
                .await?
            }
        };
        Ok(c.compatibility_level)
    }

    /// The `compatibilityGroup` of `GET /config/{subject}?defaultToGlobal=true`: the metadata
    /// property whose value scopes the subject's compatibility checks (`None`: all versions
    /// are compared).
    pub async fn compatibility_group(
        &self,
        subject: &str,
    ) -> Result<Option<String>, RegistryError> {
        /// The one field of the config read here.
        #[derive(serde::Deserialize)]
        struct Group {
            #[serde(rename = "compatibilityGroup", default)]
            compatibility_group: Option<String>,
        }
        let g: Group = self
            .call(
                Method::GET,
                &format!("/config/{}", enc(subject)),
                &[("defaultToGlobal", "true".into())],
                None::<&()>,
            )
            .await?;
        Ok(g.compatibility_group)
    }

    /// `PUT /config[/{subject}]`.
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: CompatibilityLevel,
    ) -> Result<CompatibilityLevel, RegistryError> {
        let path = subject.map_or("/config".to_string(), |s| format!("/config/{}", enc(s)));
        let c: ConfigUpdateResponse = self
            .call(
                Method::PUT,
                &path,
                &[],
                Some(&ConfigUpdateRequest::new(level)),
            )
            .await?;
        Ok(c.compatibility)
    }

    /// `GET /mode[/{subject}]`.
    pub async fn mode(&self, subject: Option<&str>) -> Result<Mode, RegistryError> {
        let path = subject.map_or("/mode".to_string(), |s| format!("/mode/{}", enc(s)));
        let m: ModeResponse = self.call(Method::GET, &path, &[], None::<&()>).await?;
        Ok(m.mode)
    }

    /// `PUT /mode[/{subject}]`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: Mode) -> Result<Mode, RegistryError> {
        let path = subject.map_or("/mode".to_string(), |s| format!("/mode/{}", enc(s)));
        let m: ModeResponse = self
            .call(
                Method::PUT,
                &path,
                &[],
                Some(&ModeUpdateRequest {
                    mode: mode.to_string(),
                }),
            )
            .await?;
        Ok(m.mode)
    }

    /// `POST /compatibility/subjects/{subject}/versions/{version}?verbose=true`; `version`
    /// `None` checks against every version the subject's level names.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        version: Option<Version>,
        schema: &Schema,
    ) -> Result<CompatibilityResult, RegistryError> {
        self.check_compatibility_with_metadata(subject, version, schema, None)
            .await
    }

    /// [`check_compatibility`](Self::check_compatibility) of `schema` as it would be registered
    /// with `metadata`: with a `compatibilityGroup` configured, the registry compares it with
    /// the versions of its group only.
    pub async fn check_compatibility_with_metadata(
        &self,
        subject: &str,
        version: Option<Version>,
        schema: &Schema,
        metadata: Option<Metadata>,
    ) -> Result<CompatibilityResult, RegistryError> {
        let path = match version {
            Some(v) => format!("/compatibility/subjects/{}/versions/{v}", enc(subject)),
            None => format!("/compatibility/subjects/{}/versions", enc(subject)),
        };
        let r: CompatibilityCheckResponse = self
            .call(
                Method::POST,
                &path,
                &[("verbose", "true".into())],
                Some(&SchemaRequest::new(schema).with_contract(metadata, None)),
            )
            .await?;
        Ok(r.into())
    }

    /// `GET /schemas/types`.
    pub async fn schema_types(&self) -> Result<Vec<String>, RegistryError> {
        self.call(Method::GET, "/schemas/types", &[], None::<&()>)
            .await
    }

    fn endpoint(&self, i: usize) -> &Endpoint {
        &self.endpoints[i % self.endpoints.len()]
    }

    fn url_for(&self, i: usize, path: &str) -> String {
        format!("{}{path}", self.endpoint(i).base)
    }

    /// One logical call: failover across URLs, retries with backoff, typed errors.
    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, RegistryError> {
        let mut attempt: u32 = 0;
        let mut url_index = 0usize;
        loop {
            let url = self.url_for(url_index, path);
            let endpoint = self.endpoint(url_index);
            let result = self.once(&method, &url, endpoint, query, body).await;
            let err = match result {
                Ok(bytes) => {
                    return serde_json::from_slice(&bytes).map_err(|e| RegistryError::BadResponse {
                        method: method.to_string(),
                        url,
                        reason: e.to_string(),
                    })
                }
                Err((err, retry_after)) => {
                    if !err.is_transient() {
                        return Err(err);
                    }
                    (err, retry_after)
                }
            };
            // Another URL first, if there is one; a retry (with backoff) once all were tried.
            url_index += 1;
            if !url_index.is_multiple_of(self.endpoints.len()) {
                tracing::debug!(error = %err.0, "registry call failed; failing over");
                continue;
            }
            if attempt >= self.config.max_retries {
                return Err(err.0);
            }
            let delay = err
                .1
                .unwrap_or_else(|| self.backoff(attempt))
                .min(self.config.retry_cap);
            tracing::debug!(error = %err.0, ?delay, attempt, "registry call failed; retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Full-jitter exponential backoff: uniform in [0, min(cap, base · 2^attempt)], at least
    /// a tenth of that bound so retries never spin.
    fn backoff(&self, attempt: u32) -> Duration {
        let bound = self
            .config
            .retry_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.config.retry_cap);
        let ms = bound.as_millis().max(1) as u64;
        Duration::from_millis(fastrand::u64(ms / 10..=ms))
    }

    async fn once<B: Serialize + ?Sized>(
        &self,
        method: &Method,
        url: &str,
        endpoint: &Endpoint,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<bytes::Bytes, (RegistryError, Option<Duration>)> {
        let mut req = self
            .http
            .request(method.clone(), url)
            .header(reqwest::header::ACCEPT, CONTENT_TYPE);
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            let json = serde_json::to_vec(b).map_err(|e| {
                (
                    RegistryError::Config(format!("cannot serialize request: {e}")),
                    None,
                )
            })?;
            req = req
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(json);
        }
        // One source of credentials: the configured ones win over a URL's user-info.
        let credentials_sent = if let Some(auth) = &self.config.basic_auth {
            let auth = auth.expose_secret();
            let (user, pass) = auth.split_once(':').unwrap_or((auth, ""));
            req = req.basic_auth(user, Some(pass));
            true
        } else if let Some(token) = &self.config.bearer_token {
            req = req.bearer_auth(token.expose_secret());
            true
        } else if let Some((user, pass)) = &endpoint.user_info {
            req = req.basic_auth(user.expose_secret(), Some(pass.expose_secret()));
            true
        } else {
            false
        };
        let transport = |e: reqwest::Error| {
            // reqwest repeats the URL in its message: the error has it once already.
            let reason = error_chain(&e.without_url());
            let err = match tls_problem(
                url.starts_with("https://"),
                self.config.client_cert_pem.is_some(),
                &reason,
            ) {
                Some(problem) => RegistryError::Tls {
                    method: method.to_string(),
                    url: url.to_string(),
                    problem,
                    reason,
                },
                None => RegistryError::Transport {
                    method: method.to_string(),
                    url: url.to_string(),
                    reason,
                },
            };
            (err, None)
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = resp.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok(bytes);
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(b) => (ErrorCode::from_code(b.error_code), b.message),
            Err(_) => (
                ErrorCode::Other(i32::from(status.as_u16())),
                String::from_utf8_lossy(&bytes).chars().take(500).collect(),
            ),
        };
        Err((
            RegistryError::Response {
                method: method.to_string(),
                url: url.to_string(),
                status: status.as_u16(),
                code,
                message,
                credentials_sent,
            },
            retry_after.filter(|_| {
                status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            }),
        ))
    }
}

/// Percent-encode a path segment (subjects may hold `/`, as Protobuf import subjects do).
fn enc(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An error and its sources, `: `-separated, each said once (hyper and native-tls repeat
/// their source's text in their own).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s
}

/// What went wrong in TLS, read from the transport error's text (`reason`), or `None` when the
/// failure is not TLS's (connection refused, a timeout, a reset on plain HTTP). reqwest's TLS
/// library here is OpenSSL (native-tls): the phrases are OpenSSL's verify results and alerts.
fn tls_problem(https: bool, client_certificate: bool, reason: &str) -> Option<TlsProblem> {
    let r = reason.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| r.contains(n));
    // Alerts the server sent: about our certificate, not theirs.
    if has(&["certificate required"]) {
        return Some(TlsProblem::ClientCertificateRequired);
    }
    if has(&[
        "alert bad certificate",
        "alert unknown ca",
        "alert certificate unknown",
        "alert unsupported certificate",
        "alert certificate expired",
        "alert certificate revoked",
        "alert access denied",
    ]) {
        return Some(if client_certificate {
            TlsProblem::ClientCertificateRefused
        } else {
            TlsProblem::ClientCertificateRequired
        });
    }
    // Our verification of the server's certificate.
    if has(&["certificate verify failed", "certificate has expired"]) {
        return Some(if has(&["expired"]) {
            TlsProblem::Expired
        } else if has(&["not yet valid"]) {
            TlsProblem::NotYetValid
        } else if has(&["hostname mismatch", "ip address mismatch"]) {
            TlsProblem::HostnameMismatch
        } else if has(&[
            "unsuitable certificate purpose",
            "unsupported certificate purpose",
            "invalid ca certificate",
        ]) {
            TlsProblem::NotAServerCertificate
        } else if has(&[
            "local issuer",
            "unable to get issuer",
            "self-signed",
            "self signed",
            "unable to verify the first certificate",
        ]) {
            TlsProblem::UnknownCa
        } else {
            TlsProblem::Other
        });
    }
    if !https {
        return None;
    }
    if has(&["wrong version number", "packet length too long"]) {
        return Some(TlsProblem::NotTls);
    }
    // The server ended the connection without an alert we could read: with TLS 1.3 that is
    // how a refused client certificate looks from here (the client finished its side of the
    // handshake before the server checked the certificate).
    // (hyper's words for a connection that went away: "connection closed", "channel closed",
    // "connection was not ready", "operation was canceled".)
    if has(&[
        "broken pipe",
        "connection reset",
        "closed",
        "unexpected eof",
        "not ready",
        "canceled",
    ]) {
        return Some(TlsProblem::ClosedByServer { client_certificate });
    }
    if has(&["ssl", "tls"]) {
        return Some(TlsProblem::Other);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_subjects_with_slashes() {
        assert_eq!(enc("events/v1/common.proto"), "events%2Fv1%2Fcommon.proto");
        assert_eq!(enc("user-events-value"), "user-events-value");
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        let mut c = ClientConfig::new("http://x");
        c.retry_base = Duration::from_millis(100);
        c.retry_cap = Duration::from_millis(1000);
        let client = RegistryClient::new(c).unwrap();
        for attempt in 0..10 {
            let d = client.backoff(attempt);
            let bound = (100u64 << attempt).min(1000);
            assert!(d.as_millis() as u64 <= bound, "{d:?} > {bound}");
            assert!(d.as_millis() as u64 >= bound / 10);
        }
    }

    #[test]
    fn user_info_is_taken_out_of_urls() {
        let c = ClientConfig::new("http://u1:Secret%40InUrl@127.0.0.1:1/, http://b:8081");
        assert!(!format!("{c:?}").contains("Secret"), "{c:?}");
        let client = RegistryClient::new(c).unwrap();
        assert_eq!(
            *client.config().urls,
            ["http://127.0.0.1:1", "http://b:8081"]
        );
        assert_eq!(
            client.url_for(0, "/subjects"),
            "http://127.0.0.1:1/subjects"
        );
        let Some((user, password)) = &client.endpoints[0].user_info else {
            panic!("the credentials are kept apart");
        };
        assert_eq!(
            (
                user.expose_secret().as_str(),
                password.expose_secret().as_str()
            ),
            ("u1", "Secret@InUrl")
        );
        assert!(client.endpoints[1].user_info.is_none());
        assert!(!format!("{client:?}").contains("Secret"), "{client:?}");
        let e = RegistryClient::new(ClientConfig::new("http://u1:SecretInUrl@h:notaport"))
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("SecretInUrl") && e.contains("<redacted>@h:notaport"),
            "{e}"
        );
    }

    #[test]
    fn tls_failures_are_told_apart() {
        let verify = |why: &str| {
            format!("client error (Connect): error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:2091: ({why})")
        };
        for (reason, problem) in [
            (
                verify("unable to get local issuer certificate"),
                TlsProblem::UnknownCa,
            ),
            (verify("self-signed certificate"), TlsProblem::UnknownCa),
            (verify("certificate has expired"), TlsProblem::Expired),
            (
                verify("certificate is not yet valid"),
                TlsProblem::NotYetValid,
            ),
            (verify("Hostname mismatch"), TlsProblem::HostnameMismatch),
            (verify("IP address mismatch"), TlsProblem::HostnameMismatch),
            (
                verify("unsupported certificate purpose"),
                TlsProblem::NotAServerCertificate,
            ),
            (
                "error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required"
                    .into(),
                TlsProblem::ClientCertificateRequired,
            ),
            (
                "error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca".into(),
                TlsProblem::ClientCertificateRefused,
            ),
            (
                "error:0A00010B:SSL routines:ssl3_get_record:wrong version number".into(),
                TlsProblem::NotTls,
            ),
            (
                "client error (SendRequest): stream closed because of a broken pipe".into(),
                TlsProblem::ClosedByServer {
                    client_certificate: true,
                },
            ),
        ] {
            assert_eq!(tls_problem(true, true, &reason), Some(problem), "{reason}");
        }
        let refused =
            "client error (Connect): tcp connect error: Connection refused (os error 111)";
        assert_eq!(tls_problem(true, false, refused), None);
        assert_eq!(
            tls_problem(false, false, "connection closed before message completed"),
            None
        );
    }

    #[test]
    fn debug_of_a_config_shows_no_secret() {
        let c = ClientConfig::new("http://url-user:UrlPassword@r1:8081,http://r2:8081")
            .basic_auth("alice:BasicPassword")
            .bearer_token("BearerToken")
            .client_cert_pem(b"CERT".to_vec(), b"PrivateKey".to_vec());
        for shown in [format!("{c:?}"), format!("{c:#?}")] {
            for secret in [
                "url-user",
                "UrlPassword",
                "BasicPassword",
                "BearerToken",
                // b"PrivateKey" as Vec<u8>'s Debug would print it.
                "80, 114, 105",
            ] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(
                shown.contains("r2:8081") && shown.contains("<redacted>"),
                "{shown}"
            );
        }
    }

    #[test]
    fn config_needs_a_valid_url() {
        assert!(RegistryClient::new(ClientConfig::new("")).is_err());
        assert!(RegistryClient::new(ClientConfig::new("not a url")).is_err());
        let c = ClientConfig::new("http://a:8081/, http://b:8081");
        assert_eq!(*c.urls, ["http://a:8081", "http://b:8081"]);
    }
}
