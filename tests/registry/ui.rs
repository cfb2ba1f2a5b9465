//! The registry's web page (`/ui/`) in a real browser: Debian's headless Chromium driven over
//! WebDriver (`tests/common/browser.rs`) against a live `registry serve` with an auth file,
//! seeded with Avro (a soft-deleted version, an incompatible pair of versions), Protobuf (one
//! file importing another, one registered as a base64 descriptor) and JSON Schema subjects
//! (one with metadata and a rule set), an admin and a read-only user. Every assertion reads
//! the DOM after waiting for the state it asserts; each view's screenshot is saved as an
//! artefact (the paths are printed).
//!
//! `ui::page_load_on_1000_subjects` (ignored; run it by name) measures the server time of one
//! page load on 1,000 subjects from the registry's own access log.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use fantoccini::{Client, Locator};
use prost::Message as _;
use schemaflow_registry::authz::hash_password;
use serde_json::{json, Value};

use crate::common::browser::Browser;
use crate::common::serve::Serve;

const ADMIN: (&str, &str) = ("admin", "admin-pass");
/// Read on every subject and on the global config; no write anywhere.
const READER: (&str, &str) = ("reader", "reader-pass");
/// Read on `orders-*` only: not even the global config.
const ORDERS: (&str, &str) = ("orders", "orders-pass");

/// How long a wait for the page's state may take before the test fails (a bound on a
/// broken page, not a measured time: the waits end as soon as the DOM has the state).
const PATIENCE: Duration = Duration::from_secs(30);

/// `registry serve` as a process, killed on drop.
struct Registry {
    child: Child,
    url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    fn start() -> Registry {
        let dir = tempfile::tempdir().expect("temp dir");
        let user = |(name, password): (&str, &str)| {
            json!({"username": name, "algorithm": "argon2",
                   "password_hash": hash_password(password).expect("hash")})
        };
        let file = json!({
            "users": [user(ADMIN), user(READER), user(ORDERS)],
            "permissions": [
                {"username": "admin", "operation": "Write", "resource": ".*"},
                {"username": "reader", "operation": "Read", "resource": "Subject:.*"},
                {"username": "reader", "operation": "Read", "resource": "Config:"},
                {"username": "orders", "operation": "Read", "resource": "Subject:orders-.*"},
            ]
        });
        let path = dir.path().join("auth.json");
        std::fs::write(&path, file.to_string()).expect("auth file");
        let (child, url) = Serve::new().arg("--auth-file").arg(&path).serving();
        Registry {
            child,
            url,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// An admin call; panics unless it succeeds.
    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .basic_auth(ADMIN.0, Some(ADMIN.1));
        if let Some(b) = body {
            r = r
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(b.to_string());
        }
        let r = r.send().await.expect("the registry answers");
        let status = r.status();
        let text = r.text().await.expect("body");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn register(&self, subject: &str, body: Value) -> u64 {
        self.admin(
            reqwest::Method::POST,
            &format!("/subjects/{subject}/versions"),
            Some(body),
        )
        .await["id"]
            .as_u64()
            .expect("an id")
    }

    async fn level(&self, subject: &str, level: &str) {
        self.admin(
            reqwest::Method::PUT,
            &format!("/config/{subject}"),
            Some(json!({"compatibility": level})),
        )
        .await;
    }
}

fn avro(fields: Value) -> Value {
    json!({"schema": json!({"type": "record", "name": "User", "namespace": "shop", "fields": fields}).to_string()})
}

const COMMON_PROTO: &str = "syntax = \"proto3\";\npackage shop.common;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n";
const ORDER_PROTO: &str = "syntax = \"proto3\";\npackage shop.orders;\n\nimport \"shop/common.proto\";\n\nmessage Order {\n  string id = 1;\n  shop.common.Money total = 2;\n  repeated string tags = 3;\n}\n";

/// A Protobuf file as Confluent's Python serializer registers it: a base64 descriptor.
fn payment_descriptor() -> String {
    let given = [("payment.proto", "syntax = \"proto3\";\npackage shop.payments;\n\nmessage Payment {\n  string id = 1;\n  oneof method {\n    string card = 2;\n    string iban = 3;\n  }\n  map<string, string> labels = 4;\n}\n")];
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in given {
        std::fs::write(dir.path().join(name), text).expect("write proto");
    }
    let set = protox::compile(["payment.proto"], [dir.path()]).expect("compiles");
    let file = set
        .file
        .iter()
        .find(|f| f.name() == "payment.proto")
        .expect("the file");
    base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec())
}

/// The subjects seeded, in sorted order.
const SUBJECTS: &[&str] = &[
    "orders-value",
    "payments-value",
    "products-value",
    "shop.common",
    "users-copy-value",
    "users-value",
];

async fn seed(r: &Registry) {
    use reqwest::Method;
    // users-value: v1; v2 adds a field with a default (compatible); v3 turns `id` into a
    // string, registered under NONE (incompatible with v2 both ways); v4 soft-deleted.
    let id = json!({"name": "id", "type": "int"});
    let name = json!({"name": "name", "type": "string"});
    let email = json!({"name": "email", "type": "string", "default": ""});
    r.register("users-value", avro(json!([id, name]))).await;
    r.register("users-value", avro(json!([id, name, email])))
        .await;
    r.level("users-value", "NONE").await;
    let id_text = json!({"name": "id", "type": "string"});
    r.register("users-value", avro(json!([id_text, name, email])))
        .await;
    let phone = json!({"name": "phone", "type": ["null", "string"], "default": null});
    r.register("users-value", avro(json!([id_text, name, email, phone])))
        .await;
    r.level("users-value", "BACKWARD").await;
    r.admin(Method::DELETE, "/subjects/users-value/versions/4", None)
        .await;
    // The same schema under a second subject: one id, two subjects.
    r.register("users-copy-value", avro(json!([id, name, email])))
        .await;
    // Protobuf: an import registered as a reference.
    r.register(
        "shop.common",
        json!({"schemaType": "PROTOBUF", "schema": COMMON_PROTO}),
    )
    .await;
    r.register(
        "orders-value",
        json!({"schemaType": "PROTOBUF", "schema": ORDER_PROTO,
               "references": [{"name": "shop/common.proto", "subject": "shop.common", "version": 1}]}),
    )
    .await;
    // Protobuf as Confluent's Python serializer registers it.
    r.register(
        "payments-value",
        json!({"schemaType": "PROTOBUF", "schema": payment_descriptor()}),
    )
    .await;
    // JSON Schema with a data contract.
    r.register(
        "products-value",
        json!({
            "schemaType": "JSON",
            "schema": json!({"$schema": "http://json-schema.org/draft-07/schema#", "title": "Product", "type": "object",
                "properties": {"sku": {"type": "string"}, "price": {"type": "number", "minimum": 0}},
                "required": ["sku"]}).to_string(),
            "metadata": {"properties": {"owner": "catalog-team", "pii": "false"}},
            "ruleSet": {"domainRules": [{"name": "skuPresent", "kind": "CONDITION", "mode": "WRITE",
                "type": "CEL", "expr": "size(message.sku) > 0"}]}
        }),
    )
    .await;
}

/// Wait until `css` matches, and answer the element.
async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
}

/// Go to a view of the page and wait until it is drawn.
async fn open(c: &Client, base: &str, hash: &str, view: &str) {
    c.goto(&format!("{base}/ui/{hash}")).await.expect("goto");
    wait_for(c, &format!("main[data-state=ready][data-view={view}]")).await;
}

/// The texts of every element matching `css`.
async fn texts(c: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.find_all(Locator::Css(css)).await.expect("find") {
        out.push(e.text().await.expect("text"));
    }
    out
}

async fn sign_in(c: &Client, base: &str, (user, password): (&str, &str)) {
    c.goto(&format!("{base}/ui/")).await.expect("goto");
    // Without credentials the API answers 401: the page asks for them.
    let form = wait_for(c, "main[data-view=sign-in] form#sign-in").await;
    form.find(Locator::Css("input[name=user]"))
        .await
        .expect("user field")
        .send_keys(user)
        .await
        .expect("type");
    form.find(Locator::Css("input[name=password]"))
        .await
        .expect("password field")
        .send_keys(password)
        .await
        .expect("type");
    form.find(Locator::Css("button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    wait_for(c, "main[data-state=ready][data-view=subjects]").await;
}

#[tokio::test]
async fn ui_in_a_real_browser() {
    let r = Registry::start();
    seed(&r).await;
    let browser = Browser::start(1280, 900).await;
    let c = &browser.client;
    let base = r.url.clone();

    // The page's files need no credentials; its API calls do, and the page asks for them.
    sign_in(c, &base, ADMIN).await;
    assert_eq!(texts(c, "#who").await, ["signed in as admin"]);

    // Subjects: every one, with its type, latest live version, count and soft-deleted flag.
    let mut listed = texts(c, "tr.subject-row td:first-child").await;
    listed.sort();
    assert_eq!(listed, SUBJECTS, "the subject list");
    let users = wait_for(c, "tr.subject-row[data-subject=users-value]").await;
    let cells: Vec<String> = {
        let mut v = Vec::new();
        for td in users.find_all(Locator::Css("td")).await.expect("cells") {
            v.push(td.text().await.expect("text"));
        }
        v
    };
    assert_eq!(
        cells,
        [
            "users-value",
            "AVRO",
            "BACKWARD",
            "READWRITE (global)",
            "3",
            "3",
            "1 deleted"
        ],
        "users-value's row"
    );
    let types = texts(
        c,
        "tr.subject-row[data-subject=orders-value] td:nth-child(2)",
    )
    .await;
    assert_eq!(types, ["PROTOBUF"]);
    browser.screenshot("subjects").await;

    // Search narrows the list as one types.
    c.find(Locator::Css("#subject-search"))
        .await
        .expect("search box")
        .send_keys("users")
        .await
        .expect("type");
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(
            "//h1[@id='subjects-title']/span[normalize-space(.)='(2 of 6)']",
        ))
        .await
        .expect("the list narrows to 2 of 6");
    let mut found = texts(c, "tr.subject-row td:first-child").await;
    found.sort();
    assert_eq!(found, ["users-copy-value", "users-value"]);

    // Sorting from the keyboard: Enter on a column's button.
    open(c, &base, "", "subjects").await;
    let sort = c
        .find(Locator::Css("button.sort[data-sort=count]"))
        .await
        .expect("sort button");
    sort.send_keys(fantoccini::key::Key::Enter.to_string().as_str())
        .await
        .expect("press Enter");
    wait_for(c, "th[aria-sort=ascending] button[data-sort=count]").await;
    let by_count = texts(c, "tr.subject-row td:nth-child(6)").await;
    assert_eq!(
        by_count.last().map(String::as_str),
        Some("3"),
        "{by_count:?}"
    );

    // A version with a reference: linked to the referenced subject, which links back.
    open(c, &base, "#/subject/orders-value", "subject").await;
    let reference = wait_for(c, "#references li.reference a").await;
    assert_eq!(reference.text().await.expect("text"), "shop.common v1");
    let code = texts(c, "#version-view pre.code").await.join("\n");
    assert!(code.contains("import \"shop/common.proto\";"), "{code}");
    assert!(
        !c.find_all(Locator::Css("#version-view pre.code .tok-keyword"))
            .await
            .expect("find")
            .is_empty(),
        "highlighted"
    );
    browser.screenshot("subject-version").await;
    reference.click().await.expect("follow the reference");
    wait_for(c, "main[data-state=ready][data-view=subject] #used-by").await;
    assert_eq!(
        texts(c, "h1#subject-title").await[0],
        "shop.common PROTOBUF"
    );
    assert_eq!(texts(c, "#used-by li a").await, ["orders-value v1"]);

    // The same id under two subjects.
    open(c, &base, "#/subject/users-copy-value", "subject").await;
    assert_eq!(texts(c, "#same-id li a").await, ["users-value v2"]);

    // A descriptor registered in base64 shows as .proto text.
    open(c, &base, "#/subject/payments-value", "subject").await;
    let code = texts(c, "#version-view pre.code").await.join("\n");
    assert!(
        code.contains("message Payment {") && code.contains("oneof method {"),
        "{code}"
    );
    assert!(code.contains("map<string, string> labels = 4;"), "{code}");

    // Metadata and rule set.
    open(c, &base, "#/subject/products-value", "subject").await;
    let code = texts(c, "#version-view pre.code").await.join("\n");
    assert!(
        code.contains("catalog-team") && code.contains("skuPresent"),
        "{code}"
    );

    // The soft-deleted version is listed and marked.
    open(c, &base, "#/subject/users-value?v=4", "subject").await;
    let v4 = texts(c, "#versions tr[data-version='4'] td").await;
    assert_eq!(v4, ["v4", "soft-deleted"]);
    // Write controls for the admin.
    assert!(
        !c.find_all(Locator::Css("#subject-settings form[data-write]"))
            .await
            .expect("find")
            .is_empty(),
        "the admin may change the level"
    );

    // Diff: changed lines marked, the verdict each way and the checker's findings.
    open(c, &base, "#/diff/users-value/2/3", "diff").await;
    let changed = c
        .find_all(Locator::Css("#diff-table tr.changed td.add"))
        .await
        .expect("find");
    assert!(!changed.is_empty(), "changed lines are marked");
    let verdicts = texts(c, ".verdict .verdict-word").await;
    assert_eq!(verdicts, ["incompatible", "incompatible"]);
    let rules = texts(c, ".verdict tr.finding td.rule").await;
    assert!(!rules.is_empty(), "findings are listed");
    assert!(
        rules
            .iter()
            .all(|r| r.chars().all(|c| c.is_ascii_uppercase() || c == '_')),
        "rule ids: {rules:?}"
    );
    let paths = texts(c, ".verdict tr.finding td.path").await;
    assert!(
        paths
            .iter()
            .any(|p| p.contains("id") || p.contains("fields")),
        "{paths:?}"
    );
    browser.screenshot("diff").await;

    // Check a candidate: an incompatible one gets the verdict and its findings.
    open(c, &base, "#/check/users-value", "check").await;
    let candidate = json!({"type": "record", "name": "User", "namespace": "shop",
        "fields": [{"name": "id", "type": "string"}, {"name": "age", "type": "int"}]})
    .to_string();
    c.find(Locator::Css("#check-schema"))
        .await
        .expect("schema box")
        .send_keys(&candidate)
        .await
        .expect("type");
    wait_for(c, "#register:not([hidden])").await;
    c.find(Locator::Css("#check-submit"))
        .await
        .expect("check button")
        .click()
        .await
        .expect("click");
    wait_for(c, "#check-result[data-state=incompatible]").await;
    assert_eq!(
        texts(c, "#check-result .verdict-word").await,
        ["incompatible"]
    );
    let messages = texts(c, "#check-result tr.finding td.message").await;
    assert!(
        messages.iter().any(|m| m.contains("age")),
        "a finding names the field without a default: {messages:?}"
    );
    browser.screenshot("check").await;

    // The registry's own error message when a call fails.
    c.goto(&format!("{base}/ui/#/subject/no-such-subject"))
        .await
        .expect("goto");
    wait_for(c, "main[data-state=error][data-view=subject]").await;
    let error = wait_for(c, "#error:not([hidden]) .error-message").await;
    assert_eq!(
        error.text().await.expect("text"),
        "Subject 'no-such-subject' not found."
    );

    // The read-only user: the same views, no write control.
    c.execute("sessionStorage.clear()", vec![])
        .await
        .expect("sign out");
    sign_in(c, &base, READER).await;
    open(c, &base, "#/subject/users-value", "subject").await;
    assert!(
        c.find_all(Locator::Css("[data-write]"))
            .await
            .expect("find")
            .is_empty(),
        "no write control for the reader"
    );
    assert_eq!(texts(c, "#subject-level-value").await, ["BACKWARD"]);
    browser.screenshot("subject-read-only").await;
    open(c, &base, "#/check/users-value", "check").await;
    let register = c
        .find(Locator::Css("#register"))
        .await
        .expect("register button");
    assert!(
        !register.is_displayed().await.expect("displayed"),
        "no register button for the reader"
    );
    open(c, &base, "#/config", "config").await;
    assert_eq!(texts(c, "#global-level-value").await, ["BACKWARD"]);
    assert!(c
        .find_all(Locator::Css("[data-write]"))
        .await
        .expect("find")
        .is_empty());

    // A user who may read one subject sees that one only, and the page copes with the global
    // config it may not read.
    c.execute("sessionStorage.clear()", vec![])
        .await
        .expect("sign out");
    sign_in(c, &base, ORDERS).await;
    assert_eq!(
        texts(c, "tr.subject-row td:first-child").await,
        ["orders-value"]
    );
    assert_eq!(
        texts(c, "tr.subject-row td:nth-child(3)").await,
        ["? (global)"],
        "the global level is not the user's to read"
    );

    // A phone's width: nothing wider than the screen but the tables' own scroll areas.
    c.set_window_size(390, 844).await.expect("resize");
    open(c, &base, "#/subject/orders-value", "subject").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(
        overflow.as_i64(),
        Some(0),
        "the page scrolls sideways on a phone"
    );
    browser.screenshot("subject-narrow").await;

    browser.close().await;
}

/// Server time of one page load of the subject list on 1,000 subjects: the registry's access
/// log (`latency_ms` of every request, assets and API calls) summed between the page's first
/// request and the list drawn in the browser.
#[tokio::test]
#[ignore = "a measurement: run by name (BENCHMARKS.md)"]
async fn page_load_on_1000_subjects() {
    let (mut child, url) = Serve::new()
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info")
        .keep_stderr()
        .serving();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let stderr = child.stderr.take().expect("piped stderr");
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().expect("lines").push(line);
        }
    });
    let http = reqwest::Client::new();
    for i in 0..1000 {
        let fields =
            json!([{"name": "id", "type": "int"}, {"name": format!("f{i}"), "type": "string"}]);
        let body = json!({"schema": json!({"type": "record", "name": format!("R{i}"), "fields": fields}).to_string()});
        let r = http
            .post(format!("{url}/subjects/subject-{i:04}-value/versions"))
            .header("content-type", "application/vnd.schemaregistry.v1+json")
            .body(body.to_string())
            .send()
            .await
            .expect("register");
        assert!(r.status().is_success());
    }
    let browser = Browser::start(1280, 900).await;
    let c = &browser.client;
    for round in 0..3 {
        let before = lines.lock().expect("lines").len();
        c.goto(&format!("{url}/ui/?round={round}"))
            .await
            .expect("goto");
        wait_for(
            c,
            "main[data-state=ready][data-view=subjects] tr.subject-row",
        )
        .await;
        assert_eq!(texts(c, "#subjects-title .count").await, ["(1000 of 1000)"]);
        // An access line is written once its response is ready, so the page's last lines may
        // still be in the pipe: a /health call after them marks the end of this load.
        http.get(format!("{url}/health"))
            .send()
            .await
            .expect("health");
        let is_marker = |line: &String| line.contains("\"route\":\"/health\"");
        while !lines.lock().expect("lines")[before..].iter().any(is_marker) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut requests = Vec::new();
        for line in lines.lock().expect("lines")[before..].iter() {
            if is_marker(line) {
                break;
            }
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if let Some(ms) = v["latency_ms"].as_f64() {
                    requests.push((v["route"].as_str().unwrap_or("").to_string(), ms));
                }
            }
        }
        let total: f64 = requests.iter().map(|(_, ms)| ms).sum();
        let (slowest_route, slowest) = requests
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .cloned()
            .unwrap_or_default();
        let api = requests.iter().filter(|(r, _)| r != "(no route)").count();
        println!(
            "page load {round}: {} requests ({api} API calls), {total:.1} ms of server time in all; slowest {slowest:.1} ms ({slowest_route})",
            requests.len()
        );
    }
    browser.close().await;
    let _ = child.kill();
    let _ = child.wait();
}
