//! The output formats of `schemaflow check`, one file each: [`text`], [`json`], [`github`]
//! (GitHub Actions workflow commands), [`junit`] (JUnit XML), [`gitlab`] (GitLab Code Quality)
//! and [`sarif`] (SARIF 2.1.0 for GitHub code scanning).

mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;
mod text;

use clap::ValueEnum;
use sha2::{Digest, Sha256};

use super::waive::Waived;
use super::{Located, NotChecked};

/// `--output` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// `FILE:LINE: RULE_ID PATH: MESSAGE` lines.
    Text,
    /// One JSON object.
    Json,
    /// GitHub Actions workflow commands (annotations).
    GithubActions,
    /// JUnit XML: one test case per file.
    Junit,
    /// GitLab Code Quality report (`artifacts:reports:codequality`).
    GitlabCodeQuality,
    /// SARIF 2.1.0 (GitHub code scanning, `upload-sarif`).
    Sarif,
}

/// Everything a format shows.
pub(super) struct Report<'a> {
    /// `BACKWARD`, …, or `REGISTRY`.
    pub mode: &'a str,
    /// The findings that fail the check.
    pub found: &'a [Located],
    /// The findings live waivers accept.
    pub waived: &'a [Waived],
    /// The files that were compared, in order.
    pub checked: &'a [String],
    /// The files that were compared with nothing.
    pub not_checked: &'a [NotChecked],
}

impl Report<'_> {
    /// Every file the check considered, each once: compared files in order, then files that
    /// only have findings (deleted ones), then files compared with nothing.
    fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = Vec::new();
        let all = self
            .checked
            .iter()
            .map(String::as_str)
            .chain(self.found.iter().map(|l| l.file.as_str()))
            .chain(self.waived.iter().map(|w| w.finding.file.as_str()))
            .chain(self.not_checked.iter().map(|n| n.file.as_str()));
        for f in all {
            if !files.contains(&f) {
                files.push(f);
            }
        }
        files
    }
}

/// The text of `report` in `format`.
pub(super) fn render(format: OutputFormat, report: &Report<'_>) -> String {
    match format {
        OutputFormat::Text => text::render(report),
        OutputFormat::Json => json::render(report),
        OutputFormat::GithubActions => github::render(report),
        OutputFormat::Junit => junit::render(report),
        OutputFormat::GitlabCodeQuality => gitlab::render(report),
        OutputFormat::Sarif => sarif::render(report),
    }
}

/// A finding in one line, as text shows it: `PATH: MESSAGE (DIRECTION against LABEL)`.
fn summary(l: &Located) -> String {
    format!(
        "{}: {} ({} against {})",
        l.path, l.message, l.direction, l.against
    )
}

/// A fingerprint that stays the same from run to run while the finding does: SHA-256 (hex)
/// of the file, rule, element path and compared version, not the line (an edit above the
/// element moves it). `occurrence` tells apart findings that share all four (the registry
/// can report several messages for one subject).
fn fingerprint(l: &Located, occurrence: usize) -> String {
    let mut h = hasher(&[
        l.file.as_str(),
        l.rule.id(),
        l.path.as_str(),
        l.against.as_str(),
    ]);
    if occurrence > 0 {
        h.update(occurrence.to_string().as_bytes());
    }
    hex(h)
}

/// SHA-256 over `parts`, each followed by a NUL byte (so that `("ab", "c")` and `("a", "bc")`
/// differ).
fn hasher(parts: &[&str]) -> Sha256 {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h
}

/// The digest in lowercase hex.
fn hex(h: Sha256) -> String {
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Fingerprints for a list of findings, unique within the list.
fn fingerprints<'a>(findings: impl IntoIterator<Item = &'a Located>) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    findings
        .into_iter()
        .map(|l| {
            let base = fingerprint(l, 0);
            let n = seen.entry(base.clone()).or_insert(0);
            let fp = if *n == 0 { base } else { fingerprint(l, *n) };
            *n += 1;
            fp
        })
        .collect()
}
