//! `[[waiver]]` entries of `schemaflow-subjects.toml` as `schemaflow check` applies them: a
//! live waiver turns a failing finding into a reported, waived one in every format; an expired
//! one fails with the expiry in the message; a waiver matching nothing is warned about;
//! malformed waivers are usage errors.

use crate::check_repo;

use check_repo::{check, json, repo, stderr, stdout, write, USER};

const REASON: &str = "no consumer reads id yet <JIRA-1> & \"agreed\"";
const LIVE: &str = "2026-12-01";
const AFTER: &str = "2027-02-01";

fn waiver(keys: &str) -> String {
    format!(
        "[[waiver]]\nrule = \"TYPE_MISMATCH\"\n{keys}\nreason = {REASON:?}\nexpires = 2027-01-31\n"
    )
}

fn with_subjects(text: &str) -> tempfile::TempDir {
    let dir = repo();
    write(dir.path(), "schemaflow-subjects.toml", text);
    dir
}

#[test]
fn a_live_waiver_passes_the_check_and_shows_in_every_format() {
    let dir = with_subjects(&waiver(&format!("file = {USER:?}")));
    let d = dir.path();

    let out = check(d, LIVE, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.lines().any(
            |l| l.starts_with(&format!("waived: {USER}:2: TYPE_MISMATCH "))
                && l.ends_with(&format!("; waiver: {REASON} (until 2027-01-31)"))
        ),
        "{text}"
    );
    assert!(
        stderr(&out).contains("1 finding(s) waived"),
        "{}",
        stderr(&out)
    );

    let doc = json(&check(d, LIVE, &["--output", "json"]));
    assert_eq!(doc["compatible"], true, "{doc}");
    assert_eq!(doc["findings"], serde_json::json!([]));
    assert_eq!(doc["waived"][0]["file"], USER);
    assert_eq!(doc["waived"][0]["rule"], "TYPE_MISMATCH");
    assert_eq!(
        doc["waived"][0]["waived"],
        serde_json::json!({"reason": REASON, "expires": "2027-01-31"})
    );

    let gh = stdout(&check(d, LIVE, &["--output", "github-actions"]));
    assert!(
        gh.lines().any(|l| l.starts_with(&format!(
            "::warning file={USER},line=2,title=TYPE_MISMATCH (waived)::"
        ))),
        "{gh}"
    );
    assert!(!gh.contains("::error"), "{gh}");

    let xml = stdout(&check(d, LIVE, &["--output", "junit"]));
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("testsuite");
    assert_eq!(suite.attribute("failures"), Some("0"), "{xml}");
    let out_text = doc
        .descendants()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(out_text.contains(REASON), "{xml}");

    let sarif = json(&check(d, LIVE, &["--output", "sarif"]));
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "TYPE_MISMATCH");
    assert_eq!(result["level"], "note");
    let suppression = &result["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert!(suppression["justification"]
        .as_str()
        .is_some_and(|j| j.contains(REASON)));

    let gl = json(&check(d, LIVE, &["--output", "gitlab-code-quality"]));
    assert_eq!(gl[0]["severity"], "info", "{gl}");
    assert!(gl[0]["description"]
        .as_str()
        .is_some_and(|t| t.contains("waived")));
}

#[test]
fn an_expired_waiver_fails_and_says_so() {
    let dir = with_subjects(&waiver(&format!("file = {USER:?}")));
    let out = check(dir.path(), AFTER, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["waived"], serde_json::json!([]));
    let message = doc["findings"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.ends_with(&format!("(waiver expired on 2027-01-31: {REASON})")),
        "{message}"
    );
    // The expiry day itself still counts.
    let out = check(dir.path(), "2027-01-31", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn waivers_match_on_path_and_subject_and_stale_ones_are_reported() {
    for keys in [
        "path = \"/fields/0/type\"".to_string(),
        "subject = \"shop.User\"".to_string(),
        format!("file = \"./{USER}\"\npath = \"/fields/0/type\"\nsubject = \"shop.User\""),
    ] {
        let dir = with_subjects(&waiver(&keys));
        let out = check(dir.path(), LIVE, &[]);
        assert_eq!(out.status.code(), Some(0), "{keys}: {}", stderr(&out));
        assert!(!stderr(&out).contains("matches no finding"), "{keys}");
    }
    // Waivers that name another file, path or subject do not apply, and are reported.
    for keys in [
        "file = \"schemas/other.avsc\"",
        "path = \"/fields/1/type\"",
        "subject = \"user-events-value\"",
    ] {
        let dir = with_subjects(&waiver(keys));
        let out = check(dir.path(), LIVE, &[]);
        assert_eq!(out.status.code(), Some(1), "{keys}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("warning: waiver rule = \"TYPE_MISMATCH\"")
                && err.contains("matches no finding"),
            "{keys}: {err}"
        );
    }
}

#[test]
fn waivers_apply_with_subjects_config_and_in_pair_mode() {
    let dir = repo();
    let d = dir.path();
    let config = d.join("elsewhere.toml");
    std::fs::write(&config, waiver(&format!("file = {USER:?}"))).expect("write");
    let config = config.display().to_string();
    let out = check(d, LIVE, &["--subjects-config", &config]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Pair mode: the file is the candidate as given on the command line.
    write(
        d,
        "old.avsc",
        r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#,
    );
    std::fs::write(
        d.join("elsewhere.toml"),
        waiver("file = \"schemas/user.avsc\"\npath = \"/fields/0/type\""),
    )
    .expect("write");
    let pair = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .current_dir(d)
            .env_remove("SCHEMA_REGISTRY_URL")
            .env("SCHEMAFLOW_TODAY", LIVE)
            .args(["check", "--previous", "old.avsc", "--candidate", USER])
            .args(extra)
            .output()
            .expect("binary runs")
    };
    assert_eq!(pair(&[]).status.code(), Some(1));
    let out = pair(&["--subjects-config", &config]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn malformed_waivers_are_usage_errors() {
    for bad in [
        // An unknown key.
        format!("{}owner = \"me\"\n", waiver(&format!("file = {USER:?}"))),
        // Nothing to limit it to.
        "[[waiver]]\nrule = \"TYPE_MISMATCH\"\nreason = \"r\"\nexpires = 2027-01-31\n".to_string(),
        // No expiry, no reason.
        format!("[[waiver]]\nrule = \"TYPE_MISMATCH\"\nfile = {USER:?}\nreason = \"r\"\n"),
        format!("[[waiver]]\nrule = \"TYPE_MISMATCH\"\nfile = {USER:?}\nexpires = 2027-01-31\n"),
        // Not a date.
        format!("[[waiver]]\nrule = \"TYPE_MISMATCH\"\nfile = {USER:?}\nreason = \"r\"\nexpires = \"soon\"\n"),
    ] {
        let dir = with_subjects(&bad);
        let out = check(dir.path(), LIVE, &[]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("schemaflow-subjects.toml"), "{bad}: {}", stderr(&out));
    }
    let dir = with_subjects(&waiver(&format!("file = {USER:?}")));
    let out = check(dir.path(), "next week", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Registry mode: a waiver names the registry's finding by rule and subject.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waivers_apply_in_registry_mode() {
    use schemaflow::registry::{ClientConfig, RegistryClient, Schema};
    use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

    let server = EmbeddedRegistry::start(
        ServerConfig::default().listen("127.0.0.1:0".parse().expect("address")),
        std::sync::Arc::new(CompatibilityEngine),
    )
    .await
    .expect("registry starts");
    let client = RegistryClient::new(ClientConfig::new(server.url())).expect("client");
    client
        .register(
            "shop.User",
            &Schema::avro(r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#),
            false,
        )
        .await
        .expect("register");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path().to_path_buf();
    write(
        &d,
        USER,
        r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"long"}]}"#,
    );
    let run = |subjects: String| {
        write(&d, "schemaflow-subjects.toml", &subjects);
        let (d, url) = (d.clone(), server.url().to_string());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_schemaflow"))
                .current_dir(d)
                .env_remove("SCHEMA_REGISTRY_URL")
                .env_remove("SCHEMA_REGISTRY_AUTH")
                .env_remove("SCHEMA_REGISTRY_TOKEN")
                .env("SCHEMAFLOW_TODAY", LIVE)
                .args(["check", "--registry", &url, "--output", "json"])
                .output()
                .expect("binary runs")
        })
    };
    let defaults = "[defaults]\nstrategy = \"record\"\n";
    let out = run(defaults.to_string()).await.expect("blocking task");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let waiver = format!(
        "{defaults}[[waiver]]\nrule = \"REGISTRY_INCOMPATIBLE\"\nsubject = \"shop.User\"\nreason = \"r\"\nexpires = 2027-01-31\n"
    );
    let out = run(waiver).await.expect("blocking task");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let doc = json(&out);
    assert_eq!(doc["findings"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["waived"][0]["rule"], "REGISTRY_INCOMPATIBLE", "{doc}");
    assert_eq!(doc["waived"][0]["path"], "shop.User", "{doc}");
}
