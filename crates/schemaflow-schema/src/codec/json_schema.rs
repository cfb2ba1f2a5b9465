//! JSON Schema: serde values in Confluent's JSON frame, validated against their schema.
//!
//! The frame is the one Confluent's serializers write for JSON Schema: magic byte 0, the
//! 4-byte schema id, then the value as UTF-8 JSON — no message indexes (see [`crate::wire`]).
//! The JSON text is what Confluent's Python `JSONSerializer` writes for the same value
//! ([`python_json`]: `json.dumps(v, separators=(",", ":"), ensure_ascii=False)`), so frames
//! are byte-identical to Python's for the same value, key order and id.
//!
//! Validation follows Confluent's serdes (`validate`, on by default):
//!
//! * on serialize, the value is checked against the schema it is written with; a value that
//!   breaks it is an [`Error::InvalidJsonValue`] (nothing is written). Turn it off for one
//!   call with [`with_validation`] (the producer's `validate` setting does);
//! * on deserialize, the value is checked against the writer schema fetched by the frame's id
//!   ([`JsonWriterSchema`], whose [`validating`](JsonWriterSchema::validating) says whether
//!   it checks; the consumer's `validate` setting decides). A record that breaks its schema
//!   is the record's fault, with the JSON pointer and keyword at fault, so a consumer
//!   dead-letters it.
//!
//! Validators are compiled once per schema (the `jsonschema` crate; drafts 4, 6, 7,
//! 2019-09 and 2020-12 by `$schema`, draft-07 when absent) and cached: per writer schema
//! id in the consumer's schema cache, per (schema id, type) for [`encode_frame`].
//! References resolve by the reference's name (`"$ref": "address.json"`), as Confluent's
//! serdes resolve them. Formats (`"format": "email"`) are annotations, not checked, as in
//! Python's serdes (`jsonschema.validate` without a format checker).
//!
//! Values: any `T: Serialize + DeserializeOwned` — generated types through
//! [`encode_frame`]/[`decode_frame`], any other through [`JsonSchemaCodec`] with a schema
//! given at run time — and [`serde_json::Value`] (what the CLI prints).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::WriterSchema;
use crate::error::{Error, Result};
use crate::json_schema::JsonSchema;
use crate::wire::{self, SchemaId};
use crate::{GeneratedReference, GeneratedSchema, SchemaType};

pub mod python_json;
#[cfg(feature = "json-schema")]
mod tape;
mod validator;

pub use validator::CompiledValidator;

/// Called once by every set of generated JSON Schema types (`schemaflow-build`), so that a
/// crate whose generated types need the `json-schema` feature and lacks it fails to compile
/// with a message naming the feature, rather than failing at run time on the first value (the
/// validator is only compiled in with the feature). Expands to nothing with the feature.
#[cfg(feature = "json-schema")]
#[doc(hidden)]
#[macro_export]
macro_rules! __json_schema_types_need_the_feature {
    () => {};
}

/// Without the feature: the compile error (see the feature's variant).
#[cfg(not(feature = "json-schema"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __json_schema_types_need_the_feature {
    () => {
        ::core::compile_error!(
            "these types were generated from JSON Schema files: enable the `json-schema` feature of schemaflow (in Cargo.toml: schemaflow = { version = \"...\", features = [\"json-schema\"] }); without it values cannot be validated"
        );
    };
}

#[doc(hidden)]
pub use crate::__json_schema_types_need_the_feature as types_need_the_feature;

thread_local! {
    /// Whether [`encode_frame`] and [`JsonSchemaCodec::encode`] validate on this thread.
    static VALIDATE_ON_ENCODE: Cell<bool> = const { Cell::new(true) };
}

/// Run `f` with serialize-side validation on or off on this thread (Confluent's `validate`
/// for a serializer), restoring the previous setting after. A thread-local rather than a
/// parameter so that generated types' [`RegistryCodec::encode_frame`](super::RegistryCodec)
/// keeps its signature: the producer wraps its encode call in it.
pub fn with_validation<R>(validate: bool, f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            VALIDATE_ON_ENCODE.with(|v| v.set(self.0));
        }
    }
    let _restore = Restore(VALIDATE_ON_ENCODE.with(|v| v.replace(validate)));
    f()
}

fn validating_encode() -> bool {
    VALIDATE_ON_ENCODE.with(Cell::get)
}

thread_local! {
    /// The schema [`encode_frame`] validates against on this thread, when not the type's own.
    static ENCODE_SCHEMA: RefCell<Option<Arc<JsonWriterSchema>>> = const { RefCell::new(None) };
}

/// Run `f` with [`encode_frame`] validating against `schema` on this thread instead of the
/// generated type's own schema, restoring the previous setting after; `None` changes nothing.
/// A producer that writes under an id it did not register its type's schema for (the latest
/// registered version, Confluent's `use.latest.version`, or a fixed id) passes the schema the
/// registry has under that id: Python's `JSONSerializer` validates against the schema it
/// writes with, and a reader validates against that one too. A thread-local, like
/// [`with_validation`], so that [`RegistryCodec::encode_frame`](super::RegistryCodec) keeps
/// its signature.
pub fn with_writer_schema<R>(schema: Option<Arc<JsonWriterSchema>>, f: impl FnOnce() -> R) -> R {
    let Some(schema) = schema else {
        return f();
    };
    struct Restore(Option<Arc<JsonWriterSchema>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            ENCODE_SCHEMA.with_borrow_mut(|s| *s = previous);
        }
    }
    let _restore = Restore(ENCODE_SCHEMA.with_borrow_mut(|s| s.replace(schema)));
    f()
}

/// A JSON Schema writer schema: the parsed schema (with its references) and its validator,
/// compiled on first use and kept. What [`WriterSchema::Json`] holds.
pub struct JsonWriterSchema {
    schema: JsonSchema,
    validate: bool,
    validator: OnceLock<std::result::Result<CompiledValidator, Error>>,
}

impl std::fmt::Debug for JsonWriterSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonWriterSchema")
            .field("draft", &self.schema.draft())
            .field("references", &self.schema.references().len())
            .field("validate", &self.validate)
            .finish()
    }
}

impl JsonWriterSchema {
    /// A writer schema that validates what it decodes (the default, as Confluent's serdes).
    pub fn new(schema: JsonSchema) -> Self {
        Self::with_validation(schema, true)
    }

    /// A writer schema that validates what it decodes, or not.
    pub fn with_validation(schema: JsonSchema, validate: bool) -> Self {
        JsonWriterSchema {
            schema,
            validate,
            validator: OnceLock::new(),
        }
    }

    /// Parse `text` with its references (`(name, text)`, transitively) and wrap it.
    pub fn parse(name: &str, text: &str, references: &[(String, String)]) -> Result<Self> {
        Ok(Self::new(JsonSchema::parse(name, text, references)?))
    }

    /// The schema of a generated type (its text and references, as registered).
    pub fn of<T: GeneratedSchema>() -> Result<Self> {
        let mut refs = Vec::new();
        flatten(T::REFERENCES, &mut refs);
        Self::parse(T::FULL_NAME, T::SCHEMA_TEXT, &refs)
    }

    /// The parsed schema.
    pub fn schema(&self) -> &JsonSchema {
        &self.schema
    }

    /// Whether decoding with it validates.
    pub fn validating(&self) -> bool {
        self.validate
    }

    /// The compiled validator (compiled on the first call, then shared).
    pub fn validator(&self) -> Result<&CompiledValidator> {
        self.validator
            .get_or_init(|| CompiledValidator::compile(&self.schema))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Check `value` against the schema; `id` labels the error.
    pub fn validate(&self, id: SchemaId, value: &Value) -> Result<()> {
        self.validator()?.validate(id, value)
    }

    /// Decode a frame to JSON, validating when this writer schema does.
    pub fn frame_to_json(&self, frame: &[u8]) -> Result<(SchemaId, Value)> {
        let (id, payload) = wire::read_header(frame)?;
        let value: Value = parse_payload(id, payload)?;
        if self.validate {
            self.validate(id, &value)?;
        }
        Ok((id, value))
    }
}

/// Append the frame of `value` under schema id `id` to `buf`, after checking `value` against
/// `T`'s schema, or the one [`with_writer_schema`] gave (unless [`with_validation`] turned
/// that off). The JSON is Python's
/// `JSONSerializer`'s text for the same value. On error `buf` is as it was.
pub fn encode_frame<T: Serialize + GeneratedSchema>(
    value: &T,
    id: SchemaId,
    buf: &mut Vec<u8>,
) -> Result<()> {
    if validating_encode() {
        // The schema written with when the caller gave one ([`with_writer_schema`]), else
        // the type's own.
        let given = ENCODE_SCHEMA.with_borrow(|s| {
            s.as_ref()
                .map(|schema| write_validated_frame(schema, value, id, buf))
        });
        if let Some(written) = given {
            return written;
        }
        let schema = generated_schema::<T>(id)?;
        write_validated_frame(&schema, value, id, buf)
    } else {
        write_frame(value, id, buf)
    }
}

/// Decode a frame into `T` given the writer schema fetched by the frame's id: the JSON is
/// checked against the writer schema (when it [validates](JsonWriterSchema::validating)),
/// then read into `T`.
pub fn decode_frame<T: DeserializeOwned + GeneratedSchema>(
    frame: &[u8],
    writer: &WriterSchema,
) -> Result<(SchemaId, T)> {
    let schema = json_writer(writer, T::FULL_NAME)?;
    decode_with(frame, schema)
}

/// The JSON Schema of a writer schema, or the type-mismatch error naming `type_name`.
pub fn json_writer<'w>(writer: &'w WriterSchema, type_name: &str) -> Result<&'w JsonWriterSchema> {
    match writer {
        WriterSchema::Json(s) => Ok(s),
        other => Err(Error::SchemaTypeMismatch {
            type_name: type_name.to_string(),
            expected: SchemaType::Json,
            found: other.schema_type(),
        }),
    }
}

/// Encode and decode any serde type with a JSON Schema given at run time (a type without
/// generated code): the same frame, text and validation as [`encode_frame`]/[`decode_frame`].
///
/// ```
/// use schemaflow_schema::codec::json_schema::{JsonSchemaCodec, JsonWriterSchema};
/// use schemaflow_schema::codec::WriterSchema;
/// use schemaflow_schema::wire::SchemaId;
/// use std::sync::Arc;
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Point { x: i64, y: i64 }
///
/// let schema = r#"{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}},"required":["x","y"]}"#;
/// let codec = JsonSchemaCodec::<Point>::new(JsonWriterSchema::parse("point", schema, &[])?);
/// let mut frame = Vec::new();
/// codec.encode(SchemaId(3), &Point { x: 1, y: -2 }, &mut frame)?;
/// assert_eq!(frame, b"\0\0\0\0\x03{\"x\":1,\"y\":-2}");
/// let writer = WriterSchema::Json(Arc::new(JsonWriterSchema::parse("point", schema, &[])?));
/// assert_eq!(codec.decode(&frame, &writer)?, (SchemaId(3), Point { x: 1, y: -2 }));
/// // A frame that breaks the schema: the pointer and the keyword at fault.
/// let err = codec.decode(b"\0\0\0\0\x03{\"x\":\"one\",\"y\":2}", &writer).unwrap_err();
/// assert!(err.to_string().contains("at /x: keyword type"), "{err}");
/// # Ok::<(), schemaflow_schema::Error>(())
/// ```
pub struct JsonSchemaCodec<T> {
    schema: Arc<JsonWriterSchema>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JsonSchemaCodec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonSchemaCodec")
            .field("schema", &self.schema)
            .finish()
    }
}

impl<T> Clone for JsonSchemaCodec<T> {
    fn clone(&self) -> Self {
        JsonSchemaCodec {
            schema: self.schema.clone(),
            _type: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> JsonSchemaCodec<T> {
    /// A codec writing (and validating against) `schema`.
    pub fn new(schema: JsonWriterSchema) -> Self {
        JsonSchemaCodec {
            schema: Arc::new(schema),
            _type: PhantomData,
        }
    }

    /// The schema it writes with.
    pub fn schema(&self) -> &JsonWriterSchema {
        &self.schema
    }

    /// Append the frame of `value` under `id` to `buf`, validating it first (unless
    /// [`with_validation`] turned that off).
    pub fn encode(&self, id: SchemaId, value: &T, buf: &mut Vec<u8>) -> Result<()> {
        if validating_encode() {
            write_validated_frame(&self.schema, value, id, buf)
        } else {
            write_frame(value, id, buf)
        }
    }

    /// Decode a frame written with `writer` (validated against it when it validates).
    pub fn decode(&self, frame: &[u8], writer: &WriterSchema) -> Result<(SchemaId, T)> {
        decode_with(frame, json_writer(writer, std::any::type_name::<T>())?)
    }
}

/// Append the frame of a JSON text (one value, e.g. a line of `schemaflow produce`) to
/// `buf`: checked against `schema` (unless [`with_validation`] turned that off) and written as
/// Python writes it after `json.loads` — keys in the order of the text, Python's spacing and
/// number forms. Returns the parsed value.
pub fn encode_json_text(
    schema: &JsonWriterSchema,
    id: SchemaId,
    text: &str,
    buf: &mut Vec<u8>,
) -> Result<Value> {
    let ordered: python_json::Ordered =
        serde_json::from_str(text).map_err(|e| Error::EncodeJson {
            path: "$".into(),
            reason: format!("not JSON: {e}"),
        })?;
    encode_ordered(schema, id, &ordered, buf)
}

/// [`encode_json_text`] of a value already read with its key order
/// ([`python_json::Ordered`]). Returns the value as a [`Value`].
pub fn encode_ordered(
    schema: &JsonWriterSchema,
    id: SchemaId,
    ordered: &python_json::Ordered,
    buf: &mut Vec<u8>,
) -> Result<Value> {
    let value = ordered.to_value();
    if validating_encode() {
        schema.validate(id, &value)?;
    }
    write_frame(ordered, id, buf)?;
    Ok(value)
}

fn decode_with<T: DeserializeOwned>(
    frame: &[u8],
    schema: &JsonWriterSchema,
) -> Result<(SchemaId, T)> {
    let (id, payload) = wire::read_header(frame)?;
    if !schema.validate {
        return Ok((id, parse_payload(id, payload)?));
    }
    // The text is checked in place, and `T` read from what was checked: no `Value` in between
    // (unless a key repeats: then `T` is read from the `Value` that was checked, the last value
    // winning) and no second parse.
    schema
        .validator()?
        .read_checked(id, payload)
        .map(|value| (id, value))
}

fn parse_payload<T: DeserializeOwned>(id: SchemaId, payload: &[u8]) -> Result<T> {
    serde_json::from_slice(payload).map_err(|e| not_json(id, e))
}

#[cold]
fn not_json(id: SchemaId, e: serde_json::Error) -> Error {
    Error::Json(format!("the value of schema id {id}: {e}"))
}

/// Write the frame of `value`, checking the text as it is written (no `Value`: what a reader
/// will validate is exactly these bytes). On error `buf` is as it was.
fn write_validated_frame<T: Serialize + ?Sized>(
    schema: &JsonWriterSchema,
    value: &T,
    id: SchemaId,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let validator = schema.validator()?;
    let start = buf.len();
    wire::write_header(id, buf);
    let checked = validator.write_checked(id, value, buf);
    if checked.is_err() {
        buf.truncate(start);
    }
    checked
}

fn write_frame<T: Serialize + ?Sized>(value: &T, id: SchemaId, buf: &mut Vec<u8>) -> Result<()> {
    let start = buf.len();
    wire::write_header(id, buf);
    python_json::to_writer(&mut *buf, value).map_err(|e| {
        buf.truncate(start);
        Error::Json(e.to_string())
    })
}

/// Key of the [`encode_frame`] validator cache: the schema id and the type's schema text (its
/// address: the same constant for every call of one type).
type EncodeKey = (u32, usize, usize);

fn encode_cache() -> &'static RwLock<HashMap<EncodeKey, Arc<JsonWriterSchema>>> {
    static CACHE: OnceLock<RwLock<HashMap<EncodeKey, Arc<JsonWriterSchema>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// `T`'s schema for encoding under `id`, parsed and compiled once per (id, type).
fn generated_schema<T: GeneratedSchema>(id: SchemaId) -> Result<Arc<JsonWriterSchema>> {
    let key = (id.0, T::SCHEMA_TEXT.as_ptr() as usize, T::SCHEMA_TEXT.len());
    if let Some(s) = encode_cache()
        .read()
        .ok()
        .and_then(|c| c.get(&key).cloned())
    {
        return Ok(s);
    }
    let schema = Arc::new(JsonWriterSchema::of::<T>()?);
    schema.validator()?;
    if let Ok(mut c) = encode_cache().write() {
        c.insert(key, schema.clone());
    }
    Ok(schema)
}

/// A generated type's references, transitively, each once: `(name, text)`.
pub(crate) fn flatten(refs: &[GeneratedReference], out: &mut Vec<(String, String)>) {
    for r in refs {
        flatten(r.references, out);
        if !out.iter().any(|(n, _)| n == r.name) {
            out.push((r.name.to_string(), r.schema_text.to_string()));
        }
    }
}
