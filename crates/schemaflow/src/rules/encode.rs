//! Between frames and the JSON rules run on: a frame decoded to JSON with its writer schema,
//! and (after a `TRANSFORM` changed it) the JSON encoded back into a frame of the same schema
//! and id. Only a schema with rules comes here.
//!
//! A JSON Schema frame written after a transform keeps the key order of the frame it replaces
//! and Python's JSON text (`JSONSerializer`'s `json.dumps(…, separators=(",", ":"))`), so a
//! producer's masked record is byte for byte what Confluent's Python serializer writes.

use crate::codec::json::{json_to_avro_frame, json_to_protobuf_frame, AvroJsonForm};
use crate::codec::WriterSchema;
use crate::error::Result;
use crate::wire::SchemaId;
use crate::SchemaError;

/// Run `rules` on `frame` (written with `writer`), a record of `topic` under `subject`: the
/// frame as JSON through the rules, and re-encoded when a transform changed it.
pub fn apply_to_frame(
    rules: &super::DomainRules,
    writer: &WriterSchema,
    subject: &str,
    topic: &str,
    frame: &mut Vec<u8>,
) -> Result<()> {
    let (id, json) = writer.frame_to_json(frame)?;
    let message = match writer {
        WriterSchema::Protobuf(s) => Some(protobuf_message(s, frame)?),
        _ => None,
    };
    let (after, changed) = rules.run_tracked(subject, topic, json, message.as_deref())?;
    // The frame still holds the value when no transform changed it: nothing to write.
    if !changed {
        return Ok(());
    }
    match writer {
        WriterSchema::Json(_) => json_to_ordered_frame(id, &after, frame),
        _ => json_to_frame(writer, id, &after, frame),
    }
}

/// The full name of the message a Protobuf frame holds (by its message indexes).
fn protobuf_message(
    schema: &crate::codec::protobuf::ProtobufSchema,
    frame: &[u8],
) -> Result<String> {
    let (_, rest) = crate::wire::read_header(frame)?;
    let (indexes, _) = crate::wire::read_message_indexes(rest)?;
    Ok(schema.message_at(&indexes)?.full_name().to_string())
}

/// Replace the JSON Schema `frame` by the frame of `json`, its keys in the order of the
/// frame's own (keys the rules added come after, in their order), in Python's JSON text.
fn json_to_ordered_frame(
    id: SchemaId,
    json: &serde_json::Value,
    frame: &mut Vec<u8>,
) -> Result<()> {
    use crate::codec::json_schema::python_json::{self, Ordered};
    let before: Option<Ordered> = crate::wire::read_header(frame)
        .ok()
        .and_then(|(_, payload)| serde_json::from_slice(payload).ok());
    let ordered = in_order(before.as_ref(), json);
    let mut out = Vec::with_capacity(frame.len());
    crate::wire::write_header(id, &mut out);
    python_json::to_writer(&mut out, &ordered).map_err(|e| SchemaError::Json(e.to_string()))?;
    *frame = out;
    Ok(())
}

/// `value` with the object key order of `before` where it has one.
fn in_order(
    before: Option<&crate::codec::json_schema::python_json::Ordered>,
    value: &serde_json::Value,
) -> crate::codec::json_schema::python_json::Ordered {
    use crate::codec::json_schema::python_json::Ordered;
    use serde_json::Value as J;
    match value {
        J::Null => Ordered::Null,
        J::Bool(b) => Ordered::Bool(*b),
        J::Number(n) => Ordered::Number(n.clone()),
        J::String(s) => Ordered::String(s.clone()),
        J::Array(items) => {
            let old = match before {
                Some(Ordered::Array(old)) => old.as_slice(),
                _ => &[],
            };
            Ordered::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| in_order(old.get(i), x))
                    .collect(),
            )
        }
        J::Object(map) => {
            let old = match before {
                Some(Ordered::Object(old)) => old.as_slice(),
                _ => &[],
            };
            let mut out = Vec::with_capacity(map.len());
            for (k, prev) in old {
                if let Some(v) = map.get(k) {
                    if !out.iter().any(|(seen, _): &(String, Ordered)| seen == k) {
                        out.push((k.clone(), in_order(Some(prev), v)));
                    }
                }
            }
            for (k, v) in map {
                if !old.iter().any(|(seen, _)| seen == k) {
                    out.push((k.clone(), in_order(None, v)));
                }
            }
            Ordered::Object(out)
        }
    }
}

/// Replace `frame` (written with `writer` under `id`) by the frame of `json`.
pub fn json_to_frame(
    writer: &WriterSchema,
    id: SchemaId,
    json: &serde_json::Value,
    frame: &mut Vec<u8>,
) -> Result<()> {
    match writer {
        WriterSchema::Avro(s) => {
            let mut out = Vec::with_capacity(frame.len());
            json_to_avro_frame(json, s, id, AvroJsonForm::Natural, &mut out)?;
            *frame = out;
        }
        WriterSchema::Protobuf(s) => {
            // The message is the one the original frame names by its indexes.
            let (_, rest) = crate::wire::read_header(frame)?;
            let (indexes, _) = crate::wire::read_message_indexes(rest)?;
            let name = s.message_at(&indexes)?.full_name().to_string();
            let mut out = Vec::with_capacity(frame.len());
            json_to_protobuf_frame(json, s, &name, id, &mut out)?;
            *frame = out;
        }
        WriterSchema::Json(_) => {
            frame.clear();
            crate::wire::write_header(id, frame);
            serde_json::to_writer(&mut *frame, json)
                .map_err(|e| SchemaError::Json(e.to_string()))?;
        }
    }
    Ok(())
}
