//! Avro binary primitives: zig-zag varints (int and long share one encoding), length prefixes,
//! floats, booleans, strings, fixed, array/map blocks and union branch indexes.
//!
//! These are what the resolution plan, the JSON encoder and the generated codecs
//! ([`crate::codec::avro::AvroDatum`]) are made of. Readers take `&mut &[u8]` and advance it
//! past what they read; corrupt input is a typed [`AvroDecodeError`], never a panic, and no
//! reader allocates by a length from the input before checking it against the bytes left.

use super::decode_error::AvroDecodeError;

/// Append `v` as a zig-zag varint (Avro's int and long, Kafka's varint: the same bytes for
/// any value that fits 32 bits).
#[inline]
pub fn write_long(v: i64, out: &mut Vec<u8>) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Append a length prefix and the bytes (Avro bytes, string, map key).
#[inline]
pub fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_long(b.len() as i64, out);
    out.extend_from_slice(b);
}

/// Read a zig-zag varint of at most 64 bits from the front of `input`.
///
/// `#[inline]` matters: the generated decoders live in the user's crate, and a non-generic
/// function of another crate is not inlined without it (every field read would be a call).
/// The one-byte case (lengths, counts, branches, small ints) is the common one.
#[inline]
pub fn read_long(input: &mut &[u8]) -> Result<i64, AvroDecodeError> {
    if let Some((&b, rest)) = input.split_first() {
        if b & 0x80 == 0 {
            *input = rest;
            let value = u64::from(b);
            return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
        }
    }
    read_long_slow(input)
}

#[inline(never)]
fn read_long_slow(input: &mut &[u8]) -> Result<i64, AvroDecodeError> {
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
#[inline]
pub fn read_int(input: &mut &[u8]) -> Result<i32, AvroDecodeError> {
    let v = read_long(input)?;
    i32::try_from(v).map_err(|_| AvroDecodeError::IntOutOfRange(v))
}

/// Read a length (a varint that must not be negative).
#[inline]
pub fn read_len(input: &mut &[u8]) -> Result<usize, AvroDecodeError> {
    let v = read_long(input)?;
    usize::try_from(v).map_err(|_| AvroDecodeError::NegativeLength(v))
}

/// Take `n` bytes from the front of `input`.
#[inline]
pub fn take<'i>(input: &mut &'i [u8], n: usize) -> Result<&'i [u8], AvroDecodeError> {
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

/// Append an Avro int (the varint of [`write_long`]).
#[inline]
pub fn write_int(v: i32, out: &mut Vec<u8>) {
    write_long(i64::from(v), out);
}

/// Append an Avro boolean (one byte, 0 or 1).
#[inline]
pub fn write_bool(v: bool, out: &mut Vec<u8>) {
    out.push(u8::from(v));
}

/// Append an Avro float (4 bytes, little-endian IEEE 754).
#[inline]
pub fn write_float(v: f32, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append an Avro double (8 bytes, little-endian IEEE 754).
#[inline]
pub fn write_double(v: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Append an Avro string (length prefix and UTF-8 bytes).
#[inline]
pub fn write_str(v: &str, out: &mut Vec<u8>) {
    write_bytes(v.as_bytes(), out);
}

/// Append the block header of an array or map with `len` items. Written as Java and
/// apache-avro write it: one block (`len`, then the items), then the end marker
/// [`write_block_end`]; an empty collection is the end marker alone.
#[inline]
pub fn write_block_start(len: usize, out: &mut Vec<u8>) {
    if len != 0 {
        write_long(len as i64, out);
    }
}

/// Append the end marker (a zero count) of an array or map.
#[inline]
pub fn write_block_end(out: &mut Vec<u8>) {
    out.push(0);
}

/// Read an Avro boolean; a byte other than 0 or 1 is an error.
#[inline]
pub fn read_bool(input: &mut &[u8]) -> Result<bool, AvroDecodeError> {
    match take(input, 1)?[0] {
        0 => Ok(false),
        1 => Ok(true),
        b => Err(AvroDecodeError::InvalidBoolean(b)),
    }
}

/// Read an Avro float.
#[inline]
pub fn read_float(input: &mut &[u8]) -> Result<f32, AvroDecodeError> {
    Ok(f32::from_le_bytes(read_fixed(input)?))
}

/// Read an Avro double.
#[inline]
pub fn read_double(input: &mut &[u8]) -> Result<f64, AvroDecodeError> {
    Ok(f64::from_le_bytes(read_fixed(input)?))
}

/// Read length-prefixed bytes, borrowed from the input.
#[inline]
pub fn read_bytes_ref<'i>(input: &mut &'i [u8]) -> Result<&'i [u8], AvroDecodeError> {
    let len = read_len(input)?;
    take(input, len)
}

/// Read length-prefixed bytes into a new `Vec` (allocated only once the bytes are there).
#[inline]
pub fn read_bytes(input: &mut &[u8]) -> Result<Vec<u8>, AvroDecodeError> {
    read_bytes_ref(input).map(<[u8]>::to_vec)
}

/// Read an Avro string, borrowed from the input; bytes that are not UTF-8 are an error.
#[inline]
pub fn read_str<'i>(input: &mut &'i [u8]) -> Result<&'i str, AvroDecodeError> {
    let bytes = read_bytes_ref(input)?;
    std::str::from_utf8(bytes).map_err(|e| AvroDecodeError::InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })
}

/// Read an Avro string into a new `String`.
#[inline]
pub fn read_string(input: &mut &[u8]) -> Result<String, AvroDecodeError> {
    read_str(input).map(str::to_owned)
}

/// Read an Avro fixed of `N` bytes (also a float's or double's bytes).
#[inline]
pub fn read_fixed<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], AvroDecodeError> {
    let mut out = [0u8; N];
    out.copy_from_slice(take(input, N)?);
    Ok(out)
}

/// Read a union branch index (an int; whether it is in range is the caller's match).
#[inline]
pub fn read_branch(input: &mut &[u8]) -> Result<i32, AvroDecodeError> {
    read_int(input)
}

/// Read the item count of the next array or map block; 0 ends the collection. A negative
/// count (a block written with its byte size) is accepted and its size skipped.
///
/// `zero_width` says whether an item can take no bytes at all (null, empty records): only then
/// may the count exceed the bytes left, so a hostile count cannot make the caller loop or
/// reserve for items that are not there.
#[inline]
pub fn read_block_count(input: &mut &[u8], zero_width: bool) -> Result<usize, AvroDecodeError> {
    let mut count = read_long(input)?;
    if count < 0 {
        count = count
            .checked_neg()
            .ok_or(AvroDecodeError::InvalidBlockCount(count))?;
        read_long(input)?; // the block's size in bytes: not needed to read it
    }
    let n = usize::try_from(count).map_err(|_| AvroDecodeError::InvalidBlockCount(count))?;
    if n > input.len() && !zero_width {
        return Err(AvroDecodeError::InvalidBlockCount(count));
    }
    Ok(n)
}

/// Reserve room for the `count` items of a block, but never more bytes than are left in the
/// input: a count is only a claim until the items are read.
#[inline]
pub fn reserve_block<T>(items: &mut Vec<T>, count: usize, left: usize) {
    let fits = left / std::mem::size_of::<T>().max(1);
    // Exact: `reserve` would round a small request up to 4 items.
    items.reserve_exact(count.min(fits));
}

/// How deeply the generated decoders nest records, so that hostile input cannot overflow the
/// stack through a recursive type (only records can recurse; each takes one level).
pub const MAX_RECORD_DEPTH: u32 = 128;

/// One level deeper into nested records: the depth budget left, or
/// [`AvroDecodeError::TooDeep`].
#[inline]
pub fn descend(depth: u32) -> Result<u32, AvroDecodeError> {
    depth.checked_sub(1).ok_or(AvroDecodeError::TooDeep)
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
