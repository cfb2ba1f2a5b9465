//! `schemaflow topics create` reports what the cluster has, against a real broker: a new topic
//! is created with its partitions; an existing one stays as it is (exit 0, its real count, a
//! warning when `--partitions` differs); `--partitions 0` is a usage error — and usage errors,
//! like every other error, are one line on stderr (with how to see the help) and exit 2; `list`
//! leaves out Kafka's internal `__*` topics unless `--all`.
use crate::common;

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

#[test]
fn usage_errors_are_one_line_saying_how_to_see_help() {
    for (args, help) in [
        (vec!["produce", "--nope"], "schemaflow produce --help"),
        (vec!["consume"], "schemaflow consume --help"),
        (vec!["nosuch"], "schemaflow --help"),
        (
            vec!["topics", "create", "--topic", "t", "--partitions", "0"],
            "schemaflow topics create --help",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .args(&args)
            .env_remove("KAFKA_BROKERS")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("schemaflow: ") && stderr.contains(help),
            "{args:?}: {stderr}"
        );
    }
    // --help still prints the whole help, on stdout, exit 0.
    let help = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["consume", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--registry-retry-timeout"));
}

#[test]
fn topics_list_hides_kafkas_internal_topics_unless_all() {
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    use rdkafka::{Offset, TopicPartitionList};
    // A committed offset makes the broker create __consumer_offsets (if no test did yet).
    let topic = rand_topic("t-internal");
    assert!(topics(&["create", "--topic", &topic]).status.success());
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("t-internal-group"))
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Offset(0))
        .unwrap();
    c.commit(&tpl, CommitMode::Sync).unwrap();

    let names = |args: &[&str]| {
        let out = topics(args);
        assert!(out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split('\t').next().map(str::to_string))
            .collect::<Vec<String>>()
    };
    let all = names(&["list", "--all"]);
    assert!(all.iter().any(|t| t == "__consumer_offsets"), "{all:?}");
    assert!(all.contains(&topic), "{all:?}");
    let listed = names(&["list"]);
    assert!(listed.iter().all(|t| !t.starts_with("__")), "{listed:?}");
    assert!(listed.contains(&topic), "{listed:?}");
}
