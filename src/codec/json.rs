//! Any frame to JSON, given the writer schema — for tools that have no generated type
//! (the CLI's `consume`).
//!
//! Avro values come out as "natural" JSON, the way Confluent's Python deserializer's dicts
//! print: unions as their plain value, enums as their symbol, `decimal` as a string with its
//! scale (`"12.34"`), `uuid` as its string, bytes and fixed as a string whose code points
//! 0–255 are the bytes (Avro's JSON encoding), date/time/timestamp logical types as their
//! underlying number. Protobuf uses the proto3 JSON mapping
//! ([`ProtobufSchema::frame_to_json`](super::protobuf::ProtobufSchema::frame_to_json)).

use std::collections::HashMap;

use apache_avro::schema::{InnerDecimalSchema, Schema};
use apache_avro::types::Value;
use serde_json::{json, Map, Value as Json};

use super::avro::AvroSchema;
use crate::error::{Error, Result};
use crate::wire::{self, SchemaId};

/// Decode an Avro frame written with `writer` to natural JSON.
pub fn avro_frame_to_json(frame: &[u8], writer: &AvroSchema) -> Result<(SchemaId, Json)> {
    let (id, datum) = wire::read_header(frame)?;
    let value = writer
        .read_value(datum)
        .map_err(|reason| Error::DecodeAvro {
            type_name: writer.name().to_string(),
            schema_id: id,
            reason,
        })?;
    let mut names = HashMap::new();
    collect(writer.schema(), &mut names);
    Ok((id, avro_value_to_json(&value, writer.schema(), &names)))
}

fn collect<'a>(s: &'a Schema, names: &mut HashMap<String, &'a Schema>) {
    match s {
        Schema::Record(r) => {
            names.insert(r.name.fullname(None), s);
            r.fields.iter().for_each(|f| collect(&f.schema, names));
        }
        Schema::Enum(e) => {
            names.insert(e.name.fullname(None), s);
        }
        Schema::Fixed(f) => {
            names.insert(f.name.fullname(None), s);
        }
        Schema::Array(a) => collect(&a.items, names),
        Schema::Map(m) => collect(&m.types, names),
        Schema::Union(u) => u.variants().iter().for_each(|v| collect(v, names)),
        _ => {}
    }
}

fn bytes_json(b: &[u8]) -> Json {
    Json::String(b.iter().map(|&c| char::from(c)).collect())
}

fn avro_value_to_json(value: &Value, schema: &Schema, names: &HashMap<String, &Schema>) -> Json {
    let schema = match schema {
        Schema::Ref { name } => names.get(&name.fullname(None)).copied().unwrap_or(schema),
        s => s,
    };
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
        Value::Float(f) => json!(f),
        Value::Double(d) => json!(d),
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
