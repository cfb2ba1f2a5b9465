//! Avro's Parsing Canonical Form, and the fingerprint of it, of any parsed schema.
//!
//! apache-avro computes the form from the schema's JSON, custom attributes included, and
//! panics when an attribute reuses a name the form keeps (`fields`, `symbols`, `items`,
//! `values`, `size`, …) with a value that is not a schema (`"symbols": null` on a field: the
//! fuzzer's avsc_parse found it, and any text the registry was asked to register reached
//! it). The specification's [STRIP] rule drops every attribute but those of the schema
//! itself, so the form is taken of a copy without custom attributes: the same form for every
//! schema apache-avro handled, and no panic for the rest.

use apache_avro::schema::{InnerDecimalSchema, UnionSchema, UuidSchema};
use apache_avro::Schema;

/// The Parsing Canonical Form of `schema`.
pub(crate) fn canonical_form(schema: &Schema) -> String {
    without_custom_attributes(schema).canonical_form()
}

/// The 64-bit Rabin fingerprint (CRC-64-AVRO) of the Parsing Canonical Form, as a `u64`.
pub(crate) fn rabin_fingerprint(schema: &Schema) -> u64 {
    let fp = without_custom_attributes(schema).fingerprint::<apache_avro::rabin::Rabin>();
    let mut b = [0u8; 8];
    b.copy_from_slice(&fp.bytes[..8]);
    u64::from_le_bytes(b)
}

fn without_custom_attributes(schema: &Schema) -> Schema {
    let mut copy = schema.clone();
    strip(&mut copy);
    copy
}

fn strip(schema: &mut Schema) {
    match schema {
        Schema::Record(r) => {
            r.attributes.clear();
            for f in &mut r.fields {
                f.custom_attributes.clear();
                strip(&mut f.schema);
            }
        }
        Schema::Enum(e) => e.attributes.clear(),
        Schema::Fixed(f) | Schema::Duration(f) | Schema::Uuid(UuidSchema::Fixed(f)) => {
            f.attributes.clear()
        }
        Schema::Decimal(d) => {
            if let InnerDecimalSchema::Fixed(f) = &mut d.inner {
                f.attributes.clear();
            }
        }
        Schema::Array(a) => {
            a.attributes.clear();
            strip(&mut a.items);
        }
        Schema::Map(m) => {
            m.attributes.clear();
            strip(&mut m.types);
        }
        Schema::Union(u) => {
            let mut variants = u.variants().to_vec();
            variants.iter_mut().for_each(strip);
            // The variants are the same kinds as before, so the union stays valid.
            if let Ok(new) = UnionSchema::new(variants) {
                *u = new;
            }
        }
        _ => {}
    }
}
