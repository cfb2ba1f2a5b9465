//! `schemaflow dlq inspect|replay`: look at dead letters and, once the cause is fixed, send
//! them back to the topic they came from.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow::consumer::dead_letter::is_error_header;
use schemaflow::registry::SchemaResolver;
use serde_json::{json, Map, Value};

use super::common::{block_on, finish, print_json, CliError, Global};

/// `schemaflow dlq …`
#[derive(Debug, Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// Print every dead letter with its error headers (and its value decoded when possible).
    /// A topic whose first record has no `__connect.errors.*` headers is not a dead-letter
    /// topic: exit 1 saying so; a later record without them is printed with
    /// `"not_a_dead_letter": true`. Example: dlq inspect --topic user-events.dlq
    Inspect {
        /// The dead-letter topic.
        #[arg(long)]
        topic: String,
        /// Stop after this many records.
        #[arg(long)]
        max_messages: Option<u64>,
        /// Stop when nothing arrives for this long (seconds).
        #[arg(long, default_value_t = 3.0)]
        idle_timeout: f64,
    },
    /// Send dead letters back to their original topic (the `__connect.errors.topic` header),
    /// without the error headers. Progress is committed under a group, so a second run does not
    /// send them again. Example: dlq replay --topic user-events.dlq
    Replay {
        /// The dead-letter topic.
        #[arg(long)]
        topic: String,
        /// Send to this topic instead of the original one.
        #[arg(long)]
        to: Option<String>,
        /// Consumer group that remembers what was replayed.
        #[arg(long)]
        group: Option<String>,
        /// Stop after this many.
        #[arg(long)]
        max_messages: Option<u64>,
        /// Stop when nothing arrives for this long (seconds).
        #[arg(long, default_value_t = 3.0)]
        idle_timeout: f64,
    },
}

fn header(msg: &BorrowedMessage<'_>, key: &str) -> Option<String> {
    msg.headers()?
        .iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).to_string())
}

fn consumer(g: &Global, group: &str) -> Result<StreamConsumer, CliError> {
    g.kafka_config(&[
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
    ])
    .create()
    .map_err(|e| CliError::io(e.to_string()))
}

async fn decode(resolver: &SchemaResolver, payload: &[u8]) -> schemaflow::Result<Value> {
    let (id, _) = schemaflow::wire::read_header(payload)?;
    let writer = resolver.writer_schema(id).await?;
    Ok(writer.frame_to_json(payload)?.1)
}

/// Why the value is not shown: the record's own fault, or (said plainly, since the value may
/// be fine) a registry that cannot be reached now.
fn why_not_decoded(e: &schemaflow::Error) -> String {
    match e.fault() {
        schemaflow::Fault::Record => format!("undecodable: {e}"),
        schemaflow::Fault::Transient => format!("registry unreachable, value not decoded: {e}"),
        schemaflow::Fault::Fatal => format!("registry refused, value not decoded: {e}"),
    }
}

/// The next dead letter, or `None` after `idle_secs` of quiet.
async fn next(c: &StreamConsumer, idle_secs: f64) -> Result<Option<BorrowedMessage<'_>>, CliError> {
    let idle = Duration::try_from_secs_f64(idle_secs).map_err(|_| {
        CliError::usage(format!("--idle-timeout {idle_secs}: expected seconds ≥ 0"))
    })?;
    match tokio::time::timeout(idle, c.recv()).await {
        Err(_) => Ok(None),
        Ok(m) => m.map(Some).map_err(|e| CliError::io(e.to_string())),
    }
}

/// Run `dlq …`.
pub fn run(g: Global, a: DlqArgs) -> ExitCode {
    finish(
        "dlq",
        block_on(async move {
            match a.command {
                DlqCommand::Inspect {
                    topic,
                    max_messages,
                    idle_timeout,
                } => {
                    g.topic_partitions(&topic).await?;
                    let c = consumer(&g, &format!("schemaflow-dlq-inspect-{}", fastrand::u32(..)))?;
                    c.subscribe(&[&topic])
                        .map_err(|e| CliError::io(e.to_string()))?;
                    // JSON Schema values are shown unchecked: a dead letter that broke its
                    // schema is shown as it is (its error headers already say why).
                    let resolver = SchemaResolver::new(g.registry()?).validate_json(false);
                    let (mut n, mut not_dead) = (0u64, 0u64);
                    while max_messages.is_none_or(|m| n + not_dead < m) {
                        let Some(m) = next(&c, idle_timeout).await? else {
                            break;
                        };
                        let dead_letter = m
                            .headers()
                            .is_some_and(|h| h.iter().any(|h| is_error_header(h.key)));
                        if !dead_letter && n == 0 && not_dead == 0 {
                            // The first record already says it: a topic of ordinary records
                            // (the original topic given for its dead-letter topic, say).
                            return Err(CliError::failed(format!(
                                "{topic} is not a dead-letter topic: its record at partition {} offset {} has no __connect.errors.* headers, which every dead letter carries (`schemaflow consume --topic {topic}` reads ordinary records)",
                                m.partition(),
                                m.offset()
                            )));
                        }
                        let mut error = Map::new();
                        if let Some(h) = m.headers() {
                            for h in h.iter().filter(|h| is_error_header(h.key)) {
                                let key = h.key.rsplit("errors.").next().unwrap_or(h.key);
                                error.insert(
                                    key.to_string(),
                                    json!(h.value.map(|v| String::from_utf8_lossy(v).to_string())),
                                );
                            }
                        }
                        let (decoded, not_decoded) = match m.payload() {
                            Some(p) => match decode(&resolver, p).await {
                                Ok(v) => (Some(v), None),
                                Err(e) => (None, Some(why_not_decoded(&e))),
                            },
                            None => (None, None),
                        };
                        let mut line = json!({
                            "partition": m.partition(),
                            "offset": m.offset(),
                            "key": m.key().map(|k| String::from_utf8_lossy(k).to_string()),
                            "error": Value::Object(error),
                            "value": decoded,
                            "value_hex": m.payload().map(hex_of),
                        });
                        if let Some(obj) = line.as_object_mut() {
                            if let Some(why) = not_decoded {
                                obj.insert("value_not_decoded".into(), json!(why));
                            }
                            if !dead_letter {
                                obj.insert("not_a_dead_letter".into(), json!(true));
                            }
                        }
                        print_json(&line)?;
                        if dead_letter {
                            n += 1;
                        } else {
                            not_dead += 1;
                        }
                    }
                    if not_dead > 0 {
                        eprintln!("schemaflow dlq: {n} dead letter(s) in {topic}, and {not_dead} record(s) without __connect.errors.* headers (\"not_a_dead_letter\": true)");
                    } else {
                        eprintln!("schemaflow dlq: {n} dead letter(s) in {topic}");
                    }
                }
                DlqCommand::Replay {
                    topic,
                    to,
                    group,
                    max_messages,
                    idle_timeout,
                } => {
                    let group = group.unwrap_or_else(|| format!("schemaflow-dlq-replay-{topic}"));
                    g.topic_partitions(&topic).await?;
                    let c = consumer(&g, &group)?;
                    c.subscribe(&[&topic])
                        .map_err(|e| CliError::io(e.to_string()))?;
                    let p: FutureProducer = g
                        .producer_config()
                        .create()
                        .map_err(|e| CliError::io(e.to_string()))?;
                    let mut n = 0u64;
                    while max_messages.is_none_or(|m| n < m) {
                        let Some(m) = next(&c, idle_timeout).await? else {
                            break;
                        };
                        let target = to
                            .clone()
                            .or_else(|| header(&m, schemaflow::consumer::dead_letter::HEADER_TOPIC))
                            .ok_or_else(|| {
                                CliError::usage(format!(
                                    "{topic}@{}: no __connect.errors.topic header; pass --to TOPIC",
                                    m.offset()
                                ))
                            })?;
                        let mut headers = OwnedHeaders::new();
                        if let Some(h) = m.headers() {
                            for h in h.iter().filter(|h| !is_error_header(h.key)) {
                                headers = headers.insert(Header {
                                    key: h.key,
                                    value: h.value,
                                });
                            }
                        }
                        let mut rec: FutureRecord<'_, [u8], [u8]> =
                            FutureRecord::to(&target).headers(headers);
                        if let Some(k) = m.key() {
                            rec = rec.key(k);
                        }
                        if let Some(v) = m.payload() {
                            rec = rec.payload(v);
                        }
                        p.send(rec, Duration::from_secs(30))
                            .await
                            .map_err(|(e, _)| {
                                CliError::io(format!("replaying to {target}: {e}"))
                            })?;
                        c.store_offset(m.topic(), m.partition(), m.offset())
                            .map_err(|e| CliError::io(e.to_string()))?;
                        c.commit_consumer_state(CommitMode::Sync)
                            .map_err(|e| CliError::io(e.to_string()))?;
                        n += 1;
                    }
                    eprintln!("schemaflow dlq: replayed {n} record(s) from {topic}");
                }
            }
            Ok(())
        }),
    )
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
