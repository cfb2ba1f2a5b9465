//! The generated Avro codecs (`AvroDatum`) against apache-avro's serde path: for random values
//! of every sample type (`schemas/`, `schemas/evolution/`, and `tests/avro_samples/`, which
//! covers every kind of field the codegen emits), the generated encoder writes exactly the bytes
//! `AvroSchema::write` writes, and the generated decoder reads them back equal. Resolution
//! (writer ≠ reader) goes through the plan, then the generated decoder.
#![allow(clippy::too_many_arguments)]

use std::collections::BTreeMap;
use std::fmt::Debug;

use proptest::prelude::*;
use schemaflow::codec::avro::{AvroCodec, AvroDatum, AvroSchema};
use schemaflow::generated::avro::address::Address;
use schemaflow::generated::avro::evolution::user_event as ue_v2;
use schemaflow::generated::avro::user_event::{Action, Device, UserEvent};
use schemaflow::wire::SchemaId;
use schemaflow::{Decimal, GeneratedSchema, Uuid};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]
mod samples {
    include!("avro_samples/generated.rs");
}
use samples::avro::bench_small::BenchSmall;
use samples::avro::bench_wide::BenchWide;
use samples::avro::evolution::kinds as kinds_v2;
use samples::avro::kinds::{Color, Inner, Kinds, UnionNullIntStringInnerColor as Choice};

/// The serde path's bytes equal the generated encoder's; both decoders read them back equal,
/// with nothing left over.
fn check<T>(value: &T) -> Result<(), TestCaseError>
where
    T: AvroDatum + GeneratedSchema + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let schema = AvroSchema::of::<T>().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut serde_bytes = Vec::new();
    schema
        .write(value, &mut serde_bytes)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut generated = Vec::new();
    value.write_avro(&mut generated);
    prop_assert_eq!(
        &generated,
        &serde_bytes,
        "encoder bytes differ for {:?}",
        value
    );
    let mut rest = serde_bytes.as_slice();
    let back = T::read_avro(&mut rest).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(rest.is_empty(), "{} bytes left", rest.len());
    prop_assert_eq!(&back, value);
    let via_serde: T = schema
        .read(&generated)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&via_serde, value);
    Ok(())
}

fn f64s() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(-0.0), -1e300..1e300f64, -1.0..1.0f64]
}

fn f32s() -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), -1e30f32..1e30f32]
}

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including multi-byte characters.
    ".{0,12}"
}

fn decimal<const S: u32>() -> impl Strategy<Value = Decimal<S>> {
    prop_oneof![
        any::<i64>().prop_map(Decimal::from),
        (any::<i128>()).prop_map(Decimal::from_unscaled),
        (-300i64..300).prop_map(Decimal::from),
    ]
}

fn address() -> impl Strategy<Value = Address> {
    (text(), text(), "[A-Z]{2}").prop_map(|(street, city, country_code)| Address {
        street,
        city,
        country_code,
    })
}

fn user_event() -> impl Strategy<Value = UserEvent> {
    (
        any::<u128>(),
        text(),
        0..4usize,
        any::<i64>(),
        decimal::<2>(),
        proptest::option::of(text()),
        (text(), proptest::option::of(text())),
        proptest::option::of(address()),
        proptest::collection::vec(text(), 0..4),
        proptest::collection::btree_map(text(), text(), 0..4),
    )
        .prop_map(
            |(id, user, action, at, amount, session, (platform, app), address, tags, attrs)| {
                UserEvent {
                    event_id: Uuid::from_u128(id),
                    user_id: user,
                    action: [
                        Action::Login,
                        Action::Logout,
                        Action::View,
                        Action::Purchase,
                    ][action],
                    occurred_at: at,
                    amount,
                    session_id: session,
                    device: Device {
                        platform,
                        app_version: app,
                    },
                    shipping_address: address,
                    tags,
                    attributes: attrs,
                }
            },
        )
}

fn user_event_v2() -> impl Strategy<Value = ue_v2::UserEvent> {
    (user_event(), text()).prop_map(|(v1, channel)| ue_v2::UserEvent {
        event_id: v1.event_id,
        user_id: v1.user_id,
        action: match v1.action {
            Action::Login => ue_v2::Action::Login,
            Action::Logout => ue_v2::Action::Logout,
            Action::View => ue_v2::Action::View,
            Action::Purchase => ue_v2::Action::Purchase,
        },
        occurred_at: v1.occurred_at,
        amount: v1.amount,
        session_id: v1.session_id,
        device: ue_v2::Device {
            platform: v1.device.platform,
            app_version: v1.device.app_version,
        },
        shipping_address: v1.shipping_address,
        tags: v1.tags,
        attributes: v1.attributes,
        channel,
    })
}

fn color() -> impl Strategy<Value = Color> {
    prop_oneof![Just(Color::Red), Just(Color::Green), Just(Color::Blue)]
}

fn inner() -> impl Strategy<Value = Inner> {
    (any::<i32>(), proptest::option::of(text())).prop_map(|(x, label)| Inner { x, label })
}

fn choice() -> impl Strategy<Value = Choice> {
    prop_oneof![
        Just(Choice::Null),
        any::<i32>().prop_map(Choice::Int),
        text().prop_map(Choice::String),
        inner().prop_map(Choice::Inner),
        color().prop_map(Choice::Color),
    ]
}

fn kinds() -> impl Strategy<Value = Kinds> {
    let scalars = (
        any::<bool>(),
        any::<i32>(),
        any::<i64>(),
        f32s(),
        f64s(),
        text(),
        proptest::collection::vec(any::<u8>(), 0..10),
        any::<u128>(),
        decimal::<4>(),
        any::<[u8; 8]>(),
        any::<[u8; 16]>(),
    );
    let times = (
        any::<i32>(),
        any::<i32>(),
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
        any::<i64>(),
    );
    let nested = (
        color(),
        inner(),
        proptest::option::of(inner()),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..6)),
        proptest::option::of(any::<[u8; 4]>()),
        choice(),
    );
    let collections = (
        proptest::collection::vec(any::<i64>(), 0..5),
        proptest::collection::vec(inner(), 0..3),
        proptest::collection::vec(proptest::collection::vec(text(), 0..3), 0..3),
        proptest::collection::btree_map(text(), f64s(), 0..4),
        proptest::collection::btree_map(text(), proptest::option::of(text()), 0..4),
        proptest::collection::vec(color(), 0..4),
    );
    (scalars, times, nested, collections).prop_map(
        |(
            (b, i, l, f, d, s, raw, id, price, fixed_price, hash),
            (day, t_ms, t_us, ts_ms, ts_us, lts_ms, lts_us),
            (color, inner, maybe_inner, maybe_bytes, maybe_tag, choice),
            (numbers, inners, nested, scores, opt_map, colors),
        )| Kinds {
            b,
            i,
            l,
            f,
            d,
            s,
            raw,
            id: Uuid::from_u128(id),
            price,
            fixed_price,
            hash,
            day,
            t_ms,
            t_us,
            ts_ms,
            ts_us,
            lts_ms,
            lts_us,
            color,
            inner,
            maybe_inner,
            maybe_bytes,
            maybe_tag,
            choice,
            numbers,
            inners,
            nested,
            scores,
            opt_map,
            colors,
        },
    )
}

fn kinds_v2() -> impl Strategy<Value = kinds_v2::Kinds> {
    (kinds(), text(), any::<i32>()).prop_map(|(k, added, count)| kinds_v2::Kinds {
        s: k.s,
        added,
        d: k.d,
        i: i64::from(k.i),
        f: f64::from(k.f),
        l: k.l as f64,
        color: match k.color {
            Color::Green => kinds_v2::Color::Green,
            _ => kinds_v2::Color::Red,
        },
        inner: kinds_v2::Inner {
            x: i64::from(k.inner.x),
            label: k.inner.label,
        },
        numbers: k.numbers.iter().map(|n| *n as f64).collect(),
        scores: k.scores,
        count,
    })
}

/// What Avro's resolution makes of v1 `Kinds` read as v2: promotions, defaults for the added
/// fields, the reader enum's default for `BLUE`, v1-only fields dropped.
fn kinds_as_v2(k: &Kinds) -> kinds_v2::Kinds {
    kinds_v2::Kinds {
        s: k.s.clone(),
        added: "x".into(),
        d: k.d,
        i: i64::from(k.i),
        f: f64::from(k.f),
        l: k.l as f64,
        color: match k.color {
            Color::Green => kinds_v2::Color::Green,
            _ => kinds_v2::Color::Red,
        },
        inner: kinds_v2::Inner {
            x: i64::from(k.inner.x),
            label: k.inner.label.clone(),
        },
        numbers: k.numbers.iter().map(|n| *n as f64).collect(),
        scores: k.scores.clone(),
        count: 7,
    }
}

fn bench_small() -> impl Strategy<Value = BenchSmall> {
    (
        any::<i64>(),
        text(),
        f64s(),
        any::<bool>(),
        proptest::collection::vec(text(), 0..4),
        proptest::collection::btree_map(text(), any::<i64>(), 0..4),
    )
        .prop_map(|(id, name, score, active, tags, counts)| BenchSmall {
            id,
            name,
            score,
            active,
            tags,
            counts,
        })
}

fn bench_wide() -> impl Strategy<Value = BenchWide> {
    use proptest::collection::vec;
    (
        vec(any::<i64>(), 10),
        vec(f64s(), 10),
        vec(text(), 10),
        vec(any::<bool>(), 10),
        vec(any::<i32>(), 10),
    )
        .prop_map(|(l, d, s, b, i)| BenchWide {
            l0: l[0],
            d0: d[0],
            s0: s[0].clone(),
            b0: b[0],
            i0: i[0],
            l1: l[1],
            d1: d[1],
            s1: s[1].clone(),
            b1: b[1],
            i1: i[1],
            l2: l[2],
            d2: d[2],
            s2: s[2].clone(),
            b2: b[2],
            i2: i[2],
            l3: l[3],
            d3: d[3],
            s3: s[3].clone(),
            b3: b[3],
            i3: i[3],
            l4: l[4],
            d4: d[4],
            s4: s[4].clone(),
            b4: b[4],
            i4: i[4],
            l5: l[5],
            d5: d[5],
            s5: s[5].clone(),
            b5: b[5],
            i5: i[5],
            l6: l[6],
            d6: d[6],
            s6: s[6].clone(),
            b6: b[6],
            i6: i[6],
            l7: l[7],
            d7: d[7],
            s7: s[7].clone(),
            b7: b[7],
            i7: i[7],
            l8: l[8],
            d8: d[8],
            s8: s[8].clone(),
            b8: b[8],
            i8: i[8],
            l9: l[9],
            d9: d[9],
            s9: s[9].clone(),
            b9: b[9],
            i9: i[9],
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn address_matches_serde(v in address()) { check(&v)?; }

    #[test]
    fn user_event_matches_serde(v in user_event()) { check(&v)?; }

    #[test]
    fn user_event_v2_matches_serde(v in user_event_v2()) { check(&v)?; }

    #[test]
    fn kinds_match_serde(v in kinds()) { check(&v)?; }

    #[test]
    fn kinds_v2_match_serde(v in kinds_v2()) { check(&v)?; }

    #[test]
    fn bench_small_matches_serde(v in bench_small()) { check(&v)?; }

    #[test]
    fn bench_wide_matches_serde(v in bench_wide()) { check(&v)?; }

    /// Writer ≠ reader: reordered, dropped and added fields, promotions and an enum default,
    /// through the cached plan and then the generated decoder.
    #[test]
    fn kinds_v1_reads_as_v2(v in kinds(), id in any::<u32>()) {
        let v1 = AvroCodec::<Kinds>::new().unwrap();
        let v2 = AvroCodec::<kinds_v2::Kinds>::new().unwrap();
        let mut frame = Vec::new();
        v1.encode(SchemaId(id), &v, &mut frame).unwrap();
        let (got_id, got) = v2.decode(&frame, v1.schema()).unwrap();
        prop_assert_eq!(got_id, SchemaId(id));
        prop_assert_eq!(got, kinds_as_v2(&v));
    }

    /// The sample evolution both ways (the plan's shortcuts: defaults appended, tail skipped).
    #[test]
    fn user_event_evolves_both_ways(v in user_event_v2()) {
        let v1 = AvroCodec::<UserEvent>::new().unwrap();
        let v2 = AvroCodec::<ue_v2::UserEvent>::new().unwrap();
        let mut frame = Vec::new();
        v2.encode(SchemaId(2), &v, &mut frame).unwrap();
        let (_, old) = v1.decode(&frame, v2.schema()).unwrap();
        let mut frame1 = Vec::new();
        v1.encode(SchemaId(1), &old, &mut frame1).unwrap();
        let (_, new) = v2.decode(&frame1, v1.schema()).unwrap();
        prop_assert_eq!(new, ue_v2::UserEvent { channel: "web".into(), ..v });
    }
}

#[test]
fn large_decimals_and_edge_values_match_serde() {
    let mut k = Kinds {
        b: true,
        i: i32::MIN,
        l: i64::MAX,
        f: f32::MAX,
        d: f64::MIN_POSITIVE,
        s: "ünïcødé ✓".into(),
        raw: vec![0, 255],
        id: Uuid::nil(),
        price: Decimal::from_unscaled(num_bigint_max()),
        fixed_price: [0xff; 8],
        hash: [7; 16],
        day: -1,
        t_ms: 0,
        t_us: 86_399_999_999,
        ts_ms: i64::MIN,
        ts_us: 0,
        lts_ms: 1,
        lts_us: -1,
        color: Color::Blue,
        inner: Inner { x: 0, label: None },
        maybe_inner: Some(Inner {
            x: -1,
            label: Some(String::new()),
        }),
        maybe_bytes: Some(Vec::new()),
        maybe_tag: Some([1, 2, 3, 4]),
        choice: Choice::Color(Color::Green),
        numbers: vec![i64::MIN, 0, i64::MAX],
        inners: vec![Inner { x: 1, label: None }; 3],
        nested: vec![vec![], vec!["a".into()]],
        scores: BTreeMap::from([("k".to_string(), -0.0)]),
        opt_map: BTreeMap::from([("a".to_string(), None), ("b".to_string(), Some("c".into()))]),
        colors: vec![Color::Red, Color::Blue],
    };
    check(&k).unwrap();
    for price in [0i64, -1, 127, 128, -128, -129, 255, 256] {
        k.price = Decimal::from(price);
        check(&k).unwrap();
    }
}

fn num_bigint_max() -> i128 {
    i128::MAX
}
