//! The Avro schema model: one place for what the codec ([`crate::codec::avro`] and its
//! resolution plan), the JSON encoder ([`crate::codec::json`]) and the compatibility checker
//! ([`crate::compat::avro`]) all need to know about an [`apache_avro::Schema`]:
//!
//! * `kind`: a schema's physical kind (logical types by their underlying type) and Avro's
//!   promotions;
//! * `names`: the named-type walk, dereferencing `Schema::Ref`s, and **the** name and alias
//!   rule (Java's `SchemaCompatibility.schemaNameEquals`) the runtime and the checker share;
//! * [`binary`]: Avro's binary encoding (zig-zag varints, lengths, blocks, …), public for the
//!   generated codecs;
//! * [`logical`]: `uuid` and `decimal` between their Rust types and their bytes;
//! * [`merge`]: reading into an existing value, reusing its buffers (`decode_into`);
//! * `default`: a field default (JSON) encoded into Avro binary;
//! * `java_string`: Avro Java's `Schema.toString()`, the text Confluent stores (over
//!   `ordered_json`, a JSON tree that keeps keys in the order written);
//! * [`unknown_types`]: type names a schema uses that nothing defines (typos, missing
//!   references), with where they are and the closest known name.

pub mod binary;
mod canonical;
mod decode_error;
pub(crate) mod default;
mod java_string;
pub(crate) mod kind;
pub mod logical;
pub mod merge;
pub(crate) mod names;
mod ordered_json;
mod resolve_error;
mod unknown_types;

pub(crate) use binary::{read_int, read_len, read_long, take, write_bytes, write_long};
pub(crate) use canonical::{canonical_form, rabin_fingerprint};
pub use decode_error::AvroDecodeError;
pub(crate) use default::encode_default;
pub(crate) use java_string::java_string;
pub(crate) use kind::{promotable, Kind, Phys};
pub(crate) use names::{collect_named_types, deref, full_name, names_match, Names};
pub use resolve_error::{ResolveError, ResolveRule};
pub use unknown_types::{unknown_types, UnknownType, PRIMITIVES};
