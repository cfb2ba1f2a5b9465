//! `--output text`: one stable line per finding, `FILE:LINE: RULE_ID PATH: MESSAGE
//! (DIRECTION against LABEL)`; `not checked: FILE: REASON` for files compared with nothing;
//! `waived: FILE:LINE: … ; waiver: REASON (until DATE)` for findings a waiver accepts.

use std::fmt::Write as _;

use super::{summary, Report};

pub(super) fn render(r: &Report<'_>) -> String {
    let mut s = String::new();
    for n in r.not_checked {
        let _ = writeln!(s, "not checked: {}: {}", n.file, n.reason);
    }
    for l in r.found {
        let _ = writeln!(s, "{}:{}: {} {}", l.file, l.line, l.rule, summary(l));
    }
    for w in r.waived {
        let l = &w.finding;
        let _ = writeln!(
            s,
            "waived: {}:{}: {} {}; waiver: {} (until {})",
            l.file,
            l.line,
            l.rule,
            summary(l),
            w.reason,
            w.expires
        );
    }
    s
}
