//! Turning schema files into checker inputs: reading them, asking their language's provider
//! ([`schemaflow::format`]) for their names and the names they use, and collecting a `.proto`
//! file's imports as references. Shared by `check`, `lock` and `register --all`.

use std::collections::BTreeSet;
use std::path::Path;

use schemaflow::format;
use schemaflow::SchemaType;

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

/// The name the schema in `text` has for the record-name strategies, and, for languages whose
/// references name types ([`format::ReferenceNaming::TypeName`]), the name others reference it by;
/// `None` when it has none.
pub fn record_name(schema_type: SchemaType, path: &str, text: &str) -> Option<String> {
    format::provider(schema_type).record_name(path, text).ok()
}

/// The names `text` uses other schemas by ([`format::SchemaProvider::used_names`]); a usage
/// error when it does not parse far enough to tell.
pub fn used_names(
    schema_type: SchemaType,
    path: &str,
    text: &str,
) -> Result<Vec<String>, CliError> {
    format::provider(schema_type)
        .used_names(path, text)
        .map_err(schema_error)
}

/// Where Protobuf imports come from: a lookup from import path to text.
pub trait Sources {
    /// The text of `import`, looked up from the importing file's folder `importer_dir`.
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, CliError>;
}

/// Transitive references of a schema whose language names them by import path
/// ([`format::ReferenceNaming::ImportPath`]: Protobuf's imports, the well-known ones
/// excepted), found through `sources`, dependencies first.
pub fn import_references(
    schema_type: SchemaType,
    label: &str,
    text: &str,
    dir: &str,
    sources: &dyn Sources,
) -> Result<Vec<(String, String)>, CliError> {
    fn walk(
        schema_type: SchemaType,
        label: &str,
        text: &str,
        dir: &str,
        sources: &dyn Sources,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), CliError> {
        for import in used_names(schema_type, label, text)? {
            if !seen.insert(import.clone()) {
                continue;
            }
            let Some(dep) = sources.find(&import, dir)? else {
                return Err(CliError::usage(format!(
                    "{label}: import \"{import}\" not found (searched the file's folder and the --proto-path folders)"
                )));
            };
            walk(schema_type, &import, &dep, dir, sources, seen, out)?;
            out.push((import, dep));
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(
        schema_type,
        label,
        text,
        dir,
        sources,
        &mut BTreeSet::new(),
        &mut out,
    )?;
    Ok(out)
}
