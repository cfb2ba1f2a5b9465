//! Turning schema files into checker inputs: reading them, naming Avro types, and collecting
//! a `.proto` file's imports as references. Shared by `check`, `lock` and `register --all`.

use std::collections::BTreeSet;
use std::path::Path;

use schemaflow::compat;

use super::super::common::CliError;

/// A schema that does not parse is a usage error (exit 2); anything else the library reports
/// here is an I/O error (exit 3).
pub fn schema_error(e: schemaflow::SchemaError) -> CliError {
    use schemaflow::SchemaError;
    match e {
        SchemaError::ParseAvroSchema { .. }
        | SchemaError::ParseProtobufSchema { .. }
        | SchemaError::ParseJsonSchema { .. }
        | SchemaError::UnsupportedSchemaType { .. } => CliError::usage(e.to_string()),
        other => CliError::io(other.to_string()),
    }
}

pub fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("reading {}: {e}", path.display())))
}

/// The full name an Avro file defines (`namespace.name`), if it is a named type.
pub fn avro_full_name(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let name = v.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_string());
    }
    match v.get("namespace").and_then(|n| n.as_str()) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

/// The other files a JSON Schema names in its `$ref`s (`address.json`,
/// `common/money.json#/definitions/Money` → `common/money.json`): Confluent resolves each by
/// the reference of that name. In-document references (`#/definitions/…`) are not files.
pub fn json_file_refs(text: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", serde_json::Value::String(r)) => {
                            let file = r.split('#').next().unwrap_or_default();
                            // Absolute URIs resolve by `$id`, not by a file of the repository.
                            if !file.is_empty()
                                && !file.contains("://")
                                && !out.iter().any(|o| o == file)
                            {
                                out.push(file.to_string());
                            }
                        }
                        _ => walk(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        walk(&v, &mut out);
    }
    out
}

/// A JSON Schema's `title`: what Confluent's record-name strategies take for its name.
pub fn json_title(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get("title")?.as_str().map(str::to_string)
}

/// Where Protobuf imports come from: a lookup from import path to text.
pub trait Sources {
    /// The text of `import`, looked up from the importing file's folder `importer_dir`.
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, CliError>;
}

/// Transitive non-well-known imports of a `.proto` text, dependencies first.
pub fn proto_references(
    label: &str,
    text: &str,
    dir: &str,
    sources: &dyn Sources,
) -> Result<Vec<(String, String)>, CliError> {
    fn walk(
        label: &str,
        text: &str,
        dir: &str,
        sources: &dyn Sources,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), CliError> {
        let imports = compat::protobuf::imports_of(label, text).map_err(schema_error)?;
        for import in imports {
            if compat::protobuf::is_well_known_import(&import) || !seen.insert(import.clone()) {
                continue;
            }
            let Some(dep) = sources.find(&import, dir)? else {
                return Err(CliError::usage(format!(
                    "{label}: import \"{import}\" not found (searched the file's folder and the --proto-path folders)"
                )));
            };
            walk(&import, &dep, dir, sources, seen, out)?;
            out.push((import, dep));
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(label, text, dir, sources, &mut BTreeSet::new(), &mut out)?;
    Ok(out)
}
