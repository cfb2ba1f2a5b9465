//! JSON Schema frames written by Confluent's Python `JSONSerializer` (confluent-kafka 2.16.0,
//! scripts/golden.py): ours must equal them byte for byte, typed and from JSON text (the
//! CLI's path), and ours must read theirs.
use crate::common;
use crate::json_schema_sample::{self as sample, UserEvent};

use std::sync::Arc;

use schemaflow::codec::json_schema::{self, JsonSchemaCodec, JsonWriterSchema};
use schemaflow::codec::{RegistryCodec, WriterSchema};
use schemaflow::wire::SchemaId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

struct Golden {
    id: SchemaId,
    bytes: Vec<u8>,
    entry: Value,
}

fn json_entries() -> Vec<Value> {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("golden/manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    manifest
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["schema_type"] == "JSON")
        .cloned()
        .collect()
}

fn golden(name: &str) -> Golden {
    let entry = json_entries()
        .into_iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no golden frame {name}"));
    let file = entry["file"].as_str().expect("file");
    let bytes = std::fs::read(common::fixture(&format!("golden/{file}"))).expect("frame");
    assert_eq!(hex::encode(&bytes), entry["hex"].as_str().expect("hex"));
    Golden {
        id: SchemaId(entry["schema_id"].as_u64().expect("id") as u32),
        bytes,
        entry,
    }
}

/// The writer schema as Python registered it (text and references from the manifest).
fn registered(g: &Golden) -> WriterSchema {
    let reg = &g.entry["registered_schema"];
    let refs: Vec<(String, String)> = reg["references"]
        .as_array()
        .expect("references")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name").to_string(),
                r["schema_str"].as_str().expect("text").to_string(),
            )
        })
        .collect();
    let schema =
        JsonWriterSchema::parse("golden", reg["schema_str"].as_str().expect("text"), &refs)
            .expect("Python's schema parses");
    WriterSchema::Json(Arc::new(schema))
}

fn assert_same(name: &str, ours: &[u8], theirs: &[u8]) {
    assert_eq!(
        String::from_utf8_lossy(ours),
        String::from_utf8_lossy(theirs),
        "{name}: our frame differs from Python's JSONSerializer's"
    );
    assert_eq!(ours, theirs, "{name}");
}

#[test]
fn every_json_fixture_is_covered() {
    let names: Vec<String> = json_entries()
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(
        names,
        [
            "json_user_event_full",
            "json_user_event_minimal",
            "json_scalars"
        ]
    );
}

#[test]
fn generated_type_frames_match_python() {
    for (name, value) in [
        ("json_user_event_full", sample::full()),
        ("json_user_event_minimal", sample::minimal()),
    ] {
        let g = golden(name);
        // Python registered exactly the files' text, with address.json by name.
        assert_eq!(
            g.entry["registered_schema"]["schema_str"],
            <UserEvent as schemaflow::GeneratedSchema>::SCHEMA_TEXT
        );
        let mut ours = Vec::new();
        value.encode_frame(g.id, &mut ours).expect("encode");
        assert_same(name, &ours, &g.bytes);
        let (id, back) = UserEvent::decode_frame(&g.bytes, &registered(&g)).expect("decode");
        assert_eq!((id, back), (g.id, value), "{name}: reading Python's frame");
    }
}

#[test]
fn json_text_frames_match_python() {
    // The CLI's path: a JSON line (keys in its own order) → the same bytes as Python's
    // json.loads + JSONSerializer.
    for name in [
        "json_user_event_full",
        "json_user_event_minimal",
        "json_scalars",
    ] {
        let g = golden(name);
        let writer = registered(&g);
        let WriterSchema::Json(schema) = &writer else {
            unreachable!()
        };
        let text = std::str::from_utf8(&g.bytes[5..]).expect("UTF-8");
        let spaced = serde_json::to_string_pretty(
            &serde_json::from_str::<json_schema::python_json::Ordered>(text).expect("JSON"),
        )
        .expect("pretty");
        let mut ours = Vec::new();
        json_schema::encode_json_text(schema, g.id, &spaced, &mut ours).expect("encode");
        assert_same(name, &ours, &g.bytes);
        let (id, value) = writer.frame_to_json(&g.bytes).expect("to JSON");
        assert_eq!(id, g.id);
        assert_eq!(value, serde_json::from_str::<Value>(text).expect("JSON"));
    }
}

/// golden.py's Scalars, fields in its dict's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Scalars {
    text: String,
    big: f64,
    small: f64,
    plain: f64,
    count: u64,
    flag: bool,
    nothing: (),
    list: Vec<f64>,
}

#[test]
fn floats_strings_and_big_integers_match_python() {
    let g = golden("json_scalars");
    let value = Scalars {
        text: "h\u{e9}llo \u{2713} \"q\" \\ \n\t\u{1}\u{7f} \u{1f600}".into(),
        big: 1e16,
        small: 1.5e-7,
        plain: 0.1,
        count: 9_007_199_254_740_993,
        flag: true,
        nothing: (),
        list: vec![1.0, -0.0, 1e-5, 123_456_789_012_345_680.0, 2.5],
    };
    let writer = registered(&g);
    let WriterSchema::Json(schema) = &writer else {
        unreachable!()
    };
    let codec = JsonSchemaCodec::<Scalars>::new(
        JsonWriterSchema::parse("scalars", schema.schema().text(), &[]).expect("schema"),
    );
    let mut ours = Vec::new();
    codec.encode(g.id, &value, &mut ours).expect("encode");
    assert_same("json_scalars", &ours, &g.bytes);
    let (id, back) = codec.decode(&g.bytes, &writer).expect("decode");
    assert_eq!((id, back), (g.id, value));
}
