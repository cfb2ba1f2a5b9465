//! `schemaflow registry serve` as a real process: kill -9 during a burst of registrations;
//! after a restart on the same data folder, every acknowledged schema is there with the same
//! id and version, and new ids never reuse acknowledged ones. One registry per data folder: a
//! second one is refused while the first runs, and the folder is free again once it is killed
//! (or, in-process, stopped).
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

/// Start `registry serve` on `dir`: `Ok((child, url))` when it serves, else `Err((exit code,
/// stderr))` once it has ended (it never printed its URL, so it is not serving).
fn try_serve(dir: &std::path::Path) -> Result<(Child, String), (Option<i32>, String)> {
    match super::log_recovery::start(dir) {
        super::log_recovery::Started::Serving { child, url } => Ok((child, url)),
        super::log_recovery::Started::Refused { status, stderr } => Err((status.code(), stderr)),
    }
}

/// Two registries on one folder each gave id 1 to a different schema, and after a restart
/// `x-value` version 1 had changed type (issue 23). The second is refused; the first serves on;
/// killed (no clean-up), it leaves no stale lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_registry_on_one_data_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, url) = try_serve(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let client = RegistryClient::new(ClientConfig::new(&url)).unwrap();
    let string = Schema::avro(r#""string""#);
    let (id, _) = client.register("x-value", &string, false).await.unwrap();

    let (code, stderr) = match try_serve(dir.path()) {
        Err(refused) => refused,
        Ok((mut second, second_url)) => {
            second.kill().unwrap();
            second.wait().unwrap();
            panic!("a second registry serves {second_url} on the folder {url} uses");
        }
    };
    assert_eq!(code, Some(3), "{stderr}");
    // `registry serve` logs (its start-up configuration, at info, each line starting with its
    // timestamp); what failed is one line of its own.
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    for part in [
        dir.path().display().to_string(),
        "in use by another registry".to_string(),
        format!("pid {}", first.id()),
        url.clone(),
    ] {
        assert!(lines[0].contains(&part), "{part:?} missing from {stderr}");
    }

    // The first serves on, alone: its next id follows its own.
    let (next, _) = client
        .register("y-value", &Schema::avro(r#""int""#), false)
        .await
        .unwrap();
    assert!(next.0 > id.0);

    first.kill().unwrap(); // SIGKILL: nothing unlocks but the OS
    first.wait().unwrap();
    let (mut third, url) = try_serve(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let client = RegistryClient::new(ClientConfig::new(&url)).unwrap();
    let v1 = client.version("x-value", Version::Number(1)).await.unwrap();
    assert_eq!((v1.id, v1.schema), (id, string));
    third.kill().unwrap();
    third.wait().unwrap();
}

/// The library's embedded registry takes the same lock, and `stop` releases it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_registry_locks_its_data_folder_until_it_stops() {
    use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, LogError, ServerConfig};
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        ServerConfig::default()
            .listen("127.0.0.1:0".parse().unwrap())
            .data_dir(dir.path().to_path_buf())
    };
    let start = || EmbeddedRegistry::start(config(), Arc::new(CompatibilityEngine));
    let first = start().await.unwrap();
    let err = start().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ResourceBusy, "{err}");
    assert!(
        matches!(
            err.get_ref().and_then(|e| e.downcast_ref::<LogError>()),
            Some(LogError::Locked { holder, .. }) if holder.contains(first.url())
        ),
        "{err:?}"
    );
    // A process holding the folder is refused too (the lock is the OS's, not this process's).
    let (code, stderr) = match try_serve(dir.path()) {
        Err(refused) => refused,
        Ok((mut child, url)) => {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("a registry process serves {url} on a folder in use");
        }
    };
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains(first.url()), "{stderr}");
    first.stop().await.unwrap();
    start().await.unwrap().stop().await.unwrap();
}
