//! The registry over HTTPS (`ServerConfig::tls`, `registry serve --tls-cert/--tls-key
//! [--tls-client-ca]`), with certificates made by the test (rcgen): the client trusting the CA
//! works, over HTTP/1.1 and HTTP/2; a wrong CA, an expired certificate and a missing client
//! certificate (mutual TLS) fail with an error that says it is the certificate.

use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use schemaflow::registry::{ClientConfig, RegistryClient, RegistryError, Schema};
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig, TlsConfig};

const SCHEMA: &str = r#"{"type":"record","name":"Secure","fields":[{"name":"a","type":"int"}]}"#;

/// A CA: its certificate (PEM) and what signs with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let pem = params.self_signed(&key).expect("self-signed").pem();
    Ca {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A leaf certificate signed by `ca`: (certificate PEM, PKCS#8 key PEM).
fn leaf(ca: &Ca, names: &[&str], client: bool, expired: bool) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("params");
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("client"),
    );
    params.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    if expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&key, &ca.issuer).expect("signed");
    (cert.pem(), key.serialize_pem())
}

async fn serve(tls: TlsConfig) -> EmbeddedRegistry {
    EmbeddedRegistry::start(
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().expect("address"))
            .tls(tls),
        Arc::new(CompatibilityEngine),
    )
    .await
    .expect("https registry")
}

fn client(url: &str, ca: Option<&Ca>, identity: Option<&(String, String)>) -> RegistryClient {
    let mut c = ClientConfig::new(url);
    c.max_retries = 0;
    c.connect_timeout = Duration::from_secs(5);
    c.ca_pem = ca.map(|ca| ca.pem.clone().into_bytes());
    c.client_cert_pem =
        identity.map(|(cert, key)| (cert.clone().into_bytes(), key.clone().into_bytes().into()));
    RegistryClient::new(c).expect("client")
}

/// The error says it is about the certificate (somewhere in its chain of causes).
fn about_the_certificate(e: &RegistryError) -> bool {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(" / {s}"));
        source = s.source();
    }
    let t = text.to_lowercase();
    t.contains("certificate") || t.contains("tls") || t.contains("ssl") || t.contains("handshake")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_the_ca_registers_and_reads_over_https() {
    let ca = ca("schemaflow test CA");
    let (cert, key) = leaf(&ca, &["localhost", "127.0.0.1"], false, false);
    let server = serve(TlsConfig::new(cert.into_bytes(), key.into_bytes())).await;
    assert!(server.url().starts_with("https://"), "{}", server.url());
    let c = client(server.url(), Some(&ca), None);
    let (id, _) = c
        .register("secure-value", &Schema::avro(SCHEMA), false)
        .await
        .expect("register");
    assert_eq!(
        c.schema_by_id(id).await.expect("read").schema.schema,
        SCHEMA
    );
    // HTTP/2 too (ALPN), with reqwest's own client trusting the CA.
    let h2 = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).expect("ca"))
        .http2_prior_knowledge()
        .build()
        .expect("h2 client");
    let r = h2
        .get(format!("{}/subjects", server.url()))
        .send()
        .await
        .expect("h2 request");
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.text().await.expect("body"), r#"["secure-value"]"#);
    server.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ca_and_an_expired_certificate_are_refused_clearly() {
    let ca_a = ca("CA A");
    let ca_b = ca("CA B");
    let (cert, key) = leaf(&ca_a, &["localhost", "127.0.0.1"], false, false);
    let server = serve(TlsConfig::new(cert.into_bytes(), key.into_bytes())).await;
    let e = client(server.url(), Some(&ca_b), None)
        .subjects(false)
        .await
        .expect_err("a certificate of another CA is refused");
    assert!(about_the_certificate(&e), "{e}");
    server.stop().await.expect("stop");

    let (cert, key) = leaf(&ca_a, &["localhost", "127.0.0.1"], false, true);
    let expired = serve(TlsConfig::new(cert.into_bytes(), key.into_bytes())).await;
    let e = client(expired.url(), Some(&ca_a), None)
        .subjects(false)
        .await
        .expect_err("an expired certificate is refused");
    assert!(about_the_certificate(&e), "{e}");
    expired.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_needs_a_client_certificate_of_the_client_ca() {
    let ca = ca("server CA");
    let clients = self::ca("client CA");
    let other = self::ca("not the client CA");
    let (cert, key) = leaf(&ca, &["localhost", "127.0.0.1"], false, false);
    let server = serve(
        TlsConfig::new(cert.into_bytes(), key.into_bytes())
            .client_ca_pem(clients.pem.clone().into_bytes()),
    )
    .await;
    let e = client(server.url(), Some(&ca), None)
        .subjects(false)
        .await
        .expect_err("no client certificate: refused");
    // TLS 1.3 refuses after the handshake: either the client reads the server's
    // "certificate required" alert, or it names the likely cause itself.
    let text = e.to_string();
    assert!(
        text.contains("certificate required") || text.contains("client certificate"),
        "{e}"
    );
    let stranger = leaf(&other, &["stranger"], true, false);
    client(server.url(), Some(&ca), Some(&stranger))
        .subjects(false)
        .await
        .expect_err("a client certificate of another CA: refused");
    let alice = leaf(&clients, &["alice"], true, false);
    let subjects = client(server.url(), Some(&ca), Some(&alice))
        .subjects(false)
        .await
        .expect("the client CA's certificate is accepted");
    assert!(subjects.is_empty());
    server.stop().await.expect("stop");
}

#[test]
fn registry_serve_refuses_a_key_that_is_not_one() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = ca("CA");
    let (cert, _) = leaf(&ca, &["localhost"], false, false);
    let cert_file = dir.path().join("cert.pem");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&cert_file, cert).expect("write");
    std::fs::write(&key_file, "not a key").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["registry", "serve", "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(&cert_file)
        .arg("--tls-key")
        .arg(&key_file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TLS key"), "{stderr}");
    assert!(out.stdout.is_empty(), "never served");
}

/// The CLI end to end: `registry serve` with TLS and client certificates, and a client
/// command with `--registry-ca`, `--registry-cert`, `--registry-key`; without the client
/// certificate the same command fails and says why.
#[test]
fn the_cli_serves_and_talks_mutual_tls() {
    use std::process::Command;
    let dir = tempfile::tempdir().expect("dir");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    };
    let server_ca = ca("server CA");
    let client_ca = ca("client CA");
    let (cert, key) = leaf(&server_ca, &["localhost", "127.0.0.1"], false, false);
    let (ccert, ckey) = leaf(&client_ca, &["cli"], true, false);
    let (cert, key, client_ca_file) = (
        file("cert.pem", &cert),
        file("key.pem", &key),
        file("client-ca.pem", &client_ca.pem),
    );
    let (ca_file, ccert, ckey) = (
        file("ca.pem", &server_ca.pem),
        file("client.pem", &ccert),
        file("client-key.pem", &ckey),
    );
    let schema = file("secure.avsc", SCHEMA);
    let (mut serve, url) = crate::common::serve::Serve::new()
        .args([
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--tls-client-ca",
            &client_ca_file,
        ])
        .serving();
    assert!(url.starts_with("https://"), "{url}");
    let cli = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .args(["--registry", &url, "--registry-ca", &ca_file])
            .args(extra)
            .args([
                "register",
                "--subject",
                "secure-value",
                "--schema-file",
                &schema,
            ])
            .env_remove("SCHEMA_REGISTRY_AUTH")
            .env_remove("SCHEMA_REGISTRY_TOKEN")
            .output()
            .expect("run")
    };
    let with = cli(&["--registry-cert", &ccert, "--registry-key", &ckey]);
    let without = cli(&[]);
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(
        with.status.success(),
        "with the client certificate: {}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert!(!without.status.success(), "without it: refused");
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(stderr.contains("certificate"), "says why: {stderr}");
}

/// `schemaflow --registry URL FLAGS schemas list`, off the async runtime: (exit code, stderr).
async fn cli_list(url: &str, flags: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["--registry".to_string(), url.to_string()];
    args.extend(flags.iter().map(|f| f.to_string()));
    args.extend(["schemas".to_string(), "list".to_string()]);
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .args(&args)
            .env_remove("SCHEMA_REGISTRY_URL")
            .env_remove("SCHEMA_REGISTRY_AUTH")
            .env_remove("SCHEMA_REGISTRY_TOKEN")
            .env_remove("RUST_LOG")
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("join")
}

/// One line, exit 3, saying it is TLS and which problem (`what`), and what to do (`todo`) —
/// not "registry unreachable (is the registry running?)".
fn assert_tls_line(code: Option<i32>, stderr: &str, what: &str, todo: &str) {
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("TLS handshake with the registry failed")
            && stderr.contains(what)
            && stderr.contains(todo),
        "names the problem ({what}) and what to do ({todo}): {stderr}"
    );
    assert!(!stderr.contains("is the registry running"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_names_the_certificate_problem() {
    let dir = tempfile::tempdir().expect("dir");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    };
    let ca_a = ca("CA A");
    let ca_b = ca("CA B");
    let (ca_a_file, ca_b_file) = (file("a.pem", &ca_a.pem), file("b.pem", &ca_b.pem));
    let start =
        |cert: (String, String)| serve(TlsConfig::new(cert.0.into_bytes(), cert.1.into_bytes()));

    let server = start(leaf(&ca_a, &["localhost", "127.0.0.1"], false, false)).await;
    let (code, stderr) = cli_list(server.url(), &["--registry-ca", &ca_b_file]).await;
    assert_tls_line(code, &stderr, "unknown CA", "--registry-ca");
    let (code, stderr) = cli_list(server.url(), &[]).await;
    assert_tls_line(code, &stderr, "unknown CA", "--registry-ca");
    let (code, stderr) = cli_list(server.url(), &["--registry-ca", &ca_a_file]).await;
    assert_eq!(code, Some(0), "the right CA: {stderr}");
    server.stop().await.expect("stop");

    let expired = start(leaf(&ca_a, &["localhost", "127.0.0.1"], false, true)).await;
    let (code, stderr) = cli_list(expired.url(), &["--registry-ca", &ca_a_file]).await;
    assert_tls_line(code, &stderr, "expired", "renewed");
    expired.stop().await.expect("stop");

    let elsewhere = start(leaf(&ca_a, &["registry.example"], false, false)).await;
    let (code, stderr) = cli_list(elsewhere.url(), &["--registry-ca", &ca_a_file]).await;
    assert_tls_line(code, &stderr, "hostname mismatch", "host name");
    elsewhere.stop().await.expect("stop");

    // A client certificate (extended key usage clientAuth) serving as the server's.
    let wrong_purpose = start(leaf(&ca_a, &["localhost", "127.0.0.1"], true, false)).await;
    let (code, stderr) = cli_list(wrong_purpose.url(), &["--registry-ca", &ca_a_file]).await;
    assert_tls_line(code, &stderr, "not a TLS server certificate", "serverAuth");
    wrong_purpose.stop().await.expect("stop");
}

/// A client key that is not the certificate's, or not a key at all: a usage error saying so,
/// not reqwest's "builder error".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_says_when_the_client_key_does_not_fit() {
    let dir = tempfile::tempdir().expect("dir");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    };
    let clients = ca("client CA");
    let (cert, _) = leaf(&clients, &["alice"], true, false);
    let (_, other_key) = leaf(&clients, &["bob"], true, false);
    let (cert, other_key, not_a_key) = (
        file("alice.pem", &cert),
        file("bob-key.pem", &other_key),
        file("junk.pem", "not a key"),
    );
    let url = "https://127.0.0.1:1";
    let (code, stderr) = cli_list(
        url,
        &["--registry-cert", &cert, "--registry-key", &other_key],
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("the client key does not match the client certificate"),
        "{stderr}"
    );
    assert!(!stderr.contains("builder error"), "{stderr}");
    let (code, stderr) = cli_list(
        url,
        &["--registry-cert", &cert, "--registry-key", &not_a_key],
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("the client key cannot be read"), "{stderr}");
}

/// A client certificate the registry refuses after the handshake (TLS 1.3: the client has
/// finished its side and only sees the connection close): the registry logs why at warn
/// with the client's address, and the client says the TLS handshake failed.
#[test]
fn a_refused_client_certificate_is_logged_by_the_registry_and_named_by_the_client() {
    use std::io::{BufRead, BufReader};
    use std::process::Command;
    let dir = tempfile::tempdir().expect("dir");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    };
    let server_ca = ca("server CA");
    let client_ca = ca("client CA");
    let (cert, key) = leaf(&server_ca, &["localhost", "127.0.0.1"], false, false);
    // Signed by the client CA, but made for a server (extended key usage serverAuth only).
    let (ccert, ckey) = leaf(&client_ca, &["cli"], false, false);
    let (cert, key, client_ca_file) = (
        file("cert.pem", &cert),
        file("key.pem", &key),
        file("client-ca.pem", &client_ca.pem),
    );
    let (ca_file, ccert, ckey) = (
        file("ca.pem", &server_ca.pem),
        file("client.pem", &ccert),
        file("client-key.pem", &ckey),
    );
    let (mut serve, url) = crate::common::serve::Serve::new()
        .args([
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--tls-client-ca",
            &client_ca_file,
        ])
        .env_remove("RUST_LOG")
        .keep_stderr()
        .serving();
    // The registry's log lines, as they come.
    let (lines, log) = std::sync::mpsc::channel();
    let stderr = serve.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["--registry", &url, "--registry-ca", &ca_file])
        .args(["--registry-cert", &ccert, "--registry-key", &ckey])
        .args(["schemas", "list"])
        .env_remove("SCHEMA_REGISTRY_AUTH")
        .env_remove("SCHEMA_REGISTRY_TOKEN")
        .env_remove("RUST_LOG")
        .output()
        .expect("run");
    // Waits for the line (the bound only keeps a broken build from hanging the test).
    let warned = std::iter::from_fn(|| log.recv_timeout(Duration::from_secs(60)).ok())
        .find(|l| l.contains("WARN") && l.contains("TLS handshake failed"));
    let _ = serve.kill();
    let _ = serve.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("TLS handshake with the registry failed")
            && stderr.contains("client certificate"),
        "{stderr}"
    );
    let warned = warned.expect("the registry logs the failed handshake at warn");
    assert!(
        warned.contains("peer=127.0.0.1:") && warned.contains("certificate"),
        "with the client's address and the reason: {warned}"
    );
}
