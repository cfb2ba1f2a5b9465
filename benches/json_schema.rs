//! JSON Schema codec speed (issue 26): serialize+validate and deserialize+validate of the
//! 6-field and 50-field records (the JSON twins of the Avro `bench_small`/`bench_wide`
//! values), beside serde_json alone (the floor: the same value to/from the same bytes, no
//! frame, no schema) and with validation off (what the frame and Python's text form cost).
//!
//! Groups `json_schema_small` and `json_schema_wide`, each with
//! `serde_json/encode`, `schemaflow/encode` (validated), `schemaflow/encode_unvalidated`,
//! `serde_json/decode`, `schemaflow/decode` (validated), `schemaflow/decode_unvalidated`.
//! After the Rust timings, when `JSON_SCHEMA_BENCH_PYTHON` names a Python with Confluent's
//! serdes (`"$(scripts/python-env | tail -1)/bin/python"`), it times Confluent's Python
//! `JSONSerializer`/`JSONDeserializer` on the same values and frames (scripts/peer_bench.py
//! `--json-schema`, warm caches, `mock://` registry) and checks its frames equal ours:
//!
//! ```text
//! JSON_SCHEMA_BENCH_PYTHON="$(scripts/python-env | tail -1)/bin/python" \
//!     cargo bench --bench json_schema
//! ```

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use schemaflow::codec::json_schema::{self, JsonSchemaCodec, JsonWriterSchema};
use schemaflow::codec::WriterSchema;
use schemaflow::wire::SchemaId;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

const SMALL_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"BenchSmall","type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},"score":{"type":"number"},"active":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},"counts":{"type":"object","additionalProperties":{"type":"integer"}}},"required":["id","name","score","active","tags","counts"],"additionalProperties":false}"#;

const WIDE_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"BenchWide","type":"object","properties":{"l0":{"type":"integer"},"d0":{"type":"number"},"s0":{"type":"string"},"b0":{"type":"boolean"},"i0":{"type":"integer"},"l1":{"type":"integer"},"d1":{"type":"number"},"s1":{"type":"string"},"b1":{"type":"boolean"},"i1":{"type":"integer"},"l2":{"type":"integer"},"d2":{"type":"number"},"s2":{"type":"string"},"b2":{"type":"boolean"},"i2":{"type":"integer"},"l3":{"type":"integer"},"d3":{"type":"number"},"s3":{"type":"string"},"b3":{"type":"boolean"},"i3":{"type":"integer"},"l4":{"type":"integer"},"d4":{"type":"number"},"s4":{"type":"string"},"b4":{"type":"boolean"},"i4":{"type":"integer"},"l5":{"type":"integer"},"d5":{"type":"number"},"s5":{"type":"string"},"b5":{"type":"boolean"},"i5":{"type":"integer"},"l6":{"type":"integer"},"d6":{"type":"number"},"s6":{"type":"string"},"b6":{"type":"boolean"},"i6":{"type":"integer"},"l7":{"type":"integer"},"d7":{"type":"number"},"s7":{"type":"string"},"b7":{"type":"boolean"},"i7":{"type":"integer"},"l8":{"type":"integer"},"d8":{"type":"number"},"s8":{"type":"string"},"b8":{"type":"boolean"},"i8":{"type":"integer"},"l9":{"type":"integer"},"d9":{"type":"number"},"s9":{"type":"string"},"b9":{"type":"boolean"},"i9":{"type":"integer"}},"required":["l0","d0","s0","b0","i0","l1","d1","s1","b1","i1","l2","d2","s2","b2","i2","l3","d3","s3","b3","i3","l4","d4","s4","b4","i4","l5","d5","s5","b5","i5","l6","d6","s6","b6","i6","l7","d7","s7","b7","i7","l8","d8","s8","b8","i8","l9","d9","s9","b9","i9"],"additionalProperties":false}"#;

/// 6 fields, as the Avro `bench_small`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BenchSmall {
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    counts: BTreeMap<String, i64>,
}

/// 50 fields, as the Avro `bench_wide`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BenchWide {
    l0: i64,
    d0: f64,
    s0: String,
    b0: bool,
    i0: i32,
    l1: i64,
    d1: f64,
    s1: String,
    b1: bool,
    i1: i32,
    l2: i64,
    d2: f64,
    s2: String,
    b2: bool,
    i2: i32,
    l3: i64,
    d3: f64,
    s3: String,
    b3: bool,
    i3: i32,
    l4: i64,
    d4: f64,
    s4: String,
    b4: bool,
    i4: i32,
    l5: i64,
    d5: f64,
    s5: String,
    b5: bool,
    i5: i32,
    l6: i64,
    d6: f64,
    s6: String,
    b6: bool,
    i6: i32,
    l7: i64,
    d7: f64,
    s7: String,
    b7: bool,
    i7: i32,
    l8: i64,
    d8: f64,
    s8: String,
    b8: bool,
    i8: i32,
    l9: i64,
    d9: f64,
    s9: String,
    b9: bool,
    i9: i32,
}

fn small() -> BenchSmall {
    BenchSmall {
        id: 1_700_000_000_123,
        name: "user-42".into(),
        score: 98.25,
        active: true,
        tags: vec!["new".into(), "mobile".into(), "beta".into()],
        counts: [("views", 12), ("clicks", 3), ("buys", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

fn wide() -> BenchWide {
    BenchWide {
        l0: 1_700_000_000_000,
        d0: 0.5,
        s0: "value-0".into(),
        b0: true,
        i0: 7,
        l1: 1_700_000_000_000 + 1,
        d1: 1.5,
        s1: "value-1".into(),
        b1: false,
        i1: 1007,
        l2: 1_700_000_000_000 + 2,
        d2: 2.5,
        s2: "value-2".into(),
        b2: true,
        i2: 2007,
        l3: 1_700_000_000_000 + 3,
        d3: 3.5,
        s3: "value-3".into(),
        b3: false,
        i3: 3007,
        l4: 1_700_000_000_000 + 4,
        d4: 4.5,
        s4: "value-4".into(),
        b4: true,
        i4: 4007,
        l5: 1_700_000_000_000 + 5,
        d5: 5.5,
        s5: "value-5".into(),
        b5: false,
        i5: 5007,
        l6: 1_700_000_000_000 + 6,
        d6: 6.5,
        s6: "value-6".into(),
        b6: true,
        i6: 6007,
        l7: 1_700_000_000_000 + 7,
        d7: 7.5,
        s7: "value-7".into(),
        b7: false,
        i7: 7007,
        l8: 1_700_000_000_000 + 8,
        d8: 8.5,
        s8: "value-8".into(),
        b8: true,
        i8: 8007,
        l9: 1_700_000_000_000 + 9,
        d9: 9.5,
        s9: "value-9".into(),
        b9: false,
        i9: 9007,
    }
}

const ID: SchemaId = SchemaId(1);

fn group<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    c: &mut Criterion,
    name: &str,
    schema: &str,
    value: &T,
) -> Vec<u8> {
    let codec = JsonSchemaCodec::<T>::new(JsonWriterSchema::parse(name, schema, &[]).unwrap());
    let writer = WriterSchema::Json(Arc::new(
        JsonWriterSchema::parse(name, schema, &[]).unwrap(),
    ));
    let lax = WriterSchema::Json(Arc::new(JsonWriterSchema::with_validation(
        JsonWriterSchema::parse(name, schema, &[])
            .unwrap()
            .schema()
            .clone(),
        false,
    )));
    let mut frame = Vec::new();
    codec.encode(ID, value, &mut frame).unwrap();
    let payload = serde_json::to_vec(value).unwrap();
    assert_eq!(codec.decode(&frame, &writer).unwrap().1, *value);

    let mut g = c.benchmark_group(name);
    let mut buf = Vec::with_capacity(4096);
    g.bench_function("serde_json/encode", |b| {
        b.iter(|| {
            buf.clear();
            serde_json::to_writer(&mut buf, black_box(value)).unwrap();
            black_box(buf.len())
        })
    });
    g.bench_function("schemaflow/encode", |b| {
        b.iter(|| {
            buf.clear();
            codec.encode(ID, black_box(value), &mut buf).unwrap();
            black_box(buf.len())
        })
    });
    g.bench_function("schemaflow/encode_unvalidated", |b| {
        b.iter(|| {
            buf.clear();
            json_schema::with_validation(false, || codec.encode(ID, black_box(value), &mut buf))
                .unwrap();
            black_box(buf.len())
        })
    });
    g.bench_function("serde_json/decode", |b| {
        b.iter(|| serde_json::from_slice::<T>(black_box(&payload)).unwrap())
    });
    g.bench_function("schemaflow/decode", |b| {
        b.iter(|| codec.decode(black_box(&frame), &writer).unwrap())
    });
    g.bench_function("schemaflow/decode_unvalidated", |b| {
        b.iter(|| codec.decode(black_box(&frame), &lax).unwrap())
    });
    g.finish();
    frame
}

fn benches(c: &mut Criterion) {
    let small_frame = group(c, "json_schema_small", SMALL_SCHEMA, &small());
    let wide_frame = group(c, "json_schema_wide", WIDE_SCHEMA, &wide());
    python_peer(&[
        ("small", SMALL_SCHEMA, &small_frame),
        ("wide", WIDE_SCHEMA, &wide_frame),
    ]);
}

/// Confluent's Python serdes on the same values, after (never beside) the Rust timings.
fn python_peer(records: &[(&str, &str, &Vec<u8>)]) {
    let Ok(python) = std::env::var("JSON_SCHEMA_BENCH_PYTHON") else {
        eprintln!("json_schema bench: JSON_SCHEMA_BENCH_PYTHON not set, no Python row");
        return;
    };
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let dir = std::path::Path::new(&target).join("json-schema-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let frames: Vec<serde_json::Value> = records
        .iter()
        .map(|(record, schema, frame)| {
            serde_json::json!({"record": record, "schema": schema, "hex": hex::encode(frame)})
        })
        .collect();
    let frames_file = dir.join("frames.json");
    std::fs::write(&frames_file, serde_json::to_vec(&frames).unwrap()).unwrap();
    let out = dir.join("python.jsonl");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/peer_bench.py");
    let status = std::process::Command::new(python)
        .args([script, "--json-schema"])
        .arg(&frames_file)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "peer_bench.py --json-schema failed");
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group!(name = json_benches; config = config(); targets = benches);
criterion_main!(json_benches);
