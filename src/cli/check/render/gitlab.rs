//! `--output gitlab-code-quality`: a GitLab Code Quality report, for
//! `artifacts:reports:codequality` (the merge request widget and diff annotations).
//!
//! Format: GitLab's "Code Quality report format"
//! (<https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>), a JSON
//! array of issues with `description`, `check_name`, `fingerprint` (unique per issue, stable
//! across runs so that GitLab can tell new issues from fixed ones), `severity` (`info`,
//! `minor`, `major`, `critical`, `blocker`) and `location.path` (repository-relative) plus
//! `location.lines.begin`. GitLab's format is a subset of the Code Climate issue spec
//! (<https://github.com/codeclimate/platform/blob/master/spec/analyzers/SPEC.md>), whose
//! required `type: "issue"` and `categories` are written too, so other Code Climate readers
//! accept the file.
//!
//! Failing findings are `major`; waived findings stay in the report as `info` (with the
//! waiver's reason and expiry in the description) so reviewers see what was accepted, and keep
//! the fingerprint they had before the waiver. Files compared with nothing (new since the ref,
//! new subjects) are `info` issues with `check_name` `NOT_CHECKED` at line 1, so that the
//! report never hides that a file was not compared; their fingerprint is SHA-256 of
//! `NOT_CHECKED`, the file and the subject (not the reason, whose wording may change), stable
//! while the file stays unchecked.

use serde_json::{json, Value};

use super::super::{Located, NotChecked};
use super::{fingerprints, hasher, hex, Report};

/// The check name of a file compared with nothing.
const NOT_CHECKED: &str = "NOT_CHECKED";

fn not_checked_fingerprint(n: &NotChecked) -> String {
    hex(hasher(&[
        NOT_CHECKED,
        n.file.as_str(),
        n.subject.as_deref().unwrap_or(""),
    ]))
}

fn not_checked_issue(n: &NotChecked) -> Value {
    json!({
        "type": "issue",
        "check_name": NOT_CHECKED,
        "description": format!("not checked: {}: {}", n.file, n.reason),
        "categories": ["Compatibility"],
        "fingerprint": not_checked_fingerprint(n),
        "severity": "info",
        "location": {
            "path": n.file,
            "lines": {"begin": 1},
        },
    })
}

fn issue(l: &Located, fingerprint: String, severity: &str, description: String) -> Value {
    json!({
        "type": "issue",
        "check_name": l.rule.id(),
        "description": description,
        "categories": ["Compatibility"],
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {
            "path": l.file,
            "lines": {"begin": l.line},
        },
    })
}

pub(super) fn render(r: &Report<'_>) -> String {
    let all = r.found.iter().chain(r.waived.iter().map(|w| &w.finding));
    let mut fps = fingerprints(all).into_iter();
    let mut issues = Vec::new();
    for l in r.found {
        let fp = fps.next().unwrap_or_default();
        issues.push(issue(
            l,
            fp,
            "major",
            format!("{}: {}", l.rule, super::summary(l)),
        ));
    }
    for w in r.waived {
        let l = &w.finding;
        let fp = fps.next().unwrap_or_default();
        let description = format!(
            "{} (waived: {}, until {}): {}",
            l.rule,
            w.reason,
            w.expires,
            super::summary(l)
        );
        issues.push(issue(l, fp, "info", description));
    }
    issues.extend(r.not_checked.iter().map(not_checked_issue));
    format!("{}\n", Value::Array(issues))
}
