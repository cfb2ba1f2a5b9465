//! Configuration mistakes are usage errors (exit 2, one line on stderr saying what to change),
//! not bad input or broker failures, against a real broker and the embedded registry:
//! `--message` naming no message of the schema (before any input line is read), `--registry-auth`
//! without a colon, both kinds of registry auth, an unknown or invalid `-X` property; and
//! `register` of a schema using a named type it does not define says which `--reference` to pass,
//! while a misspelt type (`"strng"`) is an unknown type with the closest name. `produce` refuses
//! a bad `--message` or schema before registering anything.
use crate::common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::broker::{broker, create_topic, rand_topic};
use common::cli::{command, ok, run, stderr};

fn one_usage_line(out: &std::process::Output, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_not_in_the_schema_is_a_usage_error_before_any_line_is_read() {
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-nope");
    create_topic(&broker().bootstrap, &topic, 1).await;
    ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "events/v1/common.proto",
            "--schema-file",
            "proto/events/v1/common.proto",
        ],
        None,
    )
    .await);
    // stdin stays open and empty: a command that waited for lines would never end.
    let url2 = url.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = command(
            &url2,
            &[
                "produce",
                "--topic",
                &topic,
                "--schema-file",
                "proto/events/v1/user_event.proto",
                "--reference",
                "events/v1/common.proto=events/v1/common.proto:1",
                "--message",
                "events.v1.Nope",
                "--skip-invalid",
            ],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let _stdin = child.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("produce waited for input with a --message not in the schema");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let err = one_usage_line(&out, "--message");
    assert!(
        err.contains("--message events.v1.Nope: no such message")
            && err.contains(
                "events.v1.UserEvent, events.v1.UserEvent.LineItem, events.v1.UserEventBatch"
            ),
        "{err}"
    );
    // Refused before anything was registered: the registry has only the reference's subject.
    let subjects = cached.client().subjects(false).await.unwrap();
    assert_eq!(subjects, ["events/v1/common.proto"], "{subjects:?}");
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_avro_type_is_an_unknown_type_with_the_closest_name_not_a_reference() {
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.avsc");
    std::fs::write(
        &file,
        r#"{"type": "record", "name": "Typo", "namespace": "t", "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": "strng"}
        ]}"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let topic = rand_topic("cli-typo");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let expected = r#"unknown type "strng" at /fields/1/type (did you mean "string"?)"#;
    for args in [
        vec!["register", "--subject", "typo-value", "--schema-file", file],
        vec!["produce", "--topic", &topic, "--schema-file", file],
    ] {
        let out = run(&url, &args, Some("{}\n")).await;
        let err = one_usage_line(&out, args[0]);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("--reference"), "{args:?}: {err}");
    }
    // produce refused it before registering: nothing is registered.
    assert!(cached.client().subjects(false).await.unwrap().is_empty());
    reg.stop().await.unwrap();
}

/// An invalid `.proto` given to `register` or `produce --schema-file` is reported at the
/// user's file (and line), not at the registry's copy of it (`schema-5.proto`), and nothing is
/// registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_proto_is_reported_at_the_users_file_and_line() {
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.proto");
    std::fs::write(
        &file,
        "syntax = \"proto3\";\npackage shop.v1;\n\nmessage Order {\n  strin id = 1;\n}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let topic = rand_topic("cli-bad-proto");
    create_topic(&broker().bootstrap, &topic, 1).await;
    for args in [
        vec![
            "register",
            "--subject",
            "orders-value",
            "--schema-file",
            file,
        ],
        vec!["produce", "--topic", &topic, "--schema-file", file],
    ] {
        let out = run(&url, &args, Some("{}\n")).await;
        let err = one_usage_line(&out, args[0]);
        assert!(err.contains("orders.proto"), "{args:?}: {err}");
        assert!(err.contains("strin"), "{args:?}: {err}");
        assert!(!err.contains("schema-"), "{args:?}: {err}");
    }
    assert!(cached.client().subjects(false).await.unwrap().is_empty());
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_and_property_mistakes_are_usage_errors() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    for (args, expected) in [
        (
            vec!["schemas", "list", "--registry-auth", "alice"],
            "must be USER:PASSWORD",
        ),
        (
            vec![
                "schemas",
                "list",
                "--registry-auth",
                "alice:pw",
                "--registry-token",
                "t",
            ],
            "--registry-auth and --registry-token",
        ),
        (
            vec!["topics", "list", "-X", "no.such.property=1"],
            "-X no.such.property=1: No such configuration property",
        ),
        (
            vec!["consume", "--topic", "t", "-X", "acks=banana"],
            "-X acks=banana: Invalid value",
        ),
    ] {
        let out = run(&url, &args, None).await;
        let err = one_usage_line(&out, &format!("{args:?}"));
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    // From the environment too.
    let out = tokio::task::spawn_blocking(move || {
        command(&url, &["schemas", "list"])
            .env("SCHEMA_REGISTRY_AUTH", "alice")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(one_usage_line(&out, "SCHEMA_REGISTRY_AUTH").contains("SCHEMA_REGISTRY_AUTH"));
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_without_the_reference_a_schema_needs_says_to_pass_it() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let out = run(
        &url,
        &[
            "register",
            "--subject",
            "user-events-value",
            "--schema-file",
            "schemas/user_event.avsc",
        ],
        None,
    )
    .await;
    let err = one_usage_line(&out, "avro register");
    assert!(
        err.contains("com.example.events.Address is not defined in this file")
            && err.contains("pass --reference com.example.events.Address=SUBJECT:VERSION"),
        "{err}"
    );
    // With the reference it registers.
    ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "com.example.events.Address",
            "--schema-file",
            "schemas/address.avsc",
        ],
        None,
    )
    .await);
    ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "user-events-value",
            "--schema-file",
            "schemas/user_event.avsc",
            "--reference",
            "com.example.events.Address=com.example.events.Address:1",
        ],
        None,
    )
    .await);
    reg.stop().await.unwrap();
}
