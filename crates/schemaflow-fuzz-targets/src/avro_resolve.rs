//! `avro_resolve`: arbitrary bytes as a frame written with one version of the Avro sample
//! `UserEvent` and read into the other (v1 writer → v2 reader, which adds `channel` with a
//! default; v2 writer → v1 reader, which drops it), through the codec's resolution plan.
//!
//! Resolution must agree with the direct read: a datum resolves exactly when it decodes with
//! its own writer's type, and to the same field values.

use serde::Serialize;
use serde_json::Value;

use crate::avro_decode::round_trip;
use crate::samples::{self, AvroUserEventV1, AvroUserEventV2};

/// Decode `data` as a v1 frame into v2 and as a v2 frame into v1, and compare with the
/// direct reads.
pub fn avro_resolve(data: &[u8]) {
    let (v1, v2) = (samples::avro_user_event_v1(), samples::avro_user_event_v2());

    let direct = round_trip::<AvroUserEventV1>(data, v1, v1);
    let resolved = round_trip::<AvroUserEventV2>(data, v1, v2);
    agree(direct.is_some(), resolved.is_some(), "v1 writer, v2 reader");
    same_fields(direct.as_ref(), resolved.as_ref());
    if let Some(r) = &resolved {
        assert_eq!(r.channel, "web", "the added field takes its default");
    }

    let direct = round_trip::<AvroUserEventV2>(data, v2, v2);
    let resolved = round_trip::<AvroUserEventV1>(data, v2, v1);
    agree(direct.is_some(), resolved.is_some(), "v2 writer, v1 reader");
    same_fields(resolved.as_ref(), direct.as_ref());
}

/// Both reads succeeded or both failed.
fn agree(direct: bool, resolved: bool, what: &str) {
    let said = |ok: bool| if ok { "succeeded" } else { "failed" };
    assert_eq!(
        direct,
        resolved,
        "{what}: the direct read {} but the resolved read {}",
        said(direct),
        said(resolved)
    );
}

/// When both reads succeeded, the fields v1 has are equal.
fn same_fields(v1: Option<&AvroUserEventV1>, v2: Option<&AvroUserEventV2>) {
    if let (Some(a), Some(b)) = (v1, v2) {
        let mut b = fields(b);
        if let Value::Object(o) = &mut b {
            o.remove("channel");
        }
        assert_eq!(fields(a), b, "resolution changed a value");
    }
}

fn fields(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| panic!("a decoded value serializes: {e}"))
}
