//! JSON text → tape, in one pass without recursion.
//!
//! Why not serde_json's parser (a `DeserializeSeed` filling the tape was the first version):
//! measured on the 6-field record, reading the text through serde's visitor machinery cost
//! three times what writing it did, and it was most of a validated serialize. This reader does
//! only what the tape needs: one UTF-8 check of the whole text, strings borrowed where they
//! have no escape, numbers split as serde_json splits them.
//!
//! It answers for well-formed JSON only: anything it does not accept (malformed text, a lone
//! surrogate escape, nesting past serde_json's 128 levels, a float whose digits serde_json
//! might round differently than the standard library) is `None`, and the caller reads the text
//! with serde_json instead — so the tape never disagrees with a `serde_json::Value`.

use std::borrow::Cow;

use super::{Entry, Num};

/// serde_json's own nesting limit: deeper text is its error, so it is not read here.
const MAX_DEPTH: usize = 128;

/// An open container: where its entry is, how many members so far, and for an object which
/// key hashes it has seen (a repeated key is looked for only on a hit).
struct Open {
    at: usize,
    len: u32,
    object: bool,
    seen: [u64; 16],
}

/// Read `text` onto `entries`; `None` when the text is not JSON this reader takes (see the
/// module docs). `duplicate_keys` is set when an object repeats a key.
pub(super) fn parse<'s>(
    text: &'s [u8],
    entries: &mut Vec<Entry<'s>>,
    duplicate_keys: &mut bool,
) -> Option<()> {
    let s = std::str::from_utf8(text).ok()?;
    let b = text;
    let mut i = 0;
    let mut stack: Vec<Open> = Vec::new();
    'value: loop {
        skip_ws(b, &mut i);
        match *b.get(i)? {
            c @ (b'{' | b'[') => {
                i += 1;
                if stack.len() >= MAX_DEPTH {
                    return None;
                }
                let object = c == b'{';
                stack.push(Open {
                    at: entries.len(),
                    len: 0,
                    object,
                    seen: [0; 16],
                });
                entries.push(if object {
                    Entry::Object { len: 0, end: 0 }
                } else {
                    Entry::Array { len: 0, end: 0 }
                });
                skip_ws(b, &mut i);
                let close = if object { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    i += 1;
                    close_top(&mut stack, entries)?;
                } else {
                    if object {
                        key(s, b, &mut i, &mut stack, entries, duplicate_keys)?;
                    }
                    continue 'value;
                }
            }
            b'"' => {
                let v = string(s, b, &mut i)?;
                entries.push(Entry::Str(v));
            }
            b't' => {
                literal(b, &mut i, b"true")?;
                entries.push(Entry::Bool(true));
            }
            b'f' => {
                literal(b, &mut i, b"false")?;
                entries.push(Entry::Bool(false));
            }
            b'n' => {
                literal(b, &mut i, b"null")?;
                entries.push(Entry::Null);
            }
            b'-' | b'0'..=b'9' => {
                let n = number(s, b, &mut i)?;
                entries.push(Entry::Number(n));
            }
            _ => return None,
        }
        // A value is complete: it is a member of the innermost open container, if any.
        loop {
            let Some(top) = stack.last_mut() else {
                skip_ws(b, &mut i);
                return (i == b.len()).then_some(());
            };
            top.len = top.len.checked_add(1)?;
            let object = top.object;
            skip_ws(b, &mut i);
            match *b.get(i)? {
                b',' => {
                    i += 1;
                    if object {
                        key(s, b, &mut i, &mut stack, entries, duplicate_keys)?;
                    }
                    continue 'value;
                }
                b'}' if object => {
                    i += 1;
                    close_top(&mut stack, entries)?;
                }
                b']' if !object => {
                    i += 1;
                    close_top(&mut stack, entries)?;
                }
                _ => return None,
            }
        }
    }
}

/// Close the innermost container: its entry learns its length and where it ends.
fn close_top(stack: &mut Vec<Open>, entries: &mut [Entry<'_>]) -> Option<()> {
    let open = stack.pop()?;
    let end = u32::try_from(entries.len()).ok()?;
    *entries.get_mut(open.at)? = if open.object {
        Entry::Object { len: open.len, end }
    } else {
        Entry::Array { len: open.len, end }
    };
    // The container itself is a value of the one around it: counted by the caller's loop.
    Some(())
}

/// An object's key and its colon; notes a repeated key.
fn key<'s>(
    s: &'s str,
    b: &[u8],
    i: &mut usize,
    stack: &mut [Open],
    entries: &mut Vec<Entry<'s>>,
    duplicate_keys: &mut bool,
) -> Option<()> {
    skip_ws(b, i);
    if b.get(*i) != Some(&b'"') {
        return None;
    }
    let k = string(s, b, i)?;
    let top = stack.last_mut()?;
    // Two bits of 1,024 a key: a 50-key object sends about one key in a hundred to the exact
    // (walking) check, where one bit of 256 sent every fifth.
    let h = super::key_hash(&k);
    let bits = [(h & 1023) as usize, ((h >> 10) & 1023) as usize];
    let seen = bits
        .iter()
        .all(|b| top.seen[b / 64] & (1_u64 << (b % 64)) != 0);
    entries.push(Entry::Key(k));
    if seen && super::repeats(entries, top.at, entries.len() - 1) {
        *duplicate_keys = true;
    }
    for b in bits {
        top.seen[b / 64] |= 1_u64 << (b % 64);
    }
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

/// A string starting at the quote at `*i`: borrowed when it has no escape.
fn string<'s>(s: &'s str, b: &[u8], i: &mut usize) -> Option<Cow<'s, str>> {
    let start = *i + 1;
    let mut j = start;
    loop {
        match *b.get(j)? {
            b'"' => {
                *i = j + 1;
                // Quotes are ASCII: both ends are char boundaries of the checked text.
                return s.get(start..j).map(Cow::Borrowed);
            }
            b'\\' => break,
            c if c < 0x20 => return None,
            _ => j += 1,
        }
    }
    let mut out = String::with_capacity(j - start + 8);
    out.push_str(s.get(start..j)?);
    loop {
        match *b.get(j)? {
            b'"' => {
                *i = j + 1;
                return Some(Cow::Owned(out));
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
                        out.push(char::from_u32(code)?);
                        continue;
                    }
                    _ => return None,
                };
                out.push(c);
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
                out.push_str(s.get(from..j)?);
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

/// A number at `*i`, split as serde_json splits it: an integer that fits is `u64` (or `i64`
/// when negative), anything else a float.
fn number(s: &str, b: &[u8], i: &mut usize) -> Option<Num> {
    let start = *i;
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
    *i = j;
    let text = s.get(start..j)?;
    if !float {
        let digits = s.get(int_start..j)?;
        if let Ok(n) = digits.parse::<u64>() {
            if !negative {
                return Some(Num::PosInt(n));
            }
            // serde_json reads `-0` as the float -0.0, and a negative past i64 as a float.
            if n == 0 {
                return Some(Num::Float(-0.0));
            }
            if let Some(v) = 0_i64.checked_sub_unsigned(n) {
                return Some(Num::NegInt(v));
            }
        }
        // Past 64 bits serde_json reads a float: ask it, so the value is its.
        return serde_float(text);
    }
    // Few digits and a small power of ten: one correctly rounded operation, where serde_json
    // and the standard library agree exactly. Otherwise serde_json's own answer.
    let scale = exponent - frac_digits as i64;
    if int_digits + frac_digits <= 15 && (-22..=22).contains(&scale) {
        text.parse::<f64>().ok().map(Num::Float)
    } else {
        serde_float(text)
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
