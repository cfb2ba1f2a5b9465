//! A JSON tree that keeps object keys in the order written, and writes itself as Jackson
//! writes a `JsonNode` compactly — what Avro's Java `Schema.toString()` is made of.
//!
//! serde_json's own `Value` sorts keys in this workspace (its `preserve_order` feature is off,
//! and turning it on would change every crate's maps), but Avro Java keeps custom attributes
//! and default values in the order written, so Confluent's canonical text of an Avro schema
//! does too.

use std::fmt::Write as _;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their keys in the order written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    /// Keys in the order written; a repeated key keeps its first place and its last value
    /// (Jackson's `ObjectNode`, a `LinkedHashMap`, does the same).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parse `text`; `None` when it is not JSON.
    pub(crate) fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok()
    }

    /// The value of `key` in an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string (Jackson's `textValue()`: `None` for anything else).
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The same value with object keys sorted at every level (Confluent's
    /// `jsonMapperWithOrderedProps`, used by `AvroSchemaUtils.toNormalizedString`).
    pub(crate) fn sorted(&self) -> Json {
        match self {
            Json::Array(items) => Json::Array(items.iter().map(Json::sorted).collect()),
            Json::Object(entries) => {
                let mut entries: Vec<(String, Json)> = entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.sorted()))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(entries)
            }
            other => other.clone(),
        }
    }

    /// Append the value as Jackson writes it compactly: no whitespace, keys in order,
    /// strings escaped as Jackson escapes them, numbers as Java prints them.
    pub(crate) fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => write_number(n, out),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A JSON string as Jackson's generator writes it: `"` and `\` escaped, the control
/// characters as `\b \t \n \f \r` or `\u00XX` (upper-case hex), everything else as is.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An integer as written; any other number as Java's `Double.toString` prints it (Jackson
/// reads a JSON number with a fraction or exponent as a `double` and writes it back so).
pub(crate) fn write_number(n: &serde_json::Number, out: &mut String) {
    if n.is_i64() || n.is_u64() {
        let _ = write!(out, "{n}");
    } else if let Some(f) = n.as_f64() {
        out.push_str(&java_double(f));
    } else {
        let _ = write!(out, "{n}");
    }
}

/// Java's `Double.toString(d)` of a finite `d`: the shortest digits that read back as `d`,
/// plain (`0.001`, `100.0`) when 10⁻³ ≤ |d| < 10⁷, else `1.0E10`, `1.5E-5`.
pub(crate) fn java_double(d: f64) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let mut buffer = ryu::Buffer::new();
    let shortest = buffer.format_finite(d.abs());
    let (mantissa, exponent) = match shortest.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    // Digits before the decimal point of 0.<digits> × 10^point.
    let mut point = int_part.len() as i32 + exponent;
    while digits.starts_with('0') {
        digits.remove(0);
        point -= 1;
    }
    while digits.ends_with('0') {
        digits.pop();
    }
    let sign = if d < 0.0 { "-" } else { "" };
    let e = point - 1;
    let len = digits.len() as i32;
    if (-3..7).contains(&e) {
        if point <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
        } else if point >= len {
            format!("{sign}{digits}{}.0", "0".repeat((point - len) as usize))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{sign}{a}.{b}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{e}")
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            match entries.iter_mut().find(|(key, _)| *key == k) {
                Some(entry) => entry.1 = v,
                None => entries.push((k, v)),
            }
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_in_the_order_written_and_repeats_keep_their_place() {
        let j = Json::parse(r#"{"b": 1, "a": [true, null], "b": "x"}"#).expect("JSON");
        let mut out = String::new();
        j.write(&mut out);
        assert_eq!(out, r#"{"b":"x","a":[true,null]}"#);
        let mut sorted = String::new();
        j.sorted().write(&mut sorted);
        assert_eq!(sorted, r#"{"a":[true,null],"b":"x"}"#);
    }

    #[test]
    fn numbers_and_strings_are_written_as_jackson_writes_them() {
        let cases = [
            ("1", "1"),
            ("-7", "-7"),
            ("1.0", "1.0"),
            ("1e2", "100.0"),
            ("0.001", "0.001"),
            ("0.0001", "1.0E-4"),
            ("1234567.5", "1234567.5"),
            ("12345678.0", "1.2345678E7"),
            ("1.5e10", "1.5E10"),
            ("-0.25", "-0.25"),
            ("0.0", "0.0"),
        ];
        for (text, java) in cases {
            let mut out = String::new();
            Json::parse(text).expect("JSON").write(&mut out);
            assert_eq!(out, java, "{text}");
        }
        let mut out = String::new();
        write_string("a\"b\\c\n\u{1}é/", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001é/\"");
    }
}
