//! `--output sarif`: SARIF 2.1.0, for GitHub code scanning
//! (`github/codeql-action/upload-sarif`) and other SARIF viewers.
//!
//! Follows the OASIS SARIF 2.1.0 schema
//! (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json>)
//! and GitHub's "SARIF support for code scanning"
//! (<https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning>):
//! one run whose `tool.driver` (`name`, `version`; no `informationUri`, optional, until the
//! project has a public address) lists every rule the
//! results use (`id`, `shortDescription`, `fullDescription`), and per finding a result with
//! `ruleId`/`ruleIndex`, `level: "error"`, `message.text`, one location whose
//! `artifactLocation.uri` is the repository-relative file (GitHub needs the same path on every
//! run to track an alert) with `region.startLine`/`startColumn` (columns count characters:
//! `columnKind: "unicodeCodePoints"`), and `partialFingerprints` so GitHub does not have to
//! compute them from the file. A waived finding carries
//! `suppressions: [{"kind": "external", "status": "accepted", "justification": REASON}]` and
//! `level: "note"`: SARIF viewers show it as suppressed, and where a code scanning setup opens
//! alerts for suppressed results anyway (GitHub leaves dismissing them to tools such as the
//! `advanced-security/dismiss-alerts` action) the note level keeps it from failing the pull
//! request's code scanning check. Files compared with nothing are `note` notifications of
//! the invocation, not results, since they are no problem of the code.

use serde_json::{json, Value};

use schemaflow::compat::Rule;

use super::super::Located;
use super::{fingerprints, summary, Report};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A repository path as a URI reference: bytes other than unreserved characters and `/` are
/// percent-encoded (a space or `#` would otherwise change what the URI names).
fn uri(path: &str) -> String {
    let mut s = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn location(file: &str, line: Option<(usize, usize)>) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": uri(file)}});
    if let Some((line, column)) = line {
        physical["region"] = json!({"startLine": line.max(1), "startColumn": column.max(1)});
    }
    json!({ "physicalLocation": physical })
}

pub(super) fn render(r: &Report<'_>) -> String {
    let all: Vec<(&Located, Option<&super::Waived>)> = r
        .found
        .iter()
        .map(|l| (l, None))
        .chain(r.waived.iter().map(|w| (&w.finding, Some(w))))
        .collect();
    let mut rules: Vec<Rule> = all.iter().map(|(l, _)| l.rule).collect();
    rules.sort_unstable();
    rules.dedup();
    let fps = fingerprints(all.iter().map(|(l, _)| *l));
    let results: Vec<Value> = all
        .iter()
        .zip(fps)
        .map(|((l, waived), fp)| {
            let mut result = json!({
                "ruleId": l.rule.id(),
                "ruleIndex": rules.iter().position(|r| *r == l.rule).unwrap_or(0),
                "level": if waived.is_some() { "note" } else { "error" },
                "message": {"text": summary(l)},
                "locations": [location(&l.file, Some((l.line, l.column)))],
                "partialFingerprints": {"schemaflowFinding/v1": fp},
            });
            if let Some(w) = waived {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} (waiver until {})", w.reason, w.expires),
                }]);
            }
            result
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let text = rule.purpose();
            json!({
                "id": rule.id(),
                "name": rule.id(),
                "shortDescription": {"text": text},
                "fullDescription": {"text": text},
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect();
    let notes: Vec<Value> = r
        .not_checked
        .iter()
        .map(|n| {
            json!({
                "level": "note",
                "descriptor": {"id": "NOT_CHECKED"},
                "message": {"text": format!("not checked: {}: {}", n.file, n.reason)},
                "locations": [location(&n.file, None)],
            })
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "schemaflow",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }],
            "properties": {"mode": r.mode},
            "results": results,
        }],
    });
    format!("{doc}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("schemas/a b#c.avsc"), "schemas/a%20b%23c.avsc");
        assert_eq!(uri("proto/ev/v1/é.proto"), "proto/ev/v1/%C3%A9.proto");
    }

    #[test]
    fn every_rule_has_a_description() {
        for rule in Rule::ALL {
            assert!(rule.purpose().ends_with('.'), "{rule}");
        }
    }
}
