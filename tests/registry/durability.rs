//! `schemaflow registry serve` as a real process: kill -9 during a burst of registrations;
//! after a restart on the same data folder, every acknowledged schema is there with the same
//! id and version, and new ids never reuse acknowledged ones.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use schemaflow::registry::{ClientConfig, RegistryClient, Schema, Version};
use schemaflow::wire::SchemaId;
use tokio::sync::Notify;

fn serve(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["registry", "serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start schemaflow registry serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("http://127.0.0.1:"),
        "first line is the URL: {line:?}"
    );
    (child, line.trim().to_string())
}

fn schema(i: usize) -> Schema {
    Schema::avro(format!(
        r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":"int"}}]}}"#
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_loses_no_acknowledged_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve(dir.path());
    let mut cc = ClientConfig::new(&url);
    cc.max_retries = 0;
    cc.request_timeout = Duration::from_secs(5);
    let client = RegistryClient::new(cc).unwrap();
    let acked: Arc<Mutex<Vec<(usize, SchemaId)>>> = Arc::new(Mutex::new(Vec::new()));
    let busy = Arc::new(Notify::new());

    // 4 writers registering as fast as they can; the registry is killed mid-burst, once it
    // has acknowledged KILL_AFTER registrations.
    const KILL_AFTER: usize = 200;
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (client, acked, busy) = (client.clone(), acked.clone(), busy.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..10_000 {
                let i = n * 4 + w;
                match client.register(&format!("s{i}"), &schema(i), false).await {
                    Ok((id, _)) => {
                        let mut acked = acked.lock().unwrap();
                        acked.push((i, id));
                        if acked.len() == KILL_AFTER {
                            busy.notify_one();
                        }
                    }
                    Err(_) => break, // the registry is gone
                }
            }
        }));
    }
    tokio::time::timeout(Duration::from_secs(60), busy.notified())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "only {} registrations acknowledged within 60 s",
                acked.lock().unwrap().len()
            )
        });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);

    let (mut child, url) = serve(dir.path());
    let client = RegistryClient::new(ClientConfig::new(&url)).unwrap();
    for (i, id) in &acked {
        let v = client
            .version(&format!("s{i}"), Version::Number(1))
            .await
            .unwrap();
        assert_eq!(v.id, *id, "subject s{i}");
        assert_eq!(client.schema_by_id(*id).await.unwrap().schema, schema(*i));
    }
    // Ids keep increasing past every acknowledged one.
    let max = acked.iter().map(|(_, id)| id.0).max().unwrap();
    let (fresh, _) = client
        .register("after-restart", &schema(999_999), false)
        .await
        .unwrap();
    assert!(fresh.0 > max, "new id {} reuses or precedes {max}", fresh.0);
    child.kill().unwrap();
    child.wait().unwrap();
}
