//! Avro logical types whose Rust form differs from their physical one: `uuid` on `string` (a
//! [`Uuid`], written hyphenated in lower case as Java and apache-avro write it) and `decimal`
//! on `bytes` (a [`Decimal`], the minimal big-endian two's complement of its unscaled value as
//! Java and fastavro write it). Dates, times and timestamps are plain ints and longs, `decimal`
//! on `fixed` is the fixed's bytes.

use num_bigint::BigInt;
use uuid::Uuid;

use super::binary::{read_bytes_ref, read_str, write_bytes};
use super::decode_error::AvroDecodeError;
use crate::Decimal;

/// Append a `uuid` string: its 36-character hyphenated lower-case form.
#[inline]
pub fn write_uuid(v: &Uuid, out: &mut Vec<u8>) {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    write_bytes(v.hyphenated().encode_lower(&mut text).as_bytes(), out);
}

/// Read a `uuid` string (any form [`Uuid::try_parse`] accepts, as apache-avro's reader does).
#[inline]
pub fn read_uuid(input: &mut &[u8]) -> Result<Uuid, AvroDecodeError> {
    let text = read_str(input)?;
    Uuid::try_parse(text).map_err(|_| AvroDecodeError::InvalidUuid(text.chars().take(64).collect()))
}

/// Append a `decimal` on `bytes`: the minimal two's-complement bytes of the unscaled value
/// (what [`Decimal::to_bytes`] gives), without allocating when the value fits 64 bits.
#[inline]
pub fn write_decimal<const SCALE: u32>(v: &Decimal<SCALE>, out: &mut Vec<u8>) {
    match i64::try_from(v.unscaled()) {
        Ok(small) => write_bytes(minimal_be(small).as_slice(), out),
        Err(_) => write_bytes(&v.to_bytes(), out),
    }
}

/// Read a `decimal` on `bytes` (any length; empty is zero, as in [`Decimal::from_bytes`]).
#[inline]
pub fn read_decimal<const SCALE: u32>(
    input: &mut &[u8],
) -> Result<Decimal<SCALE>, AvroDecodeError> {
    let bytes = read_bytes_ref(input)?;
    Ok(Decimal::from_unscaled(BigInt::from_signed_bytes_be(bytes)))
}

/// The minimal big-endian two's complement of `v`: leading bytes dropped while they only
/// repeat the sign of the next byte (0 is one zero byte, as `BigInt::to_signed_bytes_be`).
struct Minimal {
    bytes: [u8; 8],
    start: usize,
}

impl Minimal {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

fn minimal_be(v: i64) -> Minimal {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    Minimal { bytes, start }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_bytes_match_bigint() {
        for v in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            1234,
            -150,
            i64::MAX,
            i64::MIN,
            1 << 40,
            -(1 << 40),
        ] {
            assert_eq!(
                minimal_be(v).as_slice(),
                BigInt::from(v).to_signed_bytes_be().as_slice(),
                "{v}"
            );
        }
    }

    #[test]
    fn uuid_round_trips_and_rejects_garbage() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let mut buf = Vec::new();
        write_uuid(&id, &mut buf);
        assert_eq!(&buf[1..], id.hyphenated().to_string().as_bytes());
        assert_eq!(read_uuid(&mut buf.as_slice()), Ok(id));
        let mut bad = Vec::new();
        write_bytes(b"not-a-uuid", &mut bad);
        assert!(matches!(
            read_uuid(&mut bad.as_slice()),
            Err(AvroDecodeError::InvalidUuid(_))
        ));
    }
}
