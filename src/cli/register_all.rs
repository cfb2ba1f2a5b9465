//! `schemaflow register --all [--dry-run]`: register every schema file of the repository
//! under its subject, references first.
//!
//! The repository model is the one `check --registry` uses (`repo::tree`, `repo::subjects`,
//! `repo::references`): every `*.avsc` under `schemas/` and `*.proto` under `proto/`
//! (`evolution/` skipped), each under the subject the subjects file gives it, with its direct
//! references to other files of the repository.
//!
//! * **Order.** A referenced file is registered before the files that reference it
//!   (depth-first over the files in path order, dependencies first), so that each reference
//!   can name a version that exists. A reference cycle is a usage error naming the cycle.
//! * **References.** Each reference names the version its subject holds for the referenced
//!   file's exact text (with its own references), found by lookup (`POST /subjects/{subject}`)
//!   or by registering it first. Changing a referenced file therefore gives the files using it
//!   new versions too: they now point at the new version.
//! * **Idempotence.** A schema its subject already holds (lookup finds it) is not registered
//!   again: a second run changes nothing and says so.
//! * **Config.** When the subjects file gives a file a `compatibility` and the registry's level
//!   for the subject (its own, else the global one) differs, the subject's level is set
//!   (`PUT /config/{subject}`) before its new version is registered, so that the registry
//!   judges the new version under the declared level.
//! * **Dry run.** Nothing is changed: each file's plan is shown with the registry's verdict
//!   (`POST /compatibility/subjects/{subject}/versions/latest?verbose=true`). A file whose
//!   references are themselves only planned cannot be judged yet (the registry would need the
//!   referenced versions): its plan says so instead of failing.
//!
//! Exit codes: 0 done (or the dry run found nothing incompatible), 1 a dry run found an
//! incompatible schema or the registry refused one (HTTP 409; the run stops at that file),
//! 2 usage or parse error (no subjects file, a reference cycle, a schema the registry cannot
//! parse), 3 registry unreachable or any other registry error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use schemaflow::compat::ParsedSchema;
use schemaflow::registry::{
    CompatibilityLevel, ErrorCode, RegistryClient, RegistryError, Schema, SchemaReference, Version,
};
use schemaflow::SchemaError;
use serde_json::json;

use crate::outln;

use super::common::{block_on, print_json, schema_type_from_extension, CliError, Global};
use super::repo::references::dependency_order;
use super::repo::subjects::Subjects;
use super::repo::tree::{repository_root, working_tree, Tree};

/// How `register --all` prints its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum PlanFormat {
    /// One line per file (and indented lines for config changes and registry messages).
    #[default]
    Text,
    /// One JSON object: `{"dry_run": bool, "steps": [...]}`.
    Json,
}

/// What `register --all` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Show the plan, change nothing.
    pub dry_run: bool,
    /// The subjects file (default: `schemaflow-subjects.toml` at the repository root).
    pub subjects_config: Option<PathBuf>,
    /// Output format.
    pub output: PlanFormat,
    /// Ask the registry to normalize schemas (lookup and register alike, so that a normalized
    /// registration is found again by the next run).
    pub normalize: bool,
}

/// What a step does to its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// A new version of an existing subject.
    Register,
    /// The subject already holds this schema.
    Unchanged,
    /// The first version of a subject the registry does not know.
    NewSubject,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::Unchanged => "unchanged",
            Action::NewSubject => "new-subject",
        }
    }
}

/// One file of the plan (or of the run).
#[derive(Debug, Clone)]
struct Step {
    file: String,
    subject: String,
    action: Action,
    /// The version and id under the subject: known for unchanged schemas, and after a real
    /// run registered them.
    version: Option<i32>,
    id: Option<u32>,
    /// The subject's level change, `(registry's, declared)`.
    config: Option<(CompatibilityLevel, CompatibilityLevel)>,
    /// The registry's verdict for a new version (`None`: nothing to judge, or not judged yet).
    compatible: Option<bool>,
    /// The registry's messages when incompatible, or why there is no verdict.
    messages: Vec<String>,
}

/// A schema file in the order it is registered.
struct File {
    path: String,
    subject: String,
    schema_type: schemaflow::SchemaType,
    /// Direct references: `(reference name, file path)`.
    references: Vec<(String, String)>,
}

/// Where a file stands once its step has run (or been planned).
#[derive(Debug, Clone)]
enum RefState {
    /// Its subject holds it at this version.
    Registered { subject: String, version: i32 },
    /// Only planned (dry run): no version to point at yet.
    Planned,
}

/// Run `register --all`.
pub fn run(g: &Global, o: Options) -> Result<(), CliError> {
    let root = repository_root()?;
    let tree = working_tree(&root)?;
    // As `check --registry`: registering under guessed subjects would feed no producer.
    let subjects =
        Subjects::load_required("register --all", &root, o.subjects_config.as_deref(), &tree)?;
    let files = ordered(&tree, &subjects)?;
    if files.is_empty() {
        return Err(CliError::usage(format!(
            "no schema files under {}/schemas (*.avsc) or {}/proto (*.proto): nothing to register",
            root.display(),
            root.display()
        )));
    }
    let registry = g.registry()?;
    let client = registry.client().clone();
    block_on(async move {
        let mut steps = Vec::new();
        let result = execute(&client, &tree, &subjects, &files, &o, &mut steps).await;
        render(&steps, &o)?;
        // A dry run's summary holds whatever it found; a stopped real run's would read like
        // success, so its error (which says what was registered) stands alone.
        if o.dry_run || result.is_ok() {
            summary(&steps, &o)?;
        }
        result
    })
}

/// The files of `tree` with their subjects and references, referenced files first.
fn ordered(tree: &Tree, subjects: &Subjects) -> Result<Vec<File>, CliError> {
    let order = dependency_order(tree)?;
    let mut files = Vec::with_capacity(order.len());
    for (path, references) in order {
        let text = tree
            .files
            .get(&path)
            .map(String::as_str)
            .unwrap_or_default();
        let schema_type = schema_type_from_extension(Path::new(&path))
            .ok_or_else(|| CliError::usage(format!("{path}: not an .avsc or .proto file")))?;
        files.push(File {
            subject: subjects.subject_of(&path, text)?,
            schema_type,
            references,
            path,
        });
    }
    Ok(files)
}

fn is_schema_not_found(e: &RegistryError) -> bool {
    matches!(
        e.code(),
        Some(ErrorCode::SchemaNotFound | ErrorCode::VersionNotFound)
    )
}

/// Plan (dry run) or run every file in order, pushing one step per file handled; a real run
/// stops at the first file the registry refuses.
async fn execute(
    client: &RegistryClient,
    tree: &Tree,
    subjects: &Subjects,
    files: &[File],
    o: &Options,
    steps: &mut Vec<Step>,
) -> Result<(), CliError> {
    let mut states: BTreeMap<String, RefState> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let text = tree.files.get(&f.path).cloned().unwrap_or_default();
        let mut references = Vec::new();
        let mut waiting = Vec::new();
        for (name, dep) in &f.references {
            match states.get(dep) {
                Some(RefState::Registered { subject, version }) => {
                    references.push(SchemaReference {
                        name: name.clone(),
                        subject: subject.clone(),
                        version: *version,
                    })
                }
                Some(RefState::Planned) => waiting.push(dep.clone()),
                // `ordered` puts every referenced file first; a gap would be a bug here.
                None => {
                    return Err(CliError::io(format!(
                    "{}: its reference {dep} was not handled before it (internal ordering error)",
                    f.path
                )))
                }
            }
        }
        let schema = Schema {
            schema: text,
            schema_type: f.schema_type,
            references,
        };
        let step = match plan_one(client, tree, subjects, f, &schema, &waiting, o).await {
            Ok(step) => step,
            Err(e) => {
                let p = progress(&files[..i], steps, o.dry_run);
                return Err(with_progress(e, &f.path, &p));
            }
        };
        if o.dry_run {
            let state = match (step.action, step.version) {
                (Action::Unchanged, Some(version)) => RefState::Registered {
                    subject: f.subject.clone(),
                    version,
                },
                _ => RefState::Planned,
            };
            states.insert(f.path.clone(), state);
            steps.push(step);
            continue;
        }
        let step = match apply(client, tree, f, &schema, step, o.normalize).await {
            Ok(step) => step,
            Err((e, refused)) => {
                let p = progress(&files[..i], steps, false);
                steps.extend(refused);
                return Err(with_progress(e, &f.path, &p));
            }
        };
        let Some(version) = step.version else {
            return Err(CliError::io(format!(
                "{}: the registry did not say which version of {} holds it",
                f.path, f.subject
            )));
        };
        states.insert(
            f.path.clone(),
            RefState::Registered {
                subject: f.subject.clone(),
                version,
            },
        );
        steps.push(step);
    }
    if o.dry_run {
        let refused: Vec<&str> = steps
            .iter()
            .filter(|s| s.compatible == Some(false))
            .map(|s| s.file.as_str())
            .collect();
        if !refused.is_empty() {
            return Err(CliError::failed(format!(
                "dry run: the registry would refuse {} as incompatible with the latest version of its subject (nothing was changed)",
                refused.join(", ")
            )));
        }
    }
    Ok(())
}

/// What the registry holds for one file, and what registering it would do (no changes).
async fn plan_one(
    client: &RegistryClient,
    tree: &Tree,
    subjects: &Subjects,
    f: &File,
    schema: &Schema,
    waiting: &[String],
    o: &Options,
) -> Result<Step, CliError> {
    let mut step = Step {
        file: f.path.clone(),
        subject: f.subject.clone(),
        action: Action::Register,
        version: None,
        id: None,
        config: None,
        compatible: None,
        messages: Vec::new(),
    };
    if let Some(declared) = subjects.compatibility_of(&f.path) {
        // The level the registry applies to the subject today (its own, else the global one):
        // what the new version would be judged under without a change.
        let current = client.compatibility(Some(&f.subject)).await?;
        if current != declared {
            step.config = Some((current, declared));
        }
    }
    if !waiting.is_empty() {
        // A reference to a version that does not exist yet: no registered version can hold
        // this schema, and the registry cannot judge it until the references are registered.
        step.action = match client.subject_versions(&f.subject).await {
            Ok(v) if !v.is_empty() => Action::Register,
            Ok(_) => Action::NewSubject,
            Err(e) if e.code() == Some(ErrorCode::SubjectNotFound) => Action::NewSubject,
            Err(e) => return Err(e.into()),
        };
        if step.action == Action::Register {
            step.messages.push(format!(
                "verdict after its references are registered ({} only planned)",
                waiting.join(", ")
            ));
        }
        return Ok(step);
    }
    match client.lookup(&f.subject, schema, o.normalize).await {
        Ok(r) => {
            step.action = Action::Unchanged;
            step.version = Some(r.version);
            step.id = Some(r.id.0);
            return Ok(step);
        }
        Err(e) if e.code() == Some(ErrorCode::SubjectNotFound) => {
            step.action = Action::NewSubject;
            return Ok(step);
        }
        Err(e) if is_schema_not_found(&e) => {}
        Err(e) => return Err(register_error(e, tree, f, schema)),
    }
    if !o.dry_run {
        // A real run learns the verdict from the registration itself.
        return Ok(step);
    }
    let verdict = client
        .check_compatibility(&f.subject, Some(Version::Latest), schema)
        .await;
    match verdict {
        Ok(r) => {
            step.compatible = Some(r.is_compatible);
            if !r.is_compatible {
                step.messages = if r.messages.is_empty() {
                    vec!["the registry says the schema is incompatible (it gave no reason)".into()]
                } else {
                    r.messages
                };
            }
        }
        // Deleted between the lookup and the check: the run would create it afresh.
        Err(e) if e.code() == Some(ErrorCode::SubjectNotFound) => {
            step.action = Action::NewSubject;
            return Ok(step);
        }
        Err(e) => return Err(register_error(e, tree, f, schema)),
    }
    if let Some((from, to)) = step.config {
        // The dry run cannot set the level, so the verdict is today's level's.
        step.messages.push(format!(
            "verdict under the registry's current level {from}; the run sets {to} first, which may judge differently"
        ));
    }
    Ok(step)
}

/// Carry out a planned step: set the subject's level, then register the schema. A refusal
/// comes back with its step (verdict and messages) for the output.
async fn apply(
    client: &RegistryClient,
    tree: &Tree,
    f: &File,
    schema: &Schema,
    mut step: Step,
    normalize: bool,
) -> Result<Step, (CliError, Option<Step>)> {
    if let Some((_, to)) = step.config {
        // Before registering: the new version must be judged under the declared level.
        client
            .set_compatibility(Some(&f.subject), to)
            .await
            .map_err(|e| (CliError::from(e), None))?;
    }
    if step.action == Action::Unchanged {
        return Ok(step);
    }
    match client.register(&f.subject, schema, normalize).await {
        Ok(_) => {}
        Err(e) if e.code() == Some(ErrorCode::Incompatible) => {
            // The registry's verbose verdict names the incompatibilities one by one; the 409's
            // message is the fallback when it cannot give it.
            let messages = match client
                .check_compatibility(&f.subject, Some(Version::Latest), schema)
                .await
            {
                Ok(r) if !r.messages.is_empty() => r.messages,
                _ => vec![e.to_string()],
            };
            step.compatible = Some(false);
            step.messages = messages;
            let summary = step.messages.join("; ");
            let e = CliError::failed(format!(
                "the registry refused it as incompatible under subject {}: {summary}",
                f.subject
            ));
            return Err((e, Some(step)));
        }
        Err(e) => return Err((register_error(e, tree, f, schema), None)),
    }
    // The registration answers the id only; the version the references of later files
    // need comes from the lookup.
    let r = client
        .lookup(&f.subject, schema, normalize)
        .await
        .map_err(|e| (CliError::from(e), None))?;
    step.version = Some(r.version);
    step.id = Some(r.id.0);
    if step.action == Action::Register {
        step.compatible = Some(true);
    }
    Ok(step)
}

/// `e` from sending the file `f` to the registry. When the registry found the schema invalid,
/// the file is parsed here for the reason: the registry names its own copy of the schema
/// (`schema.proto`, or nothing), this names the user's file and, where the parser knows it,
/// the line (`proto/ev/a.proto:5:3: …`). A schema that parses here keeps the registry's reason.
fn register_error(e: RegistryError, tree: &Tree, f: &File, schema: &Schema) -> CliError {
    if e.code() != Some(ErrorCode::InvalidSchema) {
        return super::missing_refs::register_error(e, schema);
    }
    let reason = match tree.input(&f.path, f.path.clone()) {
        Ok(Some(input)) => match ParsedSchema::parse(&input) {
            // The error is reported under the file's name already: the parser's reason.
            Err(
                SchemaError::ParseAvroSchema { reason, .. }
                | SchemaError::ParseProtobufSchema { reason, .. },
            ) => reason,
            Err(other) => other.to_string(),
            Ok(_) => return super::missing_refs::register_error(e, schema),
        },
        // An import the tree does not hold: that error names the file.
        Err(local) => local.message,
        Ok(None) => return super::missing_refs::register_error(e, schema),
    };
    CliError::usage(format!(
        "invalid schema (the registry's error 42201): {reason}"
    ))
}

/// Which files a stopped real run registered before stopping, for its error message.
fn progress(done: &[File], steps: &[Step], dry_run: bool) -> String {
    if dry_run {
        return "nothing was changed (dry run)".to_string();
    }
    let changed: Vec<&str> = steps
        .iter()
        .filter(|s| s.action != Action::Unchanged)
        .map(|s| s.file.as_str())
        .collect();
    let unchanged = done.len() - changed.len();
    if changed.is_empty() {
        format!("nothing was registered ({unchanged} file(s) before it were already registered)")
    } else {
        format!(
            "registered before it: {}; files after it were not registered",
            changed.join(", ")
        )
    }
}

fn with_progress(mut e: CliError, file: &str, progress: &str) -> CliError {
    if !e.is_stdout_closed() {
        e.message = format!("{file}: {}; {progress}", e.message);
    }
    e
}

/// Print the steps (text or JSON).
fn render(steps: &[Step], o: &Options) -> Result<(), CliError> {
    if o.output == PlanFormat::Json {
        let steps: Vec<serde_json::Value> = steps
            .iter()
            .map(|s| {
                json!({
                    "file": s.file,
                    "subject": s.subject,
                    "action": s.action.as_str(),
                    "version": s.version,
                    "id": s.id,
                    "config": s.config.map(|(from, to)| json!({"from": from.as_str(), "to": to.as_str()})),
                    "compatible": s.compatible,
                    "messages": s.messages,
                })
            })
            .collect();
        return print_json(&json!({"dry_run": o.dry_run, "steps": steps}));
    }
    if o.dry_run {
        outln!("plan (dry run: nothing is changed), in registration order:")?;
    }
    for s in steps {
        let at = |v: Option<i32>, id: Option<u32>| match (v, id) {
            (Some(v), Some(id)) => format!("version {v} (id {id})"),
            _ => "a version".to_string(),
        };
        let what = match (s.action, o.dry_run) {
            (Action::Unchanged, _) => {
                format!("already registered as {}", at(s.version, s.id))
            }
            (Action::NewSubject, true) => "new subject".to_string(),
            (Action::NewSubject, false) => {
                format!("new subject, registered as {}", at(s.version, s.id))
            }
            (Action::Register, true) => match s.compatible {
                Some(true) => "new version, compatible".to_string(),
                Some(false) => "new version, INCOMPATIBLE".to_string(),
                None => "new version".to_string(),
            },
            (Action::Register, false) => match s.compatible {
                Some(false) => "new version, REFUSED by the registry (incompatible)".to_string(),
                _ => format!("new version, registered as {}", at(s.version, s.id)),
            },
        };
        outln!("{}  {}: {what}", s.file, s.subject)?;
        if let Some((from, to)) = s.config {
            let when = if o.dry_run {
                "set before registering"
            } else {
                "set"
            };
            outln!("    config {from} -> {to} ({when})")?;
        }
        for m in &s.messages {
            outln!("    - {m}")?;
        }
    }
    Ok(())
}

/// The last line: what changed, or that nothing did.
fn summary(steps: &[Step], o: &Options) -> Result<(), CliError> {
    let count = |a: Action| steps.iter().filter(|s| s.action == a).count();
    let (new_versions, new_subjects, unchanged) = (
        count(Action::Register),
        count(Action::NewSubject),
        count(Action::Unchanged),
    );
    let configs = steps.iter().filter(|s| s.config.is_some()).count();
    let incompatible = steps.iter().filter(|s| s.compatible == Some(false)).count();
    let line = if new_versions + new_subjects + configs == 0 {
        format!(
            "nothing to do: all {unchanged} schema file(s) are already registered under their subjects, with their declared levels"
        )
    } else if o.dry_run {
        format!(
            "dry run: would register {new_versions} new version(s) and {new_subjects} new subject(s), set {configs} level(s); {unchanged} unchanged; {incompatible} incompatible; nothing was changed"
        )
    } else {
        format!(
            "registered {new_versions} new version(s) and {new_subjects} new subject(s), set {configs} level(s); {unchanged} unchanged"
        )
    };
    // JSON output keeps stdout one object; the summary goes to stderr there.
    if o.output == PlanFormat::Json {
        eprintln!("schemaflow register: {line}");
        Ok(())
    } else {
        outln!("{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::repo::tree::tests::tree;

    fn order(t: &Tree) -> Result<Vec<String>, String> {
        let subjects = Subjects::load(None, t).map_err(|e| e.message)?;
        let files = ordered(t, &subjects).map_err(|e| e.message)?;
        Ok(files.into_iter().map(|f| f.path).collect())
    }

    #[test]
    fn referenced_files_come_first_once() -> Result<(), String> {
        // a.proto imports b and c, both import d: d first, then b and c, then a.
        let proto = |pkg: &str, imports: &[&str]| {
            let mut s = format!("syntax = \"proto3\";\npackage {pkg};\n");
            for i in imports {
                s.push_str(&format!("import \"x/{i}.proto\";\n"));
            }
            s.push_str(&format!("message M{pkg} {{}}\n"));
            s
        };
        let (a, b, c, d) = (
            proto("a", &["b", "c"]),
            proto("b", &["d"]),
            proto("c", &["d"]),
            proto("d", &[]),
        );
        let t = tree(&[
            ("proto/x/a.proto", &a),
            ("proto/x/b.proto", &b),
            ("proto/x/c.proto", &c),
            ("proto/x/d.proto", &d),
        ]);
        assert_eq!(
            order(&t)?,
            [
                "proto/x/d.proto",
                "proto/x/b.proto",
                "proto/x/c.proto",
                "proto/x/a.proto"
            ]
        );
        Ok(())
    }

    #[test]
    fn an_import_cycle_is_a_usage_error_naming_it() {
        let t = tree(&[
            (
                "proto/x/a.proto",
                "syntax = \"proto3\";\npackage a;\nimport \"x/b.proto\";\nmessage A {}\n",
            ),
            (
                "proto/x/b.proto",
                "syntax = \"proto3\";\npackage b;\nimport \"x/a.proto\";\nmessage B {}\n",
            ),
        ]);
        let subjects = Subjects::load(None, &t).map_err(|e| e.message);
        let result = subjects.and_then(|s| ordered(&t, &s).map(|_| ()).map_err(|e| e.message));
        match result {
            Err(m) => assert!(
                m.contains(
                    "reference cycle: proto/x/a.proto -> proto/x/b.proto -> proto/x/a.proto"
                ),
                "{m}"
            ),
            Ok(()) => panic!("a cycle was ordered"),
        }
    }
}
