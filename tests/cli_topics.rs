//! `schemaflow topics create` reports what the cluster has, against a real broker: a new topic
//! is created with its partitions; an existing one stays as it is (exit 0, its real count, a
//! warning when `--partitions` differs); `--partitions 0` is a usage error.
mod common;

use std::process::{Command, Output};

use common::broker::{broker, rand_topic};

fn topics(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .arg("topics")
        .args(args)
        .args(["--brokers", &broker().bootstrap])
        .env_remove("KAFKA_BROKERS")
        .output()
        .unwrap()
}

#[test]
fn topics_create_says_what_the_cluster_has() {
    let topic = rand_topic("t-create");
    let out = topics(&["create", "--topic", &topic, "--partitions", "3"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("topic {topic} created (3 partition(s))")));

    let again = topics(&["create", "--topic", &topic, "--partitions", "5"]);
    assert!(again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("already has 3 partition(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("topic {topic} already exists (3 partition(s))")),
        "{stderr}"
    );

    let list = topics(&["list"]);
    assert!(list.status.success());
    assert!(String::from_utf8_lossy(&list.stdout)
        .lines()
        .any(|l| l == format!("{topic}\t3")));

    let zero = topics(&[
        "create",
        "--topic",
        &rand_topic("t-zero"),
        "--partitions",
        "0",
    ]);
    assert_eq!(zero.status.code(), Some(2));
}
