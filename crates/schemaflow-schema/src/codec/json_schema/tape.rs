//! A JSON text as a flat tape that the `jsonschema` validator reads in place, so that
//! validating a frame builds no `serde_json::Value`.
//!
//! Why: the validator is generic over its JSON representation (`jsonschema::json`). With
//! `serde_json::Value` every string, array and object of a record is allocated to be checked
//! and dropped again — on the 6-field record that was most of the cost of a validated decode,
//! and on the serialize side the value was even turned into a `Value` before being written.
//! The tape is one `Vec` of entries in document order, containers knowing where they end; the
//! validator walks it as it walks a `Value`. Measured in `benches/json_schema.rs`
//! (BENCHMARKS.md, "JSON Schema codec").
//!
//! Two ways fill a tape: [`parser`] reads a frame's text (deserialize), [`writer`] records the
//! values as serde_json writes them (serialize, so that the text written is never read back).
//! Both give the same entries for the same text (`a_written_tape_is_the_tape_of_its_text`).
//!
//! Strings are spans, not references: into the text read (a string without escapes), or into
//! the tape's own arena (an unescaped string, or every string the writer records). Entries then
//! hold no lifetime, so a thread keeps its tape's buffers from one record to the next
//! ([`Buffers`]) and a validated record allocates nothing for its tape.
//!
//! Duplicate keys: `serde_json::Value` keeps the last value of a repeated key (as Python's
//! `json.loads`), and the validator's answer depends on it (`required` counts members). A tape
//! that meets a repeated key in one object says so ([`Tape::has_duplicate_keys`]) and the caller
//! validates a `Value` instead, so answers never differ.

use std::borrow::Cow;
use std::cell::Cell;

use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};
use jsonschema::JsonType;
use serde_json::{Map, Number, Value};

pub(crate) mod de;
mod parser;
pub(crate) mod writer;

/// One JSON text as a tape (see the module docs). The default is an empty tape (the buffer
/// `propertyNames` fills, [`TapeJson::with_string_node`]).
#[derive(Default)]
pub(crate) struct Tape<'s> {
    /// The text read, for strings that point into it ("" for a written tape).
    text: &'s str,
    bufs: Buffers,
    duplicate_keys: bool,
}

/// A tape's storage, kept per thread between records (see the module docs).
#[derive(Default)]
pub(crate) struct Buffers {
    entries: Vec<Entry>,
    /// Strings that are not in the text: unescaped, or recorded while writing.
    arena: String,
    /// The containers open while a tape is filled.
    open: Vec<Open>,
}

thread_local! {
    /// The buffers of the last tape this thread dropped.
    static POOL: Cell<Buffers> = const {
        Cell::new(Buffers {
            entries: Vec::new(),
            arena: String::new(),
            open: Vec::new(),
        })
    };
}

/// Buffers past this many entries are freed rather than kept: one odd, huge record must not
/// pin its memory for the life of the thread.
const KEEP_ENTRIES: usize = 1 << 14;

impl Buffers {
    /// This thread's kept buffers (empty), or new ones.
    pub(crate) fn take() -> Buffers {
        POOL.with(Cell::take)
    }

    /// Hand the buffers back to this thread for its next tape.
    fn give_back(mut self) {
        if self.entries.capacity() <= KEEP_ENTRIES && self.arena.capacity() <= KEEP_ENTRIES * 8 {
            self.entries.clear();
            self.arena.clear();
            self.open.clear();
            POOL.with(|p| p.set(self));
        }
    }
}

/// One node of the tape. A container is followed by its members (`Key` then value, for an
/// object) up to `end`, the index after its last entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Entry {
    Null,
    Bool(bool),
    Number(Num),
    Str(Span),
    Key(Span),
    Array { len: u32, end: u32 },
    Object { len: u32, end: u32 },
}

/// Where a string is: in the text read, or (top bit of `start`) in the tape's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

const IN_ARENA: u32 = 1 << 31;

impl Span {
    /// `start..end` of the text; `None` past what a span holds (the text is then not taken).
    fn text(start: usize, end: usize) -> Option<Span> {
        Span::new(start, end, 0)
    }

    /// `start..end` of the arena; `None` past what a span holds.
    fn arena(start: usize, end: usize) -> Option<Span> {
        Span::new(start, end, IN_ARENA)
    }

    fn new(start: usize, end: usize, flag: u32) -> Option<Span> {
        let start = u32::try_from(start).ok().filter(|s| s & IN_ARENA == 0)?;
        let len = u32::try_from(end.checked_sub(start as usize)?).ok()?;
        Some(Span {
            start: start | flag,
            len,
        })
    }
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

impl PartialEq for Num {
    /// Bit for bit: `-0.0` and `0.0` are different readings of a text.
    fn eq(&self, other: &Num) -> bool {
        match (*self, *other) {
            (Num::PosInt(a), Num::PosInt(b)) => a == b,
            (Num::NegInt(a), Num::NegInt(b)) => a == b,
            (Num::Float(a), Num::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

/// A container being filled: where its entry is, how many members so far, and for an object
/// which keys it has seen.
#[derive(Clone, Copy)]
pub(crate) struct Open {
    at: usize,
    len: u32,
    object: bool,
    seen: KeyFilter,
}

impl Open {
    fn new(at: usize, object: bool) -> Open {
        Open {
            at,
            len: 0,
            object,
            seen: KeyFilter::default(),
        }
    }
}

/// serde_json's own nesting limit: it reads no deeper text, so no tape holds one.
const MAX_DEPTH: usize = 128;

impl Tape<'_> {
    /// Read `text` (one JSON value, nothing after it but whitespace); `None` when it is not
    /// JSON this reader takes (the caller then reads it with serde_json: see [`parser`]).
    pub(crate) fn parse(text: &[u8]) -> Option<Tape<'_>> {
        let text = std::str::from_utf8(text).ok()?;
        let mut tape = Tape {
            text,
            bufs: Buffers::take(),
            duplicate_keys: false,
        };
        // A frame's JSON is about 3 bytes an entry; start near it to grow once at most.
        tape.bufs.entries.reserve(text.len() / 4 + 4);
        parser::parse(text, &mut tape.bufs, &mut tape.duplicate_keys)?;
        Some(tape)
    }

    /// Whether some object repeats a key (the caller then validates a `Value`).
    pub(crate) fn has_duplicate_keys(&self) -> bool {
        self.duplicate_keys
    }

    /// The root node.
    pub(crate) fn root(&self) -> TapeNode<'_> {
        TapeNode { tape: self, at: 0 }
    }

    fn entries(&self) -> &[Entry] {
        &self.bufs.entries
    }

    /// The text of a string or key span.
    fn str(&self, span: Span) -> &str {
        strings(self.text, &self.bufs.arena, span)
    }
}

impl Drop for Tape<'_> {
    fn drop(&mut self) {
        std::mem::take(&mut self.bufs).give_back();
    }
}

/// The text of `span`, from `text` or `arena`; "" for a span that points nowhere (none is made).
fn strings<'a>(text: &'a str, arena: &'a str, span: Span) -> &'a str {
    let (from, start) = if span.start & IN_ARENA != 0 {
        (arena, (span.start & !IN_ARENA) as usize)
    } else {
        (text, span.start as usize)
    };
    from.get(start..start + span.len as usize).unwrap_or("")
}

fn index(n: usize) -> u32 {
    // A tape's indices come from `u32` ends (the readers refuse more entries): saturating
    // would only make a malformed tape refuse, never read out of bounds.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The keys an open object has seen, as two bits of 1,024 a key: a repeated key is looked for
/// (a walk of the object) only when both its bits are already set. A 50-key object sends about
/// one key in a hundred to that walk, where one bit of 256 sent every fifth.
#[derive(Clone, Copy, Default)]
pub(crate) struct KeyFilter([u64; 16]);

impl KeyFilter {
    /// Note `key`; `true` when it may repeat a key noted before.
    fn note(&mut self, key: &str) -> bool {
        // FNV-1a over the key's bytes.
        let mut h: u32 = 0x811c_9dc5;
        for b in key.bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        h ^= h >> 15;
        let bits = [(h & 1023) as usize, ((h >> 10) & 1023) as usize];
        let seen = bits
            .iter()
            .all(|b| self.0[b / 64] & (1_u64 << (b % 64)) != 0);
        for b in bits {
            self.0[b / 64] |= 1_u64 << (b % 64);
        }
        seen
    }
}

/// Push the key `span` of the innermost open object, noting whether the object repeats it.
fn push_key(bufs: &mut Buffers, text: &str, span: Span, duplicate_keys: &mut bool) -> Option<()> {
    let key = strings(text, &bufs.arena, span);
    let top = bufs.open.last_mut()?;
    let object_at = top.at;
    let maybe = top.seen.note(key);
    bufs.entries.push(Entry::Key(span));
    if maybe && repeats(bufs, text, object_at, bufs.entries.len() - 1) {
        *duplicate_keys = true;
    }
    Some(())
}

/// Whether the key at `key_at` already names a member of the object opened at `object_at`.
fn repeats(bufs: &Buffers, text: &str, object_at: usize, key_at: usize) -> bool {
    let key_text = |e: Option<&Entry>| match e {
        Some(Entry::Key(span)) => strings(text, &bufs.arena, *span),
        _ => "",
    };
    let entries = &bufs.entries;
    let key = key_text(entries.get(key_at));
    let mut i = object_at + 1;
    while i < key_at {
        if key_text(entries.get(i)) == key {
            return true;
        }
        // Skip the key and its value.
        i = skip(entries, i + 1);
    }
    false
}

/// A value is complete: count it as a member of the innermost open container.
fn count_member(bufs: &mut Buffers) -> Option<()> {
    if let Some(top) = bufs.open.last_mut() {
        top.len = top.len.checked_add(1)?;
    }
    Some(())
}

/// Open a container: its entry (completed by [`close`]) and its place on the stack.
fn open(bufs: &mut Buffers, object: bool) -> Option<()> {
    if bufs.open.len() >= MAX_DEPTH {
        return None;
    }
    bufs.open.push(Open::new(bufs.entries.len(), object));
    bufs.entries.push(if object {
        Entry::Object { len: 0, end: 0 }
    } else {
        Entry::Array { len: 0, end: 0 }
    });
    Some(())
}

/// Close the innermost container: its entry learns its length and where it ends, and it counts
/// as a member of the one around it.
fn close(bufs: &mut Buffers) -> Option<()> {
    let open = bufs.open.pop()?;
    let end = u32::try_from(bufs.entries.len()).ok()?;
    *bufs.entries.get_mut(open.at)? = if open.object {
        Entry::Object { len: open.len, end }
    } else {
        Entry::Array { len: open.len, end }
    };
    count_member(bufs)
}

/// The index after the value starting at `i`.
fn skip(entries: &[Entry], i: usize) -> usize {
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
    /// A one-string tape, reused by `propertyNames` for each name.
    type StringBuffer = Tape<'static>;

    // A member look-up is a walk of the object: a members pass is never dearer.
    const KEYS_PER_LOOKUP: usize = 1 << 16;
    // No node holds itself.
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>(
        buffer: &mut Tape<'static>,
        string: &str,
        f: impl FnOnce(TapeNode<'_>) -> T,
    ) -> T {
        buffer.bufs.entries.clear();
        buffer.bufs.arena.clear();
        buffer.bufs.arena.push_str(string);
        // A name comes from a tape, whose spans all fit: Null is never reached.
        buffer
            .bufs
            .entries
            .push(Span::arena(0, string.len()).map_or(Entry::Null, Entry::Str));
        f(buffer.root())
    }
}

/// A node of a tape: the tape and its index.
#[derive(Clone, Copy)]
pub(crate) struct TapeNode<'a> {
    tape: &'a Tape<'a>,
    at: u32,
}

impl<'a> TapeNode<'a> {
    fn entry(&self) -> &'a Entry {
        // Every index handed out points into the tape; Null keeps a broken one harmless.
        self.tape
            .entries()
            .get(self.at as usize)
            .unwrap_or(&Entry::Null)
    }

    /// The node as a `serde_json::Value` (for errors, `enum`/`const` and `uniqueItems`).
    fn value(&self) -> Value {
        match self.entry() {
            Entry::Null => Value::Null,
            Entry::Bool(b) => Value::Bool(*b),
            Entry::Number(n) => n
                .number()
                .map_or(Value::Null, |n| Value::Number(n.into_owned())),
            Entry::Str(s) | Entry::Key(s) => Value::String(self.tape.str(*s).to_string()),
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
            Entry::Str(s) | Entry::Key(s) => Some(Cow::Borrowed(self.tape.str(*s))),
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
            (Entry::Str(s) | Entry::Key(s), Value::String(e)) => self.tape.str(*s) == e,
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
        Some(NodeIdentity::tagged(
            std::ptr::from_ref(self.tape) as usize,
            self.at,
        ))
    }
}

/// An object node.
pub(crate) struct TapeObject<'a> {
    tape: &'a Tape<'a>,
    at: u32,
    len: u32,
    end: u32,
}

/// Members of an object, in the text's order.
pub(crate) struct Members<'a> {
    tape: &'a Tape<'a>,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TapeNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let key = match self.tape.entries().get(self.next) {
            Some(Entry::Key(span)) => self.tape.str(*span),
            _ => "",
        };
        let value_at = self.next + 1;
        self.next = skip(self.tape.entries(), value_at);
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
    tape: &'a Tape<'a>,
    at: u32,
    len: u32,
    end: u32,
}

/// Elements of an array, in order.
pub(crate) struct Elements<'a> {
    tape: &'a Tape<'a>,
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
        self.next = skip(self.tape.entries(), at);
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
    pub(super) struct Gen(pub(super) u64);

    impl Gen {
        pub(super) fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            self.0 >> 33
        }
        pub(super) fn value(&mut self, depth: u32) -> Value {
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
