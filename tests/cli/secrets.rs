//! Secrets never leak: registry passwords and tokens, `sasl.password`, `ssl.key.password`,
//! `basic.auth.user.info` never appear in the CLI's output, logs (at `RUST_LOG=trace`), error
//! messages or `--help` (values from the environment), nor in the library's `Debug` output of
//! any configuration. Each secret is a unique marker searched for in everything printed.
//! Credentials in a registry URL (`http://user:password@host`) are used as basic auth and
//! never printed either: not when the registry is unreachable, not in a 404, not in
//! `consume`'s skip lines, not in a `Debug` of the client's configuration.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};

use schemaflow::consumer::ConsumerConfig;
use schemaflow::exactly_once::ExactlyOnceConfig;
use schemaflow::producer::ProducerConfig;
use schemaflow::registry::ClientConfig;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};

use crate::common::broker::{broker, create_topic, rand_topic};

const REGISTRY_PASSWORD: &str = "Reg1stry-Pa55-7f3a";
const WRONG_PASSWORD: &str = "Wr0ng-Pa55-2b9c";
const SASL_PASSWORD: &str = "Sasl-S3cret-91b2";
const KEY_PASSWORD: &str = "Key-Pa55-c4d8";
const TOKEN: &str = "Tok3n-e5f6a7";
const USER_INFO: &str = "Us3r-Inf0-d1e2";
/// The password in `http://url-user:URL_PASSWORD@host` registry URLs.
const URL_PASSWORD: &str = "SecretInUrl-8d4e";

/// Every marker, for searching what was printed.
const SECRETS: [&str; 7] = [
    REGISTRY_PASSWORD,
    WRONG_PASSWORD,
    SASL_PASSWORD,
    KEY_PASSWORD,
    TOKEN,
    USER_INFO,
    URL_PASSWORD,
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
    run(args, true, None)
}

/// `schemaflow ARGS` with every log on; `SCHEMA_REGISTRY_AUTH` set (to a wrong password) only
/// with `registry_auth_env`, as it would win over a URL's credentials; `stdin` written.
fn run(args: &[&str], registry_auth_env: bool, stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
    cmd.args(args)
        .env("RUST_LOG", "trace")
        .env(
            "SCHEMAFLOW_REGISTRY_BASIC_AUTH",
            format!("admin:{REGISTRY_PASSWORD}"),
        )
        .env_remove("SCHEMA_REGISTRY_TOKEN")
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if registry_auth_env {
        cmd.env("SCHEMA_REGISTRY_AUTH", format!("alice:{WRONG_PASSWORD}"));
    } else {
        cmd.env_remove("SCHEMA_REGISTRY_AUTH");
    }
    let mut child = cmd.spawn().expect("run schemaflow");
    let mut input = child.stdin.take().expect("stdin is piped");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait for schemaflow")
}

/// [`run`] off the async runtime's threads, without `SCHEMA_REGISTRY_AUTH`.
async fn run_async(args: &[&str], stdin: Option<&str>) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, false, stdin.as_deref())
    })
    .await
    .expect("join")
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
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .basic_auth(format!("admin:{REGISTRY_PASSWORD}")),
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
    registry.basic_auth = Some(format!("alice:{REGISTRY_PASSWORD}").into());
    registry.bearer_token = Some(TOKEN.into());
    registry.client_cert_pem = Some((b"CERT".to_vec(), KEY_PASSWORD.as_bytes().into()));
    let with_secrets = |c: &mut std::collections::BTreeMap<String, String>| {
        c.insert("sasl.password".into(), SASL_PASSWORD.into());
        c.insert("ssl.key.password".into(), KEY_PASSWORD.into());
        c.insert("basic.auth.user.info".into(), USER_INFO.into());
        c.insert("sasl.username".into(), "alice".into());
    };
    let mut consumer = ConsumerConfig::new("localhost:9092", "g", &["t"]);
    with_secrets(&mut consumer.properties);
    let mut producer = ProducerConfig::new("localhost:9092");
    // Set through the field on purpose: a secret put there any way must not show.
    with_secrets(&mut producer.properties);
    let mut eos = ExactlyOnceConfig::new("localhost:9092", "g", "in", "out", "tx");
    with_secrets(&mut eos.properties);
    let mut store = KafkaStoreConfig::new("localhost:9092");
    with_secrets(&mut store.properties);
    let server = ServerConfig::default()
        .basic_auth(format!("admin:{REGISTRY_PASSWORD}"))
        .kafka_store(store.clone());
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

/// `http://url-user:URL_PASSWORD@` + what follows `http://` in `url`.
fn with_url_credentials(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    format!("http://url-user:{URL_PASSWORD}@{rest}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_registry_url_are_used_but_never_printed() {
    // Unreachable: the URL is in the error, its credentials are not.
    let dead = dead_address();
    let out = run_async(
        &[
            "--registry",
            &with_url_credentials(&format!("http://{dead}")),
            "schemas",
            "list",
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "the registry is unreachable");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("GET http://{dead}/subjects"))
            && stderr.contains("registry unreachable"),
        "names the URL: {stderr}"
    );
    assert_output_clean("schemas list, unreachable registry", &out);

    // A registry that wants them: the URL's credentials are its basic auth.
    let server = EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .basic_auth(format!("url-user:{URL_PASSWORD}")),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry");
    let plain = server.url().to_string();
    let url = with_url_credentials(&plain);
    let out = run_async(&["--registry", &url, "schemas", "list"], None).await;
    assert!(
        out.status.success(),
        "the URL's credentials are accepted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_output_clean("schemas list with credentials in the URL", &out);

    // A 404.
    let out = run_async(
        &[
            "--registry",
            &url,
            "schemas",
            "get",
            "--subject",
            "nope-value",
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "no such subject");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{plain}/subjects/nope-value")) && stderr.contains("404"),
        "names the URL: {stderr}"
    );
    assert_output_clean("schemas get of a missing subject", &out);

    // consume's skip line for a record whose schema id the registry does not know (a 404 on
    // /schemas/ids/…), then a good record to end on.
    let bootstrap = broker().bootstrap.clone();
    let topic = rand_topic("url-secrets");
    create_topic(&bootstrap, &topic, 1).await;
    let raw: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .expect("producer");
    // Magic 0, schema id 99999 (0x0001869F), then a payload.
    raw.send(BaseRecord::<(), [u8]>::to(&topic).payload(&[0, 0, 1, 0x86, 0x9f, 2][..]))
        .map_err(|(e, _)| e)
        .expect("send");
    raw.flush(Duration::from_secs(10)).expect("flush");
    let dir = tempfile::tempdir().expect("dir");
    let schema = dir.path().join("tick.avsc");
    std::fs::write(
        &schema,
        r#"{"type":"record","name":"Tick","fields":[{"name":"seq","type":"long"}]}"#,
    )
    .expect("write");
    let schema = schema.to_string_lossy().into_owned();
    let common = ["--brokers", &bootstrap, "--registry", &url];
    let produce = [
        &common[..],
        &[
            "produce",
            "--topic",
            &topic,
            "--schema-type",
            "avro",
            "--schema-file",
            &schema,
        ],
    ]
    .concat();
    let out = run_async(&produce, Some("{\"seq\": 1}\n")).await;
    assert!(
        out.status.success(),
        "produce: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_output_clean("produce with credentials in the URL", &out);
    let consume = [
        &common[..],
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "1",
        ],
    ]
    .concat();
    let out = run_async(&consume, None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "consume: {stderr}");
    assert!(
        stderr.contains(&format!("skipping {topic}/0@0"))
            && stderr.contains(&format!("{plain}/schemas/ids/99999")),
        "the skip line names the URL: {stderr}"
    );
    assert_output_clean("consume skipping an unknown schema id", &out);
    server.stop().await.expect("stop");

    // The library's Debug of a configuration holding such a URL.
    let config = ClientConfig::new(&url);
    assert_no_secret(
        "ClientConfig with credentials in the URL",
        &format!("{config:?}"),
    );
}
