//! JSON → Avro binary datum, guided by the writer schema. The rules are in the
//! [module docs](super); this file is their implementation.
//!
//! The datum is written directly (not through apache-avro's `Value`): its `Value::Map` is a
//! `HashMap`, so maps with several entries would come out in a random order. Maps are
//! written in the JSON object's key order (sorted: serde_json without `preserve_order`), the
//! order the typed codec (`BTreeMap`) writes and [`avro_frame_to_json`](super::avro_frame_to_json)
//! prints.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, RecordSchema, Schema, UnionSchema, UuidSchema,
};
use num_bigint::BigInt;
use serde_json::Value as Json;

use super::datetime;

/// Nesting deeper than this (records, arrays, maps) is refused rather than recursed into:
/// serde_json's parser stops at 128 levels too, and 128 levels stay well inside a 2 MiB
/// thread stack even in debug builds.
const MAX_DEPTH: usize = 128;

/// Decimals longer than this are refused whatever the schema's precision (bounds the work a
/// hostile `1e999999999` can cause).
const MAX_DECIMAL_DIGITS: i64 = 100_000;

/// How a JSON value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Natural JSON (what `avro_frame_to_json` prints).
    Natural,
    /// Avro's JSON encoding (unions wrapped as `{"type": value}`).
    Avro,
}

/// A failure: where in the JSON, and why.
#[derive(Debug)]
pub(super) struct Fail {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

type Path<'a> = Vec<Seg<'a>>;

fn render(path: &[Seg<'_>]) -> String {
    let mut s = String::from("$");
    for seg in path {
        match seg {
            Seg::Key(k) if is_identifier(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Key(k) => {
                s.push('[');
                s.push_str(&Json::String((*k).to_string()).to_string());
                s.push(']');
            }
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn fail(path: &[Seg<'_>], reason: impl Into<String>) -> Fail {
    Fail {
        path: render(path),
        reason: reason.into(),
    }
}

/// A short description of a JSON value for error messages.
fn describe(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("boolean {b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(s) if s.chars().count() > 40 => {
            let head: String = s.chars().take(40).collect();
            format!("string \"{head}…\"")
        }
        Json::String(s) => format!("string {}", Json::String(s.clone())),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

fn mismatch(path: &[Seg<'_>], expected: &str, json: &Json) -> Fail {
    fail(
        path,
        format!("expected {expected}, found {}", describe(json)),
    )
}

use crate::avro::{write_bytes as put_bytes, write_long as put_long};

/// The JSON-to-Avro encoder of one schema: its named types, for references.
pub(super) struct Encoder<'s> {
    names: HashMap<String, &'s Schema>,
}

impl<'s> Encoder<'s> {
    /// Index the named types of `root`.
    pub(super) fn new(root: &'s Schema) -> Self {
        let mut names = HashMap::new();
        crate::avro::collect_named_types(root, &mut names);
        Encoder { names }
    }

    /// Append the Avro datum of `json` read as `schema` in `mode` to `out`.
    pub(super) fn encode(
        &self,
        json: &Json,
        schema: &'s Schema,
        mode: Mode,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail> {
        let mut path = Vec::new();
        self.value(json, schema, mode, &mut path, out)
    }

    /// `schema`, or what it refers to.
    pub(super) fn resolve<'a>(&self, schema: &'a Schema) -> &'a Schema
    where
        's: 'a,
    {
        match schema {
            Schema::Ref { name } => self
                .names
                .get(&name.fullname(None))
                .copied()
                .unwrap_or(schema),
            s => s,
        }
    }

    /// Encode `json` as `schema`. The recursion goes through here: kept small (debug
    /// builds give every temporary its own stack slot), the leaves are in [`Self::leaf`].
    fn value<'a>(
        &self,
        json: &'a Json,
        schema: &'a Schema,
        mode: Mode,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        let schema = match schema {
            Schema::Ref { name } => match self.names.get(&name.fullname(None)) {
                Some(target) => *target,
                None => return Err(unknown_ref(schema, path)),
            },
            s => s,
        };
        match schema {
            Schema::Array(a) => self.array(json, a, mode, path, out),
            Schema::Map(m) => self.map(json, m, mode, path, out),
            Schema::Record(r) => self.record(json, r, mode, path, out),
            Schema::Union(u) => self.union(json, u, mode, path, out),
            leaf => self.leaf(json, leaf, mode, path, out),
        }
    }

    /// Encode `json` as a schema without children (and without references).
    fn leaf<'a>(
        &self,
        json: &'a Json,
        schema: &'a Schema,
        mode: Mode,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        match schema {
            Schema::Ref { .. }
            | Schema::Array(_)
            | Schema::Map(_)
            | Schema::Record(_)
            | Schema::Union(_) => self.value(json, schema, mode, path, out),
            Schema::Null => match json {
                Json::Null => Ok(()),
                other => Err(mismatch(path, "null", other)),
            },
            Schema::Boolean => match json {
                Json::Bool(b) => {
                    out.push(u8::from(*b));
                    Ok(())
                }
                other => Err(mismatch(path, "a boolean", other)),
            },
            Schema::Int | Schema::TimeMillis => {
                put_long(i64::from(int(json, path)?), out);
                Ok(())
            }
            Schema::Date => {
                let days = match json {
                    Json::String(s) if mode == Mode::Natural => {
                        datetime::parse_date(s).map_err(|r| fail(path, r))?
                    }
                    other => int(other, path)?,
                };
                put_long(i64::from(days), out);
                Ok(())
            }
            Schema::Long
            | Schema::TimeMicros
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {
                put_long(long(json, path)?, out);
                Ok(())
            }
            Schema::TimestampMillis | Schema::TimestampMicros | Schema::TimestampNanos => {
                let v = match json {
                    Json::String(s) if mode == Mode::Natural => timestamp(s, schema, path)?,
                    other => long(other, path)?,
                };
                put_long(v, out);
                Ok(())
            }
            Schema::Float => {
                let v = float(json, path)?;
                out.extend_from_slice(&(v as f32).to_le_bytes());
                Ok(())
            }
            Schema::Double => {
                let v = float(json, path)?;
                out.extend_from_slice(&v.to_le_bytes());
                Ok(())
            }
            Schema::Bytes => {
                put_bytes(&code_points(json, path)?, out);
                Ok(())
            }
            Schema::String => match json {
                Json::String(s) => {
                    put_bytes(s.as_bytes(), out);
                    Ok(())
                }
                other => Err(mismatch(path, "a string", other)),
            },
            Schema::Uuid(kind) => uuid(json, kind, mode, path, out),
            Schema::Enum(e) => {
                let Json::String(s) = json else {
                    return Err(mismatch(
                        path,
                        &format!("a symbol of enum {}", e.name.fullname(None)),
                        json,
                    ));
                };
                let index = e.symbols.iter().position(|x| x == s).ok_or_else(|| {
                    fail(
                        path,
                        format!(
                            "{s:?} is not a symbol of enum {} (symbols: {})",
                            e.name.fullname(None),
                            e.symbols.join(", ")
                        ),
                    )
                })?;
                put_long(index as i64, out);
                Ok(())
            }
            Schema::Fixed(f) => {
                let b = code_points(json, path)?;
                if b.len() != f.size {
                    return Err(fail(
                        path,
                        format!(
                            "fixed {} holds {} bytes, the string has {}",
                            f.name.fullname(None),
                            f.size,
                            b.len()
                        ),
                    ));
                }
                out.extend_from_slice(&b);
                Ok(())
            }
            Schema::Duration(_) => {
                let b = code_points(json, path)?;
                if b.len() != 12 {
                    return Err(fail(
                        path,
                        format!("a duration is 12 bytes, the string has {}", b.len()),
                    ));
                }
                out.extend_from_slice(&b);
                Ok(())
            }
            Schema::Decimal(d) => decimal(json, d, mode, path, out),
            Schema::BigDecimal => big_decimal(json, path, out),
        }
    }

    fn array<'a>(
        &self,
        json: &'a Json,
        a: &'a apache_avro::schema::ArraySchema,
        mode: Mode,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        let Json::Array(items) = json else {
            return Err(mismatch(path, "an array", json));
        };
        check_depth(path)?;
        if !items.is_empty() {
            put_long(items.len() as i64, out);
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                self.value(item, &a.items, mode, path, out)?;
                path.pop();
            }
        }
        out.push(0);
        Ok(())
    }

    fn map<'a>(
        &self,
        json: &'a Json,
        m: &'a apache_avro::schema::MapSchema,
        mode: Mode,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        let Json::Object(entries) = json else {
            return Err(mismatch(path, "an object (Avro map)", json));
        };
        check_depth(path)?;
        if !entries.is_empty() {
            put_long(entries.len() as i64, out);
            for (k, v) in entries {
                put_bytes(k.as_bytes(), out);
                path.push(Seg::Key(k));
                self.value(v, &m.types, mode, path, out)?;
                path.pop();
            }
        }
        out.push(0);
        Ok(())
    }

    fn union<'a>(
        &self,
        json: &'a Json,
        u: &'a UnionSchema,
        mode: Mode,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        match mode {
            Mode::Avro => self.avro_union(json, u, path, out),
            Mode::Natural => self.natural_union(json, u, path, out),
        }
    }

    fn record<'a>(
        &self,
        json: &'a Json,
        r: &'a RecordSchema,
        mode: Mode,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        let Json::Object(obj) = json else {
            return Err(mismatch(
                path,
                &format!("an object (record {})", r.name.fullname(None)),
                json,
            ));
        };
        check_depth(path)?;
        if let Some(unknown) = obj.keys().find(|k| !r.fields.iter().any(|f| f.name == **k)) {
            path.push(Seg::Key(unknown));
            let names: Vec<&str> = r.fields.iter().map(|f| f.name.as_str()).collect();
            return Err(fail(
                path,
                format!(
                    "unknown field {unknown:?} (record {} has: {})",
                    r.name.fullname(None),
                    names.join(", ")
                ),
            ));
        }
        for field in &r.fields {
            path.push(Seg::Key(&field.name));
            match (obj.get(&field.name), &field.default) {
                (Some(v), _) => self.value(v, &field.schema, mode, path, out)?,
                (None, Some(default)) => {
                    let mark = out.len();
                    crate::avro::encode_default(&field.schema, default, &self.names, out)
                        .map_err(|e| {
                            out.truncate(mark);
                            fail(
                                path,
                                format!(
                                    "field {:?} is missing and its default does not fit its schema: {e}",
                                    field.name
                                ),
                            )
                        })?
                }
                (None, None) => {
                    return Err(fail(
                        path,
                        format!(
                            "missing field {:?} of record {} (it has no default)",
                            field.name,
                            r.name.fullname(None)
                        ),
                    ))
                }
            }
            path.pop();
        }
        Ok(())
    }

    /// The name a union branch goes by in Avro's JSON encoding: the full name of a named
    /// type, else the (underlying) type name.
    pub(super) fn branch_name<'a>(&self, branch: &'a Schema) -> Cow<'a, str>
    where
        's: 'a,
    {
        let name = match self.resolve(branch) {
            Schema::Record(r) => return Cow::Owned(r.name.fullname(None)),
            Schema::Enum(e) => return Cow::Owned(e.name.fullname(None)),
            Schema::Fixed(f) | Schema::Duration(f) | Schema::Uuid(UuidSchema::Fixed(f)) => {
                return Cow::Owned(f.name.fullname(None))
            }
            Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Fixed(f),
                ..
            }) => return Cow::Owned(f.name.fullname(None)),
            Schema::Ref { name } => return Cow::Owned(name.fullname(None)),
            Schema::Null => "null",
            Schema::Boolean => "boolean",
            Schema::Int | Schema::Date | Schema::TimeMillis => "int",
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => "long",
            Schema::Float => "float",
            Schema::Double => "double",
            Schema::Bytes | Schema::Decimal(_) | Schema::BigDecimal => "bytes",
            Schema::Uuid(UuidSchema::Bytes) => "bytes",
            Schema::String | Schema::Uuid(_) => "string",
            Schema::Array(_) => "array",
            Schema::Map(_) => "map",
            Schema::Union(_) => "union",
        };
        Cow::Borrowed(name)
    }

    /// The branch `key` names: by full name, else by unqualified name if only one branch
    /// has it.
    fn branch_named(&self, variants: &[Schema], key: &str) -> Option<usize> {
        if let Some(i) = variants.iter().position(|b| self.branch_name(b) == key) {
            return Some(i);
        }
        let short: Vec<usize> = variants
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                let n = self.branch_name(b);
                n.contains('.') && n.rsplit('.').next() == Some(key)
            })
            .map(|(i, _)| i)
            .collect();
        match short.as_slice() {
            [i] => Some(*i),
            _ => None,
        }
    }

    fn union_names(&self, u: &UnionSchema) -> String {
        let names: Vec<Cow<'_, str>> = u.variants().iter().map(|b| self.branch_name(b)).collect();
        format!("[{}]", names.join(", "))
    }

    /// A JSON null in a union: the index of its null branch (written to `out`, and returned).
    fn null_branch(
        &self,
        u: &UnionSchema,
        path: &Path<'_>,
        out: &mut Vec<u8>,
    ) -> Result<usize, Fail> {
        let i = u
            .variants()
            .iter()
            .position(|b| matches!(b, Schema::Null))
            .ok_or_else(|| {
                fail(
                    path,
                    format!("null, but the union {} has no null", self.union_names(u)),
                )
            })?;
        put_long(i as i64, out);
        Ok(i)
    }

    fn avro_union<'a>(
        &self,
        json: &'a Json,
        u: &'a UnionSchema,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        let variants = u.variants();
        if json.is_null() {
            return self.null_branch(u, path, out).map(|_| ());
        }
        let single = match json {
            Json::Object(obj) if obj.len() == 1 => obj.iter().next(),
            _ => None,
        };
        let Some((key, value)) = single else {
            return Err(fail(
                path,
                format!(
                    "a union in Avro JSON is null or {{\"<branch>\": value}} with a branch of {}; found {}",
                    self.union_names(u),
                    describe(json)
                ),
            ));
        };
        let i = self.branch_named(variants, key).ok_or_else(|| {
            fail(
                path,
                format!(
                    "{key:?} names no branch of the union {}",
                    self.union_names(u)
                ),
            )
        })?;
        put_long(i as i64, out);
        path.push(Seg::Key(key));
        self.value(value, &variants[i], Mode::Avro, path, out)?;
        path.pop();
        Ok(())
    }

    fn natural_union<'a>(
        &self,
        json: &'a Json,
        u: &'a UnionSchema,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<(), Fail>
    where
        's: 'a,
    {
        self.natural_union_branch(json, u, path, out).map(|_| ())
    }

    /// The branch of `u` the natural reader takes for `json`, as the encoder decides it
    /// (writing nothing): what [`avro_frame_to_json`](super::avro_frame_to_json) asks to
    /// know whether a value printed plainly would read back as its own branch. `None` if no
    /// branch accepts it.
    pub(super) fn natural_branch(&self, json: &Json, u: &'s UnionSchema) -> Option<usize> {
        let variants = u.variants();
        // The common case needs no trial encoding: one branch can take the value's JSON kind
        // at all (`["null", T]`, or a union whose branches all differ in kind). An object
        // always counts as possible data here: a record or a map prints as one whose keys
        // are the record's fields or the map's keys, so it is not read as the wrapped form.
        if !json.is_null() {
            let mut fitting = variants
                .iter()
                .enumerate()
                .filter(|(_, b)| natural_rank(json, self.resolve(b)).is_some())
                .map(|(i, _)| i);
            if let (Some(only), None) = (fitting.next(), fitting.next()) {
                return Some(only);
            }
        }
        let mut scratch = Vec::new();
        self.natural_union_branch(json, u, &mut Vec::new(), &mut scratch)
            .ok()
    }

    /// [`Self::natural_union`], answering the branch it wrote.
    fn natural_union_branch<'a>(
        &self,
        json: &'a Json,
        u: &'a UnionSchema,
        path: &mut Path<'a>,
        out: &mut Vec<u8>,
    ) -> Result<usize, Fail>
    where
        's: 'a,
    {
        let variants = u.variants();
        if json.is_null() {
            return self.null_branch(u, path, out);
        }
        // The Avro-JSON wrapped form `{"branch": value}`. When the union has a map, or a
        // record with a field of that name, the object may be data: then the data readings
        // are tried first, and the wrapped one only when none fits — the form `consume`
        // prints for a record or map that its plain value would make another branch.
        let wrapped = match json {
            Json::Object(obj) if obj.len() == 1 => obj
                .iter()
                .next()
                .and_then(|(key, value)| Some((key, value, self.branch_named(variants, key)?))),
            _ => None,
        };
        let could_be_data = wrapped.is_some_and(|(key, _, _)| {
            variants.iter().any(|b| match self.resolve(b) {
                Schema::Record(r) => r.fields.iter().any(|f| f.name == *key),
                Schema::Map(_) => true,
                _ => false,
            })
        });
        if let (false, Some((key, value, i))) = (could_be_data, wrapped) {
            put_long(i as i64, out);
            path.push(Seg::Key(key));
            self.value(value, &variants[i], Mode::Natural, path, out)?;
            path.pop();
            return Ok(i);
        }
        let mut candidates: Vec<((usize, usize, usize), usize)> = variants
            .iter()
            .enumerate()
            .filter_map(|(i, b)| natural_rank(json, self.resolve(b)).map(|r| (r, i)))
            .collect();
        candidates.sort();
        let depth = path.len();
        let mark = out.len();
        let mut failures = Vec::new();
        for (_, i) in candidates {
            put_long(i as i64, out);
            match self.value(json, &variants[i], Mode::Natural, path, out) {
                Ok(()) => return Ok(i),
                Err(e) => {
                    out.truncate(mark);
                    path.truncate(depth);
                    failures.push((i, e));
                }
            }
        }
        // No data reading fits: the wrapped form, if the object is one.
        if let Some((key, value, i)) = wrapped {
            put_long(i as i64, out);
            path.push(Seg::Key(key));
            match self.value(value, &variants[i], Mode::Natural, path, out) {
                Ok(()) => {
                    path.pop();
                    return Ok(i);
                }
                Err(e) => {
                    out.truncate(mark);
                    path.truncate(depth);
                    failures.push((i, e));
                }
            }
        }
        // One plausible branch (the only one tried, or the only record the keys fit): its
        // own error, at its own path, says most.
        let plausible: Vec<usize> = failures
            .iter()
            .enumerate()
            .filter(|(_, (i, _))| match (json, self.resolve(&variants[*i])) {
                (Json::Object(_), Schema::Record(_)) => {
                    matches!(
                        natural_rank(json, self.resolve(&variants[*i])),
                        Some((0, 0, _))
                    )
                }
                _ => true,
            })
            .map(|(k, _)| k)
            .collect();
        match (failures.len(), plausible.as_slice()) {
            (1, _) => return Err(failures.swap_remove(0).1),
            (_, [k]) => return Err(failures.swap_remove(*k).1),
            _ => {}
        }
        let mut reason = format!(
            "{} fits no branch of the union {}",
            describe(json),
            self.union_names(u)
        );
        for (i, e) in &failures {
            let _ = write!(
                reason,
                "; as {}: {} at {}",
                self.branch_name(&variants[*i]),
                e.reason,
                e.path
            );
        }
        Err(fail(path, reason))
    }
}

/// Whether (and how early) a natural JSON value is tried against a union branch: `None` if
/// it cannot fit; candidates are tried in ascending rank, then union order.
fn natural_rank(json: &Json, branch: &Schema) -> Option<(usize, usize, usize)> {
    let rank = |r: usize| Some((r, 0, 0));
    match (json, branch) {
        (Json::Bool(_), Schema::Boolean) => rank(0),
        (
            Json::Number(_),
            Schema::Int
            | Schema::Long
            | Schema::Float
            | Schema::Double
            | Schema::Decimal(_)
            | Schema::BigDecimal
            | Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos,
        ) => rank(0),
        (Json::String(_), s) => match s {
            Schema::String => rank(0),
            Schema::Uuid(_) => rank(1),
            Schema::Enum(_) => rank(2),
            Schema::Decimal(_) | Schema::BigDecimal => rank(3),
            Schema::Date
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos => rank(4),
            Schema::Bytes => rank(5),
            Schema::Fixed(_) | Schema::Duration(_) => rank(6),
            Schema::Float | Schema::Double if json.as_str().and_then(non_finite).is_some() => {
                rank(7)
            }
            _ => None,
        },
        (Json::Array(_), Schema::Array(_)) => rank(0),
        (Json::Object(obj), Schema::Record(r)) => {
            // Best match first: no unknown keys, then fewest missing required fields, then
            // fewest fields left to their defaults.
            let unknown = obj
                .keys()
                .filter(|k| !r.fields.iter().any(|f| f.name == **k))
                .count();
            let missing = r.fields.iter().filter(|f| !obj.contains_key(&f.name));
            let required = missing.clone().filter(|f| f.default.is_none()).count();
            Some((unknown, required, missing.count()))
        }
        (Json::Object(_), Schema::Map(_)) => Some((usize::MAX, 0, 0)),
        _ => None,
    }
}

#[cold]
fn unknown_ref(schema: &Schema, path: &[Seg<'_>]) -> Fail {
    let name = match schema {
        Schema::Ref { name } => name.fullname(None),
        _ => String::new(),
    };
    fail(path, format!("the schema refers to unknown type {name}"))
}

fn check_depth(path: &[Seg<'_>]) -> Result<(), Fail> {
    if path.len() >= MAX_DEPTH {
        return Err(fail(path, format!("nested deeper than {MAX_DEPTH} levels")));
    }
    Ok(())
}

fn int(json: &Json, path: &[Seg<'_>]) -> Result<i32, Fail> {
    let Json::Number(n) = json else {
        return Err(mismatch(path, "an integer (int)", json));
    };
    n.as_i64()
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| {
            if n.is_f64() {
                mismatch(path, "an integer (int)", json)
            } else {
                fail(path, format!("{n} is out of range for an int (32 bits)"))
            }
        })
}

fn long(json: &Json, path: &[Seg<'_>]) -> Result<i64, Fail> {
    let Json::Number(n) = json else {
        return Err(mismatch(path, "an integer (long)", json));
    };
    n.as_i64().ok_or_else(|| {
        if n.is_f64() {
            mismatch(path, "an integer (long)", json)
        } else {
            fail(path, format!("{n} is out of range for a long (64 bits)"))
        }
    })
}

fn float(json: &Json, path: &[Seg<'_>]) -> Result<f64, Fail> {
    match json {
        Json::Number(n) => n.as_f64().ok_or_else(|| mismatch(path, "a number", json)),
        Json::String(s) => non_finite(s).ok_or_else(|| {
            mismatch(
                path,
                "a number (or \"NaN\", \"Infinity\", \"-Infinity\")",
                json,
            )
        }),
        other => Err(mismatch(path, "a number", other)),
    }
}

/// A non-finite float as JSON carries it, in a string: `"NaN"`, `"Infinity"`, `"-Infinity"`
/// (what Java's Avro JSON encoder, through Jackson, and the proto3 JSON mapping write, and
/// what decoding prints), and `"INF"`, `"-INF"` (XML Schema's and numpy's spelling).
fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" | "INF" => Some(f64::INFINITY),
        "-Infinity" | "-INF" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Bytes as Avro's JSON encoding writes them: a string whose code points 0–255 are the bytes.
fn code_points(json: &Json, path: &[Seg<'_>]) -> Result<Vec<u8>, Fail> {
    let Json::String(s) = json else {
        return Err(mismatch(
            path,
            "a string of code points 0-255 (bytes)",
            json,
        ));
    };
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            u8::try_from(u32::from(c)).map_err(|_| {
                fail(
                    path,
                    format!(
                        "character {c:?} (U+{:04X}) at position {i} is not a byte: bytes are a string of code points 0-255",
                        u32::from(c)
                    ),
                )
            })
        })
        .collect()
}

fn uuid(
    json: &Json,
    kind: &UuidSchema,
    mode: Mode,
    path: &[Seg<'_>],
    out: &mut Vec<u8>,
) -> Result<(), Fail> {
    let Json::String(s) = json else {
        return Err(mismatch(path, "a UUID string", json));
    };
    // Avro JSON of a bytes/fixed UUID is its 16 bytes as code points; a UUID's text is
    // never 16 characters, so both are accepted.
    let binary = !matches!(kind, UuidSchema::String);
    if binary && mode != Mode::Natural && s.chars().count() == 16 {
        let raw = code_points(json, path)?;
        match kind {
            UuidSchema::Bytes => put_bytes(&raw, out),
            _ => out.extend_from_slice(&raw),
        }
        return Ok(());
    }
    let u = uuid::Uuid::parse_str(s)
        .map_err(|e| fail(path, format!("{} is not a UUID: {e}", describe(json))))?;
    match kind {
        UuidSchema::String => put_bytes(u.hyphenated().to_string().as_bytes(), out),
        UuidSchema::Bytes => put_bytes(u.as_bytes(), out),
        UuidSchema::Fixed(f) => {
            if f.size != 16 {
                return Err(fail(
                    path,
                    format!(
                        "uuid on fixed {} of {} bytes (must be 16)",
                        f.name.fullname(None),
                        f.size
                    ),
                ));
            }
            out.extend_from_slice(u.as_bytes());
        }
    }
    Ok(())
}

fn timestamp(s: &str, schema: &Schema, path: &[Seg<'_>]) -> Result<i64, Fail> {
    let (secs, nanos) = datetime::parse_rfc3339(s).map_err(|r| fail(path, r))?;
    let (per_sec, unit, name) = match schema {
        Schema::TimestampMillis => (1_000i64, 1_000_000u32, "timestamp-millis"),
        Schema::TimestampMicros => (1_000_000, 1_000, "timestamp-micros"),
        _ => (1_000_000_000, 1, "timestamp-nanos"),
    };
    if nanos % unit != 0 {
        return Err(fail(path, format!("{s:?} is more precise than {name}")));
    }
    secs.checked_mul(per_sec)
        .and_then(|v| v.checked_add(i64::from(nanos / unit)))
        .ok_or_else(|| fail(path, format!("{s:?} is out of range for {name}")))
}

fn decimal(
    json: &Json,
    d: &DecimalSchema,
    mode: Mode,
    path: &[Seg<'_>],
    out: &mut Vec<u8>,
) -> Result<(), Fail> {
    let text = match (json, mode) {
        (Json::Number(n), _) => n.to_string(),
        (Json::String(s), Mode::Natural) => s.clone(),
        (Json::String(_), Mode::Avro) => {
            // Avro JSON: the two's-complement bytes themselves, written as given.
            let raw = code_points(json, path)?;
            match &d.inner {
                InnerDecimalSchema::Bytes => put_bytes(&raw, out),
                InnerDecimalSchema::Fixed(f) if raw.len() == f.size => out.extend_from_slice(&raw),
                InnerDecimalSchema::Fixed(f) => {
                    return Err(fail(
                        path,
                        format!(
                            "decimal on fixed {} holds {} bytes, the string has {}",
                            f.name.fullname(None),
                            f.size,
                            raw.len()
                        ),
                    ))
                }
            }
            return Ok(());
        }
        (other, _) => {
            return Err(mismatch(
                path,
                &format!("a decimal (a string like \"12.34\", scale {})", d.scale),
                other,
            ))
        }
    };
    let unscaled = parse_decimal(&text, d.precision, d.scale).map_err(|r| fail(path, r))?;
    let bytes = unscaled.to_signed_bytes_be();
    match &d.inner {
        InnerDecimalSchema::Bytes => put_bytes(&bytes, out),
        InnerDecimalSchema::Fixed(f) => {
            if bytes.len() > f.size {
                return Err(fail(
                    path,
                    format!(
                        "{text} needs {} bytes, fixed {} has {}",
                        bytes.len(),
                        f.name.fullname(None),
                        f.size
                    ),
                ));
            }
            let sign = if unscaled.sign() == num_bigint::Sign::Minus {
                0xff
            } else {
                0
            };
            out.extend(std::iter::repeat_n(sign, f.size - bytes.len()));
            out.extend_from_slice(&bytes);
        }
    }
    Ok(())
}

/// The unscaled value of decimal text (`-12.34`, `5`, `1.5e3`) at `scale`: an error if it
/// has more fraction digits than the scale or more digits than the precision.
pub(super) fn parse_decimal(text: &str, precision: usize, scale: usize) -> Result<BigInt, String> {
    let bad = || format!("{text:?} is not a decimal number like \"12.34\"");
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            (m, e.parse::<i64>().map_err(|_| bad())?)
        }
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let fraction_digits = frac.len() as i64 - exponent;
    let scale_i = scale as i64;
    if fraction_digits > scale_i {
        return Err(format!(
            "{text} has {fraction_digits} digits after the point, more than the schema's scale {scale}"
        ));
    }
    let digits: String = int.chars().chain(frac.chars()).collect();
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(BigInt::from(0));
    }
    let shift = scale_i - fraction_digits;
    let total = digits.len() as i64 + shift;
    if total > precision as i64 {
        return Err(format!(
            "{text} has {total} digits at scale {scale}, more than the schema's precision {precision}"
        ));
    }
    if total > MAX_DECIMAL_DIGITS {
        return Err(format!("{text} has more than {MAX_DECIMAL_DIGITS} digits"));
    }
    let mut unscaled = BigInt::from_str(digits).map_err(|_| bad())?;
    unscaled *= BigInt::from(10u32).pow(u32::try_from(shift).map_err(|_| bad())?);
    if negative {
        unscaled = -unscaled;
    }
    Ok(unscaled)
}

fn big_decimal(json: &Json, path: &[Seg<'_>], out: &mut Vec<u8>) -> Result<(), Fail> {
    let text = match json {
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.clone(),
        other => return Err(mismatch(path, "a decimal number (big-decimal)", other)),
    };
    let value = apache_avro::BigDecimal::from_str(&text)
        .map_err(|e| fail(path, format!("{text:?} is not a decimal number: {e}")))?;
    let schema = Schema::BigDecimal;
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
        .build()
        .map_err(|e| fail(path, e.to_string()))?;
    writer
        .write_value(out, apache_avro::types::Value::BigDecimal(value))
        .map_err(|e| fail(path, e.to_string()))?;
    Ok(())
}
