//! Lock mode: `schemaflow check --against lock[:PATH]` — every current schema against every
//! locked version of its subject, in the subject's directions (see [`schemaflow::lock`]).

use schemaflow::compat::locate::Position;
use schemaflow::compat::{self, CompatibilityLevel, Direction, Finding};

use super::super::common::CliError;
use super::super::lock::{read_lock, Repository, LOCK_FILE};
use super::super::repo::tree::repository_root;
use super::{located, CheckArgs, Located, NotChecked, Outcome};

pub(super) fn lock_mode(args: &CheckArgs, path: Option<&str>) -> Result<Outcome, CliError> {
    let root = repository_root()?;
    let lock_path = match path {
        Some(p) => std::path::PathBuf::from(p),
        None => root.join(LOCK_FILE),
    };
    let lock = read_lock(&lock_path)?;
    let repo = Repository::load(&root, args.subjects_config.as_deref())?;
    let mut found = Vec::new();
    let mut checked = Vec::new();
    let mut not_checked = Vec::new();
    for c in &repo.schemas {
        match schemaflow::lock::check_subject(&lock, &c.subject, &c.input) {
            Ok(Some(k)) => {
                checked.push(c.file.clone());
                found.extend(located(&c.input, &k.previous, k.report.findings));
            }
            Ok(None) => {
                // Parsed all the same: a broken new file must not pass as "new".
                compat::ParsedSchema::parse(&c.input)
                    .map_err(super::super::repo::inputs::schema_error)?;
                not_checked.push(NotChecked {
                    file: c.file.clone(),
                    subject: Some(c.subject.clone()),
                    reason: format!(
                        "subject {} is not in {}: a new subject (`schemaflow lock --add` records it after its release)",
                        c.subject,
                        lock_path.display()
                    ),
                });
            }
            Err(schemaflow::lock::LockError::Schema(e)) => {
                return Err(super::super::repo::inputs::schema_error(e))
            }
            Err(e) => return Err(CliError::usage(e.to_string())),
        }
    }
    // A released subject whose file is gone: its data is still being read.
    for s in &lock.subjects {
        let Some(file) = &s.file else { continue };
        if s.compatibility == CompatibilityLevel::None
            || repo.schemas.iter().any(|c| c.subject == s.name)
        {
            continue;
        }
        found.push(Located::new(
            file.clone(),
            Position::START,
            Finding {
                rule: compat::Rule::SchemaDeleted,
                path: s.name.clone(),
                message: format!(
                    "{file} (subject {}) was released ({} version(s) in the lock) but is gone; consumers may still read data written with it, so keep the file",
                    s.name,
                    s.versions.len()
                ),
                against: format!("{} (lock)", s.name),
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
