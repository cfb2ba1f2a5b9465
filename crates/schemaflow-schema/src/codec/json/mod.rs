//! Frames ⇄ JSON, given the writer schema — for tools that have no generated type (the
//! CLI's `consume` prints frames as JSON lines, its `produce` turns JSON lines into frames).
//!
//! # Decoding: [`avro_frame_to_json`]
//!
//! Avro values come out as "natural" JSON, the way Confluent's Python deserializer's dicts
//! print: unions as their plain value, enums as their symbol, `decimal` as a string with its
//! scale (`"12.34"`), `uuid` as its string, bytes and fixed as a string whose code points
//! 0–255 are the bytes (Avro's JSON encoding), date/time/timestamp logical types as their
//! underlying number, maps with their keys sorted; a float or double that JSON numbers cannot
//! hold is the string `"NaN"`, `"Infinity"` or `"-Infinity"` (as Java's Avro JSON encoder and
//! the proto3 JSON mapping write them). Protobuf uses the proto3 JSON mapping
//! ([`ProtobufSchema::frame_to_json`](super::protobuf::ProtobufSchema::frame_to_json)).
//!
//! # Encoding: [`json_to_avro_frame`], [`json_to_protobuf_frame`]
//!
//! The inverse: a JSON value and the writer schema give the frame Confluent's serializer
//! writes for the same data (byte for byte: the golden fixtures round-trip through
//! decode → JSON → encode). Errors are [`Error::EncodeJson`] with the JSON path of the
//! offending value (`$.device.platform`, `$.tags[2]`, `$.attributes["a key"]`).
//!
//! ## Avro, natural form ([`AvroJsonForm::Natural`], the default)
//!
//! Everything [`avro_frame_to_json`] prints reads back to the same bytes. Per schema type:
//!
//! | schema | JSON accepted |
//! |---|---|
//! | `null` | `null` |
//! | `boolean` | `true` / `false` |
//! | `int`, `long` | an integer number in range (`5`; not `5.0`) |
//! | `float`, `double` | any number; also `"NaN"`, `"Infinity"`, `"-Infinity"`, `"INF"`, `"-INF"` |
//! | `string` | a string |
//! | `bytes`, `fixed` | a string whose code points 0–255 are the bytes (`"\u0000\u00ff"`); a fixed's string has exactly its size |
//! | `enum` | its symbol as a string |
//! | `array` | an array |
//! | `map` | an object; entries are written in key order (sorted) |
//! | `record` | an object with the record's field names. A missing field takes its default (read as Avro JSON, a union default being its first branch); a missing field without default is an error naming its path; an unknown field is an error naming it |
//! | `decimal` (bytes or fixed) | a string `"12.34"` or a number; written as the minimal big-endian two's-complement of the unscaled value at the schema's scale (sign-extended to the size of a fixed). More fraction digits than the scale is an error (`"12.345"` at scale 2, even `"12.340"`), fewer are padded (`"12.3"` → 1230); more digits than the precision is an error |
//! | `big-decimal` | a string or a number |
//! | `uuid` | its string (any form the `uuid` crate parses, written hyphenated lowercase); a uuid on `fixed` is written as its 16 bytes |
//! | `date` | the number of days since 1970-01-01, or `"YYYY-MM-DD"` |
//! | `time-millis`, `time-micros` | the number (ms / µs after midnight) |
//! | `timestamp-millis`, `-micros`, `-nanos` | the number since the epoch, or an RFC 3339 string with an offset (`"2023-11-14T22:13:20.123Z"`); a string more precise than the unit is an error |
//! | `local-timestamp-*` | the number |
//! | `duration` | its 12 bytes as a code-point string |
//! | union | the plain value of a branch, see below |
//!
//! A union value is matched to a branch by its JSON kind: `null` → the `null` branch;
//! booleans → `boolean`; numbers → the first numeric branch (union order) they fit (integers
//! fit `int`, `long`, `float`, `double`, decimals, dates and times; numbers with a fraction or
//! exponent fit only `float`, `double` and decimals); strings → `string`, then `uuid`, then an
//! `enum` having the symbol, then decimals, then dates/timestamps, then `bytes`, then
//! `fixed`/`duration` of the right size; arrays → `array`; objects → the record branch that
//! matches the keys best (no unknown key, fewest missing fields), then `map`. The first
//! branch that accepts the value wins; when none does, the error is the one branch's error
//! if a single branch was tried, else a list of every branch's reason.
//!
//! The Avro-JSON wrapped form `{"branch": value}` is accepted too, when the object has
//! exactly one key naming a branch (a named type's full or unqualified name, else the type
//! name: `"string"`, `"long"`, `"array"`…) and the union has no record with a field of that
//! name and no map (which would make the object data).
//!
//! The natural form cannot tell apart the branches of unions like `["int", "long"]`,
//! `["float", "double"]` or `["string", <enum>]`: such values take the earliest fitting
//! branch. Use the Avro form for them. So too a non-finite double in a union that also has
//! `string` (`["null", "string", "double"]`): decoding prints `"NaN"`, which reads back as the
//! string; write `{"double": "NaN"}` for the double.
//!
//! ## Avro, Avro's JSON encoding ([`AvroJsonForm::Avro`])
//!
//! As Avro's `JsonEncoder` writes: a union value is `null` or `{"<branch>": value}` (branch
//! names as above); bytes, fixed, `decimal` and `duration` are code-point strings of their
//! bytes (a number is also accepted for a decimal); a uuid on bytes/fixed may be its 16 bytes
//! as a code-point string or its text; dates and timestamps are numbers only. Everything
//! else as in the natural form.
//!
//! ## Protobuf
//!
//! The proto3 JSON mapping as prost-reflect implements it: fields by their JSON
//! (lowerCamel) name or their `.proto` name, 64-bit integers as strings or numbers, enums
//! by name or number, bytes as base64, `Timestamp` as RFC 3339, `Duration` as `"1.5s"`, the
//! well-known wrappers as plain values. Unknown fields and unknown enum names are errors.

use std::collections::HashMap;

use apache_avro::schema::{InnerDecimalSchema, Schema};
use apache_avro::types::Value;
use serde_json::{json, Map, Value as Json};

use super::avro::AvroSchema;
use super::protobuf::ProtobufSchema;
use crate::error::{Error, Result};
use crate::wire::{self, SchemaId};

mod avro_encode;
mod datetime;

/// How Avro JSON input is read by [`json_to_avro_frame`] (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AvroJsonForm {
    /// Natural JSON, as [`avro_frame_to_json`] prints it: unions as plain values, decimals as
    /// `"12.34"`, uuids as strings; the wrapped `{"branch": value}` union form is accepted
    /// where unambiguous.
    #[default]
    Natural,
    /// Avro's standard JSON encoding: unions as `{"type": value}` objects (`{"string": "x"}`,
    /// `{"com.example.Address": {...}}`), null as `null`, bytes/fixed/decimal as code-point
    /// strings.
    Avro,
}

/// Append the Avro frame (header with `id`, then the datum) of `json` read as `schema`, the
/// writer schema registered under `id`. On error `buf` is left as it was.
pub fn json_to_avro_frame(
    json: &Json,
    schema: &AvroSchema,
    id: SchemaId,
    form: AvroJsonForm,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let start = buf.len();
    wire::write_header(id, buf);
    json_to_avro_datum(json, schema, form, buf).inspect_err(|_| buf.truncate(start))
}

/// Append the Avro binary datum (no frame) of `json` read as `schema`. On error `buf` is
/// left as it was.
pub fn json_to_avro_datum(
    json: &Json,
    schema: &AvroSchema,
    form: AvroJsonForm,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let start = buf.len();
    let mode = match form {
        AvroJsonForm::Natural => avro_encode::Mode::Natural,
        AvroJsonForm::Avro => avro_encode::Mode::Avro,
    };
    avro_encode::Encoder::new(schema.schema())
        .encode(json, schema.schema(), mode, buf)
        .map_err(|f| {
            buf.truncate(start);
            Error::EncodeJson {
                path: f.path,
                reason: f.reason,
            }
        })
}

/// Append the Protobuf frame of `json` (proto3 JSON mapping) as the message `message` — its
/// full name, `events.v1.UserEvent` (a leading `.` is allowed) — of `schema`'s file: header
/// with `id`, the message's index path in the file, the message bytes (fields in number
/// order, as protobuf's own serializers write them). On error `buf` is left as it was.
///
/// Field names may be the JSON (lowerCamel) names or the `.proto` names. Errors are
/// [`Error::EncodeJson`] with the JSON path where deserialization stopped.
pub fn json_to_protobuf_frame(
    json: &Json,
    schema: &ProtobufSchema,
    message: &str,
    id: SchemaId,
    buf: &mut Vec<u8>,
) -> Result<()> {
    use prost::Message as _;
    let indexes = schema.index_path(message)?;
    let desc = schema.message_at(&indexes)?;
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(json, &mut track);
    let msg =
        prost_reflect::DynamicMessage::deserialize(desc, de).map_err(|e| Error::EncodeJson {
            path: json_path(&track.path()),
            reason: e.to_string(),
        })?;
    let start = buf.len();
    wire::write_header(id, buf);
    wire::write_message_indexes(&indexes, buf);
    msg.encode(buf).map_err(|e| {
        buf.truncate(start);
        Error::Json(e.to_string())
    })
}

/// A serde path as a JSON path: `$`, `$.items[0].sku`.
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut s = String::from("$");
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => s.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !key.starts_with(|c: char| c.is_ascii_digit())
                {
                    s.push('.');
                    s.push_str(key);
                } else {
                    s.push_str(&format!("[{}]", Json::String(key.clone())));
                }
            }
            Segment::Unknown => s.push_str(".?"),
        }
    }
    s
}

/// Decode an Avro frame written with `writer` to natural JSON.
pub fn avro_frame_to_json(frame: &[u8], writer: &AvroSchema) -> Result<(SchemaId, Json)> {
    let (id, datum) = wire::read_header(frame)?;
    let value = writer.read_value(datum).map_err(|e| Error::DecodeAvro {
        type_name: writer.name().to_string(),
        schema_id: id,
        source: e,
    })?;
    let mut names = HashMap::new();
    crate::avro::collect_named_types(writer.schema(), &mut names);
    Ok((id, avro_value_to_json(&value, writer.schema(), &names)))
}

/// A float JSON numbers cannot hold, as the string Java's Avro JSON encoder (through Jackson)
/// and the proto3 JSON mapping write — `"NaN"`, `"Infinity"`, `"-Infinity"` — which the
/// encoder reads back (`serde_json` would print `null`, which reads back as no value).
fn non_finite_json(f: f64) -> Json {
    if f.is_nan() {
        json!("NaN")
    } else if f > 0.0 {
        json!("Infinity")
    } else {
        json!("-Infinity")
    }
}

fn bytes_json(b: &[u8]) -> Json {
    Json::String(b.iter().map(|&c| char::from(c)).collect())
}

fn avro_value_to_json(value: &Value, schema: &Schema, names: &HashMap<String, &Schema>) -> Json {
    let schema = crate::avro::deref(schema, names).unwrap_or(schema);
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int(i) | Value::Date(i) | Value::TimeMillis(i) => json!(i),
        Value::Long(l)
        | Value::TimeMicros(l)
        | Value::TimestampMillis(l)
        | Value::TimestampMicros(l)
        | Value::TimestampNanos(l)
        | Value::LocalTimestampMillis(l)
        | Value::LocalTimestampMicros(l)
        | Value::LocalTimestampNanos(l) => json!(l),
        // A finite float prints as an f32 (`0.1`, not 0.10000000149011612).
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Float(f) => non_finite_json(f64::from(*f)),
        Value::Double(d) if d.is_finite() => json!(d),
        Value::Double(d) => non_finite_json(*d),
        Value::Bytes(b) | Value::Fixed(_, b) => bytes_json(b),
        Value::String(s) => json!(s),
        Value::Uuid(u) => json!(u.to_string()),
        Value::Enum(_, sym) => json!(sym),
        Value::Union(i, v) => {
            let branch = match schema {
                Schema::Union(u) => u.variants().get(*i as usize).unwrap_or(schema),
                s => s,
            };
            avro_value_to_json(v, branch, names)
        }
        Value::Array(items) => {
            let item_schema = match schema {
                Schema::Array(a) => &*a.items,
                s => s,
            };
            Json::Array(
                items
                    .iter()
                    .map(|v| avro_value_to_json(v, item_schema, names))
                    .collect(),
            )
        }
        Value::Map(m) => {
            let vs = match schema {
                Schema::Map(m) => &*m.types,
                s => s,
            };
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), avro_value_to_json(&m[k], vs, names)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Record(fields) => {
            let mut obj = Map::new();
            for (i, (name, v)) in fields.iter().enumerate() {
                let fs = match schema {
                    Schema::Record(r) => r.fields.get(i).map(|f| &f.schema).unwrap_or(schema),
                    s => s,
                };
                obj.insert(name.clone(), avro_value_to_json(v, fs, names));
            }
            Json::Object(obj)
        }
        Value::Decimal(d) => {
            let scale = match schema {
                Schema::Decimal(ds) => ds.scale as u32,
                _ => 0,
            };
            let bytes: Vec<u8> = d.try_into().unwrap_or_default();
            let _ = InnerDecimalSchema::Bytes;
            json!(decimal_string(&bytes, scale))
        }
        Value::BigDecimal(b) => json!(b.to_string()),
        Value::Duration(d) => {
            let b: [u8; 12] = (*d).into();
            bytes_json(&b)
        }
    }
}

fn decimal_string(bytes: &[u8], scale: u32) -> String {
    let n = num_bigint::BigInt::from_signed_bytes_be(bytes);
    let digits = n.magnitude().to_string();
    let sign = if n.sign() == num_bigint::Sign::Minus {
        "-"
    } else {
        ""
    };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}
