//! Encode/decode cost of the typed codecs against their raw baselines, same value, same
//! machine. Baselines (named as in BENCHMARKS.md):
//! - raw Avro encode: apache-avro serialisation of the value with a pre-parsed schema, no frame
//! - raw Avro decode: apache-avro decode with the writer schema only, into the same Rust type
//! - raw Protobuf: `prost::Message::encode` / `decode` of the same message
//!
//! The Avro groups (`avro_user_event`, `avro_small` with 6 fields, `avro_wide` with 50) set the
//! generated codec (`schemaflow_generated`: `AvroDatum` without frame) beside apache-avro's serde
//! path (`raw_apache_avro`) on the same value. The two bench records come from
//! `tests/avro_samples/` (generated ahead, not part of the library's sample types).
//!
//! Run: `cargo bench --bench codec`. Results go to BENCHMARKS.md by hand from the output.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use common::samples::avro::evolution::user_event as v2;
use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use criterion::{criterion_group, criterion_main, Criterion};
use prost::Message;
use schemaflow::codec::avro::{AvroCodec, AvroDatum, AvroSchema};
use schemaflow::codec::protobuf;
use schemaflow::wire::SchemaId;
use schemaflow::GeneratedSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

#[allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]
mod samples {
    include!("../tests/avro_samples/generated.rs");
}
use samples::avro::bench_small::BenchSmall;
use samples::avro::bench_wide::BenchWide;

fn avro(c: &mut Criterion) {
    let codec = AvroCodec::<UserEvent>::new().unwrap();
    let v2codec = AvroCodec::<v2::UserEvent>::new().unwrap();
    let event = common::avro_full();
    let schema = codec.schema().schema().clone();
    let raw_writer = GenericDatumWriter::builder(&schema)
        .validate(false)
        .human_readable(true)
        .build()
        .unwrap();
    let raw_reader = GenericDatumReader::builder(&schema)
        .human_readable(true)
        .build()
        .unwrap();
    let v2schema = v2codec.schema().schema().clone();
    let raw_reader_v2 = GenericDatumReader::builder(&v2schema)
        .human_readable(true)
        .build()
        .unwrap();

    let mut g = c.benchmark_group("avro_user_event");
    let mut buf = Vec::with_capacity(256);
    g.bench_function("encode/schemaflow_generated", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&event).write_avro(&mut buf);
        })
    });
    g.bench_function("encode/raw_apache_avro", |b| {
        b.iter(|| {
            buf.clear();
            raw_writer.write_ser(&mut buf, black_box(&event)).unwrap();
        })
    });
    g.bench_function("encode/schemaflow_framed", |b| {
        b.iter(|| {
            buf.clear();
            codec
                .encode(SchemaId(1), black_box(&event), &mut buf)
                .unwrap();
        })
    });

    let mut frame = Vec::new();
    codec.encode(SchemaId(1), &event, &mut frame).unwrap();
    let datum = frame[5..].to_vec();
    let mut v2frame = Vec::new();
    let v2event = v2codec.decode(&frame, codec.schema()).unwrap().1;
    v2codec.encode(SchemaId(2), &v2event, &mut v2frame).unwrap();
    let v2datum = v2frame[5..].to_vec();

    g.bench_function("decode/raw_apache_avro", |b| {
        b.iter(|| {
            let v: UserEvent = raw_reader
                .read_deser(&mut black_box(datum.as_slice()))
                .unwrap();
            v
        })
    });
    g.bench_function("decode/schemaflow_generated", |b| {
        b.iter(|| UserEvent::read_avro(&mut black_box(datum.as_slice())).unwrap())
    });
    g.bench_function("decode/schemaflow_framed_same_schema", |b| {
        b.iter(|| codec.decode(black_box(&frame), codec.schema()).unwrap())
    });
    g.bench_function("decode/raw_apache_avro_v2", |b| {
        b.iter(|| {
            let v: v2::UserEvent = raw_reader_v2
                .read_deser(&mut black_box(v2datum.as_slice()))
                .unwrap();
            v
        })
    });
    g.bench_function("decode/schemaflow_framed_resolve_v1_to_v2", |b| {
        b.iter(|| v2codec.decode(black_box(&frame), codec.schema()).unwrap())
    });
    g.bench_function("decode/schemaflow_framed_resolve_v2_to_v1", |b| {
        b.iter(|| codec.decode(black_box(&v2frame), v2codec.schema()).unwrap())
    });
    g.finish();
}

/// The generated codec against apache-avro's serde path on one value of `T`.
fn generated_vs_serde<T>(c: &mut Criterion, group: &str, value: &T)
where
    T: AvroDatum + GeneratedSchema + Serialize + DeserializeOwned,
{
    let schema = AvroSchema::of::<T>().unwrap();
    let raw_writer = GenericDatumWriter::builder(schema.schema())
        .validate(false)
        .human_readable(true)
        .build()
        .unwrap();
    let raw_reader = GenericDatumReader::builder(schema.schema())
        .human_readable(true)
        .build()
        .unwrap();
    let mut g = c.benchmark_group(group);
    let mut buf = Vec::with_capacity(1024);
    g.bench_function("encode/schemaflow_generated", |b| {
        b.iter(|| {
            buf.clear();
            black_box(value).write_avro(&mut buf);
        })
    });
    g.bench_function("encode/raw_apache_avro", |b| {
        b.iter(|| {
            buf.clear();
            raw_writer.write_ser(&mut buf, black_box(value)).unwrap();
        })
    });
    let mut datum = Vec::new();
    value.write_avro(&mut datum);
    g.bench_function("decode/schemaflow_generated", |b| {
        b.iter(|| T::read_avro(&mut black_box(datum.as_slice())).unwrap())
    });
    g.bench_function("decode/raw_apache_avro", |b| {
        b.iter(|| {
            let v: T = raw_reader
                .read_deser(&mut black_box(datum.as_slice()))
                .unwrap();
            v
        })
    });
    g.finish();
}

fn avro_small(c: &mut Criterion) {
    let value = BenchSmall {
        id: 1_700_000_000_123,
        name: "user-42".into(),
        score: 98.25,
        active: true,
        tags: vec!["new".into(), "mobile".into(), "beta".into()],
        counts: [("views", 12), ("clicks", 3), ("buys", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    generated_vs_serde(c, "avro_small", &value);
}

fn avro_wide(c: &mut Criterion) {
    let value = BenchWide {
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
    };
    generated_vs_serde(c, "avro_wide", &value);
}

fn proto(c: &mut Criterion) {
    let event = common::proto_full();
    let mut g = c.benchmark_group("protobuf_user_event");
    let mut buf = Vec::with_capacity(256);
    g.bench_function("encode/raw_prost", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&event).encode(&mut buf).unwrap();
        })
    });
    g.bench_function("encode/schemaflow_framed", |b| {
        b.iter(|| {
            buf.clear();
            protobuf::encode(SchemaId(1), black_box(&event), &mut buf);
        })
    });
    let raw = event.encode_to_vec();
    let mut frame = Vec::new();
    protobuf::encode(SchemaId(1), &event, &mut frame);
    g.bench_function("decode/raw_prost", |b| {
        b.iter(|| pb::UserEvent::decode(black_box(raw.as_slice())).unwrap())
    });
    g.bench_function("decode/schemaflow_framed", |b| {
        b.iter(|| protobuf::decode::<pb::UserEvent>(black_box(&frame)).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group!(name = benches; config = config(); targets = avro, avro_small, avro_wide, proto);
criterion_main!(benches);
