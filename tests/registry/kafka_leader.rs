//! Several `schemaflow registry serve` processes on one Kafka topic (real broker, real HTTP):
//! one leader assigns ids, followers forward writes; concurrent registrations through all of
//! them agree (one id per schema, unique ids, gap-free versions); the leader killed with
//! SIGKILL in a burst of registrations: another takes over, nothing acknowledged is lost, no
//! id is reused. A `--leader-eligibility false` instance started beside a running leader
//! knows it and forwards at once; an eligible instance that joins leaves the leader leading
//! (no new election), and takes over when the leader dies. Fencing: a leader paused with
//! SIGSTOP, resumed after another took over, has its late write forwarded or refused, never
//! written as its own; and a leader whose producer epoch was bumped under it (what a paused
//! leader wakes up to) has its write refused, leaving nothing in the log.

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
    const BURST: usize = 40;
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&progress);
    let burst = tokio::spawn(async move {
        let mut acked = Vec::new();
        for n in 0..BURST {
            let (id, _) = c
                .register("burst", &schema(1000 + n), false)
                .await
                .expect("burst register (retried through the fail-over)");
            acked.push((1000 + n, id.0));
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        acked
    });
    // Kill the leader once the burst is under way (a few acknowledged), not after a guessed
    // delay; and check it was still under way, or the fail-over met no write in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    while progress.load(std::sync::atomic::Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "the burst started within 30 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut instances = instances;
    let dead = instances.remove(first_leader);
    let dead_url = dead.url.clone();
    let pid = dead.child.id().to_string();
    let _ = Command::new("kill").args(["-KILL", &pid]).status();
    let at_kill = progress.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        at_kill < BURST,
        "the leader died with the burst in flight ({at_kill} of {BURST} acknowledged)"
    );
    drop(dead);
    let acked = burst.await.expect("burst");
    let refs: Vec<&Instance> = instances.iter().collect();
    let new_leader = leader_of(&refs).await;
    let survivors = &instances;
    // Every survivor names the same new leader, and it is not the dead one.
    for inst in survivors {
        let h = health(&inst.url).await;
        assert_eq!(
            h["leader_url"],
            serde_json::json!(survivors[new_leader].url),
            "{}: {h}",
            inst.url
        );
    }
    assert_ne!(survivors[new_leader].url, dead_url);
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

/// `schemaflow_registry_forwarded_writes_total` of an instance.
async fn forwarded_writes(url: &str) -> u64 {
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("schemaflow_registry_forwarded_writes_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Fencing: a leader paused with SIGSTOP loses its session, another instance takes over
/// (`init_transactions` under the shared transactional id fences the paused producer), and
/// the paused one, resumed, is sent a write at once — before it may have noticed. That write
/// must not land as its own: either it is refused (and nothing of it is in the log), or it
/// was forwarded to the new leader (its forwarded-writes counter says so) and every instance
/// agrees on its id. Either way no id serves two schemas, and the old leader follows the new
/// one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_old_leader_cannot_write_after_a_new_leader_took_over() {
    let topic = rand_topic("schemas-fence");
    let group = format!("sr-{topic}");
    let old = serve(&topic, &group);
    assert_eq!(leader_of(&[&old]).await, 0);
    let new = serve(&topic, &group);
    let h = health(&new.url).await;
    assert_eq!(h["leader_url"], serde_json::json!(old.url), "{h}");
    let on_old = client(&old.url);
    on_old
        .set_compatibility(None, schemaflow::registry::CompatibilityLevel::None)
        .await
        .expect("level");
    let (first, _) = on_old
        .register("fence-1", &schema(1), false)
        .await
        .expect("register on the old leader");

    let pid = old.child.id().to_string();
    let stopped = Command::new("kill").args(["-STOP", &pid]).status();
    assert!(stopped.is_ok_and(|s| s.success()), "SIGSTOP the leader");
    // The survivor wins once the paused one's session (6 s) has expired.
    let deadline = Instant::now() + Duration::from_secs(60);
    while health(&new.url).await["leader"] != true {
        assert!(Instant::now() < deadline, "no new leader within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let on_new = client(&new.url);
    let (second, _) = on_new
        .register("fence-2", &schema(2), false)
        .await
        .expect("register on the new leader");

    let forwarded_before = {
        let resumed = Command::new("kill").args(["-CONT", &pid]).status();
        assert!(resumed.is_ok_and(|s| s.success()), "SIGCONT the old leader");
        // Sent at once: the resumed instance may still believe it leads.
        let late = client_without_retries(&old.url)
            .register("fence-3", &schema(3), false)
            .await;
        (late, forwarded_writes(&old.url).await)
    };
    match forwarded_before {
        (Ok((late_id, _)), forwarded) => {
            // Which way the race went, for whoever reads the output.
            eprintln!("the late write was forwarded to the new leader");
            assert_eq!(
                forwarded, 1,
                "a late write that succeeded was the new leader's"
            );
            let found = on_new
                .lookup("fence-3", &schema(3), false)
                .await
                .expect("the forwarded write is in the log");
            assert_eq!(found.id, late_id);
            assert!(late_id != first && late_id != second, "no id reused");
        }
        (Err(e), _) => {
            eprintln!("the late write was refused: {e}");
            // A write through the new leader first: its reader then holds everything in the
            // log before it, a late write of the old leader included, had one landed.
            on_new
                .register("fence-4", &schema(4), false)
                .await
                .expect("register on the new leader");
            let absent = on_new.subject_versions("fence-3").await;
            assert!(
                absent.is_err(),
                "a refused late write left nothing ({e}): {absent:?}"
            );
        }
    }
    // The old instance follows the new leader and reads what it wrote.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let h = health(&old.url).await;
        if h["leader"] == false && h["leader_url"] == serde_json::json!(new.url) {
            break;
        }
        assert!(Instant::now() < deadline, "the old leader follows: {h}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found = client(&old.url)
        .lookup("fence-2", &schema(2), false)
        .await
        .expect("the new leader's write, read by the old one");
    assert_eq!(found.id, second);
    assert_ne!(first, second);
}

/// Fencing, deterministically: what a paused leader wakes up to is a producer epoch bumped
/// under its transactional id (`schemaflow-registry-{group}-{topic}`, shared by the group)
/// by the leader elected meanwhile. Here the test bumps it itself (`init_transactions`, as a
/// new leader's election does) while the instance still holds the coordination partition and
/// believes it leads: its next write must be refused and leave nothing a `read_committed`
/// reader (ours, Confluent's) sees; the instance steps down, wins again (fencing the test's
/// producer in turn), and later writes go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fenced_leader_write_is_refused_and_leaves_nothing() {
    use rdkafka::config::ClientConfig as KafkaConfig;
    use rdkafka::producer::{BaseProducer, Producer};

    let topic = rand_topic("schemas-fenced");
    let group = format!("sr-{topic}");
    let leader = serve(&topic, &group);
    assert_eq!(leader_of(&[&leader]).await, 0);
    let c = client_without_retries(&leader.url);
    let (before, _) = c
        .register("fenced-1", &schema(1), false)
        .await
        .expect("register on the leader");

    let usurper: BaseProducer = KafkaConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set(
            "transactional.id",
            format!("schemaflow-registry-{group}-{topic}"),
        )
        .create()
        .expect("producer");
    usurper
        .init_transactions(Duration::from_secs(30))
        .expect("bump the epoch: the instance's producer is fenced");

    let late = c.register("fenced-2", &schema(2), false).await;
    assert!(
        late.is_err(),
        "a fenced leader's write is refused: {late:?}"
    );

    // The instance wins again (it still holds the partition) and writes; by then its reader
    // holds the whole log, so the refused write would show had any of it landed.
    let deadline = Instant::now() + Duration::from_secs(60);
    let after = loop {
        match c.register("fenced-3", &schema(3), false).await {
            Ok((id, _)) => break id,
            Err(e) => {
                assert!(Instant::now() < deadline, "the instance writes again: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_ne!(before, after);
    let refused = c.subject_versions("fenced-2").await;
    assert!(
        refused.is_err(),
        "the refused write left nothing: {refused:?}"
    );
    let found = c
        .lookup("fenced-1", &schema(1), false)
        .await
        .expect("the write before the fencing stays");
    assert_eq!(found.id, before);
}
