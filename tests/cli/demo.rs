//! `schemaflow demo` as a newcomer runs it: the built binary, nothing else running.
use std::process::Command;

#[test]
fn demo_runs_the_whole_pipeline_on_the_embedded_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["demo", "--count", "3000"])
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .output()
        .expect("run schemaflow demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    for expected in [
        "(in-process mock cluster)",
        "(embedded)",
        "produced 3000 Avro events to user-events",
        "3000 Protobuf events to user-events-proto",
        "3000 JSON Schema events to user-events-json",
        "and 3000 JSON Schema (",
        "consumed while producing, at most 20000 records ahead",
        "with at-least-once commits: 3000 Avro",
        "3000 Protobuf (",
        "   joined my-group in ",
        "compatible = true",
        "a v1 consumer read the v2 record: user_id=evolved-user",
        "a breaking change (user_id: string → long) was refused",
        "3 poison records went to user-events.dlq",
        "events        3000 Avro + 3000 Protobuf produced and consumed",
        "dead letters  3",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

/// More events than librdkafka's mock cluster keeps (about 5 MiB per partition, ~555,000 of
/// these per 3-partition topic): produced first, the oldest were dropped before they were read
/// and the demo timed out after 300 s. Consumed while produced, all arrive.
#[test]
fn demo_past_the_in_process_brokers_retention_loses_nothing() {
    let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["demo", "--count", "600000"])
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .output()
        .expect("run schemaflow demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    for expected in [
        "with at-least-once commits: 600000 Avro",
        "600000 Protobuf (",
        "events        600000 Avro + 600000 Protobuf produced and consumed",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn errors_are_one_line_with_exit_codes() {
    // Usage error: exit 2.
    let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args(["schemas", "get", "--id", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Registry unreachable: exit 3, one line naming the cause.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .args([
            "schemas",
            "list",
            "--registry",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("registry unreachable") && err.contains("is the registry running?"),
        "{err}"
    );
    // --version.
    let out = Command::new(env!("CARGO_BIN_EXE_schemaflow"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("schemaflow "));
}
