//! JSON Schema files → serde types that know their schema.
//!
//! Hand-written rather than oxidecomputer's `typify` (0.8.0, the newest release; evaluated on
//! `schemas/json/*.json` and on small 2020-12, `oneOf` and recursive samples, 2026-12-07):
//!
//! * a cross-file `$ref` (`"address.json"`, Confluent's reference by name) **panics**
//!   ("external references are not supported: address.json"): the sample cannot be generated
//!   at all, and one file's types cannot name another file's;
//! * fields come out in alphabetical order (schemars 0.8 keeps `properties` in a `BTreeMap`),
//!   so serde writes keys in another order than a Python dict built from the schema, and the
//!   frames differ from what Python's `JSONSerializer` writes for the same value;
//! * an optional nullable property (`type: ["string","null"]`) becomes `Option<String>` with
//!   `skip_serializing_if`: a `None` that Python writes as `"session_id": null` is left out;
//!   an optional array or map with `"default": []` is left out when empty (Python writes it);
//! * maps are `HashMap` (key order, and so the bytes, change from run to run);
//! * `format: uuid`/`date-time` become `uuid::Uuid`/`chrono::DateTime` and `pattern` a
//!   newtype checked with `regress`: the user's crate must depend on uuid, chrono and regress,
//!   and a timestamp comes back re-formatted (`+00:00` → `Z`), not as written;
//! * each root gets its own `error` module; 2020-12 `prefixItems` falls back to `Vec<Value>`.
//!
//! What worked there: `$defs` and `definitions`, `oneOf [null, X]` as `Option<X>`, `oneOf` of
//! scalars as an untagged enum, recursion through `Box`. What schemaflow needs beyond that is
//! what this module does: one module per file with cross-file references by relative path,
//! the schema's property order, `BTreeMap`, strings kept as written, and the exact text plus
//! the references for the registry. The schema itself is validated first by the same parser
//! as the registry's ([`schemaflow_schema::json_schema::JsonSchema`]: the draft from `$schema`,
//! draft-07 when absent, the meta-schema, every `$ref` resolved), so a file the registry would
//! refuse fails the build with its name and the reason.

mod doc;
mod types;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use schemaflow_schema::json_schema::JsonSchema;

use crate::rust::{field_ident, str_lit};
use crate::{Error, SourceFile};

use doc::Node;
use types::{claim_names, external_refs, render, resolve_file, FileGen, FileInfo};

/// What a set exports for a separate set to refer to.
#[derive(Debug, Clone, Default)]
pub struct SetExports {
    files: Vec<SourceFile>,
}

fn module_name(rel: &str) -> String {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let stem = file.split('.').next().unwrap_or(file);
    field_ident(stem)
}

fn parse(f: &SourceFile) -> Result<Node, Error> {
    Node::parse(&f.text).map_err(|e| Error {
        file: f.path.display().to_string(),
        reason: format!("invalid JSON: {e}"),
    })
}

/// The `(name, text)` of every file `files[i]` refers to, transitively, named as the referring
/// file's `$ref` names it (the registry reference's name), dependencies first.
fn references(
    files: &[FileInfo],
    texts: &[&str],
    i: usize,
) -> Result<Vec<(String, String)>, String> {
    fn visit(
        files: &[FileInfo],
        texts: &[&str],
        i: usize,
        stack: &mut Vec<usize>,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), String> {
        for r in external_refs(&files[i].doc) {
            let j = resolve_file(files, i, &r)
                .ok_or_else(|| format!("$ref {r:?}: no file {r:?} in the set"))?;
            if stack.contains(&j) || out.iter().any(|(n, _)| *n == r) {
                continue;
            }
            stack.push(j);
            visit(files, texts, j, stack, out)?;
            stack.pop();
            out.push((r, texts[j].to_string()));
        }
        Ok(())
    }
    let mut out = Vec::new();
    visit(files, texts, i, &mut vec![i], &mut out)?;
    Ok(out)
}

/// The references of `current` among `set` (for the lock check): as [`references`].
pub(crate) fn file_references(
    current: &SourceFile,
    set: &[SourceFile],
) -> Result<Vec<(String, String)>, Error> {
    let mut infos = Vec::new();
    for f in set {
        infos.push(info(f, true, "")?);
    }
    let texts: Vec<&str> = set.iter().map(|f| f.text.as_str()).collect();
    let i = set.iter().position(|f| f.path == current.path).unwrap_or(0);
    references(&infos, &texts, i).map_err(|reason| Error {
        file: current.path.display().to_string(),
        reason,
    })
}

fn info(f: &SourceFile, in_set: bool, module_prefix: &str) -> Result<FileInfo, Error> {
    let doc = parse(f)?;
    Ok(FileInfo {
        names: claim_names(&doc, &f.rel),
        rel: f.rel.clone(),
        module_path: format!("{module_prefix}{}", module_name(&f.rel)),
        doc,
        in_set,
    })
}

/// Generate one set of JSON Schema files into `out`, one module per file; `context` is the
/// main set when generating a separate set (its files may be referred to by name).
pub fn generate_set(
    out: &mut String,
    files: &[SourceFile],
    context: Option<&SetExports>,
    rt: &str,
    attributes: &[(String, String)],
) -> Result<SetExports, Error> {
    let mut infos = Vec::new();
    let mut sources: Vec<&SourceFile> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        // One module per file, named after its stem: two stems alike would be one module.
        if let Some(g) = files[..i]
            .iter()
            .find(|g| module_name(&g.rel) == module_name(&f.rel))
        {
            return Err(Error {
                file: format!("{}, {}", g.path.display(), f.path.display()),
                reason: format!(
                    "both would be the module `json::{}`: rename one (modules are named after file stems)",
                    module_name(&f.rel)
                ),
            });
        }
        infos.push(info(f, true, "super::")?);
        sources.push(f);
    }
    let ctx_files = context.map(|c| c.files.as_slice()).unwrap_or_default();
    for f in ctx_files {
        // Shadowed by a file of the same path in this set.
        if files.iter().any(|g| g.rel == f.rel) {
            continue;
        }
        infos.push(info(f, false, "super::super::")?);
        sources.push(f);
    }
    let texts: Vec<&str> = sources.iter().map(|f| f.text.as_str()).collect();
    let fail = |i: usize, reason: String| Error {
        file: sources[i].path.display().to_string(),
        reason,
    };

    // Validate each file as the registry would (draft, meta-schema, every $ref resolved).
    for (i, f) in files.iter().enumerate() {
        let r = references(&infos, &texts, i).map_err(|e| fail(i, e))?;
        JsonSchema::parse(&f.rel, &f.text, &r).map_err(|e| fail(i, e.to_string()))?;
    }

    let mut items = Vec::new();
    let mut defaults = Vec::new();
    for i in 0..infos.len() {
        if !infos[i].in_set {
            items.push(Vec::new());
            defaults.push(String::new());
            continue;
        }
        let mut g = FileGen::new(rt, &infos, i, attributes);
        g.run().map_err(|e| fail(i, e))?;
        items.push(std::mem::take(&mut g.items));
        defaults.push(std::mem::take(&mut g.defaults));
    }
    let bodies = render(&infos, &items);

    // Metadata: each file's text and references (the registry's references, by `$ref` name).
    let mut meta = String::from("#[doc(hidden)]\npub mod __schemaflow_meta {\n");
    // A compile error naming the runtime's `json-schema` feature when the crate lacks it
    // (the validator these types need is only built with it).
    let _ = writeln!(
        meta,
        "    {rt}::codec::json_schema::types_need_the_feature!();"
    );
    for (i, f) in files.iter().enumerate() {
        let _ = writeln!(meta, "    pub const FILE_{i}: &str = {};", str_lit(&f.text));
        let mut entries = Vec::new();
        let mut seen = BTreeSet::new();
        for name in external_refs(&infos[i].doc) {
            let Some(j) = resolve_file(&infos, i, &name) else {
                continue;
            };
            if !seen.insert(name.clone()) {
                continue;
            }
            let (meta_mod, index) = if infos[j].in_set {
                ("self".to_string(), j)
            } else {
                let k = ctx_files
                    .iter()
                    .position(|c| c.rel == infos[j].rel)
                    .unwrap_or(0);
                ("super::super::__schemaflow_meta".to_string(), k)
            };
            entries.push(format!(
                "{rt}::GeneratedReference {{ name: {}, file: {}, schema_type: {rt}::SchemaType::Json, schema_text: {meta_mod}::FILE_{index}, references: {meta_mod}::REFS_{index} }}",
                str_lit(&name),
                str_lit(&infos[j].rel),
            ));
        }
        let _ = writeln!(
            meta,
            "    pub const REFS_{i}: &[{rt}::GeneratedReference] = &[{}];",
            entries.join(", ")
        );
    }
    meta.push_str("}\n");
    out.push_str(&meta);

    for (i, f) in files.iter().enumerate() {
        let root = infos[i].root_name().to_string();
        let full_name = infos[i]
            .doc
            .get("title")
            .and_then(Node::as_str)
            .unwrap_or(&root)
            .to_string();
        let mut body = bodies[i].clone();
        body.push_str(&defaults[i]);
        let _ = write!(
            body,
            "impl {rt}::GeneratedSchema for {root} {{\n    const SCHEMA_TYPE: {rt}::SchemaType = {rt}::SchemaType::Json;\n    const FULL_NAME: &'static str = {};\n    const SCHEMA_TEXT: &'static str = super::__schemaflow_meta::FILE_{i};\n    const FILE: &'static str = {};\n    const REFERENCES: &'static [{rt}::GeneratedReference] = super::__schemaflow_meta::REFS_{i};\n    const MESSAGE_INDEXES: &'static [i32] = &[];\n}}\n\
impl {rt}::codec::RegistryCodec for {root} {{\n    fn encode_frame(&self, id: {rt}::wire::SchemaId, buf: &mut ::std::vec::Vec<u8>) -> {rt}::codec::Result<()> {{\n        {rt}::codec::json_schema::encode_frame(self, id, buf)\n    }}\n    fn decode_frame(frame: &[u8], writer: &{rt}::codec::WriterSchema) -> {rt}::codec::Result<({rt}::wire::SchemaId, Self)> {{\n        {rt}::codec::json_schema::decode_frame(frame, writer)\n    }}\n}}\n",
            str_lit(&full_name),
            str_lit(&f.rel),
        );
        let _ = write!(
            out,
            "/// Types generated from `{}`.\n#[allow(clippy::all, missing_docs)]\npub mod {} {{\n{body}}}\n",
            f.rel,
            module_name(&f.rel),
        );
    }
    Ok(SetExports {
        files: files.to_vec(),
    })
}
