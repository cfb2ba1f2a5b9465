//! Cost of a compatibility check: a 200-field Avro record and a 100-message `.proto` file,
//! each against a slightly evolved version, FULL mode (both directions).
//!
//! * `check` — what `schemaflow check` and the registry pay per request: parse both schemas
//!   and compare;
//! * `diff` — the comparison alone, on schemas parsed beforehand;
//! * `check/protobuf_shared_chain_40` — an imported chain of 41 messages each naming the next
//!   twice (2^40 paths), changed at its end: each pair of definitions is compared once, so
//!   this costs about what 41 messages cost (tests/compat/protobuf.rs counts the comparisons;
//!   the time is measured here, not asserted in a test).
//!
//! Run: `cargo bench --bench compat`. Results go to BENCHMARKS.md by hand from the output.
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use schemaflow::compat::{
    check, differences, CompatibilityLevel, Direction, ParsedSchema, SchemaInput,
};
use schemaflow::SchemaType;

fn avro_record(fields: usize, evolved: bool) -> String {
    let types = [
        r#""string""#,
        r#""int""#,
        r#""long""#,
        r#"["null","string"]"#,
        r#"{"type":"array","items":"double"}"#,
    ];
    let mut out = Vec::new();
    for i in 0..fields {
        let mut ty = types[i % types.len()].to_string();
        if evolved && i % 5 == 1 {
            ty = r#""long""#.into(); // int → long promotion
        }
        let default = if i % 5 == 3 { r#","default":null"# } else { "" };
        out.push(format!(r#"{{"name":"f{i}","type":{ty}{default}}}"#));
    }
    if evolved {
        out.push(r#"{"name":"added","type":["null","string"],"default":null}"#.into());
    }
    format!(
        r#"{{"type":"record","name":"Big","namespace":"bench","fields":[{}]}}"#,
        out.join(",")
    )
}

fn proto_file(messages: usize, evolved: bool) -> String {
    let mut s = String::from(
        "syntax = \"proto3\";\npackage bench.v1;\nimport \"google/protobuf/timestamp.proto\";\n",
    );
    for m in 0..messages {
        s.push_str(&format!("message M{m} {{\n  string id = 1;\n  int32 count = 2;\n  repeated string tags = 3;\n  google.protobuf.Timestamp at = 4;\n"));
        if m > 0 {
            s.push_str(&format!("  M{} parent = 5;\n", m - 1));
        }
        if evolved {
            s.push_str("  int64 extra = 6;\n");
        }
        s.push_str("}\n");
    }
    s
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "avro_200_fields",
            SchemaType::Avro,
            avro_record(200, false),
            avro_record(200, true),
        ),
        (
            "protobuf_100_messages",
            SchemaType::Protobuf,
            proto_file(100, false),
            proto_file(100, true),
        ),
    ];
    for (name, t, prev, cand) in cases {
        let prev = SchemaInput::new(t, prev, "previous");
        let cand = SchemaInput::new(t, cand, "candidate");
        // The evolution is compatible backward (and a real check, not a parse failure).
        let report = check(
            CompatibilityLevel::Backward,
            std::slice::from_ref(&prev),
            &cand,
        )
        .expect("parses");
        assert!(report.compatible, "{:?}", report.messages());
        c.bench_function(&format!("compat/check/{name}"), |b| {
            b.iter(|| {
                check(
                    CompatibilityLevel::Full,
                    std::slice::from_ref(black_box(&prev)),
                    black_box(&cand),
                )
            })
        });
        let (p, q) = (
            ParsedSchema::parse(&prev).expect("parses"),
            ParsedSchema::parse(&cand).expect("parses"),
        );
        c.bench_function(&format!("compat/diff/{name}"), |b| {
            b.iter(|| {
                let mut n = differences(Direction::Backward, black_box(&p), black_box(&q)).len();
                n += differences(Direction::Forward, black_box(&p), black_box(&q)).len();
                n
            })
        });
    }
}

/// lib.proto's chain N0 → … → N<depth>, each naming the next twice, the last holding one
/// field of `leaf_type`, imported by a main file whose message names N0.
fn shared_chain(depth: usize, leaf_type: &str, label: &str) -> SchemaInput {
    let mut lib = String::from("syntax = \"proto3\"; package lib;\n");
    for i in 0..depth {
        lib.push_str(&format!(
            "message N{i} {{ N{n} a = 1; N{n} b = 2; }}\n",
            n = i + 1
        ));
    }
    lib.push_str(&format!("message N{depth} {{ {leaf_type} v = 1; }}\n"));
    let main =
        "syntax = \"proto3\"; package app; import \"lib.proto\"; message M { lib.N0 n = 1; }";
    SchemaInput::new(SchemaType::Protobuf, main, label)
        .with_references(vec![("lib.proto".to_string(), lib)])
}

fn bench_shared_chain(c: &mut Criterion) {
    let prev = shared_chain(40, "int32", "previous");
    let cand = shared_chain(40, "string", "candidate");
    // The change at the chain's end is found (a real comparison, not a short cut).
    let report = check(
        CompatibilityLevel::Backward,
        std::slice::from_ref(&prev),
        &cand,
    )
    .expect("parses");
    assert!(!report.compatible);
    c.bench_function("compat/check/protobuf_shared_chain_40", |b| {
        b.iter(|| {
            check(
                CompatibilityLevel::Backward,
                std::slice::from_ref(black_box(&prev)),
                black_box(&cand),
            )
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench, bench_shared_chain
}
criterion_main!(benches);
