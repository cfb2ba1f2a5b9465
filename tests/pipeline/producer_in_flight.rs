//! The producer's in-flight window (`max_in_flight`) is released by librdkafka's delivery
//! reports, not by the caller polling its delivery futures: "enqueue everything, then await
//! all" works for any number of records (issue 25, item 0).
use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use common::services::registry;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message as _;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};

const WINDOW: usize = 100;
const RECORDS: usize = 3 * WINDOW;

/// Every key read back from `topic` (all `partitions`, from the start), until `expected`
/// were seen or the (generous, failure-only) deadline passes.
fn read_keys(bootstrap: &str, topic: &str, partitions: i32, expected: usize) -> BTreeSet<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", rand_topic("in-flight-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut keys = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while keys.len() < expected && Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            let m = m.unwrap();
            keys.insert(String::from_utf8(m.key().unwrap().to_vec()).unwrap());
        }
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_three_windows_before_awaiting_any_delivery() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("in-flight");
    create_topic(&b.bootstrap, &topic, 3).await;
    let config = ProducerConfig::new(&b.bootstrap).max_in_flight(WINDOW);
    let producer = TypedProducer::new(config, reg.clone()).unwrap();
    let value = common::avro_full();
    let keys: Vec<String> = (0..RECORDS).map(|i| format!("k-{i}")).collect();

    // Enqueue every record before awaiting a single delivery future. The timeout only detects
    // the old hang (the window was released only when a future was polled, so enqueue number
    // WINDOW + 1 waited for ever); 3 × 100 small records take well under a second.
    let enqueue_all = async {
        let mut pending = Vec::with_capacity(RECORDS);
        for k in &keys {
            let record = Record::<UserEvent>::to(&topic)
                .key(k.as_bytes())
                .value(&value);
            pending.push(producer.enqueue(record).await.unwrap());
        }
        pending
    };
    let pending = tokio::time::timeout(Duration::from_secs(120), enqueue_all)
        .await
        .expect("enqueue stopped at the in-flight window: deliveries did not release it");
    for p in pending {
        p.await.unwrap();
    }

    let got = tokio::task::spawn_blocking({
        let (bootstrap, topic) = (b.bootstrap.clone(), topic.clone());
        move || read_keys(&bootstrap, &topic, 3, RECORDS)
    })
    .await
    .unwrap();
    let want: BTreeSet<String> = keys.into_iter().collect();
    assert_eq!(got, want, "every record arrives, once");
    server.stop().await.unwrap();
}
