//! Named types: the walk that indexes them, dereferencing `Schema::Ref`s, and the one rule
//! for when a reader's named type reads a writer's.

use std::collections::HashMap;

use apache_avro::schema::{Alias, InnerDecimalSchema, Name, Schema, UuidSchema};

use super::kind::Phys;

/// Named types by full name.
pub(crate) type Names<'a> = HashMap<String, &'a Schema>;

/// Every named type (record, enum, fixed — also the fixed under a decimal, uuid or duration)
/// defined in `schema`, by full name. The one walk the codecs and the checker use to resolve
/// `Schema::Ref`s.
pub(crate) fn collect_named_types<'a>(s: &'a Schema, out: &mut Names<'a>) {
    match s {
        Schema::Record(r) if out.insert(r.name.fullname(None), s).is_none() => {
            for f in &r.fields {
                collect_named_types(&f.schema, out);
            }
        }
        Schema::Enum(e) => {
            out.insert(e.name.fullname(None), s);
        }
        Schema::Fixed(f) | Schema::Duration(f) | Schema::Uuid(UuidSchema::Fixed(f)) => {
            out.insert(f.name.fullname(None), s);
        }
        Schema::Decimal(d) => {
            if let InnerDecimalSchema::Fixed(f) = &d.inner {
                out.insert(f.name.fullname(None), s);
            }
        }
        Schema::Array(a) => collect_named_types(&a.items, out),
        Schema::Map(m) => collect_named_types(&m.types, out),
        Schema::Union(u) => u
            .variants()
            .iter()
            .for_each(|v| collect_named_types(v, out)),
        _ => {}
    }
}

/// `s`, or the definition it refers to; `None` for a reference to a type not in `names`.
pub(crate) fn deref<'s>(s: &'s Schema, names: &Names<'s>) -> Option<&'s Schema> {
    match s {
        Schema::Ref { name } => names.get(&name.fullname(None)).copied(),
        other => Some(other),
    }
}

/// The name and aliases of a named type (a fixed also under decimal, uuid or duration).
pub(crate) fn name_of(s: &Schema) -> Option<(&Name, &Option<Vec<Alias>>)> {
    match Phys::of(s) {
        Phys::Record(r) => Some((&r.name, &r.aliases)),
        Phys::Enum(e) => Some((&e.name, &e.aliases)),
        Phys::Fixed(f) => Some((&f.name, &f.aliases)),
        _ => None,
    }
}

/// The full name of a named type.
pub(crate) fn full_name(s: &Schema) -> Option<String> {
    name_of(s).map(|(n, _)| n.fullname(None))
}

/// Whether a reader's named type (its `name` and `aliases`) reads the writer's type named
/// `writer` — Java's rule (Apache Avro 1.12 `SchemaCompatibility.schemaNameEquals`, which the
/// registry applies): the unqualified names are equal, or the writer's **full** name is one of
/// the reader's aliases, each alias qualified with the reader's namespace when it has none.
///
/// The codec's resolution plan and the compatibility checker both ask this function, so data
/// the runtime reads is data the checker lets through, and the other way round.
pub(crate) fn names_match(reader: &Name, aliases: &Option<Vec<Alias>>, writer: &Name) -> bool {
    reader.name() == writer.name()
        || aliases
            .iter()
            .flatten()
            .any(|a| a.fullname(reader.namespace()) == writer.fullname(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(reader: &str, writer: &str) -> bool {
        let r = Schema::parse_str(reader).unwrap();
        let w = Schema::parse_str(writer).unwrap();
        let ((rn, ra), (wn, _)) = (name_of(&r).unwrap(), name_of(&w).unwrap());
        names_match(rn, ra, wn)
    }

    #[test]
    fn java_name_and_alias_rule() {
        let w = r#"{"type":"enum","name":"a.R","symbols":["X"]}"#;
        // Same unqualified name: a namespace change is accepted (as Java's checker does).
        assert!(matches(
            r#"{"type":"enum","name":"b.R","symbols":["X"]}"#,
            w
        ));
        // An alias names the writer's full name, explicitly or through the reader's namespace.
        assert!(matches(
            r#"{"type":"enum","name":"b.S","aliases":["a.R"],"symbols":["X"]}"#,
            w
        ));
        assert!(matches(
            r#"{"type":"enum","name":"a.S","aliases":["R"],"symbols":["X"]}"#,
            w
        ));
        // An alias that only agrees on the unqualified name names another type.
        assert!(!matches(
            r#"{"type":"enum","name":"b.S","aliases":["R"],"symbols":["X"]}"#,
            w
        ));
        assert!(!matches(
            r#"{"type":"enum","name":"b.S","aliases":["c.R"],"symbols":["X"]}"#,
            w
        ));
        assert!(!matches(
            r#"{"type":"enum","name":"a.S","symbols":["X"]}"#,
            w
        ));
    }
}
