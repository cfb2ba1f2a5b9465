//! Decoding into a reused value (`decode_into`) and borrowed views (`FooRef<'a>`) against the
//! owned decode, for random values of every sample type (`schemas/`, `schemas/evolution/`,
//! `tests/avro_samples/`: unions, enums, fixed, nested records, every logical type, arrays and
//! maps): `decode_into` over any earlier value gives exactly what `decode` gives, and a view
//! of the frame turned `to_owned()` equals it too. Across schema versions a view exists only
//! where the bytes need no rewriting (the writer's fields are the reader's plus trailing ones).
use std::fmt::Debug;

use proptest::prelude::*;
use schemaflow::codec::avro::{AvroBorrow, AvroCodec, AvroDatum, AvroView};
use schemaflow::wire::SchemaId;
use schemaflow::GeneratedSchema;

use crate::avro_generated::repo_samples::avro::address::Address;
use crate::avro_generated::repo_samples::avro::evolution::user_event as ue_v2;
use crate::avro_generated::repo_samples::avro::user_event::UserEvent;
use crate::avro_generated::{
    address, bench_small, bench_wide, kinds, kinds_v2, user_event, user_event_v2,
};
use crate::avro_samples::avro::evolution::kinds as kinds_v2;
use crate::avro_samples::avro::kinds::Kinds;

/// `new`'s frame decoded into a copy of `old`, and viewed, both equal the owned decode; the
/// view read from the bare datum too; and every truncation of the frame fails the view where
/// it fails the decode.
fn check<T>(old: &T, new: &T) -> Result<(), TestCaseError>
where
    T: AvroBorrow + GeneratedSchema + Clone + PartialEq + Debug,
    for<'a> T::Ref<'a>: Debug + PartialEq,
{
    let codec = AvroCodec::<T>::new().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut frame = Vec::new();
    codec.encode(SchemaId(9), new, &mut frame).unwrap();
    let (_, owned) = codec.decode(&frame, codec.schema()).unwrap();
    prop_assert_eq!(&owned, new);

    let mut reused = old.clone();
    let id = codec
        .decode_into(&frame, codec.schema(), &mut reused)
        .unwrap();
    prop_assert_eq!(id, SchemaId(9));
    prop_assert_eq!(&reused, new);
    // And again into itself (every buffer already the right size).
    codec
        .decode_into(&frame, codec.schema(), &mut reused)
        .unwrap();
    prop_assert_eq!(&reused, new);

    let (id, view) = codec
        .view(&frame, codec.schema())
        .unwrap()
        .expect("same schema: a view");
    prop_assert_eq!(id, SchemaId(9));
    prop_assert_eq!(&view.to_owned_value(), new);
    let mut datum = &frame[5..];
    let bare = <T::Ref<'_> as AvroView<'_>>::read_view(&mut datum).unwrap();
    prop_assert!(datum.is_empty());
    prop_assert_eq!(&bare, &view);

    for cut in 5..frame.len() {
        let short = &frame[..cut];
        let decoded = codec.decode(short, codec.schema()).is_ok();
        let viewed = codec.view(short, codec.schema()).is_ok();
        prop_assert_eq!(viewed, decoded, "frame cut at {}", cut);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn address_into_and_view(a in address(), b in address()) { check::<Address>(&a, &b)?; }

    #[test]
    fn user_event_into_and_view(a in user_event(), b in user_event()) { check(&a, &b)?; }

    #[test]
    fn user_event_v2_into_and_view(a in user_event_v2(), b in user_event_v2()) {
        check(&a, &b)?;
    }

    #[test]
    fn kinds_into_and_view(a in kinds(), b in kinds()) { check(&a, &b)?; }

    #[test]
    fn kinds_v2_into_and_view(a in kinds_v2(), b in kinds_v2()) { check(&a, &b)?; }

    #[test]
    fn bench_small_into_and_view(a in bench_small(), b in bench_small()) { check(&a, &b)?; }

    #[test]
    fn bench_wide_into_and_view(a in bench_wide(), b in bench_wide()) { check(&a, &b)?; }

    /// Another writer schema: `decode_into` resolves as `decode` does; a view exists only when
    /// the reader's fields are a prefix of the writer's (v2 data read as v1), `None` otherwise
    /// (defaults appended, fields reordered or promoted), never a wrong value.
    #[test]
    fn across_versions_into_resolves_and_a_view_is_offered_only_without_rewriting(
        v2 in user_event_v2(),
        old in user_event(),
        k in kinds(),
        old_k2 in kinds_v2(),
    ) {
        let c1 = AvroCodec::<UserEvent>::new().unwrap();
        let c2 = AvroCodec::<ue_v2::UserEvent>::new().unwrap();
        let mut frame2 = Vec::new();
        c2.encode(SchemaId(2), &v2, &mut frame2).unwrap();
        let (_, as_v1) = c1.decode(&frame2, c2.schema()).unwrap();
        let mut reused = old.clone();
        c1.decode_into(&frame2, c2.schema(), &mut reused).unwrap();
        prop_assert_eq!(&reused, &as_v1);
        let (_, view) = c1.view(&frame2, c2.schema()).unwrap().expect("trailing field dropped: a view");
        prop_assert_eq!(view.to_owned(), as_v1.clone());

        let mut frame1 = Vec::new();
        c1.encode(SchemaId(1), &as_v1, &mut frame1).unwrap();
        prop_assert!(c2.view(&frame1, c1.schema()).unwrap().is_none(), "a default to add: no view");
        let (_, up) = c2.decode(&frame1, c1.schema()).unwrap();
        let mut reused2 = v2.clone();
        reused2.channel = "something else".into();
        c2.decode_into(&frame1, c1.schema(), &mut reused2).unwrap();
        prop_assert_eq!(reused2, up);

        let k1 = AvroCodec::<Kinds>::new().unwrap();
        let k2 = AvroCodec::<kinds_v2::Kinds>::new().unwrap();
        let mut kframe = Vec::new();
        k1.encode(SchemaId(3), &k, &mut kframe).unwrap();
        prop_assert!(k2.view(&kframe, k1.schema()).unwrap().is_none(), "reordered and promoted: no view");
        let (_, resolved) = k2.decode(&kframe, k1.schema()).unwrap();
        let mut reused_k = old_k2.clone();
        k2.decode_into(&kframe, k1.schema(), &mut reused_k).unwrap();
        prop_assert_eq!(reused_k, resolved);
    }
}

/// The generated inherent API and the codec trait's additive methods (what a consumer calls).
#[test]
fn generated_decode_into_and_view_go_through_the_registry_codec() {
    use schemaflow::codec::{FromFrame, RegistryCodec, WriterSchema};
    use std::sync::Arc;
    let codec = AvroCodec::<Address>::new().unwrap();
    let writer = WriterSchema::Avro(Arc::new(
        schemaflow::codec::avro::AvroSchema::of::<Address>().unwrap(),
    ));
    let value = Address {
        street: "1 Main St".into(),
        city: "Springfield".into(),
        country_code: "US".into(),
    };
    let mut frame = Vec::new();
    codec.encode(SchemaId(4), &value, &mut frame).unwrap();
    let mut reused = Address {
        street: String::with_capacity(64),
        city: "x".into(),
        country_code: "y".into(),
    };
    let street_buffer = reused.street.as_ptr();
    assert_eq!(reused.decode_into(&frame, &writer).unwrap(), SchemaId(4));
    assert_eq!(reused, value);
    assert_eq!(
        reused.street.as_ptr(),
        street_buffer,
        "the string's buffer is reused"
    );
    let mut again = reused.clone();
    assert_eq!(
        again.decode_frame_into(&frame, &writer).unwrap(),
        SchemaId(4)
    );
    again.set_from_frame(&frame, &writer).unwrap();
    assert_eq!(again, value);
    let (id, view) = Address::view(&frame, &writer).unwrap().expect("a view");
    assert_eq!(id, SchemaId(4));
    assert_eq!(view.street, "1 Main St");
    assert_eq!(view.to_owned(), value);
    // Trailing bytes after the datum: an error, as for decode.
    frame.push(0);
    assert!(Address::view(&frame, &writer).is_err());
    assert!(reused.decode_into(&frame, &writer).is_err());
}

/// `AvroDatum::read_avro_into` on a bare datum, over a value of other sizes.
#[test]
fn a_datum_read_into_a_value_equals_a_fresh_read() {
    let value = Address {
        street: "a".into(),
        city: "b".into(),
        country_code: "c".into(),
    };
    let mut buf = Vec::new();
    value.write_avro(&mut buf);
    let mut into = Address {
        street: "long old street".into(),
        city: String::new(),
        country_code: "zz".into(),
    };
    into.read_avro_into(&mut buf.as_slice()).unwrap();
    assert_eq!(into, value);
}
