//! The schema files of a repository: `*.avsc` and JSON Schema `*.json` under `schemas/` and
//! `*.proto` under `proto/`
//! (`evolution/` folders hold samples and are skipped), from the working tree or a git commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use schemaflow::compat::SchemaInput;
use schemaflow::format::{self, ReferenceNaming};
use schemaflow::SchemaType;

use super::super::common::{schema_type_from_extension, CliError};
use super::inputs::{import_references, read, record_name, used_names, Sources};
use super::DEFAULT_SUBJECTS_CONFIG;

/// Schema files by repository path.
pub struct Tree {
    /// The repository root the paths are relative to.
    pub root: PathBuf,
    pub files: BTreeMap<String, String>,
}

impl Tree {
    /// The other files of a language whose references name types
    /// ([`ReferenceNaming::TypeName`]: Avro) that this one needs: those whose type names it
    /// (or a needed file) mentions as a JSON string, transitively.
    pub fn type_name_references(
        &self,
        schema_type: SchemaType,
        path: &str,
    ) -> Vec<(String, String)> {
        let others: Vec<(String, &String)> = self
            .files
            .iter()
            .filter(|(p, _)| {
                p.as_str() != path && schema_type_from_extension(Path::new(p)) == Some(schema_type)
            })
            .filter_map(|(p, t)| record_name(schema_type, p, t).map(|n| (n, t)))
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

    /// The files a schema names by paths relative to itself
    /// ([`ReferenceNaming::RelativePath`]: JSON Schema's `$ref`s), transitively and
    /// dependencies first, as `(reference name, text)`: the name as the schema writes it, the
    /// file relative to the referring file's folder.
    pub fn relative_path_references(
        &self,
        schema_type: SchemaType,
        label: &str,
        path: &str,
    ) -> Result<Vec<(String, String)>, CliError> {
        fn walk(
            tree: &Tree,
            schema_type: SchemaType,
            label: &str,
            path: &str,
            out: &mut Vec<(String, String)>,
            seen: &mut Vec<String>,
        ) -> Result<(), CliError> {
            let Some(text) = tree.files.get(path) else {
                return Ok(());
            };
            let dir = Path::new(path)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            for name in used_names(schema_type, path, text)? {
                let file = if dir.is_empty() {
                    name.clone()
                } else {
                    format!("{dir}/{name}")
                };
                if seen.contains(&file) {
                    continue;
                }
                seen.push(file.clone());
                let Some(dep) = tree.files.get(&file) else {
                    return Err(CliError::usage(format!(
                        "{label}: $ref \"{name}\" not found (looked for {file})"
                    )));
                };
                walk(tree, schema_type, label, &file, out, seen)?;
                out.push((name, dep.clone()));
            }
            Ok(())
        }
        let mut out = Vec::new();
        walk(
            self,
            schema_type,
            label,
            path,
            &mut out,
            &mut vec![path.to_string()],
        )?;
        Ok(out)
    }

    /// The checker input for `path` (with its references from this tree), `None` when the
    /// tree has no such schema file.
    pub fn input(&self, path: &str, label: String) -> Result<Option<SchemaInput>, CliError> {
        let Some(text) = self.files.get(path) else {
            return Ok(None);
        };
        let Some(schema_type) = schema_type_from_extension(Path::new(path)) else {
            return Ok(None);
        };
        let references = match format::provider(schema_type).reference_naming() {
            ReferenceNaming::ImportPath => {
                let dir = Path::new(path)
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                import_references(schema_type, &label, text, &dir, self)?
            }
            ReferenceNaming::RelativePath => {
                self.relative_path_references(schema_type, &label, path)?
            }
            ReferenceNaming::TypeName => self.type_name_references(schema_type, path),
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
    fn find(&self, import: &str, importer_dir: &str) -> Result<Option<String>, CliError> {
        let candidates = [
            format!("proto/{import}"),
            format!("{importer_dir}/{import}"),
        ];
        Ok(candidates.iter().find_map(|c| self.files.get(c).cloned()))
    }
}

pub fn wanted(path: &str) -> bool {
    let in_root = path.starts_with("schemas/") || path.starts_with("proto/");
    let right_ext = (path.starts_with("schemas/")
        && (path.ends_with(".avsc") || path.ends_with(".json")))
        || (path.starts_with("proto/") && path.ends_with(".proto"));
    in_root && right_ext && !path.split('/').any(|c| c == "evolution")
}

pub fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, CliError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| CliError::io(format!("running git: {e}")))?;
    if !out.status.success() {
        return Err(CliError::io(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

pub fn working_tree(root: &Path) -> Result<Tree, CliError> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) -> Result<(), CliError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(CliError::io(format!("reading {}: {e}", dir.display()))),
        };
        for entry in entries {
            let entry =
                entry.map_err(|e| CliError::io(format!("reading {}: {e}", dir.display())))?;
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
    Ok(Tree {
        root: root.to_path_buf(),
        files,
    })
}

pub fn tree_at(root: &Path, rev: &str) -> Result<Tree, CliError> {
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
        let text = String::from_utf8(blob)
            .map_err(|_| CliError::usage(format!("{rev}:{name} is not UTF-8")))?;
        files.insert(name, text);
    }
    Ok(Tree {
        root: root.to_path_buf(),
        files,
    })
}

/// The repository root: the current folder when it holds `schemas/`, `proto/` or the subjects
/// file, else the git top level when there is one, else the current folder.
pub fn repository_root() -> Result<PathBuf, CliError> {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tree of `(path, text)` files.
    pub(crate) fn tree(files: &[(&str, &str)]) -> Tree {
        Tree {
            root: PathBuf::from("."),
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        }
    }

    #[test]
    fn wanted_paths() {
        assert!(wanted("schemas/user.avsc"));
        assert!(wanted("proto/events/v1/user.proto"));
        assert!(wanted("schemas/json/user_event.json"));
        assert!(!wanted("schemas/evolution/json/user_event.json"));
        assert!(!wanted("schemas/evolution/user.avsc"));
        assert!(!wanted("proto/evolution/events/v1/user.proto"));
        assert!(!wanted("schemas/readme.md"));
        assert!(!wanted("src/schemas/user.avsc"));
    }
}
