//! `Decimal<SCALE>`: the Rust type for Avro's `decimal` logical type on `bytes`.
//!
//! Avro stores a decimal as the unscaled integer in big-endian two's complement; the scale is in
//! the schema, so here it is part of the type. The bytes written are the minimal form (`12.34`
//! at scale 2 is 1234 = `04 d2`), exactly what Java's and fastavro's serializers write, so
//! frames are byte-identical with Confluent's. apache-avro 0.22's own `Decimal` path rejects
//! that minimal form on resolution; this type sidesteps it.

use std::fmt;
use std::str::FromStr;

use num_bigint::BigInt;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A decimal number with `SCALE` digits after the point, stored as its unscaled integer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Decimal<const SCALE: u32> {
    unscaled: BigInt,
}

impl<const SCALE: u32> Decimal<SCALE> {
    /// From the unscaled integer: `Decimal::<2>::from_unscaled(1234)` is 12.34.
    pub fn from_unscaled(unscaled: impl Into<BigInt>) -> Self {
        Decimal {
            unscaled: unscaled.into(),
        }
    }

    /// The unscaled integer.
    pub fn unscaled(&self) -> &BigInt {
        &self.unscaled
    }

    /// The scale (digits after the point).
    pub const fn scale(&self) -> u32 {
        SCALE
    }

    /// Minimal big-endian two's-complement bytes of the unscaled value (Avro's encoding).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.unscaled.to_signed_bytes_be()
    }

    /// From big-endian two's-complement bytes of any length (empty is zero).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Decimal {
            unscaled: BigInt::from_signed_bytes_be(bytes),
        }
    }
}

impl<const SCALE: u32> fmt::Display for Decimal<SCALE> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.unscaled.magnitude().to_string();
        let sign = if self.unscaled.sign() == num_bigint::Sign::Minus {
            "-"
        } else {
            ""
        };
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
        let mut unscaled: BigInt = digits.parse().map_err(|_| err("not a number"))?;
        if neg {
            unscaled = -unscaled;
        }
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
        serializer.serialize_bytes(&self.to_bytes())
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
}
