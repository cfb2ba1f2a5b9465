//! Protobuf: prost messages in the Confluent frame, plus schemas parsed at run time.
//!
//! A Protobuf frame names its message by index path inside the writer's `.proto` file
//! (see [`wire`]). Typed decoding checks that path against the type's own: a frame holding
//! another message of the file is a [`Error::MessageIndexMismatch`], never a silent
//! misread (Confluent's Python deserializer ignores the path when given a class; we do not).

use std::collections::HashMap;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use crate::error::{Error, Result};
use crate::wire::{self, SchemaId};
use crate::GeneratedSchema;

/// Append the frame for `value` (header, `T`'s message indexes, message bytes) to `buf`.
pub fn encode<T: Message + GeneratedSchema>(id: SchemaId, value: &T, buf: &mut Vec<u8>) {
    wire::write_header(id, buf);
    wire::write_message_indexes(T::MESSAGE_INDEXES, buf);
    // Encoding into a Vec cannot run out of space (and prost sizes it in one pass).
    let _ = value.encode(buf);
}

/// Decode a frame into `T`; the frame's message indexes must be `T`'s.
///
/// `#[inline]`, and the message merged into its place in the result: the frame's header and
/// index are a few byte compares, and what made this path slower than `T::decode` was moving
/// the decoded message (hundreds of bytes for a wide message) through each layer's `Result`.
#[inline]
pub fn decode<T: Message + Default + GeneratedSchema>(frame: &[u8]) -> Result<(SchemaId, T)> {
    let (id, rest) = wire::read_header(frame)?;
    match wire::match_message_indexes(rest, T::MESSAGE_INDEXES)? {
        Ok(payload) => decode_payload(id, payload),
        Err(found) => Err(index_mismatch::<T>(id, found)),
    }
}

#[cold]
#[inline(never)]
fn index_mismatch<T: GeneratedSchema>(schema_id: SchemaId, found: Vec<i32>) -> Error {
    Error::MessageIndexMismatch {
        schema_id,
        type_name: T::FULL_NAME.to_string(),
        expected: T::MESSAGE_INDEXES.to_vec(),
        found,
    }
}

/// Decode a frame into `T` given the writer schema fetched by the frame's id: the message
/// the frame's indexes name in the writer's file must be `T` (by full name), so a frame of
/// another message, or of another file layout, is an error rather than a misread.
pub fn decode_with_writer<T: Message + Default + GeneratedSchema>(
    frame: &[u8],
    writer: &super::WriterSchema,
) -> Result<(SchemaId, T)> {
    let super::WriterSchema::Protobuf(schema) = writer else {
        return Err(Error::SchemaTypeMismatch {
            type_name: T::FULL_NAME.to_string(),
            expected: crate::SchemaType::Protobuf,
            found: writer.schema_type(),
        });
    };
    let (id, rest) = wire::read_header(frame)?;
    let (indexes, payload) = wire::read_message_indexes(rest)?;
    let found = schema.message_at(&indexes)?;
    if found.full_name() != T::FULL_NAME {
        return Err(index_mismatch::<T>(id, indexes));
    }
    decode_payload(id, payload)
}

/// The message itself, once the frame's header and indexes are read: merged into a default
/// message already in its place in the result (no move of the message after decoding).
#[inline]
fn decode_payload<T: Message + Default + GeneratedSchema>(
    id: SchemaId,
    payload: &[u8],
) -> Result<(SchemaId, T)> {
    let mut decoded = (id, T::default());
    match decoded.1.merge(payload) {
        Ok(()) => Ok(decoded),
        Err(source) => Err(decode_error::<T>(id, source)),
    }
}

#[cold]
#[inline(never)]
fn decode_error<T: GeneratedSchema>(schema_id: SchemaId, source: prost::DecodeError) -> Error {
    Error::DecodeProtobuf {
        type_name: T::FULL_NAME.to_string(),
        schema_id,
        source,
    }
}

/// A `.proto` schema parsed at run time (from the registry or a file), with its imports.
#[derive(Debug, Clone)]
pub struct ProtobufSchema {
    pool: DescriptorPool,
    file: String,
}

/// A schema in Confluent's serialized form: a base64 `FileDescriptorProto` (what Confluent's
/// Python `ProtobufSerializer` registers); the rule is the loader's, shared with the checker
/// and the registry (surrounding whitespace trimmed, whitespace inside refused, padding
/// optional).
pub fn decode_serialized(text: &str) -> Option<prost_types::FileDescriptorProto> {
    crate::protobuf::decode_descriptor(text)
}

/// The `.proto` text of a schema in Confluent's serialized form (see [`decode_serialized`]);
/// `None` when `text` is not one (`.proto` source is shown as it is).
pub fn serialized_as_text(text: &str) -> Option<String> {
    decode_serialized(text).map(|f| crate::protobuf::print::proto_text(&f))
}

impl ProtobufSchema {
    /// Parse `text` (named `file`), whose imports are given as `(import path, text)` pairs.
    /// The well-known `google/protobuf/*`, `google/type/*` and Confluent's `confluent/*` files
    /// resolve without being given (the one loader's chain, [`crate::protobuf`]).
    pub fn parse(file: &str, text: &str, imports: &[(&str, &str)]) -> Result<Self> {
        let mut files: HashMap<String, String> = imports
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        files.insert(file.to_string(), text.to_string());
        let pool = crate::protobuf::compile(file, None, files).map_err(|e| {
            Error::ParseProtobufSchema {
                name: file.to_string(),
                reason: e.to_string(),
            }
        })?;
        // An empty (or comments-only) file compiles, but its serialized form would not read
        // back as a schema (the fuzzer's proto_compile found it): refuse it here too.
        let declares = pool
            .get_file_by_name(file)
            .is_some_and(|f| crate::protobuf::declares_something(f.file_descriptor_proto()));
        if !declares {
            return Err(Error::ParseProtobufSchema {
                name: file.to_string(),
                reason: "the file declares nothing (no message, enum, service, extension, package or syntax)".to_string(),
            });
        }
        Ok(ProtobufSchema {
            pool,
            file: file.to_string(),
        })
    }

    /// The main file's `FileDescriptorProto`, base64-encoded: Confluent's `format=serialized`.
    pub fn serialized(&self) -> String {
        use base64::Engine as _;
        let bytes = self
            .pool
            .get_file_by_name(&self.file)
            .map(|f| f.file_descriptor_proto().encode_to_vec())
            .unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The main file's name in the pool.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// The schema of a generated message type.
    pub fn of<T: GeneratedSchema>() -> Result<Self> {
        let mut imports = Vec::new();
        flatten(T::REFERENCES, &mut imports);
        Self::parse(T::FILE, T::SCHEMA_TEXT, &imports)
    }

    /// The descriptor pool (this file and its imports).
    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    fn parse_error(&self, reason: String) -> Error {
        Error::ParseProtobufSchema {
            name: self.file.clone(),
            reason,
        }
    }

    /// This schema's own file in its pool (the pool also holds its imports).
    fn own_file(&self) -> Result<prost_reflect::FileDescriptor> {
        self.pool
            .get_file_by_name(&self.file)
            .ok_or_else(|| self.parse_error("file missing from its own pool".into()))
    }

    /// The message at an index path of this file (`[0]`, `[1, 0]`…).
    pub fn message_at(&self, indexes: &[i32]) -> Result<MessageDescriptor> {
        let err = |reason: String| self.parse_error(reason);
        let file = self.own_file()?;
        let mut iter = indexes.iter();
        let first = iter
            .next()
            .ok_or_else(|| err("empty message index path".into()))?;
        let mut msg = usize::try_from(*first)
            .ok()
            .and_then(|i| file.messages().nth(i))
            .ok_or_else(|| err(format!("no message at index path {indexes:?}")))?;
        for i in iter {
            msg = usize::try_from(*i)
                .ok()
                .and_then(|i| msg.child_messages().nth(i))
                .ok_or_else(|| err(format!("no message at index path {indexes:?}")))?;
        }
        Ok(msg)
    }

    /// The index path in this file of the message `full_name` (`events.v1.UserEvent` → `[0]`,
    /// `events.v1.UserEvent.LineItem` → `[0, 0]`; a leading `.` is allowed): what a frame of
    /// that message carries as its message indexes. Nested messages count in declaration
    /// order, map-entry messages included, as Confluent's serializers count them.
    pub fn index_path(&self, full_name: &str) -> Result<Vec<i32>> {
        let name = full_name.strip_prefix('.').unwrap_or(full_name);
        let err = |reason: String| self.parse_error(reason);
        let file = self.own_file()?;
        fn find(
            msgs: impl Iterator<Item = MessageDescriptor>,
            name: &str,
            path: &mut Vec<i32>,
        ) -> bool {
            for (i, m) in msgs.enumerate() {
                path.push(i32::try_from(i).unwrap_or(i32::MAX));
                if m.full_name() == name || find(m.child_messages(), name, path) {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        if find(file.messages(), name, &mut path) {
            Ok(path)
        } else {
            Err(err(format!("no message {name} in {}", self.file)))
        }
    }

    /// Decode a frame written with this schema to JSON (proto3 JSON mapping).
    pub fn frame_to_json(&self, frame: &[u8]) -> Result<(SchemaId, serde_json::Value)> {
        let (id, rest) = wire::read_header(frame)?;
        let (indexes, payload) = wire::read_message_indexes(rest)?;
        let desc = self.message_at(&indexes)?;
        let msg = DynamicMessage::decode(desc.clone(), payload).map_err(|source| {
            Error::DecodeProtobuf {
                type_name: desc.full_name().to_string(),
                schema_id: id,
                source,
            }
        })?;
        let json = serde_json::to_value(&msg).map_err(|e| Error::Json(e.to_string()))?;
        Ok((id, json))
    }
}

fn flatten(refs: &[crate::GeneratedReference], out: &mut Vec<(&'static str, &'static str)>) {
    for r in refs {
        flatten(r.references, out);
        if !out.iter().any(|(n, _)| *n == r.name) {
            out.push((r.name, r.schema_text));
        }
    }
}
