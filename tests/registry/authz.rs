//! Authorization over real HTTP: an auth file's users and permissions, per endpoint (401
//! without or with wrong credentials, 403 without the permission, 200 with it), the subject
//! list and schema ids filtered to what the caller may read, `--basic-auth` as one user with
//! every permission, and malformed auth files refused at start-up.

use std::process::{Command, Stdio};
use std::sync::Arc;

use reqwest::Method;
use schemaflow_registry::authz::hash_password;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
use serde_json::{json, Value};

const ADMIN: (&str, &str) = ("admin", "admin-pass");
/// Write on `orders-*` subjects.
const WRITER: (&str, &str) = ("writer", "writer-pass");
/// Read on `orders-*` subjects and the global config.
const READER: (&str, &str) = ("reader", "reader-pass");
/// Read on `shared-*` subjects.
const OTHER: (&str, &str) = ("other", "other-pass");

fn avro(name: &str) -> Value {
    json!({"schema": json!({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]}).to_string()})
}

fn auth_file(dir: &std::path::Path) -> std::path::PathBuf {
    let user = |(name, password): (&str, &str)| json!({"username": name, "algorithm": "argon2", "password_hash": hash_password(password).unwrap()});
    let file = json!({
        "users": [user(ADMIN), user(WRITER), user(READER), user(OTHER)],
        "permissions": [
            {"username": "admin", "operation": "Write", "resource": ".*"},
            {"username": "writer", "operation": "Write", "resource": "Subject:orders-.*"},
            {"username": "reader", "operation": "Read", "resource": "Subject:orders-.*"},
            {"username": "reader", "operation": "Read", "resource": "Config:"},
            {"username": "other", "operation": "read", "resource": "Subject:shared-.*"},
        ]
    });
    let path = dir.join("auth.json");
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

struct Server {
    server: EmbeddedRegistry,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let server = EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().unwrap())
            .auth_file(auth_file(dir.path())),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    Server {
        server,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl Server {
    /// `(status, body, WWW-Authenticate)`.
    async fn call_full(
        &self,
        method: Method,
        path: &str,
        user: Option<(&str, &str)>,
        body: Option<&Value>,
    ) -> (u16, Value, Option<String>) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.server.url()));
        if let Some((u, p)) = user {
            r = r.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            r = r
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(b.to_string());
        }
        let a = r.send().await.unwrap();
        let status = a.status().as_u16();
        let www = a
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_string());
        let text = a.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body, www)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        user: (&str, &str),
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (s, b, _) = self.call_full(method, path, Some(user), body).await;
        (s, b)
    }

    async fn register(&self, subject: &str, schema: &Value) -> u64 {
        let (s, b) = self
            .call(
                Method::POST,
                &format!("/subjects/{subject}/versions"),
                ADMIN,
                Some(schema),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["id"].as_u64().unwrap()
    }
}

/// Every endpoint of the registry, with a body where it takes one.
fn endpoints() -> Vec<(Method, &'static str, Option<Value>)> {
    let schema = avro("E");
    vec![
        (Method::GET, "/", None),
        (Method::GET, "/metrics", None),
        (Method::GET, "/v1/metadata/id", None),
        (Method::GET, "/schemas/types", None),
        (Method::GET, "/schemas?deleted=true", None),
        (
            Method::GET,
            "/v1/metadata/permissions?subject=orders-value",
            None,
        ),
        (Method::GET, "/schemas/ids/1", None),
        (Method::GET, "/schemas/ids/1/schema", None),
        (Method::GET, "/schemas/ids/1/subjects", None),
        (Method::GET, "/schemas/ids/1/versions", None),
        (Method::GET, "/schemas/guids/x", None),
        (Method::GET, "/subjects", None),
        (Method::POST, "/subjects/orders-value", Some(schema.clone())),
        (Method::DELETE, "/subjects/orders-value", None),
        (Method::GET, "/subjects/orders-value/versions", None),
        (
            Method::POST,
            "/subjects/orders-value/versions",
            Some(schema.clone()),
        ),
        (Method::GET, "/subjects/orders-value/versions/1", None),
        (Method::DELETE, "/subjects/orders-value/versions/1", None),
        (
            Method::GET,
            "/subjects/orders-value/versions/1/schema",
            None,
        ),
        (Method::GET, "/config", None),
        (
            Method::PUT,
            "/config",
            Some(json!({"compatibility": "NONE"})),
        ),
        (Method::DELETE, "/config", None),
        (Method::GET, "/config/orders-value", None),
        (
            Method::PUT,
            "/config/orders-value",
            Some(json!({"compatibility": "NONE"})),
        ),
        (Method::DELETE, "/config/orders-value", None),
        (Method::GET, "/mode", None),
        (Method::PUT, "/mode", Some(json!({"mode": "READWRITE"}))),
        // With defaultToGlobal: without a subject-level mode Confluent answers 40409 (issue 28).
        (Method::GET, "/mode/orders-value?defaultToGlobal=true", None),
        (
            Method::PUT,
            "/mode/orders-value",
            Some(json!({"mode": "READWRITE"})),
        ),
        (
            Method::POST,
            "/compatibility/subjects/orders-value/versions/latest",
            Some(schema.clone()),
        ),
        (
            Method::POST,
            "/compatibility/subjects/orders-value/versions",
            Some(schema),
        ),
        (Method::GET, "/no/such/path", None),
    ]
}

#[tokio::test]
async fn every_endpoint_but_health_needs_valid_credentials() {
    let s = start().await;
    let (status, body, _) = s.call_full(Method::GET, "/health", None, None).await;
    assert_eq!(status, 200, "/health stays open for probes: {body}");
    for (method, path, body) in endpoints() {
        for user in [
            None,
            Some(("admin", "wrong")),
            Some(("ghost", "admin-pass")),
        ] {
            let (status, answer, www) =
                s.call_full(method.clone(), path, user, body.as_ref()).await;
            assert_eq!(status, 401, "{method} {path} as {user:?}: {answer}");
            assert_eq!(answer["error_code"], 40101, "{method} {path}");
            assert!(
                www.as_deref()
                    .is_some_and(|w| w.starts_with("Basic realm=")),
                "{method} {path}: {www:?}"
            );
            let text = answer.to_string();
            assert!(!text.contains("admin-pass") && !text.contains("wrong"));
        }
    }
    // A header that is not valid basic auth is a 401 too.
    let a = s
        .http
        .get(format!("{}/subjects", s.server.url()))
        .header("authorization", "Basic not-base64!")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status().as_u16(), 401);
    s.server.stop().await.unwrap();
}

/// A user's name and password.
type User = (&'static str, &'static str);
/// (method, path, body, allowed users, denied users).
type Case<'a> = (Method, &'a str, Option<&'a Value>, &'a [User], &'a [User]);

#[tokio::test]
async fn each_endpoint_needs_its_permission() {
    let s = start().await;
    s.register("orders-value", &avro("Order")).await;
    s.register("orders-tmp", &avro("Tmp")).await;
    s.register("orders-tmp2", &avro("Tmp")).await;
    let schema = avro("Order");
    let none = json!({"compatibility": "NONE"});
    let rw = json!({"mode": "READWRITE"});
    let read_orders = [READER, WRITER, ADMIN];
    let write_orders = [WRITER, ADMIN];
    // (method, path, body, allowed, denied): the allowed users get 200, the others 403.
    let cases: Vec<Case> = vec![
        (
            Method::GET,
            "/subjects/orders-value/versions",
            None,
            &read_orders,
            &[OTHER],
        ),
        (
            Method::GET,
            "/subjects/orders-value/versions/1",
            None,
            &read_orders,
            &[OTHER],
        ),
        (
            Method::GET,
            "/subjects/orders-value/versions/latest/schema",
            None,
            &read_orders,
            &[OTHER],
        ),
        (
            Method::POST,
            "/subjects/orders-value",
            Some(&schema),
            &read_orders,
            &[OTHER],
        ),
        (
            Method::POST,
            "/compatibility/subjects/orders-value/versions/latest",
            Some(&schema),
            &read_orders,
            &[OTHER],
        ),
        (
            Method::POST,
            "/compatibility/subjects/orders-value/versions",
            Some(&schema),
            &read_orders,
            &[OTHER],
        ),
        (
            Method::GET,
            "/config/orders-value?defaultToGlobal=true",
            None,
            &read_orders,
            &[OTHER],
        ),
        (
            Method::GET,
            "/mode/orders-value?defaultToGlobal=true",
            None,
            &read_orders,
            &[OTHER],
        ),
        (
            Method::GET,
            "/subjects/orders-value/versions/1/referencedby",
            None,
            &read_orders,
            &[OTHER],
        ),
        (
            Method::POST,
            "/subjects/orders-value/versions",
            Some(&schema),
            &write_orders,
            &[READER, OTHER],
        ),
        (
            Method::PUT,
            "/config/orders-value",
            Some(&none),
            &write_orders,
            &[READER, OTHER],
        ),
        (
            Method::PUT,
            "/mode/orders-value",
            Some(&rw),
            &write_orders,
            &[READER, OTHER],
        ),
        (
            Method::DELETE,
            "/mode/orders-value",
            None,
            &[WRITER],
            &[READER, OTHER],
        ),
        (
            Method::DELETE,
            "/config/orders-value",
            None,
            &[WRITER],
            &[READER, OTHER],
        ),
        (
            Method::DELETE,
            "/subjects/orders-tmp/versions/1",
            None,
            &[WRITER],
            &[READER, OTHER],
        ),
        (
            Method::DELETE,
            "/subjects/orders-tmp2",
            None,
            &[ADMIN],
            &[READER, OTHER],
        ),
        // Global config and mode: the `Config:` resource.
        (
            Method::GET,
            "/config",
            None,
            &[READER, ADMIN],
            &[WRITER, OTHER],
        ),
        (
            Method::GET,
            "/mode",
            None,
            &[READER, ADMIN],
            &[WRITER, OTHER],
        ),
        (
            Method::PUT,
            "/config",
            Some(&none),
            &[ADMIN],
            &[READER, WRITER, OTHER],
        ),
        (
            Method::DELETE,
            "/config",
            None,
            &[ADMIN],
            &[READER, WRITER, OTHER],
        ),
        (
            Method::PUT,
            "/mode",
            Some(&rw),
            &[ADMIN],
            &[READER, WRITER, OTHER],
        ),
        // Open to every valid user.
        (Method::GET, "/", None, &[READER, OTHER], &[]),
        (Method::GET, "/schemas/types", None, &[READER, OTHER], &[]),
        (Method::GET, "/v1/metadata/id", None, &[OTHER], &[]),
        (Method::GET, "/metrics", None, &[OTHER], &[]),
    ];
    for (method, path, body, allowed, denied) in cases {
        // Denied first: a refused write must not have happened.
        for user in denied {
            let (status, answer) = s.call(method.clone(), path, *user, body).await;
            assert_eq!(status, 403, "{method} {path} as {}: {answer}", user.0);
            assert_eq!(answer["error_code"], 40301, "{method} {path}");
            assert!(
                answer["message"].as_str().unwrap().contains(user.0),
                "{answer}"
            );
        }
        for user in allowed {
            let (status, answer) = s.call(method.clone(), path, *user, body).await;
            assert_eq!(status, 200, "{method} {path} as {}: {answer}", user.0);
        }
    }
    // The refused deletes did not happen before the allowed one.
    let (status, _) = s
        .call(Method::GET, "/subjects/orders-value/versions", ADMIN, None)
        .await;
    assert_eq!(status, 200);
    // A percent-encoded subject is checked as the handler reads it.
    let (status, _) = s
        .call(
            Method::GET,
            "/subjects/orders%2Dvalue/versions",
            OTHER,
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .call(
            Method::GET,
            "/subjects/orders%2Dvalue/versions",
            READER,
            None,
        )
        .await;
    assert_eq!(status, 200);
    s.server.stop().await.unwrap();
}

#[tokio::test]
async fn subject_lists_and_schema_ids_show_only_readable_subjects() {
    let s = start().await;
    let orders = s.register("orders-value", &avro("A")).await;
    let shared = s.register("shared-value", &avro("B")).await;
    let both = s.register("orders-both", &avro("C")).await;
    assert_eq!(s.register("shared-both", &avro("C")).await, both);

    let sref = &s;
    let list = |user| async move { sref.call(Method::GET, "/subjects", user, None).await };
    let mut all: Vec<String> = serde_json::from_value(list(ADMIN).await.1).unwrap();
    all.sort();
    assert_eq!(
        all,
        ["orders-both", "orders-value", "shared-both", "shared-value"]
    );
    let mut reader: Vec<String> = serde_json::from_value(list(READER).await.1).unwrap();
    reader.sort();
    assert_eq!(reader, ["orders-both", "orders-value"]);
    let mut other: Vec<String> = serde_json::from_value(list(OTHER).await.1).unwrap();
    other.sort();
    assert_eq!(other, ["shared-both", "shared-value"]);
    let (status, prefixed) = s
        .call(Method::GET, "/subjects?subjectPrefix=shared", READER, None)
        .await;
    assert_eq!((status, prefixed), (200, json!([])));

    for suffix in ["", "/schema", "/subjects", "/versions"] {
        let path = |id: u64| format!("/schemas/ids/{id}{suffix}");
        assert_eq!(
            s.call(Method::GET, &path(orders), READER, None).await.0,
            200
        );
        let (status, answer) = s.call(Method::GET, &path(shared), READER, None).await;
        assert_eq!(status, 404, "{suffix}: {answer}");
        assert_eq!(answer["error_code"], 40403);
        assert_eq!(answer["message"], format!("Schema {shared} not found"));
        // The same answer as for an id that does not exist: ids cannot be probed.
        let (_, missing) = s.call(Method::GET, &path(999), READER, None).await;
        assert_eq!(missing["error_code"], 40403);
        assert_eq!(s.call(Method::GET, &path(shared), OTHER, None).await.0, 200);
        assert_eq!(s.call(Method::GET, &path(orders), OTHER, None).await.0, 404);
        assert_eq!(s.call(Method::GET, &path(shared), ADMIN, None).await.0, 200);
    }
    // An id under subjects of both kinds: each sees it, and only their own subjects.
    let (_, subjects) = s
        .call(
            Method::GET,
            &format!("/schemas/ids/{both}/subjects"),
            READER,
            None,
        )
        .await;
    assert_eq!(subjects, json!(["orders-both"]));
    let (_, versions) = s
        .call(
            Method::GET,
            &format!("/schemas/ids/{both}/versions"),
            OTHER,
            None,
        )
        .await;
    assert_eq!(versions, json!([{"subject": "shared-both", "version": 1}]));
    // Guids follow their id.
    let (_, by_id) = s
        .call(Method::GET, &format!("/schemas/ids/{shared}"), ADMIN, None)
        .await;
    if let Some(guid) = by_id["guid"].as_str().filter(|g| !g.is_empty()) {
        let path = format!("/schemas/guids/{guid}");
        assert_eq!(s.call(Method::GET, &path, OTHER, None).await.0, 200);
        assert_eq!(s.call(Method::GET, &path, READER, None).await.0, 404);
    }
    s.server.stop().await.unwrap();
}

/// The web page's two reads: `GET /schemas` (every version, filtered like `/subjects`) and
/// `GET /v1/metadata/permissions` (what the caller may do, from the same auth file).
#[tokio::test]
async fn schema_list_and_permissions_follow_the_auth_file() {
    let s = start().await;
    s.register("orders-value", &avro("A")).await;
    s.register(
        "orders-value",
        &json!({"schema": json!({"type": "record", "name": "A", "fields": [
        {"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 0}]}).to_string()}),
    )
    .await;
    s.register("shared-value", &avro("B")).await;
    let (status, _) = s
        .call(
            Method::DELETE,
            "/subjects/orders-value/versions/1",
            ADMIN,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let listed = |answer: Value| -> Vec<(String, i64, bool)> {
        answer
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| {
                (
                    v["subject"].as_str().unwrap().to_string(),
                    v["version"].as_i64().unwrap(),
                    v["deleted"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    };
    let (_, all) = s
        .call(Method::GET, "/schemas?deleted=true", ADMIN, None)
        .await;
    assert_eq!(
        listed(all),
        [
            ("orders-value".into(), 1, true),
            ("orders-value".into(), 2, false),
            ("shared-value".into(), 1, false)
        ]
    );
    let (_, live) = s.call(Method::GET, "/schemas", READER, None).await;
    assert_eq!(listed(live.clone()), [("orders-value".into(), 2, false)]);
    assert!(
        live[0]["schema"].as_str().unwrap().contains("\"b\""),
        "{live}"
    );
    let (_, latest) = s
        .call(
            Method::GET,
            "/schemas?deleted=true&latestOnly=true",
            OTHER,
            None,
        )
        .await;
    assert_eq!(listed(latest), [("shared-value".into(), 1, false)]);
    let (_, page) = s
        .call(
            Method::GET,
            "/schemas?deleted=true&offset=1&limit=1",
            ADMIN,
            None,
        )
        .await;
    assert_eq!(listed(page), [("orders-value".into(), 2, false)]);
    let (status, bad) = s.call(Method::GET, "/schemas?limit=x", ADMIN, None).await;
    assert_eq!((status, bad["error_code"].as_i64()), (400, Some(400)));

    let ask = "/v1/metadata/permissions?subject=orders-value&subject=shared-value";
    let (_, admin) = s.call(Method::GET, ask, ADMIN, None).await;
    assert_eq!(
        admin,
        json!({"user": "admin", "config": "WRITE",
               "subjects": {"orders-value": "WRITE", "shared-value": "WRITE"}})
    );
    let (_, writer) = s.call(Method::GET, ask, WRITER, None).await;
    assert_eq!(
        writer,
        json!({"user": "writer", "config": "NONE",
               "subjects": {"orders-value": "WRITE", "shared-value": "NONE"}})
    );
    let (_, reader) = s.call(Method::GET, ask, READER, None).await;
    assert_eq!(
        reader,
        json!({"user": "reader", "config": "READ",
               "subjects": {"orders-value": "READ", "shared-value": "NONE"}})
    );
    s.server.stop().await.unwrap();
}

#[tokio::test]
async fn basic_auth_is_one_user_with_every_permission() {
    let server = EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().unwrap())
            .basic_auth("root:pa:ss"),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let s = Server {
        server,
        http: reqwest::Client::new(),
        _dir: tempfile::tempdir().unwrap(),
    };
    let root = ("root", "pa:ss");
    let (status, b) = s
        .call(Method::POST, "/subjects/x/versions", root, Some(&avro("X")))
        .await;
    assert_eq!(status, 200, "{b}");
    let id = b["id"].as_u64().unwrap();
    for (method, path, body) in [
        (Method::GET, "/subjects".to_string(), None),
        (Method::GET, format!("/schemas/ids/{id}"), None),
        (
            Method::PUT,
            "/config".into(),
            Some(json!({"compatibility": "NONE"})),
        ),
        (
            Method::PUT,
            "/mode".into(),
            Some(json!({"mode": "READWRITE"})),
        ),
        (Method::DELETE, "/subjects/x".into(), None),
    ] {
        let (status, b) = s.call(method.clone(), &path, root, body.as_ref()).await;
        assert_eq!(status, 200, "{method} {path}: {b}");
    }
    // Soft-deleted, then permanently: the id is under no subject, so it no longer resolves —
    // for root as for anyone (Confluent forgets a hard-deleted schema nothing uses, issue 28):
    // a 40403, not an authorization error.
    let (status, _) = s
        .call(Method::DELETE, "/subjects/x?permanent=true", root, None)
        .await;
    assert_eq!(status, 200);
    let (status, b) = s
        .call(Method::GET, &format!("/schemas/ids/{id}"), root, None)
        .await;
    assert_eq!(
        (status, b["error_code"].clone()),
        (404, json!(40403)),
        "{b}"
    );
    let (status, _) = s.call(Method::GET, "/subjects", ("root", "pa"), None).await;
    assert_eq!(status, 401);
    s.server.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_auth_files_are_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let start = |config: ServerConfig| async move {
        EmbeddedRegistry::start(
            config.listen("127.0.0.1:0".parse().unwrap()),
            Arc::new(CompatibilityEngine),
        )
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string()
    };
    let cases = [
        ("syntax.json", "{\"users\": [", "not a valid auth file"),
        (
            "sha.json",
            r#"{"users": [{"username": "a", "algorithm": "sha512", "salt": "s", "password_hash": "x"}]}"#,
            "algorithm 'sha512' is not supported",
        ),
        (
            "typo.json",
            r#"{"users": [], "permisions": []}"#,
            "unknown field `permisions`",
        ),
    ];
    for (name, text, problem) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let e = start(ServerConfig::default().auth_file(path.clone())).await;
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains(problem), "{e}");
    }
    let missing = dir.path().join("missing.json");
    let e = start(ServerConfig::default().auth_file(missing.clone())).await;
    assert!(
        e.contains(&missing.display().to_string()) && e.contains("cannot read"),
        "{e}"
    );
    let e = start(
        ServerConfig::default()
            .auth_file(auth_file(dir.path()))
            .basic_auth("root:secret"),
    )
    .await;
    assert!(e.contains("exclude each other"), "{e}");
}

#[test]
fn passwords_stay_out_of_the_config_debug_output() {
    let config = ServerConfig::default().basic_auth("root:hunter2");
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[tokio::test]
async fn registry_passwd_prints_a_usable_entry() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["registry", "passwd", "carol"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"carol-pass\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("carol-pass"));
    let entry: Value = serde_json::from_str(text.trim()).unwrap();
    assert!(entry["password_hash"]
        .as_str()
        .unwrap()
        .starts_with("$argon2id$"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    std::fs::write(
        &path,
        json!({"users": [entry], "permissions": [{"username": "carol", "operation": "Read", "resource": "Subject:c"}]})
            .to_string(),
    )
    .unwrap();
    let server = EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().unwrap())
            .auth_file(path),
        Arc::new(CompatibilityEngine),
    )
    .await
    .unwrap();
    let s = Server {
        server,
        http: reqwest::Client::new(),
        _dir: dir,
    };
    let (status, list) = s
        .call(Method::GET, "/subjects", ("carol", "carol-pass"), None)
        .await;
    assert_eq!((status, list), (200, json!([])));
    s.server.stop().await.unwrap();
}

/// `registry serve` as a real process with the basic-auth credentials given some way
/// (`--basic-auth-file`, the environment): its URL once it serves, else the refusal.
fn serve_with(
    args: &[&str],
    env: Option<&str>,
) -> Result<(std::process::Child, String), (Option<i32>, String)> {
    use crate::common::serve::{Serve, Started};
    let mut serve = Serve::new()
        .args(args)
        .env_remove("SCHEMAFLOW_REGISTRY_BASIC_AUTH")
        .keep_stderr();
    if let Some(value) = env {
        serve = serve.env("SCHEMAFLOW_REGISTRY_BASIC_AUTH", value);
    }
    match serve.start() {
        Started::Serving { child, url } => Ok((child, url)),
        Started::Refused { status, stderr } => Err((status.code(), stderr)),
    }
}

/// `--basic-auth USER:PW` shows the password in `ps`: `--basic-auth-file` (and the
/// environment variable) keep it out of the command line, and `--help` says to use them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_from_a_file_or_the_environment_stays_out_of_ps() {
    const PASSWORD: &str = "fi:le-s3cret";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("basic-auth");
    std::fs::write(&file, format!("root:{PASSWORD}\n")).unwrap();
    let file_arg = file.to_str().unwrap();
    let http = reqwest::Client::new();
    for (args, env) in [
        (vec!["--basic-auth-file", file_arg], None),
        (vec![], Some(format!("root:{PASSWORD}"))),
    ] {
        let (mut child, url) =
            serve_with(&args, env.as_deref()).unwrap_or_else(|e| panic!("{args:?}: {e:?}"));
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
        assert!(
            !String::from_utf8_lossy(&cmdline).contains(PASSWORD),
            "{args:?}: the password is on the command line"
        );
        let get = |auth: Option<(&str, &str)>| {
            let mut req = http.get(format!("{url}/subjects"));
            if let Some((user, password)) = auth {
                req = req.basic_auth(user, Some(password));
            }
            req.send()
        };
        assert_eq!(get(None).await.unwrap().status(), 401, "{args:?}");
        assert_eq!(
            get(Some(("root", "fi"))).await.unwrap().status(),
            401,
            "{args:?}"
        );
        assert_eq!(
            get(Some(("root", PASSWORD))).await.unwrap().status(),
            200,
            "{args:?}"
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }

    // A file without USER:PASSWORD, or none: refused, and its text never printed.
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "just-a-password\n").unwrap();
    let (code, stderr) = serve_with(&["--basic-auth-file", bad.to_str().unwrap()], None)
        .map(|(mut child, url)| {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("serves {url} with a malformed --basic-auth-file")
        })
        .unwrap_err();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("USER:PASSWORD"), "{stderr}");
    assert!(!stderr.contains("just-a-password"), "{stderr}");
    let missing = dir.path().join("missing");
    let (code, stderr) = serve_with(&["--basic-auth-file", missing.to_str().unwrap()], None)
        .map(|(mut child, url)| {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("serves {url} with a missing --basic-auth-file")
        })
        .unwrap_err();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");

    let help = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["registry", "serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--basic-auth-file <FILE>"), "{help}");
    assert!(help.contains("SCHEMAFLOW_REGISTRY_BASIC_AUTH"), "{help}");
    assert!(help.contains("`ps`"), "{help}");
}

/// The CLI's line for a 401 says what to do: pass credentials when none were given, check
/// them when the registry refused the ones given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_says_what_to_do_about_a_401() {
    let s = start().await;
    let url = s.server.url().to_string();
    let list = |auth: Option<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
            cmd.args(["--registry", &url])
                .env_remove("SCHEMA_REGISTRY_URL")
                .env_remove("SCHEMA_REGISTRY_AUTH")
                .env_remove("SCHEMA_REGISTRY_TOKEN");
            if let Some(a) = &auth {
                cmd.args(["--registry-auth", a]);
            }
            let out = cmd.args(["schemas", "list"]).output().unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
    };
    let (code, stderr) = list(None).await.unwrap();
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("401")
            && stderr.contains("no credentials were sent")
            && stderr.contains("pass --registry-auth USER:PASSWORD or --registry-token"),
        "{stderr}"
    );
    let (code, stderr) = list(Some("admin:wrong".into())).await.unwrap();
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("401")
            && stderr.contains("the credentials sent were refused")
            && stderr.contains("check --registry-auth"),
        "{stderr}"
    );
    let (code, stderr) = list(Some(format!("{}:{}", ADMIN.0, ADMIN.1)))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    s.server.stop().await.unwrap();
}
