//! JSON text as Confluent's Python `JSONSerializer` writes it, so that frames are
//! byte-identical across the two languages for the same value.
//!
//! confluent-kafka 2.16 writes `json.dumps(value, separators=(",", ":"), ensure_ascii=False)`
//! (orjson when installed, which agrees on all of the below except what it refuses): no
//! whitespace, keys in the order the value holds them, non-ASCII as UTF-8, and `"`, `\`,
//! `\n`, `\r`, `\t`, `\b`, `\f` escaped as such, other control characters as `\u00xx` —
//! which is serde_json's compact output too. What differs is floats: Python's `repr` writes
//! an exponent with a sign and at least two digits (`1e+16`, `1.5e-07`) where serde_json
//! (ryu) writes `1e16`, `1.5e-7`; the digits and the switch to an exponent (below 1e-4, from
//! 1e16 up) are the same shortest round-trip form. [`PythonFormatter`] writes Python's form.
//!
//! Key order: a struct writes its fields in declaration order, as a Python dict built field
//! by field does. A JSON text read with [`Ordered`] keeps its keys in the text's order (as
//! `json.loads` does; `serde_json::Value` sorts them), for `schemaflow produce`.

use std::io;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::ser::Formatter;
use serde_json::{Map, Number, Value};

/// serde_json's compact output with Python's float form (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(f64_text(value).bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        writer.write_all(f32_text(value).bytes())
    }
}

/// A finite `f64` as Python's `repr` writes it.
pub(crate) fn f64_text(value: f64) -> FloatText {
    let mut buf = ryu::Buffer::new();
    python_float(buf.format_finite(value))
}

/// A finite `f32` as Python's `repr` writes the same shortest digits.
pub(crate) fn f32_text(value: f32) -> FloatText {
    let mut buf = ryu::Buffer::new();
    python_float(buf.format_finite(value))
}

/// ryu's shortest digits laid out as Python's `repr`: the same digits, positional notation
/// for decimal exponents -4 to 15 (always with a fractional part: `1.0`, `0.0001`), else
/// `d.ddde±XX` (`1e+16`, `1e-05`). ryu switches to exponents at other points (`0.00001`,
/// `1e16`), so its text is taken apart into digits and exponent and laid out again — unless it
/// is already Python's (most values: see [`python_float`]).
fn python_float(ryu: &str) -> FloatText {
    let (negative, body) = match ryu.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, ryu),
    };
    // ryu writes positional notation (with a fraction, `1.0`) for decimal exponents -5 to 15,
    // Python's `repr` for -4 to 15: without an exponent and outside 1e-5..1e-4 (`0.0000ddd`)
    // the two texts are the same (`ryu_text_is_python_s_where_the_fast_path_takes_it`).
    if !body.contains('e') && !body.starts_with("0.0000") {
        let mut out = FloatText::default();
        out.extend(ryu.as_bytes());
        return out;
    }
    python_layout(negative, body)
}

/// [`python_float`]'s general case: ryu's text taken apart and laid out again.
fn python_layout(negative: bool, body: &str) -> FloatText {
    let (mantissa, exponent) = match body.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // value = 0.DIGITS × 10^point. ryu writes at most 17 significant digits, and positional
    // notation (below) pads with at most 16 zeros: fixed buffers, no allocation per float.
    let mut digit_buf = [0_u8; 40];
    let mut n = 0;
    for d in int_part
        .bytes()
        .chain(frac_part.bytes())
        .take(digit_buf.len())
    {
        digit_buf[n] = d;
        n += 1;
    }
    let mut digits = &digit_buf[..n];
    let mut point = int_part.len() as i32 + exponent;
    let leading = digits.iter().take_while(|d| **d == b'0').count();
    digits = &digits[leading..];
    point -= leading as i32;
    while let [rest @ .., b'0'] = digits {
        digits = rest;
    }
    let mut out = FloatText::default();
    if negative {
        out.push(b'-');
    }
    if digits.is_empty() {
        out.extend(b"0.0");
        return out;
    }
    let x = point - 1; // the exponent in d.ddd × 10^x
    if (-4..16).contains(&x) {
        if point <= 0 {
            out.extend(b"0.");
            out.zeros((-point) as usize);
            out.extend(digits);
        } else if point as usize >= digits.len() {
            out.extend(digits);
            out.zeros(point as usize - digits.len());
            out.extend(b".0");
        } else {
            let (a, b) = digits.split_at(point as usize);
            out.extend(a);
            out.push(b'.');
            out.extend(b);
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend(&digits[1..]);
        }
        out.push(b'e');
        out.push(if x < 0 { b'-' } else { b'+' });
        let e = x.unsigned_abs();
        if e >= 100 {
            out.push(b'0' + (e / 100) as u8);
        }
        out.push(b'0' + (e / 10 % 10) as u8);
        out.push(b'0' + (e % 10) as u8);
    }
    out
}

/// A float's text on the stack: sign, up to 17 digits, up to 16 zeros of padding, the point
/// and an exponent fit in 48 bytes; what would not fit is dropped (never reached).
pub(crate) struct FloatText {
    buf: [u8; 48],
    len: usize,
}

impl Default for FloatText {
    fn default() -> Self {
        FloatText {
            buf: [0; 48],
            len: 0,
        }
    }
}

impl FloatText {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
    fn extend(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.push(*b);
        }
    }
    fn zeros(&mut self, n: usize) {
        for _ in 0..n {
            self.push(b'0');
        }
    }
    /// The text's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The text (ASCII: always `Some`).
    #[cfg_attr(not(feature = "json-schema"), allow(dead_code))]
    pub(crate) fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes()).ok()
    }
}

/// Write `value` as Python's `JSONSerializer` writes it (see the module docs).
pub fn to_writer<W: io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, PythonFormatter);
    value.serialize(&mut ser)
}

/// `value` as Python's `JSONSerializer` writes it.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

/// A JSON value that keeps its object keys in the order they came (a duplicate key keeps the
/// first one's place and the last one's value, as Python's `json.loads` does).
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Ordered>),
    /// An object, keys in order.
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// The same value as a [`serde_json::Value`] (keys sorted).
    pub fn to_value(&self) -> Value {
        match self {
            Ordered::Null => Value::Null,
            Ordered::Bool(b) => Value::Bool(*b),
            Ordered::Number(n) => Value::Number(n.clone()),
            Ordered::String(s) => Value::String(s.clone()),
            Ordered::Array(items) => Value::Array(items.iter().map(Ordered::to_value).collect()),
            Ordered::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => n.serialize(s),
            Ordered::String(v) => s.serialize_str(v),
            Ordered::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_none<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
        // serde_json reads no NaN or infinity: a finite float always has a Number.
        Ok(Number::from_f64(v).map_or(Ordered::Null, Ordered::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Ordered::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut entries: Vec<(String, Ordered)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Ordered>()? {
            match entries.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => entries.push((k, v)),
            }
        }
        Ok(Ordered::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_python_repr() {
        for (v, py) in [
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e15, "1000000000000000.0"),
            (1.5e300, "1.5e+300"),
            (-2.5e-100, "-2.5e-100"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (100.0, "100.0"),
            (123.456, "123.456"),
            (0.000123, "0.000123"),
            (1.2345e-5, "1.2345e-05"),
            (9999999999999998.0, "9999999999999998.0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123456789012345680.0, "1.2345678901234568e+17"),
        ] {
            assert_eq!(
                String::from_utf8(to_vec(&v).expect("f64")).expect("utf8"),
                py
            );
        }
    }

    #[test]
    fn ryu_text_is_python_s_where_the_fast_path_takes_it() {
        // The general layout is the reference: on every value the fast path takes, it must
        // write what the layout writes (the exponent boundaries, then any bit pattern).
        let mut values = vec![
            1e-5,
            9.99e-5,
            1e-4,
            1e15,
            9.999999999999998e15,
            1e16,
            0.5,
            -0.0,
        ];
        let mut x: u64 = 3;
        for _ in 0..50_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            values.push(f64::from_bits(x));
            values.push((x >> 40) as f64 / 1e6);
        }
        for v in values.into_iter().filter(|v| v.is_finite()) {
            let mut buf = ryu::Buffer::new();
            let ryu = buf.format_finite(v);
            let (negative, body) = match ryu.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, ryu),
            };
            assert_eq!(
                python_float(ryu).bytes(),
                python_layout(negative, body).bytes(),
                "{v:e}"
            );
        }
    }

    #[test]
    fn strings_and_order_as_python() {
        let text = r#"{"b": 1, "a": ["é\n\u0001\u007f", null, true], "b": 2.50, "c": {}}"#;
        let o: Ordered = serde_json::from_str(text).expect("json");
        let out = String::from_utf8(to_vec(&o).expect("write")).expect("utf8");
        // Python: json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
        assert_eq!(
            out,
            "{\"b\":2.5,\"a\":[\"é\\n\\u0001\u{7f}\",null,true],\"c\":{}}"
        );
        assert_eq!(o.to_value()["b"], serde_json::json!(2.5));
    }
}
