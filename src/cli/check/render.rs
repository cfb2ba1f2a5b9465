//! The output formats of `schemaflow check`.

use std::fmt::Write as _;

use clap::ValueEnum;

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
}

pub(super) fn render(
    format: OutputFormat,
    mode: &str,
    found: &[Located],
    not_checked: &[NotChecked],
) -> String {
    let mut s = String::new();
    match format {
        OutputFormat::Text => {
            for n in not_checked {
                let _ = writeln!(s, "not checked: {}: {}", n.file, n.reason);
            }
            for l in found {
                let _ = writeln!(
                    s,
                    "{}:{}: {} {}: {} ({} against {})",
                    l.file, l.line, l.rule, l.path, l.message, l.direction, l.against
                );
            }
        }
        OutputFormat::Json => {
            let findings: Vec<serde_json::Value> = found
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "file": l.file,
                        "line": l.line,
                        "column": l.column,
                        "rule": l.rule,
                        "path": l.path,
                        "message": l.message,
                        "direction": l.direction,
                        "against": l.against,
                    })
                })
                .collect();
            let mut doc = serde_json::json!({
                "compatible": found.is_empty(),
                "mode": mode,
                "findings": findings,
            });
            doc["not_checked"] = not_checked
                .iter()
                .map(|n| {
                    serde_json::json!({
                        "file": n.file,
                        "subject": n.subject,
                        "reason": n.reason,
                    })
                })
                .collect();
            let _ = writeln!(s, "{doc}");
        }
        OutputFormat::GithubActions => {
            for n in not_checked {
                let _ = writeln!(
                    s,
                    "::notice file={},line=1,title=NOT_CHECKED::{}",
                    escape_property(&n.file),
                    escape_data(&n.reason)
                );
            }
            for l in found {
                let _ = writeln!(
                    s,
                    "::error file={},line={},title={}::{}",
                    escape_property(&l.file),
                    l.line,
                    escape_property(l.rule),
                    escape_data(&format!(
                        "{}: {} ({} against {})",
                        l.path, l.message, l.direction, l.against
                    ))
                );
            }
        }
    }
    s
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes() {
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
    }
}
