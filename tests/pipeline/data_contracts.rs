//! Data-contract rules in the typed producer and consumer, through a real broker and the
//! embedded registry: a CEL condition refusing records on produce, a READ condition sending
//! records to the dead-letter topic with Confluent's `__rule.*` headers, a disabled rule
//! ignored, a rule that does not compile stopping a producer before it sends anything, and
//! `CEL_FIELD` rules on the fields the metadata tags (a transform masking them, a condition
//! refusing a record) — on Avro, Protobuf and JSON Schema values —, and JSONata migration rules making a breaking change safe (v1 and v2
//! in separate compatibility groups, consumers on either version reading both).
use crate::common;

use std::time::Duration;

use common::broker::{broker, create_topic, rand_topic};
use common::samples::avro::user_event::UserEvent;
use common::services::{registry, registry_unchecked};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message as _};
use schemaflow::codec::avro::AvroSchema;
use schemaflow::codec::json::{json_to_avro_frame, AvroJsonForm};
use schemaflow::codec::FromFrame;
use schemaflow::consumer::{ConsumerConfig, DeadLetter, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, SchemaIdSource, TypedProducer};
use schemaflow::registry::schemas::generated_schema;
use schemaflow::registry::{
    register_generated, CachedRegistry, Metadata, ReaderVersion, Rule, RuleKind, RuleMode, RuleSet,
    Schema,
};
use schemaflow::rules::{Action, RuleError};
use schemaflow::wire::SchemaId;
use schemaflow::SchemaType;
use serde_json::json;

fn event(user: &str) -> UserEvent {
    let mut e = common::avro_full();
    e.user_id = user.to_string();
    e
}

fn cel(name: &str, mode: RuleMode, expr: &str) -> Rule {
    Rule {
        name: Some(name.into()),
        kind: RuleKind::Condition,
        mode,
        rule_type: Some("CEL".into()),
        expr: Some(expr.into()),
        ..Rule::default()
    }
}

/// Register `UserEvent` under `<topic>-value` with `rules` (a version of its own, after the
/// plain one that registers its references): its id.
async fn register_with_rules(reg: &CachedRegistry, topic: &str, rules: Vec<Rule>) -> SchemaId {
    register_with_contract(reg, topic, None, rules).await
}

/// [`register_with_rules`] with `metadata` too.
async fn register_with_contract(
    reg: &CachedRegistry,
    topic: &str,
    metadata: Option<Metadata>,
    rules: Vec<Rule>,
) -> SchemaId {
    register_type_with_contract::<UserEvent>(reg, topic, metadata, rules).await
}

/// [`register_with_contract`] for the generated type `T` (Avro, Protobuf or JSON Schema).
async fn register_type_with_contract<T: schemaflow::GeneratedSchema>(
    reg: &CachedRegistry,
    topic: &str,
    metadata: Option<Metadata>,
    rules: Vec<Rule>,
) -> SchemaId {
    let subject = format!("{topic}-value");
    register_generated::<T>(reg, &subject, false).await.unwrap();
    let schema = generated_schema::<T>(reg, false).await.unwrap();
    let set = RuleSet {
        domain_rules: rules,
        ..RuleSet::default()
    };
    reg.client()
        .register_with_contract(&subject, &schema, metadata, Some(set), false)
        .await
        .unwrap()
        .0
}

/// A producer writing with the subject's latest version (the one with the rules), as Python's
/// serializer does with `use.latest.version`.
fn latest_producer(reg: &CachedRegistry) -> TypedProducer {
    TypedProducer::new(
        ProducerConfig::new(&broker().bootstrap).schema_ids(SchemaIdSource::UseLatest),
        reg.clone(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cel_condition_refuses_a_record_on_produce_and_lets_good_ones_through() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("rule-write");
    create_topic(&b.bootstrap, &topic, 1).await;
    let disabled = Rule {
        disabled: true,
        ..cel("never", RuleMode::Write, "false")
    };
    register_with_rules(
        &reg,
        &topic,
        vec![
            cel(
                "known_user",
                RuleMode::Write,
                "message.user_id.startsWith('user-')",
            ),
            disabled,
        ],
    )
    .await;
    let producer = latest_producer(&reg);
    producer
        .send(Record::to(&topic).value(&event("user-1")))
        .await
        .unwrap();
    let refused = producer
        .send(Record::to(&topic).value(&event("intruder")))
        .await
        .unwrap_err();
    match &refused {
        schemaflow::Error::Rule(RuleError::Failed(f)) => {
            assert_eq!(f.rule, "known_user");
            assert_eq!(f.mode, "WRITE");
            assert_eq!(f.subject, format!("{topic}-value"));
            assert_eq!(
                f.exception,
                "Rule expr failed: message.user_id.startsWith('user-')"
            );
            assert_eq!(f.action, Action::Error);
        }
        other => panic!("not a rule failure: {other}"),
    }
    assert_eq!(refused.fault(), schemaflow::Fault::Record);
    producer
        .send(Record::to(&topic).value(&event("user-2")))
        .await
        .unwrap();

    // Only the two good records reached the topic.
    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let got = consume(consumer, 2).await;
    let users: Vec<String> = got
        .iter()
        .map(|m| m.value.as_ref().unwrap().user_id.clone())
        .collect();
    assert_eq!(users, ["user-1", "user-2"]);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_failing_a_read_rule_goes_to_the_dlq_with_rule_headers() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("rule-read");
    let dlq = format!("{topic}.dlq");
    create_topic(&b.bootstrap, &topic, 1).await;
    let id = register_with_rules(
        &reg,
        &topic,
        vec![Rule {
            on_failure: Some("DLQ".into()),
            ..cel(
                "known_user",
                RuleMode::Read,
                "message.user_id.startsWith('user-')",
            )
        }],
    )
    .await;
    // The READ rule does not run on write: all five are sent.
    let producer = latest_producer(&reg);
    let users = ["user-0", "bad-1", "user-2", "bad-3", "user-4"];
    for u in users {
        producer
            .send(Record::to(&topic).key(u.as_bytes()).value(&event(u)))
            .await
            .unwrap();
    }

    let mut cfg = ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]);
    cfg.dead_letter = DeadLetter::PerTopic;
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let (got, stats) = consume_with_stats(consumer, 3).await;
    let handled: Vec<String> = got
        .iter()
        .map(|m| m.value.as_ref().unwrap().user_id.clone())
        .collect();
    assert_eq!(handled, ["user-0", "user-2", "user-4"]);
    assert_eq!(
        stats.dead_lettered, 2,
        "nothing lost: 3 handled + 2 dead letters"
    );

    let c = raw_reader(&dlq);
    for expected in ["bad-1", "bad-3"] {
        let m = tokio::time::timeout(Duration::from_secs(30), c.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.key(), Some(expected.as_bytes()));
        // The original bytes, as Python's DLQ action sends them on read.
        let (frame_id, _) = schemaflow::wire::read_header(m.payload().unwrap()).unwrap();
        assert_eq!(frame_id, id);
        let h = m.headers().unwrap();
        let get = |k: &str| header(h, k);
        assert_eq!(get("__rule.name").as_deref(), Some("known_user"));
        assert_eq!(get("__rule.mode").as_deref(), Some("READ"));
        assert_eq!(get("__rule.subject"), Some(format!("{topic}-value")));
        assert_eq!(get("__rule.topic"), Some(topic.clone()));
        assert_eq!(
            get("__rule.exception").as_deref(),
            Some("Rule expr failed: message.user_id.startsWith('user-')")
        );
        assert_eq!(
            get("__connect.errors.exception.class.name").as_deref(),
            Some("RuleError")
        );
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_that_does_not_compile_stops_the_producer_before_it_sends() {
    // Our registry refuses such a rule set; Confluent's (and this one told not to) keeps it.
    let (server, reg) = registry_unchecked().await;
    let topic = rand_topic("rule-bad");
    register_with_rules(
        &reg,
        &topic,
        vec![cel("broken", RuleMode::Write, "message.user_id ==")],
    )
    .await;
    let producer = latest_producer(&reg);
    let e = producer.preload::<UserEvent>(&topic).await.unwrap_err();
    match &e {
        schemaflow::Error::Rule(RuleError::Invalid { rule, schema, .. }) => {
            assert_eq!(rule, "broken");
            assert_eq!(schema, &format!("subject {topic}-value"));
        }
        other => panic!("not an invalid rule: {other}"),
    }
    assert_eq!(e.fault(), schemaflow::Fault::Fatal);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_rule_that_does_not_compile_stops_the_consumer_at_its_first_record() {
    let b = broker();
    // Our registry refuses such a rule set; Confluent's (and this one told not to) keeps it.
    let (server, reg) = registry_unchecked().await;
    let topic = rand_topic("rule-bad-read");
    create_topic(&b.bootstrap, &topic, 1).await;
    register_with_rules(
        &reg,
        &topic,
        vec![cel("broken", RuleMode::Read, "message.user_id ==")],
    )
    .await;
    // A READ rule is not compiled on write: the record is sent.
    latest_producer(&reg)
        .send(Record::to(&topic).value(&event("user-1")))
        .await
        .unwrap();
    let mut cfg = ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]);
    cfg.dead_letter = DeadLetter::PerTopic;
    let consumer = TypedConsumer::<UserEvent>::new(cfg, reg.clone()).unwrap();
    let stopped = consumer
        .run(
            |_m: Message<UserEvent>| async { Ok::<(), HandlerError>(()) },
            tokio::time::sleep(Duration::from_secs(60)),
        )
        .await
        .unwrap_err();
    // Stopped with the contract's error, holding the record: not dead-lettered, not handled.
    let schemaflow::Error::Environment { source, offset, .. } = &stopped else {
        panic!("not a stop at the record: {stopped}");
    };
    assert_eq!(*offset, 0);
    assert!(
        matches!(&**source, schemaflow::Error::Rule(RuleError::Invalid { rule, .. }) if rule == "broken"),
        "{stopped}"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cel_field_rules_mask_and_check_the_fields_the_metadata_tags() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("rule-field");
    create_topic(&b.bootstrap, &topic, 1).await;
    // Tags by path: a field of the referenced Address (inside a union), a nullable field of
    // the event itself, and the user id.
    let mut metadata = Metadata::default();
    metadata
        .tags
        .insert("**.Address.street".into(), ["PII".to_string()].into());
    metadata.tags.insert(
        "com.example.events.UserEvent.session_id".into(),
        ["PII".to_string()].into(),
    );
    metadata
        .tags
        .insert("**.user_id".into(), ["ID".to_string()].into());
    let field = |name: &str, kind: RuleKind, tag: &str, expr: &str| Rule {
        name: Some(name.into()),
        kind,
        mode: RuleMode::Write,
        rule_type: Some("CEL_FIELD".into()),
        tags: [tag.to_string()].into(),
        expr: Some(expr.into()),
        ..Rule::default()
    };
    register_with_contract(
        &reg,
        &topic,
        Some(metadata),
        vec![
            field(
                "mask_pii",
                RuleKind::Transform,
                "PII",
                "typeName == 'STRING' ; 'XXX-' + name",
            ),
            field(
                "known_user",
                RuleKind::Condition,
                "ID",
                "value.startsWith('user-')",
            ),
        ],
    )
    .await;
    let producer = latest_producer(&reg);
    producer
        .send(Record::to(&topic).value(&event("user-1")))
        .await
        .unwrap();
    match producer
        .send(Record::to(&topic).value(&event("intruder")))
        .await
    {
        Err(schemaflow::Error::Rule(RuleError::Failed(f))) => {
            assert_eq!(f.rule, "known_user");
            assert_eq!(f.exception, "Rule expr failed: value.startsWith('user-')");
        }
        other => panic!("the ID condition did not refuse the record: {other:?}"),
    }
    // A record with no session and no address: nothing to mask there, and it passes.
    let mut bare = event("user-2");
    bare.session_id = None;
    bare.shipping_address = None;
    producer
        .send(Record::to(&topic).value(&bare))
        .await
        .unwrap();

    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let got = consume(consumer, 2).await;
    let first = got[0].value.as_ref().unwrap();
    let mut expected = event("user-1");
    expected.session_id = Some("XXX-session_id".into());
    if let Some(a) = expected.shipping_address.as_mut() {
        a.street = "XXX-street".into();
    }
    // Only the tagged fields changed: city, tags, attributes, device are as sent.
    assert_eq!(first, &expected);
    assert_eq!(got[1].value.as_ref().unwrap(), &bare);
    server.stop().await.unwrap();
}

/// The masking and checking rules of the `CEL_FIELD` tests, and metadata tagging `paths`
/// (`PII`) and `id_path` (`ID`).
fn field_contract(paths: &[&str], id_path: &str) -> (Metadata, Vec<Rule>) {
    let mut metadata = Metadata::default();
    for p in paths {
        metadata
            .tags
            .insert(p.to_string(), ["PII".to_string()].into());
    }
    metadata
        .tags
        .insert(id_path.into(), ["ID".to_string()].into());
    let field = |name: &str, kind: RuleKind, tag: &str, expr: &str| Rule {
        name: Some(name.into()),
        kind,
        mode: RuleMode::Write,
        rule_type: Some("CEL_FIELD".into()),
        tags: [tag.to_string()].into(),
        expr: Some(expr.into()),
        ..Rule::default()
    };
    let rules = vec![
        field(
            "mask_pii",
            RuleKind::Transform,
            "PII",
            "typeName == 'STRING' ; 'XXX-' + name",
        ),
        field(
            "known_user",
            RuleKind::Condition,
            "ID",
            "value.startsWith('user-')",
        ),
    ];
    (metadata, rules)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cel_field_rules_on_protobuf_mask_and_check_the_tagged_fields() {
    use common::samples::proto::events::v1 as pb;
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("rule-field-pb");
    create_topic(&b.bootstrap, &topic, 1).await;
    // `street` of the imported Address (in common.proto), the optional session id, the user id.
    let (metadata, rules) = field_contract(
        &["**.Address.street", "events.v1.UserEvent.session_id"],
        "events.v1.UserEvent.user_id",
    );
    register_type_with_contract::<pb::UserEvent>(&reg, &topic, Some(metadata), rules).await;
    let producer = latest_producer(&reg);
    let event = |user: &str| pb::UserEvent {
        user_id: user.into(),
        ..common::proto_full()
    };
    producer
        .send(Record::to(&topic).value(&event("user-1")))
        .await
        .unwrap();
    match producer
        .send(Record::to(&topic).value(&event("intruder")))
        .await
    {
        Err(schemaflow::Error::Rule(RuleError::Failed(f))) => {
            assert_eq!(f.rule, "known_user");
            assert_eq!(f.exception, "Rule expr failed: value.startsWith('user-')");
        }
        other => panic!("the ID condition did not refuse the record: {other:?}"),
    }
    // No session, no address: nothing to mask there, and it passes.
    let bare = pb::UserEvent {
        session_id: None,
        shipping_address: None,
        ..event("user-2")
    };
    producer
        .send(Record::to(&topic).value(&bare))
        .await
        .unwrap();

    let consumer = TypedConsumer::<pb::UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let got = consume(consumer, 2).await;
    let mut expected = event("user-1");
    expected.session_id = Some("XXX-session_id".into());
    if let Some(a) = expected.shipping_address.as_mut() {
        a.street = "XXX-street".into();
    }
    // Only the tagged fields changed: the city, tags, attributes, items, timestamp as sent.
    assert_eq!(got[0].value.as_ref().unwrap(), &expected);
    assert_eq!(got[1].value.as_ref().unwrap(), &bare);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cel_field_rules_on_json_schema_mask_and_check_the_tagged_fields() {
    use common::samples::json::address::Address;
    use common::samples::json::user_event::{Device, UserEvent, UserEventAction};
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("rule-field-json");
    create_topic(&b.bootstrap, &topic, 1).await;
    // `street` of the referenced address.json (through a oneOf and a $ref to another
    // document), the nullable session id, the user id.
    let (metadata, rules) =
        field_contract(&["$.shipping_address.street", "$.session_id"], "$.user_id");
    register_type_with_contract::<UserEvent>(&reg, &topic, Some(metadata), rules).await;
    let event = |user: &str| UserEvent {
        event_id: "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d".into(),
        user_id: user.into(),
        action: UserEventAction::Purchase,
        occurred_at: "2023-11-14T22:13:20.123Z".into(),
        amount: "12.34".into(),
        session_id: Some("sess-1".into()),
        device: Device {
            platform: "ios".into(),
            app_version: Some("17.1".into()),
        },
        shipping_address: Some(Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
            country_code: "US".into(),
        }),
        tags: vec!["new".into()],
        attributes: [("campaign".to_string(), "fall".to_string())].into(),
    };
    let producer = latest_producer(&reg);
    producer
        .send(Record::to(&topic).value(&event("user-1")))
        .await
        .unwrap();
    match producer
        .send(Record::to(&topic).value(&event("intruder")))
        .await
    {
        Err(schemaflow::Error::Rule(RuleError::Failed(f))) => {
            assert_eq!(f.rule, "known_user");
            assert_eq!(f.exception, "Rule expr failed: value.startsWith('user-')");
        }
        other => panic!("the ID condition did not refuse the record: {other:?}"),
    }
    let bare = UserEvent {
        session_id: None,
        shipping_address: None,
        ..event("user-2")
    };
    producer
        .send(Record::to(&topic).value(&bare))
        .await
        .unwrap();

    let consumer = TypedConsumer::<UserEvent>::new(
        ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]),
        reg.clone(),
    )
    .unwrap();
    let got = consume(consumer, 2).await;
    let mut expected = event("user-1");
    expected.session_id = Some("XXX-session_id".into());
    if let Some(a) = expected.shipping_address.as_mut() {
        a.street = "XXX-street".into();
    }
    assert_eq!(got[0].value.as_ref().unwrap(), &expected);
    assert_eq!(got[1].value.as_ref().unwrap(), &bare);
    server.stop().await.unwrap();
}

async fn consume<V: FromFrame>(consumer: TypedConsumer<V>, expected: usize) -> Vec<Message<V>> {
    consume_with_stats(consumer, expected).await.0
}

/// Run `consumer` until `expected` records were handled.
async fn consume_with_stats<V: FromFrame>(
    consumer: TypedConsumer<V>,
    expected: usize,
) -> (Vec<Message<V>>, schemaflow::consumer::ConsumerStats) {
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(tokio::sync::Notify::new());
    let (s, d) = (seen.clone(), done.clone());
    let stats = consumer
        .run(
            move |m: Message<V>| {
                let (s, d) = (s.clone(), d.clone());
                async move {
                    let mut v = s.lock().unwrap();
                    v.push(m);
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
    (v, stats)
}

const CUSTOMER_V1: &str = r#"{"type": "record", "name": "Customer", "namespace": "com.acme",
  "fields": [{"name": "name", "type": "string"}, {"name": "ssn", "type": "string"}]}"#;
const CUSTOMER_V2: &str = r#"{"type": "record", "name": "Customer", "namespace": "com.acme",
  "fields": [{"name": "name", "type": "string"},
             {"name": "socialSecurityNumber", "type": "string"}]}"#;

/// A migration rule of Confluent's data-contracts walk-through: rename `from` to `to`.
fn rename(name: &str, mode: RuleMode, from: &str, to: &str) -> Rule {
    Rule {
        name: Some(name.into()),
        kind: RuleKind::Transform,
        mode,
        rule_type: Some("JSONATA".into()),
        expr: Some(format!(
            "$merge([$sift($, function($v, $k) {{$k != '{from}'}}), {{'{to}': $.'{from}'}}])"
        )),
        ..Rule::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonata_migrations_make_a_breaking_change_safe_both_ways() {
    let b = broker();
    let (server, reg) = registry().await;
    let topic = rand_topic("migrate");
    let subject = format!("{topic}-value");
    create_topic(&b.bootstrap, &topic, 1).await;
    // Versions are compatible within their major version only.
    let config = reqwest::Client::new()
        .put(format!("{}/config/{subject}", server.url()))
        .json(&json!({"compatibilityGroup": "major_version"}))
        .send()
        .await
        .unwrap();
    assert!(config.status().is_success(), "{config:?}");
    let major = |v: &str| Metadata {
        properties: [("major_version".to_string(), v.to_string())].into(),
        ..Metadata::default()
    };
    let avro = |text: &str| Schema {
        schema: text.to_string(),
        schema_type: SchemaType::Avro,
        references: vec![],
    };
    let (v1, _) = reg
        .client()
        .register_with_contract(&subject, &avro(CUSTOMER_V1), Some(major("1")), None, false)
        .await
        .unwrap();
    // `ssn` renamed: breaking — refused within major version 1 …
    assert!(reg
        .client()
        .register_with_contract(&subject, &avro(CUSTOMER_V2), Some(major("1")), None, false)
        .await
        .is_err());
    // … and accepted as the start of major version 2, with its migrations.
    let rules = RuleSet {
        migration_rules: vec![
            rename("to_v2", RuleMode::Upgrade, "ssn", "socialSecurityNumber"),
            rename("to_v1", RuleMode::Downgrade, "socialSecurityNumber", "ssn"),
        ],
        ..RuleSet::default()
    };
    let (v2, _) = reg
        .client()
        .register_with_contract(
            &subject,
            &avro(CUSTOMER_V2),
            Some(major("2")),
            Some(rules),
            false,
        )
        .await
        .unwrap();
    assert_ne!(v1, v2);

    // One record written with each version.
    let frame = |text: &str, id, value: serde_json::Value| {
        let mut buf = Vec::new();
        let schema = AvroSchema::parse(text, &[]).unwrap();
        json_to_avro_frame(&value, &schema, id, AvroJsonForm::Natural, &mut buf).unwrap();
        buf
    };
    let raw: rdkafka::producer::FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &b.bootstrap)
        .create()
        .unwrap();
    for payload in [
        frame(CUSTOMER_V1, v1, json!({"name": "Ann", "ssn": "111"})),
        frame(
            CUSTOMER_V2,
            v2,
            json!({"name": "Bob", "socialSecurityNumber": "222"}),
        ),
    ] {
        raw.send(
            rdkafka::producer::FutureRecord::<(), _>::to(&topic).payload(&payload),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    }

    let read_as = |reader: ReaderVersion| {
        let mut cfg = ConsumerConfig::new(&b.bootstrap, rand_topic("g"), &[&topic]);
        cfg.reader_version = reader;
        TypedConsumer::<serde_json::Value>::new(cfg, reg.clone()).unwrap()
    };
    let values = |got: Vec<Message<serde_json::Value>>| -> Vec<serde_json::Value> {
        got.into_iter().map(|m| m.value.unwrap()).collect()
    };
    // On v2 (the latest): the v1 record upgraded.
    let on_v2 = values(consume(read_as(ReaderVersion::Latest), 2).await);
    assert_eq!(
        on_v2,
        [
            json!({"name": "Ann", "socialSecurityNumber": "111"}),
            json!({"name": "Bob", "socialSecurityNumber": "222"})
        ]
    );
    // On v1 (the latest of major version 1): the v2 record downgraded.
    let on_v1 = values(
        consume(
            read_as(ReaderVersion::LatestWithMetadata(
                [("major_version".to_string(), "1".to_string())].into(),
            )),
            2,
        )
        .await,
    );
    assert_eq!(
        on_v1,
        [
            json!({"name": "Ann", "ssn": "111"}),
            json!({"name": "Bob", "ssn": "222"})
        ]
    );
    // As written (the default): no migration.
    let as_written = values(consume(read_as(ReaderVersion::Writer), 2).await);
    assert_eq!(
        as_written,
        [
            json!({"name": "Ann", "ssn": "111"}),
            json!({"name": "Bob", "socialSecurityNumber": "222"})
        ]
    );
    server.stop().await.unwrap();
}

/// A plain consumer of `topic` from the beginning (to read dead letters as raw records).
fn raw_reader(topic: &str) -> StreamConsumer {
    let c: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &broker().bootstrap)
        .set("group.id", rand_topic("dlq-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    c
}

/// A header's value as text.
fn header(h: &rdkafka::message::BorrowedHeaders, key: &str) -> Option<String> {
    h.iter()
        .find(|x| x.key == key)
        .and_then(|x| x.value)
        .map(|v| String::from_utf8_lossy(v).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exactly_once_processor_reads_inputs_as_the_reader_version() {
    use common::samples::avro::evolution::user_event as v2;
    use schemaflow::exactly_once::{ExactlyOnceConfig, ExactlyOnceProcessor, Progress};
    const N: usize = 3;
    let b = broker();
    let (server, reg) = registry().await;
    let (input, output) = (rand_topic("eos-migrate-in"), rand_topic("eos-migrate-out"));
    create_topic(&b.bootstrap, &input, 1).await;
    create_topic(&b.bootstrap, &output, 1).await;
    let subject = format!("{input}-value");
    // v1, then v2 (adds `channel`, default "web") whose UPGRADE rule says where it came from.
    register_generated::<UserEvent>(&reg, &subject, false)
        .await
        .unwrap();
    let schema = generated_schema::<v2::UserEvent>(&reg, false)
        .await
        .unwrap();
    let upgrade = Rule {
        name: Some("channel".into()),
        kind: RuleKind::Transform,
        mode: RuleMode::Upgrade,
        rule_type: Some("JSONATA".into()),
        expr: Some("$merge([$, {'channel': 'migrated'}])".into()),
        ..Rule::default()
    };
    let rules = RuleSet {
        migration_rules: vec![upgrade],
        ..RuleSet::default()
    };
    reg.client()
        .register_with_contract(&subject, &schema, None, Some(rules), false)
        .await
        .unwrap();
    // Written as v1.
    let producer = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    for i in 0..N {
        producer
            .send(Record::to(&input).value(&event(&format!("user-{i}"))))
            .await
            .unwrap();
    }
    let cfg = ExactlyOnceConfig::new(
        &b.bootstrap,
        &rand_topic("eos-migrate-group"),
        &input,
        &output,
        &rand_topic("eos-migrate-txn"),
    )
    .reader_version(ReaderVersion::Latest);
    let processor = ExactlyOnceProcessor::<v2::UserEvent, v2::UserEvent>::new(cfg, reg.clone())
        .await
        .unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let (all_in, all_in_rx) = tokio::sync::oneshot::channel::<()>();
    let mut all_in = Some(all_in);
    let run = processor.run_with_progress(
        |e: &v2::UserEvent| {
            seen.lock().unwrap().push(e.channel.clone());
            Ok::<_, String>(vec![e.clone()])
        },
        |p| {
            if let Progress::Committed(s) = p {
                if s.inputs >= N as u64 {
                    if let Some(tx) = all_in.take() {
                        let _ = tx.send(());
                    }
                }
            }
        },
        async {
            let _ = all_in_rx.await;
        },
    );
    let stats = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("every input committed within the wait")
        .unwrap();
    assert_eq!(
        (stats.inputs, stats.dead_lettered),
        (N as u64, 0),
        "{stats:?}"
    );
    // Migrated, not merely resolved (which would give the default, "web").
    assert!(
        seen.lock().unwrap().iter().all(|c| c == "migrated"),
        "{:?}",
        seen.lock().unwrap()
    );
    server.stop().await.unwrap();
}

/// `Customer` v1 (major version 1) and v2 (major version 2, with `migrations`) under
/// `subject`, compared within their major version only: their ids.
async fn customer_versions(
    url: &str,
    reg: &CachedRegistry,
    subject: &str,
    migrations: Vec<Rule>,
) -> (SchemaId, SchemaId) {
    let config = reqwest::Client::new()
        .put(format!("{url}/config/{subject}"))
        .json(&json!({"compatibilityGroup": "major_version"}))
        .send()
        .await
        .unwrap();
    assert!(config.status().is_success(), "{config:?}");
    let major = |v: &str| Metadata {
        properties: [("major_version".to_string(), v.to_string())].into(),
        ..Metadata::default()
    };
    let avro = |text: &str| Schema {
        schema: text.to_string(),
        schema_type: SchemaType::Avro,
        references: vec![],
    };
    let (v1, _) = reg
        .client()
        .register_with_contract(subject, &avro(CUSTOMER_V1), Some(major("1")), None, false)
        .await
        .unwrap();
    let rules = RuleSet {
        migration_rules: migrations,
        ..RuleSet::default()
    };
    let (v2, _) = reg
        .client()
        .register_with_contract(
            subject,
            &avro(CUSTOMER_V2),
            Some(major("2")),
            Some(rules),
            false,
        )
        .await
        .unwrap();
    (v1, v2)
}

/// The group's committed offset of partition 0 of `topic`, as the broker has it.
async fn committed(group: &str, topic: &str) -> Option<i64> {
    let (group, topic) = (group.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let c: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &broker().bootstrap)
            .set("group.id", &group)
            .create()
            .unwrap();
        let mut tpl = rdkafka::TopicPartitionList::new();
        tpl.add_partition(&topic, 0);
        let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
        match got.find_partition(&topic, 0).unwrap().offset() {
            rdkafka::Offset::Offset(o) => Some(o),
            _ => None,
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_that_fails_at_run_time_dead_letters_its_record_and_commits_nothing_past_it() {
    let b = broker();
    let (server, reg) = registry().await;
    // The same upgrade twice: with onFailure DLQ, and with the default (ERROR).
    let (dlq_topic, stop_topic) = (rand_topic("migrate-dlq"), rand_topic("migrate-stop"));
    let mut bob_frame = Vec::new();
    for (topic, on_failure) in [(&dlq_topic, Some("DLQ")), (&stop_topic, None)] {
        create_topic(&b.bootstrap, topic, 1).await;
        // Bob's record makes the expression fail as it runs (a string plus a number); the
        // others are renamed as in Confluent's walk-through.
        let upgrade = Rule {
            on_failure: on_failure.map(str::to_string),
            expr: Some(
                "$.name = 'Bob' ? $.name + 1 : $merge([$sift($, function($v, $k) {$k != 'ssn'}), {'socialSecurityNumber': $.'ssn'}])"
                    .into(),
            ),
            ..rename("to_v2", RuleMode::Upgrade, "ssn", "socialSecurityNumber")
        };
        let (v1, _) =
            customer_versions(server.url(), &reg, &format!("{topic}-value"), vec![upgrade]).await;
        let raw: rdkafka::producer::FutureProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &b.bootstrap)
            .create()
            .unwrap();
        let schema = AvroSchema::parse(CUSTOMER_V1, &[]).unwrap();
        for name in ["Ann", "Bob", "Cid"] {
            let mut frame = Vec::new();
            json_to_avro_frame(
                &json!({"name": name, "ssn": "1"}),
                &schema,
                v1,
                AvroJsonForm::Natural,
                &mut frame,
            )
            .unwrap();
            if name == "Bob" {
                bob_frame = frame.clone();
            }
            raw.send(
                rdkafka::producer::FutureRecord::<str, _>::to(topic)
                    .key(name)
                    .payload(&frame),
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        }
    }

    // onFailure DLQ: Bob goes to the dead-letter topic with Confluent's rule headers, the
    // others are read migrated, and the group commits past all three.
    let group = rand_topic("g");
    let mut cfg = ConsumerConfig::new(&b.bootstrap, &group, &[&dlq_topic]);
    cfg.reader_version = ReaderVersion::Latest;
    cfg.dead_letter = DeadLetter::PerTopic;
    let consumer = TypedConsumer::<serde_json::Value>::new(cfg, reg.clone()).unwrap();
    let (got, stats) = consume_with_stats(consumer, 2).await;
    let values: Vec<serde_json::Value> = got.into_iter().map(|m| m.value.unwrap()).collect();
    assert_eq!(
        values,
        [
            json!({"name": "Ann", "socialSecurityNumber": "1"}),
            json!({"name": "Cid", "socialSecurityNumber": "1"})
        ]
    );
    assert_eq!(stats.dead_lettered, 1);
    assert_eq!(committed(&group, &dlq_topic).await, Some(3));
    let c = raw_reader(&format!("{dlq_topic}.dlq"));
    let m = tokio::time::timeout(Duration::from_secs(30), c.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.key(), Some(&b"Bob"[..]));
    let h = m.headers().unwrap();
    assert_eq!(header(h, "__rule.name").as_deref(), Some("to_v2"));
    assert_eq!(header(h, "__rule.mode").as_deref(), Some("UPGRADE"));
    assert_eq!(
        header(h, "__rule.subject"),
        Some(format!("{dlq_topic}-value"))
    );
    assert_eq!(header(h, "__rule.topic"), Some(dlq_topic.clone()));
    assert!(
        header(h, "__rule.exception").is_some_and(|e| !e.is_empty()),
        "{:?}",
        header(h, "__rule.exception")
    );
    // The original bytes: Bob's v1 frame (both topics' v1 has one text, hence one id).
    assert_eq!(m.payload(), Some(&bob_frame[..]));

    // The default action (ERROR) and no dead letters: the consumer stops at Bob, holding him,
    // having committed Ann only.
    let group = rand_topic("g");
    let mut cfg = ConsumerConfig::new(&b.bootstrap, &group, &[&stop_topic]);
    cfg.reader_version = ReaderVersion::Latest;
    let consumer = TypedConsumer::<serde_json::Value>::new(cfg, reg.clone()).unwrap();
    let stopped = consumer
        .run(
            |_m: Message<serde_json::Value>| async { Ok::<(), HandlerError>(()) },
            tokio::time::sleep(Duration::from_secs(60)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&stopped, schemaflow::Error::Rule(RuleError::Failed(f)) if f.rule == "to_v2")
            || stopped.to_string().contains("to_v2"),
        "{stopped}"
    );
    assert_eq!(committed(&group, &stop_topic).await, Some(1), "{stopped}");
    server.stop().await.unwrap();
}
