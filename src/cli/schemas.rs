//! Registry administration: `register`, `schemas list|get|versions|delete`, `config get|set`.
//!
//! `schemas get` prints the schema itself (what a schema file holds), `--output json` the
//! registry's answer; `config set LEVEL` also takes the level as `--level LEVEL`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use schemaflow::registry::{
    CompatibilityLevel, Metadata, RuleSet, Schema, SchemaById, SchemaReference, Version,
};
use schemaflow::rules::{Direction, DomainRules};
use schemaflow::wire::SchemaId;
use serde_json::json;

use crate::outln;

use super::common::{
    block_on, finish, print_json, schema_type_of, CliError, Global, SchemaTypeArg,
};

const REGISTER_AFTER_HELP: &str = "\
One file: --subject S --schema-file F [--reference NAME=SUBJECT:VERSION ...] prints
{\"subject\", \"id\", \"guid\"}.

Every schema of the repository: --all [--dry-run] [--subjects-config FILE] [--output json].
  Files: each *.avsc under schemas/ and *.proto under proto/ (evolution/ skipped), under the
  subject schemaflow-subjects.toml (or --subjects-config FILE) gives it; the subjects file is
  required, its rules are those of `schemaflow check --registry` (see check --help).
  Order: referenced files first (Avro named types defined by other files of schemas/,
  Protobuf imports of proto/ files other than google/*); each reference names the version
  its subject holds for that file's exact text. A reference cycle is a usage error.
  Idempotent: a schema its subject already holds is not registered again; a second run
  changes nothing and says so.
  Levels: a file's `compatibility = \"FULL\"` (or [defaults] compatibility) in the subjects
  file sets the subject's level (PUT /config/SUBJECT) when the registry's differs, before its
  new version is registered, so that the version is judged under the declared level.
  --dry-run changes nothing: per file, in order, the subject, `new version` (with the
  registry's verdict against the latest version, and its messages when incompatible),
  `already registered as version N (id I)` or `new subject`, and a level change
  (`BACKWARD -> FULL`). A file whose references are only planned gets its verdict after
  they are registered.
  --output json: {\"dry_run\": bool, \"steps\": [{\"file\", \"subject\", \"action\":
  \"register\"|\"unchanged\"|\"new-subject\", \"version\", \"id\", \"config\": {\"from\", \"to\"}|null,
  \"compatible\": bool|null, \"messages\": [...]}]}.
  A registry refusal (incompatible, HTTP 409) stops the run at that file: the files after it
  are not registered, and the error says which were.

Exit codes: 0 done, 1 incompatible (a dry run's verdict, or the registry refused a schema),
2 usage or parse error (no subjects file, a reference cycle, an invalid schema), 3 registry
unreachable or other registry error.";

/// `schemaflow register`: register a schema file under a subject (prints `{"id": N}`), or
/// every schema file of the repository with `--all`.
///
/// Example: schemaflow register --subject com.example.events.Address --schema-file schemas/address.avsc
///          schemaflow register --subject user-events-value --schema-file schemas/user_event.avsc \
///              --reference com.example.events.Address=com.example.events.Address:1
///          schemaflow register --all --dry-run
#[derive(Debug, Args)]
#[command(after_help = REGISTER_AFTER_HELP)]
pub struct RegisterArgs {
    /// The subject (not with --all).
    #[arg(long, required_unless_present = "all")]
    subject: Option<String>,
    /// The schema file (`.avsc` or `.proto`; not with --all).
    #[arg(long, value_name = "FILE", required_unless_present = "all")]
    schema_file: Option<PathBuf>,
    /// Schema language (default: from the file extension).
    #[arg(long, value_enum)]
    schema_type: Option<SchemaTypeArg>,
    /// A reference, `NAME=SUBJECT:VERSION` (repeatable); NAME is the Avro full name or the
    /// Protobuf import path.
    #[arg(long, value_name = "NAME=SUBJECT:VERSION", value_parser = super::schema_file::parse_reference)]
    reference: Vec<SchemaReference>,
    /// Ask the registry to normalize the schema.
    #[arg(long)]
    normalize: bool,
    /// The data contract's metadata: a JSON file in Confluent's shape (`{"properties":
    /// {...}, "tags": {...}, "sensitive": [...]}`), registered with the schema.
    #[arg(long, value_name = "FILE")]
    metadata: Option<PathBuf>,
    /// The data contract's rules: a JSON file in Confluent's `ruleSet` shape
    /// (`{"domainRules": [{"name", "kind", "mode", "type": "CEL", "expr", ...}]}`), checked
    /// here (Confluent's rule-set rules, and each CEL expression compiled) before it is sent.
    #[arg(long, value_name = "FILE")]
    rule_set: Option<PathBuf>,
    /// Register every schema file of the repository under its subject (from the subjects
    /// file), referenced files first; schemas already registered are left alone.
    #[arg(
        long,
        conflicts_with_all = ["subject", "schema_file", "schema_type", "reference", "metadata", "rule_set"]
    )]
    all: bool,
    /// With --all: print the plan (and the registry's verdicts), change nothing.
    #[arg(long, requires = "all")]
    dry_run: bool,
    /// With --all: the TOML file mapping schema files to subjects (default:
    /// `schemaflow-subjects.toml` at the repository root).
    #[arg(long, value_name = "FILE", requires = "all")]
    subjects_config: Option<PathBuf>,
    /// With --all: the plan as text (default) or one JSON object.
    #[arg(long, value_enum, requires = "all")]
    output: Option<super::register_all::PlanFormat>,
}

/// Run `register`.
pub fn run_register(g: Global, a: RegisterArgs) -> ExitCode {
    if a.all {
        let options = super::register_all::Options {
            dry_run: a.dry_run,
            subjects_config: a.subjects_config,
            output: a.output.unwrap_or_default(),
            normalize: a.normalize,
        };
        return finish("register", super::register_all::run(&g, options));
    }
    finish(
        "register",
        block_on(async move {
            // clap requires both without --all; the check keeps a gap from panicking.
            let (Some(subject), Some(schema_file)) = (a.subject, a.schema_file) else {
                return Err(CliError::usage(
                    "register needs --subject and --schema-file, or --all",
                ));
            };
            let text = std::fs::read_to_string(&schema_file)
                .map_err(|e| CliError::io(format!("reading {}: {e}", schema_file.display())))?;
            let schema = Schema {
                schema: text,
                schema_type: schema_type_of(a.schema_type, &schema_file)?,
                references: a.reference,
            };
            let registry = g.registry()?;
            // Parsed here first (with its references' texts from the registry): an invalid
            // schema is reported at the user's file (and line, for Protobuf), not at the
            // registry's copy of it.
            super::schema_file::parse_before_registering(&registry, &schema, &schema_file).await?;
            let metadata = match &a.metadata {
                Some(f) => Some(read_json::<Metadata>(f)?),
                None => None,
            };
            let rule_set = match &a.rule_set {
                Some(f) => Some(read_rule_set(f)?),
                None => None,
            };
            let client = registry.client();
            let (id, guid) = if metadata.is_none() && rule_set.is_none() {
                client.register(&subject, &schema, a.normalize).await
            } else {
                client
                    .register_with_contract(&subject, &schema, metadata, rule_set, a.normalize)
                    .await
            }
            .map_err(|e| super::missing_refs::register_error(e, &schema))?;
            print_json(&json!({"subject": subject, "id": id.0, "guid": guid}))?;
            Ok(())
        }),
    )
}

/// A JSON file read as `T`; a usage error naming the file when it is not.
fn read_json<T: serde::de::DeserializeOwned>(file: &std::path::Path) -> Result<T, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::io(format!("reading {}: {e}", file.display())))?;
    serde_json::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", file.display())))
}

/// A rule-set file, checked as Confluent's registry checks it and with every CEL and JSONata rule
/// compiled (every direction, migrations too), so a mistake is reported at the user's file.
fn read_rule_set(file: &std::path::Path) -> Result<RuleSet, CliError> {
    let set: RuleSet = read_json(file)?;
    set.validate()
        .map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
    for direction in [
        Direction::Write,
        Direction::Read,
        Direction::Upgrade,
        Direction::Downgrade,
    ] {
        DomainRules::compile(Some(&set), direction, &file.display().to_string())
            .map_err(|e| CliError::usage(e.to_string()))?;
    }
    Ok(set)
}

/// `schemaflow schemas …`
#[derive(Debug, Args)]
pub struct SchemasArgs {
    #[command(subcommand)]
    command: SchemasCommand,
}

#[derive(Debug, Subcommand)]
enum SchemasCommand {
    /// List subjects.
    List {
        /// Include soft-deleted subjects.
        #[arg(long)]
        deleted: bool,
    },
    /// Show a schema, by id or by subject and version: the schema itself (Avro and JSON Schema
    /// as indented JSON, Protobuf as its text), or with `--output json` the registry's answer
    /// (id, subject, version, schemaType, schema as a string, references). Example: schemas get
    /// --subject user-events-value --version latest > user_event.avsc
    Get {
        /// Schema id.
        #[arg(long, conflicts_with = "subject")]
        id: Option<u32>,
        /// Subject.
        #[arg(long, required_unless_present = "id")]
        subject: Option<String>,
        /// Version number or `latest`.
        #[arg(long, default_value = "latest")]
        version: String,
        /// `schema`: the schema itself (default); `json`: the registry's answer.
        #[arg(long, value_enum, default_value_t = GetOutput::Schema)]
        output: GetOutput,
    },
    /// Show a schema with its data contract, as one JSON object: the registry's answer (id,
    /// subject and version when asked by subject, schemaType, schema, references) with its
    /// `metadata` and `ruleSet` when it has them. Example: schemas show --subject
    /// user-events-value
    Show {
        /// Schema id.
        #[arg(long, conflicts_with = "subject")]
        id: Option<u32>,
        /// Subject.
        #[arg(long, required_unless_present = "id")]
        subject: Option<String>,
        /// Version number or `latest`.
        #[arg(long, default_value = "latest")]
        version: String,
    },
    /// List a subject's versions.
    Versions {
        /// Subject.
        #[arg(long)]
        subject: String,
    },
    /// Delete a subject or one version (soft; `--permanent` after a soft delete).
    Delete {
        /// Subject.
        #[arg(long)]
        subject: String,
        /// Only this version.
        #[arg(long)]
        version: Option<String>,
        /// Permanent (hard) delete.
        #[arg(long)]
        permanent: bool,
    },
}

/// `schemas get --output` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GetOutput {
    /// The schema itself.
    Schema,
    /// The registry's JSON answer.
    Json,
}

/// The schema itself, as a file of it would hold it: a JSON text (Avro, JSON Schema) indented,
/// any other (Protobuf's `.proto` text or base64 descriptor) as it is.
fn print_schema(schema: &Schema) -> Result<(), CliError> {
    let text = serde_json::from_str::<serde_json::Value>(&schema.schema)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| schema.schema.trim_end().to_string());
    outln!("{text}")
}

/// `answer` (a JSON object) with the schema's `metadata` and `ruleSet`, when it has them.
fn with_contract(answer: &mut serde_json::Value, s: &SchemaById) {
    let Some(o) = answer.as_object_mut() else {
        return;
    };
    if let Some(m) = s
        .metadata
        .as_ref()
        .and_then(|m| serde_json::to_value(m).ok())
    {
        o.insert("metadata".into(), m);
    }
    if let Some(r) = s
        .rule_set
        .as_ref()
        .and_then(|r| serde_json::to_value(r).ok())
    {
        o.insert("ruleSet".into(), r);
    }
}

fn version(v: &str) -> Result<Version, CliError> {
    v.parse()
        .map_err(|e: schemaflow::registry::types::InvalidVersion| CliError::usage(e.to_string()))
}

/// Run `schemas …`.
pub fn run_schemas(g: Global, a: SchemasArgs) -> ExitCode {
    finish(
        "schemas",
        block_on(async move {
            let registry = g.registry()?;
            let c = registry.client();
            match a.command {
                SchemasCommand::List { deleted } => {
                    for s in c.subjects(deleted).await? {
                        outln!("{s}")?;
                    }
                }
                SchemasCommand::Get {
                    id: Some(id),
                    output,
                    ..
                } => {
                    let s = c.schema_by_id(SchemaId(id)).await?;
                    match output {
                        GetOutput::Schema => print_schema(&s.schema)?,
                        GetOutput::Json => print_json(&json!({
                            "id": id,
                            "schemaType": s.schema.schema_type.as_str(),
                            "schema": s.schema.schema,
                            "references": s.schema.references,
                        }))?,
                    }
                }
                SchemasCommand::Get {
                    subject,
                    version: v,
                    output,
                    ..
                } => {
                    let subject = subject.unwrap_or_default();
                    let r = c.version(&subject, version(&v)?).await?;
                    match output {
                        GetOutput::Schema => print_schema(&r.schema)?,
                        GetOutput::Json => print_json(
                            &serde_json::to_value(&r).map_err(|e| CliError::io(e.to_string()))?,
                        )?,
                    }
                }
                SchemasCommand::Show { id: Some(id), .. } => {
                    let s = c.schema_by_id(SchemaId(id)).await?;
                    let mut answer = json!({
                        "id": id,
                        "schemaType": s.schema.schema_type.as_str(),
                        "schema": s.schema.schema,
                        "references": s.schema.references,
                    });
                    with_contract(&mut answer, &s);
                    print_json(&answer)?;
                }
                SchemasCommand::Show {
                    subject,
                    version: v,
                    ..
                } => {
                    let subject = subject.unwrap_or_default();
                    let r = c.version(&subject, version(&v)?).await?;
                    let s = c.schema_by_id(r.id).await?;
                    let mut answer =
                        serde_json::to_value(&r).map_err(|e| CliError::io(e.to_string()))?;
                    with_contract(&mut answer, &s);
                    print_json(&answer)?;
                }
                SchemasCommand::Versions { subject } => {
                    print_json(&json!(c.subject_versions(&subject).await?))?;
                }
                SchemasCommand::Delete {
                    subject,
                    version: Some(v),
                    permanent,
                } => {
                    print_json(&json!(
                        c.delete_version(&subject, version(&v)?, permanent).await?
                    ))?;
                }
                SchemasCommand::Delete {
                    subject,
                    version: None,
                    permanent,
                } => {
                    print_json(&json!(c.delete_subject(&subject, permanent).await?))?;
                }
            }
            Ok(())
        }),
    )
}

/// `schemaflow config …`: compatibility levels.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Show the level in force (global, or for a subject).
    Get {
        /// Subject (default: global).
        #[arg(long)]
        subject: Option<String>,
    },
    /// Set the level. Example: config set FULL --subject user-events-value (or --level FULL)
    Set {
        /// Subject (default: global).
        #[arg(long)]
        subject: Option<String>,
        /// NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE.
        #[arg(
            value_name = "LEVEL",
            required_unless_present = "level_flag",
            conflicts_with = "level_flag"
        )]
        level: Option<CompatibilityLevel>,
        /// The level, as a flag (the same as the LEVEL argument).
        #[arg(long = "level", value_name = "LEVEL")]
        level_flag: Option<CompatibilityLevel>,
    },
}

/// Run `config …`.
pub fn run_config(g: Global, a: ConfigArgs) -> ExitCode {
    finish(
        "config",
        block_on(async move {
            let registry = g.registry()?;
            let c = registry.client();
            let level = match a.command {
                ConfigCommand::Get { subject } => c.compatibility(subject.as_deref()).await?,
                ConfigCommand::Set {
                    subject,
                    level,
                    level_flag,
                } => {
                    // clap requires one of the two; the check keeps a gap from panicking.
                    let level = level.or(level_flag).ok_or_else(|| {
                        CliError::usage("config set needs a LEVEL (e.g. `config set FULL`)")
                    })?;
                    c.set_compatibility(subject.as_deref(), level).await?
                }
            };
            print_json(&json!({"compatibilityLevel": level}))?;
            Ok(())
        }),
    )
}
