//! Registry administration as users type it, against the embedded registry: `schemas get`
//! prints the schema itself (Avro as indented JSON, Protobuf as its text; `--output json` the
//! registry's answer), and `config set` takes the level as an argument or as `--level`.
use crate::common;

use common::cli::{ok, run, stderr};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_get_prints_the_schema_itself() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let avro = std::fs::read_to_string("schemas/address.avsc").unwrap();
    let proto = std::fs::read_to_string("proto/events/v1/common.proto").unwrap();
    let registered: Value = serde_json::from_str(&ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "address",
            "--schema-file",
            "schemas/address.avsc",
        ],
        None,
    )
    .await))
    .unwrap();
    ok(&run(
        &url,
        &[
            "register",
            "--subject",
            "common",
            "--schema-file",
            "proto/events/v1/common.proto",
        ],
        None,
    )
    .await);
    let id = registered["id"].to_string();
    let avro_json: Value = serde_json::from_str(&avro).unwrap();
    for args in [
        vec!["schemas", "get", "--subject", "address"],
        vec!["schemas", "get", "--id", &id],
    ] {
        let out = ok(&run(&url, &args, None).await);
        // The schema, not a JSON string holding it; indented, one line per key.
        let printed: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(printed, avro_json, "{args:?}");
        assert!(out.lines().count() > 3, "{args:?}: {out}");
    }
    let out = ok(&run(&url, &["schemas", "get", "--subject", "common"], None).await);
    assert_eq!(out.trim_end(), proto.trim_end());
    // --output json: the registry's answer, the schema as a string in it.
    let out = ok(&run(
        &url,
        &["schemas", "get", "--subject", "address", "--output", "json"],
        None,
    )
    .await);
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&answer["subject"], &answer["version"], &answer["id"]),
        (&json!("address"), &json!(1), &registered["id"])
    );
    assert_eq!(
        serde_json::from_str::<Value>(answer["schema"].as_str().unwrap()).unwrap(),
        avro_json
    );
    let out = ok(&run(
        &url,
        &["schemas", "get", "--id", &id, "--output", "json"],
        None,
    )
    .await);
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["id"], registered["id"]);
    assert!(answer["schema"].is_string(), "{answer}");
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_set_takes_the_level_as_an_argument_or_a_flag() {
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let set = |args: &[&str]| {
        let mut a = vec!["config", "set"];
        a.extend(args);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    for (args, subject, level) in [
        (set(&["FORWARD"]), None, "FORWARD"),
        (set(&["--level", "FULL"]), None, "FULL"),
        (
            set(&["BACKWARD_TRANSITIVE", "--subject", "s-value"]),
            Some("s-value"),
            "BACKWARD_TRANSITIVE",
        ),
        (
            set(&["--subject", "s-value", "NONE"]),
            Some("s-value"),
            "NONE",
        ),
    ] {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out: Value = serde_json::from_str(&ok(&run(&url, &a, None).await)).unwrap();
        assert_eq!(out, json!({"compatibilityLevel": level}), "{args:?}");
        // The registry holds it.
        let held = cached.client().compatibility(subject).await.unwrap();
        assert_eq!(held.to_string(), level, "{args:?}");
    }
    // Both, or neither: usage errors.
    for args in [set(&["FULL", "--level", "NONE"]), set(&[])] {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&url, &a, None).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    reg.stop().await.unwrap();
}
