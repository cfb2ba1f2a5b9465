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
//! name: `"string"`, `"long"`, `"array"`…). When the union also has a map, or a record with
//! a field of that name, such an object may be data: it is read as data first, and as the
//! wrapped form only when no data reading fits.
//!
//! Decoding prints a union value plainly when this reader takes the plain value back as the
//! same branch, and wrapped when it would take another: a non-finite double `"NaN"` in
//! `["null", "string", "double"]` prints `{"double": "NaN"}`; so do `5` of the `long` in
//! `["int", "long"]` (`{"long": 5}`), a `double` after a `float`, bytes, a fixed, a decimal or
//! an enum symbol next to `string` (`{"com.example.Color": "RED"}`), a map whose keys are a
//! record branch's fields (`{"map": {…}}`), the second of two records with the same fields.
//! So every printed value reads back to the same bytes. Written by hand, a plain value takes
//! the earliest fitting branch; wrap it to choose another.
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

use apache_avro::schema::{InnerDecimalSchema, Schema, UnionSchema};
use apache_avro::types::Value;
use serde_json::{json, Map, Value as Json};

use super::avro::AvroSchema;
use super::protobuf::ProtobufSchema;
use crate::error::{Error, Result};
use crate::wire::{self, SchemaId};

mod avro_encode;
mod datetime;

use avro_encode::Encoder;

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
    let reader = avro_encode::Encoder::new(writer.schema());
    Ok((id, avro_value_to_json(&value, writer.schema(), &reader)))
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

/// `value` (of `schema`) as natural JSON. `reader` is the natural-form reader of the whole
/// schema: a union value prints plainly only when that reader takes the plain value back as
/// the same branch, else wrapped as `{"branch": value}` (see [`union_value_to_json`]).
fn avro_value_to_json<'s>(value: &Value, schema: &'s Schema, reader: &Encoder<'s>) -> Json {
    let schema = reader.resolve(schema);
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
        Value::Union(i, v) => match schema {
            Schema::Union(u) => union_value_to_json(*i as usize, v, u, reader),
            s => avro_value_to_json(v, s, reader),
        },
        Value::Array(items) => {
            let item_schema = match schema {
                Schema::Array(a) => &*a.items,
                s => s,
            };
            Json::Array(
                items
                    .iter()
                    .map(|v| avro_value_to_json(v, item_schema, reader))
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
                    .map(|k| (k.clone(), avro_value_to_json(&m[k], vs, reader)))
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
                obj.insert(name.clone(), avro_value_to_json(v, fs, reader));
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

/// The value of branch `index` of `union`: plain when the natural reader would take the
/// plain value back as that same branch, else wrapped, `{"double": "NaN"}` — so that
/// `consume | produce` writes the same bytes. The plain value is ambiguous when an earlier (or
/// better-ranked) branch accepts it too: a non-finite float printed `"NaN"` next to `string`,
/// `5` of a `long` after an `int`, a `double` after a `float`, bytes or an enum symbol next
/// to `string`, a map whose keys are a record branch's fields, the second of two records with
/// the same fields.
fn union_value_to_json<'s>(
    index: usize,
    value: &Value,
    union: &'s UnionSchema,
    reader: &Encoder<'s>,
) -> Json {
    let Some(branch) = union.variants().get(index) else {
        // Not a branch of this union (apache-avro read it, so it cannot happen): plain.
        return avro_value_to_json(value, &Schema::Null, reader);
    };
    let plain = avro_value_to_json(value, branch, reader);
    if reader.natural_branch(&plain, union) == Some(index) {
        return plain;
    }
    let mut wrapped = Map::new();
    wrapped.insert(reader.branch_name(branch).into_owned(), plain);
    Json::Object(wrapped)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every union the natural form is ambiguous for, one per field.
    const UNIONS: &str = r#"{"type": "record", "name": "U", "namespace": "t", "fields": [
      {"name": "note", "type": ["null", "string", "double"]},
      {"name": "f", "type": ["null", "string", "float"]},
      {"name": "il", "type": ["int", "long"]},
      {"name": "fd", "type": ["float", "double"]},
      {"name": "dl", "type": ["double", "long"]},
      {"name": "sb", "type": ["string", "bytes"]},
      {"name": "se", "type": ["string", {"type": "enum", "name": "Color", "symbols": ["RED", "BLUE"]}]},
      {"name": "ee", "type": ["Color", {"type": "enum", "name": "Shade", "symbols": ["RED", "DARK"]}]},
      {"name": "bf", "type": ["bytes", {"type": "fixed", "name": "Four", "size": 4}]},
      {"name": "sd", "type": ["string", {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2}]},
      {"name": "rm", "type": [{"type": "record", "name": "P", "fields": [{"name": "a", "type": "string"}]},
                              {"type": "map", "values": "string"}]},
      {"name": "rr", "type": ["P", {"type": "record", "name": "Q", "fields": [{"name": "a", "type": "string"}]}]},
      {"name": "list", "type": {"type": "array", "items": ["null", "int", "long"]}}
    ]}"#;

    fn schema() -> AvroSchema {
        AvroSchema::parse(UNIONS, &[]).unwrap()
    }

    fn encode(json: &Json, schema: &AvroSchema, form: AvroJsonForm) -> Vec<u8> {
        let mut buf = Vec::new();
        json_to_avro_frame(json, schema, SchemaId(1), form, &mut buf)
            .unwrap_or_else(|e| panic!("{json}: {e}"));
        buf
    }

    /// A datum given in Avro JSON (every branch explicit) with `fields` replacing the
    /// defaults below: what decoding prints, after checking the printed form reads back
    /// (naturally) to the very same bytes.
    fn printed(fields: Json) -> Json {
        let schema = schema();
        let mut datum = json!({
            "note": null, "f": null, "il": {"int": 1}, "fd": {"float": 0.5},
            "dl": {"double": 0.5}, "sb": {"string": "s"}, "se": {"string": "s"},
            "ee": {"t.Color": "BLUE"}, "bf": {"bytes": ""}, "sd": {"string": "s"},
            "rm": {"t.P": {"a": "x"}}, "rr": {"t.P": {"a": "x"}}, "list": []
        });
        for (k, v) in fields.as_object().unwrap() {
            datum[k] = v.clone();
        }
        let frame = encode(&datum, &schema, AvroJsonForm::Avro);
        let (_, printed) = avro_frame_to_json(&frame, &schema).unwrap();
        assert_eq!(
            encode(&printed, &schema, AvroJsonForm::Natural),
            frame,
            "{datum} printed as {printed} reads back to other bytes"
        );
        let mut only = Map::new();
        for k in fields.as_object().unwrap().keys() {
            only.insert(k.clone(), printed[k].clone());
        }
        Json::Object(only)
    }

    #[test]
    fn a_value_prints_wrapped_exactly_when_its_plain_form_reads_as_another_branch() {
        for (given, expected) in [
            // Non-finite floats next to `string`; the string "NaN" stays plain.
            (
                json!({"note": {"double": "NaN"}}),
                json!({"note": {"double": "NaN"}}),
            ),
            (json!({"note": {"string": "NaN"}}), json!({"note": "NaN"})),
            (
                json!({"note": {"double": "-Infinity"}}),
                json!({"note": {"double": "-Infinity"}}),
            ),
            (json!({"note": {"double": 1.5}}), json!({"note": 1.5})),
            (
                json!({"f": {"float": "Infinity"}}),
                json!({"f": {"float": "Infinity"}}),
            ),
            // Numbers: an earlier branch that fits takes the plain value.
            (json!({"il": {"long": 5}}), json!({"il": {"long": 5}})),
            (
                json!({"il": {"long": 5_000_000_000i64}}),
                json!({"il": 5_000_000_000i64}),
            ),
            (json!({"il": {"int": 5}}), json!({"il": 5})),
            (
                json!({"fd": {"double": 0.1}}),
                json!({"fd": {"double": 0.1}}),
            ),
            (json!({"fd": {"float": 0.5}}), json!({"fd": 0.5})),
            (json!({"dl": {"long": 5}}), json!({"dl": {"long": 5}})),
            (json!({"dl": {"double": 5.0}}), json!({"dl": 5.0})),
            // Strings: bytes, an enum symbol, a decimal are strings too.
            (
                json!({"sb": {"bytes": "abc"}}),
                json!({"sb": {"bytes": "abc"}}),
            ),
            (json!({"sb": {"string": "abc"}}), json!({"sb": "abc"})),
            (
                json!({"se": {"t.Color": "RED"}}),
                json!({"se": {"t.Color": "RED"}}),
            ),
            (json!({"se": {"string": "RED"}}), json!({"se": "RED"})),
            (
                json!({"ee": {"t.Shade": "RED"}}),
                json!({"ee": {"t.Shade": "RED"}}),
            ),
            (json!({"ee": {"t.Shade": "DARK"}}), json!({"ee": "DARK"})),
            (
                json!({"bf": {"t.Four": "abcd"}}),
                json!({"bf": {"t.Four": "abcd"}}),
            ),
            (
                json!({"sd": {"bytes": "\u{0004}\u{00d2}"}}),
                json!({"sd": {"bytes": "12.34"}}),
            ),
            // Objects: a map a record's fields would match, the second of two like records.
            (
                json!({"rm": {"map": {"a": "x"}}}),
                json!({"rm": {"map": {"a": "x"}}}),
            ),
            (
                json!({"rm": {"map": {"b": "x"}}}),
                json!({"rm": {"b": "x"}}),
            ),
            (
                json!({"rm": {"map": {"map": "x"}}}),
                json!({"rm": {"map": "x"}}),
            ),
            (
                json!({"rm": {"t.P": {"a": "x"}}}),
                json!({"rm": {"a": "x"}}),
            ),
            (
                json!({"rr": {"t.Q": {"a": "x"}}}),
                json!({"rr": {"t.Q": {"a": "x"}}}),
            ),
            (
                json!({"rr": {"t.P": {"a": "x"}}}),
                json!({"rr": {"a": "x"}}),
            ),
            // Nested in an array.
            (
                json!({"list": [null, {"int": 1}, {"long": 2}, {"long": 1i64 << 40}]}),
                json!({"list": [null, 1, {"long": 2}, 1i64 << 40]}),
            ),
        ] {
            assert_eq!(printed(given.clone()), expected, "{given}");
        }
    }

    #[test]
    fn the_wrapped_form_is_read_when_the_object_is_no_data_of_the_union() {
        let schema = schema();
        // Only `rm` varies; the rest is given in both forms alike.
        let datum = |rm: Json| {
            json!({
                "note": null, "f": null, "il": {"int": 1}, "fd": {"float": 0.5},
                "dl": {"double": 0.5}, "sb": {"string": "s"}, "se": {"string": "s"},
                "ee": {"t.Color": "BLUE"}, "bf": {"bytes": ""}, "sd": {"string": "s"},
                "rm": rm, "rr": {"t.P": {"a": "x"}}, "list": []
            })
        };
        let avro = |rm: Json| encode(&datum(rm), &schema, AvroJsonForm::Avro);
        let natural = |rm: Json| {
            let mut d = datum(rm);
            // The natural form of the fields that do not vary.
            for (k, v) in [("il", json!(1)), ("fd", json!(0.5)), ("dl", json!(0.5))] {
                d[k] = v;
            }
            let mut buf = Vec::new();
            json_to_avro_frame(&d, &schema, SchemaId(1), AvroJsonForm::Natural, &mut buf)
                .map(|()| buf)
        };
        // Data first: `{"a": "x"}` is the record, `{"map": "x"}` the map with key "map".
        assert_eq!(
            natural(json!({"a": "x"})).unwrap(),
            avro(json!({"t.P": {"a": "x"}}))
        );
        assert_eq!(
            natural(json!({"map": "x"})).unwrap(),
            avro(json!({"map": {"map": "x"}}))
        );
        // `{"map": {"a": "x"}}` is no record (no field "map") and no map of strings: the
        // wrapped map.
        assert_eq!(
            natural(json!({"map": {"a": "x"}})).unwrap(),
            avro(json!({"map": {"a": "x"}}))
        );
        assert_eq!(
            natural(json!({"P": {"a": "x"}})).unwrap(),
            avro(json!({"t.P": {"a": "x"}}))
        );
        // Neither data nor a branch's value: an error at the union's path.
        let err = natural(json!({"map": {"a": 1}})).unwrap_err().to_string();
        assert!(err.contains("$.rm"), "{err}");
    }
}
