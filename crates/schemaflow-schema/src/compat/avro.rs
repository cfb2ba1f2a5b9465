//! Avro compatibility: can a reader schema read data written with a writer schema?
//!
//! This is Apache Avro's reader/writer compatibility (Java's `SchemaCompatibility`, which the
//! registry applies), reimplemented here over [`apache_avro::Schema`]; the apache-avro crate's
//! own checker is not used because its verdicts differ from Java's in places. In `BACKWARD`
//! the candidate is the reader and the previous version the writer; `FORWARD` swaps them.
//!
//! Rules, in the order they are checked for a (reader, writer) pair:
//!
//! 1. A writer **union** is readable when each of its branches is (paths `/0`, `/1`, …).
//! 2. A reader **union** reads a non-union writer when some branch of it does, else
//!    `MISSING_UNION_BRANCH`.
//! 3. Same type: primitives match; **arrays** and **maps** compare items/values
//!    (`/items`, `/values`); **records**, **enums** and **fixed** compare names by
//!    `crate::avro::names_match`, the rule the codec's resolution uses too (the unqualified
//!    names are equal, or the writer's full name is one of the reader's aliases, qualified
//!    with the reader's namespace), else `NAME_MISMATCH` at `/name`; fixed sizes must be equal (`FIXED_SIZE_MISMATCH` at `/size`);
//!    writer enum symbols missing from the reader's enum are `MISSING_ENUM_SYMBOLS`
//!    (`/symbols`) unless the reader's enum has a default; each reader record field is looked
//!    up in the writer's record by name, then by the reader field's aliases: found, their types
//!    are compared (`/fields/<reader index>/type`); missing, the reader field needs a default
//!    (`READER_FIELD_MISSING_DEFAULT_VALUE` at `/fields/<reader index>`). Writer-only fields
//!    are ignored.
//! 4. Different types: the promotions int→long/float/double, long→float/double,
//!    float→double, string→bytes and bytes→string are accepted; anything else is
//!    `TYPE_MISMATCH`.
//!
//! Logical types are compared on their underlying types (as Java does). Recursive named
//! types terminate: a (reader, writer) pair already under comparison counts as compatible.
//! All differences are reported, not just the first.

use std::collections::HashSet;

use apache_avro::schema::{Name, RecordSchema, Schema, UnionSchema};

use super::difference::Difference;
use super::input::SchemaInput;
use super::rules::Rule;
use crate::avro::{collect_named_types, full_name, names_match, promotable, Kind, Names, Phys};
use crate::error::{Error, Result};

/// A parsed Avro schema with the schemas it references.
#[derive(Debug)]
pub struct AvroCompatSchema {
    root: Schema,
    refs: Vec<Schema>,
}

impl AvroCompatSchema {
    /// Parse the schema text with its references.
    pub fn parse(input: &SchemaInput) -> Result<Self> {
        let err = |reason: String| Error::ParseAvroSchema {
            name: input.label.clone(),
            reason,
        };
        let (root, refs) = if input.references.is_empty() {
            (
                Schema::parse_str(&input.text).map_err(|e| err(e.to_string()))?,
                Vec::new(),
            )
        } else {
            Schema::parse_str_with_list(
                &input.text,
                input.references.iter().map(|(_, t)| t.as_str()),
            )
            .map_err(|e| err(e.to_string()))?
        };
        Ok(AvroCompatSchema { root, refs })
    }

    /// The parsed schema.
    pub fn schema(&self) -> &Schema {
        &self.root
    }

    /// Its named types and its references'.
    fn names(&self) -> Names<'_> {
        let mut found = Names::new();
        for r in &self.refs {
            collect_named_types(r, &mut found);
        }
        collect_named_types(&self.root, &mut found);
        found
    }
}

/// Every reason `reader` cannot read data written with `writer`. `reader_role` and
/// `writer_role` name them in messages ("new schema", "old schema").
pub fn differences(
    reader: &AvroCompatSchema,
    writer: &AvroCompatSchema,
    reader_role: &str,
    writer_role: &str,
) -> Vec<Difference> {
    let (rnames, wnames) = (reader.names(), writer.names());
    let mut c = Checker {
        rnames: &rnames,
        wnames: &wnames,
        in_progress: HashSet::new(),
        out: Vec::new(),
        reader_role,
        writer_role,
    };
    let mut path = Vec::new();
    c.check(&reader.root, &writer.root, &mut path);
    c.out
}

fn describe(s: &Schema) -> String {
    match full_name(s) {
        Some(n) => format!("{} {n}", kind(s).word()),
        None => kind(s).word().to_string(),
    }
}

struct Checker<'a> {
    rnames: &'a Names<'a>,
    wnames: &'a Names<'a>,
    in_progress: HashSet<(String, String)>,
    out: Vec<Difference>,
    reader_role: &'a str,
    writer_role: &'a str,
}

fn show(path: &[String]) -> String {
    if path.is_empty() {
        "/".to_string()
    } else {
        let mut s = String::new();
        for p in path {
            s.push('/');
            s.push_str(p);
        }
        s
    }
}

fn deref<'s>(s: &'s Schema, names: &Names<'s>) -> &'s Schema {
    crate::avro::deref(s, names).unwrap_or(s)
}

fn kind(s: &Schema) -> Kind {
    Kind::of(s)
}

impl<'a> Checker<'a> {
    fn push(&mut self, rule: Rule, path: &[String], message: String) {
        self.out.push(Difference {
            rule,
            path: show(path),
            message,
        });
    }

    /// Whether `reader` reads `writer` without any difference (no output recorded).
    fn readable(&mut self, reader: &Schema, writer: &Schema, path: &mut Vec<String>) -> bool {
        let mark = self.out.len();
        self.check(reader, writer, path);
        let ok = self.out.len() == mark;
        self.out.truncate(mark);
        ok
    }

    fn check(&mut self, reader: &Schema, writer: &Schema, path: &mut Vec<String>) {
        let reader = deref(reader, self.rnames);
        let writer = deref(writer, self.wnames);
        let (rk, wk) = (kind(reader), kind(writer));

        // Recursion guard for named types.
        let key = match (full_name(reader), full_name(writer)) {
            (Some(r), Some(w)) => Some((r, w)),
            _ => None,
        };
        if let Some(k) = &key {
            if !self.in_progress.insert(k.clone()) {
                return;
            }
        }
        self.check_inner(reader, writer, rk, wk, path);
        if let Some(k) = key {
            self.in_progress.remove(&k);
        }
    }

    fn check_inner(
        &mut self,
        reader: &Schema,
        writer: &Schema,
        rk: Kind,
        wk: Kind,
        path: &mut Vec<String>,
    ) {
        if let Schema::Union(wu) = writer {
            for (i, branch) in wu.variants().iter().enumerate() {
                path.push(i.to_string());
                self.check(reader, branch, path);
                path.pop();
            }
            return;
        }
        if let Schema::Union(ru) = reader {
            self.reader_union(ru, writer, path);
            return;
        }
        if rk == Kind::Unknown || wk == Kind::Unknown {
            let which = if rk == Kind::Unknown { reader } else { writer };
            self.push(
                Rule::TypeMismatch,
                path,
                format!(
                    "the type at path '{}' refers to an undefined named type ({which:?}); pass the schema defining it as a reference",
                    show(path)
                ),
            );
            return;
        }
        if rk != wk {
            if !promotable(wk, rk) {
                self.push(
                    Rule::TypeMismatch,
                    path,
                    format!(
                        "the type at path '{}' in the {} is {} but {} in the {}, and {} cannot be read as {}; keep the type or use an Avro promotion (int→long/float/double, long→float/double, float→double, string↔bytes)",
                        show(path),
                        self.reader_role,
                        describe(reader),
                        describe(writer),
                        self.writer_role,
                        wk.word(),
                        rk.word()
                    ),
                );
            }
            return;
        }
        match (reader, writer) {
            (Schema::Array(r), Schema::Array(w)) => {
                path.push("items".into());
                self.check(&r.items, &w.items, path);
                path.pop();
            }
            (Schema::Map(r), Schema::Map(w)) => {
                path.push("values".into());
                self.check(&r.types, &w.types, path);
                path.pop();
            }
            (Schema::Enum(r), Schema::Enum(w)) => {
                if !names_match(&r.name, &r.aliases, &w.name) {
                    self.name_mismatch(reader, &r.name, &w.name, path);
                }
                if r.default.is_none() {
                    let missing: Vec<&str> = w
                        .symbols
                        .iter()
                        .filter(|s| !r.symbols.contains(s))
                        .map(String::as_str)
                        .collect();
                    if !missing.is_empty() {
                        path.push("symbols".into());
                        self.push(
                            Rule::MissingEnumSymbols,
                            path,
                            format!(
                                "the {} enum {} lacks the symbols [{}] of the {}; keep them, or give the enum a default symbol",
                                self.reader_role,
                                r.name.fullname(None),
                                missing.join(", "),
                                self.writer_role
                            ),
                        );
                        path.pop();
                    }
                }
            }
            (Schema::Record(r), Schema::Record(w)) => {
                if !names_match(&r.name, &r.aliases, &w.name) {
                    self.name_mismatch(reader, &r.name, &w.name, path);
                }
                self.record_fields(r, w, path);
            }
            _ if rk == Kind::Fixed => {
                if let (Phys::Fixed(r), Phys::Fixed(w)) = (Phys::of(reader), Phys::of(writer)) {
                    if !names_match(&r.name, &r.aliases, &w.name) {
                        self.name_mismatch(reader, &r.name, &w.name, path);
                    }
                    if r.size != w.size {
                        path.push("size".into());
                        self.push(
                            Rule::FixedSizeMismatch,
                            path,
                            format!(
                                "the fixed {} is {} bytes in the {} but {} bytes in the {}; a fixed type's size cannot change",
                                r.name.fullname(None),
                                r.size,
                                self.reader_role,
                                w.size,
                                self.writer_role
                            ),
                        );
                        path.pop();
                    }
                }
            }
            _ => {}
        }
    }

    fn name_mismatch(&mut self, reader: &Schema, r: &Name, w: &Name, path: &mut Vec<String>) {
        path.push("name".into());
        self.push(
            Rule::NameMismatch,
            path,
            format!(
                "the {} {} is named {} in the {} but {} in the {}; keep the name, or add \"{}\" to its aliases",
                kind(reader).word(),
                r.fullname(None),
                r.fullname(None),
                self.reader_role,
                w.fullname(None),
                self.writer_role,
                w.fullname(None)
            ),
        );
        path.pop();
    }

    fn reader_union(&mut self, ru: &UnionSchema, writer: &Schema, path: &mut Vec<String>) {
        for branch in ru.variants() {
            if self.readable(branch, writer, path) {
                return;
            }
        }
        self.push(
            Rule::MissingUnionBranch,
            path,
            format!(
                "the union at path '{}' in the {} has no branch that can read the {}'s {}; add a {} branch to the union",
                show(path),
                self.reader_role,
                self.writer_role,
                describe(writer),
                describe(writer)
            ),
        );
    }

    fn record_fields(&mut self, r: &RecordSchema, w: &RecordSchema, path: &mut Vec<String>) {
        path.push("fields".into());
        for (i, rf) in r.fields.iter().enumerate() {
            path.push(i.to_string());
            let wf = w
                .fields
                .iter()
                .find(|wf| wf.name == rf.name)
                .or_else(|| w.fields.iter().find(|wf| rf.aliases.contains(&wf.name)));
            match wf {
                Some(wf) => {
                    path.push("type".into());
                    self.check(&rf.schema, &wf.schema, path);
                    path.pop();
                }
                None if rf.default.is_none() => self.push(
                    Rule::ReaderFieldMissingDefaultValue,
                    path,
                    format!(
                        "the field '{}' at path '{}' in the {} has no default value and is missing in the {}; add a default value (or an alias naming the {}'s field)",
                        rf.name,
                        show(path),
                        self.reader_role,
                        self.writer_role,
                        self.writer_role
                    ),
                ),
                None => {}
            }
            path.pop();
        }
        path.pop();
    }
}
