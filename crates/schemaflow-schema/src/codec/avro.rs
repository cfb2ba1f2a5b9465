//! Avro: typed encode/decode of generated types in the Confluent frame.
//!
//! * [`AvroSchema`] is a parsed schema with its references inlined, ready to write or read
//!   without re-parsing (parse once per schema id, keep it).
//! * [`AvroCodec<T>`] encodes `T` with `T`'s own schema, and decodes frames written with any
//!   writer schema: the same schema takes the direct path; another version goes through a
//!   resolution plan (Avro's rules: promotions, defaults, skipped fields, enum symbols, union
//!   branches) compiled once per writer schema and cached.
//! * [`AvroDatum`] is what `T` must be: a type with generated Avro binary code (every type
//!   the codegen emits). Encoding is `T`'s own writer, straight into the output buffer; decoding
//!   is `T`'s own reader, over the datum (same schema) or over the bytes the resolution plan
//!   produced (another version; for the common evolutions, added fields with defaults and
//!   dropped trailing fields, the plan's shortcuts avoid even that re-encoding).
//!
//! Types that are not generated but implement serde's traits (hand-written structs, JSON-first
//! types) use [`AvroSchema::write`] and [`AvroSchema::read`], apache-avro's schema-aware serde
//! path, for data of exactly that schema.

use std::any::type_name;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use super::avro_datum::AvroDatum;
use super::avro_resolve::{ResolvePlan, Shortcut};
pub use super::avro_view::{ArrayIter, ArrayRef, AvroBorrow, AvroView, MapIter, MapRef, ReadItem};
use crate::avro::collect_named_types;
pub use crate::avro::{AvroDecodeError, ResolveError, ResolveRule};
// Generated code names the runtime only as `::schemaflow::…`, which re-exports `codec`: the
// binary primitives are reachable from it here.
#[doc(hidden)]
pub use crate::avro::{binary, logical, merge};
use crate::error::{Error, Result};
use crate::wire::{self, SchemaId};
use crate::GeneratedSchema;

self_cell::self_cell!(
    struct WriterCell {
        owner: Schema,
        #[covariant]
        dependent: GenericDatumWriter,
    }
);

self_cell::self_cell!(
    struct ReaderCell {
        owner: Schema,
        #[covariant]
        dependent: GenericDatumReader,
    }
);

thread_local! {
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The stack of the thread a recursive schema's datum is read on (reserved, not committed:
/// pages are touched only as deep as the datum goes).
const RECURSIVE_DECODE_STACK: usize = 256 << 20;

/// Scratch buffers larger than this are dropped after use rather than kept per thread.
const MAX_SCRATCH: usize = 1 << 20;

/// A parsed Avro schema, references inlined, with a ready writer and reader.
pub struct AvroSchema {
    name: String,
    fingerprint: u64,
    writer: WriterCell,
    reader: ReaderCell,
    /// For a schema that can recurse: the identity plan run over a datum before apache-avro
    /// reads it, because apache-avro's reader recurses once per nested value without a bound
    /// — a linked list a megabyte long overflows the stack (an abort, not an error). The plan
    /// counts its depth and answers [`AvroDecodeError::TooDeep`]. `None`: the schema's own
    /// depth bounds the datum's.
    depth_guard: Option<ResolvePlan>,
}

impl std::fmt::Debug for AvroSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroSchema")
            .field("name", &self.name)
            .field("fingerprint", &format_args!("{:016x}", self.fingerprint))
            .finish()
    }
}

impl AvroSchema {
    /// Parse `text`, whose named types may refer to types defined in `references` (the texts
    /// of the referenced schemas, dependencies before dependents).
    pub fn parse(text: &str, references: &[&str]) -> Result<Self> {
        let err = |reason: String| Error::ParseAvroSchema {
            name: schema_label(text),
            reason,
        };
        let (mut root, parsed) = Schema::parse_str_with_list(text, references).map_err(|e| {
            use apache_avro::error::Details;
            // apache-avro names only the full name ("Unknown primitive type:
            // com.example.strng"): say where it is, and what it is likely a typo of.
            if matches!(
                e.details(),
                Details::ParsePrimitive(_) | Details::ParsePrimitiveSimilar(..)
            ) {
                let unknown = crate::avro::unknown_types(text, references);
                if !unknown.is_empty() {
                    let all: Vec<String> = unknown.iter().map(ToString::to_string).collect();
                    return err(all.join("; "));
                }
            }
            err(e.to_string())
        })?;
        let mut defs = HashMap::new();
        for r in &parsed {
            collect_named_types(r, &mut defs);
        }
        let mut seen = HashSet::new();
        inline_refs(&mut root, &defs, &mut seen);
        Self::from_schema(root).map_err(|e| match e {
            Error::ParseAvroSchema { reason, .. } => err(reason),
            other => other,
        })
    }

    /// Parse a generated type's schema (its text and its references, recursively).
    pub fn of<T: GeneratedSchema>() -> Result<Self> {
        let mut refs = Vec::new();
        flatten_refs(T::REFERENCES, &mut refs);
        Self::parse(T::SCHEMA_TEXT, &refs)
    }

    /// Wrap an already self-contained schema.
    pub fn from_schema(schema: Schema) -> Result<Self> {
        let name = schema_name(&schema);
        let err = |e: apache_avro::Error| Error::ParseAvroSchema {
            name: name.clone(),
            reason: e.to_string(),
        };
        let fingerprint = crate::avro::rabin_fingerprint(&schema);
        let writer = WriterCell::try_new(schema.clone(), |s| {
            GenericDatumWriter::builder(s)
                .validate(false)
                .human_readable(true)
                .build()
        })
        .map_err(err)?;
        let depth_guard = if refers_to_a_named_type(&schema) {
            Some(
                ResolvePlan::new(&schema, &schema).map_err(|e| Error::ParseAvroSchema {
                    name: name.clone(),
                    reason: e.to_string(),
                })?,
            )
        } else {
            None
        };
        let reader = ReaderCell::try_new(schema, |s| {
            GenericDatumReader::builder(s).human_readable(true).build()
        })
        .map_err(err)?;
        Ok(AvroSchema {
            name,
            fingerprint,
            writer,
            reader,
            depth_guard,
        })
    }

    /// [`AvroDecodeError::TooDeep`] for a datum of a recursive schema nested deeper than the
    /// resolution plan's bound (see `depth_guard`).
    fn check_depth(&self, datum: &[u8]) -> std::result::Result<(), AvroDecodeError> {
        match &self.depth_guard {
            Some(plan) => plan.transcode(datum, &mut Vec::with_capacity(datum.len())),
            None => Ok(()),
        }
    }

    /// The schema (references inlined).
    pub fn schema(&self) -> &Schema {
        self.reader.borrow_owner()
    }

    /// The full name of a named top-level type, else the type's kind.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Rabin fingerprint (CRC-64-AVRO) of the Parsing Canonical Form: equal fingerprints mean
    /// the same binary encoding.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Serialize `value` as an Avro datum appended to `buf` (no frame), through apache-avro's
    /// serde serializer: for serde types that are not generated (generated types write
    /// themselves, [`AvroDatum::write_avro`], which gives the same bytes).
    pub fn write<T: Serialize>(&self, value: &T, buf: &mut Vec<u8>) -> Result<()> {
        let start = buf.len();
        self.writer
            .borrow_dependent()
            .write_ser(buf, value)
            .map_err(|e| {
                buf.truncate(start);
                Error::EncodeAvro {
                    type_name: type_name::<T>().to_string(),
                    reason: e.to_string(),
                }
            })?;
        Ok(())
    }

    /// Deserialize an Avro datum written with exactly this schema, through apache-avro's serde
    /// deserializer (for serde types that are not generated; see [`write`](Self::write)).
    pub fn read<T: DeserializeOwned>(
        &self,
        mut datum: &[u8],
    ) -> std::result::Result<T, AvroDecodeError> {
        self.check_depth(datum)?;
        self.reader
            .borrow_dependent()
            .read_deser(&mut datum)
            .map_err(|e| AvroDecodeError::Datum(e.to_string()))
    }

    /// Decode a datum into apache-avro's generic [`Value`](apache_avro::types::Value). The
    /// datum must be exactly one value of this schema: bytes after it are
    /// [`AvroDecodeError::TrailingBytes`].
    pub fn read_value(
        &self,
        datum: &[u8],
    ) -> std::result::Result<apache_avro::types::Value, AvroDecodeError> {
        if self.depth_guard.is_none() {
            return self.decode_value(datum);
        }
        // Within the bound, apache-avro still spends a large frame per level (tens of KB in a
        // debug build), and the bound's own walk recurses too: a recursive schema's datum is
        // checked and read on a thread with room for both.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("avro-recursive-decode".into())
                .stack_size(RECURSIVE_DECODE_STACK)
                .spawn_scoped(scope, || {
                    self.check_depth(datum)?;
                    self.decode_value(datum)
                })
                .map_err(|e| AvroDecodeError::Datum(format!("no thread to decode on: {e}")))?
                .join()
                .map_err(|_| AvroDecodeError::Internal("the decoding thread panicked"))?
        })
    }

    fn decode_value(
        &self,
        mut datum: &[u8],
    ) -> std::result::Result<apache_avro::types::Value, AvroDecodeError> {
        let value = self
            .reader
            .borrow_dependent()
            .read_value(&mut datum)
            .map_err(|e| AvroDecodeError::Datum(e.to_string()))?;
        // apache-avro's reader can answer a truncated datum with a value holding `Null` where
        // the schema has no null (the fuzzer's frame_to_json found an `Address` whose last
        // string was cut short reading as `"country_code": null`): check the value.
        // (`validate_with_names`: `Value::validate` panics where names do not resolve.)
        let names = apache_avro::schema::ResolvedSchema::try_from(self.schema())
            .map_err(|e| AvroDecodeError::Datum(e.to_string()))?;
        if !value.validate_with_names(self.schema(), names.get_names()) {
            return Err(AvroDecodeError::Datum(format!(
                "the datum does not hold a valid {} (truncated or corrupt)",
                self.name
            )));
        }
        if !datum.is_empty() {
            return Err(AvroDecodeError::TrailingBytes(datum.len()));
        }
        Ok(value)
    }
}

/// Typed Avro encoding/decoding of a generated type `T` in the Confluent frame.
pub struct AvroCodec<T> {
    schema: Arc<AvroSchema>,
    plans: RwLock<HashMap<u64, Arc<ResolvePlan>>>,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for AvroCodec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvroCodec")
            .field("schema", &self.schema)
            .finish()
    }
}

impl<T: GeneratedSchema + AvroDatum> AvroCodec<T> {
    /// A codec for `T`, its schema parsed once.
    pub fn new() -> Result<Self> {
        Ok(Self::with_schema(Arc::new(AvroSchema::of::<T>()?)))
    }
}

impl<T: AvroDatum> AvroCodec<T> {
    /// A codec for `T` with `reader` as its (reader and writer) schema, already parsed (for
    /// example from the registry, with its references).
    ///
    /// `reader` must be the schema `T`'s code was generated from (the same Parsing Canonical
    /// Form): `T` reads and writes that schema's bytes, the codec only decides when to resolve.
    /// A serde type that is not generated has no codec; it reads and writes through
    /// [`AvroSchema::write`] / [`AvroSchema::read`].
    pub fn with_schema(reader: Arc<AvroSchema>) -> Self {
        AvroCodec {
            schema: reader,
            plans: RwLock::new(HashMap::new()),
            _type: std::marker::PhantomData,
        }
    }

    /// `T`'s schema: what [`encode`](Self::encode) writes with, and reads into.
    pub fn schema(&self) -> &AvroSchema {
        &self.schema
    }

    /// Append the frame for `value` under schema id `id` (the id the registry gave `T`'s
    /// schema) to `buf`. On error `buf` is left as it was.
    pub fn encode(&self, id: SchemaId, value: &T, buf: &mut Vec<u8>) -> Result<()> {
        wire::write_header(id, buf);
        value.write_avro(buf);
        Ok(())
    }

    /// Decode a frame whose writer schema is `writer` (fetched by the frame's id). Data written
    /// with another version of the schema is resolved into `T`.
    pub fn decode(&self, frame: &[u8], writer: &AvroSchema) -> Result<(SchemaId, T)> {
        let (id, datum) = wire::read_header(frame)?;
        Ok((id, self.decode_datum(id, datum, writer)?))
    }

    /// Decode a frame given its writer schema as fetched by id; a Protobuf writer schema is
    /// a [`Error::SchemaTypeMismatch`].
    pub fn decode_writer(
        &self,
        frame: &[u8],
        writer: &super::WriterSchema,
    ) -> Result<(SchemaId, T)> {
        match writer {
            super::WriterSchema::Avro(w) => self.decode(frame, w),
            super::WriterSchema::Protobuf(_) | super::WriterSchema::Json(_) => Err(self.not_avro()),
        }
    }

    /// Decode a datum (no frame) written with `writer`.
    pub fn decode_datum(&self, id: SchemaId, datum: &[u8], writer: &AvroSchema) -> Result<T> {
        let fail = |e: AvroDecodeError| Error::DecodeAvro {
            type_name: self.schema.name().to_string(),
            schema_id: id,
            source: e,
        };
        if writer.fingerprint() == self.schema.fingerprint() {
            return read_whole::<T>(datum).map_err(fail);
        }
        let plan = self.plan_for(writer)?;
        match plan.shortcut() {
            Shortcut::SkipTrailing(_) => {
                // The reader's fields are a prefix of the writer's: read them, validate the rest.
                let mut rest = datum;
                let value = T::read_avro(&mut rest).map_err(fail)?;
                plan.validate_tail(rest).map_err(fail)?;
                return Ok(value);
            }
            // No shortcut for added fields: reading the datum followed by the default bytes
            // would let a datum with trailing bytes pass, its tail and the defaults read as
            // the added fields (the fuzzer's avro_resolve found a v1 datum + 5 stray bytes
            // decoding as v2 with a made-up `channel`). The plan checks that the datum is
            // exactly one writer datum, then writes the defaults.
            Shortcut::AppendDefaults(_) | Shortcut::None => {}
        }
        with_scratch(|scratch| {
            plan.transcode(datum, scratch)?;
            read_whole::<T>(scratch)
        })
        .map_err(fail)
    }

    /// [`decode`](Self::decode) into `value`, reusing what it owns (string buffers, vectors,
    /// map entries; see [`AvroDatum::read_avro_into`]): decoding record after record into one
    /// value allocates nothing once its buffers have grown. The result is the value `decode`
    /// gives; on error `value` is valid but partly overwritten.
    pub fn decode_into(
        &self,
        frame: &[u8],
        writer: &AvroSchema,
        value: &mut T,
    ) -> Result<SchemaId> {
        let (id, datum) = wire::read_header(frame)?;
        self.decode_datum_into(id, datum, writer, value)?;
        Ok(id)
    }

    /// [`decode_into`](Self::decode_into) given the writer schema as fetched by id.
    pub fn decode_writer_into(
        &self,
        frame: &[u8],
        writer: &super::WriterSchema,
        value: &mut T,
    ) -> Result<SchemaId> {
        match writer {
            super::WriterSchema::Avro(w) => self.decode_into(frame, w, value),
            super::WriterSchema::Protobuf(_) | super::WriterSchema::Json(_) => Err(self.not_avro()),
        }
    }

    fn not_avro(&self) -> Error {
        Error::SchemaTypeMismatch {
            type_name: self.schema.name().to_string(),
            expected: crate::SchemaType::Avro,
            found: crate::SchemaType::Protobuf,
        }
    }

    /// [`decode_datum`](Self::decode_datum) into `value` (see [`decode_into`](Self::decode_into)).
    pub fn decode_datum_into(
        &self,
        id: SchemaId,
        datum: &[u8],
        writer: &AvroSchema,
        value: &mut T,
    ) -> Result<()> {
        let fail = |e: AvroDecodeError| Error::DecodeAvro {
            type_name: self.schema.name().to_string(),
            schema_id: id,
            source: e,
        };
        if writer.fingerprint() == self.schema.fingerprint() {
            return read_whole_into(datum, value).map_err(fail);
        }
        let plan = self.plan_for(writer)?;
        if let Shortcut::SkipTrailing(_) = plan.shortcut() {
            let mut rest = datum;
            value.read_avro_into(&mut rest).map_err(fail)?;
            return plan.validate_tail(rest).map_err(fail);
        }
        // The other evolutions: as in `decode_datum`, the plan rewrites the datum first.
        with_scratch(|scratch| {
            plan.transcode(datum, scratch)?;
            read_whole_into(scratch, value)
        })
        .map_err(fail)
    }

    /// The resolution plan from `writer` to `T`'s schema, compiled once and cached.
    fn plan_for(&self, writer: &AvroSchema) -> Result<Arc<ResolvePlan>> {
        let key = writer.fingerprint();
        if let Some(plan) = self.plans.read().ok().and_then(|p| p.get(&key).cloned()) {
            return Ok(plan);
        }
        let plan = Arc::new(
            ResolvePlan::new(writer.schema(), self.schema.schema()).map_err(|source| {
                Error::ResolveAvroSchema {
                    writer: writer.name().to_string(),
                    reader: self.schema.name().to_string(),
                    source: Box::new(source),
                }
            })?,
        );
        if let Ok(mut plans) = self.plans.write() {
            plans.insert(key, plan.clone());
        }
        Ok(plan)
    }
}

impl<T: AvroBorrow> AvroCodec<T> {
    /// A borrowed view of the frame's value (`FooRef<'a>`: strings and bytes in place, arrays
    /// and maps read lazily; see [`AvroView`]), with no allocation. `Some` when `writer` is
    /// `T`'s own schema, or one whose fields `T`'s are a prefix of (the tail is checked);
    /// `None` for any other writer schema, whose bytes must be rewritten into `T`'s layout
    /// first: [`decode`](Self::decode) reads those.
    pub fn view<'a>(
        &self,
        frame: &'a [u8],
        writer: &AvroSchema,
    ) -> Result<Option<(SchemaId, T::Ref<'a>)>> {
        let (id, datum) = wire::read_header(frame)?;
        let fail = |e: AvroDecodeError| Error::DecodeAvro {
            type_name: self.schema.name().to_string(),
            schema_id: id,
            source: e,
        };
        let mut rest = datum;
        if writer.fingerprint() == self.schema.fingerprint() {
            let view = <T::Ref<'a> as AvroView<'a>>::read_view(&mut rest).map_err(fail)?;
            if !rest.is_empty() {
                return Err(fail(AvroDecodeError::TrailingBytes(rest.len())));
            }
            return Ok(Some((id, view)));
        }
        let plan = self.plan_for(writer)?;
        match plan.shortcut() {
            Shortcut::SkipTrailing(_) => {
                let view = <T::Ref<'a> as AvroView<'a>>::read_view(&mut rest).map_err(fail)?;
                plan.validate_tail(rest).map_err(fail)?;
                Ok(Some((id, view)))
            }
            Shortcut::AppendDefaults(_) | Shortcut::None => Ok(None),
        }
    }

    /// [`view`](Self::view) given the writer schema as fetched by id.
    pub fn view_writer<'a>(
        &self,
        frame: &'a [u8],
        writer: &super::WriterSchema,
    ) -> Result<Option<(SchemaId, T::Ref<'a>)>> {
        match writer {
            super::WriterSchema::Avro(w) => self.view(frame, w),
            super::WriterSchema::Protobuf(_) | super::WriterSchema::Json(_) => Err(self.not_avro()),
        }
    }
}

/// [`read_whole`] into an existing value.
fn read_whole_into<T: AvroDatum>(
    mut datum: &[u8],
    value: &mut T,
) -> std::result::Result<(), AvroDecodeError> {
    value.read_avro_into(&mut datum)?;
    if datum.is_empty() {
        Ok(())
    } else {
        Err(AvroDecodeError::TrailingBytes(datum.len()))
    }
}

/// Read a `T` that must take up all of `datum`: bytes after it mean the datum is not what the
/// schema says (as on the resolution shortcuts, which cannot tell padding from a field).
fn read_whole<T: AvroDatum>(mut datum: &[u8]) -> std::result::Result<T, AvroDecodeError> {
    let value = T::read_avro(&mut datum)?;
    if datum.is_empty() {
        Ok(value)
    } else {
        Err(AvroDecodeError::TrailingBytes(datum.len()))
    }
}

/// Run `f` with this thread's scratch buffer, emptied: no allocation per message for the bytes
/// a resolution produces.
fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.take();
        scratch.clear();
        let result = f(&mut scratch);
        if scratch.capacity() <= MAX_SCRATCH {
            cell.replace(scratch);
        }
        result
    })
}

fn flatten_refs(refs: &[crate::GeneratedReference], out: &mut Vec<&'static str>) {
    for r in refs {
        flatten_refs(r.references, out);
        if !out.contains(&r.schema_text) {
            out.push(r.schema_text);
        }
    }
}

fn schema_label(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .unwrap_or_else(|| "(unnamed schema)".to_string())
}

fn schema_name(schema: &Schema) -> String {
    match schema {
        Schema::Record(r) => r.name.fullname(None),
        Schema::Enum(e) => e.name.fullname(None),
        Schema::Fixed(f) => f.name.fullname(None),
        other => format!("{:?}", apache_avro::schema::SchemaKind::from(other)).to_lowercase(),
    }
}

/// Replace the first use of each referenced named type by its definition, so the schema is
/// self-contained (later uses stay references to that definition).
fn inline_refs(schema: &mut Schema, defs: &HashMap<String, &Schema>, seen: &mut HashSet<String>) {
    match schema {
        Schema::Ref { name } => {
            let full = name.fullname(None);
            if !seen.contains(&full) {
                if let Some(def) = defs.get(&full) {
                    *schema = (*def).clone();
                    inline_refs(schema, defs, seen);
                }
            }
        }
        Schema::Record(r) => {
            seen.insert(r.name.fullname(None));
            for f in &mut r.fields {
                inline_refs(&mut f.schema, defs, seen);
            }
        }
        Schema::Enum(e) => {
            seen.insert(e.name.fullname(None));
        }
        Schema::Fixed(f) => {
            seen.insert(f.name.fullname(None));
        }
        Schema::Array(a) => inline_refs(&mut a.items, defs, seen),
        Schema::Map(m) => inline_refs(&mut m.types, defs, seen),
        Schema::Union(u) => {
            let mut variants = u.variants().to_vec();
            for v in &mut variants {
                inline_refs(v, defs, seen);
            }
            if let Ok(new) = apache_avro::schema::UnionSchema::new(variants) {
                *u = new;
            }
        }
        _ => {}
    }
}

/// Whether `schema` names a type by reference anywhere (after inlining, what remains are a
/// type's uses after its definition — recursion among them). Only such a schema can nest
/// without a bound.
fn refers_to_a_named_type(schema: &Schema) -> bool {
    match schema {
        Schema::Ref { .. } => true,
        Schema::Record(r) => r.fields.iter().any(|f| refers_to_a_named_type(&f.schema)),
        Schema::Array(a) => refers_to_a_named_type(&a.items),
        Schema::Map(m) => refers_to_a_named_type(&m.types),
        Schema::Union(u) => u.variants().iter().any(refers_to_a_named_type),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: &str =
        r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#;

    /// `depth` nodes, each "the next is a Node" (union branch 1), the last one's next null.
    const N: usize = 50;

    fn linked_list(depth: usize) -> Vec<u8> {
        let mut bytes = vec![2u8; depth];
        bytes.push(0);
        bytes
    }

    #[test]
    fn a_recursive_datum_nested_without_end_is_too_deep_not_a_stack_overflow() {
        let schema = AvroSchema::parse(NODE, &[]).expect("schema");
        // A megabyte of nesting: apache-avro alone overflowed the stack here (an abort).
        let hostile = linked_list(1_000_000);
        assert!(matches!(
            schema.read_value(&hostile),
            Err(AvroDecodeError::TooDeep)
        ));
        assert!(matches!(
            schema.read::<serde_json::Value>(&hostile),
            Err(AvroDecodeError::TooDeep)
        ));
    }

    #[test]
    fn a_recursive_datum_within_the_bound_reads() {
        let schema = AvroSchema::parse(NODE, &[]).expect("schema");
        let mut value = schema.read_value(&linked_list(N)).expect("N nodes");
        let mut depth = 0;
        while let apache_avro::types::Value::Record(fields) = value {
            depth += 1;
            value = match fields.into_iter().next() {
                Some((_, apache_avro::types::Value::Union(1, inner))) => *inner,
                _ => break,
            };
        }
        assert_eq!(depth, N + 1, "N nested nodes below the root");
    }

    #[test]
    fn only_schemas_that_can_recurse_pay_for_the_guard() {
        let flat = AvroSchema::parse(
            r#"{"type":"record","name":"Flat","fields":[{"name":"a","type":"int"}]}"#,
            &[],
        )
        .expect("schema");
        assert!(flat.depth_guard.is_none());
        assert!(AvroSchema::parse(NODE, &[])
            .expect("schema")
            .depth_guard
            .is_some());
    }
}
