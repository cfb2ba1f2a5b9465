//! `schemaflow produce --key-field` against a real broker and the embedded registry: a path
//! that matches nothing in a line is that line's error (exit 1 with its number, the lines
//! before it delivered; skipped with `--skip-invalid`), never a silent null key; Protobuf
//! paths match the `.proto` name and the JSON name (the spelling `consume` prints) alike.
use crate::common;

use common::broker::{create_topic, rand_topic};
use common::cli::{json_lines, ok, run, stderr};
use serde_json::{json, Value};

fn address(street: &str, city: &str) -> Value {
    json!({"street": street, "city": city, "country_code": "US"})
}

/// The keys of every record of `topic`, in offset order (one partition).
async fn keys(url: &str, topic: &str, expect: usize) -> Vec<Value> {
    let out = run(
        url,
        &[
            "consume",
            "--topic",
            topic,
            "--from-beginning",
            "--metadata",
            "--max-messages",
            &expect.to_string(),
            "--idle-timeout",
            "10",
        ],
        None,
    )
    .await;
    json_lines(&ok(&out))
        .into_iter()
        .map(|l| l["key"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_key_field_matching_nothing_is_the_lines_error() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-key-avro");
    create_topic(&common::broker::broker().bootstrap, &topic, 1).await;
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
    let produce = |key_field: &'static str, extra: &'static [&'static str]| {
        let mut args = vec![
            "produce",
            "--topic",
            topic.as_str(),
            "--subject",
            "com.example.events.Address",
            "--key-field",
            key_field,
        ];
        args.extend(extra);
        args
    };
    let text = format!(
        "{}\n{}\n",
        address("1 Main", "Springfield"),
        address("2 Elm", "Shelbyville")
    );

    // A typo: line 1 is refused, nothing is sent.
    let out = run(&url, &produce("cty", &[]), Some(&text)).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("line 1:") && err.contains("--key-field cty: this line has no field cty"),
        "{err}"
    );
    assert!(err.contains("0 record(s) before it were sent"), "{err}");

    // The right path keys every record by its city.
    ok(&run(&url, &produce("city", &[]), Some(&text)).await);
    assert_eq!(
        keys(&url, &topic, 2).await,
        vec![json!("Springfield"), json!("Shelbyville")]
    );

    // A path into a value that is not an object matches nothing too: line 2 stops the run
    // after line 1 was delivered; --skip-invalid reports it and goes on.
    let out = run(&url, &produce("city.name", &[]), Some(&text)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("line 1: --key-field city.name: this line has no field city.name")
    );
    let out = run(
        &url,
        &produce("city.name", &["--skip-invalid"]),
        Some(&text),
    )
    .await;
    ok(&out);
    assert!(
        stderr(&out).contains("skipping line 2: --key-field city.name"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("2 invalid line(s) skipped"),
        "{}",
        stderr(&out)
    );
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_key_field_takes_either_spelling_of_the_field() {
    let (reg, _) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = rand_topic("cli-key-proto");
    create_topic(&common::broker::broker().bootstrap, &topic, 1).await;
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
    // The JSON name (what consume prints) and the .proto name in the lines, either in the path.
    let text = format!(
        "{}\n{}\n",
        json!({"userId": "user-1", "device": {"appVersion": "1.0"}}),
        json!({"user_id": "user-2", "device": {"app_version": "2.0"}})
    );
    for (round, (path, expected)) in [
        ("user_id", ["user-1", "user-2"]),
        ("userId", ["user-1", "user-2"]),
        ("device.app_version", ["1.0", "2.0"]),
    ]
    .into_iter()
    .enumerate()
    {
        let out = run(
            &url,
            &[
                "produce",
                "--topic",
                &topic,
                "--schema-file",
                "proto/events/v1/user_event.proto",
                "--reference",
                "events/v1/common.proto=events/v1/common.proto:1",
                "--key-field",
                path,
            ],
            Some(&text),
        )
        .await;
        ok(&out);
        let all = keys(&url, &topic, 2 * (round + 1)).await;
        assert_eq!(
            all[all.len() - 2..],
            [json!(expected[0]), json!(expected[1])],
            "{path}"
        );
    }
    let out = run(
        &url,
        &[
            "produce",
            "--topic",
            &topic,
            "--schema-file",
            "proto/events/v1/user_event.proto",
            "--reference",
            "events/v1/common.proto=events/v1/common.proto:1",
            "--key-field",
            "usr_id",
        ],
        Some(&text),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("line 1: --key-field usr_id: this line has no field usr_id"),
        "{}",
        stderr(&out)
    );
    reg.stop().await.unwrap();
}
