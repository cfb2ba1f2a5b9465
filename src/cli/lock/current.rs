//! The repository's current schemas as the lock sees them: each file under its subject (the
//! subjects file's rules, else the schema's full name — RecordNameStrategy, stable and
//! offline), with its references among the repository's files.

use std::path::Path;

use schemaflow::compat::{CompatibilityLevel, SchemaInput};

use super::super::common::CliError;
use super::super::repo::references::direct_references;
use super::super::repo::subjects::{Subjects, DEFAULT_SUBJECTS_CONFIG};
use super::super::repo::tree::{working_tree, Tree};

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
        for file in order {
            let text = &tree.files[&file];
            let Some(input) = tree.input(&file, file.clone())? else {
                continue;
            };
            schemas.push(Current {
                subject: subjects.subject_of(&file, text)?,
                references: direct_references(&tree, &file, text)?,
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
        Ok(Repository { schemas })
    }

    /// The current schema of a file.
    pub fn by_file(&self, file: &str) -> Option<&Current> {
        self.schemas.iter().find(|c| c.file == file)
    }
}

/// Files in an order where every file comes after the files it references (a cycle is a
/// usage error naming it).
fn dependency_order(tree: &Tree) -> Result<Vec<String>, CliError> {
    fn visit(
        tree: &Tree,
        file: &str,
        stack: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Result<(), CliError> {
        if done.iter().any(|d| d == file) {
            return Ok(());
        }
        if stack.iter().any(|s| s == file) {
            return Err(CliError::usage(format!(
                "reference cycle: {} -> {file}",
                stack.join(" -> ")
            )));
        }
        stack.push(file.to_string());
        let text = tree.files.get(file).cloned().unwrap_or_default();
        for (_, dep) in direct_references(tree, file, &text)? {
            visit(tree, &dep, stack, done)?;
        }
        stack.pop();
        done.push(file.to_string());
        Ok(())
    }
    let mut done = Vec::new();
    for file in tree.files.keys() {
        visit(tree, file, &mut Vec::new(), &mut done)?;
    }
    Ok(done)
}
