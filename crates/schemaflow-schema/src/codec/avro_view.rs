//! Borrowed views of Avro data: a generated `FooRef<'a>` reads a datum in place, its strings
//! and bytes as `&'a str` / `&'a [u8]` into the frame, its arrays and maps as [`ArrayRef`] /
//! [`MapRef`] (lazy: the items stay in the frame and are read as they are iterated). Building a
//! view allocates nothing (a `decimal` beyond 128 bits aside), and a view is checked in full
//! when it is built — every string is UTF-8, every union branch and enum index in range, the
//! datum whole — so using it cannot fail. `to_owned()` gives the owned type, equal to what
//! decoding the same bytes gives.
//!
//! A view reads the bytes of the type's own schema: the frame's writer schema must be the
//! generated type's (the same Parsing Canonical Form), or one whose fields the type's are a
//! prefix of (trailing fields the reader dropped: read in place, the tail checked). Any other
//! evolution needs the resolution plan to rewrite the bytes first, which a view into the frame
//! cannot hold; [`AvroCodec::view`](super::avro::AvroCodec::view) then answers `None` and the
//! owned decode is the way.

use std::fmt;

use super::avro_datum::AvroDatum;
use crate::avro::binary::{read_block_count, read_fixed, read_str, MAX_RECORD_DEPTH};
use crate::avro::AvroDecodeError;

/// A borrowed view of an Avro datum of one fixed schema (generated for every record, as
/// `FooRef<'a>`; an enum and a `fixed` are their own views).
///
/// A view reads the datum in place: strings and bytes are `&'a str` / `&'a [u8]` into the
/// frame, arrays and maps [`ArrayRef`] / [`MapRef`] (their items read as they are iterated).
/// Building one allocates nothing (a `decimal` beyond 128 bits aside) and checks the whole
/// datum (UTF-8, union branches, enum indexes, lengths), so using it cannot fail.
/// [`to_owned_value`](Self::to_owned_value) (and the generated `to_owned()`) gives what
/// decoding the same bytes gives. A view is of the type's own schema's bytes: for frames of
/// another writer schema see [`AvroCodec::view`](super::avro::AvroCodec::view).
pub trait AvroView<'a>: Sized {
    /// The owned type this is a view of.
    type Owned;

    /// Read a view of one datum from the front of `input`, advancing it past the datum.
    fn read_view(input: &mut &'a [u8]) -> Result<Self, AvroDecodeError> {
        Self::read_view_nested(input, MAX_RECORD_DEPTH)
    }

    /// [`read_view`](Self::read_view) with `depth` levels of nested records left.
    #[doc(hidden)]
    fn read_view_nested(input: &mut &'a [u8], depth: u32) -> Result<Self, AvroDecodeError>;

    /// The owned value (what decoding the same bytes gives).
    fn to_owned_value(&self) -> Self::Owned;
}

/// A generated type that has a borrowed view, [`Ref`](Self::Ref).
pub trait AvroBorrow: AvroDatum {
    /// The view type (`FooRef<'a>` for the record `Foo`).
    type Ref<'a>: AvroView<'a, Owned = Self>;
}

/// Avro `fixed`: its bytes by value (a copy of `N` bytes, no allocation).
impl<'a, const N: usize> AvroView<'a> for [u8; N] {
    type Owned = [u8; N];

    #[inline]
    fn read_view_nested(input: &mut &'a [u8], _depth: u32) -> Result<Self, AvroDecodeError> {
        read_fixed(input)
    }

    #[inline]
    fn to_owned_value(&self) -> Self::Owned {
        *self
    }
}

/// How an item of an [`ArrayRef`] or a value of a [`MapRef`] is read (generated per field).
pub type ReadItem<'a, T> = fn(&mut &'a [u8], u32) -> Result<T, AvroDecodeError>;

/// An Avro array inside a frame: its items are read as they are iterated. The whole array was
/// checked when the view was built, so iterating cannot fail.
#[derive(Clone, Copy)]
pub struct ArrayRef<'a, T> {
    /// The array's blocks, from the first count to the end marker.
    bytes: &'a [u8],
    len: usize,
    depth: u32,
    read: ReadItem<'a, T>,
}

impl<'a, T> ArrayRef<'a, T> {
    /// Read (and check) an array from the front of `input`, each item with `read`.
    #[doc(hidden)]
    #[inline]
    pub fn read_view(
        input: &mut &'a [u8],
        depth: u32,
        zero_width: bool,
        read: ReadItem<'a, T>,
    ) -> Result<Self, AvroDecodeError> {
        let start = *input;
        let mut len = 0usize;
        loop {
            let n = read_block_count(input, zero_width)?;
            if n == 0 {
                break;
            }
            for _ in 0..n {
                read(input, depth)?;
            }
            len = len.saturating_add(n);
        }
        Ok(ArrayRef {
            bytes: &start[..start.len() - input.len()],
            len,
            depth,
            read,
        })
    }

    /// The number of items.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no items.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The items, read from the frame in order.
    #[inline]
    pub fn iter(&self) -> ArrayIter<'a, T> {
        ArrayIter {
            blocks: Blocks::new(self.bytes, self.len),
            depth: self.depth,
            read: self.read,
        }
    }
}

impl<'a, T> IntoIterator for ArrayRef<'a, T> {
    type Item = T;
    type IntoIter = ArrayIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &ArrayRef<'a, T> {
    type Item = T;
    type IntoIter = ArrayIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: PartialEq> PartialEq for ArrayRef<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: fmt::Debug> fmt::Debug for ArrayRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Where an iteration over checked array or map blocks is.
#[derive(Clone, Copy)]
struct Blocks<'a> {
    rest: &'a [u8],
    in_block: usize,
    left: usize,
}

impl<'a> Blocks<'a> {
    fn new(bytes: &'a [u8], len: usize) -> Self {
        Blocks {
            rest: bytes,
            in_block: 0,
            left: len,
        }
    }

    /// Step to the next item: `None` at the end. The blocks were read once already, so the
    /// counts are known good (an error here would mean the bytes changed: it ends the walk).
    #[inline]
    fn next(&mut self) -> Option<()> {
        if self.left == 0 {
            return None;
        }
        if self.in_block == 0 {
            self.in_block = read_block_count(&mut self.rest, true).ok()?;
            if self.in_block == 0 {
                self.left = 0;
                return None;
            }
        }
        self.in_block -= 1;
        self.left -= 1;
        Some(())
    }
}

/// The items of an [`ArrayRef`].
pub struct ArrayIter<'a, T> {
    blocks: Blocks<'a>,
    depth: u32,
    read: ReadItem<'a, T>,
}

impl<T> Iterator for ArrayIter<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.blocks.next()?;
        (self.read)(&mut self.blocks.rest, self.depth).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.blocks.left, Some(self.blocks.left))
    }
}

/// An Avro map inside a frame: its entries (key `&'a str`, value `V`) are read as they are
/// iterated, in the frame's order. Checked in full when the view was built.
///
/// Two `MapRef`s are equal when they hold equal entries in the same order; compare
/// [`to_owned`](crate::codec::avro::AvroView::to_owned_value) maps to ignore the order.
#[derive(Clone, Copy)]
pub struct MapRef<'a, V> {
    bytes: &'a [u8],
    len: usize,
    depth: u32,
    read: ReadItem<'a, V>,
}

impl<'a, V> MapRef<'a, V> {
    /// Read (and check) a map from the front of `input`, each value with `read`.
    #[doc(hidden)]
    #[inline]
    pub fn read_view(
        input: &mut &'a [u8],
        depth: u32,
        read: ReadItem<'a, V>,
    ) -> Result<Self, AvroDecodeError> {
        let start = *input;
        let mut len = 0usize;
        loop {
            let n = read_block_count(input, false)?;
            if n == 0 {
                break;
            }
            for _ in 0..n {
                read_str(input)?;
                read(input, depth)?;
            }
            len = len.saturating_add(n);
        }
        Ok(MapRef {
            bytes: &start[..start.len() - input.len()],
            len,
            depth,
            read,
        })
    }

    /// The number of entries in the frame (a key written twice counts twice; the owned map
    /// keeps the last).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries, in the frame's order.
    #[inline]
    pub fn iter(&self) -> MapIter<'a, V> {
        MapIter {
            blocks: Blocks::new(self.bytes, self.len),
            depth: self.depth,
            read: self.read,
        }
    }

    /// The value of `key` (the last one, if the frame has the key twice): a scan of the
    /// entries.
    pub fn get(&self, key: &str) -> Option<V> {
        self.iter()
            .filter(|(k, _)| *k == key)
            .last()
            .map(|(_, v)| v)
    }
}

impl<'a, V> IntoIterator for MapRef<'a, V> {
    type Item = (&'a str, V);
    type IntoIter = MapIter<'a, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, V> IntoIterator for &MapRef<'a, V> {
    type Item = (&'a str, V);
    type IntoIter = MapIter<'a, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<V: PartialEq> PartialEq for MapRef<'_, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<V: fmt::Debug> fmt::Debug for MapRef<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The entries of a [`MapRef`].
pub struct MapIter<'a, V> {
    blocks: Blocks<'a>,
    depth: u32,
    read: ReadItem<'a, V>,
}

impl<'a, V> Iterator for MapIter<'a, V> {
    type Item = (&'a str, V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.blocks.next()?;
        let key = read_str(&mut self.blocks.rest).ok()?;
        let value = (self.read)(&mut self.blocks.rest, self.depth).ok()?;
        Some((key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.blocks.left, Some(self.blocks.left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::binary::{
        read_long, write_block_end, write_block_start, write_long, write_str,
    };

    #[test]
    fn an_array_in_two_blocks_iterates_every_item_and_leaves_the_input_after_it() {
        // [1, 2] then [3] in a second block written with its byte size (negative count).
        let mut buf = Vec::new();
        write_block_start(2, &mut buf);
        write_long(1, &mut buf);
        write_long(2, &mut buf);
        write_long(-1, &mut buf);
        write_long(1, &mut buf); // the block's size in bytes
        write_long(3, &mut buf);
        write_block_end(&mut buf);
        buf.push(0x7f); // the next field
        let mut input = buf.as_slice();
        let array = ArrayRef::read_view(&mut input, 8, false, |i, _| read_long(i)).unwrap();
        assert_eq!(input, [0x7f]);
        assert_eq!(array.len(), 3);
        assert_eq!(array.iter().collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn a_map_reads_its_entries_and_the_last_duplicate_wins_in_get() {
        let mut buf = Vec::new();
        write_block_start(3, &mut buf);
        for (k, v) in [("a", 1), ("b", 2), ("a", 3)] {
            write_str(k, &mut buf);
            write_long(v, &mut buf);
        }
        write_block_end(&mut buf);
        let mut input = buf.as_slice();
        let map = MapRef::read_view(&mut input, 8, |i, _| read_long(i)).unwrap();
        assert!(input.is_empty());
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            [("a", 1), ("b", 2), ("a", 3)]
        );
        assert_eq!(map.get("a"), Some(3));
        assert_eq!(map.get("z"), None);
    }

    #[test]
    fn a_corrupt_item_fails_the_view_not_the_iteration() {
        let mut buf = Vec::new();
        write_block_start(2, &mut buf);
        write_str("ok", &mut buf);
        write_long(2, &mut buf);
        buf.extend_from_slice(&[0xff, 0xfe]); // not UTF-8
        write_block_end(&mut buf);
        let read: ReadItem<'_, &str> = |i, _| read_str(i);
        assert!(matches!(
            ArrayRef::read_view(&mut buf.as_slice(), 8, false, read),
            Err(AvroDecodeError::InvalidUtf8 { .. })
        ));
    }
}
