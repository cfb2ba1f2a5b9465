//! Hostile input to the generated Avro decoders: truncated data, huge and negative lengths and
//! counts, bad union branches, bad enum indexes, invalid UTF-8. Each is a typed
//! `AvroDecodeError`, never a panic, and no decoder allocates more than the bytes left in the
//! input on the strength of a length it read (a counting allocator checks).
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use proptest::prelude::*;
use schemaflow::codec::avro::binary::write_long;
use schemaflow::codec::avro::{AvroCodec, AvroDatum, AvroDecodeError};
use schemaflow::generated::avro::address::Address;
use schemaflow::generated::avro::user_event::{Action, Device, UserEvent};

#[allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]
mod samples {
    include!("avro_samples/generated.rs");
}
use samples::avro::bench_small::BenchSmall;
use samples::avro::evolution::kinds as kinds_v2;
use samples::avro::kinds::{Inner, Kinds, UnionNullIntStringInnerColor as Choice};

/// Records the largest single allocation made on a thread while tracking is on.
struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn note(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Decode `input` as `T`, returning the result and the largest allocation made meanwhile.
fn decode_tracked<T: AvroDatum>(input: &[u8]) -> (Result<T, AvroDecodeError>, usize) {
    LARGEST.with(|l| l.set(0));
    TRACKING.with(|t| t.set(true));
    let result = T::read_avro(&mut &input[..]);
    TRACKING.with(|t| t.set(false));
    (result, LARGEST.with(Cell::get))
}

fn long(v: i64) -> Vec<u8> {
    let mut b = Vec::new();
    write_long(v, &mut b);
    b
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A decode that fails with `expected`, allocating nothing larger than the input.
fn fails_with<T: AvroDatum + std::fmt::Debug>(input: &[u8], expected: AvroDecodeError) {
    let (result, largest) = decode_tracked::<T>(input);
    assert_eq!(result.unwrap_err(), expected, "input {input:02x?}");
    assert!(
        largest <= input.len(),
        "allocated {largest} bytes for a {}-byte input",
        input.len()
    );
}

#[test]
fn huge_and_negative_lengths() {
    // Address.street claims 2^62 bytes: refused before any allocation.
    let huge = long(1 << 62);
    fails_with::<Address>(
        &cat(&[&huge, b"abc"]),
        AvroDecodeError::Truncated {
            needed: 1 << 62,
            left: 3,
        },
    );
    fails_with::<Address>(&long(-1), AvroDecodeError::NegativeLength(-1));
    fails_with::<Address>(&long(i64::MIN), AvroDecodeError::NegativeLength(i64::MIN));
    // A varint of more than 10 bytes, and one cut short.
    fails_with::<Address>(&[0xff; 11], AvroDecodeError::OverlongVarint);
    fails_with::<Address>(&[0x80], AvroDecodeError::TruncatedVarint);
}

/// BenchSmall up to its `tags` array: id 0, name "", score 0.0, active true.
fn small_prefix() -> Vec<u8> {
    cat(&[&[0, 0], &[0; 8], &[1]])
}

#[test]
fn huge_and_negative_block_counts() {
    let p = small_prefix();
    // 2^40 strings claimed, 4 bytes there.
    let count = long(1 << 40);
    fails_with::<BenchSmall>(
        &cat(&[&p, &count, &[0, 0, 0, 0]]),
        AvroDecodeError::InvalidBlockCount(1 << 40),
    );
    // A negative count is a block with its byte size; negating i64::MIN overflows.
    fails_with::<BenchSmall>(
        &cat(&[&p, &long(i64::MIN)]),
        AvroDecodeError::InvalidBlockCount(i64::MIN),
    );
    // One string more than bytes left: refused by the count alone.
    let n = 64usize;
    fails_with::<BenchSmall>(
        &cat(&[&p, &long(n as i64), &vec![0u8; n - 1]]),
        AvroDecodeError::InvalidBlockCount(n as i64),
    );
    // As many strings as bytes left: a claim that passes the count check, but the
    // reservation stays within the bytes left (64 `String`s would be 1536 bytes) and the
    // first string is already bad. (Items that are really there may take more room in
    // memory than on the wire: that grows with the data, not with a claim.)
    let mut rest = long(1000);
    rest.resize(n, 0);
    let input = cat(&[&p, &long(n as i64), &rest]);
    let (result, largest) = decode_tracked::<BenchSmall>(&input);
    assert_eq!(
        result.unwrap_err(),
        AvroDecodeError::Truncated {
            needed: 1000,
            left: n - 2
        }
    );
    assert!(largest <= input.len(), "allocated {largest}");
    // Map counts too: 2^40 entries claimed.
    fails_with::<BenchSmall>(
        &cat(&[&p, &[0], &count, &[0, 0]]),
        AvroDecodeError::InvalidBlockCount(1 << 40),
    );
    // A negative count with its byte size is read like a positive one.
    let mut ok = cat(&[&p, &long(-1), &long(2), &long(1), b"a", &[0], &[0]]);
    let back = BenchSmall::read_avro(&mut ok.as_slice()).unwrap();
    assert_eq!(back.tags, vec!["a".to_string()]);
    ok.truncate(ok.len() - 1);
    assert!(BenchSmall::read_avro(&mut ok.as_slice()).is_err());
}

#[test]
fn bad_union_branches_and_enum_indexes() {
    // Device.app_version is ["null", "string"]: branch 5 does not exist.
    fails_with::<Device>(&[0, 0x0a], AvroDecodeError::UnionBranchOutOfRange(5));
    fails_with::<Device>(&[0, 0x01], AvroDecodeError::UnionBranchOutOfRange(-1));
    // A general union of five branches.
    fails_with::<Choice>(&[0x0a], AvroDecodeError::UnionBranchOutOfRange(5));
    // An enum of four symbols.
    fails_with::<Action>(&[0x08], AvroDecodeError::EnumIndexOutOfRange(4));
    fails_with::<Action>(&[0x01], AvroDecodeError::EnumIndexOutOfRange(-1));
    // An int that does not fit 32 bits.
    fails_with::<Action>(&long(1 << 40), AvroDecodeError::IntOutOfRange(1 << 40));
    // Inner.label is ["string", "null"].
    fails_with::<Inner>(&[0, 0x04], AvroDecodeError::UnionBranchOutOfRange(2));
}

#[test]
fn invalid_utf8_booleans_and_uuids() {
    fails_with::<Address>(
        &[0x04, b'a', 0xff],
        AvroDecodeError::InvalidUtf8 { valid_up_to: 1 },
    );
    let mut bad_bool = small_prefix();
    *bad_bool.last_mut().unwrap() = 2;
    fails_with::<BenchSmall>(&bad_bool, AvroDecodeError::InvalidBoolean(2));
    let mut bad_uuid = long(4);
    bad_uuid.extend_from_slice(b"nope");
    assert_eq!(
        UserEvent::read_avro(&mut bad_uuid.as_slice()).unwrap_err(),
        AvroDecodeError::InvalidUuid("nope".into())
    );
}

#[test]
fn every_prefix_of_a_datum_is_an_error() {
    let event = UserEvent {
        event_id: schemaflow::Uuid::from_u128(7),
        user_id: "user-42".into(),
        action: Action::Purchase,
        occurred_at: 1_700_000_000_123,
        amount: schemaflow::Decimal::from(1234),
        session_id: Some("s".into()),
        device: Device {
            platform: "ios".into(),
            app_version: Some("17".into()),
        },
        shipping_address: Some(Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
            country_code: "US".into(),
        }),
        tags: vec!["a".into(), "b".into()],
        attributes: [("k".to_string(), "v".to_string())].into(),
    };
    let mut datum = Vec::new();
    event.write_avro(&mut datum);
    for cut in 0..datum.len() {
        let (result, largest) = decode_tracked::<UserEvent>(&datum[..cut]);
        assert!(result.is_err(), "prefix {cut} decoded");
        // A map's B-tree node (544 bytes here) is the largest: real entries, not a claim.
        assert!(largest <= 1024, "allocated {largest}");
    }
    assert_eq!(UserEvent::read_avro(&mut datum.as_slice()).unwrap(), event);
}

#[test]
fn trailing_bytes_after_a_frame_are_an_error() {
    let codec = AvroCodec::<Address>::new().unwrap();
    let address = Address {
        street: "s".into(),
        city: "c".into(),
        country_code: "US".into(),
    };
    let mut frame = Vec::new();
    codec
        .encode(schemaflow::wire::SchemaId(3), &address, &mut frame)
        .unwrap();
    frame.push(0);
    match codec.decode(&frame, codec.schema()) {
        Err(schemaflow::SchemaError::DecodeAvro { source, .. }) => {
            assert_eq!(source, AvroDecodeError::TrailingBytes(1))
        }
        other => panic!("expected trailing bytes, got {other:?}"),
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Kinds::read_avro(&mut bytes.as_slice());
        let _ = kinds_v2::Kinds::read_avro(&mut bytes.as_slice());
        let _ = UserEvent::read_avro(&mut bytes.as_slice());
        let _ = BenchSmall::read_avro(&mut bytes.as_slice());
        let (_, largest) = decode_tracked::<Kinds>(&bytes);
        // Real items (strings, nodes) may allocate, but never by a claimed length.
        prop_assert!(largest <= bytes.len().max(1024), "allocated {}", largest);
    }

    #[test]
    fn resolution_of_random_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let v1 = AvroCodec::<Kinds>::new().unwrap();
        let v2 = AvroCodec::<kinds_v2::Kinds>::new().unwrap();
        let mut frame = vec![0, 0, 0, 0, 1];
        frame.extend_from_slice(&bytes);
        let _ = v2.decode(&frame, v1.schema());
        let _ = v1.decode(&frame, v1.schema());
    }
}
