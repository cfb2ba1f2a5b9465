//! `schemaflow registry serve` as a real process, started on a `registry.log` that was damaged
//! between runs: a line it cannot read in the middle, or an event kind from a newer version,
//! stops start-up with the file and line named and the file left byte for byte as it was; a
//! torn last line (no newline: never acknowledged), parsable or not, is dropped, and everything
//! acknowledged before it and after it survives the next restarts.
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::Duration;

use crate::common::serve::Serve;
use schemaflow::registry::{ClientConfig, RegistryClient, Schema, Version};
use schemaflow::wire::SchemaId;

/// How `registry serve` on a folder started (also used by `durability`).
pub(crate) use crate::common::serve::Started;

/// `registry serve --data-dir DIR`: serving, or why it would not start.
pub(crate) fn start(dir: &Path) -> Started {
    Serve::new()
        .arg("--data-dir")
        .arg(dir)
        .keep_stderr()
        .start()
}

fn serve(dir: &Path) -> (Child, String) {
    match start(dir) {
        Started::Serving { child, url } => (child, url),
        Started::Refused { status, stderr } => panic!("refused to start ({status}): {stderr}"),
    }
}

fn refused(dir: &Path) -> (ExitStatus, String) {
    match start(dir) {
        Started::Refused { status, stderr } => (status, stderr),
        Started::Serving { mut child, url } => {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("started on a damaged log and serves {url}");
        }
    }
}

fn stop(mut child: Child) {
    child.kill().unwrap(); // SIGKILL: every acknowledged write is already fsynced
    child.wait().unwrap();
}

fn client(url: &str) -> RegistryClient {
    let mut cc = ClientConfig::new(url);
    cc.request_timeout = Duration::from_secs(5);
    RegistryClient::new(cc).unwrap()
}

fn schema(i: usize) -> Schema {
    Schema::avro(format!(
        r#"{{"type":"record","name":"R{i}","fields":[{{"name":"f","type":"int"}}]}}"#
    ))
}

/// A data folder holding `n` acknowledged registrations (subjects `s0..`), and their ids.
async fn registered(n: usize) -> (tempfile::TempDir, PathBuf, Vec<SchemaId>) {
    let dir = tempfile::tempdir().unwrap();
    let (child, url) = serve(dir.path());
    let c = client(&url);
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            c.register(&format!("s{i}"), &schema(i), false)
                .await
                .unwrap()
                .0,
        );
    }
    stop(child);
    let log = dir.path().join("registry.log");
    (dir, log, ids)
}

/// Every registration in `ids` (subject `s{i}`) is served with its id, version and text.
async fn assert_all_served(c: &RegistryClient, ids: &[SchemaId]) {
    for (i, id) in ids.iter().enumerate() {
        let v = c
            .version(&format!("s{i}"), Version::Number(1))
            .await
            .unwrap_or_else(|e| panic!("subject s{i}: {e}"));
        assert_eq!(v.id, *id, "subject s{i}");
        assert_eq!(v.version, 1, "subject s{i}");
        assert_eq!(c.schema_by_id(*id).await.unwrap().schema, schema(i));
    }
}

/// `bytes` with `extra` inserted as a line after its `after`-th line.
fn insert_line(bytes: &[u8], after: usize, extra: &[u8]) -> Vec<u8> {
    let at = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(after - 1)
        .map(|(i, _)| i + 1)
        .expect("enough lines");
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(extra);
    out.push(b'\n');
    out.extend_from_slice(&bytes[at..]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_middle_line_refuses_start_and_leaves_the_file_unchanged() {
    let (dir, log, ids) = registered(3).await;
    let good = std::fs::read(&log).unwrap();
    // Each registration is two lines (schema, version): line 3 sits between s0 and s1.
    let damaged = insert_line(&good, 2, br#"{"event":"version","subject":"s9","vers"#);
    std::fs::write(&log, &damaged).unwrap();

    let (status, stderr) = refused(dir.path());
    assert!(!status.success(), "exit {status}");
    assert!(stderr.contains(&log.display().to_string()), "{stderr}");
    assert!(stderr.contains("line 3 cannot be read"), "{stderr}");
    assert!(stderr.contains("backup"), "{stderr}");
    assert!(stderr.contains("remove it by hand"), "{stderr}");
    assert_eq!(
        std::fs::read(&log).unwrap(),
        damaged,
        "the file was changed"
    );

    // Doing what the message says (remove the line) brings every registration back.
    std::fs::write(&log, &good).unwrap();
    let (child, url) = serve(dir.path());
    assert_all_served(&client(&url), &ids).await;
    stop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_kind_from_a_newer_version_refuses_start_and_leaves_the_file_unchanged() {
    let (dir, log, _ids) = registered(2).await;
    let good = std::fs::read(&log).unwrap();
    let from_the_future = insert_line(
        &good,
        2,
        br#"{"event":"subject_alias","subject":"s0","alias":"a0"}"#,
    );
    std::fs::write(&log, &from_the_future).unwrap();

    let (status, stderr) = refused(dir.path());
    assert!(!status.success(), "exit {status}");
    assert!(stderr.contains(&log.display().to_string()), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("\"subject_alias\" event"), "{stderr}");
    assert!(
        stderr.contains("written by a newer schemaflow?"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), from_the_future);
}

/// A crash left `tail` (no newline) at the end of the log: it is dropped, and nothing
/// acknowledged is lost across this start, a new registration and another restart.
async fn torn_tail_is_dropped_and_later_writes_survive(tail: &[u8]) {
    let (dir, log, mut ids) = registered(3).await;
    let good = std::fs::read(&log).unwrap();
    let mut torn = good.clone();
    torn.extend_from_slice(tail);
    std::fs::write(&log, &torn).unwrap();

    let (child, url) = serve(dir.path());
    let c = client(&url);
    assert_all_served(&c, &ids).await;
    assert!(
        c.version("torn", Version::Number(1)).await.is_err(),
        "the unacknowledged line was applied"
    );
    assert_eq!(
        std::fs::read(&log).unwrap(),
        good,
        "the torn line is cut off"
    );
    ids.push(c.register("s3", &schema(3), false).await.unwrap().0);
    stop(child);

    let bytes = std::fs::read(&log).unwrap();
    assert!(bytes.starts_with(&good) && bytes.ends_with(b"\n"));
    assert!(!bytes.contains(&0), "NUL padding in the log");

    let (child, url) = serve(dir.path());
    let c = client(&url);
    assert_all_served(&c, &ids).await;
    let (fresh, _) = c.register("s4", &schema(4), false).await.unwrap();
    let max = ids.iter().map(|id| id.0).max().unwrap();
    assert!(fresh.0 > max, "new id {} reuses or precedes {max}", fresh.0);
    ids.push(fresh);
    stop(child);

    let (child, url) = serve(dir.path());
    assert_all_served(&client(&url), &ids).await;
    stop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_line_that_parses_is_dropped_and_later_writes_survive_restarts() {
    // A complete event whose newline never reached the disk: never acknowledged.
    torn_tail_is_dropped_and_later_writes_survive(
        br#"{"event":"version","subject":"torn","version":1,"id":1}"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_line_that_does_not_parse_is_dropped_and_later_writes_survive_restarts() {
    torn_tail_is_dropped_and_later_writes_survive(br#"{"event":"version","subject":"torn","ver"#)
        .await;
}
