//! `.avsc` → serde types.
//!
//! Hand-written rather than `rsgen-avro`: rsgen-avro 0.19 targets apache-avro 0.21, generates a
//! referenced named type again in every file that uses it, and its derive mode fails on enums and
//! decimals. What we need is small: one module per file, cross-file references by path, decimals
//! as `schemaflow::Decimal<SCALE>` (minimal two's-complement bytes, as Java and fastavro write),
//! `BTreeMap` for maps, and the original file text kept for the registry.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use apache_avro::schema::{InnerDecimalSchema, Name, RecordSchema, UnionSchema, UuidSchema};
use apache_avro::Schema;

mod codec;

use crate::rust::{doc_lines, field_ident, serde_name, str_lit, type_ident};
use crate::{CodegenError, SourceFile};

/// What a set exports for a later set (evolution) to refer to.
#[derive(Debug, Clone)]
pub struct SetExports {
    files: Vec<SourceFile>,
    /// Full name → Rust path, for every named type of the set.
    paths: BTreeMap<String, String>,
    /// Full name → index into `files` of the file that defines it.
    owner: BTreeMap<String, usize>,
    /// Path of the set's `__schemaflow_meta` module.
    meta_path: String,
}

struct Ctx<'a> {
    rt: &'a str,
    /// The builder's `type_attribute`s: (full name or ".", attribute).
    attributes: &'a [(String, String)],
    /// Every named type visible to this set: full name → Rust path (absolute).
    paths: BTreeMap<String, String>,
    /// Full name → (is this set, file index) of the defining file.
    owner: BTreeMap<String, (bool, usize)>,
    /// Names defined in the file being generated (emitted bare, not by path).
    local: BTreeSet<String>,
    /// Union enums already emitted in the current module.
    unions: BTreeSet<String>,
    /// Extra items (union enums) for the current module.
    extra: String,
    /// Full names of every record visible to this set (their views borrow from the frame).
    records: BTreeSet<String>,
}

/// Generate one set of `.avsc` files into `out` as modules named after the file stems.
/// `context` is an earlier set whose named types these files may reference (a separate set →
/// the main set), emitted in the module just outside this set's.
///
/// Paths between generated items are relative (`super::address::Address`), so the tree can be
/// included anywhere in a user's crate.
pub fn generate_set(
    out: &mut String,
    files: &[SourceFile],
    context: Option<&SetExports>,
    rt: &str,
    attributes: &[(String, String)],
) -> Result<SetExports, CodegenError> {
    // Seen from a file's module, the set's module is `super`.
    let module_path = "super";
    let meta_path = format!("{module_path}::__schemaflow_meta");
    if files.is_empty() {
        return Ok(SetExports {
            files: Vec::new(),
            paths: BTreeMap::new(),
            owner: BTreeMap::new(),
            meta_path,
        });
    }
    for f in files {
        serde_json::from_str::<serde_json::Value>(&f.text).map_err(|e| CodegenError {
            file: f.path.display().to_string(),
            reason: format!("invalid JSON: {e}"),
        })?;
    }
    // Context files that define a name this set redefines (v1 of an evolved type) are left out.
    let redefined: BTreeSet<String> = files
        .iter()
        .filter_map(|f| top_level_name(&f.text))
        .collect();
    let kept: BTreeSet<usize> = context
        .map(|c| {
            (0..c.files.len())
                .filter(|j| {
                    !c.owner
                        .iter()
                        .any(|(name, owner)| owner == j && redefined.contains(name))
                })
                .collect()
        })
        .unwrap_or_default();
    let ctx_files: Vec<SourceFile> = context
        .map(|c| kept.iter().map(|j| c.files[*j].clone()).collect())
        .unwrap_or_default();
    let ctx_files = ctx_files.as_slice();
    let texts: Vec<&str> = ctx_files
        .iter()
        .chain(files.iter())
        .map(|f| f.text.as_str())
        .collect();
    let parsed = Schema::parse_list(&texts).map_err(|e| blame(files, ctx_files, e))?;
    let mut records = BTreeSet::new();
    for schema in &parsed {
        let mut all = vec![schema];
        collect_named(schema, &mut all);
        for s in all {
            if let Schema::Record(r) = s {
                records.insert(r.name.fullname(None));
            }
        }
    }
    let parsed = &parsed[ctx_files.len()..];

    // Claim named types: a file's top-level type first, then the types defined inline in it.
    let mut ctx = Ctx {
        rt,
        attributes,
        // The context's module is one level further out than this set's.
        paths: context
            .map(|c| {
                c.paths
                    .iter()
                    .filter(|(k, _)| c.owner.get(*k).is_some_and(|j| kept.contains(j)))
                    .map(|(k, v)| (k.clone(), format!("super::{v}")))
                    .collect()
            })
            .unwrap_or_default(),
        owner: context
            .map(|c| {
                c.owner
                    .iter()
                    .filter(|(_, j)| kept.contains(j))
                    .map(|(k, v)| (k.clone(), (false, *v)))
                    .collect()
            })
            .unwrap_or_default(),
        local: BTreeSet::new(),
        unions: BTreeSet::new(),
        extra: String::new(),
        records,
    };
    let modules: Vec<String> = files.iter().map(|f| module_name(&f.rel)).collect();
    let mut defined: Vec<Vec<&Schema>> = vec![Vec::new(); files.len()];
    for (i, schema) in parsed.iter().enumerate() {
        if let Some(name) = named(schema) {
            claim(
                &mut ctx,
                &mut defined[i],
                schema,
                name,
                i,
                module_path,
                &modules[i],
            );
        }
    }
    for (i, schema) in parsed.iter().enumerate() {
        let mut inline = Vec::new();
        collect_named(schema, &mut inline);
        for s in inline {
            if let Some(name) = named(s) {
                if !ctx.owner.contains_key(&name.fullname(None)) {
                    claim(
                        &mut ctx,
                        &mut defined[i],
                        s,
                        name,
                        i,
                        module_path,
                        &modules[i],
                    );
                }
            }
        }
    }

    // Metadata consts: each file's text and its references (other files' top-level types).
    let mut meta = String::from("#[doc(hidden)]\npub mod __schemaflow_meta {\n");
    for (i, (f, schema)) in files.iter().zip(parsed).enumerate() {
        let _ = writeln!(meta, "    pub const FILE_{i}: &str = {};", str_lit(&f.text));
        let mut refs = BTreeSet::new();
        collect_refs(schema, &mut refs);
        let mut items = Vec::new();
        for r in refs {
            let Some(&(this_set, j)) = ctx.owner.get(&r) else {
                continue;
            };
            if this_set && j == i {
                continue;
            }
            let (file, meta_mod) = if this_set {
                (&files[j], "self".to_string())
            } else {
                let c = context.expect("owner outside this set implies a context");
                // From this set's meta module, the context's is two levels out.
                (&c.files[j], format!("super::{}", c.meta_path))
            };
            // Reference the defining file's top-level type: that is what a registry subject holds.
            let top = if this_set { named(&parsed[j]) } else { None }
                .map(|n| n.fullname(None))
                .unwrap_or(r.clone());
            let entry = format!(
                "{rt}::GeneratedReference {{ name: {}, file: {}, schema_type: {rt}::SchemaType::Avro, schema_text: {meta_mod}::FILE_{j}, references: {meta_mod}::REFS_{j} }}",
                str_lit(&top),
                str_lit(&file.rel),
            );
            if !items.contains(&entry) {
                items.push(entry);
            }
        }
        let _ = writeln!(
            meta,
            "    pub const REFS_{i}: &[{rt}::GeneratedReference] = &[{}];",
            items.join(", ")
        );
    }
    meta.push_str("}\n");
    out.push_str(&meta);

    for (i, f) in files.iter().enumerate() {
        ctx.local = defined[i]
            .iter()
            .filter_map(|s| named(s).map(|n| n.fullname(None)))
            .collect();
        ctx.unions.clear();
        ctx.extra.clear();
        let mut body = String::new();
        for schema in &defined[i] {
            emit_named(&mut ctx, &mut body, schema)?;
        }
        // Each named type's own Avro binary encoder and decoder (`AvroDatum`).
        for schema in &defined[i] {
            body.push_str(&codec::named_codec(rt, schema));
        }
        if let Some(top) = named(&parsed[i]) {
            let ident = type_ident(top.name());
            let _ = write!(
                body,
                "impl {rt}::GeneratedSchema for {ident} {{\n    const SCHEMA_TYPE: {rt}::SchemaType = {rt}::SchemaType::Avro;\n    const FULL_NAME: &'static str = {};\n    const SCHEMA_TEXT: &'static str = super::__schemaflow_meta::FILE_{i};\n    const FILE: &'static str = {};\n    const REFERENCES: &'static [{rt}::GeneratedReference] = super::__schemaflow_meta::REFS_{i};\n    const MESSAGE_INDEXES: &'static [i32] = &[];\n}}\n\
impl {ident} {{\n    /// The Avro codec of this type: its schema parsed once per process.\n    #[doc(hidden)]\n    pub fn __schemaflow_codec() -> {rt}::codec::Result<&'static {rt}::codec::avro::AvroCodec<Self>> {{\n        static CODEC: ::std::sync::OnceLock<::std::result::Result<{rt}::codec::avro::AvroCodec<{ident}>, ::std::string::String>> = ::std::sync::OnceLock::new();\n        CODEC.get_or_init(|| {rt}::codec::avro::AvroCodec::new().map_err(|e| e.to_string())).as_ref().map_err(|e| {rt}::SchemaError::ParseAvroSchema {{ name: {name}.to_string(), reason: e.clone() }})\n    }}\n}}\n\
impl {rt}::codec::RegistryCodec for {ident} {{\n    fn encode_frame(&self, id: {rt}::wire::SchemaId, buf: &mut ::std::vec::Vec<u8>) -> {rt}::codec::Result<()> {{\n        Self::__schemaflow_codec()?.encode(id, self, buf)\n    }}\n    fn decode_frame(frame: &[u8], writer: &{rt}::codec::WriterSchema) -> {rt}::codec::Result<({rt}::wire::SchemaId, Self)> {{\n        Self::__schemaflow_codec()?.decode_writer(frame, writer)\n    }}\n    fn decode_frame_into(&mut self, frame: &[u8], writer: &{rt}::codec::WriterSchema) -> {rt}::codec::Result<{rt}::wire::SchemaId> {{\n        Self::__schemaflow_codec()?.decode_writer_into(frame, writer, self)\n    }}\n}}\n\
impl {ident} {{\n    /// Decode a frame written with `writer` into `self`, reusing its strings, vectors and map entries (the value is the one `decode_frame` gives; on error `self` is valid but partly overwritten).\n    pub fn decode_into(&mut self, frame: &[u8], writer: &{rt}::codec::WriterSchema) -> {rt}::codec::Result<{rt}::wire::SchemaId> {{\n        Self::__schemaflow_codec()?.decode_writer_into(frame, writer, self)\n    }}\n    /// A borrowed view of the frame's value, read in place without allocating: `None` when `writer` is neither this type's schema nor one it drops only trailing fields of (then decode it).\n    pub fn view<'a>(frame: &'a [u8], writer: &{rt}::codec::WriterSchema) -> {rt}::codec::Result<::std::option::Option<({rt}::wire::SchemaId, {ident}Ref<'a>)>> {{\n        Self::__schemaflow_codec()?.view_writer(frame, writer)\n    }}\n}}\n",
                str_lit(&top.fullname(None)),
                str_lit(&f.rel),
                name = str_lit(&top.fullname(None)),
            );
        }
        let _ = write!(
            out,
            "/// Types generated from `{}`.\n#[allow(clippy::all, missing_docs)]\npub mod {} {{\n{}{}}}\n",
            f.rel, modules[i], body, ctx.extra
        );
    }

    let mut owner = BTreeMap::new();
    for (k, (this_set, i)) in &ctx.owner {
        if *this_set {
            owner.insert(k.clone(), *i);
        }
    }
    let own_paths = ctx
        .paths
        .iter()
        .filter(|(k, _)| owner.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(SetExports {
        files: files.to_vec(),
        paths: own_paths,
        owner,
        meta_path,
    })
}

fn claim<'s>(
    ctx: &mut Ctx<'_>,
    defined: &mut Vec<&'s Schema>,
    schema: &'s Schema,
    name: &Name,
    file: usize,
    module_path: &str,
    module: &str,
) {
    let full = name.fullname(None);
    if ctx.owner.get(&full).is_some_and(|(this, _)| *this) {
        return;
    }
    ctx.owner.insert(full.clone(), (true, file));
    ctx.paths.insert(
        full,
        format!("{module_path}::{module}::{}", type_ident(name.name())),
    );
    defined.push(schema);
}

/// Module name for a file: its stem, snake case (`user_event.avsc` → `user_event`).
fn module_name(rel: &str) -> String {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let stem = file.split('.').next().unwrap_or(file);
    field_ident(stem)
}

/// Find which file broke `parse_list`: the first whose removal makes the rest parse.
fn blame(files: &[SourceFile], ctx: &[SourceFile], e: apache_avro::Error) -> CodegenError {
    for skip in 0..files.len() {
        let rest: Vec<&str> = ctx
            .iter()
            .chain(
                files
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, f)| f),
            )
            .map(|f| f.text.as_str())
            .collect();
        if Schema::parse_list(&rest).is_ok() {
            let alone = Schema::parse_list(
                ctx.iter()
                    .map(|f| f.text.as_str())
                    .chain(std::iter::once(files[skip].text.as_str())),
            );
            let reason = match alone {
                Err(e) => e.to_string(),
                Ok(_) => e.to_string(),
            };
            return CodegenError {
                file: files[skip].path.display().to_string(),
                reason,
            };
        }
    }
    CodegenError {
        file: files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        reason: e.to_string(),
    }
}

/// The full name a file's top-level JSON declares, without parsing its references.
fn top_level_name(text: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let name = json.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_string());
    }
    match json.get("namespace").and_then(|n| n.as_str()) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

fn named(schema: &Schema) -> Option<&Name> {
    match schema {
        Schema::Record(r) => Some(&r.name),
        Schema::Enum(e) => Some(&e.name),
        Schema::Fixed(f) => Some(&f.name),
        _ => None,
    }
}

/// Named types defined inline below `schema` (not `schema` itself), in definition order.
fn collect_named<'s>(schema: &'s Schema, out: &mut Vec<&'s Schema>) {
    for child in children(schema) {
        if named(child).is_some() {
            out.push(child);
        }
        collect_named(child, out);
    }
}

/// Full names of every `Ref` below `schema`.
fn collect_refs(schema: &Schema, out: &mut BTreeSet<String>) {
    if let Schema::Ref { name } = schema {
        out.insert(name.fullname(None));
    }
    for child in children(schema) {
        collect_refs(child, out);
    }
}

fn children(schema: &Schema) -> Vec<&Schema> {
    match schema {
        Schema::Record(r) => r.fields.iter().map(|f| &f.schema).collect(),
        Schema::Array(a) => vec![&*a.items],
        Schema::Map(m) => vec![&*m.types],
        Schema::Union(u) => u.variants().iter().collect(),
        _ => Vec::new(),
    }
}

fn emit_named(ctx: &mut Ctx<'_>, out: &mut String, schema: &Schema) -> Result<(), CodegenError> {
    match schema {
        Schema::Record(r) => emit_record(ctx, out, r),
        Schema::Enum(e) => {
            let ident = type_ident(e.name.name());
            out.push_str(&doc_lines(e.doc.as_deref(), ""));
            push_attributes(ctx, out, &e.name.fullname(None));
            let _ = writeln!(
                out,
                "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, {rt}::codegen_support::serde::Serialize, {rt}::codegen_support::serde::Deserialize)]\n#[serde(crate = \"{rt}::codegen_support::serde\")]\npub enum {ident} {{",
                rt = ctx.rt
            );
            for sym in &e.symbols {
                let v = type_ident(sym);
                let _ = writeln!(out, "    #[serde(rename = {})]\n    {v},", str_lit(sym));
            }
            out.push_str("}\n");
            Ok(())
        }
        Schema::Fixed(f) => {
            let ident = type_ident(f.name.name());
            out.push_str(&doc_lines(f.doc.as_deref(), ""));
            let _ = writeln!(out, "pub type {ident} = [u8; {}];", f.size);
            Ok(())
        }
        _ => Ok(()),
    }
}

fn emit_record(ctx: &mut Ctx<'_>, out: &mut String, r: &RecordSchema) -> Result<(), CodegenError> {
    let ident = type_ident(r.name.name());
    out.push_str(&doc_lines(r.doc.as_deref(), ""));
    push_attributes(ctx, out, &r.name.fullname(None));
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq, {rt}::codegen_support::serde::Serialize, {rt}::codegen_support::serde::Deserialize)]\n#[serde(crate = \"{rt}::codegen_support::serde\")]\npub struct {ident} {{",
        rt = ctx.rt
    );
    for field in &r.fields {
        let (ty, with) = rust_type(ctx, &field.schema, &ident, &field.name)?;
        let fid = field_ident(&field.name);
        out.push_str(&doc_lines(field.doc.as_deref(), "    "));
        if serde_name(&fid) != field.name {
            let _ = writeln!(out, "    #[serde(rename = {})]", str_lit(&field.name));
        }
        if let Some(with) = with {
            let _ = writeln!(
                out,
                "    #[serde(with = \"{}::codegen_support::avro::{with}\")]",
                ctx.rt
            );
        }
        let _ = writeln!(out, "    pub {fid}: {ty},");
    }
    out.push_str("}\n");
    // The borrowed view, `{ident}Ref<'a>`.
    let mut fields = Vec::new();
    for field in &r.fields {
        let ty = view_type(ctx, &field.schema, &ident, &field.name)?;
        fields.push((field_ident(&field.name), ty, &field.schema));
    }
    let marker = !r.fields.iter().any(|f| borrows(ctx, &f.schema));
    out.push_str(&codec::record_view(ctx.rt, &ident, &fields, marker));
    Ok(())
}

/// Whether the view of a value of `schema` borrows from the frame (then its type has `'a`).
fn borrows(ctx: &Ctx<'_>, schema: &Schema) -> bool {
    match schema {
        Schema::String
        | Schema::Bytes
        | Schema::Uuid(UuidSchema::Bytes)
        | Schema::BigDecimal
        | Schema::Array(_)
        | Schema::Map(_)
        | Schema::Record(_) => true,
        Schema::Ref { name } => ctx.records.contains(&name.fullname(None)),
        Schema::Union(u) => u.variants().iter().any(|v| borrows(ctx, v)),
        _ => false,
    }
}

/// The type of the borrowed view of a value of `schema` (the view struct's field type).
fn view_type(
    ctx: &mut Ctx<'_>,
    schema: &Schema,
    record: &str,
    field: &str,
) -> Result<String, CodegenError> {
    let rt = ctx.rt;
    Ok(match schema {
        Schema::String => "&'a str".to_string(),
        Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) | Schema::BigDecimal => {
            "&'a [u8]".to_string()
        }
        Schema::Array(a) => format!(
            "{rt}::codec::avro::ArrayRef<'a, {}>",
            view_type(ctx, &a.items, record, field)?
        ),
        Schema::Map(m) => format!(
            "{rt}::codec::avro::MapRef<'a, {}>",
            view_type(ctx, &m.types, record, field)?
        ),
        Schema::Union(u) => match u.variants() {
            [Schema::Null, other] | [other, Schema::Null] if *other != Schema::Null => {
                format!("Option<{}>", view_type(ctx, other, record, field)?)
            }
            _ => {
                let (name, _) = union_type(ctx, u, record, field)?;
                if borrows(ctx, schema) {
                    format!("{name}Ref<'a>")
                } else {
                    name
                }
            }
        },
        Schema::Record(_) | Schema::Ref { .. } if borrows(ctx, schema) => {
            format!("{}Ref<'a>", rust_type(ctx, schema, record, field)?.0)
        }
        // Numbers, booleans, uuid, decimal, fixed, enums: the owned type, which owns nothing.
        _ => rust_type(ctx, schema, record, field)?.0,
    })
}

/// The Rust type for `schema`, and the serde `with` helper it needs (bytes/fixed).
fn rust_type(
    ctx: &mut Ctx<'_>,
    schema: &Schema,
    record: &str,
    field: &str,
) -> Result<(String, Option<&'static str>), CodegenError> {
    let rt = ctx.rt;
    Ok(match schema {
        Schema::Null => ("()".into(), None),
        Schema::Boolean => ("bool".into(), None),
        Schema::Int | Schema::Date | Schema::TimeMillis => ("i32".into(), None),
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => ("i64".into(), None),
        Schema::Float => ("f32".into(), None),
        Schema::Double => ("f64".into(), None),
        Schema::String | Schema::Uuid(UuidSchema::String) => {
            if matches!(schema, Schema::Uuid(_)) {
                (format!("{rt}::Uuid"), None)
            } else {
                ("String".into(), None)
            }
        }
        Schema::Bytes | Schema::Uuid(UuidSchema::Bytes) | Schema::BigDecimal => {
            ("Vec<u8>".into(), Some("serde_avro_bytes"))
        }
        Schema::Decimal(d) => match &d.inner {
            InnerDecimalSchema::Bytes => (format!("{rt}::Decimal<{}>", d.scale), None),
            InnerDecimalSchema::Fixed(f) => (format!("[u8; {}]", f.size), Some("serde_avro_fixed")),
        },
        Schema::Uuid(UuidSchema::Fixed(f)) | Schema::Duration(f) => {
            (format!("[u8; {}]", f.size), Some("serde_avro_fixed"))
        }
        Schema::Array(a) => {
            let (inner, with) = rust_type(ctx, &a.items, record, field)?;
            if with.is_some() {
                return Err(unsupported(record, field, "arrays of bytes/fixed"));
            }
            (format!("Vec<{inner}>"), None)
        }
        Schema::Map(m) => {
            let (inner, with) = rust_type(ctx, &m.types, record, field)?;
            if with.is_some() {
                return Err(unsupported(record, field, "maps of bytes/fixed"));
            }
            (
                format!("::std::collections::BTreeMap<String, {inner}>"),
                None,
            )
        }
        Schema::Union(u) => union_type(ctx, u, record, field)?,
        Schema::Record(_) | Schema::Enum(_) | Schema::Fixed(_) | Schema::Ref { .. } => {
            let name = match schema {
                Schema::Ref { name } => name,
                other => named(other).expect("named schema"),
            };
            let full = name.fullname(None);
            let is_fixed = matches!(schema, Schema::Fixed(_));
            let path = if ctx.local.contains(&full) {
                type_ident(name.name())
            } else {
                ctx.paths.get(&full).cloned().ok_or_else(|| CodegenError {
                    file: record.into(),
                    reason: format!("field `{field}` refers to unknown type {full}"),
                })?
            };
            (path, is_fixed.then_some("serde_avro_fixed"))
        }
    })
}

fn union_type(
    ctx: &mut Ctx<'_>,
    u: &UnionSchema,
    record: &str,
    field: &str,
) -> Result<(String, Option<&'static str>), CodegenError> {
    let variants = u.variants();
    let non_null: Vec<&Schema> = variants.iter().filter(|s| **s != Schema::Null).collect();
    if non_null.len() == 1 && variants.len() == 2 {
        let (inner, with) = rust_type(ctx, non_null[0], record, field)?;
        let with = match with {
            None => None,
            Some("serde_avro_bytes") => Some("serde_avro_bytes_opt"),
            Some("serde_avro_fixed") => Some("serde_avro_fixed_opt"),
            Some(_) => return Err(unsupported(record, field, "this optional type")),
        };
        return Ok((format!("Option<{inner}>"), with));
    }
    // A general union: an enum with one variant per branch, in branch order.
    let mut arms = Vec::new();
    let mut branches: Vec<(String, &Schema)> = Vec::new();
    let mut name = String::from("Union");
    for v in variants {
        if *v == Schema::Null {
            arms.push("    Null,".to_string());
            name.push_str("Null");
            branches.push(("Null".to_string(), v));
            continue;
        }
        let (ty, with) = rust_type(ctx, v, record, field)?;
        if with.is_some() {
            return Err(unsupported(record, field, "bytes/fixed inside a union"));
        }
        let variant = match v {
            Schema::Record(_) | Schema::Enum(_) | Schema::Fixed(_) => {
                type_ident(named(v).map(|n| n.name()).unwrap_or("Named"))
            }
            Schema::Ref { name } => type_ident(name.name()),
            other => type_ident(&format!(
                "{:?}",
                apache_avro::schema::SchemaKind::from(other)
            )),
        };
        name.push_str(&variant);
        arms.push(format!("    {variant}({ty}),"));
        branches.push((variant, v));
    }
    if ctx.unions.insert(name.clone()) {
        let _ = writeln!(
            ctx.extra,
            "/// An Avro union.\n#[derive(Debug, Clone, PartialEq, {rt}::codegen_support::serde::Serialize, {rt}::codegen_support::serde::Deserialize)]\n#[serde(crate = \"{rt}::codegen_support::serde\")]\npub enum {name} {{\n{}\n}}",
            arms.join("\n"),
            rt = ctx.rt,
        );
        ctx.extra
            .push_str(&codec::union_codec(ctx.rt, &name, &branches));
        let union = Schema::Union(u.clone());
        if borrows(ctx, &union) {
            let mut views = Vec::new();
            for (variant, schema) in &branches {
                let ty = if **schema == Schema::Null {
                    None
                } else {
                    Some(view_type(ctx, schema, record, field)?)
                };
                views.push((variant.clone(), ty, *schema));
            }
            let view = codec::union_view(ctx.rt, &name, &views);
            ctx.extra.push_str(&view);
        } else {
            ctx.extra.push_str(&codec::own_view(ctx.rt, &name, false));
        }
    }
    Ok((name, None))
}

/// The builder's attributes for the named type `full_name` (by full name, or "." for all).
fn push_attributes(ctx: &Ctx<'_>, out: &mut String, full_name: &str) {
    for (path, attribute) in ctx.attributes {
        if path == "." || path.trim_start_matches('.') == full_name {
            out.push_str(attribute);
            out.push('\n');
        }
    }
}

fn unsupported(record: &str, field: &str, what: &str) -> CodegenError {
    CodegenError {
        file: record.into(),
        reason: format!("field `{field}`: {what} are not supported by the code generator yet"),
    }
}
