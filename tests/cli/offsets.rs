//! `schemaflow consume`'s starting flags mean what `--help` says, against a real broker and the
//! embedded registry: `--offset N` applies to every partition; with `--group` a partition the
//! group has committed an offset for resumes there and only the others start at N (looked up
//! on assignment); conflicting flags are a usage error (exit 2); an offset outside a
//! partition's records starts at its nearest end, and stderr says so.
use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::cli::{json_lines, ok, run, stderr};
use common::samples::avro::address::Address;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};

const PER_PARTITION: i64 = 5;

/// A topic with 2 partitions of [`PER_PARTITION`] records each, `street` naming where each is.
async fn topic_with_records(registry: schemaflow::registry::CachedRegistry) -> String {
    let topic = rand_topic("cli-offsets");
    create_topic(&broker().bootstrap, &topic, 2).await;
    let producer = TypedProducer::new(ProducerConfig::new(&broker().bootstrap), registry).unwrap();
    for p in 0..2 {
        for i in 0..PER_PARTITION {
            let a = Address {
                street: format!("p{p}-{i}"),
                city: "c".into(),
                country_code: "US".into(),
            };
            producer
                .send(Record::to(&topic).partition(p).value(&a))
                .await
                .unwrap();
        }
    }
    topic
}

/// The (partition, offset) pairs of `consume --metadata` output, checked against the values.
fn positions(stdout: &str) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = json_lines(stdout)
        .iter()
        .map(|l| {
            let (p, o) = (
                l["partition"].as_i64().unwrap(),
                l["offset"].as_i64().unwrap(),
            );
            assert_eq!(l["value"]["street"], format!("p{p}-{o}"), "{l}");
            (p, o)
        })
        .collect();
    out.sort();
    out
}

/// Commit `offsets` (partition → offset) for `group`, as an earlier member would have.
fn commit(group: &str, topic: &str, offsets: &BTreeMap<i32, i64>) {
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for (p, o) in offsets {
        tpl.add_partition_offset(topic, *p, Offset::Offset(*o))
            .unwrap();
    }
    c.commit(&tpl, CommitMode::Sync).unwrap();
}

fn committed(group: &str, topic: &str) -> BTreeMap<i32, Option<i64>> {
    let c: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    tpl.add_partition(topic, 1);
    let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    got.elements()
        .iter()
        .map(|e| {
            (
                e.partition(),
                match e.offset() {
                    Offset::Offset(o) => Some(o),
                    _ => None,
                },
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_applies_to_every_partition_and_with_a_group_only_where_nothing_is_committed() {
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = topic_with_records(cached).await;

    // No group: every partition from offset 3.
    let out = run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--offset",
            "3",
            "--metadata",
            "--idle-timeout",
            "4",
        ],
        None,
    )
    .await;
    assert_eq!(positions(&ok(&out)), vec![(0, 3), (0, 4), (1, 3), (1, 4)]);

    // A group that committed partition 0 up to offset 4 and nothing for partition 1: `--offset
    // 1` does not move partition 0 back (it resumes at 4), partition 1 starts at 1.
    let group = rand_topic("g-offsets");
    commit(&group, &topic, &BTreeMap::from([(0, 4)]));
    let out = run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--offset",
            "1",
            "--metadata",
            "--idle-timeout",
            "8",
        ],
        None,
    )
    .await;
    assert_eq!(
        positions(&ok(&out)),
        vec![(0, 4), (1, 1), (1, 2), (1, 3), (1, 4)]
    );
    // Everything printed was committed: a second run with --offset 0 resumes at the end.
    assert_eq!(
        committed(&group, &topic),
        BTreeMap::from([(0, Some(PER_PARTITION)), (1, Some(PER_PARTITION))])
    );
    let out = run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &group,
            "--offset",
            "0",
            "--metadata",
            "--idle-timeout",
            "8",
        ],
        None,
    )
    .await;
    assert_eq!(positions(&ok(&out)), vec![]);

    // --from-timestamp follows the same rule: 0 is before every record.
    let fresh = rand_topic("g-time");
    commit(&fresh, &topic, &BTreeMap::from([(1, 3)]));
    let out = run(
        &url,
        &[
            "consume",
            "--topic",
            &topic,
            "--group",
            &fresh,
            "--from-timestamp",
            "0",
            "--metadata",
            "--idle-timeout",
            "8",
        ],
        None,
    )
    .await;
    let mut expected: Vec<(i64, i64)> = (0..PER_PARTITION).map(|o| (0, o)).collect();
    expected.extend([(1, 3), (1, 4)]);
    assert_eq!(positions(&ok(&out)), expected);
    reg.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offset_out_of_range_says_where_it_started_and_conflicting_flags_are_usage_errors() {
    let (reg, cached) = common::services::registry().await;
    let url = reg.url().to_string();
    let topic = topic_with_records(cached).await;

    for group in [None, Some(rand_topic("g-range"))] {
        let mut args = vec![
            "consume",
            "--topic",
            &topic,
            "--offset",
            "99",
            "--metadata",
            "--idle-timeout",
            "8",
        ];
        if let Some(g) = &group {
            args.extend(["--group", g]);
        }
        let out = run(&url, &args, None).await;
        assert_eq!(positions(&ok(&out)), vec![], "{group:?}");
        let err = stderr(&out);
        for p in 0..2 {
            assert!(
                err.contains(&format!(
                    "{topic}/{p}: offset 99 is out of range (the partition has offsets 0..{PER_PARTITION}); started at the end, offset {PER_PARTITION}"
                )),
                "{group:?}: {err}"
            );
        }
    }

    for args in [
        vec!["--offset", "1", "--from-timestamp", "0"],
        vec!["--from-beginning", "--offset", "1"],
        vec!["--from-beginning", "--from-timestamp", "0"],
        vec!["--offset=-1"],
        vec!["--offset", "later"],
    ] {
        let mut all = vec!["consume", "--topic", &topic];
        all.extend(&args);
        let out = run(&url, &all, None).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
    }
    reg.stop().await.unwrap();
}
