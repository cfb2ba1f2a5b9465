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
//!   already be registered. See [`check_registry`] for the subject and reference rules.
//!
//! Output (`--output`):
//!
//! * `text` (default): one stable line per finding,
//!   `FILE:LINE: RULE_ID PATH: MESSAGE (DIRECTION against LABEL)`; LINE is where the element is
//!   defined in the candidate when found, else 1.
//! * `json`: one object,
//!   `{"compatible": bool, "mode": "BACKWARD", "findings": [{"file": str, "line": int,
//!   "rule": str, "path": str, "message": str, "direction": "BACKWARD"|"FORWARD",
//!   "against": str}]}`.
//! * `github-actions`: workflow commands, `::error file=FILE,line=LINE,title=RULE_ID::MESSAGE`.
//!
//! In registry mode `mode` is `"REGISTRY"`, `direction` is the subject's compatibility level,
//! and the JSON object has a `notes` array (`{"file", "subject", "message"}`) for new subjects;
//! the text output has `info: FILE: MESSAGE` lines and GitHub Actions gets `::notice` lines.
//!
//! Exit codes: 0 compatible, 1 incompatible, 2 usage or parse error, 3 I/O, git or registry
//! error.

#[path = "check_registry.rs"]
pub mod check_registry;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Args, ValueEnum};
use schemaflow::compat::{self, CompatibilityLevel, Direction, Finding, SchemaInput};
use schemaflow::SchemaType;

use super::{EXIT_FAILED, EXIT_IO, EXIT_USAGE};

const AFTER_HELP: &str = "\
Output formats:
  text            FILE:LINE: RULE_ID PATH: MESSAGE (DIRECTION against LABEL)
  json            {\"compatible\": bool, \"mode\": str, \"findings\": [{\"file\", \"line\", \"rule\",
                  \"path\", \"message\", \"direction\", \"against\"}]}
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
not know yet passes (a new schema). Basic auth: --registry-auth or
SCHEMA_REGISTRY_AUTH.

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
    /// Registry mode: basic auth, from the global `--registry-auth` flag.
    #[arg(skip)]
    pub registry_auth: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `--schema-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaTypeArg {
    /// Apache Avro (`.avsc`).
    Avro,
    /// Protocol Buffers (`.proto`).
    Protobuf,
}

impl From<SchemaTypeArg> for SchemaType {
    fn from(a: SchemaTypeArg) -> Self {
        match a {
            SchemaTypeArg::Avro => SchemaType::Avro,
            SchemaTypeArg::Protobuf => SchemaType::Protobuf,
        }
    }
}

/// `--output` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// `FILE:LINE: RULE_ID PATH: MESSAGE` lines.
    Text,
    /// One JSON object.
    Json,
    /// GitHub Actions workflow commands (annotations).
    GithubActions,
}

/// A failure that ends the command with an exit code.
struct Fail {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Fail {
    Fail {
        code: EXIT_USAGE,
        message: message.into(),
    }
}

fn io(message: impl Into<String>) -> Fail {
    Fail {
        code: EXIT_IO,
        message: message.into(),
    }
}

fn from_lib(e: schemaflow::Error) -> Fail {
    match e {
        schemaflow::Error::ParseAvroSchema { .. }
        | schemaflow::Error::ParseProtobufSchema { .. }
        | schemaflow::Error::UnsupportedSchemaType { .. } => usage(e.to_string()),
        other => io(other.to_string()),
    }
}

/// A finding placed in a file.
struct Located {
    file: String,
    line: usize,
    rule: &'static str,
    path: String,
    message: String,
    /// `BACKWARD`/`FORWARD` for local checks; the subject's level in registry mode.
    direction: String,
    against: String,
}

impl Located {
    fn new(file: String, line: usize, f: Finding) -> Self {
        Located {
            file,
            line,
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
pub fn run(global: &super::common::Global, mut args: CheckArgs) -> ExitCode {
    args.registry = global.registry.clone();
    args.registry_auth = global.registry_auth.clone();
    if args.registry.is_some() {
        let pair_or_repo = args.against.is_some()
            || !args.previous.is_empty()
            || args.candidate.is_some()
            || !args.proto_path.is_empty()
            || !args.reference.is_empty()
            || args.schema_type.is_some();
        if pair_or_repo {
            eprintln!("schemaflow check: --registry checks the repository against the registry; it cannot be combined with --against, --previous, --candidate, --proto-path, --reference or --schema-type");
            return ExitCode::from(EXIT_USAGE);
        }
    } else if args.subjects_config.is_some() {
        eprintln!("schemaflow check: --subjects-config needs --registry URL");
        return ExitCode::from(EXIT_USAGE);
    }
    let (result, mode) = match (&args.registry, &args.against) {
        (Some(url), _) => (
            check_registry::registry_mode(&args, url),
            "REGISTRY".to_string(),
        ),
        (None, Some(against)) => (repo_mode(&args, against), args.mode.to_string()),
        (None, None) => (pair_mode(&args), args.mode.to_string()),
    };
    match result {
        Ok(Outcome {
            found,
            checked,
            notes,
        }) => {
            let compatible = found.is_empty();
            print!("{}", render(args.output, &mode, &found, &notes));
            let context = match &args.registry {
                Some(url) => format!("registry {url}"),
                None => mode,
            };
            if compatible {
                let new = if notes.is_empty() {
                    String::new()
                } else {
                    format!(", {} new subject(s)", notes.len())
                };
                eprintln!(
                    "schemaflow check: compatible ({context}, {checked} file(s) checked{new})"
                );
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "schemaflow check: incompatible ({context}): {} finding(s)",
                    found.len()
                );
                ExitCode::from(EXIT_FAILED)
            }
        }
        Err(f) => {
            eprintln!("schemaflow check: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn read(path: &Path) -> Result<String, Fail> {
    std::fs::read_to_string(path).map_err(|e| io(format!("reading {}: {e}", path.display())))
}

fn schema_type_of(path: &Path) -> Option<SchemaType> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("avsc") => Some(SchemaType::Avro),
        Some("proto") => Some(SchemaType::Protobuf),
        _ => None,
    }
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
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, Fail>;
}

/// Transitive non-well-known imports of a `.proto` text, dependencies first.
fn proto_references(
    label: &str,
    text: &str,
    dir: &str,
    sources: &dyn Sources,
) -> Result<Vec<(String, String)>, Fail> {
    fn walk(
        label: &str,
        text: &str,
        dir: &str,
        sources: &dyn Sources,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), Fail> {
        let imports = compat::protobuf::imports_of(label, text).map_err(from_lib)?;
        for import in imports {
            if compat::protobuf::is_well_known_import(&import) || !seen.insert(import.clone()) {
                continue;
            }
            let Some(dep) = sources.find(&import, dir)? else {
                return Err(usage(format!(
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

struct FsSources<'a> {
    proto_paths: &'a [PathBuf],
}

impl Sources for FsSources<'_> {
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, Fail> {
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

fn pair_mode(args: &CheckArgs) -> Result<Outcome, Fail> {
    let candidate = args.candidate.as_ref().ok_or_else(|| {
        usage("give --candidate FILE (and --previous FILE…), or --against git:REF")
    })?;
    let schema_type = match args.schema_type {
        Some(t) => SchemaType::from(t),
        None => schema_type_of(candidate).ok_or_else(|| {
            usage(format!(
                "cannot tell the schema type of {}: pass --schema-type avro|protobuf",
                candidate.display()
            ))
        })?,
    };
    let avro_refs = if schema_type == SchemaType::Avro {
        let mut refs = Vec::new();
        for r in &args.reference {
            let text = read(r)?;
            let name = avro_full_name(&text).ok_or_else(|| {
                usage(format!(
                    "{}: a reference must be a named Avro type (record, enum, fixed)",
                    r.display()
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
    let load = |path: &Path| -> Result<SchemaInput, Fail> {
        let text = read(path)?;
        let label = path.display().to_string();
        let references = match schema_type {
            SchemaType::Protobuf => {
                let dir = path
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let dir = if dir.is_empty() { ".".to_string() } else { dir };
                proto_references(&label, &text, &dir, &sources)?
            }
            _ => avro_refs.clone(),
        };
        Ok(SchemaInput {
            schema_type,
            text,
            references,
            label,
        })
    };
    let cand = load(candidate)?;
    let previous = args
        .previous
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let report = compat::check(args.mode, &previous, &cand).map_err(from_lib)?;
    let located = locate(&cand, &previous, report.findings);
    Ok(Outcome::of(located, 1 + previous.len()))
}

/// Place findings in the candidate's text.
fn locate(cand: &SchemaInput, previous: &[SchemaInput], findings: Vec<Finding>) -> Vec<Located> {
    findings
        .into_iter()
        .map(|f| {
            let line = match cand.schema_type {
                SchemaType::Avro => {
                    // Avro paths follow the reader: the candidate backward, the previous forward.
                    let reader = match f.direction {
                        Direction::Backward => Some(cand.text.as_str()),
                        Direction::Forward => previous
                            .iter()
                            .find(|p| p.label == f.against)
                            .map(|p| p.text.as_str()),
                    };
                    reader.and_then(|r| avro_line(r, &cand.text, &f.path))
                }
                _ => proto_line(&cand.text, &f.path),
            };
            Located::new(cand.label.clone(), line.unwrap_or(1), f)
        })
        .collect()
}

/// The line of the candidate where the element at an Avro path (resolved in `reader`) is
/// defined: the names along the path, searched for in order.
fn avro_line(reader: &str, candidate: &str, path: &str) -> Option<usize> {
    let root: serde_json::Value = serde_json::from_str(reader).ok()?;
    let mut names = Vec::new();
    let mut cur = &root;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let next = match (cur, seg.parse::<usize>()) {
            (serde_json::Value::Array(a), Ok(i)) => a.get(i),
            (serde_json::Value::Object(o), _) => o.get(seg),
            _ => None,
        };
        let Some(next) = next else { break };
        cur = next;
        if let Some(n) = cur.get("name").and_then(|n| n.as_str()) {
            names.push(n.to_string());
        }
    }
    let lines: Vec<&str> = candidate.lines().collect();
    let mut from = 0;
    let mut found = None;
    for n in names {
        let needle = format!("\"{n}\"");
        if let Some(i) = lines.iter().skip(from).position(|l| l.contains(&needle)) {
            found = Some(from + i + 1);
            from += i;
        }
    }
    found
}

/// The line of a `.proto` text defining the last element of a full name.
fn proto_line(text: &str, path: &str) -> Option<usize> {
    let last = path.rsplit('.').next()?;
    if last.is_empty() {
        return None;
    }
    let is_word = |l: &str| {
        l.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == last)
    };
    let lines: Vec<&str> = text.lines().collect();
    let def = lines.iter().position(|l| {
        let t = l.trim_start();
        is_word(l)
            && (t.starts_with("message ")
                || t.starts_with("enum ")
                || t.starts_with("oneof ")
                || t.contains(&format!(" {last} ="))
                || t.starts_with(&format!("{last} =")))
    });
    def.or_else(|| lines.iter().position(|l| is_word(l)))
        .map(|i| i + 1)
}

// ---------------------------------------------------------------------------------------------
// Repository mode.

struct Tree {
    files: BTreeMap<String, String>,
}

impl Tree {
    /// The other Avro files this one needs: those whose type names it (or a needed file)
    /// mentions as a JSON string, transitively.
    fn avro_references(&self, path: &str) -> Vec<(String, String)> {
        let others: Vec<(String, &String)> = self
            .files
            .iter()
            .filter(|(p, _)| p.ends_with(".avsc") && p.as_str() != path)
            .filter_map(|(_, t)| avro_full_name(t).map(|n| (n, t)))
            .collect();
        let mentions = |text: &str, full: &str| {
            let short = full.rsplit('.').next().unwrap_or(full);
            text.contains(&format!("\"{full}\"")) || text.contains(&format!("\"{short}\""))
        };
        let mut needed = vec![false; others.len()];
        let mut texts: Vec<&str> = self
            .files
            .get(path)
            .map(|t| vec![t.as_str()])
            .unwrap_or_default();
        while let Some(text) = texts.pop() {
            for (i, (name, t)) in others.iter().enumerate() {
                if !needed[i] && mentions(text, name) {
                    needed[i] = true;
                    texts.push(t.as_str());
                }
            }
        }
        others
            .into_iter()
            .zip(needed)
            .filter(|(_, n)| *n)
            .map(|((name, t), _)| (name, t.clone()))
            .collect()
    }

    fn input(&self, path: &str, label: String) -> Result<Option<SchemaInput>, Fail> {
        let Some(text) = self.files.get(path) else {
            return Ok(None);
        };
        let Some(schema_type) = schema_type_of(Path::new(path)) else {
            return Ok(None);
        };
        let references = match schema_type {
            SchemaType::Protobuf => {
                let dir = Path::new(path)
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                proto_references(&label, text, &dir, self)?
            }
            _ => self.avro_references(path),
        };
        Ok(Some(SchemaInput {
            schema_type,
            text: text.clone(),
            references,
            label,
        }))
    }
}

impl Sources for Tree {
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, Fail> {
        let candidates = [
            format!("proto/{import}"),
            format!("{importer_dir}/{import}"),
        ];
        Ok(candidates.iter().find_map(|c| self.files.get(c).cloned()))
    }
}

fn wanted(path: &str) -> bool {
    let in_root = path.starts_with("schemas/") || path.starts_with("proto/");
    let right_ext = (path.starts_with("schemas/") && path.ends_with(".avsc"))
        || (path.starts_with("proto/") && path.ends_with(".proto"));
    in_root && right_ext && !path.split('/').any(|c| c == "evolution")
}

fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, Fail> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| io(format!("running git: {e}")))?;
    if !out.status.success() {
        return Err(io(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

fn working_tree(root: &Path) -> Result<Tree, Fail> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) -> Result<(), Fail> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(format!("reading {}: {e}", dir.display()))),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io(format!("reading {}: {e}", dir.display())))?;
            let p = entry.path();
            if p.is_dir() {
                walk(root, &p, files)?;
            } else if let Ok(rel) = p.strip_prefix(root) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if wanted(&rel) {
                    files.insert(rel, read(&p)?);
                }
            }
        }
        Ok(())
    }
    let mut files = BTreeMap::new();
    walk(root, &root.join("schemas"), &mut files)?;
    walk(root, &root.join("proto"), &mut files)?;
    Ok(Tree { files })
}

fn tree_at(root: &Path, rev: &str) -> Result<Tree, Fail> {
    let list = git(
        root,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            rev,
            "--",
            "schemas",
            "proto",
        ],
    )?;
    let mut files = BTreeMap::new();
    for name in list.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).to_string();
        if !wanted(&name) {
            continue;
        }
        let blob = git(root, &["cat-file", "blob", &format!("{rev}:{name}")])?;
        let text =
            String::from_utf8(blob).map_err(|_| usage(format!("{rev}:{name} is not UTF-8")))?;
        files.insert(name, text);
    }
    Ok(Tree { files })
}

fn repo_mode(args: &CheckArgs, against: &str) -> Result<Outcome, Fail> {
    let rev = against
        .strip_prefix("git:")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            usage(format!(
                "--against {against:?}: expected git:REF (e.g. git:main)"
            ))
        })?;
    let cwd = std::env::current_dir().map_err(|e| io(format!("current directory: {e}")))?;
    let top = git(&cwd, &["rev-parse", "--show-toplevel"])?;
    let root = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let commit = git(
        &root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        usage(format!(
            "--against git:{rev}: no such commit in {}",
            root.display()
        ))
    })?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let old = tree_at(&root, &commit)?;
    let new = working_tree(&root)?;
    let mut found = Vec::new();
    let mut checked = 0;
    for path in new.files.keys() {
        let Some(prev) = old.input(path, format!("{path}@{rev}"))? else {
            continue; // a new file passes
        };
        let Some(cand) = new.input(path, path.clone())? else {
            continue;
        };
        checked += 1;
        if prev.text == cand.text && prev.references == cand.references {
            continue;
        }
        let report =
            compat::check(args.mode, std::slice::from_ref(&prev), &cand).map_err(from_lib)?;
        found.extend(locate(&cand, std::slice::from_ref(&prev), report.findings));
    }
    for path in old.files.keys().filter(|p| !new.files.contains_key(*p)) {
        if args.mode == CompatibilityLevel::None {
            break;
        }
        found.push(Located::new(
            path.clone(),
            1,
            Finding {
                rule: compat::SCHEMA_DELETED,
                path: path.clone(),
                message: format!(
                    "{path} exists at {rev} but was deleted; consumers may still read data written with it, so keep the file"
                ),
                against: format!("{path}@{rev}"),
                direction: Direction::Backward,
            },
        ));
    }
    Ok(Outcome::of(found, checked))
}

// ---------------------------------------------------------------------------------------------
// Printers.

fn render(format: OutputFormat, mode: &str, found: &[Located], notes: &[Note]) -> String {
    let mut s = String::new();
    match format {
        OutputFormat::Text => {
            for n in notes {
                let _ = writeln!(s, "info: {}: {}", n.file, n.message);
            }
            for l in found {
                let _ = writeln!(
                    s,
                    "{}:{}: {} {}: {} ({} against {})",
                    l.file, l.line, l.rule, l.path, l.message, l.direction, l.against
                );
            }
        }
        OutputFormat::Json => {
            let findings: Vec<serde_json::Value> = found
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "file": l.file,
                        "line": l.line,
                        "rule": l.rule,
                        "path": l.path,
                        "message": l.message,
                        "direction": l.direction,
                        "against": l.against,
                    })
                })
                .collect();
            let mut doc = serde_json::json!({
                "compatible": found.is_empty(),
                "mode": mode,
                "findings": findings,
            });
            if !notes.is_empty() {
                doc["notes"] = notes
                    .iter()
                    .map(|n| {
                        serde_json::json!({
                            "file": n.file,
                            "subject": n.subject,
                            "message": n.message,
                        })
                    })
                    .collect();
            }
            let _ = writeln!(s, "{doc}");
        }
        OutputFormat::GithubActions => {
            for n in notes {
                let _ = writeln!(
                    s,
                    "::notice file={},line=1,title=NEW_SUBJECT::{}",
                    escape_property(&n.file),
                    escape_data(&n.message)
                );
            }
            for l in found {
                let _ = writeln!(
                    s,
                    "::error file={},line={},title={}::{}",
                    escape_property(&l.file),
                    l.line,
                    escape_property(l.rule),
                    escape_data(&format!(
                        "{}: {} ({} against {})",
                        l.path, l.message, l.direction, l.against
                    ))
                );
            }
        }
    }
    s
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avro_line_follows_names() {
        let text = "{\n \"type\": \"record\", \"name\": \"R\",\n \"fields\": [\n  {\"name\": \"a\", \"type\": \"string\"},\n  {\"name\": \"b\", \"type\": \"int\"}\n ]\n}";
        assert_eq!(avro_line(text, text, "/fields/1"), Some(5));
        assert_eq!(avro_line(text, text, "/fields/0/type"), Some(4));
        assert_eq!(avro_line(text, text, "/"), None);
    }

    #[test]
    fn proto_line_finds_definitions() {
        let text =
            "syntax = \"proto3\";\nmessage M {\n  string action_id = 1;\n  int32 action = 2;\n}\n";
        assert_eq!(proto_line(text, "p.M.action"), Some(4));
        assert_eq!(proto_line(text, "p.M"), Some(2));
        assert_eq!(proto_line(text, "p.Gone"), None);
    }

    #[test]
    fn github_escapes() {
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
    }

    #[test]
    fn wanted_paths() {
        assert!(wanted("schemas/user.avsc"));
        assert!(wanted("proto/events/v1/user.proto"));
        assert!(!wanted("schemas/evolution/user.avsc"));
        assert!(!wanted("proto/evolution/events/v1/user.proto"));
        assert!(!wanted("schemas/readme.md"));
        assert!(!wanted("src/schemas/user.avsc"));
    }
}
