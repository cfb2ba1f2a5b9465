//! Between frames and the JSON rules run on: a frame decoded to JSON with its writer schema,
//! and (after a `TRANSFORM` changed it) the JSON encoded back into a frame of the same schema
//! and id. Only a schema with rules comes here.

use crate::codec::json::{json_to_avro_frame, json_to_protobuf_frame, AvroJsonForm};
use crate::codec::WriterSchema;
use crate::error::Result;
use crate::wire::SchemaId;
use crate::SchemaError;

/// Run `rules` on `frame` (written with `writer`), a record of `topic` under `subject`: the
/// frame as JSON through the rules, and re-encoded when a transform may have changed it.
pub fn apply_to_frame(
    rules: &super::DomainRules,
    writer: &WriterSchema,
    subject: &str,
    topic: &str,
    frame: &mut Vec<u8>,
) -> Result<()> {
    let (id, json) = writer.frame_to_json(frame)?;
    let after = rules.run(subject, topic, json)?;
    if rules.transforms() {
        json_to_frame(writer, id, &after, frame)?;
    }
    Ok(())
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
