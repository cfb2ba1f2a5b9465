//! Repository mode: `schemas/` and `proto/` of the working tree against a git ref.

use std::path::{Path, PathBuf};

use schemaflow::compat::locate::Position;
use schemaflow::compat::{self, CompatibilityLevel, Direction, Finding};

use super::super::common::CliError;
use super::super::repo::inputs::schema_error;
use super::super::repo::tree::{git, tree_at, working_tree};
use super::{located, CheckArgs, Located, NotChecked, Outcome};

pub(super) fn repo_mode(args: &CheckArgs, against: &str) -> Result<Outcome, CliError> {
    let rev = against
        .strip_prefix("git:")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            CliError::usage(format!(
                "--against {against:?}: expected git:REF (e.g. git:main) or lock[:PATH]"
            ))
        })?;
    let cwd =
        std::env::current_dir().map_err(|e| CliError::io(format!("current directory: {e}")))?;
    let top = git(&cwd, &["rev-parse", "--show-toplevel"])?;
    let root = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let base = merge_base(&root, rev)?;
    let old = tree_at(&root, &base.commit)?;
    let new = working_tree(&root)?;
    let mut found = Vec::new();
    let mut checked = Vec::new();
    let mut not_checked = Vec::new();
    for path in new.files.keys() {
        let Some(cand) = new.input(path, path.clone())? else {
            continue;
        };
        let Some(prev) = old.input(path, format!("{path}@{}", base.label))? else {
            // A new file has nothing to be compatible with, but it must parse: a broken file
            // would otherwise merge unnoticed and fail the first producer that loads it.
            compat::ParsedSchema::parse(&cand).map_err(schema_error)?;
            not_checked.push(NotChecked {
                file: path.clone(),
                subject: None,
                reason: format!("new since {}: nothing to be compatible with", base.label),
            });
            continue;
        };
        checked.push(path.clone());
        if prev.text == cand.text && prev.references == cand.references {
            continue;
        }
        let report =
            compat::check(args.mode, std::slice::from_ref(&prev), &cand).map_err(schema_error)?;
        found.extend(located(&cand, std::slice::from_ref(&prev), report.findings));
    }
    for path in old.files.keys().filter(|p| !new.files.contains_key(*p)) {
        if args.mode == CompatibilityLevel::None {
            break;
        }
        found.push(Located::new(
            path.clone(),
            Position::START,
            Finding {
                rule: compat::Rule::SchemaDeleted,
                path: path.clone(),
                message: format!(
                    "{path} exists at {} but was deleted; consumers may still read data written with it, so keep the file",
                    base.label
                ),
                against: format!("{path}@{}", base.label),
                direction: Direction::Backward,
            },
        ));
    }
    Ok(Outcome {
        found,
        checked,
        not_checked,
    })
}

/// The commit a branch is compared with: the merge base of `HEAD` and `rev`, so that a branch
/// that is behind `rev` does not see the schemas added on `rev` since as deleted.
struct Base {
    commit: String,
    /// How findings name it: `main` when the merge base is `main` itself, else
    /// `merge-base(HEAD, main)`.
    label: String,
}

fn merge_base(root: &Path, rev: &str) -> Result<Base, CliError> {
    // A ref that does not name a commit is a git error (exit 3), as `check --help` says.
    let commit = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        CliError::io(format!(
            "--against git:{rev}: no such commit in {}",
            root.display()
        ))
    })?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    // No HEAD yet (a repository without commits): compare with the ref itself.
    let Ok(head) = git(root, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]) else {
        return Ok(Base {
            commit,
            label: rev.to_string(),
        });
    };
    let head = String::from_utf8_lossy(&head).trim().to_string();
    let base = git(root, &["merge-base", &head, &commit]).map_err(|e| {
        CliError::io(format!(
            "--against git:{rev}: HEAD and {rev} have no common history ({})",
            e.message
        ))
    })?;
    let base = String::from_utf8_lossy(&base).trim().to_string();
    let label = if base == commit {
        rev.to_string()
    } else {
        format!("merge-base(HEAD, {rev})")
    };
    Ok(Base {
        commit: base,
        label,
    })
}
