//! `proto_compile`: arbitrary text compiled as a `.proto` file (or read as a base64
//! `FileDescriptorProto`, Confluent's serialized form), as the registry compiles a schema it
//! is asked to register, with `events/v1/common.proto` available as a reference. A schema
//! that compiles must compile again from its serialized form, and its messages' index paths
//! must name them.

use prost_reflect::MessageDescriptor;
use schemaflow_schema::codec::protobuf::ProtobufSchema;

use crate::samples;

/// The name the registry gives the schema being registered.
const MAIN_PROTO: &str = "schema.proto";

/// Compile `data` (UTF-8) as a `.proto` schema.
pub fn proto_compile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let imports = [samples::proto_common_import()];
    let Ok(schema) = ProtobufSchema::parse(MAIN_PROTO, text, &imports) else {
        return;
    };
    let serialized = schema.serialized();
    let again = match ProtobufSchema::parse(MAIN_PROTO, &serialized, &imports) {
        Ok(s) => s,
        Err(e) => panic!("a compiled schema's serialized form does not compile: {e}"),
    };
    assert_eq!(
        again.serialized(),
        serialized,
        "the serialized form is stable"
    );
    let Some(file) = schema.pool().get_file_by_name(MAIN_PROTO) else {
        panic!("the compiled file is missing from its pool");
    };
    for message in file.messages() {
        check_paths(&schema, message);
    }
}

/// Every message (nested ones too) has an index path that leads back to it.
fn check_paths(schema: &ProtobufSchema, message: MessageDescriptor) {
    let name = message.full_name().to_string();
    let path = match schema.index_path(&name) {
        Ok(p) => p,
        Err(e) => panic!("message {name} has no index path: {e}"),
    };
    match schema.message_at(&path) {
        Ok(m) => assert_eq!(m.full_name(), name, "index path {path:?} names {name}"),
        Err(e) => panic!("index path {path:?} of {name} names nothing: {e}"),
    }
    for child in message.child_messages() {
        check_paths(schema, child);
    }
}
