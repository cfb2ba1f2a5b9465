//! `--output github-actions`: workflow commands GitHub turns into annotations:
//! `::error file=FILE,line=LINE,title=RULE_ID::MESSAGE` per failing finding,
//! `::warning …,title=RULE_ID (waived)::… waived: REASON (until DATE)` per waived one,
//! `::notice …,title=NOT_CHECKED::REASON` per file compared with nothing.

use std::fmt::Write as _;

use super::{summary, Report};

pub(super) fn render(r: &Report<'_>) -> String {
    let mut s = String::new();
    for n in r.not_checked {
        let _ = writeln!(
            s,
            "::notice file={},line=1,title=NOT_CHECKED::{}",
            escape_property(&n.file),
            escape_data(&n.reason)
        );
    }
    for l in r.found {
        let _ = writeln!(
            s,
            "::error file={},line={},title={}::{}",
            escape_property(&l.file),
            l.line,
            escape_property(l.rule.id()),
            escape_data(&summary(l))
        );
    }
    for w in r.waived {
        let l = &w.finding;
        let _ = writeln!(
            s,
            "::warning file={},line={},title={}::{}",
            escape_property(&l.file),
            l.line,
            escape_property(&format!("{} (waived)", l.rule)),
            escape_data(&format!(
                "{}; waived: {} (until {})",
                summary(l),
                w.reason,
                w.expires
            ))
        );
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
