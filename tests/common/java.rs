//! The Java interop peer (`tests/java/`: Apache Avro, protobuf-java and kafka-clients from
//! Maven Central), built once and cached by `scripts/java-peer`, run as `java -jar peer.jar`.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The peer's jar: what `scripts/java-peer` prints (it builds the jar on first use).
pub fn peer_jar() -> &'static Path {
    static JAR: OnceLock<PathBuf> = OnceLock::new();
    JAR.get_or_init(|| {
        let t = Instant::now();
        let out = Command::new(root().join("scripts/java-peer"))
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run scripts/java-peer: {e}"));
        assert!(
            out.status.success(),
            "scripts/java-peer failed ({}): the Java interop tests need Java 17+ and Maven 3.8+ \
             with Maven Central reachable (or ~/.m2 warm); see its stderr above",
            out.status
        );
        let jar = PathBuf::from(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .last()
                .expect("scripts/java-peer printed no path")
                .trim(),
        );
        assert!(
            jar.is_file(),
            "scripts/java-peer printed {jar:?}, not a file"
        );
        eprintln!("java peer: {} ({:.1?})", jar.display(), t.elapsed());
        jar
    })
}

/// Run `java -jar peer.jar ARGS` with `stdin`, asserting success; its stdout lines.
pub fn java(args: &[&str], stdin: &str) -> Vec<String> {
    let jar = peer_jar();
    let t = Instant::now();
    let mut child = Command::new("java")
        .arg("-Xshare:auto")
        .arg("-XX:TieredStopAtLevel=1")
        .arg("-jar")
        .arg(jar)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start `java` (Java 17+ is needed for these tests): {e}")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "java peer {args:?} failed ({}):\n{stderr}",
        out.status
    );
    eprintln!("java peer {} took {:.1?}", args[0], t.elapsed());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}
