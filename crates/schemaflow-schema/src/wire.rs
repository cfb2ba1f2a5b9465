//! The Confluent wire format: how a registry-framed Kafka record is laid out.
//!
//! ```text
//! byte 0      magic byte, always 0
//! bytes 1..5  schema id, u32 big-endian, assigned by the schema registry
//! Protobuf only: message indexes — which message of the .proto file this is:
//!             count, then each index, all as zig-zag varints; the common path [0]
//!             (first top-level message) is written as the single byte 0
//! rest        the Avro binary datum / the Protobuf message bytes
//! ```
//!
//! Pure functions, no I/O. Decoding never panics: empty, short, wrong magic, truncated or
//! overlong varints and absurd index counts are all [`WireError`]s.

use std::fmt;

/// The only magic byte of the id-in-payload framing.
pub const MAGIC_BYTE: u8 = 0;

/// Bytes taken by the magic byte and the schema id.
pub const HEADER_LEN: usize = 5;

/// More message indexes than this is treated as corrupt input (a real path is the nesting
/// depth of a message: a handful). Bounds the allocation a hostile frame can cause.
pub const MAX_MESSAGE_INDEXES: usize = 64;

/// A schema id assigned by the registry.
///
/// Every frame starts with it; a consumer fetches the writer schema by it.
///
/// ```
/// use schemaflow_schema::wire::{read_header, read_message_indexes, write_header, write_message_indexes, SchemaId};
///
/// // An Avro frame: magic byte, id (big-endian), datum.
/// let mut frame = Vec::new();
/// write_header(SchemaId(42), &mut frame);
/// frame.extend_from_slice(b"datum");
/// assert_eq!(&frame[..5], &[0, 0, 0, 0, 42]);
/// let (id, rest) = read_header(&frame)?;
/// assert_eq!((id, rest), (SchemaId(42), &b"datum"[..]));
///
/// // A Protobuf frame adds the message index path: the common [0] is the single byte 0.
/// let mut frame = Vec::new();
/// write_header(SchemaId(7), &mut frame);
/// write_message_indexes(&[0], &mut frame);
/// assert_eq!(frame, [0, 0, 0, 0, 7, 0]);
/// let (_, rest) = read_header(&frame)?;
/// assert_eq!(read_message_indexes(rest)?, (vec![0], &[][..]));
///
/// // Bytes a serializer did not write are an error, never a panic.
/// assert!(read_header(b"{\"json\": true}").is_err());
/// # Ok::<(), schemaflow_schema::wire::WireError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaId(pub u32);

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u32> for SchemaId {
    fn from(id: u32) -> Self {
        SchemaId(id)
    }
}

/// Why bytes are not a valid Confluent frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// No bytes at all (a null or empty value is not a frame).
    #[error("empty payload: not a schema-registry frame")]
    Empty,
    /// Fewer than the 5 header bytes.
    #[error("payload of {len} bytes is shorter than the 5-byte schema-registry header")]
    TooShort {
        /// Bytes present.
        len: usize,
    },
    /// The first byte is not the magic byte 0.
    #[error("unknown magic byte {found:#04x} (expected 0x00): not written by a schema-registry serializer")]
    BadMagic {
        /// The byte found.
        found: u8,
    },
    /// A varint ran past the end of the input.
    #[error("truncated varint in the message indexes")]
    TruncatedVarint,
    /// A varint longer than a 32-bit value allows.
    #[error("overlong varint in the message indexes")]
    OverlongVarint,
    /// A negative or absurdly large index count.
    #[error("invalid message index count {count} (at most {MAX_MESSAGE_INDEXES})")]
    BadIndexCount {
        /// The count read.
        count: i64,
    },
    /// A schema-id header (`__value_schema_id`) of the wrong length for its magic byte.
    #[error("schema id header of {len} bytes: expected magic 0 + a 4-byte id or magic 1 + a 16-byte GUID")]
    BadHeaderSchemaId {
        /// Bytes present.
        len: usize,
    },
    /// A negative message index.
    #[error("negative message index {index}")]
    NegativeIndex {
        /// The index read.
        index: i32,
    },
}

/// Append the 5-byte header (magic 0, id big-endian) to `buf`.
#[inline]
pub fn write_header(id: SchemaId, buf: &mut Vec<u8>) {
    buf.push(MAGIC_BYTE);
    buf.extend_from_slice(&id.0.to_be_bytes());
}

/// Split a frame into its schema id and the rest (indexes and payload).
#[inline]
pub fn read_header(frame: &[u8]) -> Result<(SchemaId, &[u8]), WireError> {
    match frame {
        [] => Err(WireError::Empty),
        [magic, ..] if *magic != MAGIC_BYTE => Err(WireError::BadMagic { found: *magic }),
        [_, a, b, c, d, rest @ ..] => Ok((SchemaId(u32::from_be_bytes([*a, *b, *c, *d])), rest)),
        _ => Err(WireError::TooShort { len: frame.len() }),
    }
}

/// The header that carries the value's schema id when it is not in the payload (Confluent 8).
pub const VALUE_SCHEMA_ID_HEADER: &str = "__value_schema_id";
/// The header that carries the key's schema id when it is not in the payload (Confluent 8).
pub const KEY_SCHEMA_ID_HEADER: &str = "__key_schema_id";

/// A schema id carried in a record header instead of the payload prefix (Confluent 8.0+,
/// `header.schema.id.serializer`): the payload then holds only the Protobuf message indexes
/// and the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderSchemaId {
    /// Magic 0 and the 4-byte id, as in the payload form.
    Id(SchemaId),
    /// Magic 1 and the schema's 16-byte GUID (`GET /schemas/guids/{guid}` gives the id).
    Guid(uuid::Uuid),
}

/// Magic byte of the GUID form of a header-carried schema id.
pub const GUID_MAGIC_BYTE: u8 = 1;

impl HeaderSchemaId {
    /// Read a `__value_schema_id` / `__key_schema_id` header value.
    pub fn parse(header: &[u8]) -> Result<Self, WireError> {
        match header {
            [] => Err(WireError::Empty),
            [MAGIC_BYTE, a, b, c, d] => Ok(HeaderSchemaId::Id(SchemaId(u32::from_be_bytes([
                *a, *b, *c, *d,
            ])))),
            [GUID_MAGIC_BYTE, guid @ ..] if guid.len() == 16 => {
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(guid);
                Ok(HeaderSchemaId::Guid(uuid::Uuid::from_bytes(bytes)))
            }
            [MAGIC_BYTE | GUID_MAGIC_BYTE, ..] => {
                Err(WireError::BadHeaderSchemaId { len: header.len() })
            }
            [magic, ..] => Err(WireError::BadMagic { found: *magic }),
        }
    }

    /// The header value: magic 0 + id, or magic 1 + GUID.
    pub fn to_bytes(self) -> Vec<u8> {
        match self {
            HeaderSchemaId::Id(id) => {
                let mut b = Vec::with_capacity(HEADER_LEN);
                write_header(id, &mut b);
                b
            }
            HeaderSchemaId::Guid(g) => {
                let mut b = Vec::with_capacity(17);
                b.push(GUID_MAGIC_BYTE);
                b.extend_from_slice(g.as_bytes());
                b
            }
        }
    }
}

/// Append Protobuf message indexes: `[0]` as the single byte 0, otherwise the count and each
/// index as zig-zag varints.
#[inline]
pub fn write_message_indexes(indexes: &[i32], buf: &mut Vec<u8>) {
    if indexes == [0] {
        buf.push(0);
        return;
    }
    write_zigzag_varint(indexes.len() as i32, buf);
    for &i in indexes {
        write_zigzag_varint(i, buf);
    }
}

/// Read Protobuf message indexes from the bytes after the header; returns them and the
/// message bytes. A count of 0 means `[0]`.
pub fn read_message_indexes(bytes: &[u8]) -> Result<(Vec<i32>, &[u8]), WireError> {
    let (count, mut rest) = read_zigzag_varint(bytes)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if count < 0 || count as usize > MAX_MESSAGE_INDEXES {
        return Err(WireError::BadIndexCount {
            count: i64::from(count),
        });
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (index, r) = read_zigzag_varint(rest)?;
        if index < 0 {
            return Err(WireError::NegativeIndex { index });
        }
        indexes.push(index);
        rest = r;
    }
    Ok((indexes, rest))
}

/// Read message indexes and compare them with `expected` without allocating; returns the
/// message bytes, or the indexes actually found when they differ.
pub fn match_message_indexes<'a>(
    bytes: &'a [u8],
    expected: &[i32],
) -> Result<Result<&'a [u8], Vec<i32>>, WireError> {
    // Fast path: the overwhelmingly common [0] is the single byte 0.
    if expected == [0] {
        if let [0, rest @ ..] = bytes {
            return Ok(Ok(rest));
        }
    }
    let (found, rest) = read_message_indexes(bytes)?;
    Ok(if found == expected {
        Ok(rest)
    } else {
        Err(found)
    })
}

/// Zig-zag varint of a 32-bit value (as Kafka's `ByteUtils.writeVarint`).
#[inline]
pub fn write_zigzag_varint(value: i32, buf: &mut Vec<u8>) {
    // Zig-zag of a 32-bit value is the same bytes as of its 64-bit widening: one writer.
    crate::avro::write_long(i64::from(value), buf);
}

/// Read a zig-zag varint of a 32-bit value: at most 5 bytes, the last with at most 4 bits.
#[inline]
pub fn read_zigzag_varint(bytes: &[u8]) -> Result<(i32, &[u8]), WireError> {
    let mut result: u32 = 0;
    for i in 0..5 {
        let Some(&b) = bytes.get(i) else {
            return Err(WireError::TruncatedVarint);
        };
        if i == 4 && b > 0x0f {
            return Err(WireError::OverlongVarint);
        }
        result |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let value = ((result >> 1) as i32) ^ -((result & 1) as i32);
            return Ok((value, &bytes[i + 1..]));
        }
    }
    Err(WireError::OverlongVarint)
}

/// Ids are plain JSON numbers in the registry's API (`{"id": 42}`).
impl serde::Serialize for SchemaId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SchemaId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <u32 as serde::Deserialize>::deserialize(d).map(SchemaId)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_schema_ids_both_forms() {
        let id = HeaderSchemaId::Id(SchemaId(7));
        assert_eq!(id.to_bytes(), [0, 0, 0, 0, 7]);
        assert_eq!(HeaderSchemaId::parse(&id.to_bytes()), Ok(id));
        let g = HeaderSchemaId::Guid(uuid::Uuid::from_bytes([9; 16]));
        assert_eq!(g.to_bytes().len(), 17);
        assert_eq!(HeaderSchemaId::parse(&g.to_bytes()), Ok(g));
        assert_eq!(HeaderSchemaId::parse(&[]), Err(WireError::Empty));
        assert_eq!(
            HeaderSchemaId::parse(&[1, 2, 3]),
            Err(WireError::BadHeaderSchemaId { len: 3 })
        );
        assert_eq!(
            HeaderSchemaId::parse(&[0, 0, 0, 0, 7, 1]),
            Err(WireError::BadHeaderSchemaId { len: 6 })
        );
        assert_eq!(
            HeaderSchemaId::parse(&[2, 0, 0, 0, 7]),
            Err(WireError::BadMagic { found: 2 })
        );
    }

    use super::*;

    #[test]
    fn header_round_trip() {
        let mut buf = Vec::new();
        write_header(SchemaId(0x01020304), &mut buf);
        assert_eq!(buf, [0, 1, 2, 3, 4]);
        buf.extend_from_slice(b"payload");
        assert_eq!(
            read_header(&buf),
            Ok((SchemaId(0x01020304), &b"payload"[..]))
        );
    }

    #[test]
    fn header_errors() {
        assert_eq!(read_header(&[]), Err(WireError::Empty));
        assert_eq!(read_header(&[0, 1]), Err(WireError::TooShort { len: 2 }));
        assert_eq!(
            read_header(&[1, 0, 0, 0, 1]),
            Err(WireError::BadMagic { found: 1 })
        );
        assert_eq!(read_header(&[0, 0, 0, 0, 7]), Ok((SchemaId(7), &[][..])));
    }

    #[test]
    fn first_message_is_single_zero_byte() {
        let mut buf = Vec::new();
        write_message_indexes(&[0], &mut buf);
        assert_eq!(buf, [0]);
        assert_eq!(read_message_indexes(&[0, 9]).unwrap(), (vec![0], &[9][..]));
    }

    #[test]
    fn other_paths_are_count_then_zigzag() {
        let mut buf = Vec::new();
        write_message_indexes(&[1], &mut buf);
        assert_eq!(buf, [2, 2]);
        buf.clear();
        write_message_indexes(&[0, 0], &mut buf);
        assert_eq!(buf, [4, 0, 0]);
        buf.clear();
        write_message_indexes(&[2, 70], &mut buf);
        assert_eq!(buf, [4, 4, 0x8c, 0x01]);
        assert_eq!(read_message_indexes(&buf).unwrap(), (vec![2, 70], &[][..]));
    }

    #[test]
    fn zigzag_extremes_round_trip() {
        for v in [0, 1, -1, 63, -64, 64, i32::MAX, i32::MIN] {
            let mut buf = Vec::new();
            write_zigzag_varint(v, &mut buf);
            assert!(buf.len() <= 5);
            assert_eq!(read_zigzag_varint(&buf).unwrap(), (v, &[][..]));
        }
    }

    #[test]
    fn bad_indexes_are_errors() {
        assert_eq!(read_message_indexes(&[]), Err(WireError::TruncatedVarint));
        assert_eq!(
            read_message_indexes(&[0x80]),
            Err(WireError::TruncatedVarint)
        );
        assert_eq!(
            read_message_indexes(&[4, 2]),
            Err(WireError::TruncatedVarint)
        );
        assert_eq!(
            read_message_indexes(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(WireError::OverlongVarint)
        );
        assert_eq!(
            read_message_indexes(&[1]),
            Err(WireError::BadIndexCount { count: -1 })
        );
        assert_eq!(
            read_message_indexes(&[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            Err(WireError::BadIndexCount {
                count: i64::from(i32::MAX)
            })
        );
        assert_eq!(
            read_message_indexes(&[2, 1]),
            Err(WireError::NegativeIndex { index: -1 })
        );
    }

    #[test]
    fn match_fast_and_slow_paths() {
        assert_eq!(match_message_indexes(&[0, 5], &[0]), Ok(Ok(&[5][..])));
        assert_eq!(match_message_indexes(&[2, 0, 5], &[0]), Ok(Ok(&[5][..])));
        assert_eq!(match_message_indexes(&[2, 2, 5], &[0]), Ok(Err(vec![1])));
        assert_eq!(match_message_indexes(&[4, 0, 0], &[0, 0]), Ok(Ok(&[][..])));
    }
}
