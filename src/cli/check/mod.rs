//! `schemaflow check`: stop breaking schema changes before they merge.
//!
//! Two modes:
//!
//! * **pair** — `schemaflow check --schema-type avro|protobuf --mode MODE --previous OLD1
//!   [--previous OLD2 …] --candidate NEW`: previous files oldest first. Protobuf imports
//!   resolve relative to each file's folder and to `--proto-path DIR` folders
//!   (`google/protobuf/*` and `google/type/*` are built in); Avro named types defined in other
//!   files come from `--reference FILE`. The schema type defaults from the candidate's
//!   extension (`.avsc`, `.proto`).
//! * **repository** — `schemaflow check --against git:REF [--mode MODE]`: every `*.avsc` under
//!   `schemas/` and `*.proto` under `proto/` of the current repository (working tree) is
//!   compared with its version at `REF`. New files pass; files deleted since `REF` are
//!   `SCHEMA_DELETED` findings; `evolution/` folders hold samples and are skipped. Avro files
//!   see each other's named types; Protobuf imports resolve from `proto/` and each file's
//!   folder. Mode defaults to `BACKWARD`.
//! * **registry** — `schemaflow check --registry URL [--subjects-config FILE]
//!   [--registry-auth USER:PASS]`: the registry is the authority. Every schema file of the
//!   repository (as in repository mode) is sent to
//!   `POST /compatibility/subjects/{subject}/versions?verbose=true`, i.e. checked against the
//!   versions the subject's own compatibility level names; its messages become
//!   `REGISTRY_INCOMPATIBLE` findings. A subject the registry does not know yet is a new
//!   schema and passes (an `info:` line). Subjects come from a TOML file; references must
//!   already be registered. See [`registry`] for the subject and reference rules.
//!
//! Output (`--output`):
//!
//! * `text` (default): one stable line per finding,
//!   `FILE:LINE: RULE_ID PATH: MESSAGE (DIRECTION against LABEL)`; LINE is where the element is
//!   defined in the candidate, as its parser places it (`locate.rs`), else 1.
//! * `json`: one object,
//!   `{"compatible": bool, "mode": "BACKWARD", "findings": [{"file": str, "line": int,
//!   "column": int, "rule": str, "path": str, "message": str, "direction": "BACKWARD"|"FORWARD",
//!   "against": str}]}`.
//! * `github-actions`: workflow commands, `::error file=FILE,line=LINE,title=RULE_ID::MESSAGE`.
//!
//! In registry mode `mode` is `"REGISTRY"`, `direction` is the subject's compatibility level,
//! and the JSON object has a `notes` array (`{"file", "subject", "message"}`) for new subjects;
//! the text output has `info: FILE: MESSAGE` lines and GitHub Actions gets `::notice` lines.
//!
//! Exit codes: 0 compatible, 1 incompatible, 2 usage or parse error, 3 I/O, git or registry
//! error.

mod locate;
mod pair;
pub mod registry;
mod render;
mod repo;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use schemaflow::compat::{self, CompatibilityLevel, Finding};

use super::common::{finish, CliError, Global, SchemaTypeArg};
use render::OutputFormat;

const AFTER_HELP: &str = "\
Output formats:
  text            FILE:LINE: RULE_ID PATH: MESSAGE (DIRECTION against LABEL)
  json            {\"compatible\": bool, \"mode\": str, \"findings\": [{\"file\", \"line\", \"column\",
                  \"rule\", \"path\", \"message\", \"direction\", \"against\"}]}
  github-actions  ::error file=FILE,line=LINE,title=RULE_ID::MESSAGE

Registry mode (--registry URL): each *.avsc under schemas/ and *.proto under proto/
(evolution/ skipped) is checked by the registry against its subject's versions
(POST /compatibility/subjects/SUBJECT/versions?verbose=true, the subject's own level).
Subjects come from schemaflow-subjects.toml at the root (or --subjects-config FILE):
  [defaults]
  strategy = \"record\"          # record (default) | topic | topic-record
  [[file]]
  path = \"schemas/user_event.avsc\"
  subject = \"user-events-value\"  # an explicit subject, or:
  [[file]]
  path = \"proto/events/v1/user_event.proto\"
  topic = \"user-events-proto\"    # user-events-proto-value (key = true: -key)
A file not listed gets [defaults].strategy: record = the Avro top-level full name, or the
Protobuf package + first message; topic and topic-record need a topic per file.
Referenced files (Avro named types from other files of schemas/, Protobuf imports of
proto/ files other than google/*) are sent as references: their subjects (same rules) must
already hold their exact text, else REFERENCE_NOT_REGISTERED. A subject the registry does
not know yet passes (a new schema). Auth: --registry-auth USER:PASS
(SCHEMA_REGISTRY_AUTH) or --registry-token TOKEN (SCHEMA_REGISTRY_TOKEN).

Exit codes: 0 compatible, 1 incompatible, 2 usage or parse error, 3 I/O, git or registry
error (registry unreachable, HTTP errors).";

/// Arguments of `schemaflow check`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct CheckArgs {
    /// Schema language (default: from the candidate's extension).
    #[arg(long, value_enum)]
    pub schema_type: Option<SchemaTypeArg>,
    /// Compatibility level: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE,
    /// FULL, FULL_TRANSITIVE (case-insensitive).
    #[arg(long, default_value = "BACKWARD")]
    pub mode: CompatibilityLevel,
    /// A previous version, oldest first (repeatable).
    #[arg(long, value_name = "FILE", conflicts_with = "against")]
    pub previous: Vec<PathBuf>,
    /// The new version to check.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "against",
        required_unless_present_any = ["against", "registry"]
    )]
    pub candidate: Option<PathBuf>,
    /// A folder Protobuf imports resolve from (repeatable).
    #[arg(long = "proto-path", value_name = "DIR")]
    pub proto_path: Vec<PathBuf>,
    /// An Avro file defining named types the schemas use (repeatable).
    #[arg(long, value_name = "FILE")]
    pub reference: Vec<PathBuf>,
    /// Repository mode: compare schemas/ and proto/ with their versions at a git ref
    /// (`git:main`, `git:HEAD~1`).
    #[arg(long, value_name = "git:REF")]
    pub against: Option<String>,
    /// Registry mode: the global `--registry URL` flag (comma-separated URLs fail over): ask
    /// that Schema Registry whether each schema of the repository may be registered under its
    /// subject, under the level configured there (`--mode` does not apply).
    #[arg(skip)]
    pub registry: Option<String>,
    /// Registry mode: the TOML file mapping schema files to subjects (default:
    /// `schemaflow-subjects.toml` at the repository root, if present).
    #[arg(long, value_name = "FILE")]
    pub subjects_config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// A finding placed in a file.
struct Located {
    file: String,
    /// 1-based line of the element in `file` (1 when unknown).
    line: usize,
    /// 1-based column (in characters) of the element (1 when unknown).
    column: usize,
    rule: &'static str,
    path: String,
    message: String,
    /// `BACKWARD`/`FORWARD` for local checks; the subject's level in registry mode.
    direction: String,
    against: String,
}

impl Located {
    fn new(file: String, at: locate::Position, f: Finding) -> Self {
        Located {
            file,
            line: at.line,
            column: at.column,
            rule: f.rule,
            path: f.path,
            message: f.message,
            direction: f.direction.as_str().to_string(),
            against: f.against,
        }
    }
}

/// Something worth saying that is not a finding (a new subject in registry mode).
struct Note {
    file: String,
    subject: String,
    message: String,
}

/// What a mode found.
struct Outcome {
    found: Vec<Located>,
    checked: usize,
    notes: Vec<Note>,
}

impl Outcome {
    fn of(found: Vec<Located>, checked: usize) -> Self {
        Outcome {
            found,
            checked,
            notes: Vec::new(),
        }
    }
}

/// Run `schemaflow check`; registry mode when `--registry` was given on the command line.
pub fn run(global: &Global, mut args: CheckArgs) -> ExitCode {
    args.registry = global.registry.clone();
    finish("check", check(global, &args))
}

fn check(global: &Global, args: &CheckArgs) -> Result<(), CliError> {
    if args.registry.is_some() {
        let pair_or_repo = args.against.is_some()
            || !args.previous.is_empty()
            || args.candidate.is_some()
            || !args.proto_path.is_empty()
            || !args.reference.is_empty()
            || args.schema_type.is_some();
        if pair_or_repo {
            return Err(CliError::usage("--registry checks the repository against the registry; it cannot be combined with --against, --previous, --candidate, --proto-path, --reference or --schema-type"));
        }
    } else if args.subjects_config.is_some() {
        return Err(CliError::usage("--subjects-config needs --registry URL"));
    }
    let (outcome, mode) = match (&args.registry, &args.against) {
        (Some(url), _) => (
            registry::registry_mode(global, args, url)?,
            "REGISTRY".to_string(),
        ),
        (None, Some(against)) => (repo::repo_mode(args, against)?, args.mode.to_string()),
        (None, None) => (pair::pair_mode(args)?, args.mode.to_string()),
    };
    let Outcome {
        found,
        checked,
        notes,
    } = outcome;
    // A reader that went away (`check … | head`) does not change the verdict, which is the
    // exit code CI acts on: a closed stdout is ignored here, not turned into exit 0.
    {
        use std::io::Write as _;
        let text = render::render(args.output, &mode, &found, &notes);
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(CliError::io(format!("writing to stdout: {e}")));
            }
        }
    }
    let context = match &args.registry {
        Some(url) => format!("registry {url}"),
        None => mode,
    };
    if !found.is_empty() {
        return Err(CliError::failed(format!(
            "incompatible ({context}): {} finding(s)",
            found.len()
        )));
    }
    let new = if notes.is_empty() {
        String::new()
    } else {
        format!(", {} new subject(s)", notes.len())
    };
    eprintln!("schemaflow check: compatible ({context}, {checked} file(s) checked{new})");
    Ok(())
}

/// A schema that does not parse is a usage error (exit 2); anything else the library reports
/// here is an I/O error (exit 3).
fn schema_error(e: schemaflow::SchemaError) -> CliError {
    use schemaflow::SchemaError;
    match e {
        SchemaError::ParseAvroSchema { .. }
        | SchemaError::ParseProtobufSchema { .. }
        | SchemaError::UnsupportedSchemaType { .. } => CliError::usage(e.to_string()),
        other => CliError::io(other.to_string()),
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::io(format!("reading {}: {e}", path.display())))
}

/// The full name an Avro file defines (`namespace.name`), if it is a named type.
fn avro_full_name(text: &str) -> Option<String> {
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

/// Where Protobuf imports come from: a lookup from import path to text.
trait Sources {
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, CliError>;
}

/// Transitive non-well-known imports of a `.proto` text, dependencies first.
fn proto_references(
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
