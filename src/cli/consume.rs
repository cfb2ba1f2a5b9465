//! `schemaflow consume`: decode any registry-framed record (Avro or Protobuf, writer schema
//! fetched by id) to one JSON line on stdout.
//!
//! By default a line holds just the value, in the JSON forms `produce` reads (so
//! `consume | produce` round-trips); `--metadata` wraps it with topic, partition, offset, key,
//! schema id and timestamp. A tombstone prints `null`. A record that cannot be decoded is
//! reported on stderr (and copied to `--dlq-topic` if given) and skipped: it never stops the
//! command. Without `--group` partitions are assigned directly and nothing is committed.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message as _};
use rdkafka::producer::FutureProducer;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use schemaflow::consumer::{dead_letter_record, error_kind, DeadLetterCause};
use schemaflow::registry::SchemaResolver;
use serde_json::json;

use super::common::{block_on, finish, CliError, Global};

/// Arguments of `consume`.
///
/// Examples:
///   schemaflow consume --topic user-events --from-beginning --max-messages 10
///   schemaflow consume --topic user-events --group audit --metadata
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topic to read.
    #[arg(long)]
    topic: String,
    /// Consumer group (offsets committed after printing); default: none (assign, no commits).
    #[arg(long)]
    group: Option<String>,
    /// Start at the beginning (same as `--offset beginning`).
    #[arg(long, conflicts_with_all = ["offset", "from_timestamp"])]
    from_beginning: bool,
    /// Where to start without a committed offset: `beginning`, `end` (default) or an offset.
    #[arg(long)]
    offset: Option<String>,
    /// Start at the first record at or after this time (ms since the epoch).
    #[arg(long, value_name = "MS")]
    from_timestamp: Option<i64>,
    /// Stop after printing this many records.
    #[arg(long)]
    max_messages: Option<u64>,
    /// Stop when nothing arrives for this many seconds.
    #[arg(long, value_name = "SECS")]
    idle_timeout: Option<f64>,
    /// Copy undecodable records here, with error headers.
    #[arg(long)]
    dlq_topic: Option<String>,
    /// Print `{topic, partition, offset, key, schema_id, timestamp, value}` objects.
    #[arg(long)]
    metadata: bool,
}

enum Start {
    Beginning,
    End,
    At(i64),
    Time(i64),
}

/// Run `consume`.
pub fn run(g: Global, a: ConsumeArgs) -> ExitCode {
    finish("consume", block_on(consume(g, a)))
}

async fn consume(g: Global, a: ConsumeArgs) -> Result<(), CliError> {
    let start = if a.from_beginning {
        Start::Beginning
    } else if let Some(ms) = a.from_timestamp {
        Start::Time(ms)
    } else {
        match a.offset.as_deref() {
            None | Some("end") => Start::End,
            Some("beginning") => Start::Beginning,
            Some(n) => Start::At(n.parse().map_err(|_| {
                CliError::usage(format!(
                    "--offset {n:?}: expected beginning, end or a number"
                ))
            })?),
        }
    };
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", g.brokers())
        .set(
            "group.id",
            a.group
                .clone()
                .unwrap_or_else(|| format!("schemaflow-consume-{}", fastrand::u32(..))),
        )
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set(
            "auto.offset.reset",
            match start {
                Start::Beginning => "earliest",
                _ => "latest",
            },
        );
    for (k, v) in g.properties() {
        cfg.set(k, v);
    }
    let consumer: StreamConsumer = cfg.create().map_err(|e| CliError::io(e.to_string()))?;
    if a.group.is_some() && matches!(start, Start::Beginning | Start::End) {
        consumer
            .subscribe(&[&a.topic])
            .map_err(|e| CliError::io(e.to_string()))?;
    } else {
        assign(&consumer, &a.topic, &start).await?;
    }
    let dlq: Option<FutureProducer> = match &a.dlq_topic {
        Some(t) => {
            schemaflow::consumer::create_topic(g.brokers(), t, 1).await?;
            Some(
                ClientConfig::new()
                    .set("bootstrap.servers", g.brokers())
                    .create()
                    .map_err(|e| CliError::io(e.to_string()))?,
            )
        }
        None => None,
    };
    let resolver = SchemaResolver::new(g.registry()?);
    let mut out = std::io::stdout().lock();
    let (mut printed, mut skipped) = (0u64, 0u64);
    let idle = a.idle_timeout.map(Duration::from_secs_f64);
    let shutdown = schemaflow::consumer::shutdown_signal();
    tokio::pin!(shutdown);
    while a.max_messages.is_none_or(|m| printed < m) {
        let next = async {
            match idle {
                Some(d) => tokio::time::timeout(d, consumer.recv()).await.ok(),
                None => Some(consumer.recv().await),
            }
        };
        let msg = tokio::select! {
            () = &mut shutdown => break,
            m = next => match m {
                None => break,
                Some(Ok(m)) => m,
                Some(Err(e)) => return Err(CliError::io(format!("reading {}: {e}", a.topic))),
            },
        };
        match decode(&resolver, &msg).await {
            Ok((id, value)) => {
                let line = if a.metadata {
                    json!({
                        "topic": msg.topic(),
                        "partition": msg.partition(),
                        "offset": msg.offset(),
                        "key": msg.key().map(|k| String::from_utf8_lossy(k).to_string()),
                        "schema_id": id,
                        "timestamp": msg.timestamp().to_millis(),
                        "value": value,
                    })
                } else {
                    value
                };
                writeln!(out, "{line}").map_err(|e| CliError::io(e.to_string()))?;
                printed += 1;
            }
            Err(e) => {
                skipped += 1;
                eprintln!(
                    "schemaflow consume: skipping {}/{}@{}: {e}",
                    msg.topic(),
                    msg.partition(),
                    msg.offset()
                );
                if let (Some(p), Some(t)) = (&dlq, &a.dlq_topic) {
                    dead_letter(p, t, &msg, &e).await?;
                }
            }
        }
        if a.group.is_some() {
            let _ = consumer.store_offset(msg.topic(), msg.partition(), msg.offset());
        }
    }
    out.flush().map_err(|e| CliError::io(e.to_string()))?;
    if a.group.is_some() {
        let _ = consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync);
    }
    if skipped > 0 {
        eprintln!("schemaflow consume: {printed} printed, {skipped} undecodable skipped");
    }
    Ok(())
}

async fn assign(consumer: &StreamConsumer, topic: &str, start: &Start) -> Result<(), CliError> {
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(|e| CliError::io(format!("fetching metadata of {topic}: {e}")))?;
    let partitions: Vec<i32> = md
        .topics()
        .iter()
        .filter(|t| t.name() == topic)
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(CliError::io(format!(
            "topic {topic} not found (create it with `schemaflow topics create`)"
        )));
    }
    let mut tpl = TopicPartitionList::new();
    for p in &partitions {
        let offset = match start {
            Start::Beginning => Offset::Beginning,
            Start::End => Offset::End,
            Start::At(n) => Offset::Offset(*n),
            Start::Time(ms) => Offset::Offset(*ms),
        };
        tpl.add_partition_offset(topic, *p, offset)
            .map_err(|e| CliError::io(e.to_string()))?;
    }
    if matches!(start, Start::Time(_)) {
        tpl = consumer
            .offsets_for_times(tpl, Duration::from_secs(10))
            .map_err(|e| CliError::io(format!("looking up offsets by time: {e}")))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| CliError::io(e.to_string()))
}

async fn decode(
    resolver: &SchemaResolver,
    msg: &BorrowedMessage<'_>,
) -> schemaflow::Result<(Option<u32>, serde_json::Value)> {
    let Some(payload) = msg.payload() else {
        return Ok((None, serde_json::Value::Null));
    };
    let (id, _) = schemaflow::wire::read_header(payload)?;
    let writer = resolver.writer_schema(id).await?;
    let (_, value) = writer.frame_to_json(payload)?;
    Ok((Some(id.0), value))
}

async fn dead_letter(
    p: &FutureProducer,
    topic: &str,
    msg: &BorrowedMessage<'_>,
    e: &schemaflow::Error,
) -> Result<(), CliError> {
    let text = e.to_string();
    let cause = DeadLetterCause {
        stage: "VALUE_CONVERTER",
        class: error_kind(e),
        message: &text,
        schema_id: msg
            .payload()
            .and_then(|p| schemaflow::wire::read_header(p).ok())
            .map(|(id, _)| id),
    };
    let rec = dead_letter_record(msg, topic, &cause);
    p.send(rec, Duration::from_secs(30))
        .await
        .map(|_| ())
        .map_err(|(e, _)| CliError::io(format!("writing a dead letter to {topic}: {e}")))
}
