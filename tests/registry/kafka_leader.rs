//! Several `schemaflow registry serve` processes on one Kafka topic (real broker, real HTTP):
//! one leader assigns ids, followers forward writes; concurrent registrations through all of
//! them agree (one id per schema, unique ids, gap-free versions); the leader killed with
//! SIGKILL in a burst of registrations: another takes over, nothing acknowledged is lost, no
//! id is reused. A `--leader-eligibility false` instance started beside a running leader
//! knows it and forwards at once; an eligible instance that joins leaves the leader leading
//! (no new election), and takes over when the leader dies.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::broker::{broker, rand_topic};
use schemaflow::registry::{ClientConfig, RegistryClient, Schema};

/// A registry process; killed when dropped.
struct Instance {
    child: Child,
    url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(topic: &str, group: &str) -> Instance {
    serve_with(topic, group, &[])
}

/// `serve` with more flags; returns once the instance printed its URL (it is UP).
fn serve_with(topic: &str, group: &str, extra: &[&str]) -> Instance {
    let (child, url) = common::serve::Serve::new()
        .args(["--kafkastore-bootstrap-servers", &broker().bootstrap])
        .args(["--kafkastore-topic", topic, "--group-id", group])
        .args(extra)
        .serving();
    Instance { child, url }
}

fn client(url: &str) -> RegistryClient {
    let mut c = ClientConfig::new(url);
    // Fail-over takes a session timeout: retry long enough to ride it out.
    c.max_retries = 12;
    c.retry_base = Duration::from_millis(250);
    c.retry_cap = Duration::from_secs(2);
    RegistryClient::new(c).expect("client")
}

async fn health(url: &str) -> serde_json::Value {
    reqwest::get(format!("{url}/health"))
        .await
        .expect("health")
        .json()
        .await
        .expect("json")
}

/// The instance that says it leads, waiting for an election if needed.
async fn leader_of(instances: &[&Instance]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for (i, inst) in instances.iter().enumerate() {
            if health(&inst.url).await["leader"] == true {
                return i;
            }
        }
        assert!(Instant::now() < deadline, "no leader within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A client that tries once: a write it makes succeeds only if the instance can take it now.
fn client_without_retries(url: &str) -> RegistryClient {
    let mut c = ClientConfig::new(url);
    c.max_retries = 0;
    RegistryClient::new(c).expect("client")
}

/// The URLs announced on the coordination topic so far (committed records, in order): one per
/// election won.
fn announcements(topic: &str) -> Vec<String> {
    use rdkafka::config::ClientConfig as KafkaConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::error::KafkaError;
    use rdkafka::message::Message;
    use rdkafka::{Offset, TopicPartitionList};

    let consumer: BaseConsumer = KafkaConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", format!("announcements-{topic}"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&format!("{topic}_leader"), 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let mut urls = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the end of the coordination topic within 30 s"
        );
        match consumer.poll(Duration::from_millis(500)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(_))) => return urls,
            Some(Err(e)) => panic!("reading the coordination topic: {e}"),
            Some(Ok(m)) => {
                let v: serde_json::Value =
                    serde_json::from_slice(m.payload().expect("an announcement has a value"))
                        .expect("an announcement is JSON");
                urls.push(v["url"].as_str().expect("url").to_string());
            }
        }
    }
}

/// One subject per schema (records of different names are not compatible).
fn sticky(n: usize) -> String {
    format!("sticky-{n}")
}

fn schema(n: usize) -> Schema {
    Schema::avro(format!(
        r#"{{"type":"record","name":"R{n}","namespace":"t","fields":[{{"name":"a","type":"int"}}]}}"#
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_agree_and_survive_the_leader_dying() {
    let topic = rand_topic("schemas-ha");
    let group = format!("sr-{topic}");
    let instances: Vec<Instance> = (0..3).map(|_| serve(&topic, &group)).collect();
    let refs: Vec<&Instance> = instances.iter().collect();
    let first_leader = leader_of(&refs).await;
    for inst in &instances {
        let h = health(&inst.url).await;
        assert_eq!(
            h["leader_url"],
            serde_json::json!(instances[first_leader].url),
            "every instance knows the leader: {h}"
        );
    }

    // Records of different names share subjects here: no compatibility to judge. Set through a
    // follower, so the config write is forwarded too.
    client(&instances[(first_leader + 1) % 3].url)
        .set_compatibility(None, schemaflow::registry::CompatibilityLevel::None)
        .await
        .expect("global level via a follower");

    // Concurrent registrations through all three: the same 10 schemas under one subject each
    // from every instance, plus each instance's own subject.
    let mut tasks = Vec::new();
    for (i, inst) in instances.iter().enumerate() {
        let c = client(&inst.url);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..10 {
                let (id, _) = c
                    .register(&format!("shared-{n}"), &schema(n), false)
                    .await
                    .expect("shared register");
                ids.push((format!("shared-{n}"), n, id.0));
                let (id, _) = c
                    .register(&format!("own-{i}"), &schema(100 + 10 * i + n), false)
                    .await
                    .expect("own register");
                ids.push((format!("own-{i}"), 100 + 10 * i + n, id.0));
            }
            ids
        }));
    }
    let mut by_schema: BTreeMap<usize, BTreeSet<u32>> = BTreeMap::new();
    for t in tasks {
        for (_, n, id) in t.await.expect("task") {
            by_schema.entry(n).or_default().insert(id);
        }
    }
    for (n, ids) in &by_schema {
        assert_eq!(ids.len(), 1, "schema {n} got several ids: {ids:?}");
    }
    let all: Vec<u32> = by_schema.values().flatten().copied().collect();
    let unique: BTreeSet<u32> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "an id was given to two schemas");
    // Every instance serves the same versions, gap-free.
    for inst in &instances {
        let c = client(&inst.url);
        for i in 0..3 {
            let v = c
                .subject_versions(&format!("own-{i}"))
                .await
                .expect("versions");
            assert_eq!(v, (1..=10).collect::<Vec<i32>>(), "{}", inst.url);
        }
        for n in 0..10 {
            let v = c
                .subject_versions(&format!("shared-{n}"))
                .await
                .expect("versions");
            assert_eq!(v, vec![1], "{}", inst.url);
        }
    }

    // A burst through a follower while the leader is SIGKILLed.
    let follower = (first_leader + 1) % 3;
    let c = client(&instances[follower].url);
    let burst = tokio::spawn(async move {
        let mut acked = Vec::new();
        for n in 0..40 {
            let (id, _) = c
                .register("burst", &schema(1000 + n), false)
                .await
                .expect("burst register (retried through the fail-over)");
            acked.push((1000 + n, id.0));
        }
        acked
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut instances = instances;
    let dead = instances.remove(first_leader);
    let pid = dead.child.id().to_string();
    let _ = Command::new("kill").args(["-KILL", &pid]).status();
    drop(dead);
    let acked = burst.await.expect("burst");
    let refs: Vec<&Instance> = instances.iter().collect();
    let new_leader = leader_of(&refs).await;
    let survivors = &instances;
    assert!(new_leader < survivors.len());
    for inst in survivors {
        let c = client(&inst.url);
        let versions = c.subject_versions("burst").await.expect("burst versions");
        assert_eq!(
            versions.len(),
            acked.len(),
            "{}: every acknowledged version",
            inst.url
        );
        for (n, id) in &acked {
            let found = c
                .lookup("burst", &schema(*n), false)
                .await
                .expect("acknowledged schema present");
            assert_eq!(found.id.0, *id, "{}", inst.url);
        }
    }
    let mut ids: Vec<u32> = acked.iter().map(|(_, id)| *id).collect();
    ids.extend(unique.iter().copied());
    let set: BTreeSet<u32> = ids.iter().copied().collect();
    assert_eq!(
        set.len(),
        ids.len(),
        "no id reused across the change of leader"
    );
}

/// Issue 23, item 3: an instance that may not lead, started while a leader runs, learns the
/// leader from the announcement made before it started (not only from later ones): it is UP
/// knowing the leader, and forwards a write on the first try.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_only_instance_started_beside_the_leader_forwards_at_once() {
    let topic = rand_topic("schemas-follower-only");
    let group = format!("sr-{topic}");
    let leader = serve(&topic, &group);
    assert_eq!(leader_of(&[&leader]).await, 0);

    let follower = serve_with(&topic, &group, &["--leader-eligibility", "false"]);
    // UP (the URL printed) means it knows where to send writes: no waiting here.
    let h = health(&follower.url).await;
    assert_eq!(h["leader"], false, "{h}");
    assert_eq!(h["leader_url"], serde_json::json!(leader.url), "{h}");

    let once = client_without_retries(&follower.url);
    let (id, _) = once
        .register("follower-only", &schema(1), false)
        .await
        .expect("the first write to the follower-only instance is forwarded and succeeds");
    // The leader wrote it, and the follower serves it (read-your-writes there too).
    let on_leader = client(&leader.url)
        .lookup("follower-only", &schema(1), false)
        .await
        .expect("on the leader");
    assert_eq!(on_leader.id, id);
    let here = once
        .lookup("follower-only", &schema(1), false)
        .await
        .expect("on the follower");
    assert_eq!(here.id, id);
    let metrics = reqwest::get(format!("{}/metrics", follower.url))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics
            .lines()
            .any(|l| l == "schemaflow_registry_forwarded_writes_total 1"),
        "the write was forwarded: {metrics}"
    );
}

/// Issue 23, item 4: an eligible instance that joins does not take the lead from a living
/// leader (no election at all: one announcement on the coordination topic), ids keep working
/// through both, and when the leader dies the other takes over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_joining_instance_leaves_the_leader_leading_until_it_dies() {
    let topic = rand_topic("schemas-sticky");
    let group = format!("sr-{topic}");
    let first = serve(&topic, &group);
    assert_eq!(leader_of(&[&first]).await, 0);
    let (before, _) = client(&first.url)
        .register(&sticky(1), &schema(1), false)
        .await
        .expect("register on the leader");

    let second = serve(&topic, &group);
    // UP: it has joined the group, and the group's rebalance is over.
    let h = health(&second.url).await;
    assert_eq!(
        h["leader"], false,
        "the joining instance does not lead: {h}"
    );
    assert_eq!(h["leader_url"], serde_json::json!(first.url), "{h}");
    // A write through the new instance, forwarded, on the first try: the leader never
    // stopped leading. (With a new election the write would wait for its announcement.)
    let (joined, _) = client_without_retries(&second.url)
        .register(&sticky(2), &schema(2), false)
        .await
        .expect("forwarded to the leader on the first try");
    let h = health(&first.url).await;
    assert_eq!(h["leader"], true, "the first instance still leads: {h}");
    assert_eq!(
        announcements(&topic),
        vec![first.url.clone()],
        "one election, won by the first instance: the join moved nothing"
    );
    for url in [&first.url, &second.url] {
        let c = client(url);
        for (n, id) in [(1, before), (2, joined)] {
            let found = c
                .lookup(&sticky(n), &schema(n), false)
                .await
                .expect("registered");
            assert_eq!(found.id, id, "{url}");
        }
    }

    // The leader dies: the other takes over (within the group's session timeout).
    let pid = first.child.id().to_string();
    let _ = Command::new("kill").args(["-KILL", &pid]).status();
    drop(first);
    assert_eq!(leader_of(&[&second]).await, 0);
    let h = health(&second.url).await;
    assert_eq!(h["leader_url"], serde_json::json!(second.url), "{h}");
    let c = client(&second.url);
    let (after, _) = c
        .register(&sticky(3), &schema(3), false)
        .await
        .expect("register on the new leader");
    assert!(
        after != before && after != joined,
        "no id reused: {after:?}"
    );
    for (n, id) in [(1, before), (2, joined), (3, after)] {
        let found = c
            .lookup(&sticky(n), &schema(n), false)
            .await
            .expect("registered");
        assert_eq!(found.id, id);
    }
}
