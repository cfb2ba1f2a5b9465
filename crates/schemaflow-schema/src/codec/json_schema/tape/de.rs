//! A value read straight from a checked tape, so that a validated decode parses its text once
//! (onto the tape) rather than twice (onto the tape, then again by serde_json into the type).
//!
//! The answer must be serde_json's for the same text, so this deserializer does what
//! `serde_json::Deserializer` does wherever it succeeds — the same visitor calls for the same
//! JSON (numbers split as it splits them: the tape's `Num`; `null` as `None`; an enum as a
//! string or a one-member object; a struct from an object or an array; map keys as strings,
//! every member consumed) — and refuses whatever it does not mirror exactly: map keys read as
//! numbers or booleans, `f32` (serde_json may parse it in single precision), bytes, serde_json's
//! private types (`RawValue`, `arbitrary_precision` numbers), and every error. A refusal
//! ([`from_tape`] is `None`) sends the caller to serde_json, whose answer (a value or its own
//! error) is then the one given: refusing costs time, never a different answer
//! (`a_type_read_from_the_tape_is_the_one_serde_json_reads`).

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde::forward_to_deserialize_any;

use super::{skip, Entry, Num, Tape};

/// Read `T` from a tape; `None` when this reader refuses (see the module docs).
pub(crate) fn from_tape<T: DeserializeOwned>(tape: &Tape<'_>) -> Option<T> {
    T::deserialize(Reader { tape, at: 0 }).ok()
}

/// Any refusal or error: the caller asks serde_json, so no detail is kept.
#[derive(Debug)]
pub(crate) struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Refused {}

impl de::Error for Refused {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Refused
    }
}

/// serde_json's private newtype names (`RawValue`, `arbitrary_precision`'s `Number`) start so.
fn serde_json_private(name: &str) -> bool {
    name.starts_with("$serde_json::")
}

/// The value at `at`.
#[derive(Clone, Copy)]
struct Reader<'t> {
    tape: &'t Tape<'t>,
    at: usize,
}

impl<'t> Reader<'t> {
    fn entry(&self) -> Result<Entry, Refused> {
        self.tape.entries().get(self.at).copied().ok_or(Refused)
    }

    fn seq<'de, V: Visitor<'de>>(self, len: u32, end: u32, visitor: V) -> Result<V::Value, Refused>
    where
        't: 'de,
    {
        let mut seq = Elements {
            tape: self.tape,
            next: self.at + 1,
            end: end as usize,
            left: len,
        };
        let value = visitor.visit_seq(&mut seq)?;
        // serde_json fails on elements a visitor leaves (its `end_seq`).
        (seq.left == 0).then_some(value).ok_or(Refused)
    }

    fn map<'de, V: Visitor<'de>>(self, len: u32, end: u32, visitor: V) -> Result<V::Value, Refused>
    where
        't: 'de,
    {
        let mut map = Members {
            tape: self.tape,
            next: self.at + 1,
            end: end as usize,
            left: len,
        };
        let value = visitor.visit_map(&mut map)?;
        (map.left == 0).then_some(value).ok_or(Refused)
    }

    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Number(Num::PosInt(n)) => visitor.visit_u64(n),
            Entry::Number(Num::NegInt(n)) => visitor.visit_i64(n),
            Entry::Number(Num::Float(f)) => visitor.visit_f64(f),
            _ => Err(Refused),
        }
    }
}

impl<'de, 't: 'de> de::Deserializer<'de> for Reader<'t> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Null => visitor.visit_unit(),
            Entry::Bool(b) => visitor.visit_bool(b),
            Entry::Number(_) => self.number(visitor),
            Entry::Str(s) => visitor.visit_borrowed_str(self.tape.str(s)),
            Entry::Array { len, end } => self.seq(len, end, visitor),
            Entry::Object { len, end } => self.map(len, end, visitor),
            Entry::Key(_) => Err(Refused),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Bool(b) => visitor.visit_bool(b),
            _ => Err(Refused),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.number(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        // serde_json may parse an f32 in single precision (its `float_roundtrip`): its call.
        Err(Refused)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        // serde_json reads the integer's digits; within 64 bits the tape holds the same value.
        match self.entry()? {
            Entry::Number(Num::PosInt(n)) => visitor.visit_u64(n),
            Entry::Number(Num::NegInt(n)) => visitor.visit_i64(n),
            _ => Err(Refused),
        }
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Number(Num::PosInt(n)) => visitor.visit_u64(n),
            _ => Err(Refused),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_str(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Str(s) => visitor.visit_borrowed_str(self.tape.str(s)),
            _ => Err(Refused),
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_str(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Null => visitor.visit_unit(),
            _ => Err(Refused),
        }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        if serde_json_private(name) {
            return Err(Refused);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Array { len, end } => self.seq(len, end, visitor),
            _ => Err(Refused),
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Object { len, end } => self.map(len, end, visitor),
            _ => Err(Refused),
        }
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        // serde_json reads a struct from an object or from an array.
        match self.entry()? {
            Entry::Object { len, end } => self.map(len, end, visitor),
            Entry::Array { len, end } => self.seq(len, end, visitor),
            _ => Err(Refused),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        match self.entry()? {
            Entry::Str(s) => visitor.visit_enum(UnitOnly(self.tape.str(s))),
            // serde_json: `{"Variant": value}`, one member and nothing after it.
            Entry::Object { len: 1, .. } => match self.tape.entries().get(self.at + 1) {
                Some(Entry::Key(k)) => visitor.visit_enum(Variant {
                    name: self.tape.str(*k),
                    value: Reader {
                        tape: self.tape,
                        at: self.at + 2,
                    },
                }),
                _ => Err(Refused),
            },
            _ => Err(Refused),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_unit()
    }
}

/// The elements of an array.
struct Elements<'t> {
    tape: &'t Tape<'t>,
    next: usize,
    end: usize,
    left: u32,
}

impl<'de, 't: 'de> SeqAccess<'de> for Elements<'t> {
    type Error = Refused;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Refused> {
        if self.left == 0 || self.next >= self.end {
            return Ok(None);
        }
        let at = self.next;
        self.next = skip(self.tape.entries(), at);
        self.left -= 1;
        seed.deserialize(Reader {
            tape: self.tape,
            at,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        // serde_json gives none; a hint changes no answer, only a capacity.
        Some(self.left as usize)
    }
}

/// The members of an object: a key, then its value.
struct Members<'t> {
    tape: &'t Tape<'t>,
    next: usize,
    end: usize,
    left: u32,
}

impl<'de, 't: 'de> MapAccess<'de> for Members<'t> {
    type Error = Refused;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Refused> {
        if self.left == 0 || self.next >= self.end {
            return Ok(None);
        }
        match self.tape.entries().get(self.next) {
            Some(Entry::Key(k)) => {
                self.next += 1;
                seed.deserialize(KeyReader(self.tape.str(*k))).map(Some)
            }
            _ => Err(Refused),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Refused> {
        let at = self.next;
        self.next = skip(self.tape.entries(), at);
        self.left = self.left.checked_sub(1).ok_or(Refused)?;
        seed.deserialize(Reader {
            tape: self.tape,
            at,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left as usize)
    }
}

/// A map key, as serde_json's `MapKey` reads it where this reader follows it: a string.
struct KeyReader<'de>(&'de str);

impl<'de> de::Deserializer<'de> for KeyReader<'de> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        // serde_json: map keys cannot be null.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        if serde_json_private(name) {
            return Err(Refused);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        visitor.visit_enum(UnitOnly(self.0))
    }

    /// serde_json reads these from inside the key's quotes: its call.
    fn deserialize_bool<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }

    forward_to_deserialize_any! {
        char str string unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// An enum written as a string: a unit variant (serde_json's `UnitVariantAccess`).
struct UnitOnly<'de>(&'de str);

impl<'de> EnumAccess<'de> for UnitOnly<'de> {
    type Error = Refused;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Refused> {
        let name = de::value::BorrowedStrDeserializer::<Refused>::new(self.0);
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> VariantAccess<'de> for UnitOnly<'de> {
    type Error = Refused;

    fn unit_variant(self) -> Result<(), Refused> {
        Ok(())
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _seed: S) -> Result<S::Value, Refused> {
        Err(Refused)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Refused> {
        Err(Refused)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Refused> {
        Err(Refused)
    }
}

/// An enum written as a one-member object (serde_json's `VariantAccess`).
struct Variant<'t> {
    name: &'t str,
    value: Reader<'t>,
}

impl<'de, 't: 'de> EnumAccess<'de> for Variant<'t> {
    type Error = Refused;
    type Variant = Reader<'t>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Refused> {
        let name = de::value::BorrowedStrDeserializer::<Refused>::new(self.name);
        Ok((seed.deserialize(name)?, self.value))
    }
}

impl<'de, 't: 'de> VariantAccess<'de> for Reader<'t> {
    type Error = Refused;

    fn unit_variant(self) -> Result<(), Refused> {
        // serde_json reads the member's value as `()`: `null`.
        de::Deserialize::deserialize(self)
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Refused> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Refused> {
        de::Deserializer::deserialize_seq(self, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fmt::Debug;

    use serde::Deserialize;
    use serde_json::Value;

    use super::super::tests::Gen;
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Rec {
        #[serde(default)]
        a: Option<Value>,
        #[serde(default)]
        b: Option<bool>,
        #[serde(default)]
        id: Option<i64>,
        #[serde(flatten)]
        rest: BTreeMap<String, Value>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        a: Option<u8>,
        #[serde(rename = "n\u{e9}")]
        ne: Option<String>,
        c: Option<(i32, bool)>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Any {
        Int(i64),
        Float(f64),
        Text(String),
        List(Vec<Any>),
        Map(BTreeMap<String, Any>),
        Nothing(()),
        Flag(bool),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[allow(non_camel_case_types)]
    enum Ext {
        a,
        b(i64),
        c { x: bool },
        x(u64, Option<String>),
        id(()),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "id")]
    enum Tagged {
        #[serde(rename = "a")]
        A { b: Option<Value> },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Single {
        f: Option<f32>,
        g: Option<Vec<f64>>,
    }

    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
    struct Key(String);

    /// Where the tape reader answers, serde_json gives the same value; returns whether it did.
    fn agrees<T: DeserializeOwned + PartialEq + Debug>(text: &[u8]) -> bool {
        let Some(tape) = Tape::parse(text) else {
            return false;
        };
        let Some(from_tape) = from_tape::<T>(&tape) else {
            return false;
        };
        let from_serde = serde_json::from_slice::<T>(text);
        assert_eq!(
            from_serde.as_ref().ok(),
            Some(&from_tape),
            "{} as {}: {from_serde:?}",
            String::from_utf8_lossy(text),
            std::any::type_name::<T>()
        );
        true
    }

    #[test]
    fn a_type_read_from_the_tape_is_the_one_serde_json_reads() {
        let mut g = Gen(3);
        let mut texts: Vec<Vec<u8>> = (0..4_000)
            .map(|_| serde_json::to_vec(&g.value(0)).expect("json"))
            .collect();
        for t in [
            r#""a""#,
            r#"{"b":-4}"#,
            r#"{"c":{"x":true}}"#,
            r#"{"x":[1,"s"]}"#,
            r#"{"x":[1]}"#,
            r#"{"x":[1,null,3]}"#,
            r#"{"id":null}"#,
            r#"{"id":1}"#,
            r#"{"a":1,"b":2}"#,
            r#"{"id":"a","b":[1.5]}"#,
            r#"{"id":"a","b":1,"c":2}"#,
            r#"{"a":300}"#,
            r#"{"a":-1}"#,
            r#"{"a":1.0}"#,
            r#"{"c":[1,true]}"#,
            r#"{"c":[1,true,3]}"#,
            r#"{"c":[1]}"#,
            r#"{"f":0.1,"g":[1,2.5,-0]}"#,
            r#"{"f":1e39}"#,
            r#"[1,true]"#,
            r#"{"n\u00e9":"\u00e9\n"}"#,
            r#"{"k\"ey":{"n":{"m":[1,2,{"o":null}]}},"z":false}"#,
            "18446744073709551616",
            "-9223372036854775809",
        ] {
            texts.push(t.as_bytes().to_vec());
        }
        let mut read = 0;
        for text in &texts {
            read += usize::from(agrees::<Value>(text));
            read += usize::from(agrees::<BTreeMap<String, Value>>(text));
            read += usize::from(agrees::<BTreeMap<Key, Value>>(text));
            read += usize::from(agrees::<Vec<Option<i64>>>(text));
            read += usize::from(agrees::<Rec>(text));
            read += usize::from(agrees::<Strict>(text));
            read += usize::from(agrees::<Any>(text));
            read += usize::from(agrees::<Ext>(text));
            read += usize::from(agrees::<Tagged>(text));
            read += usize::from(agrees::<Single>(text));
            read += usize::from(agrees::<(i64, bool)>(text));
            read += usize::from(agrees::<Option<String>>(text));
            read += usize::from(agrees::<i128>(text));
            read += usize::from(agrees::<u8>(text));
            read += usize::from(agrees::<char>(text));
            read += usize::from(agrees::<()>(text));
        }
        // The reader answered often, or the comparison says little.
        assert!(read > 8_000, "{read}");
    }

    #[test]
    fn records_are_read_from_the_tape_not_refused() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Small {
            id: i64,
            name: String,
            score: f64,
            active: bool,
            tags: Vec<String>,
            counts: BTreeMap<String, i64>,
        }
        let text = br#"{"id":1700000000123,"name":"user-42","score":98.25,"active":true,"tags":["new","mobile","beta"],"counts":{"buys":1,"clicks":3,"views":12}}"#;
        assert!(agrees::<Small>(text));
        assert!(agrees::<Value>(text));
    }
}
