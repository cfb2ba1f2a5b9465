//! JSON Schema both ways with Confluent's pinned Python client (confluent-kafka 2.16,
//! `JSONSerializer`/`JSONDeserializer`/`SchemaRegistryClient`, tests/python/json_schema_peer.py)
//! over the test broker and a real HTTP registry:
//!
//! * Python writes → `TypedConsumer` and `schemaflow consume` read the same values;
//! * `TypedProducer` and `schemaflow produce` write → Python reads the same values, and the
//!   frames are byte-identical to the ones Python writes for the same values and id;
//! * a record breaking its schema, written raw, is dead-lettered with the JSON pointer in its
//!   error header;
//! * a schema with a reference registered by either client is read back by the other;
//! * evolution: Python writes v1, we read as v2 (an added optional property), and the reverse.
use crate::common;
use crate::json_schema_sample::{self as sample, UserEvent};

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::python::python;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message as _};
use schemaflow::codec::{FromFrame, RegistryCodec, WriterSchema};
use schemaflow::consumer::{ConsumerConfig, DeadLetter, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::schemas::{register_generated, SchemaResolver};
use schemaflow::wire::SchemaId;
use schemaflow::{GeneratedReference, GeneratedSchema, SchemaType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const PEER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/python/json_schema_peer.py"
);
const USER_EVENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/json/user_event.json");
const ADDRESS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/json/address.json");

/// Run the Python peer; its stdout's JSON lines.
fn peer(args: &[&str], stdin: Option<String>) -> Vec<Value> {
    use std::io::Write;
    let mut child = Command::new(python())
        .arg(PEER)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the Python peer");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("the Python peer");
    assert!(
        out.status.success(),
        "json_schema_peer.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::cli::json_lines(&String::from_utf8_lossy(&out.stdout))
}

async fn peer_async(args: Vec<String>, stdin: Option<String>) -> Vec<Value> {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        peer(&args, stdin)
    })
    .await
    .expect("peer thread")
}

fn lines<T: Serialize>(values: &[T]) -> String {
    values
        .iter()
        .map(|v| serde_json::to_string(v).expect("JSON") + "\n")
        .collect()
}

/// Consume `n` values of `topic` with a `TypedConsumer<V>`.
async fn typed_consume<V: FromFrame>(
    registry: schemaflow::registry::CachedRegistry,
    topic: &str,
    n: usize,
) -> Vec<V> {
    let consumer = TypedConsumer::<V>::new(
        ConsumerConfig::new(&broker().bootstrap, rand_topic("g"), &[topic]),
        registry,
    )
    .expect("consumer");
    let got = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(tokio::sync::Notify::new());
    tokio::time::timeout(
        Duration::from_secs(60),
        consumer.run(
            {
                let (got, done) = (got.clone(), done.clone());
                move |m: Message<V>| {
                    let mut g = got.lock().expect("lock");
                    g.extend(m.value);
                    if g.len() == n {
                        done.notify_one();
                    }
                    async { Ok::<(), HandlerError>(()) }
                }
            },
            done.notified(),
        ),
    )
    .await
    .expect("within 60 s")
    .expect("consumer run");
    let got = got.lock().expect("lock").clone();
    got
}

fn hexes(out: &[Value]) -> Vec<String> {
    out.iter()
        .map(|o| o["hex"].as_str().expect("hex").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn python_json_serializer_is_read_by_typed_consumer_and_cli() {
    let (server, registry) = common::services::registry().await;
    let topic = rand_topic("t-json-from-py");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let values = vec![sample::full(), sample::minimal()];
    let written = peer_async(
        vec![
            "produce".into(),
            broker().bootstrap.clone(),
            server.url().to_string(),
            topic.clone(),
            USER_EVENT.into(),
            format!("address.json={ADDRESS}"),
        ],
        Some(lines(&values)),
    )
    .await;
    assert_eq!(written.len(), 2);

    // Python's frames are ours for the same values and id.
    let id = schemaflow::wire::read_header(&hex::decode(hexes(&written)[0].as_str()).expect("hex"))
        .expect("frame")
        .0;
    for (v, h) in values.iter().zip(hexes(&written)) {
        let mut ours = Vec::new();
        v.encode_frame(id, &mut ours).expect("encode");
        assert_eq!(hex::encode(ours), h);
    }

    let got: Vec<UserEvent> = typed_consume(registry.clone(), &topic, 2).await;
    assert_eq!(got, values);

    let out = common::cli::run(
        server.url(),
        &[
            "consume",
            "--topic",
            &topic,
            "--from-beginning",
            "--max-messages",
            "2",
        ],
        None,
    )
    .await;
    let printed = common::cli::json_lines(&common::cli::ok(&out));
    let expected: Vec<Value> = values
        .iter()
        .map(|v| serde_json::to_value(v).expect("value"))
        .collect();
    assert_eq!(printed, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_producer_and_cli_frames_are_pythons_and_python_reads_them() {
    let (server, registry) = common::services::registry().await;
    let values = vec![sample::full(), sample::minimal()];

    // What Python writes for these values (and so which id the schema has).
    let py_topic = rand_topic("t-json-py-ref");
    create_topic(&broker().bootstrap, &py_topic, 1).await;
    let python_frames = hexes(
        &peer_async(
            vec![
                "produce".into(),
                broker().bootstrap.clone(),
                server.url().to_string(),
                py_topic.clone(),
                USER_EVENT.into(),
                format!("address.json={ADDRESS}"),
            ],
            Some(lines(&values)),
        )
        .await,
    );

    // TypedProducer (auto-registers the same schema with its reference: the same id).
    let topic = rand_topic("t-json-to-py");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let producer = TypedProducer::new(ProducerConfig::new(&broker().bootstrap), registry.clone())
        .expect("producer");
    for v in &values {
        producer
            .send(Record::to(&topic).value(v))
            .await
            .expect("send");
    }
    let read = peer_async(
        vec![
            "consume".into(),
            broker().bootstrap.clone(),
            server.url().to_string(),
            topic.clone(),
            "2".into(),
        ],
        None,
    )
    .await;
    assert_eq!(hexes(&read), python_frames, "TypedProducer's frames");
    for (r, v) in read.iter().zip(&values) {
        assert_eq!(r["value"], serde_json::to_value(v).expect("value"));
    }

    // `schemaflow produce --schema-type json`, lines with the keys in another order and
    // spacing: the frame is still Python's (Python, too, keeps the order it reads).
    let cli_topic = rand_topic("t-json-cli-to-py");
    create_topic(&broker().bootstrap, &cli_topic, 1).await;
    let input: String = values
        .iter()
        .map(|v| {
            serde_json::to_string_pretty(v)
                .expect("JSON")
                .replace('\n', " ")
                + "\n"
        })
        .collect();
    let out = common::cli::run(
        server.url(),
        &[
            "produce",
            "--topic",
            &cli_topic,
            "--schema-type",
            "json",
            "--schema-file",
            USER_EVENT,
            "--reference",
            "address.json=address.json:1",
        ],
        Some(&input),
    )
    .await;
    common::cli::ok(&out);
    let read = peer_async(
        vec![
            "consume".into(),
            broker().bootstrap.clone(),
            server.url().to_string(),
            cli_topic.clone(),
            "2".into(),
        ],
        None,
    )
    .await;
    assert_eq!(hexes(&read), python_frames, "schemaflow produce's frames");

    // A line breaking the schema: refused with its pointer, nothing written for it.
    let mut bad = serde_json::to_value(sample::minimal()).expect("value");
    bad["device"]["platform"] = Value::from(7);
    let out = common::cli::run(
        server.url(),
        &[
            "produce",
            "--topic",
            &cli_topic,
            "--schema-type",
            "json",
            "--subject",
            &format!("{cli_topic}-value"),
        ],
        Some(&format!("{bad}\n")),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", common::cli::stderr(&out));
    assert!(
        common::cli::stderr(&out).contains("/device/platform"),
        "{}",
        common::cli::stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_breaking_its_schema_is_dead_lettered_with_the_pointer() {
    let (server, registry) = common::services::registry().await;
    let topic = rand_topic("t-json-poison");
    let dlq = format!("{topic}.dlq");
    create_topic(&broker().bootstrap, &topic, 1).await;
    create_topic(&broker().bootstrap, &dlq, 1).await;
    let id = register_generated::<UserEvent>(&registry, &format!("{topic}-value"), false)
        .await
        .expect("register");
    // A good record, then one whose action is not in the enum, written raw by Python.
    let mut good = Vec::new();
    sample::full().encode_frame(id, &mut good).expect("encode");
    let mut poison_value = serde_json::to_value(sample::minimal()).expect("value");
    poison_value["action"] = Value::from("JUMP");
    let mut poison = Vec::new();
    schemaflow::wire::write_header(id, &mut poison);
    poison.extend_from_slice(poison_value.to_string().as_bytes());
    for frame in [&poison, &good] {
        peer_async(
            vec![
                "produce-raw".into(),
                broker().bootstrap.clone(),
                topic.clone(),
                hex::encode(frame),
            ],
            None,
        )
        .await;
    }

    let mut config = ConsumerConfig::new(&broker().bootstrap, rand_topic("g"), &[&topic]);
    config.dead_letter = DeadLetter::Topic(dlq.clone());
    let consumer = TypedConsumer::<UserEvent>::new(config, registry.clone()).expect("consumer");
    let got = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(tokio::sync::Notify::new());
    let stats = tokio::time::timeout(
        Duration::from_secs(60),
        consumer.run(
            {
                let (got, done) = (got.clone(), done.clone());
                move |m: Message<UserEvent>| {
                    got.lock().expect("lock").extend(m.value);
                    done.notify_one();
                    async { Ok::<(), HandlerError>(()) }
                }
            },
            done.notified(),
        ),
    )
    .await
    .expect("within 60 s")
    .expect("run");
    assert_eq!(*got.lock().expect("lock"), vec![sample::full()]);
    assert_eq!(stats.dead_lettered, 1, "{stats:?}");

    // The dead letter: the original bytes, and the error with the pointer and keyword.
    let raw: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("raw"))
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("raw consumer");
    raw.subscribe(&[&dlq]).expect("subscribe");
    let letter = loop {
        if let Some(m) = raw.poll(Duration::from_secs(10)) {
            break m.expect("message").detach();
        }
    };
    assert_eq!(letter.payload(), Some(&poison[..]));
    let headers = letter.headers().expect("headers");
    let message = headers
        .iter()
        .find(|h| h.key == "__connect.errors.exception.message")
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .expect("error message header");
    assert!(message.contains("at /action: keyword enum"), "{message}");

    // Turned off, the same record is read (serde takes any string for `action`).
    let mut config = ConsumerConfig::new(&broker().bootstrap, rand_topic("g"), &[&topic]);
    config.validate = false;
    let consumer = TypedConsumer::<UserEvent>::new(config, registry).expect("consumer");
    let got = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(tokio::sync::Notify::new());
    tokio::time::timeout(
        Duration::from_secs(60),
        consumer.run(
            {
                let (got, done) = (got.clone(), done.clone());
                move |m: Message<UserEvent>| {
                    let mut g = got.lock().expect("lock");
                    g.extend(m.value);
                    if g.len() == 2 {
                        done.notify_one();
                    }
                    async { Ok::<(), HandlerError>(()) }
                }
            },
            done.notified(),
        ),
    )
    .await
    .expect("within 60 s")
    .expect("run");
    assert_eq!(got.lock().expect("lock")[0].action, "JUMP");
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn schemas_with_references_registered_by_either_client_are_read_by_the_other() {
    let (server, registry) = common::services::registry().await;
    // Python registers address.json and a schema referencing it by name.
    let subject = rand_topic("py-registered-value");
    let addr = peer_async(
        vec![
            "register".into(),
            server.url().to_string(),
            "address.json".into(),
            ADDRESS.into(),
        ],
        None,
    )
    .await;
    assert!(addr[0]["id"].as_u64().is_some());
    let id = peer_async(
        vec![
            "register".into(),
            server.url().to_string(),
            subject.clone(),
            USER_EVENT.into(),
            "address.json=address.json:1".into(),
        ],
        None,
    )
    .await[0]["id"]
        .as_u64()
        .expect("id") as u32;
    // Ours fetches it with its reference and decodes (and validates) with it.
    let writer = SchemaResolver::new(registry.clone())
        .writer_schema(SchemaId(id))
        .await
        .expect("writer schema");
    let WriterSchema::Json(json) = &writer else {
        panic!("expected a JSON Schema, got {writer:?}")
    };
    assert_eq!(json.schema().references().len(), 1);
    assert_eq!(json.schema().references()[0].0, "address.json");
    let mut frame = Vec::new();
    sample::full()
        .encode_frame(SchemaId(id), &mut frame)
        .expect("encode");
    assert_eq!(
        UserEvent::decode_frame(&frame, &writer).expect("decode"),
        (SchemaId(id), sample::full())
    );
    let mut bad = sample::full();
    if let Some(a) = bad.shipping_address.as_mut() {
        a.country_code = "usa".into(); // breaks address.json's pattern
    }
    let mut bad_frame = Vec::new();
    schemaflow::codec::json_schema::with_validation(false, || {
        bad.encode_frame(SchemaId(id), &mut bad_frame)
    })
    .expect("unchecked");
    assert!(UserEvent::decode_frame(&bad_frame, &writer).is_err());

    // Ours registers (references first, by name); Python reads the schema and its reference.
    let ours =
        register_generated::<UserEvent>(&registry, &rand_topic("rs-registered-value"), false)
            .await
            .expect("register");
    let got = peer_async(
        vec!["get".into(), server.url().to_string(), ours.0.to_string()],
        None,
    )
    .await;
    assert_eq!(got[0]["schema_type"], "JSON");
    // The text as Confluent serves it: its canonical string (compact JSON, keys as written),
    // the same schema as ours (issue 28).
    let text = got[0]["schema_str"].as_str().expect("schema_str");
    assert!(!text.contains('\n'), "canonical: compact: {text}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(text).expect("JSON"),
        serde_json::from_str::<serde_json::Value>(UserEvent::SCHEMA_TEXT).expect("JSON")
    );
    assert_eq!(
        got[0]["references"],
        serde_json::json!([{"name": "address.json", "subject": "address.json", "version": 1}])
    );
}

/// Profile v1 (an open content model) and v2 (an optional `email` added).
const PROFILE_V1: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Profile","type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"}},"required":["id","name"]}"#;
const PROFILE_V2: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Profile","type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"email":{"type":"string"}},"required":["id","name"]}"#;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ProfileV2 {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

impl GeneratedSchema for ProfileV2 {
    const SCHEMA_TYPE: SchemaType = SchemaType::Json;
    const FULL_NAME: &'static str = "Profile";
    const SCHEMA_TEXT: &'static str = PROFILE_V2;
    const FILE: &'static str = "json/profile.json";
    const REFERENCES: &'static [GeneratedReference] = &[];
    const MESSAGE_INDEXES: &'static [i32] = &[];
}

impl RegistryCodec for ProfileV2 {
    fn encode_frame(&self, id: SchemaId, buf: &mut Vec<u8>) -> schemaflow::codec::Result<()> {
        schemaflow::codec::json_schema::encode_frame(self, id, buf)
    }
    fn decode_frame(
        frame: &[u8],
        writer: &WriterSchema,
    ) -> schemaflow::codec::Result<(SchemaId, Self)> {
        schemaflow::codec::json_schema::decode_frame(frame, writer)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn evolution_across_languages_v1_to_v2_and_back() {
    let (server, registry) = common::services::registry().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let v1_file = dir.path().join("profile_v1.json");
    std::fs::write(&v1_file, PROFILE_V1).expect("write v1");
    let v1_file = v1_file.to_string_lossy().into_owned();

    // Python writes v1; we read it as v2: `email` absent.
    let topic = rand_topic("t-json-v1");
    create_topic(&broker().bootstrap, &topic, 1).await;
    peer_async(
        vec![
            "produce".into(),
            broker().bootstrap.clone(),
            server.url().to_string(),
            topic.clone(),
            v1_file.clone(),
        ],
        Some("{\"id\":\"p1\",\"name\":\"Ada\"}\n".into()),
    )
    .await;
    let got: Vec<ProfileV2> = typed_consume(registry.clone(), &topic, 1).await;
    assert_eq!(
        got,
        vec![ProfileV2 {
            id: "p1".into(),
            name: "Ada".into(),
            email: None
        }]
    );

    // We write v2 (with email); Python reads it with v1 as its reader schema.
    let topic = rand_topic("t-json-v2");
    create_topic(&broker().bootstrap, &topic, 1).await;
    let producer =
        TypedProducer::new(ProducerConfig::new(&broker().bootstrap), registry).expect("producer");
    let v2 = ProfileV2 {
        id: "p2".into(),
        name: "Grace".into(),
        email: Some("grace@example.com".into()),
    };
    producer
        .send(Record::to(&topic).value(&v2))
        .await
        .expect("send");
    let read = peer_async(
        vec![
            "consume".into(),
            broker().bootstrap.clone(),
            server.url().to_string(),
            topic.clone(),
            "1".into(),
            v1_file,
        ],
        None,
    )
    .await;
    assert_eq!(
        read[0]["value"],
        serde_json::json!({"id": "p2", "name": "Grace", "email": "grace@example.com"})
    );
}
