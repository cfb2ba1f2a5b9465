//! Where a finding is in the candidate file.

use schemaflow::compat::{Direction, Finding, SchemaInput};
use schemaflow::SchemaType;

use super::Located;

/// A place in a file: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The start of a file.
    pub const START: Position = Position { line: 1, column: 1 };
}

/// Place findings in the candidate's text.
pub(super) fn locate(
    cand: &SchemaInput,
    previous: &[SchemaInput],
    findings: Vec<Finding>,
) -> Vec<Located> {
    findings
        .into_iter()
        .map(|f| {
            let line = match cand.schema_type {
                SchemaType::Avro => {
                    // Avro paths follow the reader: the candidate backward, the previous forward.
                    let reader = match f.direction {
                        Direction::Backward => Some(cand.text.as_str()),
                        Direction::Forward => previous
                            .iter()
                            .find(|p| p.label == f.against)
                            .map(|p| p.text.as_str()),
                    };
                    reader.and_then(|r| avro_line(r, &cand.text, &f.path))
                }
                _ => proto_line(&cand.text, &f.path),
            };
            Located::new(
                cand.label.clone(),
                Position {
                    line: line.unwrap_or(1),
                    column: 1,
                },
                f,
            )
        })
        .collect()
}

/// The line of the candidate where the element at an Avro path (resolved in `reader`) is
/// defined: the names along the path, searched for in order.
fn avro_line(reader: &str, candidate: &str, path: &str) -> Option<usize> {
    let root: serde_json::Value = serde_json::from_str(reader).ok()?;
    let mut names = Vec::new();
    let mut cur = &root;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let next = match (cur, seg.parse::<usize>()) {
            (serde_json::Value::Array(a), Ok(i)) => a.get(i),
            (serde_json::Value::Object(o), _) => o.get(seg),
            _ => None,
        };
        let Some(next) = next else { break };
        cur = next;
        if let Some(n) = cur.get("name").and_then(|n| n.as_str()) {
            names.push(n.to_string());
        }
    }
    let lines: Vec<&str> = candidate.lines().collect();
    let mut from = 0;
    let mut found = None;
    for n in names {
        let needle = format!("\"{n}\"");
        if let Some(i) = lines.iter().skip(from).position(|l| l.contains(&needle)) {
            found = Some(from + i + 1);
            from += i;
        }
    }
    found
}

/// The line of a `.proto` text defining the last element of a full name.
fn proto_line(text: &str, path: &str) -> Option<usize> {
    let last = path.rsplit('.').next()?;
    if last.is_empty() {
        return None;
    }
    let is_word = |l: &str| {
        l.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == last)
    };
    let lines: Vec<&str> = text.lines().collect();
    let def = lines.iter().position(|l| {
        let t = l.trim_start();
        is_word(l)
            && (t.starts_with("message ")
                || t.starts_with("enum ")
                || t.starts_with("oneof ")
                || t.contains(&format!(" {last} ="))
                || t.starts_with(&format!("{last} =")))
    });
    def.or_else(|| lines.iter().position(|l| is_word(l)))
        .map(|i| i + 1)
}
