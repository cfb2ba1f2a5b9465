//! Avro binary primitives: zig-zag varints (int and long share one encoding) and length
//! prefixes. Corrupt input is an error, never a panic.

use super::AvroDecodeError;

/// Append `v` as a zig-zag varint (Avro's int and long, Kafka's varint: the same bytes for
/// any value that fits 32 bits).
#[inline]
pub(crate) fn write_long(v: i64, out: &mut Vec<u8>) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Append a length prefix and the bytes (Avro bytes, string, map key).
#[inline]
pub(crate) fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_long(b.len() as i64, out);
    out.extend_from_slice(b);
}

/// Read a zig-zag varint of at most 64 bits from the front of `input`.
pub(crate) fn read_long(input: &mut &[u8]) -> Result<i64, AvroDecodeError> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let Some((&b, rest)) = input.split_first() else {
            return Err(AvroDecodeError::TruncatedVarint);
        };
        *input = rest;
        if i == 9 && b > 1 {
            return Err(AvroDecodeError::OverlongVarint);
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
        }
    }
    Err(AvroDecodeError::OverlongVarint)
}

/// Read an Avro int (a varint that must fit 32 bits).
pub(crate) fn read_int(input: &mut &[u8]) -> Result<i32, AvroDecodeError> {
    let v = read_long(input)?;
    i32::try_from(v).map_err(|_| AvroDecodeError::IntOutOfRange(v))
}

/// Read a length (a varint that must not be negative).
pub(crate) fn read_len(input: &mut &[u8]) -> Result<usize, AvroDecodeError> {
    let v = read_long(input)?;
    usize::try_from(v).map_err(|_| AvroDecodeError::NegativeLength(v))
}

/// Take `n` bytes from the front of `input`.
pub(crate) fn take<'i>(input: &mut &'i [u8], n: usize) -> Result<&'i [u8], AvroDecodeError> {
    if input.len() < n {
        return Err(AvroDecodeError::Truncated {
            needed: n,
            left: input.len(),
        });
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_round_trips_and_matches_the_32_bit_form() {
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut buf = Vec::new();
            write_long(v, &mut buf);
            let mut rest = buf.as_slice();
            assert_eq!(read_long(&mut rest), Ok(v));
            assert!(rest.is_empty());
            if let Ok(small) = i32::try_from(v) {
                assert_eq!(crate::wire::read_zigzag_varint(&buf).unwrap().0, small);
            }
        }
        assert_eq!(
            read_long(&mut &[0x80][..]),
            Err(AvroDecodeError::TruncatedVarint)
        );
        assert_eq!(
            read_long(&mut &[0xff; 10][..]),
            Err(AvroDecodeError::OverlongVarint)
        );
    }
}
