//! `schemaflow lock --from-registry`: the lock filled from a registry's history — every live
//! version of the repository's subjects and of the subjects they reference, with each
//! subject's level (`GET /config/{subject}?defaultToGlobal=true`).

use std::collections::{BTreeMap, BTreeSet};

use schemaflow::compat::SchemaInput;
use schemaflow::lock::{self, LockFile, LockedReference, LockedSubject, LockedVersion};
use schemaflow::registry::{ErrorCode, RegistryClient, RegistryError, Version};

use super::super::common::{CliError, Global};
use super::super::repo::inputs::schema_error;
use super::Repository;

fn registry_fail(e: RegistryError) -> CliError {
    CliError::io(format!("registry: {e}"))
}

fn not_found(e: &RegistryError) -> bool {
    matches!(
        e.code(),
        Some(ErrorCode::SubjectNotFound | ErrorCode::VersionNotFound)
    )
}

/// Fetch the repository's subjects (and their references, transitively) from `url`.
pub(super) fn fill(global: &Global, url: &str, repo: &Repository) -> Result<LockFile, CliError> {
    let client = global.registry_at(url)?.client().clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io(format!("starting the async runtime: {e}")))?;
    let files: BTreeMap<&str, &str> = repo
        .schemas
        .iter()
        .map(|c| (c.subject.as_str(), c.file.as_str()))
        .collect();
    let mut todo: Vec<String> = repo.schemas.iter().map(|c| c.subject.clone()).collect();
    let mut done = BTreeSet::new();
    let mut lock = LockFile::default();
    while let Some(subject) = todo.pop() {
        if !done.insert(subject.clone()) {
            continue;
        }
        let versions = match rt.block_on(client.subject_versions(&subject)) {
            Ok(v) => v,
            Err(e) if not_found(&e) => {
                eprintln!(
                    "  {subject}: not in the registry (a new subject: `schemaflow lock --add` records it after its release)"
                );
                continue;
            }
            Err(e) => return Err(registry_fail(e)),
        };
        let level = rt
            .block_on(client.compatibility(Some(&subject)))
            .map_err(registry_fail)?;
        let mut locked = LockedSubject {
            name: subject.clone(),
            schema_type: schemaflow::SchemaType::Avro,
            compatibility: level,
            file: files.get(subject.as_str()).map(|f| f.to_string()),
            versions: Vec::new(),
        };
        for v in versions {
            let r = fetch(&rt, &client, &subject, v)?;
            locked.schema_type = r.schema.schema_type;
            for reference in &r.schema.references {
                todo.push(reference.subject.clone());
            }
            locked.versions.push(LockedVersion {
                version: r.version,
                fingerprint: String::new(),
                references: r
                    .schema
                    .references
                    .iter()
                    .map(|x| LockedReference {
                        name: x.name.clone(),
                        subject: x.subject.clone(),
                        version: x.version,
                    })
                    .collect(),
                schema: r.schema.schema,
            });
        }
        eprintln!("  {subject}: {} version(s), {level}", locked.versions.len());
        lock.subjects.push(locked);
    }
    // Fingerprints need the references' texts: computed once the whole history is here.
    let mut prints = Vec::new();
    for s in &lock.subjects {
        for v in &s.versions {
            let input: SchemaInput = lock::locked_input(&lock, &s.name, v.version)
                .map_err(|e| CliError::io(format!("the registry's history: {e}")))?;
            prints.push(lock::fingerprint(&input).map_err(schema_error)?);
        }
    }
    let mut prints = prints.into_iter();
    for s in &mut lock.subjects {
        for v in &mut s.versions {
            v.fingerprint = prints.next().unwrap_or_default();
        }
    }
    Ok(lock)
}

fn fetch(
    rt: &tokio::runtime::Runtime,
    client: &RegistryClient,
    subject: &str,
    version: i32,
) -> Result<schemaflow::registry::RegisteredSchema, CliError> {
    rt.block_on(client.version(subject, Version::Number(version)))
        .map_err(registry_fail)
}
