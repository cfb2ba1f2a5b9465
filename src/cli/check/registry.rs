//! Registry mode of `schemaflow check`: the registry decides.
//!
//! Model: the repository holds the schemas that are about to be registered; the registry
//! holds what is registered. For every `*.avsc` under `schemas/` and `*.proto` under `proto/`
//! (`evolution/` folders skipped) this mode works out the file's **subject**, builds the
//! schema the registry would be sent (text + **references**) and asks
//! `POST /compatibility/subjects/{subject}/versions?verbose=true`: the registry checks it
//! against the versions its configured level for that subject names, and its verbose messages
//! become `REGISTRY_INCOMPATIBLE` findings (file = the schema file, line 1).
//!
//! # Subjects
//!
//! A TOML file maps files to subjects: `--subjects-config FILE`, else
//! `schemaflow-subjects.toml` at the repository root when present, else defaults only.
//!
//! ```toml
//! [defaults]
//! strategy = "record"   # record (default) | topic | topic-record (Confluent class names too)
//!
//! [[file]]
//! path = "schemas/user_event.avsc"
//! subject = "user-events-value"           # an explicit subject
//!
//! [[file]]
//! path = "proto/events/v1/user_event.proto"
//! topic = "user-events-proto"             # -> user-events-proto-value
//! # key = true                            # -> user-events-proto-key
//! # strategy = "topic-record"             # -> user-events-proto-<full name>
//! ```
//!
//! * `subject` wins; it cannot be combined with `topic` or `strategy`.
//! * A file with a `topic` uses its own `strategy`, else `topic-record` when that is the
//!   default strategy, else TopicNameStrategy (`<topic>-value`, or `-key` with `key = true`).
//! * Any other file uses `[defaults].strategy`. RecordNameStrategy (the default) names the
//!   subject after the record: the Avro top-level full name, or for Protobuf the package plus
//!   the first message's name. `topic` and `topic-record` need a topic, so a file they apply to
//!   must be listed with one.
//! * Every listed `path` (relative to the repository root) must be a schema file this mode
//!   checks; unknown keys are errors.
//!
//! # References
//!
//! Avro named types defined by other files of `schemas/` and Protobuf imports of other files
//! under `proto/` (`google/protobuf/*` and `google/type/*` excepted, as Confluent's clients
//! skip them) are sent as `references` (Avro: the type's full name, sorted by name; Protobuf:
//! the import path, in import order). The registry must already hold each referenced file's
//! exact text (with its own references) under the referenced file's subject (same rules): its
//! version is found with `POST /subjects/{subject}` (lookup). When it is not there, the file is
//! a `REFERENCE_NOT_REGISTERED` finding: register the referenced schema first. This is also
//! what a pull request changing a referenced file and its user at once gets: the referenced
//! file is checked on its own, its users wait for it to be registered.
//!
//! # Outcomes
//!
//! A subject the registry does not know (`40401`) is a new schema: it passes, with a note.
//!
//! # Compatibility groups
//!
//! A subject whose config has a `compatibilityGroup` (a metadata property, e.g.
//! `major_version`) is compared within one group: the file's, which is the `metadata` its
//! `[[file]]` entry gives (`metadata = { major_version = "2" }`), else the latest version's
//! (what registering it without metadata keeps). A file whose group differs from the latest
//! version's is reported with a note (`compatibility group change`): the versions of the
//! latest's group are not compared with it.
//! A schema the registry cannot parse (`42201`) is exit 2; an unreachable registry or any
//! other error is exit 3 with one line on stderr.

use std::collections::BTreeMap;
use std::path::Path;

use schemaflow::registry::{
    CachedRegistry, ErrorCode, Metadata, RegistryClient, RegistryError, Schema, SchemaReference,
    Version,
};

use super::super::common::{schema_type_from_extension, CliError, Global};
use super::super::repo::references::direct_references;
use super::super::repo::subjects::Subjects;
use super::super::repo::tree::{repository_root, working_tree, Tree};
use super::{CheckArgs, Located, NotChecked, Outcome};
use schemaflow::compat::locate::Position;
use schemaflow::compat::Rule;

/// A reference the registry does not hold.
#[derive(Clone)]
struct Missing {
    file: String,
    subject: String,
}

/// How a referenced file stands in the registry.
#[derive(Clone)]
enum RefState {
    /// Registered under `subject` at `version`.
    Registered { subject: String, version: i32 },
    /// Not there (this file, or one it references in turn).
    Missing(Missing),
}

/// Blocking calls to the registry.
struct Remote {
    rt: tokio::runtime::Runtime,
    client: RegistryClient,
}

fn registry_fail(e: RegistryError) -> CliError {
    match e.code() {
        Some(ErrorCode::InvalidSchema) => {
            CliError::usage(format!("the registry rejected a schema: {e}"))
        }
        _ => CliError::io(format!("registry: {e}")),
    }
}

fn is_not_found(e: &RegistryError) -> bool {
    matches!(
        e.code(),
        Some(ErrorCode::SubjectNotFound | ErrorCode::SchemaNotFound | ErrorCode::VersionNotFound)
    )
}

/// Works out subjects and references for the files of one tree.
struct Resolver<'a> {
    tree: &'a Tree,
    subjects: &'a Subjects,
    remote: &'a Remote,
    refs: BTreeMap<String, RefState>,
}

impl Resolver<'_> {
    /// The schema to send for `path`, or the first reference the registry lacks.
    fn schema(
        &mut self,
        path: &str,
        stack: &mut Vec<String>,
    ) -> Result<Result<Schema, Missing>, CliError> {
        let text = self.tree.files.get(path).ok_or_else(|| {
            CliError::usage(format!("{path}: not a schema file of this repository"))
        })?;
        let schema_type = schema_type_from_extension(Path::new(path))
            .ok_or_else(|| CliError::usage(format!("{path}: not an .avsc or .proto file")))?;
        if stack.iter().any(|p| p == path) {
            return Err(CliError::usage(format!(
                "reference cycle: {} -> {path}",
                stack.join(" -> ")
            )));
        }
        stack.push(path.to_string());
        let mut references = Vec::new();
        for (name, file) in direct_references(self.tree, path, text)? {
            match self.reference(&file, stack)? {
                RefState::Registered { subject, version } => references.push(SchemaReference {
                    name,
                    subject,
                    version,
                }),
                RefState::Missing(m) => {
                    stack.pop();
                    return Ok(Err(m));
                }
            }
        }
        stack.pop();
        Ok(Ok(Schema {
            schema: text.clone(),
            schema_type,
            references,
        }))
    }

    /// Where the registry holds a referenced file.
    fn reference(&mut self, path: &str, stack: &mut Vec<String>) -> Result<RefState, CliError> {
        if let Some(s) = self.refs.get(path) {
            return Ok(s.clone());
        }
        let text = self.tree.files.get(path).cloned().unwrap_or_default();
        let subject = self.subjects.subject_of(path, &text)?;
        let state = match self.schema(path, stack)? {
            Err(m) => RefState::Missing(m),
            Ok(schema) => {
                let found = self
                    .remote
                    .rt
                    .block_on(self.remote.client.lookup(&subject, &schema, false));
                match found {
                    Ok(r) => RefState::Registered {
                        subject,
                        version: r.version,
                    },
                    Err(e) if is_not_found(&e) => RefState::Missing(Missing {
                        file: path.to_string(),
                        subject,
                    }),
                    Err(e) => return Err(registry_fail(e)),
                }
            }
        };
        self.refs.insert(path.to_string(), state.clone());
        Ok(state)
    }
}

/// The metadata to check `path` with under `subject`, and a note when that moves the subject
/// to another compatibility group. With a `compatibilityGroup` configured (say
/// `major_version`), the file's group is its `metadata` in the subjects file, else the latest
/// version's (registering without metadata carries it forward, as Confluent does); the
/// registry compares the file with the versions of that group only. A group other than the
/// latest version's is a deliberate break: nothing of the latest's group is compared, so it is
/// reported (readers across it need migration rules).
fn group_change(
    remote: &Remote,
    registry: &CachedRegistry,
    subjects: &Subjects,
    path: &str,
    subject: &str,
) -> Result<(Option<Metadata>, Option<String>), CliError> {
    let declared = subjects.metadata_of(path);
    let group = remote
        .rt
        .block_on(remote.client.compatibility_group(subject))
        .map_err(registry_fail)?;
    let Some(group) = group else {
        let metadata = declared.map(|p| Metadata {
            properties: p.clone(),
            ..Metadata::default()
        });
        return Ok((metadata, None));
    };
    let latest = remote
        .rt
        .block_on(remote.client.version(subject, Version::Latest))
        .map_err(registry_fail)?;
    let latest_metadata = remote
        .rt
        .block_on(registry.schema_by_id(latest.id))
        .map_err(registry_fail)?
        .metadata
        .clone()
        .unwrap_or_default();
    let was = latest_metadata.property(&group).map(str::to_string);
    let metadata = match declared {
        Some(p) => Metadata {
            properties: p.clone(),
            ..Metadata::default()
        },
        None => latest_metadata,
    };
    let now = metadata.property(&group).map(str::to_string);
    let shown = |v: &Option<String>| {
        v.as_deref()
            .map_or("(none)".to_string(), |v| format!("{v:?}"))
    };
    let note = (now != was).then(|| {
        format!(
            "compatibility group change: subject {subject} groups versions by {group}, and this file ({group} = {}) leaves the latest version's group ({group} = {}); versions of other groups are not compared with it (Confluent's compatibilityGroup): readers across the change need migration rules",
            shown(&now),
            shown(&was)
        )
    });
    Ok((Some(metadata), note))
}

/// Run registry mode against `url`.
pub(super) fn registry_mode(
    global: &Global,
    args: &CheckArgs,
    url: &str,
) -> Result<Outcome, CliError> {
    let root = repository_root()?;
    let tree = working_tree(&root)?;
    // The subjects the check consults must be the ones producers register under.
    let subjects = Subjects::load_required(
        "check --registry",
        &root,
        args.subjects_config.as_deref(),
        &tree,
    )?;

    // The command line's registry client: its basic auth or bearer token, TLS settings.
    let registry = global.registry_at(url)?;
    let client = registry.client().clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io(format!("starting the async runtime: {e}")))?;
    let remote = Remote { rt, client };
    let mut resolver = Resolver {
        tree: &tree,
        subjects: &subjects,
        remote: &remote,
        refs: BTreeMap::new(),
    };

    let mut found = Vec::new();
    let mut not_checked = Vec::new();
    let mut checked = Vec::new();
    for (path, text) in &tree.files {
        let subject = subjects.subject_of(path, text)?;
        let schema = match resolver.schema(path, &mut Vec::new())? {
            Ok(s) => s,
            Err(m) => {
                checked.push(path.clone());
                found.push(Located {
                    file: path.clone(),
                    line: Position::START.line,
                    column: Position::START.column,
                    rule: Rule::ReferenceNotRegistered,
                    path: subject.clone(),
                    message: format!(
                        "references {} (subject {}), but the registry holds no version of that subject with this text; register the referenced schema first, then check again",
                        m.file, m.subject
                    ),
                    direction: "REGISTRY".to_string(),
                    against: format!("registry subject {}", m.subject),
                });
                continue;
            }
        };
        let new_subject = || {
            NotChecked {
            file: path.clone(),
            subject: Some(subject.clone()),
            reason: format!(
                "subject {subject} does not exist in the registry yet: a new schema, nothing to be compatible with"
            ),
        }
        };
        match remote.rt.block_on(remote.client.subject_versions(&subject)) {
            Ok(v) if !v.is_empty() => {}
            Ok(_) => {
                not_checked.push(new_subject());
                continue;
            }
            Err(e) if e.code() == Some(ErrorCode::SubjectNotFound) => {
                not_checked.push(new_subject());
                continue;
            }
            Err(e) => return Err(registry_fail(e)),
        }
        let (metadata, moved) = group_change(&remote, &registry, &subjects, path, &subject)?;
        if let Some(note) = moved {
            not_checked.push(NotChecked {
                file: path.clone(),
                subject: Some(subject.clone()),
                reason: note,
            });
        }
        let result = match remote.rt.block_on(
            remote
                .client
                .check_compatibility_with_metadata(&subject, None, &schema, metadata),
        ) {
            Ok(r) => r,
            Err(e) if e.code() == Some(ErrorCode::SubjectNotFound) => {
                not_checked.push(new_subject());
                continue;
            }
            Err(e) => return Err(registry_fail(e)),
        };
        checked.push(path.clone());
        if result.is_compatible {
            continue;
        }
        // Which level the registry applied: for the reader; a registry may refuse to say.
        let level = match remote
            .rt
            .block_on(remote.client.compatibility(Some(&subject)))
        {
            Ok(l) => l.to_string(),
            Err(RegistryError::Response { .. }) => "REGISTRY".to_string(),
            Err(e) => return Err(registry_fail(e)),
        };
        let messages = if result.messages.is_empty() {
            vec!["the registry says the schema is incompatible (it gave no reason)".to_string()]
        } else {
            result.messages
        };
        for message in messages {
            found.push(Located {
                file: path.clone(),
                line: Position::START.line,
                column: Position::START.column,
                rule: Rule::RegistryIncompatible,
                path: subject.clone(),
                message,
                direction: level.clone(),
                against: format!("registry subject {subject}"),
            });
        }
    }
    Ok(Outcome {
        found,
        checked,
        not_checked,
    })
}
