//! A Toxiproxy server for network-fault tests (`scripts/toxiproxy start` in a temp dir, stopped
//! and removed when the test process exits) and a small client of its HTTP API: proxies on
//! loopback, and toxics on them — latency, a black hole (`timeout`), cut connections
//! (`reset_peer`), a byte limit (`limit_data`) — added and removed while clients run.
#![allow(dead_code)]

use std::process::Child;
use std::time::Duration;

use serde_json::{json, Value};

/// A running Toxiproxy server; stopped (by its watcher) when the test process exits.
pub struct Toxiproxy {
    api: String,
    http: reqwest::Client,
    _watcher: Child,
}

/// Which way a toxic acts: on what the client sends (`Upstream`) or on what it receives
/// (`Downstream`).
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Upstream,
    Downstream,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Upstream => "upstream",
            Stream::Downstream => "downstream",
        }
    }
}

/// A fault Toxiproxy applies to a proxy's connections.
#[derive(Clone, Copy, Debug)]
pub enum Toxic {
    /// Every chunk delayed by `latency` ± `jitter`.
    Latency { latency: Duration, jitter: Duration },
    /// A black hole: nothing gets through and the connection stays open (the peer sees a
    /// timeout, not a refusal) until the toxic is removed.
    BlackHole,
    /// Connections reset (TCP RST) when data comes, after `after`.
    ResetPeer { after: Duration },
    /// Connections closed once `bytes` went through.
    LimitData { bytes: u64 },
}

impl Toxic {
    fn kind_and_attributes(self) -> (&'static str, Value) {
        let ms = |d: Duration| d.as_millis() as u64;
        match self {
            Toxic::Latency { latency, jitter } => (
                "latency",
                json!({ "latency": ms(latency), "jitter": ms(jitter) }),
            ),
            Toxic::BlackHole => ("timeout", json!({ "timeout": 0 })),
            Toxic::ResetPeer { after } => ("reset_peer", json!({ "timeout": ms(after) })),
            Toxic::LimitData { bytes } => ("limit_data", json!({ "bytes": bytes })),
        }
    }
}

impl Toxiproxy {
    /// Start a server (building it first when the cache has none) and wait until it answers.
    pub fn start() -> Toxiproxy {
        // A cold install builds the server from the Go module proxy first.
        let (api, watcher, _) =
            super::broker::watched("toxiproxy", "start", &[], Duration::from_secs(600));
        Toxiproxy {
            api,
            http: reqwest::Client::new(),
            _watcher: watcher,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("http://{}{path}", self.api))
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("toxiproxy {method} {path}: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "toxiproxy {method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A proxy named `name` to `upstream` (`host:port`), listening on a free loopback port;
    /// returns the address it listens on.
    pub async fn proxy(&self, name: &str, upstream: &str) -> String {
        let p = self
            .call(
                reqwest::Method::POST,
                "/proxies",
                Some(json!({ "name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": true })),
            )
            .await;
        p["listen"]
            .as_str()
            .unwrap_or_else(|| panic!("toxiproxy answered no listen address: {p}"))
            .to_string()
    }

    /// A proxy named `name` listening on `listen` (a port a broker advertises) to `upstream`.
    pub async fn proxy_on(&self, name: &str, listen: &str, upstream: &str) {
        self.call(
            reqwest::Method::POST,
            "/proxies",
            Some(json!({ "name": name, "listen": listen, "upstream": upstream, "enabled": true })),
        )
        .await;
    }

    /// Point proxy `name` (listening on `listen`) at another upstream: for a broker that must
    /// advertise the proxy's address before it starts.
    pub async fn set_upstream(&self, name: &str, listen: &str, upstream: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/proxies/{name}"),
            Some(json!({ "listen": listen, "upstream": upstream, "enabled": true })),
        )
        .await;
    }

    /// Enable or disable proxy `name` (disabled: its connections closed, new ones refused).
    pub async fn set_enabled(&self, name: &str, enabled: bool) {
        self.call(
            reqwest::Method::POST,
            &format!("/proxies/{name}"),
            Some(json!({ "enabled": enabled })),
        )
        .await;
    }

    /// Add `toxic` to proxy `proxy` under the name `name`, on `stream`, for every connection.
    pub async fn add(&self, proxy: &str, name: &str, stream: Stream, toxic: Toxic) {
        let (kind, attributes) = toxic.kind_and_attributes();
        self.call(
            reqwest::Method::POST,
            &format!("/proxies/{proxy}/toxics"),
            Some(json!({
                "name": name,
                "type": kind,
                "stream": stream.name(),
                "toxicity": 1.0,
                "attributes": attributes,
            })),
        )
        .await;
    }

    /// Remove toxic `name` from proxy `proxy`.
    pub async fn remove(&self, proxy: &str, name: &str) {
        self.call(
            reqwest::Method::DELETE,
            &format!("/proxies/{proxy}/toxics/{name}"),
            None,
        )
        .await;
    }
}
