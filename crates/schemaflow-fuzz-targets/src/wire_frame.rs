//! `wire_frame`: the Confluent frame read from arbitrary bytes, in both forms — the payload
//! prefix (magic 0, id, Protobuf message indexes) and the record-header id (magic 0 + id, or
//! magic 1 + GUID). What is read must write back to the same bytes.

use schemaflow_schema::wire::{self, HeaderSchemaId};

/// Read `data` as a payload-form frame and as a header-carried schema id.
pub fn wire_frame(data: &[u8]) {
    payload_form(data);
    header_form(data);
}

fn payload_form(data: &[u8]) {
    let Ok((id, rest)) = wire::read_header(data) else {
        return;
    };
    let mut again = Vec::new();
    wire::write_header(id, &mut again);
    again.extend_from_slice(rest);
    assert_eq!(
        again, data,
        "the header writes back to the bytes it was read from"
    );

    let Ok((indexes, payload)) = wire::read_message_indexes(rest) else {
        return;
    };
    assert!(!indexes.is_empty(), "a message index path is never empty");
    assert!(
        indexes.iter().all(|&i| i >= 0),
        "indexes are never negative"
    );
    assert!(
        rest.ends_with(payload),
        "the payload is the tail of the frame"
    );
    // The canonical writing of the same path reads back to it (the wire may have used a
    // longer form: an explicit `[0]` or padded varints).
    let mut written = Vec::new();
    wire::write_message_indexes(&indexes, &mut written);
    match wire::read_message_indexes(&written) {
        Ok((read, tail)) => {
            assert_eq!(read, indexes, "written indexes read back");
            assert!(tail.is_empty(), "written indexes are read whole");
        }
        Err(e) => panic!("indexes we wrote do not read back: {e}"),
    }
    match wire::match_message_indexes(rest, &indexes) {
        Ok(Ok(p)) => assert_eq!(p, payload, "matching finds the same payload"),
        other => panic!("indexes just read do not match themselves: {other:?}"),
    }
}

fn header_form(data: &[u8]) {
    if let Ok(id) = HeaderSchemaId::parse(data) {
        assert_eq!(id.to_bytes(), data, "a header id writes back to its bytes");
    }
}
