//! Which subject each schema file is registered under: the subjects file
//! (`schemaflow-subjects.toml`), read by `check --registry`, `lock` and `register --all`.
//!
//! Its paths (`[[file]] path`, `[[waiver]] file`) are relative to the repository root; a
//! subjects file kept elsewhere (`--subjects-config ../ci/subjects.toml`) may also give them
//! relative to its own folder, or absolute. Either way they become repository paths, and one
//! that names no schema file of the repository is an error saying which files were looked for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemaflow::compat::CompatibilityLevel;
use schemaflow::format::{self, NoRecordName};
use schemaflow::registry::SubjectNameStrategy;
use serde::Deserialize;

use super::super::common::{schema_type_from_extension, CliError};
use super::tree::Tree;
use super::waivers::{Waiver, WaiverEntry};
use super::DEFAULT_SUBJECTS_CONFIG;

/// The subjects file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectsConfig {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default, rename = "file")]
    files: Vec<FileEntry>,
    /// Accepted incompatibilities (`[[waiver]]`), read by `check`.
    #[serde(default, rename = "waiver")]
    waivers: Vec<WaiverEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    strategy: Option<String>,
    /// The compatibility level of every subject (a registry level name); `lock` records it.
    compatibility: Option<CompatibilityLevel>,
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
    /// This subject's compatibility level, over `[defaults].compatibility`.
    compatibility: Option<CompatibilityLevel>,
    /// The metadata properties the file is registered with (`major_version = "2"`): what
    /// `check --registry` sends, so a subject with a `compatibilityGroup` is checked within
    /// the file's group, and a change of group is reported.
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

/// Subject rules, checked against the repository's files.
pub struct Subjects {
    default: SubjectNameStrategy,
    default_compatibility: Option<CompatibilityLevel>,
    files: BTreeMap<String, FileEntry>,
    source: String,
    waivers: Vec<Waiver>,
}

fn strategy(s: &str, source: &str) -> Result<SubjectNameStrategy, CliError> {
    s.parse()
        .map_err(|e| CliError::usage(format!("{source}: {e} (or record, topic, topic-record)")))
}

impl Subjects {
    /// Read the subjects file that `command` cannot do without: `config`, else the root's
    /// `schemaflow-subjects.toml`. Only the repository knows which subjects producers register
    /// under; guessing (record names while producers use `<topic>-value`) would consult or
    /// write subjects no producer uses, so a missing file is a usage error naming it.
    pub fn load_required(
        command: &str,
        root: &Path,
        config: Option<&Path>,
        tree: &Tree,
    ) -> Result<Self, CliError> {
        let path = config
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.join(DEFAULT_SUBJECTS_CONFIG));
        if !path.is_file() {
            return Err(CliError::usage(format!(
                "{command} needs to know the subject each schema file is registered under, and {} does not exist: write it (at least [defaults] strategy = \"record\" | \"topic\" | \"topic-record\", with a [[file]] path/topic for the files producers register under <topic>-value), or pass --subjects-config FILE; see schemaflow check --help",
                path.display()
            )));
        }
        Self::load(Some(&path), tree)
    }

    /// Read the subjects file (`None`: defaults only), checking its paths against `tree`.
    pub fn load(path: Option<&Path>, tree: &Tree) -> Result<Self, CliError> {
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
        // Paths are the repository's; a subjects file kept outside the repository may also
        // give them relative to its own folder.
        let config_dir = path.map(|p| match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        });
        let mut files = BTreeMap::new();
        for f in config.files {
            let path = resolve(&f.path, config_dir.as_deref(), tree).map_err(|why| {
                CliError::usage(format!(
                    "{source}: [[file]] path {:?} is not a schema file of the repository at {}: {why}; paths are relative to the repository root (or to the subjects file's folder), and its schema files are *.avsc under schemas/ and *.proto under proto/ (evolution/ is skipped)",
                    f.path,
                    tree.root.display()
                ))
            })?;
            if f.subject.is_some() && (f.topic.is_some() || f.strategy.is_some()) {
                return Err(CliError::usage(format!(
                    "{source}: {path}: give either subject or topic/strategy, not both"
                )));
            }
            if files.insert(path.clone(), f).is_some() {
                return Err(CliError::usage(format!("{source}: {path} is listed twice")));
            }
        }
        let mut waivers = config
            .waivers
            .into_iter()
            .enumerate()
            .map(|(i, w)| Waiver::from_entry(w, i, &source))
            .collect::<Result<Vec<_>, _>>()?;
        for w in &mut waivers {
            // As [[file]] paths; a file not in the tree (a deleted schema's finding) keeps
            // the path as written.
            let resolved = w
                .file
                .as_deref()
                .map(|f| resolve(f, config_dir.as_deref(), tree));
            if let Some(Ok(p)) = resolved {
                w.file = Some(p);
            }
        }
        Ok(Subjects {
            default,
            default_compatibility: config.defaults.compatibility,
            files,
            source,
            waivers,
        })
    }

    /// The `[[waiver]]` entries, in file order.
    pub fn waivers(&self) -> &[Waiver] {
        &self.waivers
    }

    /// The compatibility level the subjects file gives a repository file (its own, else
    /// `[defaults].compatibility`), `None` when it says nothing.
    pub fn compatibility_of(&self, path: &str) -> Option<CompatibilityLevel> {
        self.files
            .get(path)
            .and_then(|e| e.compatibility)
            .or(self.default_compatibility)
    }

    /// The metadata properties the subjects file gives a repository file (`None`: none).
    pub fn metadata_of(&self, path: &str) -> Option<&BTreeMap<String, String>> {
        self.files
            .get(path)
            .map(|e| &e.metadata)
            .filter(|m| !m.is_empty())
    }

    /// The subject of a repository file.
    pub fn subject_of(&self, path: &str, text: &str) -> Result<String, CliError> {
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

/// The repository path a path of the subjects file names: as written, relative to the
/// repository root; else relative to the subjects file's folder `config_dir` (or absolute),
/// when that is a schema file of the repository. `Err` says why it is none.
fn resolve(written: &str, config_dir: Option<&Path>, tree: &Tree) -> Result<String, String> {
    let plain = written.trim_start_matches("./");
    if tree.files.contains_key(plain) {
        return Ok(plain.to_string());
    }
    let from_root = tree.root.join(written);
    let from_config = config_dir.map(|d| d.join(written));
    let root = tree.root.canonicalize().ok();
    let on_disk = [Some(&from_root), from_config.as_ref()]
        .into_iter()
        .flatten()
        .find_map(|p| p.canonicalize().ok());
    match (root, on_disk) {
        (Some(root), Some(full)) => match full.strip_prefix(&root) {
            Ok(rel) => {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if tree.files.contains_key(&rel) {
                    Ok(rel)
                } else {
                    Err(format!("{} is not one of them", full.display()))
                }
            }
            Err(_) => Err(format!(
                "{} is outside it (run schemaflow in that file's repository: the current folder when it holds schemas/, proto/ or {DEFAULT_SUBJECTS_CONFIG}, else its git top level)",
                full.display()
            )),
        },
        _ => Err(match from_config {
            Some(c) if c != from_root => format!(
                "neither {} nor {} exists",
                from_root.display(),
                c.display()
            ),
            _ => format!("{} does not exist", from_root.display()),
        }),
    }
}

/// RecordNameStrategy's name for a file, as its language's provider gives it: the Avro
/// top-level full name, the Protobuf package plus the first message's name, the JSON Schema
/// `title`.
pub fn record_name(path: &str, text: &str) -> Result<String, CliError> {
    let Some(schema_type) = schema_type_from_extension(Path::new(path)) else {
        return Err(CliError::usage(format!(
            "{path}: not an .avsc, .proto or .json file"
        )));
    };
    format::provider(schema_type)
        .record_name(path, text)
        .map_err(|e| match e {
            NoRecordName::Unnamed(why) => CliError::usage(format!(
                "{path}: {why}, so it has no record name: map it to a subject in the subjects config"
            )),
            NoRecordName::Invalid(reason) => CliError::usage(format!("{path}: {reason}")),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::tree::tests::tree;

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
