//! `--output json`: one object, `{"compatible": bool, "mode": str, "findings": [FINDING],
//! "waived": [FINDING + "waived": {"reason", "expires"}], "not_checked": [{"file", "subject",
//! "reason"}]}` with FINDING = `{"file", "line", "column", "rule", "path", "message",
//! "direction", "against"}`. `findings` holds only what fails the check.

use serde_json::{json, Value};

use super::super::Located;
use super::Report;

fn finding(l: &Located) -> Value {
    json!({
        "file": l.file,
        "line": l.line,
        "column": l.column,
        "rule": l.rule.id(),
        "path": l.path,
        "message": l.message,
        "direction": l.direction,
        "against": l.against,
    })
}

pub(super) fn render(r: &Report<'_>) -> String {
    let waived: Vec<Value> = r
        .waived
        .iter()
        .map(|w| {
            let mut v = finding(&w.finding);
            v["waived"] = json!({"reason": w.reason, "expires": w.expires});
            v
        })
        .collect();
    let not_checked: Vec<Value> = r
        .not_checked
        .iter()
        .map(|n| json!({"file": n.file, "subject": n.subject, "reason": n.reason}))
        .collect();
    let doc = json!({
        "compatible": r.found.is_empty(),
        "mode": r.mode,
        "findings": r.found.iter().map(finding).collect::<Vec<_>>(),
        "waived": waived,
        "not_checked": not_checked,
    });
    format!("{doc}\n")
}
