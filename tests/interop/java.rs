//! Java as an interop peer: Apache Avro's and protobuf-java's own implementations (the Maven
//! module under `tests/java/`, built and cached by `scripts/java-peer`) read what schemaflow
//! writes and write what schemaflow reads, through a real broker and the embedded registry.
//!
//! Confluent's Java serdes are not on Maven Central; what they do is Apache Avro's
//! `SpecificDatumReader(writer, reader)` / protobuf-java's `DynamicMessage` over the Confluent
//! frame with the writer schema fetched from the registry, and that is what the peer does.
//!
//! Values are compared as schemaflow's typed values: the peer's JSON (Avro's JSON encoding,
//! proto3 JSON) is read back through schemaflow's JSON codec into the generated Rust type, so
//! unions, decimals, uuids and timestamps compare by value, not by spelling.
//!
//! Needs Java 17+ and Maven 3.8+: without them these tests fail (never skip) saying so.
use crate::common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apache_avro::schema::Schema;
use apache_avro::types::Value;
use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::evolution::user_event as avro_v2;
use common::samples::avro::user_event::UserEvent;
use common::samples::proto::events::v1 as pb;
use common::samples::proto::evolution::events::v1 as pb_v2;
use schemaflow::codec::avro::AvroSchema;
use schemaflow::codec::json::{json_to_avro_datum, json_to_protobuf_frame, AvroJsonForm};
use schemaflow::codec::protobuf::ProtobufSchema;
use schemaflow::codec::RegistryCodec;
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::wire::SchemaId;
use schemaflow::GeneratedSchema;
use serde_json::{json, Map, Value as Json};
use tokio::sync::Notify;

use common::services::registry;

use common::java::{java, root};

fn path(rel: &str) -> String {
    root().join(rel).display().to_string()
}

/// `java … consume` of `n` records of `topic`.
fn java_consume(registry: &str, topic: &str, n: usize, extra: &[&str]) -> Vec<Json> {
    let n = n.to_string();
    let mut args = vec![
        "consume",
        broker().bootstrap.as_str(),
        registry,
        topic,
        n.as_str(),
        "--timeout-ms",
        "60000",
    ];
    args.extend_from_slice(extra);
    let lines = java(&args, "");
    assert_eq!(lines.len(), n.parse::<usize>().unwrap(), "{lines:?}");
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `java … produce`: JSON lines in, the count out.
fn java_produce(registry: &str, topic: &str, args: &[&str], lines: &[Json]) {
    let mut all = vec!["produce", broker().bootstrap.as_str(), registry, topic];
    all.extend_from_slice(args);
    let input: String = lines.iter().map(|j| format!("{j}\n")).collect();
    let out = java(&all, &input);
    assert_eq!(
        out.last().map(String::as_str),
        Some(lines.len().to_string().as_str())
    );
}

async fn produce_all<V: RegistryCodec>(producer: &TypedProducer, topic: &str, values: &[V]) {
    for v in values {
        producer
            .send(Record::to(topic).value(v))
            .await
            .unwrap_or_else(|e| panic!("produce to {topic}: {e}"));
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

/// Read `expected` values of `topic` with a TypedConsumer.
async fn rust_consume<V: RegistryCodec + std::fmt::Debug>(
    reg: &schemaflow::registry::CachedRegistry,
    topic: &str,
    expected: usize,
) -> Vec<V> {
    let consumer = TypedConsumer::<V>::new(
        ConsumerConfig::new(&broker().bootstrap, rand_topic("g"), &[topic]),
        reg.clone(),
    )
    .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(Notify::new());
    let (s, d) = (seen.clone(), done.clone());
    consumer
        .run(
            move |m: Message<V>| {
                let (s, d) = (s.clone(), d.clone());
                async move {
                    let mut v = s.lock().unwrap();
                    v.push(m.value.expect("a value, not a tombstone"));
                    if v.len() >= expected {
                        d.notify_one();
                    }
                    Ok::<(), HandlerError>(())
                }
            },
            async move {
                let _ = tokio::time::timeout(Duration::from_secs(60), done.notified()).await;
            },
        )
        .await
        .unwrap();
    let v = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(v.len(), expected, "TypedConsumer read {v:?}");
    v
}

// ---- Avro JSON (Avro's standard JSON encoding) ⇄ typed values ----

/// Java's Avro JSON → our type, through schemaflow's JSON codec (`AvroJsonForm::Avro`).
fn avro_from_java<T: GeneratedSchema + serde::de::DeserializeOwned>(json: &Json) -> T {
    let schema = AvroSchema::of::<T>().unwrap();
    let mut datum = Vec::new();
    json_to_avro_datum(json, &schema, AvroJsonForm::Avro, &mut datum).unwrap_or_else(|e| {
        panic!(
            "Java's Avro JSON does not read as {}: {e}\n{json}",
            T::FULL_NAME
        )
    });
    schema.read(&datum).unwrap()
}

/// Our typed value → Avro's standard JSON encoding (what Java's `JsonDecoder` reads): unions
/// as `{"branch": value}`, bytes and decimals as code-point strings.
fn avro_to_java<T: GeneratedSchema + serde::Serialize>(value: &T) -> Json {
    let schema = AvroSchema::of::<T>().unwrap();
    let mut datum = Vec::new();
    schema.write(value, &mut datum).unwrap();
    let v = schema.read_value(&datum).unwrap();
    avro_json(&v, schema.schema())
}

fn code_points(b: &[u8]) -> Json {
    Json::String(b.iter().map(|&c| char::from(c)).collect())
}

fn branch_name(s: &Schema) -> String {
    match s {
        Schema::Record(r) => r.name.fullname(None),
        Schema::Enum(e) => e.name.fullname(None),
        Schema::Fixed(f) => f.name.fullname(None),
        Schema::Ref { name } => name.fullname(None),
        Schema::Null => "null".into(),
        Schema::Boolean => "boolean".into(),
        Schema::Int | Schema::Date | Schema::TimeMillis => "int".into(),
        Schema::Float => "float".into(),
        Schema::Double => "double".into(),
        Schema::Bytes | Schema::Decimal(_) | Schema::BigDecimal => "bytes".into(),
        Schema::String | Schema::Uuid(_) => "string".into(),
        Schema::Array(_) => "array".into(),
        Schema::Map(_) => "map".into(),
        _ => "long".into(),
    }
}

fn avro_json(v: &Value, schema: &Schema) -> Json {
    match (v, schema) {
        (Value::Null, _) => Json::Null,
        (Value::Boolean(b), _) => json!(b),
        (Value::Int(i) | Value::Date(i) | Value::TimeMillis(i), _) => json!(i),
        (
            Value::Long(l)
            | Value::TimeMicros(l)
            | Value::TimestampMillis(l)
            | Value::TimestampMicros(l)
            | Value::TimestampNanos(l)
            | Value::LocalTimestampMillis(l)
            | Value::LocalTimestampMicros(l)
            | Value::LocalTimestampNanos(l),
            _,
        ) => json!(l),
        (Value::Float(f), _) => json!(f),
        (Value::Double(d), _) => json!(d),
        (Value::Bytes(b) | Value::Fixed(_, b), _) => code_points(b),
        (Value::Decimal(d), _) => code_points(&<Vec<u8>>::try_from(d).unwrap()),
        (Value::String(s), _) => json!(s),
        (Value::Uuid(u), _) => json!(u.to_string()),
        (Value::Enum(_, sym), _) => json!(sym),
        (Value::Union(i, inner), Schema::Union(u)) => {
            let branch = &u.variants()[*i as usize];
            if matches!(branch, Schema::Null) {
                Json::Null
            } else {
                json!({ branch_name(branch): avro_json(inner, branch) })
            }
        }
        (Value::Array(items), Schema::Array(a)) => {
            Json::Array(items.iter().map(|x| avro_json(x, &a.items)).collect())
        }
        (Value::Map(m), Schema::Map(s)) => {
            let sorted: BTreeMap<_, _> = m.iter().collect();
            Json::Object(
                sorted
                    .into_iter()
                    .map(|(k, x)| (k.clone(), avro_json(x, &s.types)))
                    .collect(),
            )
        }
        (Value::Record(fields), Schema::Record(r)) => {
            let mut o = Map::new();
            for ((name, x), f) in fields.iter().zip(&r.fields) {
                o.insert(name.clone(), avro_json(x, &f.schema));
            }
            Json::Object(o)
        }
        (v, s) => panic!("no Avro JSON for {v:?} as {s:?}"),
    }
}

// ---- proto3 JSON ⇄ typed values ----

/// Java's proto3 JSON of message `full_name` → our type, through schemaflow's JSON codec.
fn proto_from_java<T>(json: &Json, full_name: &str) -> T
where
    T: prost::Message + Default + GeneratedSchema,
{
    let schema = ProtobufSchema::of::<T>().unwrap();
    let mut frame = Vec::new();
    json_to_protobuf_frame(json, &schema, full_name, SchemaId(1), &mut frame)
        .unwrap_or_else(|e| panic!("Java's proto3 JSON does not read as {full_name}: {e}\n{json}"));
    schemaflow::codec::protobuf::decode::<T>(&frame).unwrap().1
}

/// Our typed value → proto3 JSON (prost-reflect's mapping), for Java's `JsonFormat.parser()`.
fn proto_to_java<T: prost::Message + GeneratedSchema>(value: &T) -> Json {
    let schema = ProtobufSchema::of::<T>().unwrap();
    let desc = schema.message_at(T::MESSAGE_INDEXES).unwrap();
    let msg =
        prost_reflect::DynamicMessage::decode(desc, value.encode_to_vec().as_slice()).unwrap();
    serde_json::to_value(&msg).unwrap()
}

// ---- the tests ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_avro_producer_to_java_consumer() {
    let b = broker();
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let topic = rand_topic("java-avro-in");
    create_topic(&b.bootstrap, &topic, 1).await;
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let values = [
        common::avro_full(),
        common::avro_minimal(),
        common::avro_negative(),
    ];
    produce_all(&producer, &topic, &values).await;

    let got = java_consume(&url, &topic, values.len(), &["--format", "avro"]);
    // It is Avro's JSON encoding, read with the generated v1 class (SpecificDatumReader).
    assert_eq!(got[0]["session_id"], json!({"string": "sess-1"}));
    assert_eq!(got[1]["session_id"], Json::Null);
    assert_eq!(
        got[0]["shipping_address"]["com.example.events.Address"]["city"],
        json!("Springfield")
    );
    assert_eq!(
        got[0]["amount"],
        code_points(&[0x04, 0xd2]),
        "12.34 = 1234 unscaled"
    );
    for (j, v) in got.iter().zip(&values) {
        assert_eq!(&avro_from_java::<UserEvent>(j), v, "{j}");
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_protobuf_producer_to_java_consumer() {
    let b = broker();
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();

    // The first message of its file ([0]), with an import and google.protobuf.Timestamp.
    let t1 = rand_topic("java-proto-in");
    create_topic(&b.bootstrap, &t1, 1).await;
    let events = [common::proto_full(), common::proto_minimal()];
    produce_all(&producer, &t1, &events).await;
    let got = java_consume(&url, &t1, 2, &["--format", "protobuf"]);
    assert_eq!(got[0]["occurredAt"], json!("2023-11-14T22:13:20.123Z"));
    for (j, v) in got.iter().zip(&events) {
        assert_eq!(
            &proto_from_java::<pb::UserEvent>(j, "events.v1.UserEvent"),
            v,
            "{j}"
        );
    }

    // Not the first message of its file: UserEventBatch is [1].
    let t2 = rand_topic("java-proto-batch-in");
    create_topic(&b.bootstrap, &t2, 1).await;
    produce_all(&producer, &t2, &[common::proto_batch()]).await;
    let got = java_consume(&url, &t2, 1, &["--format", "protobuf"]);
    assert_eq!(got[0]["producer"], json!("golden"));
    assert_eq!(
        proto_from_java::<pb::UserEventBatch>(&got[0], "events.v1.UserEventBatch"),
        common::proto_batch()
    );

    // A nested message: LineItem is [0, 0].
    let t3 = rand_topic("java-proto-item-in");
    create_topic(&b.bootstrap, &t3, 1).await;
    produce_all(&producer, &t3, &[common::proto_line_item()]).await;
    let got = java_consume(&url, &t3, 1, &["--format", "protobuf"]);
    assert_eq!(got[0], json!({"sku": "sku-9", "quantity": 7}));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_avro_producer_to_rust_consumer() {
    let b = broker();
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let topic = rand_topic("java-avro-out");
    create_topic(&b.bootstrap, &topic, 1).await;
    let values = [
        common::avro_full(),
        common::avro_minimal(),
        common::avro_negative(),
    ];
    let lines: Vec<Json> = values.iter().map(avro_to_java).collect();
    let (schema, address) = (
        path("schemas/user_event.avsc"),
        path("schemas/address.avsc"),
    );
    java_produce(
        &url,
        &topic,
        &[
            "--format",
            "avro",
            "--schema-file",
            &schema,
            "--ref",
            &address,
        ],
        &lines,
    );
    let got: Vec<UserEvent> = rust_consume(&reg, &topic, values.len()).await;
    assert_eq!(got, values);

    // Java registered under the names schemaflow uses: our producer gets the same id.
    let id = schemaflow::registry::register_generated::<UserEvent>(
        &reg,
        &format!("{topic}-value"),
        false,
    )
    .await
    .unwrap();
    let versions = reg
        .client()
        .subject_versions(&format!("{topic}-value"))
        .await
        .unwrap();
    assert_eq!(versions.len(), 1, "one schema under the subject, id {id}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_protobuf_producer_to_rust_consumer() {
    let b = broker();
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let schema = path("proto/events/v1/user_event.proto");
    let proto_path = path("proto");

    let t1 = rand_topic("java-proto-out");
    create_topic(&b.bootstrap, &t1, 1).await;
    let events = [common::proto_full(), common::proto_minimal()];
    let lines: Vec<Json> = events.iter().map(proto_to_java).collect();
    java_produce(
        &url,
        &t1,
        &[
            "--format",
            "protobuf",
            "--schema-file",
            &schema,
            "--proto-path",
            &proto_path,
            "--message",
            "events.v1.UserEvent",
        ],
        &lines,
    );
    let got: Vec<pb::UserEvent> = rust_consume(&reg, &t1, 2).await;
    assert_eq!(got, events);

    // UserEventBatch ([1]): the frame's message indexes are Java's.
    let t2 = rand_topic("java-proto-batch-out");
    create_topic(&b.bootstrap, &t2, 1).await;
    java_produce(
        &url,
        &t2,
        &[
            "--format",
            "protobuf",
            "--schema-file",
            &schema,
            "--proto-path",
            &proto_path,
            "--message",
            "events.v1.UserEventBatch",
        ],
        &[proto_to_java(&common::proto_batch())],
    );
    let got: Vec<pb::UserEventBatch> = rust_consume(&reg, &t2, 1).await;
    assert_eq!(got, [common::proto_batch()]);

    // A nested message ([0, 0]) with the id schemaflow registered (`--id`): Java builds the
    // descriptor from the registry's serialized form and writes the index path itself.
    let t3 = rand_topic("java-proto-item-out");
    create_topic(&b.bootstrap, &t3, 1).await;
    let id = schemaflow::registry::register_generated::<pb::UserEvent>(
        &reg,
        &format!("{t3}-value"),
        false,
    )
    .await
    .unwrap();
    java_produce(
        &url,
        &t3,
        &[
            "--format",
            "protobuf",
            "--id",
            &id.to_string(),
            "--message",
            "events.v1.UserEvent.LineItem",
        ],
        &[proto_to_java(&common::proto_line_item())],
    );
    let got: Vec<pb::user_event::LineItem> = rust_consume(&reg, &t3, 1).await;
    assert_eq!(got, [common::proto_line_item()]);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evolution_java_writes_v1_rust_reads_v2() {
    let b = broker();
    let (server, reg) = registry().await;
    let url = server.url().to_string();

    let t1 = rand_topic("java-evo-avro");
    create_topic(&b.bootstrap, &t1, 1).await;
    let (schema, address) = (
        path("schemas/user_event.avsc"),
        path("schemas/address.avsc"),
    );
    java_produce(
        &url,
        &t1,
        &[
            "--format",
            "avro",
            "--schema-file",
            &schema,
            "--ref",
            &address,
        ],
        &[avro_to_java(&common::avro_full())],
    );
    let got: Vec<avro_v2::UserEvent> = rust_consume(&reg, &t1, 1).await;
    assert_eq!(
        got,
        [common::avro_v2_full("web")],
        "channel takes its default"
    );

    let t2 = rand_topic("java-evo-proto");
    create_topic(&b.bootstrap, &t2, 1).await;
    java_produce(
        &url,
        &t2,
        &[
            "--format",
            "protobuf",
            "--schema-file",
            &path("proto/events/v1/user_event.proto"),
            "--proto-path",
            &path("proto"),
            "--message",
            "events.v1.UserEvent",
        ],
        &[proto_to_java(&common::proto_full())],
    );
    let got: Vec<pb_v2::UserEvent> = rust_consume(&reg, &t2, 1).await;
    assert_eq!(
        got,
        [common::proto_v2_full("")],
        "channel absent: proto3 default"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evolution_rust_writes_v2_java_reads_with_v1_class() {
    let b = broker();
    let (server, reg) = registry().await;
    let url = server.url().to_string();
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();

    // v2 written; Java's SpecificDatumReader(writer = v2, reader = the v1 generated class)
    // resolves it: Java's resolution drops `channel`.
    let t1 = rand_topic("java-evo-v2");
    create_topic(&b.bootstrap, &t1, 1).await;
    produce_all(&producer, &t1, &[common::avro_v2_full("ios")]).await;
    let got = java_consume(&url, &t1, 1, &["--format", "avro"]);
    assert!(got[0].get("channel").is_none(), "{}", got[0]);
    assert_eq!(avro_from_java::<UserEvent>(&got[0]), common::avro_full());

    // v1 written; Java reads with the v2 schema file as reader: `channel` gets its default.
    let t2 = rand_topic("java-evo-v1");
    create_topic(&b.bootstrap, &t2, 1).await;
    produce_all(&producer, &t2, &[common::avro_full()]).await;
    let (v2, address) = (
        path("schemas/evolution/user_event.avsc"),
        path("schemas/address.avsc"),
    );
    let got = java_consume(
        &url,
        &t2,
        1,
        &[
            "--format",
            "avro",
            "--reader-schema",
            &v2,
            "--ref",
            &address,
        ],
    );
    assert_eq!(got[0]["channel"], json!("web"));
    assert_eq!(
        avro_from_java::<avro_v2::UserEvent>(&got[0]),
        common::avro_v2_full("web")
    );
    server.stop().await.unwrap();
}
