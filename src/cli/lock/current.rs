//! The repository's current schemas as the lock sees them: each file under its subject (the
//! subjects file's rules, else the schema's full name — RecordNameStrategy, stable and
//! offline), with its references among the repository's files.

use std::path::Path;

use schemaflow::compat::{CompatibilityLevel, SchemaInput};

use super::super::common::CliError;
use super::super::repo::references::dependency_order;
use super::super::repo::subjects::Subjects;
use super::super::repo::tree::working_tree;
use super::super::repo::waivers::Waiver;
use super::super::repo::DEFAULT_SUBJECTS_CONFIG;

/// One current schema file.
pub struct Current {
    /// Its subject.
    pub subject: String,
    /// Repository-relative path.
    pub file: String,
    /// The checker input (references with their texts), labelled with the file.
    pub input: SchemaInput,
    /// Direct references: `(reference name, file)`.
    pub references: Vec<(String, String)>,
    /// The level the subjects file gives it, if any.
    pub compatibility: Option<CompatibilityLevel>,
}

/// The repository's schemas, referenced files before the files that reference them.
pub struct Repository {
    /// The schema files in dependency order.
    pub schemas: Vec<Current>,
    /// The subjects file's `[[waiver]]` entries (`lock --add` honours them as `check` does).
    pub waivers: Vec<Waiver>,
}

impl Repository {
    /// Read the working tree under `root` with the subjects file `config` (default: the root's
    /// `schemaflow-subjects.toml` when it exists, else full names).
    pub fn load(root: &Path, config: Option<&Path>) -> Result<Self, CliError> {
        let tree = working_tree(root)?;
        let config = match config {
            Some(c) => Some(c.to_path_buf()),
            None => Some(root.join(DEFAULT_SUBJECTS_CONFIG)).filter(|p| p.is_file()),
        };
        let subjects = Subjects::load(config.as_deref(), &tree)?;
        let order = dependency_order(&tree)?;
        let mut schemas = Vec::new();
        for (file, references) in order {
            let Some(text) = tree.files.get(&file) else {
                continue;
            };
            let Some(input) = tree.input(&file, file.clone())? else {
                continue;
            };
            schemas.push(Current {
                subject: subjects.subject_of(&file, text)?,
                references,
                compatibility: subjects.compatibility_of(&file),
                file,
                input,
            });
        }
        let mut seen = std::collections::BTreeMap::new();
        for c in &schemas {
            if let Some(other) = seen.insert(c.subject.as_str(), c.file.as_str()) {
                return Err(CliError::usage(format!(
                    "{} and {other} both map to subject {}: give one of them its own subject in {DEFAULT_SUBJECTS_CONFIG}",
                    c.file, c.subject
                )));
            }
        }
        Ok(Repository {
            schemas,
            waivers: subjects.waivers().to_vec(),
        })
    }

    /// The current schema of a file.
    pub fn by_file(&self, file: &str) -> Option<&Current> {
        self.schemas.iter().find(|c| c.file == file)
    }
}
