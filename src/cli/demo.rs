//! `schemaflow demo`: the whole pipeline in one command, with nothing installed.
//!
//! By default it starts an embedded schema registry (in-process, temp folder) and an
//! in-process Kafka broker (librdkafka's mock cluster, real Kafka protocol over TCP). With
//! `--brokers` and/or `--registry` (or `KAFKA_BROKERS` / `SCHEMA_REGISTRY_URL`) it uses real
//! services instead, e.g. those of `docker compose up -d --wait`.
//!
//! Steps: register the sample schemas → produce N `UserEvent`s in Avro (`user-events`), in
//! Protobuf (`user-events-proto`) and in JSON Schema (`user-events-json`, validated both
//! ways) → consume them in group `my-group` with at-least-once
//! commits → schema evolution (check and register v2, a v1 consumer reads v2 data; a breaking
//! change is refused) → a few poison records go to the dead-letter topic → summary.
//!
//! The in-process broker keeps only about 5 MiB per partition (older records are dropped), so
//! there each format is consumed while it is produced, the producer at most
//! [`MOCK_WINDOW`] records ahead: any `--count` works, in bounded memory. A record dropped
//! anyway shows as a gap in the offsets and stops the demo at once with a line saying so.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rdkafka::consumer::Consumer;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow::codec::RegistryCodec;
use schemaflow::consumer::{ConsumerConfig, DeadLetter, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};
use schemaflow::registry::{CachedRegistry, Schema, SubjectNameStrategy};
use schemaflow::GeneratedSchema;
use schemaflow_cli::samples::avro::evolution::user_event as avro_v2;
use schemaflow_cli::samples::avro::user_event::{Action, Device, UserEvent};
use schemaflow_cli::samples::json::user_event as json_user_event;
use schemaflow_cli::samples::proto::events::v1 as pb;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, ServerConfig};

use crate::outln;

use super::common::{block_on, finish, CliError, Global};
use super::duration::human;

const AVRO_TOPIC: &str = "user-events";
const PROTO_TOPIC: &str = "user-events-proto";
const JSON_TOPIC: &str = "user-events-json";
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

fn json_sample(i: u64) -> json_user_event::UserEvent {
    let e = sample(i);
    let millis = e.occurred_at;
    json_user_event::UserEvent {
        event_id: e.event_id.to_string(),
        user_id: e.user_id,
        action: [
            json_user_event::UserEventAction::Login,
            json_user_event::UserEventAction::View,
            json_user_event::UserEventAction::Purchase,
            json_user_event::UserEventAction::Logout,
        ][(i % 4) as usize],
        occurred_at: rfc3339_millis(millis),
        amount: format!("{}.00", if i % 4 == 2 { i % 10_000 } else { 0 }),
        session_id: e.session_id,
        device: json_user_event::Device {
            platform: e.device.platform,
            app_version: None,
        },
        shipping_address: None,
        tags: e.tags,
        attributes: Default::default(),
    }
}

/// `ms` since the epoch as RFC 3339 UTC with milliseconds (civil-from-days, no date crate).
fn rfc3339_millis(ms: i64) -> String {
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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

/// On the in-process broker, records produced but not yet consumed, at most (per topic).
///
/// librdkafka's mock cluster keeps at most 5 MiB or 100,000 record batches per partition
/// and drops the oldest batches beyond that (`rd_kafka_mock_msgset_new` in
/// `rdkafka_mock.c`; no setting changes it): produce 1,000,000 demo events to 3 partitions
/// first and only the newest ~185,000 per partition are left to consume. So on the mock the
/// demo consumes while it produces, and the producer waits while this many are unconsumed.
/// A demo record is under 150 bytes uncompressed (key and record overhead included), so
/// even with the whole window and a full 10,000-record batch in one partition, uncompressed,
/// (20,000 + 10,000) × 150 B = 4.5 MB stays below 5 MiB. A real broker needs no window.
const MOCK_WINDOW: u64 = 20_000;

/// A consumer that sees no new record for this long gives up (and says why).
const STALL: Duration = Duration::from_secs(30);

/// Lets the producer run at most `window` records ahead of the consumer's `seen`.
struct Gate {
    seen: Arc<AtomicU64>,
    window: u64,
}

async fn produce<V: RegistryCodec>(
    p: &TypedProducer,
    topic: &str,
    n: u64,
    make: impl Fn(u64) -> V,
    pb: ProgressBar,
    gate: Option<Gate>,
) -> Result<Rate, CliError> {
    let t = Instant::now();
    let mut pending = std::collections::VecDeque::new();
    for i in 0..n {
        if let Some(g) = &gate {
            while i >= g.seen.load(Ordering::Relaxed) + g.window {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
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

/// What the consumer produces for itself while it consumes (the in-process broker's way).
struct Feed<V> {
    producer: TypedProducer,
    make: fn(u64) -> V,
    bar: ProgressBar,
}

/// Consumed records: the rate, the consumer's counters, the last value, and the rate of the
/// producer run alongside (with a [`Feed`]).
struct Consumed<V> {
    /// How long joining the group took (until partitions were assigned), apart from the rate.
    joined: Option<Duration>,
    rate: Rate,
    stats: schemaflow::consumer::ConsumerStats,
    last: Option<V>,
    produced: Option<Rate>,
}

/// Consume `expect` records of `topic` in group [`GROUP`]. With `feed`, produce them
/// meanwhile, at most [`MOCK_WINDOW`] ahead, once the consumer has its partitions; and
/// check that each partition's offsets run from 0 without a gap (a gap is a record the
/// in-process broker dropped before it was read). Stops with an error after [`STALL`]
/// without progress, never waits for minutes.
#[allow(clippy::too_many_arguments)]
async fn consume<V: RegistryCodec + Send + 'static>(
    brokers: &str,
    registry: &CachedRegistry,
    topic: &'static str,
    expect: u64,
    dead_letter: DeadLetter,
    bar: ProgressBar,
    feed: Option<Feed<V>>,
    mock: bool,
) -> Result<Consumed<V>, CliError> {
    if expect == 0 {
        // Nothing to read (`--count 0`): no group to join, no producer to wait for.
        return Ok(Consumed {
            joined: None,
            rate: Rate {
                count: 0,
                secs: 0.0,
            },
            stats: Default::default(),
            last: None,
            produced: Some(Rate {
                count: 0,
                secs: 0.0,
            }),
        });
    }
    let mut cfg = ConsumerConfig::new(brokers, GROUP, &[topic]);
    cfg.dead_letter = dead_letter;
    // Each demo step starts a new member: short sessions keep the hand-overs quick.
    cfg.properties
        .insert("session.timeout.ms".into(), "6000".into());
    cfg.properties
        .insert("heartbeat.interval.ms".into(), "500".into());
    if mock {
        // The mock answers a fetch that finds no data only after fetch.wait.max.ms (500 ms
        // by default), even if records arrive meanwhile: following a producer, that wait
        // would be most of the time.
        cfg.properties
            .insert("fetch.wait.max.ms".into(), "5".into());
    }
    let joining = Instant::now();
    let consumer = TypedConsumer::<V>::new(cfg, registry.clone())?;
    // Until the first assignment (or the first record, whichever is seen first).
    let joined = Arc::new(std::sync::OnceLock::new());
    let seen = Arc::new(AtomicU64::new(0));
    let last = Arc::new(std::sync::Mutex::new(None));
    let lost = Arc::new(std::sync::Mutex::new(None::<String>));
    let done = Arc::new(tokio::sync::Notify::new());
    // The rate is timed from the first record, so the group join is not counted.
    let first = Arc::new(std::sync::OnceLock::new());
    let finished = Arc::new(std::sync::OnceLock::new());

    // The producer starts once the consumer has its partitions.
    let (go, ready) = tokio::sync::oneshot::channel::<()>();
    let produce_failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checked = feed.is_some();
    let producing = feed.map(|f| {
        let gate = Gate {
            seen: seen.clone(),
            window: MOCK_WINDOW,
        };
        let failed = produce_failed.clone();
        let done = done.clone();
        tokio::spawn(async move {
            if ready.await.is_err() {
                return Ok(None);
            }
            let r = produce(&f.producer, topic, expect, f.make, f.bar, Some(gate)).await;
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
                done.notify_one();
            }
            r.map(Some)
        })
    });
    let mut go = producing.as_ref().map(|_| go);

    let mut next_offset: std::collections::HashMap<i32, i64> = Default::default();
    let (s, l, lo, d, pbc, f, fin, j) = (
        seen.clone(),
        last.clone(),
        lost.clone(),
        done.clone(),
        bar.clone(),
        first.clone(),
        finished.clone(),
        joined.clone(),
    );
    let run = consumer.run(
        move |m: Message<V>| {
            j.get_or_init(|| joining.elapsed());
            f.get_or_init(Instant::now);
            if checked {
                let next = next_offset.entry(m.partition).or_insert(0);
                if m.offset > *next {
                    if let Ok(mut lost) = lo.lock() {
                        lost.get_or_insert_with(|| {
                            format!(
                                "{topic}/{}: offsets {}..{} were dropped by the in-process broker \
                                 before they were read (it keeps about 5 MiB per partition); \
                                 use --brokers with a real broker",
                                m.partition,
                                *next,
                                m.offset - 1
                            )
                        });
                    }
                    d.notify_one();
                }
                *next = (*next).max(m.offset + 1);
            }
            pbc.inc(1);
            if let Ok(mut last) = l.lock() {
                *last = m.value;
            }
            if s.fetch_add(1, Ordering::Relaxed) + 1 >= expect {
                fin.get_or_init(Instant::now);
                d.notify_one();
            }
            std::future::ready(Ok::<(), HandlerError>(()))
        },
        async {
            // Wait for the partitions (timing the join), then let the producer go.
            while joined.get().is_none() {
                let assigned = consumer
                    .inner()
                    .assignment()
                    .map(|a| a.count() > 0)
                    .unwrap_or(false);
                if assigned {
                    joined.get_or_init(|| joining.elapsed());
                } else if joining.elapsed() > STALL {
                    return;
                } else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            if let Some(go) = go.take() {
                let _ = go.send(());
            }
            // Until all are here, a record is lost, the producer fails, or nothing moves.
            let (mut count, mut moved) = (0, Instant::now());
            loop {
                tokio::select! {
                    () = done.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
                let now = seen.load(Ordering::Relaxed);
                let lost = lost.lock().map(|l| l.is_some()).unwrap_or(false);
                if now >= expect || lost || produce_failed.load(Ordering::Relaxed) {
                    return;
                }
                if now != count {
                    (count, moved) = (now, Instant::now());
                } else if moved.elapsed() > STALL {
                    return;
                }
            }
        },
    );
    let stats = run.await;
    bar.finish_and_clear();
    let produced = match producing {
        Some(p) => {
            if stats.is_err() || seen.load(Ordering::Relaxed) < expect {
                p.abort();
            }
            match p.await {
                Ok(r) => r?,
                Err(_) => None,
            }
        }
        None => None,
    };
    let stats = stats?;
    if let Some(lost) = lost.lock().ok().and_then(|mut l| l.take()) {
        return Err(CliError::io(lost));
    }
    let got = seen.load(Ordering::Relaxed);
    if got < expect {
        return Err(CliError::io(format!(
            "{topic}: consumed {got} of {expect} records, then none for {} s",
            STALL.as_secs()
        )));
    }
    let secs = match (first.get(), finished.get()) {
        (Some(a), Some(b)) => b.duration_since(*a).as_secs_f64(),
        _ => 0.0,
    };
    let last = last.lock().ok().and_then(|mut l| l.take());
    Ok(Consumed {
        joined: joined.get().copied(),
        rate: Rate { count: got, secs },
        stats,
        last,
        produced,
    })
}

/// Produce `n` records of one format to `topic` and consume them: on the in-process broker
/// both at once (see [`MOCK_WINDOW`]), on a real one all produced first, then consumed.
#[allow(clippy::too_many_arguments)]
async fn produce_and_consume<V: RegistryCodec + Send + 'static>(
    brokers: &str,
    registry: &CachedRegistry,
    producer: &TypedProducer,
    topic: &'static str,
    n: u64,
    make: fn(u64) -> V,
    format: &str,
    mock: bool,
) -> Result<(Rate, Consumed<V>), CliError> {
    let bars = MultiProgress::new();
    let out = bars.add(bar(n, &format!("producing {format}")));
    let (before, feed) = if mock {
        let feed = Feed {
            producer: producer.clone(),
            make,
            bar: out,
        };
        (None, Some(feed))
    } else {
        (
            Some(produce(producer, topic, n, make, out, None).await?),
            None,
        )
    };
    let mut c = consume(
        brokers,
        registry,
        topic,
        n,
        DeadLetter::Stop,
        bars.add(bar(n, &format!("consuming {format}"))),
        feed,
        mock,
    )
    .await?;
    let rate = before
        .or_else(|| c.produced.take())
        .ok_or_else(|| CliError::io(format!("{topic}: the producer did not start")))?;
    Ok((rate, c))
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
                ServerConfig::default()
                    .listen(
                        "127.0.0.1:0"
                            .parse()
                            .map_err(|_| CliError::io("bad listen address"))?,
                    )
                    .data_dir(tmp.path().join("registry")),
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
        .unwrap_or_else(|| {
            // Never print the credentials a URL may hold.
            schemaflow::redact::url(&g.registry_url().unwrap_or_default()).into_owned()
        });
    outln!("schemaflow demo")?;
    outln!(
        "  broker:   {brokers}{}",
        if mock.is_some() {
            " (in-process mock cluster)"
        } else {
            ""
        }
    )?;
    outln!("  registry: {registry_url}")?;

    for (topic, partitions) in [
        (AVRO_TOPIC, 3),
        (PROTO_TOPIC, 3),
        (JSON_TOPIC, 3),
        (DLQ_TOPIC, 1),
    ] {
        match &mock {
            Some(m) => m
                .create_topic(topic, partitions, 1)
                .map_err(|e| CliError::io(format!("creating {topic}: {e}")))?,
            None => schemaflow::consumer::create_topic(&brokers, topic, partitions).await?,
        }
    }

    // 1. Schemas.
    let pc = ProducerConfig::new(&brokers).properties(g.properties());
    let producer = TypedProducer::new(pc, registry.clone())?;
    let avro_id = producer.preload::<UserEvent>(AVRO_TOPIC).await?;
    let proto_id = producer.preload::<pb::UserEvent>(PROTO_TOPIC).await?;
    let json_id = producer
        .preload::<json_user_event::UserEvent>(JSON_TOPIC)
        .await?;
    outln!("\n1. registered {} as id {avro_id} (user-events-value, with its reference com.example.events.Address)", UserEvent::FULL_NAME)?;
    outln!("   registered {} as id {proto_id} (user-events-proto-value, importing events/v1/common.proto)", pb::UserEvent::FULL_NAME)?;
    outln!("   registered {} as id {json_id} (user-events-json-value, JSON Schema, referencing address.json)", json_user_event::UserEvent::FULL_NAME)?;

    // 2 and 3. Produce and consume.
    let n = a.count;
    let embedded_broker = mock.is_some();
    let (avro_out, avro_in) = produce_and_consume(
        &brokers,
        &registry,
        &producer,
        AVRO_TOPIC,
        n,
        sample,
        "Avro",
        embedded_broker,
    )
    .await?;
    let (proto_out, proto_in) = produce_and_consume(
        &brokers,
        &registry,
        &producer,
        PROTO_TOPIC,
        n,
        proto_sample,
        "Protobuf",
        embedded_broker,
    )
    .await?;
    let (json_out, json_in) = produce_and_consume(
        &brokers,
        &registry,
        &producer,
        JSON_TOPIC,
        n,
        json_sample,
        "JSON Schema",
        embedded_broker,
    )
    .await?;
    outln!("\n2. produced {n} Avro events to {AVRO_TOPIC} ({:.0} msg/s) and {n} Protobuf events to {PROTO_TOPIC} ({:.0} msg/s)", avro_out.per_sec(), proto_out.per_sec())?;
    outln!("   and {n} JSON Schema events to {JSON_TOPIC} ({:.0} msg/s), each checked against its schema", json_out.per_sec())?;
    if embedded_broker {
        outln!("   consumed while producing, at most {MOCK_WINDOW} records ahead: the in-process broker keeps only about 5 MiB per partition")?;
    }
    outln!(
        "\n3. consumed them in group {GROUP} with at-least-once commits: {} Avro ({:.0} msg/s), {} Protobuf ({:.0} msg/s)",
        avro_in.stats.handled,
        avro_in.rate.per_sec(),
        proto_in.stats.handled,
        proto_in.rate.per_sec()
    )?;
    outln!(
        "   and {} JSON Schema ({:.0} msg/s), each checked against its writer schema",
        json_in.stats.handled,
        json_in.rate.per_sec()
    )?;
    // The join is a wait for the group coordinator, not consuming: its own line, not counted
    // in the rates (timed from the first record).
    if let (Some(a), Some(p)) = (avro_in.joined, proto_in.joined) {
        outln!(
            "   joined {GROUP} in {} (Avro) and {} (Protobuf), not counted in the rates",
            human(a),
            human(p)
        )?;
    }

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
    let read_by_v1 = consume::<UserEvent>(
        &brokers,
        &registry,
        AVRO_TOPIC,
        1,
        DeadLetter::Stop,
        bar(1, "v1 reading v2"),
        None,
        embedded_broker,
    )
    .await?
    .last;
    let breaking = Schema::avro(UserEvent::SCHEMA_TEXT.replace(
        r#""name": "user_id", "type": "string""#,
        r#""name": "user_id", "type": "long""#,
    ))
    .with_references(v2.references.clone());
    let refused = registry.client().register(&subject, &breaking, false).await;
    outln!("\n4. schema evolution on {subject}:")?;
    outln!(
        "   v2 adds `channel` (default \"web\"): compatible = {} → registered as id {v2_id}",
        verdict.is_compatible
    )?;
    if let Some(v1) = read_by_v1 {
        outln!("   a v1 consumer read the v2 record: user_id={}, action={:?}, amount={} (no `channel` field in v1)", v1.user_id, v1.action, v1.amount)?;
    }
    match refused {
        Err(e) if e.code() == Some(schemaflow::registry::ErrorCode::Incompatible) => {
            let msg = e.to_string();
            let short: String = msg.chars().take(160).collect();
            outln!("   a breaking change (user_id: string → long) was refused: {short}…")?;
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
    let dlq_stats = consume::<UserEvent>(
        &brokers,
        &registry,
        AVRO_TOPIC,
        1,
        DeadLetter::Topic(DLQ_TOPIC.into()),
        bar(1, "poison → DLQ"),
        None,
        embedded_broker,
    )
    .await?
    .stats;
    outln!(
        "\n5. {} poison records went to {DLQ_TOPIC} with __connect.errors.* headers; the good record after them was handled ({} handled)",
        dlq_stats.dead_lettered, dlq_stats.handled
    )?;

    let cache = registry.stats();
    outln!("\nsummary")?;
    outln!("  events        {n} Avro + {n} Protobuf produced and consumed")?;
    outln!(
        "  produce       {:>10.0} msg/s Avro   {:>10.0} msg/s Protobuf",
        avro_out.per_sec(),
        proto_out.per_sec()
    )?;
    outln!(
        "  consume       {:>10.0} msg/s Avro   {:>10.0} msg/s Protobuf",
        avro_in.rate.per_sec(),
        proto_in.rate.per_sec()
    )?;
    outln!(
        "  JSON Schema   {:>10.0} msg/s produce {:>10.0} msg/s consume",
        json_out.per_sec(),
        json_in.rate.per_sec()
    )?;
    outln!(
        "  registry      {} HTTP calls, {} cache hits",
        cache.misses,
        cache.hits
    )?;
    outln!("  dead letters  {}", dlq_stats.dead_lettered)?;
    outln!("  total time    {}", human(total.elapsed()))?;
    if let Some(r) = embedded {
        r.stop().await?;
    }
    drop(mock);
    Ok(())
}
