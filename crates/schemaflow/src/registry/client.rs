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

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use super::error::{ErrorBody, ErrorCode, RegistryError};
use super::types::{
    CompatibilityLevel, CompatibilityResult, Mode, RegisteredSchema, Schema, SchemaReference,
    Version,
};
use crate::wire::SchemaId;
use crate::SchemaType;

/// The registry's JSON content type.
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Client settings, named after Confluent's configuration keys.
#[derive(Clone)]
pub struct ClientConfig {
    /// Base URLs (`schema.registry.url`, comma-separated there); tried in order.
    pub urls: Vec<String>,
    /// `user:password` for basic auth (`basic.auth.user.info`). Default: none.
    pub basic_auth: Option<String>,
    /// A bearer token (`bearer.auth.token`). Default: none.
    pub bearer_token: Option<String>,
    /// PEM CA certificate to trust (`ssl.ca.location`). Default: the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// PEM client certificate + PKCS#8 key (`ssl.certificate.location`, `ssl.key.location`).
    pub client_cert_pem: Option<(Vec<u8>, Vec<u8>)>,
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

/// Every setting, secrets as `<redacted>` ([`crate::redact`]).
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Exhaustive: a new field must be placed here, secret or not.
        let ClientConfig {
            urls,
            basic_auth,
            bearer_token,
            ca_pem,
            client_cert_pem,
            request_timeout,
            connect_timeout,
            max_retries,
            retry_base,
            retry_cap,
        } = self;
        f.debug_struct("ClientConfig")
            .field("urls", urls)
            .field("basic_auth", &crate::redact::presence(basic_auth))
            .field("bearer_token", &crate::redact::presence(bearer_token))
            .field("ca_pem", ca_pem)
            .field(
                "client_cert_pem",
                &client_cert_pem.as_ref().map(|(cert, _key)| {
                    (
                        String::from_utf8_lossy(cert).into_owned(),
                        crate::redact::REDACTED,
                    )
                }),
            )
            .field("request_timeout", request_timeout)
            .field("connect_timeout", connect_timeout)
            .field("max_retries", max_retries)
            .field("retry_base", retry_base)
            .field("retry_cap", retry_cap)
            .finish()
    }
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
}

/// A registry HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    config: std::sync::Arc<ClientConfig>,
}

/// A schema fetched by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaById {
    /// The schema.
    pub schema: Schema,
    /// Its GUID, when the registry gives one.
    pub guid: Option<String>,
}

#[derive(serde::Deserialize)]
struct IdBody {
    #[serde(default)]
    id: Option<u32>,
    schema: String,
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<SchemaReference>,
    #[serde(default)]
    guid: Option<String>,
}

impl IdBody {
    fn into_schema(self) -> Result<SchemaById, String> {
        let schema_type = match self.schema_type.as_deref() {
            None | Some("") => SchemaType::Avro,
            Some(t) => t.parse().map_err(|e| format!("{e}"))?,
        };
        Ok(SchemaById {
            schema: Schema {
                schema: self.schema,
                schema_type,
                references: self.references,
            },
            guid: self.guid,
        })
    }
}

impl RegistryClient {
    /// A client for `config`.
    pub fn new(config: ClientConfig) -> Result<Self, RegistryError> {
        if config.urls.is_empty() {
            return Err(RegistryError::Config("no registry URL given".into()));
        }
        for u in &config.urls {
            reqwest::Url::parse(u)
                .map_err(|e| RegistryError::Config(format!("invalid registry URL {u:?}: {e}")))?;
        }
        let mut b = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("schemaflow/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &config.ca_pem {
            let cert = reqwest::Certificate::from_pem(ca)
                .map_err(|e| RegistryError::Config(format!("CA certificate: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        if let Some((cert, key)) = &config.client_cert_pem {
            let id = reqwest::Identity::from_pkcs8_pem(cert, key)
                .map_err(|e| RegistryError::Config(format!("client certificate: {e}")))?;
            b = b.identity(id);
        }
        let http = b
            .build()
            .map_err(|e| RegistryError::Config(e.to_string()))?;
        Ok(RegistryClient {
            http,
            config: std::sync::Arc::new(config),
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
        #[derive(serde::Deserialize)]
        struct R {
            id: u32,
            #[serde(default)]
            guid: Option<String>,
        }
        let path = format!("/subjects/{}/versions", enc(subject));
        let r: R = self
            .call(
                Method::POST,
                &path,
                &[("normalize", normalize.to_string())],
                Some(schema),
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
        self.call(
            Method::POST,
            &path,
            &[("normalize", normalize.to_string())],
            Some(schema),
        )
        .await
    }

    /// `GET /schemas/ids/{id}`.
    pub async fn schema_by_id(&self, id: SchemaId) -> Result<SchemaById, RegistryError> {
        let path = format!("/schemas/ids/{}", id.0);
        let body: IdBody = self.call(Method::GET, &path, &[], None::<&()>).await?;
        let url = self.url_for(0, &path);
        body.into_schema()
            .map_err(|reason| RegistryError::BadResponse {
                method: "GET".into(),
                url,
                reason,
            })
    }

    /// `GET /schemas/guids/{guid}`.
    pub async fn schema_by_guid(
        &self,
        guid: &str,
    ) -> Result<(SchemaId, SchemaById), RegistryError> {
        let path = format!("/schemas/guids/{}", enc(guid));
        let body: IdBody = self.call(Method::GET, &path, &[], None::<&()>).await?;
        let url = self.url_for(0, &path);
        let id = body.id.map(SchemaId);
        let s = body
            .into_schema()
            .map_err(|reason| RegistryError::BadResponse {
                method: "GET".into(),
                url: url.clone(),
                reason,
            })?;
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
        #[derive(serde::Deserialize)]
        struct SV {
            subject: String,
            version: i32,
        }
        let v: Vec<SV> = self
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

    /// `GET /subjects/{subject}/versions/{version}`.
    pub async fn version(
        &self,
        subject: &str,
        version: Version,
    ) -> Result<RegisteredSchema, RegistryError> {
        self.call(
            Method::GET,
            &format!("/subjects/{}/versions/{version}", enc(subject)),
            &[],
            None::<&()>,
        )
        .await
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
        #[derive(serde::Deserialize)]
        struct C {
            #[serde(rename = "compatibilityLevel")]
            level: CompatibilityLevel,
        }
        let c: C = match subject {
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
        Ok(c.level)
    }

    /// `PUT /config[/{subject}]`.
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: CompatibilityLevel,
    ) -> Result<CompatibilityLevel, RegistryError> {
        #[derive(serde::Deserialize)]
        struct C {
            compatibility: CompatibilityLevel,
        }
        let path = subject.map_or("/config".to_string(), |s| format!("/config/{}", enc(s)));
        let c: C = self
            .call(
                Method::PUT,
                &path,
                &[],
                Some(&json!({"compatibility": level})),
            )
            .await?;
        Ok(c.compatibility)
    }

    /// `GET /mode[/{subject}]`.
    pub async fn mode(&self, subject: Option<&str>) -> Result<Mode, RegistryError> {
        #[derive(serde::Deserialize)]
        struct M {
            mode: Mode,
        }
        let path = subject.map_or("/mode".to_string(), |s| format!("/mode/{}", enc(s)));
        let m: M = self.call(Method::GET, &path, &[], None::<&()>).await?;
        Ok(m.mode)
    }

    /// `PUT /mode[/{subject}]`.
    pub async fn set_mode(&self, subject: Option<&str>, mode: Mode) -> Result<Mode, RegistryError> {
        #[derive(serde::Deserialize)]
        struct M {
            mode: Mode,
        }
        let path = subject.map_or("/mode".to_string(), |s| format!("/mode/{}", enc(s)));
        let m: M = self
            .call(Method::PUT, &path, &[], Some(&json!({"mode": mode})))
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
        let path = match version {
            Some(v) => format!("/compatibility/subjects/{}/versions/{v}", enc(subject)),
            None => format!("/compatibility/subjects/{}/versions", enc(subject)),
        };
        self.call(
            Method::POST,
            &path,
            &[("verbose", "true".into())],
            Some(schema),
        )
        .await
    }

    /// `GET /schemas/types`.
    pub async fn schema_types(&self) -> Result<Vec<String>, RegistryError> {
        self.call(Method::GET, "/schemas/types", &[], None::<&()>)
            .await
    }

    fn url_for(&self, i: usize, path: &str) -> String {
        format!("{}{path}", self.config.urls[i % self.config.urls.len()])
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
            let result = self.once(&method, &url, query, body).await;
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
            if !url_index.is_multiple_of(self.config.urls.len()) {
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
        if let Some(auth) = &self.config.basic_auth {
            let (user, pass) = auth.split_once(':').unwrap_or((auth, ""));
            req = req.basic_auth(user, Some(pass));
        } else if let Some(token) = &self.config.bearer_token {
            req = req.bearer_auth(token);
        }
        let transport = |e: reqwest::Error| {
            let mut reason = error_chain(&e);
            // TLS 1.3 checks the client's certificate after the handshake: a server requiring
            // one just closes the connection, and the client never reads its alert. Say what
            // the likely cause is rather than leave a bare "connection closed".
            if url.starts_with("https://")
                && self.config.client_cert_pem.is_none()
                && reason.contains("closed")
            {
                reason.push_str(
                    " (the server closed the TLS connection: if it requires client certificates, \
                     mutual TLS, set a client certificate and key)",
                );
            }
            (
                RegistryError::Transport {
                    method: method.to_string(),
                    url: url.to_string(),
                    reason,
                },
                None,
            )
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

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
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
    fn config_needs_a_valid_url() {
        assert!(RegistryClient::new(ClientConfig::new("")).is_err());
        assert!(RegistryClient::new(ClientConfig::new("not a url")).is_err());
        let c = ClientConfig::new("http://a:8081/, http://b:8081");
        assert_eq!(c.urls, ["http://a:8081", "http://b:8081"]);
    }
}
