//! Pair mode: a candidate file against previous files given on the command line.

use std::path::{Path, PathBuf};

use schemaflow::compat::{self, SchemaInput};
use schemaflow::format::{self, ReferenceNaming};

use super::super::common::{schema_type_of, CliError};
use super::super::repo::inputs::{import_references, read, record_name, schema_error, Sources};
use super::{located, CheckArgs, NotChecked, Outcome};

/// Protobuf imports from the importer's folder, then the `--proto-path` folders.
struct FsSources<'a> {
    proto_paths: &'a [PathBuf],
}

impl Sources for FsSources<'_> {
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, CliError> {
        let dirs =
            std::iter::once(PathBuf::from(importer_dir)).chain(self.proto_paths.iter().cloned());
        for d in dirs {
            let p = d.join(import);
            if p.is_file() {
                return read(&p).map(Some);
            }
        }
        Ok(None)
    }
}

pub(super) fn pair_mode(args: &CheckArgs) -> Result<Outcome, CliError> {
    let candidate = args.candidate.as_ref().ok_or_else(|| {
        CliError::usage("give --candidate FILE (and --previous FILE…), or --against git:REF")
    })?;
    let schema_type = schema_type_of(args.schema_type, candidate)?;
    let naming = format::provider(schema_type).reference_naming();
    // References by type name come from --reference files, named by what each defines.
    let named_refs = if naming == ReferenceNaming::TypeName {
        let mut refs = Vec::new();
        for r in &args.reference {
            let text = read(r)?;
            let label = r.display().to_string();
            let name = record_name(schema_type, &label, &text).ok_or_else(|| {
                CliError::usage(format!(
                    "{label}: a reference must define a named type (an Avro record, enum or fixed)"
                ))
            })?;
            refs.push((name, text));
        }
        refs
    } else {
        Vec::new()
    };
    let sources = FsSources {
        proto_paths: &args.proto_path,
    };
    let load = |path: &Path| -> Result<SchemaInput, CliError> {
        let text = read(path)?;
        let label = path.display().to_string();
        let references = match naming {
            ReferenceNaming::ImportPath => {
                let dir = path
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let dir = if dir.is_empty() { ".".to_string() } else { dir };
                import_references(schema_type, &label, &text, &dir, &sources)?
            }
            ReferenceNaming::TypeName | ReferenceNaming::RelativePath => named_refs.clone(),
        };
        Ok(SchemaInput {
            schema_type,
            text,
            references,
            label,
        })
    };
    let cand = load(candidate)?;
    if args.previous.is_empty() {
        // Nothing to compare with: the candidate must still parse, and the outputs list it as
        // not checked rather than "compatible, 1 file(s) checked".
        compat::ParsedSchema::parse(&cand).map_err(schema_error)?;
        return Ok(Outcome {
            found: Vec::new(),
            checked: Vec::new(),
            not_checked: vec![NotChecked {
                file: cand.label.clone(),
                subject: None,
                reason: "no previous version (--previous FILE): nothing to compare against"
                    .to_string(),
            }],
        });
    }
    let previous = args
        .previous
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let report = compat::check(args.mode, &previous, &cand).map_err(schema_error)?;
    let found = located(&cand, &previous, report.findings);
    Ok(Outcome::of(found, vec![cand.label.clone()]))
}
