//! Several `schemaflow registry serve` processes on one Kafka topic (real broker, real HTTP):
//! one leader assigns ids, followers forward writes; concurrent registrations through all of
//! them agree (one id per schema, unique ids, gap-free versions); the leader killed with
//! SIGKILL in a burst of registrations: another takes over, nothing acknowledged is lost, no
//! id is reused.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args([
            "registry",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--kafkastore-bootstrap-servers",
            &broker().bootstrap,
            "--kafkastore-topic",
            topic,
            "--group-id",
            group,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("registry serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reads the URL");
    assert!(
        line.starts_with("http://"),
        "first line is the URL: {line:?}"
    );
    Instance {
        child,
        url: line.trim().to_string(),
    }
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
