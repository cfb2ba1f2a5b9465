//! JSON text → tape, in one pass without recursion.
//!
//! Why not serde_json's parser (a `DeserializeSeed` filling the tape was the first version):
//! measured on the 6-field record, reading the text through serde's visitor machinery cost
//! three times what writing it did, and it was most of a validated serialize. This reader does
//! only what the tape needs: strings as spans of the text where they have no escape, numbers
//! split as serde_json splits them. The text is checked as UTF-8 by the caller.
//!
//! It answers for well-formed JSON only: anything it does not accept (malformed text, a lone
//! surrogate escape, nesting past serde_json's 128 levels, a float whose digits serde_json
//! might round differently than the standard library) is `None`, and the caller reads the text
//! with serde_json instead — so the tape never disagrees with a `serde_json::Value`.

use super::{close, count_member, open, push_key, Buffers, Entry, Num, Span};

/// Read `s` onto `bufs` (empty); `None` when the text is not JSON this reader takes (see the
/// module docs). `duplicate_keys` is set when an object repeats a key.
pub(super) fn parse(s: &str, bufs: &mut Buffers, duplicate_keys: &mut bool) -> Option<()> {
    let b = s.as_bytes();
    let mut i = 0;
    'value: loop {
        skip_ws(b, &mut i);
        match *b.get(i)? {
            c @ (b'{' | b'[') => {
                i += 1;
                let object = c == b'{';
                open(bufs, object)?;
                skip_ws(b, &mut i);
                let end = if object { b'}' } else { b']' };
                if b.get(i) == Some(&end) {
                    i += 1;
                    close(bufs)?;
                } else {
                    if object {
                        key(s, &mut i, bufs, duplicate_keys)?;
                    }
                    continue 'value;
                }
            }
            b'"' => {
                let v = string(s, &mut i, &mut bufs.arena)?;
                bufs.entries.push(Entry::Str(v));
                count_member(bufs)?;
            }
            b't' => {
                literal(b, &mut i, b"true")?;
                bufs.entries.push(Entry::Bool(true));
                count_member(bufs)?;
            }
            b'f' => {
                literal(b, &mut i, b"false")?;
                bufs.entries.push(Entry::Bool(false));
                count_member(bufs)?;
            }
            b'n' => {
                literal(b, &mut i, b"null")?;
                bufs.entries.push(Entry::Null);
                count_member(bufs)?;
            }
            b'-' | b'0'..=b'9' => {
                let n = number(s, &mut i)?;
                bufs.entries.push(Entry::Number(n));
                count_member(bufs)?;
            }
            _ => return None,
        }
        // A value is complete (and counted): what follows it in the innermost container.
        loop {
            let Some(top) = bufs.open.last() else {
                skip_ws(b, &mut i);
                return (i == b.len()).then_some(());
            };
            let object = top.object;
            skip_ws(b, &mut i);
            match *b.get(i)? {
                b',' => {
                    i += 1;
                    if object {
                        key(s, &mut i, bufs, duplicate_keys)?;
                    }
                    continue 'value;
                }
                b'}' if object => {
                    i += 1;
                    close(bufs)?;
                }
                b']' if !object => {
                    i += 1;
                    close(bufs)?;
                }
                _ => return None,
            }
        }
    }
}

/// An object's key and its colon; notes a repeated key.
fn key(s: &str, i: &mut usize, bufs: &mut Buffers, duplicate_keys: &mut bool) -> Option<()> {
    let b = s.as_bytes();
    skip_ws(b, i);
    if b.get(*i) != Some(&b'"') {
        return None;
    }
    let k = string(s, i, &mut bufs.arena)?;
    push_key(bufs, s, k, duplicate_keys)?;
    skip_ws(b, i);
    if b.get(*i) != Some(&b':') {
        return None;
    }
    *i += 1;
    Some(())
}

fn skip_ws(b: &[u8], i: &mut usize) {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(*i) {
        *i += 1;
    }
}

fn literal(b: &[u8], i: &mut usize, word: &[u8]) -> Option<()> {
    if b.get(*i..*i + word.len())? == word {
        *i += word.len();
        Some(())
    } else {
        None
    }
}

/// A string starting at the quote at `*i`: a span of the text when it has no escape, else
/// unescaped into `arena`.
fn string(s: &str, i: &mut usize, arena: &mut String) -> Option<Span> {
    let b = s.as_bytes();
    let start = *i + 1;
    let mut j = start;
    loop {
        match *b.get(j)? {
            b'"' => {
                *i = j + 1;
                return Span::text(start, j);
            }
            b'\\' => break,
            c if c < 0x20 => return None,
            _ => j += 1,
        }
    }
    let from = arena.len();
    // Quotes and backslashes are ASCII: every cut below is a char boundary of the text.
    arena.push_str(s.get(start..j)?);
    loop {
        match *b.get(j)? {
            b'"' => {
                *i = j + 1;
                return Span::arena(from, arena.len());
            }
            b'\\' => {
                let c = match *b.get(j + 1)? {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    b'u' => {
                        let hi = hex4(b, j + 2)?;
                        j += 6;
                        let code = if (0xD800..0xDC00).contains(&hi) {
                            // A surrogate pair: the low half must follow.
                            if b.get(j..j + 2)? != b"\\u" {
                                return None;
                            }
                            let lo = hex4(b, j + 2)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            j += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            hi
                        };
                        arena.push(char::from_u32(code)?);
                        continue;
                    }
                    _ => return None,
                };
                arena.push(c);
                j += 2;
            }
            c if c < 0x20 => return None,
            _ => {
                // Copy up to the next quote or backslash in one go.
                let from = j;
                while let Some(&c) = b.get(j) {
                    if c == b'"' || c == b'\\' || c < 0x20 {
                        break;
                    }
                    j += 1;
                }
                arena.push_str(s.get(from..j)?);
            }
        }
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    let mut v = 0;
    for d in digits {
        v = v * 16 + char::from(*d).to_digit(16)?;
    }
    Some(v)
}

/// The shape of a number's text: what decides how serde_json reads it.
struct Scanned {
    end: usize,
    negative: bool,
    int_start: usize,
    int_digits: usize,
    frac_digits: usize,
    exponent: i64,
    float: bool,
}

/// Scan the number at `start` (JSON's grammar); `None` when it is not one.
fn scan(b: &[u8], start: usize) -> Option<Scanned> {
    let mut j = start;
    let negative = b.get(j) == Some(&b'-');
    if negative {
        j += 1;
    }
    let int_start = j;
    match *b.get(j)? {
        b'0' => j += 1,
        b'1'..=b'9' => {
            while matches!(b.get(j), Some(b'0'..=b'9')) {
                j += 1;
            }
        }
        _ => return None,
    }
    let int_digits = j - int_start;
    let mut frac_digits = 0;
    let mut float = false;
    if b.get(j) == Some(&b'.') {
        float = true;
        j += 1;
        let from = j;
        while matches!(b.get(j), Some(b'0'..=b'9')) {
            j += 1;
        }
        frac_digits = j - from;
        if frac_digits == 0 {
            return None;
        }
    }
    let mut exponent: i64 = 0;
    if let Some(b'e' | b'E') = b.get(j) {
        float = true;
        j += 1;
        let minus = match b.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let from = j;
        while let Some(d @ b'0'..=b'9') = b.get(j) {
            exponent = (exponent * 10 + i64::from(d - b'0')).min(1_000_000);
            j += 1;
        }
        if j == from {
            return None;
        }
        if minus {
            exponent = -exponent;
        }
    }
    Some(Scanned {
        end: j,
        negative,
        int_start,
        int_digits,
        frac_digits,
        exponent,
        float,
    })
}

impl Scanned {
    /// Few digits and a small power of ten: one correctly rounded operation, where serde_json
    /// and the standard library agree exactly.
    fn std_agrees(&self) -> bool {
        let scale = self.exponent - self.frac_digits as i64;
        self.int_digits + self.frac_digits <= 15 && (-22..=22).contains(&scale)
    }
}

/// A number at `*i`, split as serde_json splits it: an integer that fits is `u64` (or `i64`
/// when negative), anything else a float.
fn number(s: &str, i: &mut usize) -> Option<Num> {
    let start = *i;
    let n = scan(s.as_bytes(), start)?;
    *i = n.end;
    let text = s.get(start..n.end)?;
    if !n.float {
        let digits = s.get(n.int_start..n.end)?;
        if let Ok(v) = digits.parse::<u64>() {
            if !n.negative {
                return Some(Num::PosInt(v));
            }
            // serde_json reads `-0` as the float -0.0, and a negative past i64 as a float.
            if v == 0 {
                return Some(Num::Float(-0.0));
            }
            if let Some(v) = 0_i64.checked_sub_unsigned(v) {
                return Some(Num::NegInt(v));
            }
        }
        // Past 64 bits serde_json reads a float: ask it, so the value is its.
        return serde_float(text);
    }
    if n.std_agrees() {
        text.parse::<f64>().ok().map(Num::Float)
    } else {
        serde_float(text)
    }
}

/// How a re-read of `text`, the whole of one number, would read it (`None`: not a number).
pub(super) fn number_text(text: &str) -> Option<Num> {
    let mut i = 0;
    let n = number(text, &mut i)?;
    (i == text.len()).then_some(n)
}

/// How a re-read of `text` would read it, where `text` is the shortest round-trip form of
/// `value` (ryu's digits; Python's layout of them): `value` itself whenever the standard
/// library would parse it, which rounds correctly and so gives back exactly `value` — no parse.
pub(super) fn written_float(text: &str, value: f64) -> Option<Num> {
    let n = scan(text.as_bytes(), 0)?;
    if n.end != text.len() {
        return None;
    }
    if n.float && n.std_agrees() {
        Some(Num::Float(value))
    } else {
        number_text(text)
    }
}

#[cold]
fn serde_float(text: &str) -> Option<Num> {
    let n: serde_json::Number = serde_json::from_str(text).ok()?;
    if let Some(u) = n.as_u64() {
        Some(Num::PosInt(u))
    } else if let Some(v) = n.as_i64() {
        Some(Num::NegInt(v))
    } else {
        n.as_f64().map(Num::Float)
    }
}
