//! `frame_to_json`: arbitrary bytes as a frame of each sample schema decoded to JSON with
//! no generated type (what `schemaflow consume` prints). JSON printed must read back, as
//! `produce` reads it, to a frame that prints the same JSON.

use schemaflow_schema::codec::json::{json_to_avro_frame, json_to_protobuf_frame, AvroJsonForm};
use schemaflow_schema::codec::WriterSchema;
use schemaflow_schema::{wire, Error};

use crate::samples;

/// Decode `data` with every sample writer schema.
pub fn frame_to_json(data: &[u8]) {
    for writer in samples::all_writers() {
        let Ok((id, json)) = writer.frame_to_json(data) else {
            continue;
        };
        let mut frame = Vec::new();
        let encoded = match writer {
            WriterSchema::Avro(s) => {
                json_to_avro_frame(&json, s, id, AvroJsonForm::Natural, &mut frame)
            }
            WriterSchema::Protobuf(s) => {
                let message = message_name(s, data);
                json_to_protobuf_frame(&json, s, &message, id, &mut frame)
            }
            // A JSON Schema frame's text is the JSON printed: no second encoding to check.
            WriterSchema::Json(_) => continue,
        };
        match encoded {
            Ok(()) => {}
            // Reading is lenient where writing is not, on purpose: a decimal with more digits
            // than its precision decodes (as Java's Avro reads it, so a consumer does not
            // dead-letter what other clients read), but `produce` refuses to write one.
            Err(Error::EncodeJson { reason, .. })
                if reason.contains("more than the schema's precision") => {}
            Err(e) => panic!("printed JSON does not read back: {e}\n{json}"),
        }
        if frame.is_empty() {
            continue;
        }
        match writer.frame_to_json(&frame) {
            Ok((id2, again)) => {
                assert_eq!(id2, id, "the id survives JSON");
                assert_eq!(again, json, "the JSON survives a round trip");
            }
            Err(e) => panic!("a frame made from printed JSON does not decode: {e}\n{json}"),
        }
    }
}

/// The full name of the message a Protobuf frame that just decoded names.
fn message_name(
    schema: &schemaflow_schema::codec::protobuf::ProtobufSchema,
    frame: &[u8],
) -> String {
    let message = wire::read_header(frame)
        .and_then(|(_, rest)| wire::read_message_indexes(rest))
        .map_err(|e| e.to_string())
        .and_then(|(indexes, _)| schema.message_at(&indexes).map_err(|e| e.to_string()));
    match message {
        Ok(m) => m.full_name().to_string(),
        Err(e) => panic!("a frame that decoded names no message: {e}"),
    }
}
