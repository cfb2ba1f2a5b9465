//! `schemaflow consume`: decode any registry-framed record (Avro or Protobuf, writer schema
//! fetched by id — from the payload prefix or, Confluent 8's form, the `__value_schema_id`
//! header) to one JSON line on stdout.
//!
//! It runs the library's one consumer loop ([`TypedConsumer`] over [`serde_json::Value`]), so
//! it treats failures exactly as a typed consumer does. The rule:
//! - a record's own fault (bad magic, unknown schema id, corrupt payload): with `--dlq-topic`
//!   it is dead-lettered and the command goes on; with `--group` and no DLQ the command exits
//!   1 without committing past it (unless `--skip-undecodable`); without `--group` it is
//!   skipped with one line on stderr;
//! - the environment's fault (registry unreachable, 5xx, 429, timeouts): retried, holding the
//!   position, for `--registry-retry-timeout` (default 60 s), then exit 3 — never skipped,
//!   never dead-lettered, never committed past; 401/403 exit 3 at once.
//!
//! By default a line holds just the value, in the JSON forms `produce` reads (so
//! `consume | produce` round-trips; non-finite doubles print as `"NaN"`, `"Infinity"`,
//! `"-Infinity"`; a union value whose plain form would read back as another branch prints
//! wrapped, `{"double": "NaN"}`); `--metadata` wraps it with topic, partition, offset, key, schema id and
//! timestamp, the form `produce --metadata` reads (keys and tombstones kept). A tombstone
//! prints `null`. Without `--group` partitions are assigned directly and nothing is committed.
//!
//! Where reading starts (`--offset`, `--from-beginning`, `--from-timestamp`, one of them):
//! every partition; with `--group` only those the group has no committed offset for (looked up
//! on assignment, [`schemaflow::consumer::start_offset`]), the others resume. An offset outside a
//! partition's records starts at its nearest end with a line on stderr. A reader that goes
//! away (`consume | head`) ends the command with exit 0; the record it did not take is not
//! committed.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use rdkafka::consumer::BaseConsumer;
use rdkafka::{Offset, TopicPartitionList};
use schemaflow::consumer::{
    ConsumerConfig, ConsumerEvent, DeadLetter, HandlerError, Message, StartAt, TypedConsumer,
};
use schemaflow::registry::ReaderVersion;
use serde_json::json;

use super::common::{block_on, finish, CliError, Global};
use super::duration::human;

/// Arguments of `consume`.
///
/// A record that cannot be decoded (the record's fault): with --dlq-topic it is
/// dead-lettered and consuming goes on; with --group and no DLQ the command exits 1 without
/// committing past it (unless --skip-undecodable); without --group it is skipped with one
/// line on stderr. A registry or broker that fails (unreachable, 5xx, 429, timeouts) is
/// retried holding the position for --registry-retry-timeout, then exit 3; 401/403 exit 3 at
/// once. Such records are never skipped or dead-lettered.
///
/// Where to start (--offset, --from-beginning, --from-timestamp: one of them) applies to every
/// partition; with --group only to partitions without a committed offset, the others resume
/// where the group left off.
///
/// With --use-latest-version or --use-latest-with-metadata every record is read as one version
/// of `<topic>-value`, through the migration rules of the versions between (data contracts).
///
/// Examples:
///   schemaflow consume --topic user-events --from-beginning --max-messages 10
///   schemaflow consume --topic customers --from-beginning --use-latest-with-metadata major_version=2
///   schemaflow consume --topic user-events --group audit --metadata
///   schemaflow consume --topic user-events --offset 42 --metadata | \
///       schemaflow produce --topic user-events-copy --subject user-events-value --metadata
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ConsumeArgs {
    /// Topic to read.
    #[arg(long)]
    topic: String,
    /// Consumer group (offsets committed after printing); default: none (assign, no commits).
    #[arg(long)]
    group: Option<String>,
    /// With --group: commit after this many printed records, or after a second, whichever
    /// comes first (the library's `commit_every`; default 10000).
    #[arg(long, value_name = "RECORDS", requires = "group")]
    commit_every: Option<usize>,
    /// Start at the beginning (same as `--offset beginning`).
    #[arg(long, conflicts_with_all = ["offset", "from_timestamp"])]
    from_beginning: bool,
    /// Where to start, in every partition: `beginning`, `end` (default) or an offset. With
    /// --group it applies only to partitions the group has no committed offset for (looked up
    /// on assignment); the others resume where the group left off. An offset outside a
    /// partition's records starts at its nearest end (the first record kept, or the end),
    /// with a line on stderr saying where.
    #[arg(long, conflicts_with = "from_timestamp")]
    offset: Option<String>,
    /// Start at the first record at or after this time (ms since the epoch), in every
    /// partition (with --group: those without a committed offset); a partition with no record
    /// that late starts at its end, with a line on stderr.
    #[arg(long, value_name = "MS")]
    from_timestamp: Option<i64>,
    /// Stop after printing this many records.
    #[arg(long)]
    max_messages: Option<u64>,
    /// Stop when nothing arrives for this many seconds.
    #[arg(long, value_name = "SECS")]
    idle_timeout: Option<f64>,
    /// Copy undecodable records here, with error headers, and go on.
    #[arg(long)]
    dlq_topic: Option<String>,
    /// With --group and no --dlq-topic: skip undecodable records (one stderr line each)
    /// instead of stopping with exit 1.
    #[arg(long)]
    skip_undecodable: bool,
    /// How long a registry (or broker) failure is retried, holding the position, before
    /// exit 3.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    registry_retry_timeout: f64,
    /// Print `{topic, partition, offset, key, schema_id, timestamp, value}` objects (what
    /// `produce --metadata` reads).
    #[arg(long)]
    metadata: bool,
    /// JSON Schema: print values without checking them against their writer schema
    /// (Confluent's `validate=false`); by default a value that breaks it is undecodable (its
    /// JSON pointer and keyword in the error), dead-lettered with --dlq-topic.
    #[arg(long)]
    no_validate: bool,
    /// Read every record as the subject's latest version (Confluent's `use.latest.version`):
    /// a record of another version is migrated by the JSONata migration rules between the
    /// two (UPGRADE going forward, DOWNGRADE back); one without a path between them is
    /// undecodable (dead-lettered with --dlq-topic). The subject is `<topic>-value`.
    #[arg(long, conflicts_with = "use_latest_with_metadata")]
    use_latest_version: bool,
    /// Read every record as the subject's latest version whose metadata properties hold
    /// KEY=VALUE (Confluent's `use.latest.with.metadata`; repeat for several, e.g.
    /// `--use-latest-with-metadata major_version=1` to stay on a compatibility group),
    /// migrated as with --use-latest-version.
    #[arg(long, value_name = "KEY=VALUE")]
    use_latest_with_metadata: Vec<String>,
}

/// The reader version the flags ask for (`--use-latest-version`,
/// `--use-latest-with-metadata`).
fn reader_version(a: &ConsumeArgs) -> Result<ReaderVersion, CliError> {
    if a.use_latest_version {
        return Ok(ReaderVersion::Latest);
    }
    if a.use_latest_with_metadata.is_empty() {
        return Ok(ReaderVersion::Writer);
    }
    let mut wanted = std::collections::BTreeMap::new();
    for pair in &a.use_latest_with_metadata {
        let (k, v) = pair
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--use-latest-with-metadata {pair:?}: expected KEY=VALUE"
                ))
            })?;
        wanted.insert(k.to_string(), v.to_string());
    }
    Ok(ReaderVersion::LatestWithMetadata(wanted))
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

fn start_of(a: &ConsumeArgs) -> Result<Start, CliError> {
    if a.from_beginning {
        return Ok(Start::Beginning);
    }
    if let Some(ms) = a.from_timestamp {
        return Ok(Start::Time(ms));
    }
    match a.offset.as_deref() {
        None | Some("end") => Ok(Start::End),
        Some("beginning") => Ok(Start::Beginning),
        Some(n) => n
            .parse()
            .ok()
            .filter(|n: &i64| *n >= 0)
            .map(Start::At)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--offset {n:?}: expected beginning, end or an offset (a number ≥ 0)"
                ))
            }),
    }
}

fn seconds(flag: &str, secs: f64) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| CliError::usage(format!("{flag} {secs}: expected seconds ≥ 0")))
}

async fn consume(g: Global, a: ConsumeArgs) -> Result<(), CliError> {
    let start = start_of(&a)?;
    // One metadata request first: a cluster that does not answer is one line within seconds.
    let partitions = g.topic_partitions(&a.topic).await?;
    let mut config = ConsumerConfig::new(
        g.brokers(),
        a.group
            .clone()
            .unwrap_or_else(|| format!("schemaflow-consume-{:08x}", fastrand::u32(..))),
        &[&a.topic],
    );
    config.auto_offset_reset = match start {
        Start::Beginning => "earliest",
        _ => "latest",
    }
    .into();
    // A group member learns its partitions on assignment: those without a committed offset
    // are placed there (the library looks the committed offsets up then).
    config.start_uncommitted = match start {
        Start::At(n) => Some(StartAt::Offset(n)),
        Start::Time(ms) => Some(StartAt::Timestamp(ms)),
        Start::Beginning | Start::End => None,
    };
    config.commit_offsets = a.group.is_some();
    if let Some(n) = a.commit_every {
        config.commit_every = n.max(1);
    }
    config.read_committed = true;
    config.environment_retry_timeout =
        seconds("--registry-retry-timeout", a.registry_retry_timeout)?;
    config.idle_timeout = a
        .idle_timeout
        .map(|s| seconds("--idle-timeout", s))
        .transpose()?;
    config.dead_letter = match (&a.dlq_topic, &a.group) {
        (Some(t), _) => DeadLetter::Topic(t.clone()),
        (None, Some(_)) if !a.skip_undecodable => DeadLetter::Stop,
        (None, _) => DeadLetter::Skip,
    };
    config.properties = g.properties();
    config.validate = !a.no_validate;
    config.reader_version = reader_version(&a)?;
    let registry = g.registry()?;
    let consumer = if a.group.is_some() {
        TypedConsumer::<serde_json::Value>::new(config, registry)?
    } else {
        let tpl = assignment(&g, &a.topic, &partitions, &start).await?;
        TypedConsumer::<serde_json::Value>::with_assignment(config, registry, &tpl)?
    };
    let undecodable = Arc::new(AtomicU64::new(0));
    let consumer = consumer.on_event({
        let undecodable = undecodable.clone();
        move |event| report(event, &undecodable)
    });

    // --max-messages: the handler asks for a stop after the last record it prints; the loop
    // finishes that record (its offset stored and committed) before it stops.
    let done = Arc::new(tokio::sync::Notify::new());
    let printed = Arc::new(AtomicU64::new(0));
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let stdout_closed = Arc::new(AtomicBool::new(false));
    let handler = {
        let (done, printed, out) = (done.clone(), printed.clone(), out.clone());
        let closed = stdout_closed.clone();
        let (metadata, max) = (a.metadata, a.max_messages);
        move |m: Message<serde_json::Value>| {
            let result = print(&out, &m, metadata, &closed);
            if result.is_ok() {
                let n = printed.fetch_add(1, Ordering::Relaxed) + 1;
                if max.is_some_and(|max| n >= max) {
                    done.notify_one();
                }
            }
            std::future::ready(result)
        }
    };
    if a.max_messages == Some(0) {
        return Ok(());
    }
    let shutdown = async {
        tokio::select! {
            () = schemaflow::shutdown_signal() => {}
            () = done.notified() => {}
        }
    };
    let result = consumer.run(handler, shutdown).await;
    let skipped = undecodable.load(Ordering::Relaxed);
    if skipped > 0 {
        eprintln!(
            "schemaflow consume: {} printed, {skipped} undecodable {}",
            printed.load(Ordering::Relaxed),
            if a.dlq_topic.is_some() {
                "dead-lettered"
            } else {
                "skipped"
            }
        );
    }
    // The reader went away (`consume | head`): the record it did not take stays uncommitted,
    // and that is the end of the command, not a failure.
    if stdout_closed.load(Ordering::Relaxed) {
        return Err(CliError::stdout_closed());
    }
    result.map(|_| ()).map_err(consume_error)
}

/// The consumer's error for the one stderr line, with the time retried rounded for people
/// (the library's message shows `Debug`'s `6.578477838s`).
fn consume_error(e: schemaflow::Error) -> CliError {
    match e {
        schemaflow::Error::Environment {
            topic,
            partition,
            offset,
            waited,
            source,
        } => CliError::io(format!(
            "{topic}/{partition}@{offset}: gave up after {} (nothing dead-lettered or committed past this record): {source}",
            human(waited)
        )),
        other => CliError::from(other),
    }
}

/// One stderr line per record not printed, and one when the registry starts failing.
fn report(event: &ConsumerEvent<'_>, undecodable: &AtomicU64) {
    match event {
        ConsumerEvent::Skipped { at, reason } => {
            undecodable.fetch_add(1, Ordering::Relaxed);
            eprintln!("schemaflow consume: skipping {at}: {reason}");
        }
        ConsumerEvent::DeadLettered { at, topic, reason } => {
            undecodable.fetch_add(1, Ordering::Relaxed);
            eprintln!("schemaflow consume: {at} dead-lettered to {topic}: {reason}");
        }
        ConsumerEvent::StartMoved(m) => eprintln!("schemaflow consume: {m}"),
        ConsumerEvent::StartLookupFailed { error } => eprintln!(
            "schemaflow consume: could not look up where to start ({error}); the assigned partitions start by their committed offsets, else at the end"
        ),
        ConsumerEvent::Retrying {
            at,
            attempt: 1,
            budget,
            error,
            ..
        } => eprintln!(
            "schemaflow consume: waiting at {at} (retrying for up to {}, nothing skipped): {error}",
            human(*budget)
        ),
        _ => {}
    }
}

fn print(
    out: &Mutex<std::io::Stdout>,
    m: &Message<serde_json::Value>,
    metadata: bool,
    closed: &AtomicBool,
) -> Result<(), HandlerError> {
    let value = m.value.clone().unwrap_or(serde_json::Value::Null);
    let line = if metadata {
        json!({
            "topic": &*m.topic,
            "partition": m.partition,
            "offset": m.offset,
            "key": m.key.as_deref().map(|k| String::from_utf8_lossy(k).to_string()),
            "schema_id": m.schema_id.map(|id| id.0),
            "timestamp": m.timestamp,
            "value": value,
        })
    } else {
        value
    };
    // A closed stdout (`consume | head`) is not the record's fault: stop at it, uncommitted.
    let mut out = out
        .lock()
        .map_err(|_| HandlerError::stop("stdout lock poisoned"))?;
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                closed.store(true, Ordering::Relaxed);
            }
            HandlerError::stop(format!("writing to stdout: {e}"))
        })
}

/// Every partition of `topic` at `start`, for a reader without a group: offsets and times
/// placed by the library's one rule ([`schemaflow::consumer::start_offset`]), each move into range
/// said on stderr.
async fn assignment(
    g: &Global,
    topic: &str,
    partitions: &[i32],
    start: &Start,
) -> Result<TopicPartitionList, CliError> {
    let mut tpl = TopicPartitionList::new();
    for p in partitions {
        let offset = match start {
            Start::Beginning => Offset::Beginning,
            // At and Time are placed below.
            Start::End | Start::At(_) | Start::Time(_) => Offset::End,
        };
        tpl.add_partition_offset(topic, *p, offset)
            .map_err(|e| CliError::io(e.to_string()))?;
    }
    let at = match start {
        Start::At(n) => StartAt::Offset(*n),
        Start::Time(ms) => StartAt::Timestamp(*ms),
        Start::Beginning | Start::End => return Ok(tpl),
    };
    let probe: BaseConsumer = g
        .kafka_config(&[])
        .create()
        .map_err(|e| CliError::io(format!("creating a Kafka client: {e}")))?;
    let (tpl, moved) = tokio::task::spawn_blocking(move || {
        schemaflow::consumer::start_offset::place(
            &probe,
            &mut tpl,
            at,
            false,
            schemaflow::admin::METADATA_TIMEOUT,
        )
        .map(|moved| (tpl, moved))
    })
    .await
    .map_err(|e| CliError::io(e.to_string()))?
    .map_err(|e| CliError::io(format!("looking up where to start ({at}): {e}")))?;
    for m in moved {
        eprintln!("schemaflow consume: {m}");
    }
    Ok(tpl)
}
