//! [`AvroDatum`]: a Rust type with its own Avro binary encoder and decoder, generated from its
//! schema by the codegen (the way prost generates `encode_raw` / `merge_field`), so the hot path
//! is straight-line code over [`crate::avro::binary`], with no serde walk of a schema at run
//! time.

use crate::avro::binary::{read_fixed, MAX_RECORD_DEPTH};
use crate::avro::AvroDecodeError;

/// A type that writes and reads itself as an Avro datum of one fixed schema (the schema it was
/// generated from): records, enums, general unions, and `[u8; N]` for `fixed`.
///
/// The codegen implements it for every generated Avro type; [`AvroCodec`](super::avro::AvroCodec)
/// is bounded on it. Reading data written with another schema is the resolution plan's job: it
/// turns the writer's bytes into this schema's bytes, then [`read_avro`](Self::read_avro)
/// reads them.
///
/// Encoding cannot fail: a generated type holds only values its schema can encode. (A
/// `Decimal` whose value needs more digits than the schema's precision is written as is, as
/// apache-avro's serde path writes it; Java's writer would refuse it.)
pub trait AvroDatum: Sized {
    /// Append `self` as an Avro datum (no frame) to `buf`.
    fn write_avro(&self, buf: &mut Vec<u8>);

    /// Read one datum from the front of `input`, advancing it past the datum.
    fn read_avro(input: &mut &[u8]) -> Result<Self, AvroDecodeError> {
        Self::read_avro_nested(input, MAX_RECORD_DEPTH)
    }

    /// [`read_avro`](Self::read_avro) with `depth` levels of nested records left (generated
    /// records call their fields' decoders with one level less).
    #[doc(hidden)]
    fn read_avro_nested(input: &mut &[u8], depth: u32) -> Result<Self, AvroDecodeError>;

    /// Read one datum from the front of `input` into `self`, reusing what `self` owns (string
    /// buffers, vectors, map entries: as prost's `merge`, but the result is exactly the value
    /// [`read_avro`](Self::read_avro) gives). On error `self` is valid but partly overwritten.
    fn read_avro_into(&mut self, input: &mut &[u8]) -> Result<(), AvroDecodeError> {
        self.read_avro_into_nested(input, MAX_RECORD_DEPTH)
    }

    /// [`read_avro_into`](Self::read_avro_into) with `depth` levels of nested records left.
    /// The default reads a new value over `self` (generated records and unions read in place).
    #[doc(hidden)]
    #[inline]
    fn read_avro_into_nested(
        &mut self,
        input: &mut &[u8],
        depth: u32,
    ) -> Result<(), AvroDecodeError> {
        *self = Self::read_avro_nested(input, depth)?;
        Ok(())
    }
}

/// Avro `fixed` (and `decimal` / `uuid` / `duration` on `fixed`): the bytes as they are.
impl<const N: usize> AvroDatum for [u8; N] {
    #[inline]
    fn write_avro(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self);
    }

    #[inline]
    fn read_avro_nested(input: &mut &[u8], _depth: u32) -> Result<Self, AvroDecodeError> {
        read_fixed(input)
    }
}
