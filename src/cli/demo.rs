//! `schemaflow demo`: the whole pipeline in one command, with nothing installed.
//!
//! By default it starts an embedded schema registry (in-process, temp folder) and an
//! in-process Kafka broker (librdkafka's mock cluster, real Kafka protocol over TCP). With
//! `--brokers` and/or `--registry` (or `KAFKA_BROKERS` / `SCHEMA_REGISTRY_URL`) it uses real
//! services instead, e.g. those of `docker compose up -d --wait`.
//!
//! Steps: register the sample schemas → produce N `UserEvent`s in Avro (`user-events`) and in
//! Protobuf (`user-events-proto`) → consume them in group `my-group` with at-least-once
//! commits → schema evolution (check and register v2, a v1 consumer reads v2 data; a breaking
//! change is refused) → a few poison records go to the dead-letter topic → summary.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow::codec::RegistryCodec;
use schemaflow::consumer::{ConsumerConfig, DeadLetter, Message, TypedConsumer};
use schemaflow::generated::avro::evolution::user_event as avro_v2;
use schemaflow::generated::avro::user_event::{Action, Device, UserEvent};
use schemaflow::generated::proto::events::v1 as pb;
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::server::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};
use schemaflow::registry::{CachedRegistry, Schema, SubjectNameStrategy};
use schemaflow::GeneratedSchema;

use super::common::{block_on, finish, CliError, Global};

const AVRO_TOPIC: &str = "user-events";
const PROTO_TOPIC: &str = "user-events-proto";
const DLQ_TOPIC: &str = "user-events.dlq";
const GROUP: &str = "my-group";

/// Arguments of `demo`.
///
/// Examples:
///   schemaflow demo                      # embedded registry and broker, 100,000 events each way
///   schemaflow demo --count 10000
///   schemaflow demo --brokers localhost:9092 --registry http://localhost:8081
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Events to produce in each format.
    #[arg(long, default_value_t = 100_000)]
    count: u64,
}

/// Run `demo`.
pub fn run(g: Global, a: DemoArgs) -> ExitCode {
    finish("demo", block_on(demo(g, a)))
}

fn sample(i: u64) -> UserEvent {
    let actions = [
        Action::Login,
        Action::View,
        Action::Purchase,
        Action::Logout,
    ];
    UserEvent {
        event_id: schemaflow::Uuid::from_u128(
            0x6f1c_2b9e_3d4a_4f5b_8c7d_0000_0000_0000 | u128::from(i),
        ),
        user_id: format!("user-{}", i % 1000),
        action: actions[(i % 4) as usize],
        occurred_at: 1_700_000_000_000 + i as i64,
        amount: schemaflow::Decimal::from(if i % 4 == 2 { (i % 10_000) as i64 } else { 0 }),
        session_id: Some(format!("sess-{}", i / 10)),
        device: Device {
            platform: ["web", "ios", "android"][(i % 3) as usize].into(),
            app_version: None,
        },
        shipping_address: None,
        tags: vec!["demo".into()],
        attributes: Default::default(),
    }
}

fn proto_sample(i: u64) -> pb::UserEvent {
    let e = sample(i);
    pb::UserEvent {
        event_id: e.event_id.to_string(),
        user_id: e.user_id,
        action: (i % 4 + 1) as i32,
        occurred_at: Some(prost_types::Timestamp {
            seconds: e.occurred_at / 1000,
            nanos: (e.occurred_at % 1000) as i32 * 1_000_000,
        }),
        amount_cents: (i % 10_000) as i64,
        session_id: e.session_id,
        tags: e.tags,
        ..Default::default()
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>22} [{bar:30}] {pos}/{len} {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

struct Rate {
    count: u64,
    secs: f64,
}

impl Rate {
    fn per_sec(&self) -> f64 {
        self.count as f64 / self.secs.max(1e-9)
    }
}

async fn produce<V: RegistryCodec>(
    p: &TypedProducer,
    topic: &str,
    n: u64,
    make: impl Fn(u64) -> V,
    label: &str,
) -> Result<Rate, CliError> {
    let pb = bar(n, label);
    let t = Instant::now();
    let mut pending = std::collections::VecDeque::new();
    for i in 0..n {
        let v = make(i);
        let key = format!("user-{}", i % 1000);
        pending.push_back(
            p.enqueue(Record::to(topic).key(key.as_bytes()).value(&v))
                .await?,
        );
        // Keep memory bounded: settle the oldest deliveries as we go.
        while pending.len() > 50_000 {
            if let Some(d) = pending.pop_front() {
                d.await?;
                pb.inc(1);
            }
        }
    }
    for d in pending {
        d.await?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(Rate {
        count: n,
        secs: t.elapsed().as_secs_f64(),
    })
}

async fn consume<V: RegistryCodec>(
    brokers: &str,
    registry: &CachedRegistry,
    topic: &str,
    expect: u64,
    dead_letter: DeadLetter,
    label: &str,
) -> Result<(Rate, schemaflow::consumer::ConsumerStats, Option<V>), CliError> {
    let mut cfg = ConsumerConfig::new(brokers, GROUP, &[topic]);
    cfg.dead_letter = dead_letter;
    // Each demo step starts a new member: short sessions keep the hand-overs quick.
    cfg.properties
        .insert("session.timeout.ms".into(), "6000".into());
    cfg.properties
        .insert("heartbeat.interval.ms".into(), "500".into());
    let consumer = TypedConsumer::<V>::new(cfg, registry.clone())?;
    let pb = bar(expect, label);
    let seen = Arc::new(AtomicU64::new(0));
    let last = Arc::new(std::sync::Mutex::new(None));
    let done = Arc::new(tokio::sync::Notify::new());
    // The rate is timed from the first record, so the group join is not counted.
    let first = Arc::new(std::sync::OnceLock::new());
    let (s, l, d, pbc, f) = (
        seen.clone(),
        last.clone(),
        done.clone(),
        pb.clone(),
        first.clone(),
    );
    let stats = consumer
        .run(
            move |m: Message<V>| {
                let (s, l, d, pbc) = (s.clone(), l.clone(), d.clone(), pbc.clone());
                f.get_or_init(Instant::now);
                async move {
                    pbc.inc(1);
                    if let Ok(mut last) = l.lock() {
                        *last = m.value;
                    }
                    if s.fetch_add(1, Ordering::Relaxed) + 1 >= expect {
                        d.notify_one();
                    }
                    Ok::<(), String>(())
                }
            },
            async move {
                let _ = tokio::time::timeout(Duration::from_secs(300), done.notified()).await;
            },
        )
        .await?;
    pb.finish_and_clear();
    let secs = first.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
    let got = seen.load(Ordering::Relaxed);
    if got < expect {
        return Err(CliError::io(format!(
            "{topic}: consumed {got} of {expect} records within 300 s"
        )));
    }
    let last = last.lock().ok().and_then(|mut l| l.take());
    Ok((Rate { count: got, secs }, stats, last))
}

async fn demo(g: Global, a: DemoArgs) -> Result<(), CliError> {
    let total = Instant::now();
    let tmp = tempfile::tempdir()?;
    // Services: embedded unless given.
    let mock = match &g.brokers {
        Some(_) => None,
        None => Some(
            MockCluster::new(1)
                .map_err(|e| CliError::io(format!("starting the in-process broker: {e}")))?,
        ),
    };
    let brokers = match &mock {
        Some(m) => m.bootstrap_servers(),
        None => g.brokers().to_string(),
    };
    let embedded = match g.registry_url() {
        Some(_) => None,
        None => Some(
            EmbeddedRegistry::start(
                ServerConfig {
                    listen: "127.0.0.1:0"
                        .parse()
                        .map_err(|_| CliError::io("bad listen address"))?,
                    data_dir: Some(tmp.path().join("registry")),
                    ..ServerConfig::default()
                },
                Arc::new(CompatibilityEngine),
            )
            .await?,
        ),
    };
    let registry = match &embedded {
        Some(r) => g.registry_at(r.url())?,
        None => g.registry()?,
    };
    let registry_url = embedded
        .as_ref()
        .map(|r| format!("{} (embedded)", r.url()))
        .unwrap_or_else(|| g.registry_url().unwrap_or_default());
    println!("schemaflow demo");
    println!(
        "  broker:   {brokers}{}",
        if mock.is_some() {
            " (in-process mock cluster)"
        } else {
            ""
        }
    );
    println!("  registry: {registry_url}");

    for (topic, partitions) in [(AVRO_TOPIC, 3), (PROTO_TOPIC, 3), (DLQ_TOPIC, 1)] {
        match &mock {
            Some(m) => m
                .create_topic(topic, partitions, 1)
                .map_err(|e| CliError::io(format!("creating {topic}: {e}")))?,
            None => schemaflow::consumer::create_topic(&brokers, topic, partitions).await?,
        }
    }

    // 1. Schemas.
    let mut pc = ProducerConfig::new(&brokers);
    pc.properties.extend(g.properties());
    let producer = TypedProducer::new(pc, registry.clone())?;
    let avro_id = producer.preload::<UserEvent>(AVRO_TOPIC).await?;
    let proto_id = producer.preload::<pb::UserEvent>(PROTO_TOPIC).await?;
    println!("\n1. registered {} as id {avro_id} (user-events-value, with its reference com.example.events.Address)", UserEvent::FULL_NAME);
    println!("   registered {} as id {proto_id} (user-events-proto-value, importing events/v1/common.proto)", pb::UserEvent::FULL_NAME);

    // 2. Produce.
    let n = a.count;
    let avro_out = produce(&producer, AVRO_TOPIC, n, sample, "producing Avro").await?;
    let proto_out = produce(
        &producer,
        PROTO_TOPIC,
        n,
        proto_sample,
        "producing Protobuf",
    )
    .await?;
    println!("\n2. produced {n} Avro events to {AVRO_TOPIC} ({:.0} msg/s) and {n} Protobuf events to {PROTO_TOPIC} ({:.0} msg/s)", avro_out.per_sec(), proto_out.per_sec());

    // 3. Consume.
    let (avro_in, avro_stats, _) = consume::<UserEvent>(
        &brokers,
        &registry,
        AVRO_TOPIC,
        n,
        DeadLetter::Stop,
        "consuming Avro",
    )
    .await?;
    let (proto_in, proto_stats, _) = consume::<pb::UserEvent>(
        &brokers,
        &registry,
        PROTO_TOPIC,
        n,
        DeadLetter::Stop,
        "consuming Protobuf",
    )
    .await?;
    println!(
        "\n3. consumed them in group {GROUP} with at-least-once commits: {} Avro ({:.0} msg/s), {} Protobuf ({:.0} msg/s)",
        avro_stats.handled,
        avro_in.per_sec(),
        proto_stats.handled,
        proto_in.per_sec()
    );

    // 4. Evolution.
    let subject = SubjectNameStrategy::TopicName.subject(AVRO_TOPIC, UserEvent::FULL_NAME, false);
    let v2 =
        schemaflow::registry::schemas::generated_schema::<avro_v2::UserEvent>(&registry, false)
            .await?;
    let verdict = registry
        .client()
        .check_compatibility(&subject, None, &v2)
        .await?;
    let v2_id = producer.preload::<avro_v2::UserEvent>(AVRO_TOPIC).await?;
    let mut e = sample(n);
    e.user_id = "evolved-user".into();
    let v2_event = avro_v2::UserEvent {
        event_id: e.event_id,
        user_id: e.user_id,
        action: avro_v2::Action::Purchase,
        occurred_at: e.occurred_at,
        amount: "19.99".parse().map_err(|_| CliError::io("decimal"))?,
        session_id: e.session_id,
        device: avro_v2::Device {
            platform: "ios".into(),
            app_version: Some("2.0".into()),
        },
        shipping_address: None,
        tags: e.tags,
        attributes: Default::default(),
        channel: "ios".into(),
    };
    producer
        .send(Record::to(AVRO_TOPIC).key(b"evolved-user").value(&v2_event))
        .await?;
    let (_, _, read_by_v1) = consume::<UserEvent>(
        &brokers,
        &registry,
        AVRO_TOPIC,
        1,
        DeadLetter::Stop,
        "v1 reading v2",
    )
    .await?;
    let breaking = Schema::avro(UserEvent::SCHEMA_TEXT.replace(
        r#""name": "user_id", "type": "string""#,
        r#""name": "user_id", "type": "long""#,
    ))
    .with_references(v2.references.clone());
    let refused = registry.client().register(&subject, &breaking, false).await;
    println!("\n4. schema evolution on {subject}:");
    println!(
        "   v2 adds `channel` (default \"web\"): compatible = {} → registered as id {v2_id}",
        verdict.is_compatible
    );
    if let Some(v1) = read_by_v1 {
        println!("   a v1 consumer read the v2 record: user_id={}, action={:?}, amount={} (no `channel` field in v1)", v1.user_id, v1.action, v1.amount);
    }
    match refused {
        Err(e) if e.code() == Some(schemaflow::registry::ErrorCode::Incompatible) => {
            let msg = e.to_string();
            let short: String = msg.chars().take(160).collect();
            println!("   a breaking change (user_id: string → long) was refused: {short}…");
        }
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(CliError::failed("the registry accepted a breaking change")),
    }

    // 5. Poison records → DLQ.
    let raw: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .map_err(|e| CliError::io(e.to_string()))?;
    let poisons: [(&str, &[u8]); 3] = [
        ("random-bytes", b"\x93\x11not a frame at all"),
        ("unknown-schema-id", b"\x00\x00\x0f\x42\x3f\x02\x04"),
        ("wrong-magic", b"\x07\x00\x00\x00\x01\x00"),
    ];
    for (k, v) in poisons {
        // One partition, so the good record below comes after them.
        raw.send(
            FutureRecord::to(AVRO_TOPIC).key(k).payload(v).partition(0),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(e, _)| CliError::io(e.to_string()))?;
    }
    let good: UserEvent = sample(n + 1);
    producer
        .send(
            Record::to(AVRO_TOPIC)
                .key(b"after-poison")
                .value(&good)
                .partition(0),
        )
        .await?;
    let (_, dlq_stats, _) = consume::<UserEvent>(
        &brokers,
        &registry,
        AVRO_TOPIC,
        1,
        DeadLetter::Topic(DLQ_TOPIC.into()),
        "poison → DLQ",
    )
    .await?;
    println!(
        "\n5. {} poison records went to {DLQ_TOPIC} with __connect.errors.* headers; the good record after them was handled ({} handled)",
        dlq_stats.dead_lettered, dlq_stats.handled
    );

    let cache = registry.stats();
    println!("\nsummary");
    println!("  events        {n} Avro + {n} Protobuf produced and consumed");
    println!(
        "  produce       {:>10.0} msg/s Avro   {:>10.0} msg/s Protobuf",
        avro_out.per_sec(),
        proto_out.per_sec()
    );
    println!(
        "  consume       {:>10.0} msg/s Avro   {:>10.0} msg/s Protobuf",
        avro_in.per_sec(),
        proto_in.per_sec()
    );
    println!(
        "  registry      {} HTTP calls, {} cache hits",
        cache.misses, cache.hits
    );
    println!("  dead letters  {}", dlq_stats.dead_lettered);
    println!("  total time    {:.1} s", total.elapsed().as_secs_f64());
    if let Some(r) = embedded {
        r.stop().await?;
    }
    drop(mock);
    Ok(())
}
