//! A registry's REST API over real HTTP for the tests: each call answers its status and its
//! body as JSON (a body that is not JSON comes back as a JSON string).

use serde_json::Value;

/// Confluent's content type for the registry's requests.
pub const CT: &str = "application/vnd.schemaregistry.v1+json";

/// A client for one registry's base URL.
pub struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    /// A client for the registry at `base` (`http://127.0.0.1:port`).
    pub fn new(base: &str) -> Self {
        Http {
            base: base.to_string(),
            client: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", CT);
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// `GET path`: the status and the body's exact text (for answers whose bytes matter,
    /// such as a schema's canonical text, which a JSON value would re-order).
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }
}
