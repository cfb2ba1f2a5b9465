//! schemaflow's codecs against every Rust peer, on the same values, in one run (issue 11 part 3;
//! the table and chart in BENCHMARKS.md are made from this run's `estimates.json` files by
//! `scripts/bench-report`, run by `scripts/peer-bench`).
//!
//! Groups `avro/<record>` (records `user_event`, `small`, `wide`), ids `<op>/<row>`:
//! - `schemaflow`: `AvroCodec<T>` encode / decode of a Confluent frame into a new value;
//!   `schemaflow_into`: `decode_into` the same value again and again (buffers reused);
//!   `schemaflow_view`: the borrowed view `TRef<'a>` of the frame (no allocation);
//! - `apache_avro`: apache-avro's schema-aware serde (`write_ser` / `read_deser`) of the datum,
//!   pre-parsed schema, no frame (today's path, the "raw apache-avro serde");
//! - `serde_avro_fast`: `to_datum` into a reused buffer / `from_datum_slice`, no frame;
//! - `schema_registry_converter`: `encode_struct` / `decode` + `apache_avro::from_value`,
//!   framed, against the embedded registry over HTTP with warm caches (polled once per call:
//!   a warm call never waits, and a cold one would panic rather than time the network);
//! - `resolve_v1_as_v2/<row>` (user_event only): v1 data read into the v2 type (and
//!   `schemaflow_into`: into one reused v2 value).
//!
//! Groups `protobuf/<record>`: `schemaflow::codec::protobuf` encode/decode (framed) against
//! raw `prost::Message` on the same messages.
//!
//! Every row is checked before it is timed: its bytes equal schemaflow's (datum or frame) and
//! what it decodes equals the value. A row that cannot run is left out and its reason written
//! to `$PEER_BENCH_OUT/skipped.json` (the report prints it in the table).

use std::future::Future;
use std::hint::black_box;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use criterion::{criterion_group, criterion_main, Criterion};
use prost::Message;
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::SubjectNameStrategy;
use schemaflow::codec::avro::{AvroCodec, AvroSchema, AvroView};
use schemaflow::codec::protobuf;
use schemaflow_bench::schemas::avro::evolution::user_event as v2;
use schemaflow_bench::schemas::avro::small::Small;
use schemaflow_bench::schemas::avro::user_event::UserEvent;
use schemaflow_bench::schemas::avro::wide::Wide;
use schemaflow_bench::schemas::proto::bench::v1 as pb_bench;
use schemaflow_bench::schemas::proto::events::v1 as pb;
use schemaflow_bench::{topics, BenchRegistry};

/// Rows that could not run, with why: `{"id": "avro/user_event/encode/…", "reason": …}`.
#[derive(Default)]
struct Skips(Vec<serde_json::Value>);

impl Skips {
    fn skip(&mut self, id: String, reason: impl std::fmt::Display) {
        let mut reason = reason.to_string();
        // schema_registry_converter quotes the whole schema text in its errors: keep the cause.
        if let (Some(a), Some(b)) = (reason.find("Supplied raw value \""), reason.find("\" cant")) {
            reason.replace_range(a + "Supplied raw value ".len()..b + 1, "(schema)");
        }
        eprintln!("skipped {id}: {reason}");
        self.0
            .push(serde_json::json!({ "id": id, "reason": reason }));
    }

    fn write(&self) {
        if let Ok(dir) = std::env::var("PEER_BENCH_OUT") {
            std::fs::create_dir_all(&dir).expect("create PEER_BENCH_OUT");
            let path = std::path::Path::new(&dir).join("skipped.json");
            std::fs::write(&path, serde_json::to_vec_pretty(&self.0).unwrap())
                .expect("write skipped.json");
        }
    }
}

/// Polls a future once. schema_registry_converter's API is async; with its caches warm a call
/// is ready at the first poll, so this times the library's work and no executor. A future that
/// is not ready would be waiting on the registry: then the caches were not warm and the
/// measurement would be wrong, so it panics.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("schema_registry_converter went to the registry: cache not warm"),
    }
}

/// The schema serde_avro_fast is given: schemaflow's (references inlined) with `decimal`
/// logical types reduced to their `bytes`. serde_avro_fast serializes a decimal only from a
/// number or a string, while the generated types hold `schemaflow::Decimal`, which serializes
/// as the two's-complement bytes; the bytes on the wire are the same either way (checked).
fn fast_schema(schema: &AvroSchema) -> Result<serde_avro_fast::Schema, String> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                if map.get("logicalType").and_then(|l| l.as_str()) == Some("decimal") {
                    let base = map.get("type").cloned().unwrap_or_default();
                    *v = base;
                    return;
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut json = serde_json::to_value(schema.schema()).map_err(|e| e.to_string())?;
    strip(&mut json);
    json.to_string().parse().map_err(|e| format!("{e}"))
}

/// The Avro rows of one record type. A macro rather than a generic function so that it names
/// no trait bound of `AvroCodec<T>` (which changes when the generated codecs land); the peers'
/// bounds (serde) are the ones written here.
macro_rules! avro_rows {
    ($c:expr, $reg:expr, $skips:expr, $record:literal, $topic:expr, $ty:ty, $value:expr) => {{
        let value: $ty = $value;
        let framed = $reg.frames.get("avro", $record);
        let (id, frame) = (framed.id, framed.frame.clone());
        let datum = frame[5..].to_vec();
        let codec = AvroCodec::<$ty>::new().expect("codec");
        let avro_schema = AvroSchema::of::<$ty>().expect("schema");
        let schema = avro_schema.schema();
        let group = concat!("avro/", $record);
        let mut g = $c.benchmark_group(group);
        let mut buf = Vec::with_capacity(4096);

        // schemaflow: the frames in `$reg` are its own, so only the round trip is checked.
        assert_eq!(
            codec.decode(&frame, codec.schema()).expect("decode").1,
            value
        );
        g.bench_function("encode/schemaflow", |b| {
            b.iter(|| {
                buf.clear();
                codec.encode(id, black_box(&value), &mut buf).unwrap();
            })
        });
        g.bench_function("decode/schemaflow", |b| {
            b.iter(|| codec.decode(black_box(&frame), codec.schema()).unwrap())
        });
        // decode_into: the frame decoded again and again into one value (a consumer loop's
        // steady state: every buffer already grown, nothing allocated).
        let mut reused = value.clone();
        codec
            .decode_into(&frame, codec.schema(), &mut reused)
            .expect("decode_into");
        assert_eq!(reused, value);
        g.bench_function("decode/schemaflow_into", |b| {
            b.iter(|| {
                codec
                    .decode_into(black_box(&frame), codec.schema(), &mut reused)
                    .unwrap()
            })
        });
        // The borrowed view: the whole frame read and checked in place (UTF-8, branches,
        // lengths), strings and bytes borrowed, arrays and maps left to be iterated.
        let (_, view) = codec
            .view(&frame, codec.schema())
            .expect("view")
            .expect("same schema: a view");
        assert_eq!(view.to_owned_value(), value);
        g.bench_function("decode/schemaflow_view", |b| {
            b.iter(|| codec.view(black_box(&frame), codec.schema()).unwrap())
        });

        // Raw apache-avro serde, as benches/codec.rs times it.
        let writer = GenericDatumWriter::builder(schema)
            .validate(false)
            .human_readable(true)
            .build()
            .expect("writer");
        let reader = GenericDatumReader::builder(schema)
            .human_readable(true)
            .build()
            .expect("reader");
        buf.clear();
        writer
            .write_ser(&mut buf, &value)
            .expect("apache-avro encode");
        assert_eq!(buf, datum, "apache-avro bytes differ from schemaflow's");
        let back: $ty = reader
            .read_deser(&mut datum.as_slice())
            .expect("apache-avro decode");
        assert_eq!(back, value);
        g.bench_function("encode/apache_avro", |b| {
            b.iter(|| {
                buf.clear();
                writer.write_ser(&mut buf, black_box(&value)).unwrap();
            })
        });
        g.bench_function("decode/apache_avro", |b| {
            b.iter(|| {
                let v: $ty = reader.read_deser(&mut black_box(datum.as_slice())).unwrap();
                v
            })
        });

        // serde_avro_fast: encode checked byte for byte, decode checked equal, or skipped.
        match fast_schema(&avro_schema) {
            Err(e) => {
                $skips.skip(format!("{group}/encode/serde_avro_fast"), &e);
                $skips.skip(format!("{group}/decode/serde_avro_fast"), &e);
            }
            Ok(fast) => {
                let mut config = serde_avro_fast::ser::SerializerConfig::new(&fast);
                buf.clear();
                let encoded = serde_avro_fast::to_datum(&value, &mut buf, &mut config).map(|_| ());
                match encoded {
                    Ok(_) if buf == datum => g.bench_function("encode/serde_avro_fast", |b| {
                        b.iter(|| {
                            buf.clear();
                            serde_avro_fast::to_datum(black_box(&value), &mut buf, &mut config)
                                .unwrap();
                        })
                    }),
                    Ok(_) => {
                        $skips.skip(format!("{group}/encode/serde_avro_fast"), "bytes differ");
                        &mut g
                    }
                    Err(e) => {
                        $skips.skip(format!("{group}/encode/serde_avro_fast"), e);
                        &mut g
                    }
                };
                match serde_avro_fast::from_datum_slice::<$ty>(&datum, &fast) {
                    Ok(back) if back == value => g.bench_function("decode/serde_avro_fast", |b| {
                        b.iter(|| {
                            serde_avro_fast::from_datum_slice::<$ty>(black_box(&datum), &fast)
                                .unwrap()
                        })
                    }),
                    Ok(_) => {
                        $skips.skip(format!("{group}/decode/serde_avro_fast"), "value differs");
                        &mut g
                    }
                    Err(e) => {
                        $skips.skip(format!("{group}/decode/serde_avro_fast"), e);
                        &mut g
                    }
                };
            }
        }

        // schema_registry_converter over HTTP: the first call of each fills its cache. For
        // UserEvent it gets the equivalent schema with the short reference (its only usable
        // spelling, see `BenchRegistry::short_ref_user_event`), and the frame with that id.
        let (src_topic, frame) = if $record == "user_event" {
            let f = &$reg.short_ref_user_event;
            (f.topic, f.frame.clone())
        } else {
            ($topic, frame)
        };
        let settings = SrSettings::new($reg.url().to_string());
        let encoder = AvroEncoder::new(settings.clone());
        let decoder = AvroDecoder::new(settings);
        let strategy = SubjectNameStrategy::TopicNameStrategy(src_topic.to_string(), false);
        match $reg
            .runtime
            .block_on(encoder.encode_struct(&value, &strategy))
        {
            Ok(bytes) if bytes == frame => g
                .bench_function("encode/schema_registry_converter", |b| {
                    b.iter(|| ready(encoder.encode_struct(black_box(&value), &strategy)).unwrap())
                }),
            Ok(_) => {
                $skips.skip(
                    format!("{group}/encode/schema_registry_converter"),
                    "bytes differ",
                );
                &mut g
            }
            Err(e) => {
                $skips.skip(format!("{group}/encode/schema_registry_converter"), e);
                &mut g
            }
        };
        let decoded = $reg
            .runtime
            .block_on(decoder.decode(Some(frame.as_slice())))
            .map_err(|e| e.to_string())
            .and_then(|r| apache_avro::from_value::<$ty>(&r.value).map_err(|e| e.to_string()));
        match decoded {
            Ok(back) if back == value => {
                g.bench_function("decode/schema_registry_converter", |b| {
                    b.iter(|| {
                        let r = ready(decoder.decode(Some(black_box(frame.as_slice())))).unwrap();
                        apache_avro::from_value::<$ty>(&r.value).unwrap()
                    })
                })
            }
            Ok(_) => {
                $skips.skip(
                    format!("{group}/decode/schema_registry_converter"),
                    "value differs",
                );
                &mut g
            }
            Err(e) => {
                $skips.skip(format!("{group}/decode/schema_registry_converter"), e);
                &mut g
            }
        };
        g.finish();
    }};
}

/// "v1 data read as v2": the v1 `UserEvent` frame decoded into the v2 type (`channel` added
/// with a default), beside the same-schema decode of `avro/user_event`.
fn resolution(c: &mut Criterion, reg: &BenchRegistry, skips: &mut Skips) {
    let group = "avro/user_event";
    let frame = reg.frames.get("avro", "user_event").frame.clone();
    let v1_codec = AvroCodec::<UserEvent>::new().expect("codec");
    let v2_codec = AvroCodec::<v2::UserEvent>::new().expect("codec");
    let v1_schema = AvroSchema::of::<UserEvent>().expect("schema");
    let v2_schema = AvroSchema::of::<v2::UserEvent>().expect("schema");
    let expected = v2_codec
        .decode(&frame, v1_codec.schema())
        .expect("resolve")
        .1;
    assert_eq!(expected.channel, "web");
    let mut g = c.benchmark_group(group);
    g.bench_function("resolve_v1_as_v2/schemaflow", |b| {
        b.iter(|| {
            v2_codec
                .decode(black_box(&frame), v1_codec.schema())
                .unwrap()
        })
    });
    let mut reused = expected.clone();
    v2_codec
        .decode_into(&frame, v1_codec.schema(), &mut reused)
        .expect("resolve into");
    assert_eq!(reused, expected);
    g.bench_function("resolve_v1_as_v2/schemaflow_into", |b| {
        b.iter(|| {
            v2_codec
                .decode_into(black_box(&frame), v1_codec.schema(), &mut reused)
                .unwrap()
        })
    });

    // apache-avro resolves only through its `Value` (its `read_deser` panics when given a
    // reader schema): read_value with the reader schema, then `from_value`.
    let reader = GenericDatumReader::builder(v1_schema.schema())
        .reader_schema(v2_schema.schema())
        .human_readable(true)
        .build()
        .expect("reader");
    let datum = frame[5..].to_vec();
    let read = |d: &[u8]| -> Result<v2::UserEvent, String> {
        let value = reader.read_value(&mut &d[..]).map_err(|e| e.to_string())?;
        apache_avro::from_value(&value).map_err(|e| e.to_string())
    };
    match read(&datum) {
        Ok(v) if v == expected => {
            g.bench_function("resolve_v1_as_v2/apache_avro", |b| {
                b.iter(|| read(black_box(&datum)).unwrap())
            });
        }
        Ok(_) => skips.skip(
            format!("{group}/resolve_v1_as_v2/apache_avro"),
            "value differs",
        ),
        Err(e) => skips.skip(format!("{group}/resolve_v1_as_v2/apache_avro"), e),
    }
    skips.skip(
        format!("{group}/resolve_v1_as_v2/serde_avro_fast"),
        "no schema resolution: it reads with the writer schema only",
    );
    skips.skip(
        format!("{group}/resolve_v1_as_v2/schema_registry_converter"),
        "no reader schema: decode answers the writer's Value",
    );
    g.finish();
}

/// The Protobuf rows of one message type: schemaflow's framed codec against raw prost.
macro_rules! proto_rows {
    ($c:expr, $reg:expr, $record:literal, $ty:ty, $value:expr) => {{
        let value: $ty = $value;
        let framed = $reg.frames.get("protobuf", $record);
        let (id, frame) = (framed.id, framed.frame.clone());
        let raw = value.encode_to_vec();
        assert!(
            frame.ends_with(&raw),
            "schemaflow's frame does not end with prost's bytes"
        );
        assert_eq!(protobuf::decode::<$ty>(&frame).expect("decode").1, value);
        let mut g = $c.benchmark_group(concat!("protobuf/", $record));
        let mut buf = Vec::with_capacity(4096);
        g.bench_function("encode/schemaflow", |b| {
            b.iter(|| {
                buf.clear();
                protobuf::encode(id, black_box(&value), &mut buf);
            })
        });
        g.bench_function("encode/prost", |b| {
            b.iter(|| {
                buf.clear();
                black_box(&value).encode(&mut buf).unwrap();
            })
        });
        g.bench_function("decode/schemaflow", |b| {
            b.iter(|| protobuf::decode::<$ty>(black_box(&frame)).unwrap())
        });
        g.bench_function("decode/prost", |b| {
            b.iter(|| <$ty>::decode(black_box(raw.as_slice())).unwrap())
        });
        g.finish();
    }};
}

fn peers(c: &mut Criterion) {
    // What a schema_registry_converter user sets once: apache-avro's `from_value` then reads
    // the uuid as the string the schema says, as schemaflow's own readers do.
    let _ = apache_avro::util::set_serde_human_readable(true);
    let reg = BenchRegistry::start().expect("embedded registry");
    let mut skips = Skips::default();
    avro_rows!(
        c,
        reg,
        skips,
        "user_event",
        topics::AVRO_USER_EVENT,
        UserEvent,
        schemaflow_bench::user_event()
    );
    resolution(c, &reg, &mut skips);
    avro_rows!(
        c,
        reg,
        skips,
        "small",
        topics::AVRO_SMALL,
        Small,
        schemaflow_bench::small()
    );
    avro_rows!(
        c,
        reg,
        skips,
        "wide",
        topics::AVRO_WIDE,
        Wide,
        schemaflow_bench::wide()
    );
    proto_rows!(
        c,
        reg,
        "user_event",
        pb::UserEvent,
        schemaflow_bench::proto_user_event()
    );
    proto_rows!(
        c,
        reg,
        "small",
        pb_bench::Small,
        schemaflow_bench::proto_small()
    );
    proto_rows!(
        c,
        reg,
        "wide",
        pb_bench::Wide,
        schemaflow_bench::proto_wide()
    );
    skips.write();
}

/// Short runs (the machine has 2 shared cores and the whole suite has ~40 rows): 30 samples,
/// 1 s warm-up, 2 s measurement per row; command-line options override.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group!(name = benches; config = config(); targets = peers);
criterion_main!(benches);
