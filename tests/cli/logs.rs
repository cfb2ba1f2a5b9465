//! What an operator reads: `registry serve` logs its start-up configuration and one access
//! line per request (method, route template, status, latency, principal), as text or JSON,
//! on stderr; other commands stay quiet unless `RUST_LOG` asks.

use std::io::Read;
use std::process::Command;

use crate::common::serve::Serve;

/// Starts `registry serve` with `args`, makes `requests` (method, path, basic auth) against it,
/// stops it and returns its stderr.
fn serve_and_log(
    args: &[&str],
    env: &[(&str, &str)],
    requests: &[(&str, &str, Option<&str>)],
) -> String {
    let mut serve = Serve::new().args(args).env_remove("RUST_LOG").keep_stderr();
    for (k, v) in env {
        serve = serve.env(k, v);
    }
    let (mut child, url) = serve.serving();
    let http = reqwest::blocking_client();
    for (method, path, auth) in requests {
        let mut req = http.request(method.parse().expect("a method"), format!("{url}{path}"));
        if let Some(a) = auth {
            let (u, p) = a.split_once(':').expect("USER:PASSWORD");
            req = req.basic_auth(u, Some(p));
        }
        req.send().expect("the registry answers");
    }
    // SIGTERM: a clean stop flushes stderr.
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    let _ = child.wait();
    err
}

mod reqwest {
    //! A blocking HTTP client on a runtime of its own (the tests here are synchronous).
    pub struct Blocking(tokio::runtime::Runtime, ::reqwest::Client);
    pub struct Request<'a>(&'a Blocking, ::reqwest::RequestBuilder);
    pub fn blocking_client() -> Blocking {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        Blocking(rt, ::reqwest::Client::new())
    }
    impl Blocking {
        pub fn request(&self, method: ::reqwest::Method, url: String) -> Request<'_> {
            Request(self, self.1.request(method, url))
        }
    }
    impl Request<'_> {
        pub fn basic_auth(self, user: &str, password: Option<&str>) -> Self {
            Request(self.0, self.1.basic_auth(user, password))
        }
        pub fn send(self) -> Result<::reqwest::Response, ::reqwest::Error> {
            self.0 .0.block_on(self.1.send())
        }
    }
}

#[test]
fn registry_serve_logs_its_configuration_and_one_json_access_line_per_request() {
    let err = serve_and_log(
        &["--log-format", "json"],
        &[("SCHEMAFLOW_REGISTRY_BASIC_AUTH", "ops:Sup3rSecretPw")],
        &[
            ("GET", "/subjects", Some("ops:Sup3rSecretPw")),
            (
                "GET",
                "/subjects/orders-value/versions/1",
                Some("ops:Sup3rSecretPw"),
            ),
            ("GET", "/subjects", Some("ops:wrong")),
        ],
    );
    assert!(
        !err.contains("Sup3rSecretPw"),
        "a password reached the log:\n{err}"
    );
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let start = lines
        .iter()
        .find(|l| l["message"] == "registry starting")
        .unwrap_or_else(|| panic!("no start-up line:\n{err}"));
    assert!(
        start["config"]
            .as_str()
            .unwrap_or_default()
            .contains("basic_auth"),
        "the start-up line shows the configuration: {start}"
    );
    let access: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "schemaflow_registry::access")
        .collect();
    let seen: Vec<(String, String, u64, String)> = access
        .iter()
        .map(|l| {
            (
                l["method"].as_str().unwrap_or_default().to_string(),
                l["route"].as_str().unwrap_or_default().to_string(),
                l["status"].as_u64().unwrap_or_default(),
                l["principal"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("GET".into(), "/subjects".into(), 200, "ops".into()),
            (
                "GET".into(),
                "/subjects/{subject}/versions/{version}".into(),
                404,
                "ops".into()
            ),
            ("GET".into(), "/subjects".into(), 401, "-".into()),
        ],
        "one access line per request, with the route template:\n{err}"
    );
    assert!(
        access.iter().all(|l| l["latency_ms"].as_f64().is_some()),
        "every access line has its latency: {access:?}"
    );
}

#[test]
fn other_commands_log_nothing_unless_rust_log_asks() {
    // A registry that is not there: the command fails with its one line either way.
    let run = |rust_log: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
        cmd.args(["--registry", "http://127.0.0.1:9", "schemas", "list"])
            .env_remove("RUST_LOG");
        if let Some(l) = rust_log {
            cmd.env("RUST_LOG", l);
        }
        let out = cmd.output().expect("run schemaflow");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let quiet = run(None);
    assert_eq!(
        quiet.lines().count(),
        1,
        "one line without RUST_LOG:\n{quiet}"
    );
    let verbose = run(Some("debug"));
    assert!(
        verbose.lines().count() > 1 && verbose.contains("DEBUG"),
        "RUST_LOG=debug logs:\n{verbose}"
    );
}
