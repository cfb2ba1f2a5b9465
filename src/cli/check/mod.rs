//! `schemaflow check`: stop breaking schema changes before they merge.
//!
//! Two modes:
//!
//! * **pair** — `schemaflow check --schema-type avro|protobuf --mode MODE --previous OLD1
//!   [--previous OLD2 …] --candidate NEW`: previous files oldest first. Protobuf imports
//!   resolve relative to each file's folder and to `--proto-path DIR` folders
//!   (`google/protobuf/*` and `google/type/*` are built in); Avro named types defined in other
//!   files come from `--reference FILE`. The schema type defaults from the candidate's
//!   extension (`.avsc`, `.proto`). Without `--previous` the candidate must parse and is
//!   listed as not checked: there is nothing to compare it with.
//! * **repository** — `schemaflow check --against git:REF [--mode MODE]`: every `*.avsc` under
//!   `schemas/` and `*.proto` under `proto/` of the current repository (working tree) is
//!   compared with its version at the merge base of `HEAD` and `REF` (`git merge-base`, so a
//!   branch that is behind `REF` does not see what `REF` added since as deleted). New files
//!   must parse and are listed as not checked; files deleted since are `SCHEMA_DELETED`
//!   findings; `evolution/` folders hold samples and are skipped. Avro files
//!   see each other's named types; Protobuf imports resolve from `proto/` and each file's
//!   folder. Mode defaults to `BACKWARD`.
//! * **lock** — `schemaflow check --against lock[:PATH]`: every schema file of the repository
//!   against every version of its subject in `schemaflow.lock` (see `schemaflow lock`), in the
//!   subject's locked level made transitive; subjects from the subjects file, else the
//!   schema's full name. A subject the lock lacks is not checked (listed); a locked subject
//!   whose file is gone is `SCHEMA_DELETED`.
//! * **registry** — `schemaflow check --registry URL [--subjects-config FILE]
//!   [--registry-auth USER:PASS]`: the registry is the authority. Every schema file of the
//!   repository (as in repository mode) is sent to
//!   `POST /compatibility/subjects/{subject}/versions?verbose=true`, i.e. checked against the
//!   versions the subject's own compatibility level names; its messages become
//!   `REGISTRY_INCOMPATIBLE` findings. A subject the registry does not know yet is a new
//!   schema: not checked, and listed as such. Subjects come from the subjects file, which
//!   this mode requires (only the repository knows which subjects producers register under);
//!   references must already be registered. See [`registry`] for the subject and reference
//!   rules.
//!
//! Output (`--output`):
//!
//! * `text` (default): one stable line per finding,
//!   `FILE:LINE: RULE_ID PATH: MESSAGE (DIRECTION against LABEL)`; LINE is where the element is
//!   defined in the candidate, as its parser places it (`locate.rs`), else 1.
//! * `json`: one object,
//!   `{"compatible": bool, "mode": "BACKWARD", "findings": [{"file": str, "line": int,
//!   "column": int, "rule": str, "path": str, "message": str, "direction": "BACKWARD"|"FORWARD",
//!   "against": str}], "waived": [{… as a finding …, "waived": {"reason": str, "expires":
//!   "YYYY-MM-DD"}}], "not_checked": [{"file": str, "subject": str|null, "reason": str}]}`.
//! * `github-actions`: workflow commands, `::error file=FILE,line=LINE,title=RULE_ID::MESSAGE`.
//! * `junit`: JUnit XML, one `<testsuite name="schemaflow check">`, one `<testcase>` per file
//!   (`<failure type="RULE">` listing the file's findings, `<skipped>` for a file compared with
//!   nothing); for Jenkins and `artifacts:reports:junit`.
//! * `gitlab-code-quality`: GitLab's Code Quality JSON (`artifacts:reports:codequality`).
//! * `sarif`: SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).
//!
//! See `render/` for each format's details. Every format lists the files that were not
//! compared with anything (new since the ref, a subject the registry or the lock does not
//! know, a candidate without `--previous`): text `not checked: FILE: REASON` lines, json
//! `not_checked`, GitHub `::notice … title=NOT_CHECKED::` lines, JUnit skipped test cases,
//! GitLab Code Quality `info` issues (`check_name` `NOT_CHECKED`), SARIF invocation notes; and
//! stderr says "nothing was compared" when no file was. In registry mode `mode` is
//! `"REGISTRY"` and `direction` is the subject's level.
//!
//! Waivers (every mode): `[[waiver]]` entries of the subjects file (`schemaflow-subjects.toml`
//! at the repository root, or `--subjects-config FILE`) accept a known incompatibility until a
//! date:
//!
//! ```toml
//! [[waiver]]
//! rule = "TYPE_MISMATCH"                 # required
//! file = "schemas/user.avsc"             # at least one of file, path (the finding's
//! path = "/fields/0/type"                #   element path) and subject
//! reason = "no consumer reads id yet"    # required
//! expires = 2027-01-31                   # required, a TOML date; holds through that day
//! ```
//!
//! A finding a live waiver names is reported as waived (text `waived: …; waiver: REASON (until
//! DATE)`, json `waived`, GitHub `::warning`, JUnit `<system-out>` of a passing case, SARIF
//! `suppressions` (`external`), GitLab severity `info`) and does not fail the check. Past its
//! date a waiver no longer applies: the finding fails, its message ending
//! `(waiver expired on DATE: REASON)`. A waiver that names no finding is a stderr warning, so
//! stale waivers get removed. Today is the UTC date of the system clock, or
//! `SCHEMAFLOW_TODAY=YYYY-MM-DD`. Unknown keys, missing required ones and a rule id schemaflow
//! does not report (the error names the closest ids) are usage errors.
//! See `src/cli/repo/waivers.rs`.
//!
//! Exit codes: 0 compatible, 1 incompatible, 2 usage or parse error, 3 I/O, git or registry
//! error.

mod lock_mode;
mod pair;
pub mod registry;
mod render;
mod repo;
mod waive;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use schemaflow::compat::locate::Position;
use schemaflow::compat::{self, CompatibilityLevel, Finding, SchemaInput};

use super::common::{finish, CliError, Global, SchemaTypeArg};
use render::OutputFormat;

const AFTER_HELP: &str = "\
Output formats (--output):
  text                 FILE:LINE: RULE_ID PATH: MESSAGE (DIRECTION against LABEL)
  json                 {\"compatible\": bool, \"mode\": str, \"findings\": [{\"file\", \"line\",
                       \"column\", \"rule\", \"path\", \"message\", \"direction\", \"against\"}],
                       \"waived\": [{...finding, \"waived\": {\"reason\", \"expires\"}}],
                       \"not_checked\": [{\"file\", \"subject\", \"reason\"}]}
  github-actions       ::error file=FILE,line=LINE,title=RULE_ID::MESSAGE
  junit                JUnit XML: a test case per file, <failure type=RULE> with its findings,
                       <skipped> for files compared with nothing (Jenkins, GitLab reports:junit)
  gitlab-code-quality  GitLab Code Quality JSON (artifacts:reports:codequality)
  sarif                SARIF 2.1.0 (GitHub code scanning: github/codeql-action/upload-sarif)
  Files compared with nothing (new since the ref, new subjects, a --candidate without
  --previous) are listed in every format: text 'not checked: FILE: REASON', json
  \"not_checked\", github-actions ::notice ...,title=NOT_CHECKED::REASON, junit <skipped>,
  gitlab-code-quality severity info issues (check_name NOT_CHECKED), sarif invocation notes.

Waivers (every mode), in schemaflow-subjects.toml at the root or --subjects-config FILE:
  [[waiver]]
  rule = \"TYPE_MISMATCH\"              # required
  file = \"schemas/user.avsc\"          # at least one of file, path (the finding's path)
  path = \"/fields/0/type\"             #   and subject
  reason = \"no consumer reads id yet\" # required
  expires = 2027-01-31                # required TOML date; the waiver holds through it
A waived finding is reported (text 'waived: ...', json \"waived\", github ::warning, junit
system-out, sarif suppressions, gitlab severity info) and does not fail the check; past its
date the finding fails with '(waiver expired on DATE: REASON)'. A waiver matching no finding
is a warning on stderr. Today = the system's UTC date, or SCHEMAFLOW_TODAY=YYYY-MM-DD.

Lock mode (--against lock[:PATH]): every schema vs every version of its subject in
schemaflow.lock (schemaflow lock --help), in the subject's locked level, transitively.

Repository mode (--against git:REF): compares with git merge-base HEAD REF; files new since
then must parse and are listed as not checked.

Registry mode (--registry URL): each *.avsc under schemas/ and *.proto under proto/
(evolution/ skipped) is checked by the registry against its subject's versions
(POST /compatibility/subjects/SUBJECT/versions?verbose=true, the subject's own level).
Subjects come from schemaflow-subjects.toml at the root (or --subjects-config FILE), which
this mode requires: only the repository knows the subjects producers register under.
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
not know yet is a new schema, listed as not checked. A subject whose config has a
compatibilityGroup (e.g. major_version) is checked within the file's group: its [[file]]
metadata (metadata = { major_version = \"2\" }), else the latest version's; a file leaving
the latest version's group is listed as not checked (\"compatibility group change\"): the
versions of that group are not compared with it. Auth: --registry-auth USER:PASS
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
    /// A previous version, oldest first (repeatable). Without one the candidate is only
    /// parsed and listed as not checked.
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
    /// Repository mode: compare schemas/ and proto/ with their versions at the merge base of
    /// HEAD and a git ref (`git:main`, `git:HEAD~1`), or with every version the lock holds
    /// (`lock`, `lock:PATH`; levels from the lock, `--mode` does not apply).
    #[arg(long, value_name = "git:REF|lock[:PATH]")]
    pub against: Option<String>,
    /// Registry mode: the global `--registry URL` flag (comma-separated URLs fail over): ask
    /// that Schema Registry whether each schema of the repository may be registered under its
    /// subject, under the level configured there (`--mode` does not apply).
    #[arg(skip)]
    pub registry: Option<String>,
    /// The subjects file: schema files' subjects (registry mode) and `[[waiver]]` entries
    /// (every mode). Default: `schemaflow-subjects.toml` at the repository root, if present.
    /// It may live outside the repository; its paths are relative to the repository root, or
    /// to its own folder.
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
    rule: compat::Rule,
    path: String,
    message: String,
    /// `BACKWARD`/`FORWARD` for local checks; the subject's level in registry mode.
    direction: String,
    against: String,
}

impl Located {
    fn new(file: String, at: Position, f: Finding) -> Self {
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

/// The findings of comparing `cand` with `previous`, placed in the candidate's file.
fn located(cand: &SchemaInput, previous: &[SchemaInput], findings: Vec<Finding>) -> Vec<Located> {
    compat::locate::locate(cand, previous, findings)
        .into_iter()
        .map(|(at, f)| Located::new(cand.label.clone(), at, f))
        .collect()
}

/// A schema file that was not compared with anything, and why (a file new since the git ref,
/// a subject the registry or the lock does not know yet). Every output lists these, so that
/// "compatible" never hides that nothing was compared.
struct NotChecked {
    file: String,
    /// The subject, where the mode has one.
    subject: Option<String>,
    reason: String,
}

/// What a mode found.
struct Outcome {
    found: Vec<Located>,
    /// The files that were compared, in order (passing ones too: one JUnit test case each).
    checked: Vec<String>,
    not_checked: Vec<NotChecked>,
}

impl Outcome {
    fn of(found: Vec<Located>, checked: Vec<String>) -> Self {
        Outcome {
            found,
            checked,
            not_checked: Vec::new(),
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
    }
    let (outcome, mode) = match (&args.registry, &args.against) {
        (Some(url), _) => (
            registry::registry_mode(global, args, url)?,
            "REGISTRY".to_string(),
        ),
        (None, Some(against)) if against == "lock" || against.starts_with("lock:") => (
            lock_mode::lock_mode(args, against.strip_prefix("lock:"))?,
            "LOCK".to_string(),
        ),
        (None, Some(against)) => (repo::repo_mode(args, against)?, args.mode.to_string()),
        (None, None) => (pair::pair_mode(args)?, args.mode.to_string()),
    };
    let Outcome {
        found,
        checked,
        not_checked,
    } = outcome;
    let (found, waived) = waive::apply(args, found)?;
    // A reader that went away (`check … | head`) does not change the verdict, which is the
    // exit code CI acts on: a closed stdout is ignored here, not turned into exit 0.
    {
        use std::io::Write as _;
        let report = render::Report {
            mode: &mode,
            found: &found,
            waived: &waived,
            checked: &checked,
            not_checked: &not_checked,
        };
        let text = render::render(args.output, &report);
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(CliError::io(format!("writing to stdout: {e}")));
            }
        }
    }
    let context = match &args.registry {
        Some(url) => format!("registry {}", schemaflow::redact::url(url)),
        None => mode,
    };
    if !found.is_empty() {
        return Err(CliError::failed(format!(
            "incompatible ({context}): {} finding(s)",
            found.len()
        )));
    }
    let mut not = if not_checked.is_empty() {
        String::new()
    } else {
        format!(", {} not checked", not_checked.len())
    };
    if !waived.is_empty() {
        not.push_str(&format!(", {} finding(s) waived", waived.len()));
    }
    if checked.is_empty() {
        eprintln!(
            "schemaflow check: nothing was compared ({context}, 0 file(s) checked{not}): no finding, but no verdict either"
        );
    } else {
        eprintln!(
            "schemaflow check: compatible ({context}, {} file(s) checked{not})",
            checked.len()
        );
    }
    Ok(())
}
