//! The build's compatibility gate: [`Builder::lock_file`](crate::Builder::lock_file) makes
//! `cargo build` fail when a schema is incompatible with its released versions in
//! `schemaflow.lock` (see `schemaflow_schema::lock` for the format), with the same
//! `file:line: RULE message` lines as `schemaflow check --against lock`.
//!
//! A schema file is matched to its locked subject by the subject's `file` (relative to the
//! lock's folder), so the build needs neither the subjects file nor a registry. Its
//! references are the other files of its set: an `.avsc` may name any type of the other
//! `.avsc` files, a `.proto` imports by path relative to its folder, a JSON Schema `$ref`s
//! another `.json` file by its path relative to its own folder.

use std::path::{Path, PathBuf};

use schemaflow_schema::compat::{locate::locate, SchemaInput};
use schemaflow_schema::lock::{check_subject, LockFile};
use schemaflow_schema::SchemaType;

use crate::{Error, SourceFile};

/// The same file, however the two paths spell it.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Check the main set's files against the lock at `lock_path`; `Err` lists every finding.
pub(crate) fn check(
    lock_path: &Path,
    avro: &[SourceFile],
    proto: &[SourceFile],
    proto_extra: &[SourceFile],
    json: &[SourceFile],
) -> Result<(), Error> {
    let fail = |reason: String| Error {
        file: lock_path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(lock_path).map_err(|e| {
        fail(format!(
            "cannot read the lock: {e} (create it with `schemaflow lock`)"
        ))
    })?;
    let lock = LockFile::parse(&lock_path.display().to_string(), &text).map_err(|e| Error {
        file: lock_path.display().to_string(),
        reason: e.to_string(),
    })?;
    let lock_dir: PathBuf = lock_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut lines = Vec::new();
    for subject in &lock.subjects {
        let Some(rel) = &subject.file else { continue };
        let at = lock_dir.join(rel);
        let (set, others): (&[SourceFile], Vec<&SourceFile>) = match subject.schema_type {
            SchemaType::Avro => (avro, avro.iter().collect()),
            SchemaType::Json => (json, json.iter().collect()),
            SchemaType::Protobuf => (proto, proto.iter().chain(proto_extra).collect()),
        };
        let Some(current) = set.iter().find(|f| same_file(&f.path, &at)) else {
            // Not one of this build's files (another crate's, or deleted: `schemaflow
            // check --against lock` reports deletions; a build only judges what it compiles).
            continue;
        };
        let others: Vec<&SourceFile> = others
            .into_iter()
            .filter(|f| !same_file(&f.path, &current.path))
            .collect();
        let references = match subject.schema_type {
            SchemaType::Avro => avro_references(&current.text, &others),
            // By `$ref` name, transitively: what the registry's references hold.
            SchemaType::Json => crate::json_schema::file_references(current, json)?,
            SchemaType::Protobuf => others
                .iter()
                .map(|f| (f.rel.clone(), f.text.clone()))
                .collect(),
        };
        let input = SchemaInput {
            schema_type: subject.schema_type,
            text: current.text.clone(),
            references,
            label: rel.clone(),
        };
        let checked = check_subject(&lock, &subject.name, &input).map_err(|e| Error {
            file: rel.clone(),
            reason: e.to_string(),
        })?;
        let Some(k) = checked else { continue };
        for (pos, f) in locate(&input, &k.previous, k.report.findings) {
            lines.push(format!(
                "{rel}:{}: {} {}: {} ({} against {})",
                pos.line, f.rule, f.path, f.message, f.direction, f.against
            ));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    for l in &lines {
        eprintln!("{l}");
    }
    Err(fail(format!(
        "{} incompatibilit(ies) with the released versions (schemaflow.lock); keep the change compatible, or release it under a new subject:\n{}",
        lines.len(),
        lines.join("\n")
    )))
}

/// The full name an Avro file defines (`namespace.name`).
fn avro_full_name(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let name = v.get("name")?.as_str()?;
    match v.get("namespace").and_then(|n| n.as_str()) {
        Some(ns) if !name.contains('.') && !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

/// The other `.avsc` files `text` needs: those whose type it names (as a JSON string, full or
/// short name), transitively, dependencies first. Only those: Avro parses a reference list
/// in order, so an unrelated file that itself names the current type would not parse.
fn avro_references(text: &str, others: &[&SourceFile]) -> Vec<(String, String)> {
    let named: Vec<(String, &SourceFile)> = others
        .iter()
        .filter_map(|f| avro_full_name(&f.text).map(|n| (n, *f)))
        .collect();
    let mentions = |text: &str, full: &str| {
        let short = full.rsplit('.').next().unwrap_or(full);
        text.contains(&format!("\"{full}\"")) || text.contains(&format!("\"{short}\""))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    fn visit(
        text: &str,
        named: &[(String, &SourceFile)],
        mentions: &dyn Fn(&str, &str) -> bool,
        stack: &mut Vec<String>,
        out: &mut Vec<(String, String)>,
    ) {
        for (name, f) in named {
            if !mentions(text, name) || stack.contains(name) || out.iter().any(|(n, _)| n == name) {
                continue;
            }
            stack.push(name.clone());
            visit(&f.text, named, mentions, stack, out);
            stack.pop();
            out.push((name.clone(), f.text.clone()));
        }
    }
    visit(text, &named, &mentions, &mut Vec::new(), &mut out);
    out
}
