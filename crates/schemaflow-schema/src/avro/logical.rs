//! Avro logical types whose Rust form differs from their physical one: `uuid` on `string` (a
//! [`Uuid`], written hyphenated in lower case as Java and apache-avro write it) and `decimal`
//! on `bytes` (a [`Decimal`], the minimal big-endian two's complement of its unscaled value as
//! Java and fastavro write it). Dates, times and timestamps are plain ints and longs, `decimal`
//! on `fixed` is the fixed's bytes.

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
/// (what [`Decimal::to_bytes`] gives), from the stack when the value fits 128 bits.
#[inline]
pub fn write_decimal<const SCALE: u32>(v: &Decimal<SCALE>, out: &mut Vec<u8>) {
    v.with_bytes(|b| write_bytes(b, out));
}

/// Read a `decimal` on `bytes` (any length; empty is zero, as in [`Decimal::from_bytes`]):
/// a sign extension into an `i128` up to 128 bits, a `BigInt` only beyond.
#[inline]
pub fn read_decimal<const SCALE: u32>(
    input: &mut &[u8],
) -> Result<Decimal<SCALE>, AvroDecodeError> {
    let bytes = read_bytes_ref(input)?;
    Ok(Decimal::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips_through_the_binary_form() {
        use num_bigint::BigInt;
        for v in [
            BigInt::from(0),
            BigInt::from(-150),
            BigInt::from(i128::MAX),
            BigInt::from(i128::MIN),
            BigInt::from(i128::MIN) - 1,
            BigInt::from(u128::MAX) * 3,
        ] {
            let d = Decimal::<2>::from_unscaled(v.clone());
            let mut buf = Vec::new();
            write_decimal(&d, &mut buf);
            let mut expected = Vec::new();
            write_bytes(&v.to_signed_bytes_be(), &mut expected);
            assert_eq!(buf, expected, "{v}");
            let mut rest = buf.as_slice();
            assert_eq!(read_decimal::<2>(&mut rest), Ok(d));
            assert!(rest.is_empty());
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
