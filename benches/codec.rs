//! Encode/decode cost of the typed codecs against their raw baselines, same value, same
//! machine. Baselines (named as in BENCHMARKS.md):
//! - raw Avro encode: apache-avro serialisation of the value with a pre-parsed schema, no frame
//! - raw Avro decode: apache-avro decode with the writer schema only, into the same Rust type
//! - raw Protobuf: `prost::Message::encode` / `decode` of the same message
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
use schemaflow::codec::avro::AvroCodec;
use schemaflow::codec::protobuf;
use schemaflow::wire::SchemaId;

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

criterion_group!(name = benches; config = config(); targets = avro, proto);
criterion_main!(benches);
