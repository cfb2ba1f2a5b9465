//! `schemaflow lock`: record the released schemas in `schemaflow.lock` (the format is
//! documented in [`schemaflow::lock`]).
//!
//! * `schemaflow lock` — create the lock from the current schemas (every subject at version
//!   1); refuses to overwrite an existing lock.
//! * `schemaflow lock --add` — after a release: every current schema whose fingerprint or
//!   references changed becomes the subject's next version, new subjects join at version 1;
//!   a schema incompatible with its locked versions is refused (exit 1, nothing written), as
//!   the registry would refuse it — unless live `[[waiver]]`s of the subjects file accept
//!   every finding: `lock --add` and `check --against lock` judge waivers by one rule
//!   ([`Waivers`]), so what the check reports as waived is recorded, and an expired waiver
//!   refuses.
//! * `schemaflow lock --from-registry` — fill the lock from the registry given by the global
//!   `--registry`: every version of every subject of the repository's files (and of the
//!   subjects they reference), with each subject's level.
//!
//! Subjects come from `schemaflow-subjects.toml` (or `--subjects-config`); without it, a
//! file's subject is its schema's full name (the Avro full name, the Protobuf package plus the
//! first message). Levels: the subjects file's `compatibility`, else `--mode` (BACKWARD).

mod current;
mod from_registry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use schemaflow::compat::CompatibilityLevel;
use schemaflow::lock::{self, LockFile, LockedReference, LockedSubject, LockedVersion};

use super::common::{finish, CliError, Global};
use super::repo::inputs::schema_error;
use super::repo::tree::repository_root;
use super::repo::waivers::{FindingKey, Standing, Waivers};
pub use current::Repository;

/// The lock's file name at the repository root.
pub const LOCK_FILE: &str = "schemaflow.lock";

const AFTER_HELP: &str = "\
The lock (schemaflow.lock, TOML, format = 1) holds for every subject its compatibility
level and every released version: version number, fingerprint (Avro: SHA-256 of the
Parsing Canonical Form; Protobuf: SHA-256 of the descriptor without source positions),
references (to other subjects of the lock) and the schema text. Commit it.

Workflow:
  schemaflow lock                       # once: the current schemas are version 1
  schemaflow check --against lock       # in CI: every schema vs all its locked versions
  schemaflow lock --add                 # after a release: record what was released
  schemaflow --registry URL lock --from-registry   # or take the registry's history

Build refusal: schemaflow_build::Builder::lock_file(\"../schemaflow.lock\") makes cargo build
fail on a schema incompatible with its locked versions.

lock --add honours the subjects file's [[waiver]] entries as check --against lock does: a
finding a live waiver accepts does not refuse the new version; past its date it does.

Exit codes: 0 written, 1 a schema is incompatible with its locked versions (--add),
2 usage or parse error, 3 I/O or registry error.";

/// Arguments of `schemaflow lock`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct LockArgs {
    /// Record the current schemas as new released versions (after a release).
    #[arg(long, conflicts_with = "from_registry")]
    pub add: bool,
    /// Fill the lock from the registry given by the global `--registry`.
    #[arg(long)]
    pub from_registry: bool,
    /// The lock file (default: `schemaflow.lock` at the repository root).
    #[arg(long, value_name = "FILE")]
    pub lock_file: Option<PathBuf>,
    /// The subjects file (default: `schemaflow-subjects.toml` at the root, if present); its
    /// paths are relative to the repository root, or to its own folder.
    #[arg(long, value_name = "FILE")]
    pub subjects_config: Option<PathBuf>,
    /// The level of subjects the subjects file gives none (new subjects only).
    #[arg(long, default_value = "BACKWARD")]
    pub mode: CompatibilityLevel,
}

/// Run `schemaflow lock`.
pub fn run(global: &Global, args: LockArgs) -> ExitCode {
    finish("lock", lock_command(global, &args))
}

fn lock_command(global: &Global, args: &LockArgs) -> Result<(), CliError> {
    let root = repository_root()?;
    let path = args
        .lock_file
        .clone()
        .unwrap_or_else(|| root.join(LOCK_FILE));
    let repo = Repository::load(&root, args.subjects_config.as_deref())?;
    let lock = if args.from_registry {
        let url = global.registry.clone().ok_or_else(|| {
            CliError::usage("--from-registry takes the registry from the global --registry URL")
        })?;
        from_registry::fill(global, &url, &repo)?
    } else if args.add {
        let old = read_lock(&path)?;
        add(&old, &repo, args.mode)?
    } else {
        if path.exists() {
            return Err(CliError::usage(format!(
                "{} exists: after a release record the new versions with `schemaflow lock --add`, or refill it with `schemaflow lock --from-registry`",
                path.display()
            )));
        }
        add(&LockFile::default(), &repo, args.mode)?
    };
    std::fs::write(&path, lock.to_text())
        .map_err(|e| CliError::io(format!("writing {}: {e}", path.display())))?;
    let versions: usize = lock.subjects.iter().map(|s| s.versions.len()).sum();
    eprintln!(
        "schemaflow lock: wrote {} ({} subject(s), {versions} version(s))",
        path.display(),
        lock.subjects.len()
    );
    Ok(())
}

/// Read and parse a lock file (missing: exit 2 saying how to make one).
pub fn read_lock(path: &std::path::Path) -> Result<LockFile, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::usage(format!(
                "{} does not exist: create it with `schemaflow lock`",
                path.display()
            )))
        }
        Err(e) => return Err(CliError::io(format!("reading {}: {e}", path.display()))),
    };
    LockFile::parse(&path.display().to_string(), &text).map_err(|e| CliError::usage(e.to_string()))
}

/// `old` plus the current schemas as new versions where they changed; refused when one is
/// incompatible with its locked versions.
fn add(old: &LockFile, repo: &Repository, mode: CompatibilityLevel) -> Result<LockFile, CliError> {
    let mut lock = old.clone();
    let mut refused = Vec::new();
    let mut waivers = Waivers::new(repo.waivers.clone())?;
    for c in &repo.schemas {
        let fingerprint = lock::fingerprint(&c.input).map_err(schema_error)?;
        // References point at the version their subject has now: processed first (the
        // repository is in dependency order), so a changed reference is already recorded.
        let mut references = Vec::new();
        for (name, file) in &c.references {
            let Some(dep) = repo.by_file(file) else {
                continue;
            };
            let version = lock
                .subject(&dep.subject)
                .and_then(LockedSubject::latest)
                .map(|v| v.version)
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "{}: reference {name} ({file}) is not in the lock",
                        c.file
                    ))
                })?;
            references.push(LockedReference {
                name: name.clone(),
                subject: dep.subject.clone(),
                version,
            });
        }
        match lock.subject_mut(&c.subject) {
            None => {
                lock.subjects.push(LockedSubject {
                    name: c.subject.clone(),
                    schema_type: c.input.schema_type,
                    compatibility: c.compatibility.unwrap_or(mode),
                    file: Some(c.file.clone()),
                    versions: vec![LockedVersion {
                        version: 1,
                        fingerprint,
                        references,
                        schema: c.input.text.clone(),
                    }],
                });
                eprintln!("  {}: new subject {} (version 1)", c.file, c.subject);
            }
            Some(s) => {
                if let Some(level) = c.compatibility {
                    s.compatibility = level;
                }
                s.file = Some(c.file.clone());
                let unchanged = s
                    .latest()
                    .is_some_and(|v| v.fingerprint == fingerprint && v.references == references);
                if unchanged {
                    continue;
                }
                let next = s.latest().map_or(1, |v| v.version + 1);
                let check = lock::check_subject(old, &c.subject, &c.input)
                    .map_err(|e| CliError::usage(e.to_string()))?;
                let mut accepted = Vec::new();
                if let Some(check) = check.filter(|k| !k.report.compatible) {
                    // The waivers `check --against lock` honours: a waived finding does not
                    // refuse the version, an expired waiver's finding does.
                    let mut failing = Vec::new();
                    for f in &check.report.findings {
                        let key = FindingKey {
                            rule: f.rule,
                            path: &f.path,
                            file: &c.file,
                            subject: Some(&c.subject),
                        };
                        let line = format!("{}: {}: {f}", c.file, c.subject);
                        match waivers.judge(&key) {
                            Standing::Fails => failing.push(line),
                            Standing::Expired(w) => {
                                failing.push(format!("{line} {}", w.expired_note()))
                            }
                            Standing::Waived(w) => accepted.push(format!(
                                "{} at {}: waived until {} ({})",
                                f.rule, f.path, w.expires, w.reason
                            )),
                        }
                    }
                    if !failing.is_empty() {
                        refused.extend(failing);
                        continue;
                    }
                }
                let Some(s) = lock.subject_mut(&c.subject) else {
                    continue;
                };
                s.versions.push(LockedVersion {
                    version: next,
                    fingerprint,
                    references,
                    schema: c.input.text.clone(),
                });
                eprintln!("  {}: {} version {next}", c.file, c.subject);
                for a in &accepted {
                    eprintln!("    {a}");
                }
            }
        }
    }
    if !refused.is_empty() {
        for r in &refused {
            eprintln!("  {r}");
        }
        return Err(CliError::failed(format!(
            "{} incompatibilit(ies) with the locked versions: nothing written (fix the schema, or check with `schemaflow check --against lock`)",
            refused.len()
        )));
    }
    Ok(lock)
}
