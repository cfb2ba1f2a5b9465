//! Secrets never leak: registry passwords and tokens, `sasl.password`, `ssl.key.password`,
//! `basic.auth.user.info` never appear in the CLI's output, logs (at `RUST_LOG=trace`), error
//! messages or `--help` (values from the environment), nor in the library's `Debug` output of
//! any configuration. Each secret is a unique marker searched for in everything printed.

use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use schemaflow::consumer::ConsumerConfig;
use schemaflow::exactly_once::ExactlyOnceConfig;
use schemaflow::producer::ProducerConfig;
use schemaflow::registry::ClientConfig;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};

const REGISTRY_PASSWORD: &str = "Reg1stry-Pa55-7f3a";
const WRONG_PASSWORD: &str = "Wr0ng-Pa55-2b9c";
const SASL_PASSWORD: &str = "Sasl-S3cret-91b2";
const KEY_PASSWORD: &str = "Key-Pa55-c4d8";
const TOKEN: &str = "Tok3n-e5f6a7";
const USER_INFO: &str = "Us3r-Inf0-d1e2";

/// Every marker, for searching what was printed.
const SECRETS: [&str; 6] = [
    REGISTRY_PASSWORD,
    WRONG_PASSWORD,
    SASL_PASSWORD,
    KEY_PASSWORD,
    TOKEN,
    USER_INFO,
];

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows a secret ({s}):\n{text}");
    }
}

fn assert_output_clean(what: &str, out: &Output) {
    assert_no_secret(
        &format!("{what} (stdout)"),
        &String::from_utf8_lossy(&out.stdout),
    );
    assert_no_secret(
        &format!("{what} (stderr)"),
        &String::from_utf8_lossy(&out.stderr),
    );
}

/// `schemaflow ARGS` with every log on and secrets in the environment.
fn schemaflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(args)
        .env("RUST_LOG", "trace")
        .env("SCHEMA_REGISTRY_AUTH", format!("alice:{WRONG_PASSWORD}"))
        .env(
            "SCHEMAFLOW_REGISTRY_BASIC_AUTH",
            format!("admin:{REGISTRY_PASSWORD}"),
        )
        .env_remove("SCHEMA_REGISTRY_TOKEN")
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run schemaflow")
}

fn dead_address() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = l.local_addr().expect("addr");
    drop(l);
    a.to_string()
}

#[test]
fn help_never_shows_secrets_from_the_environment() {
    for args in [
        &["--help"][..],
        &["consume", "--help"],
        &["produce", "--help"],
        &["register", "--help"],
        &["registry", "serve", "--help"],
    ] {
        let out = schemaflow(args);
        assert!(out.status.success(), "{args:?}");
        assert_output_clean(&format!("{args:?}"), &out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_password_is_not_repeated_in_the_error_or_the_logs() {
    let server = EmbeddedRegistry::start(
        ServerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            basic_auth: Some(format!("admin:{REGISTRY_PASSWORD}")),
            ..ServerConfig::default()
        },
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry");
    let url = server.url().to_string();
    let wrong = format!("admin:{WRONG_PASSWORD}");
    let out = tokio::task::spawn_blocking(move || {
        schemaflow(&[
            "--registry",
            &url,
            "--registry-auth",
            &wrong,
            "schemas",
            "list",
        ])
    })
    .await
    .expect("join");
    assert!(!out.status.success(), "a wrong password is refused");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401")
            || String::from_utf8_lossy(&out.stderr).contains("nauthorized"),
        "says why: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_output_clean("schemas list with a wrong password", &out);
    server.stop().await.expect("stop");
}

#[test]
fn kafka_secrets_are_not_in_errors_or_logs() {
    let out = schemaflow(&[
        "--brokers",
        &dead_address(),
        "-X",
        "security.protocol=SASL_PLAINTEXT",
        "-X",
        "sasl.mechanisms=PLAIN",
        "-X",
        "sasl.username=alice",
        "-X",
        &format!("sasl.password={SASL_PASSWORD}"),
        "-X",
        &format!("ssl.key.password={KEY_PASSWORD}"),
        "topics",
        "create",
        "--topic",
        "secrets-topic",
    ]);
    assert_eq!(out.status.code(), Some(3), "the dead cluster is reported");
    assert_output_clean("topics create against a dead SASL cluster", &out);
}

#[test]
fn a_registry_that_cannot_start_does_not_print_its_password() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = schemaflow(&[
        "registry",
        "serve",
        "--listen",
        &addr,
        "--basic-auth",
        &format!("admin:{REGISTRY_PASSWORD}"),
    ]);
    assert!(!out.status.success(), "the port is taken");
    assert_output_clean("registry serve on a taken port", &out);
}

#[test]
fn debug_output_of_every_configuration_redacts_secrets() {
    let mut registry = ClientConfig::new("http://localhost:8081");
    registry.basic_auth = Some(format!("alice:{REGISTRY_PASSWORD}"));
    registry.bearer_token = Some(TOKEN.to_string());
    registry.client_cert_pem = Some((b"CERT".to_vec(), KEY_PASSWORD.as_bytes().to_vec()));
    let with_secrets = |c: &mut std::collections::BTreeMap<String, String>| {
        c.insert("sasl.password".into(), SASL_PASSWORD.into());
        c.insert("ssl.key.password".into(), KEY_PASSWORD.into());
        c.insert("basic.auth.user.info".into(), USER_INFO.into());
        c.insert("sasl.username".into(), "alice".into());
    };
    let mut consumer = ConsumerConfig::new("localhost:9092", "g", &["t"]);
    with_secrets(&mut consumer.properties);
    let mut producer = ProducerConfig::new("localhost:9092");
    with_secrets(&mut producer.properties);
    let mut eos = ExactlyOnceConfig::new("localhost:9092", "g", "in", "out", "tx");
    with_secrets(&mut eos.properties);
    let mut store = KafkaStoreConfig::new("localhost:9092");
    with_secrets(&mut store.properties);
    let server = ServerConfig {
        basic_auth: Some(format!("admin:{REGISTRY_PASSWORD}")),
        kafka_store: Some(store.clone()),
        ..ServerConfig::default()
    };
    for (what, shown) in [
        ("registry ClientConfig", format!("{registry:?}")),
        ("ConsumerConfig", format!("{consumer:?}")),
        ("ProducerConfig", format!("{producer:?}")),
        ("ExactlyOnceConfig", format!("{eos:?}")),
        ("KafkaStoreConfig", format!("{store:?}")),
        ("ServerConfig", format!("{server:#?}")),
    ] {
        assert_no_secret(what, &shown);
        assert!(
            shown.contains("<redacted>"),
            "{what} says a secret is set: {shown}"
        );
    }
    // What is not secret stays visible: the output is still useful.
    assert!(format!("{consumer:?}").contains("alice"));
}
