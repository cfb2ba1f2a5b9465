//! A schema file's direct references among the repository's files, as the registry is sent
//! them: Avro named types defined by other files (full name, sorted), Protobuf imports of other
//! files under `proto/` (import path, in import order; `google/*` and Confluent's bundled files
//! excepted, as Confluent's clients skip them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use schemaflow::SchemaType;

use super::super::common::{schema_type_from_extension, CliError};
use super::inputs::avro_full_name;
use super::tree::Tree;

/// The type names an Avro schema uses (full names, and bare names as written).
fn avro_type_names(v: &serde_json::Value, ns: Option<&str>, out: &mut BTreeSet<String>) {
    use serde_json::Value;
    const BUILT_IN: [&str; 13] = [
        "null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum",
        "array", "map", "fixed",
    ];
    match v {
        Value::String(s) if !BUILT_IN.contains(&s.as_str()) => {
            out.insert(s.clone());
            if let (false, Some(ns)) = (s.contains('.'), ns) {
                out.insert(format!("{ns}.{s}"));
            }
        }
        Value::Array(items) => {
            for i in items {
                avro_type_names(i, ns, out);
            }
        }
        Value::Object(o) => {
            let name = o.get("name").and_then(Value::as_str);
            let own_ns = match name.and_then(|n| n.rsplit_once('.')) {
                Some((n, _)) => Some(n),
                None => o.get("namespace").and_then(Value::as_str).or(ns),
            };
            // Only named types set the namespace of what they contain.
            let is_named = matches!(
                o.get("type").and_then(Value::as_str),
                Some("record" | "error" | "enum" | "fixed")
            );
            let inner = if is_named { own_ns } else { ns };
            for key in ["type", "items", "values"] {
                if let Some(t) = o.get(key) {
                    avro_type_names(t, inner, out);
                }
            }
            if let Some(Value::Array(fields)) = o.get("fields") {
                for f in fields {
                    if let Some(t) = f.get("type") {
                        avro_type_names(t, inner, out);
                    }
                }
            }
        }
        _ => {}
    }
}

/// A file's direct references: `(reference name, file path)`.
pub fn direct_references(
    tree: &Tree,
    path: &str,
    text: &str,
) -> Result<Vec<(String, String)>, CliError> {
    match schema_type_from_extension(Path::new(path)) {
        Some(SchemaType::Avro) => {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
                return Err(CliError::usage(format!("{path}: not JSON")));
            };
            let mut used = BTreeSet::new();
            avro_type_names(&v, None, &mut used);
            let own = avro_full_name(text);
            let mut refs: Vec<(String, String)> = tree
                .files
                .iter()
                .filter(|(p, _)| p.ends_with(".avsc") && p.as_str() != path)
                .filter_map(|(p, t)| avro_full_name(t).map(|n| (n, p.clone())))
                .filter(|(n, _)| used.contains(n) && own.as_deref() != Some(n.as_str()))
                .collect();
            refs.sort();
            refs.dedup_by(|a, b| a.0 == b.0);
            Ok(refs)
        }
        Some(SchemaType::Protobuf) => {
            let imports = schemaflow::compat::protobuf::imports_of(path, text)
                .map_err(|e| CliError::usage(e.to_string()))?;
            let mut refs = Vec::new();
            for import in imports {
                if schemaflow::compat::protobuf::is_well_known_import(&import) {
                    continue;
                }
                let file = format!("proto/{import}");
                if !tree.files.contains_key(&file) {
                    return Err(CliError::usage(format!(
                        "{path}: import \"{import}\" not found under proto/"
                    )));
                }
                refs.push((import, file));
            }
            Ok(refs)
        }
        Some(SchemaType::Json) => {
            let dir = Path::new(path)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let mut refs = Vec::new();
            for name in super::inputs::json_file_refs(text) {
                let file = format!("{dir}/{name}");
                if !tree.files.contains_key(&file) {
                    return Err(CliError::usage(format!(
                        "{path}: $ref \"{name}\" not found (looked for {file})"
                    )));
                }
                refs.push((name, file));
            }
            Ok(refs)
        }
        _ => Ok(Vec::new()),
    }
}

/// A file's direct references: `(reference name, file path)`.
pub type References = Vec<(String, String)>;

/// The files of `tree` with their direct references, every file after the files it
/// references (depth first, files in path order; each once). A cycle is a usage error naming
/// it: the registry needs a referenced schema registered before the schemas using it.
pub fn dependency_order(tree: &Tree) -> Result<Vec<(String, References)>, CliError> {
    let mut references = BTreeMap::new();
    for (path, text) in &tree.files {
        references.insert(path.clone(), direct_references(tree, path, text)?);
    }
    #[derive(PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit(
        path: &str,
        references: &BTreeMap<String, Vec<(String, String)>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
        out: &mut Vec<String>,
    ) -> Result<(), CliError> {
        match marks.get(path) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                let start = stack.iter().position(|p| p == path).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(path.to_string());
                return Err(CliError::usage(format!(
                    "reference cycle: {}; the registry needs each referenced schema registered before the schemas using it, so a cycle cannot be registered: break it (move the shared types into one file)",
                    cycle.join(" -> ")
                )));
            }
            None => {}
        }
        marks.insert(path.to_string(), Mark::Visiting);
        stack.push(path.to_string());
        for (_, dep) in references.get(path).into_iter().flatten() {
            visit(dep, references, marks, stack, out)?;
        }
        stack.pop();
        marks.insert(path.to_string(), Mark::Done);
        out.push(path.to_string());
        Ok(())
    }
    let (mut marks, mut order) = (BTreeMap::new(), Vec::new());
    for path in references.keys() {
        visit(path, &references, &mut marks, &mut Vec::new(), &mut order)?;
    }
    Ok(order
        .into_iter()
        .map(|p| {
            let refs = references.remove(&p).unwrap_or_default();
            (p, refs)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::tree::tests::tree;

    const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
    const USER: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"address","type":["null","Address"]},{"name":"Address","type":"string"}]}"#;
    const PROTO: &str = "syntax = \"proto3\";\npackage ev.v1;\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage A { Common c = 1; }\nmessage B {}\n";

    #[test]
    fn avro_references_follow_type_names() {
        let t = tree(&[
            ("schemas/address.avsc", ADDRESS),
            ("schemas/user.avsc", USER),
        ]);
        let refs = direct_references(&t, "schemas/user.avsc", USER).ok();
        assert_eq!(
            refs,
            Some(vec![(
                "shop.Address".to_string(),
                "schemas/address.avsc".to_string()
            )])
        );
        let refs = direct_references(&t, "schemas/address.avsc", ADDRESS).ok();
        assert_eq!(refs, Some(vec![]));
    }

    #[test]
    fn protobuf_references_skip_well_known() {
        let t = tree(&[
            ("proto/ev/v1/a.proto", PROTO),
            (
                "proto/ev/v1/common.proto",
                "syntax = \"proto3\";\npackage ev.v1;\nmessage Common {}\n",
            ),
        ]);
        let refs = direct_references(&t, "proto/ev/v1/a.proto", PROTO).ok();
        assert_eq!(
            refs,
            Some(vec![(
                "ev/v1/common.proto".to_string(),
                "proto/ev/v1/common.proto".to_string()
            )])
        );
    }
}
