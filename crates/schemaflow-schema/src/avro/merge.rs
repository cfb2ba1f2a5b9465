//! Reading a datum into a value that already exists, reusing what it owns (the generated
//! `read_avro_into`, as prost's `merge`): a string's and a byte vector's buffer, an array's
//! items (each read into in place, the vector truncated to the new length) and a map's entries
//! (values read into in place while the keys come in the order the map holds them — what every
//! writer of a sorted map produces — so a record decoded again and again into one value
//! allocates nothing once its buffers are big enough).
//!
//! The result is always the value a fresh read gives; only allocations differ. If reading
//! fails, the value is left valid but partly overwritten.

use std::collections::BTreeMap;

use super::binary::{read_block_count, read_bytes_ref, read_str, reserve_block};
use super::decode_error::AvroDecodeError;

/// Read an Avro string into `out`, reusing its buffer.
#[inline]
pub fn read_string_into(input: &mut &[u8], out: &mut String) -> Result<(), AvroDecodeError> {
    let s = read_str(input)?;
    out.clear();
    out.push_str(s);
    Ok(())
}

/// Read Avro bytes into `out`, reusing its buffer.
#[inline]
pub fn read_bytes_into(input: &mut &[u8], out: &mut Vec<u8>) -> Result<(), AvroDecodeError> {
    let b = read_bytes_ref(input)?;
    out.clear();
    out.extend_from_slice(b);
    Ok(())
}

/// Read an Avro array into `items`: the first items are read into in place (`merge`), the
/// rest pushed (`read`), and what is left of the old items dropped.
#[inline]
pub fn read_array_into<T>(
    input: &mut &[u8],
    items: &mut Vec<T>,
    zero_width: bool,
    mut merge: impl FnMut(&mut &[u8], &mut T) -> Result<(), AvroDecodeError>,
    mut read: impl FnMut(&mut &[u8]) -> Result<T, AvroDecodeError>,
) -> Result<(), AvroDecodeError> {
    let mut len = 0usize;
    loop {
        let n = read_block_count(input, zero_width)?;
        if n == 0 {
            break;
        }
        let need = len.saturating_add(n).saturating_sub(items.len());
        if need > 0 {
            reserve_block(items, need, input.len());
        }
        for _ in 0..n {
            match items.get_mut(len) {
                Some(item) => merge(input, item)?,
                None => items.push(read(input)?),
            }
            len += 1;
        }
    }
    items.truncate(len);
    Ok(())
}

/// Read an Avro map into `map`. While the entries come in the map's own (sorted) order and
/// match its keys, each value is read into in place and no key is allocated; at the first
/// entry that does not, the remaining old entries are set aside and the rest of the map is
/// rebuilt from them (their keys and values reused where the key comes again). Duplicate keys
/// end as a fresh read ends: the last one wins.
#[inline]
pub fn read_map_into<'i, V>(
    input: &mut &'i [u8],
    map: &mut BTreeMap<String, V>,
    mut merge: impl FnMut(&mut &'i [u8], &mut V) -> Result<(), AvroDecodeError>,
    mut read: impl FnMut(&mut &'i [u8]) -> Result<V, AvroDecodeError>,
) -> Result<(), AvroDecodeError> {
    let mut matched = 0usize;
    // The in-order walk: the datum's entries against the map's, pairwise. It stops at the
    // first key that is not the map's next one: that key, and how many entries of its block
    // follow it.
    let mismatch = 'walk: {
        let mut old = map.iter_mut();
        loop {
            let n = read_block_count(input, false)?;
            if n == 0 {
                break 'walk None;
            }
            for i in 0..n {
                let key = read_str(input)?;
                match old.next() {
                    Some((k, v)) if k == key => {
                        merge(input, v)?;
                        matched += 1;
                    }
                    _ => break 'walk Some((key, n - i - 1)),
                }
            }
        }
    };
    match mismatch {
        None => {
            // Every entry matched the map's first ones: the old entries after them are gone.
            while map.len() > matched {
                map.pop_last();
            }
            Ok(())
        }
        Some((key, left_in_block)) => rebuild_map(
            input,
            map,
            matched,
            key,
            left_in_block,
            &mut merge,
            &mut read,
        ),
    }
}

/// The rest of [`read_map_into`] once the datum's order left the map's: `key` is the entry
/// being read (its value next in `input`), `left_in_block` the entries of its block after it.
#[inline(never)]
fn rebuild_map<'i, V>(
    input: &mut &'i [u8],
    map: &mut BTreeMap<String, V>,
    matched: usize,
    mut key: &'i str,
    mut left_in_block: usize,
    merge: &mut impl FnMut(&mut &'i [u8], &mut V) -> Result<(), AvroDecodeError>,
    read: &mut impl FnMut(&mut &'i [u8]) -> Result<V, AvroDecodeError>,
) -> Result<(), AvroDecodeError> {
    // The old entries not yet matched: reused if their key comes, dropped at the end if not.
    let mut rest = match map.keys().nth(matched).cloned() {
        Some(first) => map.split_off(&first),
        None => BTreeMap::new(),
    };
    loop {
        if let Some((k, mut v)) = rest.remove_entry(key) {
            merge(input, &mut v)?;
            map.insert(k, v);
        } else if let Some(v) = map.get_mut(key) {
            // Already read (a duplicate key): read again over it, the last one wins.
            merge(input, v)?;
        } else {
            let v = read(input)?;
            map.insert(key.to_owned(), v);
        }
        if left_in_block == 0 {
            let n = read_block_count(input, false)?;
            if n == 0 {
                return Ok(());
            }
            left_in_block = n;
        }
        left_in_block -= 1;
        key = read_str(input)?;
    }
}

#[cfg(test)]
mod tests {
    use super::super::binary::{write_block_end, write_block_start, write_long, write_str};
    use super::*;

    fn map_datum(entries: &[(&str, i64)]) -> Vec<u8> {
        let mut buf = Vec::new();
        write_block_start(entries.len(), &mut buf);
        for (k, v) in entries {
            write_str(k, &mut buf);
            write_long(*v, &mut buf);
        }
        write_block_end(&mut buf);
        buf
    }

    fn read_into(map: &mut BTreeMap<String, i64>, datum: &[u8]) {
        let mut input = datum;
        read_map_into(
            &mut input,
            map,
            |i, v| {
                *v = super::super::binary::read_long(i)?;
                Ok(())
            },
            super::super::binary::read_long,
        )
        .expect("map");
        assert!(input.is_empty());
    }

    #[test]
    fn a_map_read_into_equals_a_fresh_read_whatever_it_held() {
        let start: BTreeMap<String, i64> = [("b", 2), ("d", 4), ("f", 6)]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        for entries in [
            vec![],
            vec![("b", 20), ("d", 40), ("f", 60)], // same keys, in order
            vec![("b", 20)],                       // a prefix
            vec![("b", 20), ("d", 40), ("f", 60), ("g", 7)], // more
            vec![("f", 60), ("b", 20)],            // out of order
            vec![("a", 1), ("b", 20), ("z", 26)],  // new keys between
            vec![("b", 1), ("b", 2), ("c", 3)],    // a duplicate: the last wins
            vec![("x", 1), ("x", 2)],
        ] {
            let mut map = start.clone();
            read_into(&mut map, &map_datum(&entries));
            let fresh: BTreeMap<String, i64> =
                entries.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            assert_eq!(map, fresh, "{entries:?}");
        }
    }

    #[test]
    fn an_array_read_into_equals_a_fresh_read() {
        for (old, new) in [(3usize, 1usize), (1, 3), (2, 2), (0, 2), (2, 0)] {
            let mut items: Vec<String> = (0..old).map(|i| format!("old-{i}")).collect();
            let mut buf = Vec::new();
            write_block_start(new, &mut buf);
            for i in 0..new {
                write_str(&format!("new-{i}"), &mut buf);
            }
            write_block_end(&mut buf);
            let mut input = buf.as_slice();
            read_array_into(
                &mut input,
                &mut items,
                false,
                read_string_into,
                super::super::binary::read_string,
            )
            .expect("array");
            let fresh: Vec<String> = (0..new).map(|i| format!("new-{i}")).collect();
            assert_eq!(items, fresh);
        }
    }
}
