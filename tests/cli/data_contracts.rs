//! Data contracts from the command line: `register --metadata FILE --rule-set FILE`,
//! `schemas show` printing them, `produce` refusing a line a WRITE rule refuses, and a rule
//! set whose CEL does not compile refused before anything is registered.
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
