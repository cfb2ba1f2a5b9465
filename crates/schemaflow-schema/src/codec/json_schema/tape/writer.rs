//! A tape recorded while serde_json writes a value, so that checking what was written never
//! reads the text back (the serialize side's second pass, most of its validation cost).
//!
//! [`TapeFormatter`] is the formatter the frame's text is written with: every byte goes
//! through [`PythonFormatter`] exactly as for an unvalidated frame, and each hook also records
//! what it wrote — a string's unescaped content into the tape's arena, a number as a re-read of
//! its text would classify it ([`parser::written_float`](super::parser::written_float)),
//! containers with their lengths and ends. The result is the tape [`Tape::parse`] would read
//! from the text written (`a_written_tape_is_the_tape_of_its_text`).
//!
//! What the recorder does not follow, it gives up on ([`TapeBuilder::finish`] is `None`) and
//! the caller reads the text written instead: a number written inside a string (an integer map
//! key), a raw fragment or a number string (serde_json's `RawValue`, `arbitrary_precision`),
//! an integer past 64 bits, nesting deeper than a re-read accepts.

use std::io;

use serde_json::ser::{CharEscape, Formatter};

use super::{close, count_member, open, parser, push_key, Buffers, Entry, Num, Span, Tape};
use crate::codec::json_schema::python_json::{self, PythonFormatter};

/// The tape being recorded (see the module docs).
pub(crate) struct TapeBuilder {
    bufs: Buffers,
    /// Where the string being written starts in the arena, while one is.
    string_from: Option<usize>,
    /// The next string written is an object's key.
    key_next: bool,
    /// Something was written that this recorder does not follow.
    lost: bool,
    duplicate_keys: bool,
}

impl TapeBuilder {
    /// An empty recorder (with this thread's kept buffers).
    pub(crate) fn new() -> TapeBuilder {
        TapeBuilder {
            bufs: Buffers::take(),
            string_from: None,
            key_next: false,
            lost: false,
            duplicate_keys: false,
        }
    }

    /// The formatter that writes as [`PythonFormatter`] and records here.
    pub(crate) fn formatter(&mut self) -> TapeFormatter<'_> {
        TapeFormatter(self)
    }

    /// The tape of the one value written; `None` when the recorder lost track (the caller then
    /// reads the text).
    pub(crate) fn finish(mut self) -> Option<Tape<'static>> {
        let complete = !self.lost
            && self.string_from.is_none()
            && self.bufs.open.is_empty()
            && !self.bufs.entries.is_empty();
        complete.then(|| Tape {
            text: "",
            bufs: std::mem::take(&mut self.bufs),
            duplicate_keys: self.duplicate_keys,
        })
    }

    /// A leaf value was written (outside a string, or the recorder is lost).
    fn leaf(&mut self, entry: Entry) {
        if self.string_from.is_some() || self.key_next {
            self.lost = true;
            return;
        }
        self.bufs.entries.push(entry);
        let step = count_member(&mut self.bufs);
        self.note(step);
    }

    fn number(&mut self, n: Option<Num>) {
        match n {
            Some(n) => self.leaf(Entry::Number(n)),
            None => self.lost = true,
        }
    }

    fn int(&mut self, v: i64) {
        // A re-read reads a non-negative integer as `u64`.
        self.number(Some(match u64::try_from(v) {
            Ok(u) => Num::PosInt(u),
            Err(_) => Num::NegInt(v),
        }));
    }

    /// A step that can fail (a count or an index past `u32`): failing, the recorder is lost.
    fn note(&mut self, step: Option<()>) {
        if step.is_none() {
            self.lost = true;
        }
    }
}

impl Drop for TapeBuilder {
    fn drop(&mut self) {
        std::mem::take(&mut self.bufs).give_back();
    }
}

/// Writes as [`PythonFormatter`], recording into a [`TapeBuilder`].
pub(crate) struct TapeFormatter<'b>(&'b mut TapeBuilder);

impl Formatter for TapeFormatter<'_> {
    fn write_null<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.leaf(Entry::Null);
        PythonFormatter.write_null(w)
    }
    fn write_bool<W: ?Sized + io::Write>(&mut self, w: &mut W, v: bool) -> io::Result<()> {
        self.0.leaf(Entry::Bool(v));
        PythonFormatter.write_bool(w, v)
    }
    fn write_i8<W: ?Sized + io::Write>(&mut self, w: &mut W, v: i8) -> io::Result<()> {
        self.0.int(v.into());
        PythonFormatter.write_i8(w, v)
    }
    fn write_i16<W: ?Sized + io::Write>(&mut self, w: &mut W, v: i16) -> io::Result<()> {
        self.0.int(v.into());
        PythonFormatter.write_i16(w, v)
    }
    fn write_i32<W: ?Sized + io::Write>(&mut self, w: &mut W, v: i32) -> io::Result<()> {
        self.0.int(v.into());
        PythonFormatter.write_i32(w, v)
    }
    fn write_i64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: i64) -> io::Result<()> {
        self.0.int(v);
        PythonFormatter.write_i64(w, v)
    }
    fn write_i128<W: ?Sized + io::Write>(&mut self, w: &mut W, v: i128) -> io::Result<()> {
        // Past 64 bits a re-read reads a float, rounded by serde_json: not followed here.
        match (u64::try_from(v), i64::try_from(v)) {
            (Ok(u), _) => self.0.number(Some(Num::PosInt(u))),
            (_, Ok(i)) => self.0.int(i),
            _ => self.0.lost = true,
        }
        PythonFormatter.write_i128(w, v)
    }
    fn write_u8<W: ?Sized + io::Write>(&mut self, w: &mut W, v: u8) -> io::Result<()> {
        self.0.number(Some(Num::PosInt(v.into())));
        PythonFormatter.write_u8(w, v)
    }
    fn write_u16<W: ?Sized + io::Write>(&mut self, w: &mut W, v: u16) -> io::Result<()> {
        self.0.number(Some(Num::PosInt(v.into())));
        PythonFormatter.write_u16(w, v)
    }
    fn write_u32<W: ?Sized + io::Write>(&mut self, w: &mut W, v: u32) -> io::Result<()> {
        self.0.number(Some(Num::PosInt(v.into())));
        PythonFormatter.write_u32(w, v)
    }
    fn write_u64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: u64) -> io::Result<()> {
        self.0.number(Some(Num::PosInt(v)));
        PythonFormatter.write_u64(w, v)
    }
    fn write_u128<W: ?Sized + io::Write>(&mut self, w: &mut W, v: u128) -> io::Result<()> {
        match u64::try_from(v) {
            Ok(u) => self.0.number(Some(Num::PosInt(u))),
            Err(_) => self.0.lost = true,
        }
        PythonFormatter.write_u128(w, v)
    }
    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, v: f32) -> io::Result<()> {
        let text = python_json::f32_text(v);
        // A re-read reads the f32's digits as an f64: parse them as it would.
        self.0.number(text.as_str().and_then(parser::number_text));
        w.write_all(text.bytes())
    }
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, v: f64) -> io::Result<()> {
        let text = python_json::f64_text(v);
        self.0
            .number(text.as_str().and_then(|t| parser::written_float(t, v)));
        w.write_all(text.bytes())
    }
    fn write_number_str<W: ?Sized + io::Write>(&mut self, w: &mut W, v: &str) -> io::Result<()> {
        self.0.lost = true;
        PythonFormatter.write_number_str(w, v)
    }
    fn begin_string<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.0.string_from.is_some() {
            self.0.lost = true;
        }
        self.0.string_from = Some(self.0.bufs.arena.len());
        PythonFormatter.begin_string(w)
    }
    fn end_string<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        let b = &mut *self.0;
        match b
            .string_from
            .take()
            .and_then(|from| Span::arena(from, b.bufs.arena.len()))
        {
            Some(span) if b.key_next => {
                b.key_next = false;
                let step = push_key(&mut b.bufs, "", span, &mut b.duplicate_keys);
                b.note(step);
            }
            Some(span) => b.leaf(Entry::Str(span)),
            None => b.lost = true,
        }
        PythonFormatter.end_string(w)
    }
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if self.0.string_from.is_none() {
            self.0.lost = true;
        }
        self.0.bufs.arena.push_str(fragment);
        PythonFormatter.write_string_fragment(w, fragment)
    }
    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let c = match escape {
            CharEscape::Quote => '"',
            CharEscape::ReverseSolidus => '\\',
            CharEscape::Solidus => '/',
            CharEscape::Backspace => '\u{8}',
            CharEscape::FormFeed => '\u{c}',
            CharEscape::LineFeed => '\n',
            CharEscape::CarriageReturn => '\r',
            CharEscape::Tab => '\t',
            CharEscape::AsciiControl(byte) => char::from(byte),
        };
        if self.0.string_from.is_none() {
            self.0.lost = true;
        }
        self.0.bufs.arena.push(c);
        PythonFormatter.write_char_escape(w, escape)
    }
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin_container(false);
        PythonFormatter.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end_container();
        PythonFormatter.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        PythonFormatter.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        PythonFormatter.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin_container(true);
        PythonFormatter.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end_container();
        PythonFormatter.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if self.0.key_next || self.0.string_from.is_some() {
            self.0.lost = true;
        }
        self.0.key_next = true;
        PythonFormatter.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        // The key was written as one string (which cleared `key_next`), or it was not followed.
        if self.0.key_next || self.0.string_from.is_some() {
            self.0.lost = true;
        }
        PythonFormatter.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        PythonFormatter.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        PythonFormatter.end_object_value(w)
    }
    fn write_raw_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.0.lost = true;
        PythonFormatter.write_raw_fragment(w, fragment)
    }
}

impl TapeFormatter<'_> {
    fn begin_container(&mut self, object: bool) {
        let b = &mut *self.0;
        if b.string_from.is_some() || b.key_next {
            b.lost = true;
            return;
        }
        // Past serde_json's nesting limit a re-read fails: not followed (the re-read decides).
        let step = open(&mut b.bufs, object);
        b.note(step);
    }

    fn end_container(&mut self) {
        let b = &mut *self.0;
        if b.lost {
            return;
        }
        let step = close(&mut b.bufs);
        b.note(step);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::Value;

    use super::super::tests::Gen;
    use super::*;

    /// A tape's entries with their strings resolved (spans differ between the two readers).
    #[derive(Debug, PartialEq)]
    enum Seen {
        Null,
        Bool(bool),
        Number(Num),
        Str(String),
        Key(String),
        Array(u32, u32),
        Object(u32, u32),
    }

    fn seen(tape: &Tape<'_>) -> Vec<Seen> {
        tape.entries()
            .iter()
            .map(|e| match *e {
                Entry::Null => Seen::Null,
                Entry::Bool(b) => Seen::Bool(b),
                Entry::Number(n) => Seen::Number(n),
                Entry::Str(s) => Seen::Str(tape.str(s).to_string()),
                Entry::Key(s) => Seen::Key(tape.str(s).to_string()),
                Entry::Array { len, end } => Seen::Array(len, end),
                Entry::Object { len, end } => Seen::Object(len, end),
            })
            .collect()
    }

    /// Write `value` while recording: the text (which must be [`python_json`]'s) and the tape.
    fn write<T: Serialize + ?Sized>(value: &T) -> (Vec<u8>, Option<Vec<Seen>>, bool) {
        let mut text = Vec::new();
        let mut builder = TapeBuilder::new();
        {
            let mut ser = serde_json::Serializer::with_formatter(&mut text, builder.formatter());
            value.serialize(&mut ser).expect("serializes");
        }
        assert_eq!(
            text,
            python_json::to_vec(value).expect("serializes"),
            "the recorder changed the text"
        );
        let tape = builder.finish();
        let dup = tape.as_ref().is_some_and(Tape::has_duplicate_keys);
        (text, tape.as_ref().map(seen), dup)
    }

    /// The tape recorded while writing is the tape read from the text written.
    fn same_as_read<T: Serialize + ?Sized>(value: &T) {
        let (text, written, dup) = write(value);
        let read = Tape::parse(&text).expect("the text written reads");
        let written = written.expect("followed");
        assert_eq!(written, seen(&read), "{}", String::from_utf8_lossy(&text));
        assert_eq!(dup, read.has_duplicate_keys());
    }

    #[test]
    fn a_written_tape_is_the_tape_of_its_text() {
        let mut g = Gen(11);
        for _ in 0..5_000 {
            same_as_read(&g.value(0));
        }
    }

    /// A float from any bit pattern (finite ones: serde_json writes the others as null).
    fn float(g: &mut Gen) -> f64 {
        f64::from_bits((g.next() << 32) ^ g.next() ^ (g.next() << 48))
    }

    #[test]
    fn numbers_are_recorded_as_a_re_read_classifies_them() {
        let mut g = Gen(5);
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            98.25,
            1e15,
            1e16,
            1e-4,
            1e-5,
            1.5e-7,
            5e-324,
            1.7976931348623157e308,
            9007199254740993.0,
            0.30000000000000004,
            123456.789e-10,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        values.extend((0..20_000).map(|_| float(&mut g)));
        values.extend((0..5_000).map(|_| (g.next() % 1_000_000) as f64 / 1000.0));
        for v in &values {
            same_as_read(&[*v]);
            same_as_read(&[*v as f32]);
        }
        same_as_read(&(
            i64::MIN,
            i64::MAX,
            u64::MAX,
            -1_i8,
            200_u8,
            -3_i16,
            7_u16,
            -9_i32,
            9_u32,
            0_i64,
        ));
        same_as_read(&(i128::from(i64::MIN), u128::from(u64::MAX), -5_i128, 5_u128));
    }

    #[test]
    fn strings_and_structures_are_recorded_as_read() {
        #[derive(Serialize)]
        enum E {
            Unit,
            New(i32),
            Tuple(u8, String),
            Struct { a: Option<bool> },
        }
        #[derive(Serialize)]
        struct S<'a> {
            text: &'a str,
            c: char,
            bytes: &'a [u8],
            unit: (),
            none: Option<i32>,
            map: BTreeMap<String, Vec<E>>,
            empty: Vec<u8>,
            empty_map: BTreeMap<String, u8>,
            nested: Vec<Vec<Vec<()>>>,
        }
        for text in [
            "",
            "plain",
            "q\"uote\\back/slash",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "é ☺ 𝄞 mixed \u{1}",
        ] {
            let map = [
                (text.to_string(), vec![E::Unit, E::New(-1)]),
                (
                    "k".into(),
                    vec![E::Tuple(1, text.into()), E::Struct { a: None }],
                ),
            ]
            .into_iter()
            .collect();
            same_as_read(&S {
                text,
                c: '\u{1}',
                bytes: text.as_bytes(),
                unit: (),
                none: None,
                map,
                empty: vec![],
                empty_map: BTreeMap::new(),
                nested: vec![vec![], vec![vec![(), ()]]],
            });
            same_as_read(text);
        }
    }

    #[test]
    fn what_is_not_followed_is_left_to_a_re_read() {
        // An integer key is written inside a string.
        let int_keys: BTreeMap<i64, u8> = [(1, 2), (-3, 4)].into_iter().collect();
        assert!(write(&int_keys).1.is_none());
        let bool_keys: BTreeMap<bool, u8> = [(true, 2)].into_iter().collect();
        assert!(write(&bool_keys).1.is_none());
        // Past 64 bits a re-read rounds through serde_json.
        assert!(write(&[i128::MAX]).1.is_none());
        assert!(write(&[u128::MAX]).1.is_none());
        // Deeper than a re-read accepts.
        let mut deep = Value::Null;
        for _ in 0..129 {
            deep = Value::Array(vec![deep]);
        }
        assert!(write(&deep).1.is_none());
        let mut deep = Value::Null;
        for _ in 0..128 {
            deep = Value::Array(vec![deep]);
        }
        same_as_read(&deep);
    }

    #[test]
    fn a_repeated_key_is_noticed_while_writing() {
        struct Repeats;
        impl Serialize for Repeats {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("a", &1)?;
                m.serialize_entry("b", &[1])?;
                m.serialize_entry("a", &2)?;
                m.end()
            }
        }
        let (_, tape, dup) = write(&Repeats);
        assert!(tape.is_some() && dup);
        same_as_read(&Repeats);
    }
}
