//! Data contracts from the command line: `register --metadata FILE --rule-set FILE`,
//! `schemas show` printing them, `produce` refusing a line a WRITE rule refuses, and a rule
//! set whose CEL does not compile refused before anything is registered, and `consume
//! --use-latest-version` / `--use-latest-with-metadata` reading records of two compatibility
//! groups as one version through the JSONata migration rules.
use crate::common;

use common::broker::{broker, create_topic, rand_topic};
use common::cli::{ok, run, stderr};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_show_and_produce_with_a_rule_set() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    let metadata = dir.path().join("metadata.json");
    let rule_set = json!({"domainRules": [{
        "name": "us_only", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
        "expr": "message.country_code == 'US'"
    }]});
    std::fs::write(&rules, rule_set.to_string()).unwrap();
    std::fs::write(&metadata, r#"{"properties": {"owner": "team-a"}}"#).unwrap();
    let topic = rand_topic("cli-rules");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let subject = format!("{topic}-value");
    let (rules_arg, metadata_arg) = (rules.to_str().unwrap(), metadata.to_str().unwrap());
    let registered: Value = serde_json::from_str(&ok(&run(
        &url,
        &[
            "register",
            "--subject",
            &subject,
            "--schema-file",
            "schemas/address.avsc",
            "--metadata",
            metadata_arg,
            "--rule-set",
            rules_arg,
        ],
        None,
    )
    .await))
    .unwrap();

    let shown: Value = serde_json::from_str(&ok(&run(
        &url,
        &["schemas", "show", "--subject", &subject],
        None,
    )
    .await))
    .unwrap();
    assert_eq!(shown["id"], registered["id"]);
    assert_eq!(shown["metadata"]["properties"]["owner"], "team-a");
    assert_eq!(shown["ruleSet"]["domainRules"][0]["name"], "us_only");
    assert_eq!(
        shown["ruleSet"]["domainRules"][0]["expr"],
        "message.country_code == 'US'"
    );

    // produce runs the subject's WRITE rules: the second line is refused, the first sent.
    let line = |cc: &str| json!({"street": "s", "city": "c", "country_code": cc}).to_string();
    let out = run(
        &url,
        &["produce", "--topic", &topic, "--subject", &subject],
        Some(&format!("{}\n{}\n", line("US"), line("FR"))),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("line 2") && err.contains("Rule expr failed: message.country_code == 'US'"),
        "{err}"
    );
    assert!(err.contains("1 record(s) before it were sent"), "{err}");
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_set_whose_cel_does_not_compile_is_refused_before_registering() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        json!({"domainRules": [{"name": "broken", "kind": "CONDITION", "mode": "WRITE",
            "type": "CEL", "expr": "message.country_code =="}]})
        .to_string(),
    )
    .unwrap();
    let subject = rand_topic("cli-bad-rules");
    let out = run(
        &url,
        &[
            "register",
            "--subject",
            &subject,
            "--schema-file",
            "schemas/address.avsc",
            "--rule-set",
            rules.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("\"broken\""), "{}", stderr(&out));
    let subjects = ok(&run(&url, &["schemas", "list"], None).await);
    assert!(
        !subjects.contains(&subject),
        "nothing registered: {subjects}"
    );
    reg.stop().await.unwrap();
}

const CUSTOMER_V1: &str = r#"{"type": "record", "name": "Customer", "namespace": "com.acme",
  "fields": [{"name": "name", "type": "string"}, {"name": "ssn", "type": "string"}]}"#;
const CUSTOMER_V2: &str = r#"{"type": "record", "name": "Customer", "namespace": "com.acme",
  "fields": [{"name": "name", "type": "string"},
             {"name": "socialSecurityNumber", "type": "string"}]}"#;

/// Confluent's walk-through rename as a JSONata migration rule.
fn rename(name: &str, mode: &str, from: &str, to: &str) -> Value {
    json!({"name": name, "kind": "TRANSFORM", "mode": mode, "type": "JSONATA",
           "expr": format!("$merge([$sift($, function($v, $k) {{$k != '{from}'}}), {{'{to}': $.'{from}'}}])")})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_reads_records_as_the_latest_version_through_migrations() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-migrate");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let subject = format!("{topic}-value");
    // Versions are compared within their major version only.
    let config = reqwest::Client::new()
        .put(format!("{url}/config/{subject}"))
        .json(&json!({"compatibilityGroup": "major_version"}))
        .send()
        .await
        .unwrap();
    assert!(config.status().is_success(), "{config:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let (v1, v2) = (file("v1.avsc", CUSTOMER_V1), file("v2.avsc", CUSTOMER_V2));
    let (m1, m2) = (
        file("m1.json", r#"{"properties": {"major_version": "1"}}"#),
        file("m2.json", r#"{"properties": {"major_version": "2"}}"#),
    );
    let rules = file(
        "rules.json",
        &json!({"migrationRules": [
            rename("to_v2", "UPGRADE", "ssn", "socialSecurityNumber"),
            rename("to_v1", "DOWNGRADE", "socialSecurityNumber", "ssn"),
        ]})
        .to_string(),
    );
    for args in [
        vec!["--schema-file", &v1, "--metadata", &m1],
        vec![
            "--schema-file",
            &v2,
            "--metadata",
            &m2,
            "--rule-set",
            &rules,
        ],
    ] {
        let mut all = vec!["register", "--subject", &subject];
        all.extend(args);
        ok(&run(&url, &all, None).await);
    }
    // One record of each version.
    for (version, line) in [
        ("1", json!({"name": "Ann", "ssn": "111"})),
        ("2", json!({"name": "Bob", "socialSecurityNumber": "222"})),
    ] {
        let produce = [
            "produce",
            "--topic",
            &topic,
            "--subject",
            &subject,
            "--version",
            version,
        ];
        ok(&run(&url, &produce, Some(&format!("{line}\n"))).await);
    }
    let consume = |extra: &[&str]| {
        let mut args = vec![
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "2",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let lines = |args: Vec<String>| {
        let url = url.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            common::cli::json_lines(&ok(&run(&url, &args, None).await))
        }
    };
    assert_eq!(
        lines(consume(&["--use-latest-version"])).await,
        [
            json!({"name": "Ann", "socialSecurityNumber": "111"}),
            json!({"name": "Bob", "socialSecurityNumber": "222"})
        ],
        "on v2, the v1 record upgraded"
    );
    assert_eq!(
        lines(consume(&["--use-latest-with-metadata", "major_version=1"])).await,
        [
            json!({"name": "Ann", "ssn": "111"}),
            json!({"name": "Bob", "ssn": "222"})
        ],
        "on v1, the v2 record downgraded"
    );
    assert_eq!(
        lines(consume(&[])).await,
        [
            json!({"name": "Ann", "ssn": "111"}),
            json!({"name": "Bob", "socialSecurityNumber": "222"})
        ],
        "as written by default"
    );
    let bad = consume(&["--use-latest-with-metadata", "major_version"]);
    let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
    let out = run(&url, &bad, None).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expected KEY=VALUE"),
        "{}",
        stderr(&out)
    );
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_serve_checks_rule_expressions_unless_told_not_to() {
    use common::serve::Serve;
    let body = json!({
        "schema": r#"{"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}"#,
        "ruleSet": {"domainRules": [{"name": "broken", "kind": "CONDITION", "mode": "WRITE",
            "type": "CEL", "expr": "message.a =="}]}
    });
    let register = |url: String| {
        let body = body.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{url}/subjects/s-value/versions"))
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // By default: refused, naming the rule.
    let (mut checking, url) = Serve::new().serving();
    let refused = register(url).await;
    assert_eq!(refused.status().as_u16(), 422);
    let err: Value = refused.json().await.unwrap();
    assert_eq!(err["error_code"], 42210, "{err}");
    assert!(err["message"].to_string().contains("broken"), "{err}");
    // Told not to (as Confluent's registry behaves): stored as given.
    let (mut lenient, url) = Serve::new()
        .args(["--check-rule-expressions", "false"])
        .serving();
    let stored = register(url.clone()).await;
    assert!(stored.status().is_success(), "{stored:?}");
    let latest: Value = reqwest::get(format!("{url}/subjects/s-value/versions/latest"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(latest["ruleSet"]["domainRules"][0]["expr"], "message.a ==");
    for child in [&mut checking, &mut lenient] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    // The flag is in the help.
    let help = ok(&run("http://127.0.0.1:9", &["registry", "serve", "--help"], None).await);
    assert!(help.contains("--check-rule-expressions"), "{help}");
}
