//! A schema file given on the command line (`produce --schema-file`, `register
//! --schema-file`): its `--reference NAME=SUBJECT:VERSION` arguments, and the schema parsed
//! here — with its references' texts fetched from the registry — before the registry sees it,
//! so a schema the registry would refuse is refused without registering anything.

use std::path::Path;
use std::sync::Arc;

use schemaflow::codec::avro::AvroSchema;
use schemaflow::codec::json_schema::JsonWriterSchema;
use schemaflow::codec::protobuf::ProtobufSchema;
use schemaflow::codec::WriterSchema;
use schemaflow::registry::{CachedRegistry, Schema, SchemaReference, Version};
use schemaflow::SchemaType;

use super::common::CliError;

/// A `--reference NAME=SUBJECT:VERSION` argument.
pub(super) fn parse_reference(s: &str) -> Result<SchemaReference, String> {
    let (name, rest) = s.split_once('=').ok_or("expected NAME=SUBJECT:VERSION")?;
    let (subject, version) = rest
        .rsplit_once(':')
        .ok_or("expected NAME=SUBJECT:VERSION")?;
    let version = version
        .parse::<i32>()
        .map_err(|_| format!("version {version:?} is not a number"))?;
    Ok(SchemaReference {
        name: name.to_string(),
        subject: subject.to_string(),
        version,
    })
}

/// `schema` (read from `file`) parsed here, with its references' texts fetched from the
/// registry, so that a schema the registry would refuse is refused without registering
/// anything. A JSON Schema is also compiled into its validator here: a schema the validator
/// cannot compile (a `pattern` that is not a regular expression) would fail every line.
pub(super) async fn parse_before_registering(
    registry: &CachedRegistry,
    schema: &Schema,
    file: &Path,
) -> Result<WriterSchema, CliError> {
    let mut deps = Vec::new();
    reference_texts(registry, &schema.references, &mut deps, 0).await?;
    let file_name = || {
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "schema".into())
    };
    let parsed = match schema.schema_type {
        SchemaType::Avro => {
            let texts: Vec<&str> = deps.iter().map(|(_, t)| t.as_str()).collect();
            AvroSchema::parse(&schema.schema, &texts).map(|s| WriterSchema::Avro(Arc::new(s)))
        }
        SchemaType::Protobuf => {
            let imports: Vec<(&str, &str)> =
                deps.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
            ProtobufSchema::parse(&file_name(), &schema.schema, &imports)
                .map(|s| WriterSchema::Protobuf(Arc::new(s)))
        }
        SchemaType::Json => {
            JsonWriterSchema::parse(&file_name(), &schema.schema, &deps).and_then(|s| {
                s.validator()?;
                Ok(WriterSchema::Json(Arc::new(s)))
            })
        }
    };
    parsed.map_err(|e| {
        let message = format!("{}: {e}", file.display());
        match super::missing_refs::hint(
            schema.schema_type,
            &schema.schema,
            &schema.references,
            &message,
        ) {
            Some(h) => CliError::usage(format!("{message} ({h})")),
            None => CliError::usage(message),
        }
    })
}

/// The texts of `refs` and of what they refer to, dependencies first, as (name, text).
async fn reference_texts(
    registry: &CachedRegistry,
    refs: &[SchemaReference],
    out: &mut Vec<(String, String)>,
    depth: usize,
) -> Result<(), CliError> {
    if depth > 32 {
        return Err(CliError::usage("--reference: references nested too deeply"));
    }
    for r in refs {
        if out.iter().any(|(n, _)| *n == r.name) {
            continue;
        }
        let dep = registry
            .version(&r.subject, Version::Number(r.version))
            .await
            .map_err(|e| {
                use schemaflow::registry::ErrorCode;
                match e.code() {
                    Some(ErrorCode::SubjectNotFound | ErrorCode::VersionNotFound) => {
                        CliError::usage(format!(
                            "reference {}: subject {} has no version {} (register it first)",
                            r.name, r.subject, r.version
                        ))
                    }
                    _ => CliError::from(e),
                }
            })?;
        Box::pin(reference_texts(
            registry,
            &dep.schema.references,
            out,
            depth + 1,
        ))
        .await?;
        out.push((r.name.clone(), dep.schema.schema.clone()));
    }
    Ok(())
}
