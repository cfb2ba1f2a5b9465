//! The peers of the pipeline benchmark, each in a process of its own on the same broker, topic,
//! records and registry: Confluent's Python client with its Avro serdes (`scripts/pipeline_peer.py`
//! in the pinned venv of `scripts/python-env`), and Java kafka-clients with Apache Avro (the
//! `pipeline-bench` command of the Java peer, `scripts/java-peer`). Both take
//! `produce|consume BROKERS REGISTRY N ROUNDS TOPICS` and print one JSON line with the records/s
//! of each round (the first is the warm-up) and their peak RSS, as the Rust children do.

use std::path::Path;
use std::process::Command;

/// Which peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Python,
    Java,
}

/// The last stdout line of a setup script (`scripts/python-env`, `scripts/java-peer`), or why
/// it failed.
fn script_output(root: &Path, script: &str) -> Result<String, String> {
    let out = Command::new(root.join(script))
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("{script}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{script} exited with {}", out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .map(|l| l.trim().to_string())
        .ok_or_else(|| format!("{script} printed nothing"))
}

/// The command that runs `peer`'s `verb` (`produce` or `consume`), its arguments still to add.
pub fn command(root: &Path, peer: Peer, verb: &str) -> Result<Command, String> {
    match peer {
        Peer::Python => {
            let venv = script_output(root, "scripts/python-env")?;
            let mut c = Command::new(Path::new(&venv).join("bin/python"));
            c.arg(root.join("scripts/pipeline_peer.py")).arg(verb);
            Ok(c)
        }
        Peer::Java => {
            let jar = script_output(root, "scripts/java-peer")?;
            let mut c = Command::new("java");
            c.arg("-jar").arg(jar).arg("pipeline-bench").arg(verb);
            Ok(c)
        }
    }
}
