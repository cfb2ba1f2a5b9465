//! The `schemaflow` binary as a user runs it, against the test broker and a registry URL.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::broker::broker;

/// `schemaflow ARGS --brokers <test broker> --registry REGISTRY`, `stdin` written and closed;
/// the environment's `KAFKA_BROKERS`/`SCHEMA_REGISTRY_*` do not leak in.
pub fn command(registry: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_schemaflow"));
    cmd.args(args)
        .args(["--brokers", &broker().bootstrap, "--registry", registry])
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .env_remove("SCHEMA_REGISTRY_AUTH")
        .env_remove("SCHEMA_REGISTRY_TOKEN");
    cmd
}

/// Run to the end, blocking.
pub fn run_blocking(registry: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = command(registry, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run schemaflow");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait for schemaflow")
}

/// Run to the end, off the async runtime's threads.
pub async fn run(registry: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let (r, a, s) = (
        registry.to_string(),
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        stdin.map(str::to_string),
    );
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run_blocking(&r, &a, s.as_deref())
    })
    .await
    .expect("the command's thread")
}

/// stdout of a run that must succeed (else a panic showing both streams).
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:{}\nstderr:{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stdout's JSON lines.
pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
