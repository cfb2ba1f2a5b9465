//! `Decimal<SCALE>`: the Rust type for Avro's `decimal` logical type on `bytes`.
//!
//! Avro stores a decimal as the unscaled integer in big-endian two's complement; the scale is in
//! the schema, so here it is part of the type. The bytes written are the minimal form (`12.34`
//! at scale 2 is 1234 = `04 d2`), exactly what Java's and fastavro's serializers write, so
//! frames are byte-identical with Confluent's. apache-avro 0.22's own `Decimal` path rejects
//! that minimal form on resolution; this type sidesteps it.
//!
//! The unscaled value is an `i128` whenever it fits (38 significant digits, every decimal of
//! precision ≤ 38 — what Java's `BigDecimal` columns, SQL `DECIMAL(38, s)` and fastavro write in
//! practice): reading, writing, comparing and printing it allocate nothing. Only a value beyond
//! 128 bits is a heap [`BigInt`]. The two forms are one value space: a value that fits is always
//! held as the `i128` (whatever it was built from), so equality and hashing are the derived ones.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use num_bigint::BigInt;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A decimal number with `SCALE` digits after the point, stored as its unscaled integer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal<const SCALE: u32> {
    unscaled: Unscaled,
}

/// The unscaled integer: `Small` whenever the value fits an `i128` (the invariant every
/// constructor keeps, so the derived `Eq` and `Hash` compare values), `Big` only beyond.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Unscaled {
    Small(i128),
    Big(BigInt),
}

impl Unscaled {
    fn from_big(v: BigInt) -> Self {
        match i128::try_from(&v) {
            Ok(small) => Unscaled::Small(small),
            Err(_) => Unscaled::Big(v),
        }
    }

    fn to_big(&self) -> Cow<'_, BigInt> {
        match self {
            Unscaled::Small(v) => Cow::Owned(BigInt::from(*v)),
            Unscaled::Big(v) => Cow::Borrowed(v),
        }
    }
}

impl<const SCALE: u32> Default for Decimal<SCALE> {
    fn default() -> Self {
        Decimal {
            unscaled: Unscaled::Small(0),
        }
    }
}

/// What [`Decimal::from_unscaled`] takes: any Rust integer, or a [`BigInt`].
///
/// A trait of its own rather than `Into<BigInt>`, so that an integer never goes through the
/// heap on its way in. (Every type that was `Into<BigInt>` before is here.)
pub trait IntoUnscaled {
    #[doc(hidden)]
    fn into_unscaled(self) -> UnscaledValue;
}

/// The unscaled value as [`IntoUnscaled`] hands it over (opaque).
#[doc(hidden)]
#[derive(Debug)]
pub struct UnscaledValue(Unscaled);

macro_rules! into_unscaled_small {
    ($($t:ty),*) => {$(
        impl IntoUnscaled for $t {
            #[inline]
            fn into_unscaled(self) -> UnscaledValue {
                UnscaledValue(Unscaled::Small(i128::from(self)))
            }
        }
    )*};
}
into_unscaled_small!(i8, i16, i32, i64, i128, u8, u16, u32, u64);

impl IntoUnscaled for isize {
    #[inline]
    fn into_unscaled(self) -> UnscaledValue {
        // isize is at most 64 bits on every target Rust supports.
        UnscaledValue(Unscaled::Small(self as i128))
    }
}

impl IntoUnscaled for usize {
    #[inline]
    fn into_unscaled(self) -> UnscaledValue {
        UnscaledValue(Unscaled::Small(self as i128))
    }
}

impl IntoUnscaled for u128 {
    #[inline]
    fn into_unscaled(self) -> UnscaledValue {
        UnscaledValue(match i128::try_from(self) {
            Ok(v) => Unscaled::Small(v),
            Err(_) => Unscaled::Big(BigInt::from(self)),
        })
    }
}

impl IntoUnscaled for BigInt {
    #[inline]
    fn into_unscaled(self) -> UnscaledValue {
        UnscaledValue(Unscaled::from_big(self))
    }
}

impl IntoUnscaled for &BigInt {
    #[inline]
    fn into_unscaled(self) -> UnscaledValue {
        UnscaledValue(match i128::try_from(self) {
            Ok(v) => Unscaled::Small(v),
            Err(_) => Unscaled::Big(self.clone()),
        })
    }
}

impl<const SCALE: u32> Decimal<SCALE> {
    /// From the unscaled integer: `Decimal::<2>::from_unscaled(1234)` is 12.34.
    #[inline]
    pub fn from_unscaled(unscaled: impl IntoUnscaled) -> Self {
        Decimal {
            unscaled: unscaled.into_unscaled().0,
        }
    }

    /// The unscaled integer as a [`BigInt`] (borrowed when the value is beyond 128 bits,
    /// built otherwise: [`to_i128`](Self::to_i128) is the allocation-free accessor).
    pub fn unscaled(&self) -> Cow<'_, BigInt> {
        self.unscaled.to_big()
    }

    /// The unscaled integer, if it fits an `i128` (always, for precision ≤ 38).
    #[inline]
    pub fn to_i128(&self) -> Option<i128> {
        match self.unscaled {
            Unscaled::Small(v) => Some(v),
            Unscaled::Big(_) => None,
        }
    }

    /// The scale (digits after the point).
    pub const fn scale(&self) -> u32 {
        SCALE
    }

    /// Minimal big-endian two's-complement bytes of the unscaled value (Avro's encoding).
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.unscaled {
            Unscaled::Small(v) => MinimalBytes::of(*v).as_slice().to_vec(),
            Unscaled::Big(v) => v.to_signed_bytes_be(),
        }
    }

    /// Call `f` with the minimal big-endian two's-complement bytes (Avro's encoding), from the
    /// stack when the value fits 128 bits.
    #[inline]
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match &self.unscaled {
            Unscaled::Small(v) => f(MinimalBytes::of(*v).as_slice()),
            Unscaled::Big(v) => f(&v.to_signed_bytes_be()),
        }
    }

    /// From big-endian two's-complement bytes of any length (empty is zero). Up to 16 bytes,
    /// and longer ones whose extra leading bytes only repeat the sign, this is a sign
    /// extension into an `i128` (no allocation).
    #[inline]
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Decimal {
            unscaled: match i128_from_be(bytes) {
                Some(v) => Unscaled::Small(v),
                None => Unscaled::from_big(BigInt::from_signed_bytes_be(bytes)),
            },
        }
    }
}

/// Sign-extend big-endian two's-complement `bytes` into an `i128`, or `None` if the value needs
/// more than 128 bits. Leading bytes that only repeat the sign (a non-minimal writer, or a
/// `fixed` padded to its size) do not count against the 16.
#[inline]
fn i128_from_be(bytes: &[u8]) -> Option<i128> {
    let bytes = if bytes.len() > 16 {
        let (head, tail) = bytes.split_at(bytes.len() - 16);
        let fill = if tail[0] & 0x80 != 0 { 0xff } else { 0x00 };
        if !head.iter().all(|&b| b == fill) {
            return None;
        }
        tail
    } else {
        bytes
    };
    let Some(&first) = bytes.first() else {
        return Some(0);
    };
    let mut buf = if first & 0x80 != 0 {
        [0xffu8; 16]
    } else {
        [0u8; 16]
    };
    buf[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(buf))
}

/// The minimal big-endian two's complement of an `i128`, on the stack: leading bytes dropped
/// while they only repeat the sign of the next byte (0 is one zero byte, as
/// `BigInt::to_signed_bytes_be` gives).
pub(crate) struct MinimalBytes {
    bytes: [u8; 16],
    start: usize,
}

impl MinimalBytes {
    #[inline]
    pub(crate) fn of(v: i128) -> Self {
        // Redundant leading bits: the sign bit repeated. Keep one sign bit: 8 * len bits must
        // hold (128 - redundant + 1) bits.
        let redundant = if v < 0 {
            v.leading_ones()
        } else {
            v.leading_zeros()
        };
        let significant = 128 - redundant + 1; // with one sign bit
        let len = significant.div_ceil(8).clamp(1, 16) as usize;
        MinimalBytes {
            bytes: v.to_be_bytes(),
            start: 16 - len,
        }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

impl<const SCALE: u32> PartialOrd for Decimal<SCALE> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<const SCALE: u32> Ord for Decimal<SCALE> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.unscaled, &other.unscaled) {
            (Unscaled::Small(a), Unscaled::Small(b)) => a.cmp(b),
            (a, b) => a.to_big().cmp(&b.to_big()),
        }
    }
}

impl<const SCALE: u32> fmt::Display for Decimal<SCALE> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, digits) = match &self.unscaled {
            Unscaled::Small(v) => (*v < 0, v.unsigned_abs().to_string()),
            Unscaled::Big(v) => (
                v.sign() == num_bigint::Sign::Minus,
                v.magnitude().to_string(),
            ),
        };
        let sign = if negative { "-" } else { "" };
        let scale = SCALE as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// Text that is not a decimal with at most the type's scale.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid decimal {text:?} for scale {scale}: {reason}")]
pub struct ParseDecimalError {
    text: String,
    scale: u32,
    reason: &'static str,
}

impl<const SCALE: u32> FromStr for Decimal<SCALE> {
    type Err = ParseDecimalError;

    /// Parses `-12.3` (padded to the scale); more fraction digits than the scale is an error
    /// rather than a silent rounding.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ParseDecimalError {
            text: s.to_string(),
            scale: SCALE,
            reason,
        };
        let t = s.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(err("no digits"));
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(err("not a number"));
        }
        if frac.len() > SCALE as usize {
            return Err(err("more fraction digits than the scale"));
        }
        let digits = format!("{int}{frac:0<width$}", width = SCALE as usize);
        // i128 first (every decimal of precision ≤ 38); BigInt only when the digits overflow.
        let small = digits.bytes().try_fold(0i128, |acc, b| {
            acc.checked_mul(10)?
                .checked_add(i128::from(b - b'0') * if neg { -1 } else { 1 })
        });
        let unscaled = match small {
            Some(v) => Unscaled::Small(v),
            None => {
                let mut big: BigInt = digits.parse().map_err(|_| err("not a number"))?;
                if neg {
                    big = -big;
                }
                Unscaled::from_big(big)
            }
        };
        Ok(Decimal { unscaled })
    }
}

impl<const SCALE: u32> From<i64> for Decimal<SCALE> {
    /// The unscaled value: `Decimal::<2>::from(150)` is 1.50.
    fn from(unscaled: i64) -> Self {
        Decimal::from_unscaled(unscaled)
    }
}

impl<const SCALE: u32> Serialize for Decimal<SCALE> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_bytes(|b| serializer.serialize_bytes(b))
    }
}

impl<'de, const SCALE: u32> Deserialize<'de> for Decimal<SCALE> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<const S: u32>;
        impl<'de, const S: u32> Visitor<'de> for V<S> {
            type Value = Decimal<S>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("decimal bytes (big-endian two's complement)")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Decimal::from_bytes(v))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
                Ok(Decimal::from_bytes(&v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut bytes = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    bytes.push(b);
                }
                Ok(Decimal::from_bytes(&bytes))
            }
        }
        deserializer.deserialize_bytes(V::<SCALE>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_twos_complement() {
        let d: Decimal<2> = "12.34".parse().unwrap();
        assert_eq!(d.to_bytes(), [0x04, 0xd2]);
        let n: Decimal<2> = "-1.50".parse().unwrap();
        assert_eq!(n.to_bytes(), [0xff, 0x6a]);
        let z: Decimal<2> = "0".parse().unwrap();
        assert_eq!(z.to_bytes(), [0x00]);
        assert_eq!(Decimal::<2>::from_bytes(&[0xff, 0x6a]), n);
    }

    #[test]
    fn display_and_parse() {
        for (text, shown) in [
            ("12.34", "12.34"),
            ("-1.5", "-1.50"),
            ("0.07", "0.07"),
            ("-0.07", "-0.07"),
            ("5", "5.00"),
        ] {
            let d: Decimal<2> = text.parse().unwrap();
            assert_eq!(d.to_string(), shown);
        }
        assert!("1.234".parse::<Decimal<2>>().is_err());
        assert!("abc".parse::<Decimal<2>>().is_err());
        assert!("".parse::<Decimal<2>>().is_err());
        assert_eq!(Decimal::<0>::from(-42).to_string(), "-42");
    }

    /// Values around every byte boundary up to and past 128 bits, both signs: the edges where
    /// a minimal two's-complement form gains a byte (127/128, -128/-129, …).
    fn boundary_values() -> Vec<BigInt> {
        let mut out = vec![BigInt::from(0)];
        for bits in [
            7u32, 8, 15, 16, 31, 32, 63, 64, 119, 120, 126, 127, 128, 129, 135, 136, 200,
        ] {
            let p = BigInt::from(1) << bits;
            for delta in [-1i32, 0, 1] {
                let v = &p + delta;
                out.push(v.clone());
                out.push(-v);
            }
        }
        out.push(BigInt::from(i128::MAX));
        out.push(BigInt::from(i128::MIN));
        out.push(BigInt::from(i128::MIN) - 1);
        out.push(BigInt::from(i128::MAX) + 1);
        out
    }

    #[test]
    fn bytes_match_bigint_at_every_boundary_and_round_trip() {
        for v in boundary_values() {
            let d = Decimal::<3>::from_unscaled(v.clone());
            let expected = v.to_signed_bytes_be();
            assert_eq!(d.to_bytes(), expected, "{v}");
            d.with_bytes(|b| assert_eq!(b, expected.as_slice(), "{v}"));
            assert_eq!(Decimal::<3>::from_bytes(&expected), d, "{v}");
            assert_eq!(*d.unscaled(), v);
            // The i128 form whenever it fits, and only then.
            assert_eq!(d.to_i128(), i128::try_from(&v).ok(), "{v}");
            // Text round trip keeps the value (big or small).
            assert_eq!(d.to_string().parse::<Decimal<3>>().unwrap(), d, "{v}");
        }
    }

    #[test]
    fn sign_extension_of_minimal_and_padded_bytes() {
        // Minimal forms as Java's BigDecimal.unscaledValue().toByteArray() and fastavro write.
        assert_eq!(Decimal::<0>::from_bytes(&[0x80]).to_i128(), Some(-128));
        assert_eq!(Decimal::<0>::from_bytes(&[0xff]).to_i128(), Some(-1));
        assert_eq!(Decimal::<0>::from_bytes(&[0x7f]).to_i128(), Some(127));
        assert_eq!(Decimal::<0>::from_bytes(&[0x00, 0x80]).to_i128(), Some(128));
        assert_eq!(
            Decimal::<0>::from_bytes(&[0xff, 0x7f]).to_i128(),
            Some(-129)
        );
        assert_eq!(Decimal::<0>::from_bytes(&[]).to_i128(), Some(0));
        // 16 bytes: the whole i128 range.
        let mut max = [0xffu8; 16];
        max[0] = 0x7f;
        assert_eq!(Decimal::<0>::from_bytes(&max).to_i128(), Some(i128::MAX));
        let mut min = [0u8; 16];
        min[0] = 0x80;
        assert_eq!(Decimal::<0>::from_bytes(&min).to_i128(), Some(i128::MIN));
        // 17 bytes that only repeat the sign (a non-minimal writer, a padded fixed): still i128.
        let mut padded = vec![0xffu8];
        padded.extend_from_slice(&min);
        assert_eq!(Decimal::<0>::from_bytes(&padded).to_i128(), Some(i128::MIN));
        let mut padded = vec![0x00u8; 8];
        padded.push(0x05);
        assert_eq!(Decimal::<0>::from_bytes(&padded).to_i128(), Some(5));
        // 17 significant bytes: beyond 128 bits, the BigInt form, the same value either way.
        let mut big = vec![0x00u8];
        big.extend_from_slice(&[0x80; 16]);
        let d = Decimal::<0>::from_bytes(&big);
        assert_eq!(d.to_i128(), None);
        assert_eq!(*d.unscaled(), BigInt::from_signed_bytes_be(&big));
        assert_eq!(d.to_bytes(), big);
        let neg = [0xfeu8; 17];
        let d = Decimal::<0>::from_bytes(&neg);
        assert_eq!(d.to_i128(), None);
        assert_eq!(*d.unscaled(), BigInt::from_signed_bytes_be(&neg));
    }

    #[test]
    fn big_and_small_forms_are_one_value_space() {
        // Built from a BigInt that fits: equal to (and hashes as) the i128-built value.
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let hash = |d: &Decimal<2>| {
            let mut h = DefaultHasher::new();
            d.hash(&mut h);
            h.finish()
        };
        let a = Decimal::<2>::from_unscaled(BigInt::from(-1234));
        let b = Decimal::<2>::from(-1234i64);
        assert_eq!(a, b);
        assert_eq!(hash(&a), hash(&b));
        // Ordering across the two forms is numeric.
        let huge = Decimal::<2>::from_unscaled(BigInt::from(i128::MAX) * BigInt::from(4));
        let tiny = Decimal::<2>::from_unscaled(-(BigInt::from(i128::MAX) * BigInt::from(4)));
        assert!(tiny < Decimal::<2>::from_unscaled(i128::MIN));
        assert!(Decimal::<2>::from_unscaled(i128::MAX) < huge);
        assert!(tiny < huge);
        assert_eq!(
            Decimal::<2>::from_unscaled(u128::MAX).to_string(),
            format!("{}.{}", u128::MAX / 100, u128::MAX % 100)
        );
    }

    #[test]
    fn scale_places_the_point() {
        let d = Decimal::<5>::from_unscaled(i128::MIN);
        let digits = i128::MIN.unsigned_abs().to_string();
        let (int, frac) = digits.split_at(digits.len() - 5);
        assert_eq!(d.to_string(), format!("-{int}.{frac}"));
        assert_eq!(d.to_string().parse::<Decimal<5>>().unwrap(), d);
        assert_eq!(Decimal::<5>::from(7i64).to_string(), "0.00007");
        assert_eq!(Decimal::<5>::from(-7i64).to_string(), "-0.00007");
        assert_eq!(
            "-0.00007".parse::<Decimal<5>>().unwrap().to_i128(),
            Some(-7)
        );
        assert_eq!(Decimal::<38>::from(1i64).scale(), 38);
        // 38 nines at scale 38: precision 38 fits the i128.
        let nines = format!("0.{}", "9".repeat(38));
        assert!(nines.parse::<Decimal<38>>().unwrap().to_i128().is_some());
        // 39+ digits beyond i128::MAX go to BigInt and print back.
        let many = "9".repeat(45);
        let d: Decimal<0> = many.parse().unwrap();
        assert_eq!(d.to_i128(), None);
        assert_eq!(d.to_string(), many);
    }
}
