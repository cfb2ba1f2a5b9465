//! A JSON text read into a flat tape that the `jsonschema` validator reads in place, so that
//! validating a frame builds no `serde_json::Value`.
//!
//! Why: the validator is generic over its JSON representation (`jsonschema::json`). With
//! `serde_json::Value` every string, array and object of a record is allocated to be checked
//! and dropped again — on the 6-field record that was most of the cost of a validated decode,
//! and on the serialize side the value was even turned into a `Value` before being written.
//! The tape is one `Vec` of entries in document order, strings borrowed from the frame (owned
//! only where the text escapes them), containers knowing where they end; the validator walks
//! it as it walks a `Value`. Measured in `benches/json_schema.rs` (BENCHMARKS.md, "JSON Schema
//! codec").
//!
//! Duplicate keys: `serde_json::Value` keeps the last value of a repeated key (as Python's
//! `json.loads`), and the validator's answer depends on it (`required` counts members). A tape
//! that meets a repeated key in one object says so ([`Tape::has_duplicate_keys`]) and the caller
//! validates a `Value` instead, so answers never differ.

use std::borrow::Cow;

use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};
use jsonschema::JsonType;
use serde_json::{Map, Number, Value};

/// One JSON text as a tape (see the module docs).
pub(crate) struct Tape<'s> {
    entries: Vec<Entry<'s>>,
    duplicate_keys: bool,
}

/// One node of the tape. A container is followed by its members (`Key` then value, for an
/// object) up to `end`, the index after its last entry.
#[derive(Debug, Clone)]
pub(crate) enum Entry<'s> {
    Null,
    Bool(bool),
    Number(Num),
    Str(Cow<'s, str>),
    Key(Cow<'s, str>),
    Array { len: u32, end: u32 },
    Object { len: u32, end: u32 },
}

/// A number as serde_json reads it: non-negative integers as `u64`, negative as `i64`, the rest
/// (and integers past 64 bits) as `f64` — the same split as `serde_json::Number`, so every
/// numeric keyword answers as it does on a `Value`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

mod parser;

impl<'s> Tape<'s> {
    /// Read `text` (one JSON value, nothing after it but whitespace); `None` when it is not
    /// JSON this reader takes (the caller then reads it with serde_json: see [`parser`]).
    pub(crate) fn parse(text: &'s [u8]) -> Option<Tape<'s>> {
        // A frame's JSON is about 3 bytes an entry; start near it to grow once at most.
        let mut tape = Tape {
            entries: Vec::with_capacity(text.len() / 4 + 4),
            duplicate_keys: false,
        };
        parser::parse(text, &mut tape.entries, &mut tape.duplicate_keys)?;
        Some(tape)
    }

    /// Whether some object repeats a key (the caller then validates a `Value`).
    pub(crate) fn has_duplicate_keys(&self) -> bool {
        self.duplicate_keys
    }

    /// The root node.
    pub(crate) fn root(&self) -> TapeNode<'_> {
        TapeNode {
            tape: &self.entries,
            at: 0,
        }
    }
}

fn index(n: usize) -> u32 {
    // A tape's indices come from `u32` ends (the parser refuses more entries): saturating
    // would only make a malformed tape refuse, never read out of bounds.
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn entry_text<'e>(e: &'e Entry<'_>) -> &'e str {
    match e {
        Entry::Str(s) | Entry::Key(s) => s,
        _ => "",
    }
}

/// A key's hash for the parser's repeated-key filter: FNV-1a over its bytes.
fn key_hash(key: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h ^ (h >> 15)
}

/// Whether the key at `key_at` already names a member of the object opened at `object_at`.
fn repeats(entries: &[Entry<'_>], object_at: usize, key_at: usize) -> bool {
    let key = entries.get(key_at).map_or("", entry_text);
    let mut i = object_at + 1;
    while i < key_at {
        if entry_text(&entries[i]) == key {
            return true;
        }
        // Skip the key and its value.
        i = skip(entries, i + 1);
    }
    false
}

/// The index after the value starting at `i`.
fn skip(entries: &[Entry<'_>], i: usize) -> usize {
    match entries.get(i) {
        Some(Entry::Array { end, .. } | Entry::Object { end, .. }) => *end as usize,
        _ => i + 1,
    }
}

/// The `jsonschema` representation of a [`Tape`].
pub(crate) struct TapeJson;

impl Json for TapeJson {
    type Node<'a> = TapeNode<'a>;
    type PreparedKey = Box<str>;
    type StringBuffer = ();

    // A member look-up is a walk of the object: a members pass is never dearer.
    const KEYS_PER_LOOKUP: usize = 1 << 16;
    // No node holds itself.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(TapeNode<'_>) -> T) -> T {
        let one = [Entry::Str(Cow::Borrowed(string))];
        f(TapeNode { tape: &one, at: 0 })
    }
}

/// A node of a tape: the entries and its index.
#[derive(Clone, Copy)]
pub(crate) struct TapeNode<'a> {
    tape: &'a [Entry<'a>],
    at: u32,
}

impl<'a> TapeNode<'a> {
    fn entry(&self) -> &'a Entry<'a> {
        // Every index handed out points into the tape; Null keeps a broken one harmless.
        self.tape.get(self.at as usize).unwrap_or(&Entry::Null)
    }

    /// The node as a `serde_json::Value` (for errors, `enum`/`const` and `uniqueItems`).
    fn value(&self) -> Value {
        match self.entry() {
            Entry::Null => Value::Null,
            Entry::Bool(b) => Value::Bool(*b),
            Entry::Number(n) => n
                .number()
                .map_or(Value::Null, |n| Value::Number(n.into_owned())),
            Entry::Str(s) | Entry::Key(s) => Value::String(s.to_string()),
            Entry::Array { .. } => Value::Array(
                self.as_array()
                    .map(|a| a.elements().map(|e| e.value()).collect())
                    .unwrap_or_default(),
            ),
            Entry::Object { .. } => Value::Object(
                self.as_object()
                    .map(|o| {
                        o.members()
                            .map(|(k, v)| (k.to_string(), v.value()))
                            .collect::<Map<String, Value>>()
                    })
                    .unwrap_or_default(),
            ),
        }
    }
}

impl Num {
    fn number(self) -> Option<Cow<'static, Number>> {
        match self {
            Num::PosInt(n) => Some(Cow::Owned(n.into())),
            Num::NegInt(n) => Some(Cow::Owned(n.into())),
            Num::Float(f) => Number::from_f64(f).map(Cow::Owned),
        }
    }
}

impl JsonNumber for Num {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Num::PosInt(n) => Some(n),
            _ => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match *self {
            Num::PosInt(n) => i64::try_from(n).ok(),
            Num::NegInt(n) => Some(n),
            Num::Float(_) => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Num::PosInt(n) => n as f64,
            Num::NegInt(n) => n as f64,
            Num::Float(f) => f,
        })
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(match *self {
            Num::PosInt(n) => n.to_string(),
            Num::NegInt(n) => n.to_string(),
            Num::Float(f) => Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string()),
        })
    }
    fn to_number(&self) -> Cow<'_, Number> {
        // serde_json reads no NaN or infinity, so a float always has a Number.
        self.number().unwrap_or(Cow::Owned(Number::from(0)))
    }
    fn is_integer(&self) -> bool {
        match *self {
            Num::PosInt(_) | Num::NegInt(_) => true,
            Num::Float(f) => f.fract() == 0.0,
        }
    }
    fn is_written_as_integer(&self) -> bool {
        // serde_json reads a text with a fraction or an exponent as a float, and so does this.
        !matches!(self, Num::Float(_))
    }
}

impl<'a> Node<'a, TapeJson> for TapeNode<'a> {
    type Object = TapeObject<'a>;
    type Array = TapeArray<'a>;
    type Number = Num;

    fn as_object(&self) -> Option<TapeObject<'a>> {
        match self.entry() {
            Entry::Object { len, end } => Some(TapeObject {
                tape: self.tape,
                at: self.at,
                len: *len,
                end: *end,
            }),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<TapeArray<'a>> {
        match self.entry() {
            Entry::Array { len, end } => Some(TapeArray {
                tape: self.tape,
                at: self.at,
                len: *len,
                end: *end,
            }),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.entry() {
            Entry::Str(s) | Entry::Key(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<Num> {
        match self.entry() {
            Entry::Number(n) => Some(*n),
            _ => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match self.entry() {
            Entry::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(self.entry(), Entry::Null)
    }
    fn json_type(&self) -> JsonType {
        match self.entry() {
            Entry::Null => JsonType::Null,
            Entry::Bool(_) => JsonType::Boolean,
            Entry::Number(_) => JsonType::Number,
            Entry::Str(_) | Entry::Key(_) => JsonType::String,
            Entry::Array { .. } => JsonType::Array,
            Entry::Object { .. } => JsonType::Object,
        }
    }
    fn equals_value(&self, expected: &Value) -> bool {
        // Strings, booleans and null compare in place (a string `enum` is the common case);
        // numbers and containers through a Value, as the `jsonschema` default does.
        match (self.entry(), expected) {
            (Entry::Str(s) | Entry::Key(s), Value::String(e)) => s == e,
            (Entry::Str(_) | Entry::Key(_), _) => false,
            (Entry::Bool(b), Value::Bool(e)) => b == e,
            (Entry::Bool(_), _) => false,
            (Entry::Null, e) => e.is_null(),
            _ => jsonschema::json::cmp::equal(&self.value(), expected),
        }
    }
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(self.value())
    }
    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::tagged(self.tape.as_ptr() as usize, self.at))
    }
}

/// An object node.
pub(crate) struct TapeObject<'a> {
    tape: &'a [Entry<'a>],
    at: u32,
    len: u32,
    end: u32,
}

/// Members of an object, in the text's order.
pub(crate) struct Members<'a> {
    tape: &'a [Entry<'a>],
    next: usize,
    end: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TapeNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let key = self.tape.get(self.next).map_or("", entry_text);
        let value_at = self.next + 1;
        self.next = skip(self.tape, value_at);
        Some((
            key,
            TapeNode {
                tape: self.tape,
                at: index(value_at),
            },
        ))
    }
}

impl<'a> Object<'a, TapeJson> for TapeObject<'a> {
    type Node = TapeNode<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.len as usize
    }
    fn get(&self, key: &Box<str>) -> Option<TapeNode<'a>> {
        self.members()
            .find(|(name, _)| *name == &**key)
            .map(|(_, v)| v)
    }
    fn members(&self) -> Members<'a> {
        Members {
            tape: self.tape,
            next: self.at as usize + 1,
            end: self.end as usize,
        }
    }
}

/// An array node.
pub(crate) struct TapeArray<'a> {
    tape: &'a [Entry<'a>],
    at: u32,
    len: u32,
    end: u32,
}

/// Elements of an array, in order.
pub(crate) struct Elements<'a> {
    tape: &'a [Entry<'a>],
    next: usize,
    end: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = TapeNode<'a>;

    fn next(&mut self) -> Option<TapeNode<'a>> {
        if self.next >= self.end {
            return None;
        }
        let at = self.next;
        self.next = skip(self.tape, at);
        Some(TapeNode {
            tape: self.tape,
            at: index(at),
        })
    }
}

impl<'a> Array<'a, TapeJson> for TapeArray<'a> {
    type Node = TapeNode<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        self.len as usize
    }
    fn elements(&self) -> Elements<'a> {
        Elements {
            tape: self.tape,
            next: self.at as usize + 1,
            end: self.end as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape_value(text: &str) -> Value {
        Tape::parse(text.as_bytes()).expect("json").root().value()
    }

    #[test]
    fn a_tape_reads_back_as_the_value_serde_json_reads() {
        for text in [
            r#"{"a":1,"b":[true,null,"x\n",{"c":-2.5}],"d":{},"e":[],"f":18446744073709551615}"#,
            r#"[1,-1,0.5,1e300,"é",[[[]]]]"#,
            r#""just a string""#,
            "-9223372036854775808",
            r#"{"k\"ey":{"n":{"m":[1,2,{"o":null}]}},"z":false}"#,
        ] {
            let expected: Value = serde_json::from_str(text).expect("json");
            assert_eq!(tape_value(text), expected, "{text}");
        }
    }

    #[test]
    fn a_repeated_key_is_noticed_in_its_own_object_only() {
        let t = Tape::parse(br#"{"a":1,"b":{"a":2},"c":[{"a":3}]}"#).expect("json");
        assert!(!t.has_duplicate_keys());
        let t = Tape::parse(br#"{"a":1,"b":{"x":2,"x":3}}"#).expect("json");
        assert!(t.has_duplicate_keys());
        // Many keys: the parser's filter meets collisions, the exact check decides.
        let many: String = (0..300)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let distinct = format!("{{{many}}}");
        assert!(!Tape::parse(distinct.as_bytes())
            .expect("json")
            .has_duplicate_keys());
        let repeated = format!("{{{many},\"k150\":0}}");
        assert!(Tape::parse(repeated.as_bytes())
            .expect("json")
            .has_duplicate_keys());
    }

    #[test]
    fn text_serde_json_refuses_is_not_read() {
        for text in [
            &b"{} {}"[..],
            b"{\"a\":",
            b"",
            b"[1,]",
            b"{\"a\" 1}",
            b"01",
            b"1.",
            b"-",
            b"1e",
            b"\"\\ud800\"",
            b"\"\x01\"",
            b"\"\xff\"",
            b"tru",
            b"{\"a\":1,}",
            b"[1 2]",
        ] {
            assert!(
                Tape::parse(text).is_none(),
                "{}",
                String::from_utf8_lossy(text)
            );
            assert!(serde_json::from_slice::<Value>(text).is_err());
        }
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(Tape::parse(deep.as_bytes()).is_none());
    }

    #[test]
    fn numbers_split_and_round_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "1",
            "-1",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "0.1",
            "-0.0",
            "1e2",
            "1E-2",
            "2.5e+3",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "1.7976931348623157e308",
            "5e-324",
            "9007199254740993",
            "0.000001234",
            "123456.789e-10",
            "1e400",
            "-1e400",
        ] {
            let expected: Result<Value, _> = serde_json::from_str(text);
            match expected {
                Ok(v) => assert_eq!(tape_value(text), v, "{text}"),
                Err(_) => assert!(Tape::parse(text.as_bytes()).is_none(), "{text}"),
            }
            let v: Value = serde_json::from_str(&format!("[{text}]")).unwrap_or(Value::Null);
            if let Some(t) = Tape::parse(format!("[{text}]").as_bytes()) {
                assert_eq!(t.root().value(), v, "{text}");
            }
        }
    }

    #[test]
    fn the_validator_agrees_on_a_tape_and_on_a_value() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": 0},
                "name": {"type": "string", "maxLength": 5},
                "kind": {"enum": ["a", "b", 3]},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
                "score": {"type": "number", "multipleOf": 0.5}
            },
            "required": ["id", "name"],
            "additionalProperties": false
        });
        let on_value = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&schema)
            .expect("schema");
        let on_tape = jsonschema::options_for::<TapeJson>()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&schema)
            .expect("schema");
        for (text, valid) in [
            (r#"{"id":1,"name":"ab"}"#, true),
            (r#"{"id":1.0,"name":"ab"}"#, true),
            (r#"{"id":1.5,"name":"ab"}"#, false),
            (r#"{"id":-1,"name":"ab"}"#, false),
            (r#"{"id":1,"name":"abcdef"}"#, false),
            (r#"{"id":1}"#, false),
            (r#"{"id":1,"name":"a","x":0}"#, false),
            (r#"{"id":1,"name":"a","kind":"b"}"#, true),
            (r#"{"id":1,"name":"a","kind":3.0}"#, true),
            (r#"{"id":1,"name":"a","kind":"c"}"#, false),
            (r#"{"id":1,"name":"a","tags":["x","y"]}"#, true),
            (r#"{"id":1,"name":"a","tags":["x","x"]}"#, false),
            (r#"{"id":1,"name":"a","tags":["x",1]}"#, false),
            (r#"{"id":1,"name":"a","score":2.5}"#, true),
            (r#"{"id":1,"name":"a","score":2.25}"#, false),
            (r#"{"id":1,"n\u0061me":"\u0041bcdef"}"#, false),
            (r#"{"id":1,"n\u0061me":"\u0041b"}"#, true),
            ("[]", false),
            ("null", false),
        ] {
            let value: Value = serde_json::from_str(text).expect("json");
            let tape = Tape::parse(text.as_bytes()).expect("json");
            assert_eq!(on_value.is_valid(&value), valid, "value: {text}");
            assert_eq!(on_tape.is_valid(tape.root()), valid, "tape: {text}");
        }
    }

    /// A small deterministic generator of JSON values (no dependency for one test).
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            self.0 >> 33
        }
        fn value(&mut self, depth: u32) -> Value {
            let keys = ["a", "b", "c", "id", "n\u{e9}", "x"];
            match self.next() % if depth > 3 { 6 } else { 8 } {
                0 => Value::Null,
                1 => Value::Bool(self.next().is_multiple_of(2)),
                2 => Value::from(self.next() as i64 % 7 - 3),
                3 => Value::from((self.next() % 9) as f64 / 2.0 - 1.5),
                4 => Value::from(["", "a", "ab", "q\"z", "\u{263a}x"][(self.next() % 5) as usize]),
                5 => Value::from(u64::MAX - self.next() % 2),
                6 => Value::Array(
                    (0..self.next() % 4)
                        .map(|_| self.value(depth + 1))
                        .collect(),
                ),
                _ => Value::Object(
                    (0..self.next() % 5)
                        .map(|_| {
                            let k = keys[(self.next() % keys.len() as u64) as usize];
                            (k.to_string(), self.value(depth + 1))
                        })
                        .collect(),
                ),
            }
        }
    }

    #[test]
    fn tape_and_value_agree_on_generated_documents() {
        let schemas = [
            serde_json::json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": ["string", "null"], "minLength": 1}}, "additionalProperties": {"not": {"type": "number"}}, "maxProperties": 3}),
            serde_json::json!({"type": "array", "items": {"type": "number", "minimum": -1, "exclusiveMaximum": 2}, "uniqueItems": true, "maxItems": 2}),
            serde_json::json!({"anyOf": [{"type": "string", "maxLength": 1}, {"type": "object", "minProperties": 2, "propertyNames": {"maxLength": 1}}], "not": {"const": "a"}}),
            serde_json::json!({"oneOf": [{"type": "integer"}, {"type": "number", "multipleOf": 0.5}], "enum": [0, 1, 2.5, -1, -3]}),
            serde_json::json!({"type": "object", "patternProperties": {"^[ab]$": {"type": "boolean"}}, "additionalProperties": {"type": "array", "contains": {"type": "null"}}, "dependencies": {"a": ["b"]}}),
            serde_json::json!({"if": {"type": "object", "required": ["id"]}, "then": {"properties": {"id": {"const": null}}}, "else": {"type": ["object", "array", "boolean"]}}),
        ];
        let mut g = Gen(7);
        for schema in &schemas {
            let on_value = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .build(schema)
                .expect("schema");
            let on_tape = jsonschema::options_for::<TapeJson>()
                .with_draft(jsonschema::Draft::Draft7)
                .build(schema)
                .expect("schema");
            let (mut valid, mut invalid) = (0, 0);
            for _ in 0..2_000 {
                let value = g.value(0);
                let text = serde_json::to_vec(&value).expect("json");
                let tape = Tape::parse(&text).expect("json");
                assert_eq!(tape.root().value(), value);
                let expected = on_value.is_valid(&value);
                assert_eq!(
                    on_tape.is_valid(tape.root()),
                    expected,
                    "{schema} on {value}"
                );
                if expected {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
            // Both answers were exercised, or the comparison says little.
            assert!(
                valid > 10 && invalid > 10,
                "{schema}: {valid} valid, {invalid} invalid"
            );
        }
    }
}
