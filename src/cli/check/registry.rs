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
//! A schema the registry cannot parse (`42201`) is exit 2; an unreachable registry or any
//! other error is exit 3 with one line on stderr.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemaflow::registry::{
    ErrorCode, RegistryClient, RegistryError, Schema, SchemaReference, SubjectNameStrategy,
};
use schemaflow::SchemaType;
use serde::Deserialize;

use super::super::common::{schema_type_from_extension, CliError, Global};
use super::repo::{git, working_tree, Tree};
use super::{avro_full_name, locate, CheckArgs, Located, Note, Outcome};

/// The rule id of an incompatibility the registry reported.
pub const REGISTRY_INCOMPATIBLE: &str = "REGISTRY_INCOMPATIBLE";
/// The rule id of a reference whose schema the registry does not hold.
pub const REFERENCE_NOT_REGISTERED: &str = "REFERENCE_NOT_REGISTERED";
/// The subjects file looked for at the repository root.
pub const DEFAULT_SUBJECTS_CONFIG: &str = "schemaflow-subjects.toml";

/// The subjects file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectsConfig {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default, rename = "file")]
    files: Vec<FileEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    strategy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    path: String,
    subject: Option<String>,
    topic: Option<String>,
    strategy: Option<String>,
    #[serde(default)]
    key: bool,
}

/// Subject rules, checked against the repository's files.
struct Subjects {
    default: SubjectNameStrategy,
    files: BTreeMap<String, FileEntry>,
    source: String,
}

fn strategy(s: &str, source: &str) -> Result<SubjectNameStrategy, CliError> {
    s.parse()
        .map_err(|e| CliError::usage(format!("{source}: {e} (or record, topic, topic-record)")))
}

impl Subjects {
    fn load(path: Option<&Path>, tree: &Tree) -> Result<Self, CliError> {
        let (config, source) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| CliError::io(format!("reading {}: {e}", p.display())))?;
                let config: SubjectsConfig = toml::from_str(&text).map_err(|e| {
                    CliError::usage(format!(
                        "{}: {}",
                        p.display(),
                        e.to_string().replace('\n', " ")
                    ))
                })?;
                (config, p.display().to_string())
            }
            None => (SubjectsConfig::default(), "defaults".to_string()),
        };
        let default = match &config.defaults.strategy {
            Some(s) => strategy(s, &source)?,
            None => SubjectNameStrategy::RecordName,
        };
        let mut files = BTreeMap::new();
        for f in config.files {
            let path = f.path.trim_start_matches("./").to_string();
            if !tree.files.contains_key(&path) {
                return Err(CliError::usage(format!(
                    "{source}: [[file]] path {:?} is not a schema file under schemas/ or proto/ (evolution/ is skipped)",
                    f.path
                )));
            }
            if f.subject.is_some() && (f.topic.is_some() || f.strategy.is_some()) {
                return Err(CliError::usage(format!(
                    "{source}: {path}: give either subject or topic/strategy, not both"
                )));
            }
            if files.insert(path.clone(), f).is_some() {
                return Err(CliError::usage(format!("{source}: {path} is listed twice")));
            }
        }
        Ok(Subjects {
            default,
            files,
            source,
        })
    }

    /// The subject of a repository file.
    fn subject_of(&self, path: &str, text: &str) -> Result<String, CliError> {
        let entry = self.files.get(path);
        if let Some(s) = entry.and_then(|e| e.subject.as_ref()) {
            return Ok(s.clone());
        }
        let topic = entry.and_then(|e| e.topic.as_deref());
        let strategy = match (entry.and_then(|e| e.strategy.as_deref()), topic) {
            (Some(s), _) => strategy(s, &self.source)?,
            (None, Some(_)) if self.default == SubjectNameStrategy::TopicRecordName => {
                SubjectNameStrategy::TopicRecordName
            }
            (None, Some(_)) => SubjectNameStrategy::TopicName,
            (None, None) => self.default,
        };
        let is_key = entry.is_some_and(|e| e.key);
        match (strategy, topic) {
            (SubjectNameStrategy::RecordName, Some(_)) => Err(CliError::usage(format!(
                "{}: {path}: strategy record does not use a topic; drop topic or pick topic/topic-record",
                self.source
            ))),
            (SubjectNameStrategy::RecordName, None) => record_name(path, text),
            (SubjectNameStrategy::TopicName, Some(t)) => Ok(strategy.subject(t, "", is_key)),
            (SubjectNameStrategy::TopicRecordName, Some(t)) => {
                Ok(strategy.subject(t, &record_name(path, text)?, is_key))
            }
            (s, None) => Err(CliError::usage(format!(
                "{path}: {s} needs a topic: list it in the subjects config ([[file]] path = {path:?}, topic = \"…\")"
            ))),
        }
    }
}

/// RecordNameStrategy's name for a file: the Avro top-level full name, or the Protobuf
/// package plus the first message's name.
fn record_name(path: &str, text: &str) -> Result<String, CliError> {
    match schema_type_from_extension(Path::new(path)) {
        Some(SchemaType::Avro) => avro_full_name(text).ok_or_else(|| {
            CliError::usage(format!(
                "{path}: not a named Avro type, so it has no record name: map it to a subject in the subjects config"
            ))
        }),
        Some(SchemaType::Protobuf) => {
            let file = protox::file::File::from_source(path, text)
                .map_err(|e| CliError::usage(format!("{path}: {e}")))?;
            let fdp = file.file_descriptor_proto();
            let message = fdp.message_type.first().and_then(|m| m.name.as_deref());
            match (fdp.package.as_deref(), message) {
                (_, None) => Err(CliError::usage(format!(
                    "{path}: defines no message, so it has no record name: map it to a subject in the subjects config"
                ))),
                (Some(p), Some(m)) if !p.is_empty() => Ok(format!("{p}.{m}")),
                (_, Some(m)) => Ok(m.to_string()),
            }
        }
        _ => Err(CliError::usage(format!("{path}: not an .avsc or .proto file"))),
    }
}

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
fn direct_references(
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
        _ => Ok(Vec::new()),
    }
}

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

/// The repository root: the current folder when it holds `schemas/`, `proto/` or the subjects
/// file, else the git top level when there is one, else the current folder.
fn repository_root() -> Result<PathBuf, CliError> {
    let cwd =
        std::env::current_dir().map_err(|e| CliError::io(format!("current directory: {e}")))?;
    let looks_like_root = |d: &Path| {
        d.join("schemas").is_dir()
            || d.join("proto").is_dir()
            || d.join(DEFAULT_SUBJECTS_CONFIG).is_file()
    };
    if looks_like_root(&cwd) {
        return Ok(cwd);
    }
    match git(&cwd, &["rev-parse", "--show-toplevel"]) {
        Ok(top) => Ok(PathBuf::from(String::from_utf8_lossy(&top).trim())),
        Err(_) => Ok(cwd),
    }
}

/// Run registry mode against `url`.
pub(super) fn registry_mode(
    global: &Global,
    args: &CheckArgs,
    url: &str,
) -> Result<Outcome, CliError> {
    let root = repository_root()?;
    let tree = working_tree(&root)?;
    let config_path = match &args.subjects_config {
        Some(p) => Some(p.clone()),
        None => Some(root.join(DEFAULT_SUBJECTS_CONFIG)).filter(|p| p.is_file()),
    };
    let subjects = Subjects::load(config_path.as_deref(), &tree)?;

    // The command line's registry client: its basic auth or bearer token, TLS settings.
    let client = global.registry_at(url)?.client().clone();
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
    let mut notes = Vec::new();
    let mut checked = 0;
    for (path, text) in &tree.files {
        let subject = subjects.subject_of(path, text)?;
        checked += 1;
        let schema = match resolver.schema(path, &mut Vec::new())? {
            Ok(s) => s,
            Err(m) => {
                found.push(Located {
                    file: path.clone(),
                    line: locate::Position::START.line,
                    column: locate::Position::START.column,
                    rule: REFERENCE_NOT_REGISTERED,
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
            Note {
            file: path.clone(),
            subject: subject.clone(),
            message: format!(
                "subject {subject} does not exist in the registry yet: a new schema, nothing to be compatible with"
            ),
        }
        };
        match remote.rt.block_on(remote.client.subject_versions(&subject)) {
            Ok(v) if !v.is_empty() => {}
            Ok(_) => {
                notes.push(new_subject());
                continue;
            }
            Err(e) if e.code() == Some(ErrorCode::SubjectNotFound) => {
                notes.push(new_subject());
                continue;
            }
            Err(e) => return Err(registry_fail(e)),
        }
        let result = match remote
            .rt
            .block_on(remote.client.check_compatibility(&subject, None, &schema))
        {
            Ok(r) => r,
            Err(e) if e.code() == Some(ErrorCode::SubjectNotFound) => {
                notes.push(new_subject());
                continue;
            }
            Err(e) => return Err(registry_fail(e)),
        };
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
                line: locate::Position::START.line,
                column: locate::Position::START.column,
                rule: REGISTRY_INCOMPATIBLE,
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
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        Tree {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        }
    }

    const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
    const USER: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"address","type":["null","Address"]},{"name":"Address","type":"string"}]}"#;
    const PROTO: &str = "syntax = \"proto3\";\npackage ev.v1;\nimport \"ev/v1/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage A { Common c = 1; }\nmessage B {}\n";

    fn config(text: &str, t: &Tree) -> Result<Subjects, CliError> {
        let dir = tempfile::tempdir().map_err(|e| CliError::io(e.to_string()))?;
        let p = dir.path().join("s.toml");
        std::fs::write(&p, text).map_err(|e| CliError::io(e.to_string()))?;
        Subjects::load(Some(&p), t)
    }

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

    #[test]
    fn subjects_follow_the_rules() -> Result<(), String> {
        let t = tree(&[
            ("schemas/address.avsc", ADDRESS),
            ("schemas/user.avsc", USER),
            ("proto/ev/v1/a.proto", PROTO),
        ]);
        let s = config(
            "[[file]]\npath = \"schemas/user.avsc\"\nsubject = \"users-value\"\n[[file]]\npath = \"proto/ev/v1/a.proto\"\ntopic = \"t\"\nkey = true\n",
            &t,
        )
        .map_err(|f| f.message)?;
        let subject = |p: &str, text: &str| s.subject_of(p, text).map_err(|f| f.message);
        assert_eq!(subject("schemas/user.avsc", USER)?, "users-value");
        assert_eq!(subject("proto/ev/v1/a.proto", PROTO)?, "t-key");
        assert_eq!(subject("schemas/address.avsc", ADDRESS)?, "shop.Address");

        let s = config(
            "[defaults]\nstrategy = \"topic-record\"\n[[file]]\npath = \"proto/ev/v1/a.proto\"\ntopic = \"t\"\n",
            &t,
        )
        .map_err(|f| f.message)?;
        assert_eq!(
            s.subject_of("proto/ev/v1/a.proto", PROTO)
                .map_err(|f| f.message)?,
            "t-ev.v1.A"
        );
        assert!(
            s.subject_of("schemas/address.avsc", ADDRESS).is_err(),
            "topic-record needs a topic"
        );
        Ok(())
    }

    #[test]
    fn bad_configs_are_usage_errors() {
        let t = tree(&[("schemas/address.avsc", ADDRESS)]);
        for bad in [
            "[[file]]\npath = \"schemas/gone.avsc\"\nsubject = \"x\"\n",
            "[[file]]\npath = \"schemas/address.avsc\"\nsubject = \"x\"\ntopic = \"t\"\n",
            "[defaults]\nstrategy = \"sideways\"\n",
            "[defaults]\nstratgy = \"record\"\n",
            "[[file]]\npath = \"schemas/address.avsc\"\nsubject = \"x\"\n[[file]]\npath = \"schemas/address.avsc\"\nsubject = \"y\"\n",
        ] {
            match config(bad, &t) {
                Err(f) => assert_eq!(f.code, crate::cli::EXIT_USAGE, "{bad}: {}", f.message),
                Ok(_) => panic!("accepted {bad:?}"),
            }
        }
    }
}
