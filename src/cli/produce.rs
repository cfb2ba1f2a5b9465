//! `schemaflow produce`: JSON lines in, registry-framed records out.
//!
//! JSON forms (the same `consume` prints, so `consume | produce` round-trips):
//! * Avro, `--json natural` (default): unions as plain values, enums as symbols, `decimal` as a
//!   string (`"12.34"`), `uuid` as a string, bytes/fixed as strings of code points 0–255,
//!   date/time/timestamp logical types as numbers (RFC 3339 strings are accepted for
//!   timestamps, `YYYY-MM-DD` for dates); missing fields take their defaults.
//! * Avro, `--json avro`: Avro's standard JSON encoding (unions as `{"type": value}`).
//! * Protobuf: the proto3 JSON mapping (either field-name spelling; int64 as strings or
//!   numbers; enums by name; `Timestamp` as RFC 3339).
//! * JSON Schema (`--schema-type json`): the line is the value. It is checked against the
//!   schema (a line that breaks it is a bad line, with the JSON pointer and keyword at fault;
//!   `--no-validate` writes it unchecked, Confluent's `validate=false`) and written as
//!   Confluent's Python `JSONSerializer` writes it after `json.loads`: keys in the line's
//!   order, no whitespace, so the frame is byte-identical to Python's for the same line.
//!
//! Non-finite floats and doubles are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (also
//! `"INF"`, `"-INF"`), as `consume` prints them. In Avro's natural form a plain value in a
//! union takes the first branch that fits it — a union that also has `string` takes `"NaN"` as
//! the string — and the wrapped form `{"double": "NaN"}` chooses the branch; `consume` prints
//! the wrapped form wherever the plain one would read back as another branch.
//!
//! A line `null` is a tombstone (a record without a value), which needs a key: `--key`, or
//! `--metadata` lines (the form `consume --metadata` prints: `value` and `key` are used, the
//! rest ignored), so `consume --metadata | produce --metadata` keeps keys and tombstones. Keys
//! and `--key-field` paths: see [`super::produce_line`].
//!
//! A line that is not valid JSON, does not fit the schema, has no field at `--key-field`, or
//! is a tombstone without a key stops the command with exit 1 and its line number, after the
//! records before it are delivered; `--skip-invalid` reports such lines on stderr, goes on,
//! and prints a count. A `--message` that is not in the schema, or a `--schema-file` that
//! does not parse, is a usage error (exit 2) before any line is read and before the schema is
//! registered.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use schemaflow::codec::json::{json_to_avro_frame, json_to_protobuf_frame, AvroJsonForm};
use schemaflow::codec::json_schema::{self, python_json::Ordered};
use schemaflow::codec::WriterSchema;
use schemaflow::registry::{Schema, SchemaReference, SchemaResolver, Version};
use schemaflow::rules::encode::apply_to_frame;
use schemaflow::rules::{Direction, DomainRules, RuleTarget};
use schemaflow::wire::SchemaId;

use super::common::{block_on, finish, schema_type_of, CliError, Global, SchemaTypeArg};
use super::produce_line::{self, KeyPath, KeySource};
use super::schema_file::parse_before_registering;

/// `--json` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JsonForm {
    /// Natural JSON (default).
    Natural,
    /// Avro's standard JSON encoding.
    Avro,
}

/// Arguments of `produce`.
///
/// Examples:
///   schemaflow produce --topic user-events --subject user-events-value < events.jsonl
///   schemaflow produce --topic user-events-proto --schema-type protobuf \
///       --schema-file proto/events/v1/user_event.proto --message events.v1.UserEvent \
///       --reference events/v1/common.proto=events/v1/common.proto:1 --key-field user_id
#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// Topic to write to.
    #[arg(long)]
    topic: String,
    /// Schema language (default: from --schema-file's extension, or the registered schema).
    #[arg(long, value_enum)]
    schema_type: Option<SchemaTypeArg>,
    /// Register this schema file (under --subject, default `<topic>-value`) and use it.
    #[arg(long, value_name = "FILE", conflicts_with = "version")]
    schema_file: Option<PathBuf>,
    /// The subject; without --schema-file its registered version is used.
    #[arg(long, required_unless_present = "schema_file")]
    subject: Option<String>,
    /// Version of --subject to use: a number or `latest`.
    #[arg(long, default_value = "latest")]
    version: String,
    /// A reference of --schema-file, `NAME=SUBJECT:VERSION` (repeatable).
    #[arg(long, value_name = "NAME=SUBJECT:VERSION", value_parser = super::schema_file::parse_reference)]
    reference: Vec<SchemaReference>,
    /// Protobuf: the message to write, by full name (default: the file's first message); one
    /// the schema does not have is a usage error (exit 2) before any line is read.
    #[arg(long, value_name = "FULL.NAME")]
    message: Option<String>,
    /// Avro JSON form. Either way non-finite doubles are "NaN", "Infinity", "-Infinity" (or
    /// "INF", "-INF"); in natural form a union that also has `string` takes them as the string,
    /// so there write `{"double": "NaN"}` (as `consume` prints it).
    #[arg(long = "json", value_enum, default_value_t = JsonForm::Natural)]
    json_form: JsonForm,
    /// Read from this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Use this value's field as the key (dotted path: `device.platform`; Protobuf: the
    /// `.proto` or the JSON name, `user_id` or `userId`). A line where the path matches nothing
    /// is a bad line (exit 1 with its number, or skipped with --skip-invalid). A string becomes
    /// its UTF-8 bytes (what Java's `StringSerializer` writes), `null` no key, any other value
    /// its JSON text (`42`, `true`) — not the 8 bytes of Java's `LongSerializer`, so numeric
    /// keys land on other partitions than a Java producer's. Keys are partitioned as Java does
    /// (murmur2; `-X partitioner=consistent_random` for librdkafka's CRC32 placement).
    #[arg(long, value_name = "PATH", conflicts_with = "key")]
    key_field: Option<String>,
    /// Use this string as every record's key (also of tombstones: `null` lines).
    #[arg(long)]
    key: Option<String>,
    /// Read lines as `consume --metadata` prints them: the value from `value`, the key from
    /// `key` (unless --key or --key-field); the other fields are ignored.
    #[arg(long)]
    metadata: bool,
    /// Report bad lines on stderr and go on instead of stopping with exit 1.
    #[arg(long)]
    skip_invalid: bool,
    /// JSON Schema: write lines without checking them against the schema (Confluent's
    /// `validate=false`).
    #[arg(long)]
    no_validate: bool,
}

/// Run `produce`.
pub fn run(g: Global, a: ProduceArgs) -> ExitCode {
    finish("produce", block_on(produce(g, a)))
}

/// Every message of a Protobuf schema's file, nested ones too, by full name.
fn message_names(schema: &schemaflow::codec::protobuf::ProtobufSchema) -> Vec<String> {
    fn walk(m: prost_reflect::MessageDescriptor, out: &mut Vec<String>) {
        if !m.is_map_entry() {
            out.push(m.full_name().to_string());
        }
        for c in m.child_messages() {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    if let Some(file) = schema.pool().get_file_by_name(schema.file_name()) {
        for m in file.messages() {
            walk(m, &mut out);
        }
    }
    out
}

/// The Protobuf message to write (`--message`, else the file's first message); `None` for
/// Avro. A `--message` the schema does not have is a usage error.
fn message_to_write(
    writer: &WriterSchema,
    message: Option<&str>,
) -> Result<Option<String>, CliError> {
    match (writer, message) {
        (WriterSchema::Protobuf(p), Some(m)) => {
            // A name that is not in the schema would fail every line: say so before reading any.
            let m = m.trim_start_matches('.');
            p.index_path(m).map_err(|_| {
                CliError::usage(format!(
                    "--message {m}: no such message in {} (it has {})",
                    p.file_name(),
                    message_names(p).join(", ")
                ))
            })?;
            Ok(Some(m.to_string()))
        }
        (WriterSchema::Protobuf(p), None) => Ok(Some(p.message_at(&[0])?.full_name().to_string())),
        (WriterSchema::Avro(_) | WriterSchema::Json(_), Some(_)) => {
            Err(CliError::usage("--message is for Protobuf schemas"))
        }
        (WriterSchema::Avro(_) | WriterSchema::Json(_), None) => Ok(None),
    }
}

/// A JSON Schema line's frame: the value read again with its keys in order (the
/// `serde_json::Value` the line was read into sorts them), so the frame is Python's.
fn json_schema_frame(
    line: &str,
    metadata: bool,
    schema: &json_schema::JsonWriterSchema,
    id: SchemaId,
    validate: bool,
    frame: &mut Vec<u8>,
) -> Result<(), schemaflow::SchemaError> {
    let ordered: Ordered = serde_json::from_str(line)
        .map_err(|e| schemaflow::SchemaError::Json(format!("not JSON: {e}")))?;
    let value = match (&ordered, metadata) {
        (Ordered::Object(entries), true) => entries
            .iter()
            .find(|(k, _)| k == "value")
            .map(|(_, v)| v)
            .unwrap_or(&Ordered::Null),
        _ => &ordered,
    };
    json_schema::with_validation(validate, || {
        json_schema::encode_ordered(schema, id, value, frame)
    })
    .map(|_| ())
}

async fn settle(d: DeliveryFuture, topic: &str) -> Result<(), CliError> {
    tokio::pin!(d);
    // Say so when the broker keeps us waiting, rather than sit silent until the timeout.
    let result = tokio::select! {
        r = &mut d => r,
        () = tokio::time::sleep(Duration::from_secs(3)) => {
            eprintln!("schemaflow produce: waiting for the broker to acknowledge records to {topic}…");
            d.await
        }
    };
    match result {
        Ok(Ok(_)) => Ok(()),
        Ok(Err((e, _))) => Err(CliError::io(format!("producing to {topic}: {e}"))),
        Err(_) => Err(CliError::io(format!(
            "producing to {topic}: the producer went away"
        ))),
    }
}

async fn produce(g: Global, a: ProduceArgs) -> Result<(), CliError> {
    // The cluster first: nothing is registered or read when it does not answer.
    g.topic_partitions(&a.topic).await?;
    let registry = g.registry()?;
    let subject = a
        .subject
        .clone()
        .unwrap_or_else(|| format!("{}-value", a.topic));
    // The schema and its id: register the file, or use the subject's version.
    let id: SchemaId =
        match &a.schema_file {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| CliError::io(format!("reading {}: {e}", file.display())))?;
                let schema = Schema {
                    schema: text,
                    schema_type: schema_type_of(a.schema_type, file)?,
                    references: a.reference.clone(),
                };
                // What would make the command refuse every line is refused before the
                // registry is changed: a schema that does not parse, a --message it lacks.
                let local = parse_before_registering(&registry, &schema, file).await?;
                message_to_write(&local, a.message.as_deref())?;
                registry
                    .client()
                    .register(&subject, &schema, false)
                    .await
                    .map_err(|e| super::missing_refs::register_error(e, &schema))?
                    .0
            }
            None => {
                let version: Version = a.version.parse().map_err(
                    |e: schemaflow::registry::types::InvalidVersion| CliError::usage(e.to_string()),
                )?;
                registry.version(&subject, version).await?.id
            }
        };
    let writer = SchemaResolver::new(registry.clone())
        .writer_schema(id)
        .await?;
    let message = message_to_write(&writer, a.message.as_deref())?;
    // The schema's WRITE rules (data contract), compiled before any line is read: a rule that
    // does not compile stops here; a line a rule refuses is an invalid line.
    let fetched = registry.schema_by_id(id).await?;
    let target = RuleTarget {
        schema: &writer,
        metadata: fetched.metadata.as_ref(),
    };
    let write_rules = DomainRules::compile_for(
        fetched.rule_set.as_ref(),
        Some(target),
        Direction::Write,
        &format!("subject {subject}"),
    )
    .map_err(|e| CliError::usage(e.to_string()))?;
    let keys = match (&a.key, &a.key_field) {
        (Some(k), _) => KeySource::Fixed(k.clone().into_bytes()),
        (None, Some(path)) => KeySource::Field(KeyPath::new(
            path,
            matches!(writer, WriterSchema::Protobuf(_)),
        )),
        (None, None) => KeySource::None,
    };
    let form = match a.json_form {
        JsonForm::Natural => AvroJsonForm::Natural,
        JsonForm::Avro => AvroJsonForm::Avro,
    };

    let producer: FutureProducer = g
        .producer_config()
        .create()
        .map_err(|e| CliError::io(e.to_string()))?;

    let reader: Box<dyn BufRead> = match &a.input {
        Some(p) => {
            Box::new(BufReader::new(std::fs::File::open(p).map_err(|e| {
                CliError::io(format!("opening {}: {e}", p.display()))
            })?))
        }
        None => Box::new(BufReader::new(std::io::stdin())),
    };
    let interactive = a.input.is_none() && std::io::stdin().is_terminal();
    let progress = if interactive {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} records {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );

    let mut pending: VecDeque<DeliveryFuture> = VecDeque::new();
    let (mut sent, mut skipped) = (0u64, 0u64);
    let mut failure: Option<CliError> = None;
    let mut frame = Vec::with_capacity(256);
    for (n, line) in reader.lines().enumerate() {
        let line_no = n + 1;
        let line = line.map_err(|e| CliError::io(format!("reading input line {line_no}: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        frame.clear();
        let encoded = serde_json::from_str::<serde_json::Value>(&line)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|json| produce_line::read(json, a.metadata, &keys))
            .and_then(|record| {
                let Some(json) = &record.value else {
                    return Ok(record); // a tombstone: no value to encode
                };
                let r = match (&writer, &message) {
                    (WriterSchema::Avro(s), _) => json_to_avro_frame(json, s, id, form, &mut frame),
                    (WriterSchema::Protobuf(s), Some(m)) => {
                        json_to_protobuf_frame(json, s, m, id, &mut frame)
                    }
                    (WriterSchema::Protobuf(_), None) => Err(schemaflow::SchemaError::Json(
                        "no Protobuf message chosen".into(),
                    )),
                    (WriterSchema::Json(s), _) => {
                        json_schema_frame(&line, a.metadata, s, id, !a.no_validate, &mut frame)
                    }
                };
                r.map(|()| record).map_err(|e| e.to_string())
            });
        let encoded = encoded.and_then(|record| match (&write_rules, &record.value) {
            (Some(rules), Some(_)) => {
                apply_to_frame(rules, &writer, &subject, &a.topic, &mut frame)
                    .map_err(|e| e.to_string())?;
                Ok(record)
            }
            _ => Ok(record),
        });
        let record = match encoded {
            Ok(r) => r,
            Err(reason) if a.skip_invalid => {
                skipped += 1;
                eprintln!("schemaflow produce: skipping line {line_no}: {reason}");
                continue;
            }
            Err(reason) => {
                failure = Some(CliError::failed(format!(
                    "line {line_no}: {reason} ({sent} record(s) before it were sent; fix the line or pass --skip-invalid)"
                )));
                break;
            }
        };
        let mut rec: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&a.topic);
        if record.value.is_some() {
            rec = rec.payload(&frame);
        }
        if let Some(k) = &record.key {
            rec = rec.key(k);
        }
        loop {
            match producer.send_result(rec) {
                Ok(d) => {
                    pending.push_back(d);
                    break;
                }
                Err((e, back)) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull) => {
                    rec = back;
                    if let Some(d) = pending.pop_front() {
                        settle(d, &a.topic).await?;
                    } else {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                Err((e, _)) => return Err(CliError::io(format!("producing to {}: {e}", a.topic))),
            }
        }
        sent += 1;
        progress.inc(1);
        while pending.len() > 100_000 {
            if let Some(d) = pending.pop_front() {
                settle(d, &a.topic).await?;
            }
        }
    }
    // Deliver everything sent before stopping (also before reporting a bad line).
    for d in pending {
        settle(d, &a.topic).await?;
    }
    progress.finish_and_clear();
    eprintln!(
        "schemaflow produce: {sent} record(s) to {} (schema id {id}, subject {subject}){}",
        a.topic,
        if skipped > 0 {
            format!(", {skipped} invalid line(s) skipped")
        } else {
            String::new()
        }
    );
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}
