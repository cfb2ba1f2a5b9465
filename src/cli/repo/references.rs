//! A schema file's direct references among the repository's files, as the registry is sent
//! them: Avro named types defined by other files (full name, sorted), Protobuf imports of other
//! files under `proto/` (import path, in import order; `google/*` and Confluent's bundled files
//! excepted, as Confluent's clients skip them), JSON Schema files its `$ref`s name (path
//! relative to it). Which of these a file has is its provider's
//! [`ReferenceNaming`](schemaflow::format::ReferenceNaming).

use std::collections::BTreeMap;
use std::path::Path;

use schemaflow::format::{self, ReferenceNaming};

use super::super::common::{schema_type_from_extension, CliError};
use super::inputs::{record_name, used_names};
use super::tree::Tree;

/// A file's direct references: `(reference name, file path)`.
pub fn direct_references(
    tree: &Tree,
    path: &str,
    text: &str,
) -> Result<Vec<(String, String)>, CliError> {
    let Some(schema_type) = schema_type_from_extension(Path::new(path)) else {
        return Ok(Vec::new());
    };
    let used = used_names(schema_type, path, text)?;
    match format::provider(schema_type).reference_naming() {
        // The other files of the language that define a type this one uses, by that name.
        ReferenceNaming::TypeName => {
            let own = record_name(schema_type, path, text);
            let mut refs: Vec<(String, String)> = tree
                .files
                .iter()
                .filter(|(p, _)| {
                    p.as_str() != path
                        && schema_type_from_extension(Path::new(p)) == Some(schema_type)
                })
                .filter_map(|(p, t)| record_name(schema_type, p, t).map(|n| (n, p.clone())))
                .filter(|(n, _)| used.contains(n) && own.as_deref() != Some(n.as_str()))
                .collect();
            refs.sort();
            refs.dedup_by(|a, b| a.0 == b.0);
            Ok(refs)
        }
        // Imports below `proto/`, the import root.
        ReferenceNaming::ImportPath => {
            let mut refs = Vec::new();
            for import in used {
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
        // Paths relative to the referring file's folder.
        ReferenceNaming::RelativePath => {
            let dir = Path::new(path)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let mut refs = Vec::new();
            for name in used {
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
