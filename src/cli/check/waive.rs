//! Applying the subjects file's `[[waiver]]` entries to the findings of any mode (see
//! [`crate::cli::repo::waivers`] for the syntax and the matching rules).

use std::path::PathBuf;

use super::super::common::CliError;
use super::super::repo::subjects::Subjects;
use super::super::repo::tree::{repository_root, working_tree};
use super::super::repo::waivers::{FindingKey, Standing, Waivers};
use super::super::repo::DEFAULT_SUBJECTS_CONFIG;
use super::{CheckArgs, Located};

/// A finding a live waiver accepts: reported, but it does not fail the check.
pub(super) struct Waived {
    pub finding: Located,
    /// The waiver's reason.
    pub reason: String,
    /// The waiver's last day, `YYYY-MM-DD`.
    pub expires: String,
}

/// Split `found` into the findings that fail and the waived ones. A finding that only an
/// expired waiver names fails, its message saying when the waiver expired and why it was
/// given. Waivers that name no finding are reported on stderr, so that stale ones get removed.
pub(super) fn apply(
    args: &CheckArgs,
    found: Vec<Located>,
) -> Result<(Vec<Located>, Vec<Waived>), CliError> {
    let root = repository_root()?;
    let config: PathBuf = match &args.subjects_config {
        Some(p) => p.clone(),
        None => root.join(DEFAULT_SUBJECTS_CONFIG),
    };
    if args.subjects_config.is_none() && !config.is_file() {
        return Ok((found, Vec::new()));
    }
    let tree = working_tree(&root)?;
    let subjects = Subjects::load(Some(&config), &tree)?;
    let mut waivers = Waivers::new(subjects.waivers().to_vec())?;
    if waivers.is_empty() {
        return Ok((found, Vec::new()));
    }
    let wants_subject = waivers.wants_subject();
    let mut failing = Vec::new();
    let mut waived = Vec::new();
    for mut f in found {
        // Only a file of the working tree has a subject to match (a deleted file or a pair
        // mode path outside the repository has none); a file whose subject cannot be worked
        // out is simply matched without one.
        let subject = if wants_subject {
            tree.files
                .get(&f.file)
                .and_then(|text| subjects.subject_of(&f.file, text).ok())
        } else {
            None
        };
        let key = FindingKey {
            rule: f.rule,
            path: &f.path,
            file: &f.file,
            subject: subject.as_deref(),
        };
        match waivers.judge(&key) {
            Standing::Fails => failing.push(f),
            Standing::Waived(w) => waived.push(Waived {
                reason: w.reason.clone(),
                expires: w.expires.to_string(),
                finding: f,
            }),
            Standing::Expired(w) => {
                f.message = format!("{} {}", f.message, w.expired_note());
                failing.push(f);
            }
        }
    }
    for w in waivers.unused() {
        eprintln!(
            "schemaflow check: warning: waiver {} in {} matches no finding; remove it ({})",
            w.describe(),
            config.display(),
            w.reason
        );
    }
    Ok((failing, waived))
}
