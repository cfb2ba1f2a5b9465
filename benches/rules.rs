//! What data-contract rules cost per record (issue 27): the producer's encode and the
//! consumer's decode of the benchmarks' `UserEvent`, with no rules (today's path: the
//! producer and consumer hold `None` and convert nothing) and with one CEL condition on the
//! value (`message.user_id.startsWith('user-')`: the frame decoded to JSON, converted to CEL
//! values, evaluated), one CEL_FIELD transform masking the address's `street` (tagged PII by
//! the metadata: the frame to JSON, the field walk, the value re-encoded) on encode, and one
//! JSONata migration step on decode (a consumer reading another version: the frame to JSON,
//! Confluent's `$merge`/`$sift` rename expression, re-encoded, decoded).
//!
//! First, because the machine is shared, CPU µs per record of each case (this process's CPU
//! time over 200,000 records; 20,000 for the JSONata migration), printed as
//! `cpu_us_per_record <name> <µs>`, before anything else runs in the process. Then criterion's
//! groups `rules_encode` (`no_rules`, `one_cel_condition`, `one_cel_field_transform`) and
//! `rules_decode` (`no_rules`, `one_cel_condition`, `one_jsonata_migration`).
//!
//! After the cases, the steps of the two transform rows, CPU µs per record each
//! (`step_cpu_us_per_record`): the frame to JSON, the rule's run on a copy of the JSON (the
//! copy timed alone too; a JSONata step also with the expression `$`, its floor), the JSON to
//! a frame, and the typed encode and decode; and how much the process's resident set grew per
//! JSONata record (`rss_growth_bytes_per_record`).
//!
//! Then, when `RULES_BENCH_PYTHON` names a Python with Confluent's serdes, Confluent's Python
//! `AvroSerializer`/`AvroDeserializer` doing the same six things (scripts/rules_bench.py: the
//! same schema, value and expressions, a `mock://` registry, warm caches), after (never
//! beside) the Rust timings, with CPU µs per record too:
//!
//! ```text
//! RULES_BENCH_PYTHON="$(scripts/python-env | tail -1)/bin/python" cargo bench --bench rules
//! ```

mod common;

use std::hint::black_box;
use std::sync::Arc;

use common::samples::avro::user_event::UserEvent;
use criterion::{criterion_group, criterion_main, Criterion};
use schemaflow::codec::avro::AvroSchema;
use schemaflow::codec::{RegistryCodec, WriterSchema};
use schemaflow::registry::{Metadata, Rule, RuleKind, RuleMode, RuleSet};
use schemaflow::rules::encode::{apply_to_frame, json_to_frame};
use schemaflow::rules::{Direction, DomainRules, RuleTarget};
use schemaflow::wire::SchemaId;
use schemaflow::GeneratedSchema;

const ID: SchemaId = SchemaId(1);

fn writer() -> WriterSchema {
    let refs: Vec<&str> = UserEvent::REFERENCES
        .iter()
        .map(|r| r.schema_text)
        .collect();
    WriterSchema::Avro(Arc::new(
        AvroSchema::parse(UserEvent::SCHEMA_TEXT, &refs).expect("UserEvent's schema"),
    ))
}

fn rules(direction: Direction) -> Arc<DomainRules> {
    let set = RuleSet {
        domain_rules: vec![Rule {
            name: Some("known_user".into()),
            kind: RuleKind::Condition,
            mode: RuleMode::Writeread,
            rule_type: Some("CEL".into()),
            expr: Some("message.user_id.startsWith('user-')".into()),
            ..Rule::default()
        }],
        ..RuleSet::default()
    };
    DomainRules::compile(Some(&set), direction, "bench")
        .expect("the rule compiles")
        .expect("one rule runs")
}

/// A CEL_FIELD WRITE transform masking the fields tagged PII (the address's street).
fn field_rules(w: &WriterSchema) -> Arc<DomainRules> {
    let mut metadata = Metadata::default();
    metadata
        .tags
        .insert("**.Address.street".into(), ["PII".to_string()].into());
    let set = RuleSet {
        domain_rules: vec![Rule {
            name: Some("mask".into()),
            kind: RuleKind::Transform,
            mode: RuleMode::Write,
            rule_type: Some("CEL_FIELD".into()),
            tags: ["PII".to_string()].into(),
            expr: Some("typeName == 'STRING' ; 'XXX-' + name".into()),
            ..Rule::default()
        }],
        ..RuleSet::default()
    };
    let target = RuleTarget {
        schema: w,
        metadata: Some(&metadata),
    };
    DomainRules::compile_for(Some(&set), Some(target), Direction::Write, "bench")
        .expect("the rule compiles")
        .expect("one rule runs")
}

/// One UPGRADE step: Confluent's rename expression (here `user_id` onto itself, so the
/// value still fits the schema and decodes).
fn migration() -> Arc<DomainRules> {
    migration_by("$merge([$sift($, function($v, $k) {$k != 'user_id'}), {'user_id': $.'user_id'}])")
}

/// One UPGRADE step running the JSONata expression `expr`.
fn migration_by(expr: &str) -> Arc<DomainRules> {
    let set = RuleSet {
        migration_rules: vec![Rule {
            name: Some("rename".into()),
            kind: RuleKind::Transform,
            mode: RuleMode::Upgrade,
            rule_type: Some("JSONATA".into()),
            expr: Some(expr.into()),
            ..Rule::default()
        }],
        ..RuleSet::default()
    };
    DomainRules::compile(Some(&set), Direction::Upgrade, "bench")
        .expect("the rule compiles")
        .expect("one rule runs")
}

/// The consumer's per-record work with a migration: frame to JSON, the step, the reader's
/// frame, decode.
fn decode_migrated(frame: &[u8], w: &WriterSchema, step: &DomainRules) -> UserEvent {
    let (id, json) = w.frame_to_json(frame).expect("decodes");
    let json = step.run("t-value", "t", json).expect("migrates");
    let mut out = Vec::with_capacity(frame.len());
    json_to_frame(w, id, &json, &mut out).expect("encodes");
    UserEvent::decode_frame(&out, w).expect("decodes").1
}

/// The producer's per-record work: encode, then the WRITE rules when there are some.
fn encode(v: &UserEvent, rules: Option<&(Arc<DomainRules>, WriterSchema)>, buf: &mut Vec<u8>) {
    buf.clear();
    v.encode_frame(ID, buf).expect("encodes");
    if let Some((r, w)) = rules {
        apply_to_frame(r, w, "t-value", "t", buf).expect("passes");
    }
}

/// The consumer's per-record work: the READ rules when there are some, then decode.
fn decode(frame: &[u8], w: &WriterSchema, rules: Option<&DomainRules>) -> UserEvent {
    if let Some(r) = rules {
        let (_, json) = w.frame_to_json(frame).expect("decodes");
        r.run("t-value", "t", json).expect("passes");
    }
    UserEvent::decode_frame(frame, w).expect("decodes").1
}

fn bench(c: &mut Criterion) {
    let v = common::event(7);
    let w = writer();
    let write = (rules(Direction::Write), w.clone());
    let read = rules(Direction::Read);
    let field = (field_rules(&w), w.clone());
    let step = migration();
    let mut frame = Vec::new();
    v.encode_frame(ID, &mut frame).unwrap();
    let mut buf = Vec::with_capacity(256);

    // CPU time first, in a fresh process: criterion's iterations of the JSONata row leave
    // a heap that jsonata-rs never frees (about 9 KB a record) behind them, which slowed
    // what ran after it by up to 2x in one run.
    const N: usize = 200_000;
    let cpu = |name: &str, n: usize, f: &mut dyn FnMut()| {
        let start = cpu_secs();
        for _ in 0..n {
            f();
        }
        let us = (cpu_secs() - start) * 1e6 / n as f64;
        println!("cpu_us_per_record {name} {us:.3}");
    };
    cpu("encode/no_rules", N, &mut || encode(&v, None, &mut buf));
    cpu("encode/one_cel_condition", N, &mut || {
        encode(&v, Some(&write), &mut buf)
    });
    cpu("decode/no_rules", N, &mut || {
        black_box(decode(&frame, &w, None));
    });
    cpu("decode/one_cel_condition", N, &mut || {
        black_box(decode(&frame, &w, Some(&read)));
    });
    cpu("encode/one_cel_field_transform", N, &mut || {
        encode(&v, Some(&field), &mut buf)
    });
    // jsonata-rs never frees some of what an evaluation allocates (BENCHMARKS.md): fewer
    // records, so that the heap this leaves behind weighs less on what is timed after it.
    let rss_before = common::status_mib("VmRSS:");
    cpu("decode/one_jsonata_migration", N / 10, &mut || {
        black_box(decode_migrated(&frame, &w, &step));
    });
    let rss_growth =
        (common::status_mib("VmRSS:") - rss_before) * 1024.0 * 1024.0 / (N / 10) as f64;
    println!("rss_growth_bytes_per_record decode/one_jsonata_migration {rss_growth:.0}");
    steps(&v, &frame, &w, &field.0, &step);

    let mut g = c.benchmark_group("rules_encode");
    g.bench_function("no_rules", |b| {
        b.iter(|| encode(black_box(&v), None, &mut buf))
    });
    g.bench_function("one_cel_condition", |b| {
        b.iter(|| encode(black_box(&v), Some(&write), &mut buf))
    });
    g.bench_function("one_cel_field_transform", |b| {
        b.iter(|| encode(black_box(&v), Some(&field), &mut buf))
    });
    g.finish();
    let mut g = c.benchmark_group("rules_decode");
    g.bench_function("no_rules", |b| {
        b.iter(|| decode(black_box(&frame), &w, None))
    });
    g.bench_function("one_cel_condition", |b| {
        b.iter(|| decode(black_box(&frame), &w, Some(&read)))
    });
    g.bench_function("one_jsonata_migration", |b| {
        b.iter(|| decode_migrated(black_box(&frame), &w, &step))
    });
    g.finish();

    python_peer(&frame);
}

/// CPU µs per record of each step of the two rows with a transform: what a CEL_FIELD encode
/// and a JSONata decode spend where (`step_cpu_us_per_record <row>/<step> <µs>`).
fn steps(v: &UserEvent, frame: &[u8], w: &WriterSchema, field: &DomainRules, step: &DomainRules) {
    // Fewer records for the JSONata steps, which leak (see `bench`).
    const N: usize = 200_000;
    let cpu = |name: &str, n: usize, f: &mut dyn FnMut()| {
        let start = cpu_secs();
        for _ in 0..n {
            f();
        }
        let us = (cpu_secs() - start) * 1e6 / n as f64;
        println!("step_cpu_us_per_record {name} {us:.3}");
    };
    let (id, json) = w.frame_to_json(frame).expect("decodes");
    let mut buf = Vec::with_capacity(256);
    cpu("encode/value_to_frame", N, &mut || {
        buf.clear();
        v.encode_frame(ID, &mut buf).expect("encodes");
    });
    cpu("both/frame_to_json", N, &mut || {
        black_box(w.frame_to_json(black_box(frame)).expect("decodes"));
    });
    cpu("encode/cel_field_run", N, &mut || {
        black_box(field.run("t-value", "t", json.clone()).expect("passes"));
    });
    cpu("both/json_clone", N, &mut || {
        black_box(json.clone());
    });
    cpu("both/json_to_frame", N, &mut || {
        json_to_frame(w, id, black_box(&json), &mut buf).expect("encodes");
    });
    cpu("decode/jsonata_run", N / 10, &mut || {
        black_box(step.run("t-value", "t", json.clone()).expect("migrates"));
    });
    // The floor of a JSONata step: the expression `$` (the value itself), so what is left is
    // the executor's way in and out and jsonata-rs's set-up of an evaluation.
    let identity = migration_by("$");
    cpu("decode/jsonata_identity_run", N / 10, &mut || {
        black_box(
            identity
                .run("t-value", "t", json.clone())
                .expect("migrates"),
        );
    });
    cpu("decode/frame_to_value", N, &mut || {
        black_box(UserEvent::decode_frame(black_box(frame), w).expect("decodes"));
    });
}

/// Confluent's Python serdes on the same schema, value and rules (scripts/rules_bench.py).
fn python_peer(frame: &[u8]) {
    let Ok(python) = std::env::var("RULES_BENCH_PYTHON") else {
        eprintln!("rules bench: RULES_BENCH_PYTHON not set, no Python rows");
        return;
    };
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let dir = std::path::Path::new(&target).join("rules-bench");
    std::fs::create_dir_all(&dir).expect("the bench's directory");
    let references: Vec<serde_json::Value> = UserEvent::REFERENCES
        .iter()
        .map(|r| serde_json::json!({"name": r.name, "schema": r.schema_text}))
        .collect();
    let spec = serde_json::json!({
        "schema": UserEvent::SCHEMA_TEXT,
        "references": references,
        "frame": hex::encode(frame),
    });
    let spec_file = dir.join("spec.json");
    std::fs::write(&spec_file, spec.to_string()).expect("spec.json written");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/rules_bench.py");
    let status = std::process::Command::new(python)
        .arg(script)
        .arg(&spec_file)
        .arg(dir.join("python.jsonl"))
        .status()
        .expect("rules_bench.py runs");
    assert!(status.success(), "rules_bench.py failed");
}

/// This process's CPU time so far (`/proc/self/stat` utime + stime), in seconds; 10 ms ticks.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are the 14th and 15th fields: 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
