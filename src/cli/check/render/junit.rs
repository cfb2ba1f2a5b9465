//! `--output junit`: JUnit XML as Jenkins, GitLab (`artifacts:reports:junit`) and GitHub test
//! reporters read it. One `<testsuite name="schemaflow check">` (inside `<testsuites>`), one
//! `<testcase classname="schemaflow.check.MODE" name="FILE">` per file considered: a file with
//! failing findings has one `<failure type="RULE[,RULE…]" message="…">` whose text lists them
//! all (`FILE:LINE: RULE PATH: MESSAGE (DIRECTION against LABEL)`); a file compared with
//! nothing is `<skipped message="REASON"/>`; waived findings are no failure, and are listed in
//! the test case's `<system-out>`. `tests`, `failures`, `skipped` count test cases; `errors`
//! is always 0 (an error stops the check before any output).

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::super::Located;
use super::{summary, Report};

/// Text as XML 1.0 accepts it: escaped, and without the control characters XML cannot carry
/// at all (a parser rejects the whole report over one).
fn xml_text(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    escape(clean.as_str()).into_owned()
}

/// An attribute value: as text, with line breaks and tabs as character references, since a
/// parser would turn them into spaces.
fn xml_attr(s: &str) -> String {
    xml_text(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

fn line(l: &Located) -> String {
    format!("{}:{}: {} {}", l.file, l.line, l.rule, summary(l))
}

pub(super) fn render(r: &Report<'_>) -> String {
    let classname = format!("schemaflow.check.{}", r.mode);
    let mut cases = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for file in r.files() {
        tests += 1;
        let failing: Vec<&Located> = r.found.iter().filter(|l| l.file == file).collect();
        let waived: Vec<_> = r.waived.iter().filter(|w| w.finding.file == file).collect();
        let not_checked = r.not_checked.iter().find(|n| n.file == file);
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_attr(&classname),
            xml_attr(file)
        );
        let mut body = String::new();
        if !failing.is_empty() {
            failures += 1;
            let mut rules: Vec<&str> = Vec::new();
            for l in &failing {
                if !rules.contains(&l.rule.id()) {
                    rules.push(l.rule.id());
                }
            }
            let message = match failing.as_slice() {
                [one] => format!("{} {}", one.rule, summary(one)),
                many => format!("{} incompatible changes: {}", many.len(), rules.join(", ")),
            };
            let text: Vec<String> = failing.iter().map(|l| line(l)).collect();
            let _ = writeln!(
                body,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                xml_attr(&rules.join(",")),
                xml_attr(&message),
                xml_text(&text.join("\n"))
            );
        } else if let Some(n) = not_checked {
            skipped += 1;
            let _ = writeln!(body, "      <skipped message=\"{}\"/>", xml_attr(&n.reason));
        }
        if !waived.is_empty() {
            let text: Vec<String> = waived
                .iter()
                .map(|w| {
                    format!(
                        "waived: {}; waiver: {} (until {})",
                        line(&w.finding),
                        w.reason,
                        w.expires
                    )
                })
                .collect();
            let _ = writeln!(
                body,
                "      <system-out>{}</system-out>",
                xml_text(&text.join("\n"))
            );
        }
        if body.is_empty() {
            cases.push_str("/>\n");
        } else {
            let _ = write!(cases, ">\n{body}    </testcase>\n");
        }
    }
    let counts =
        format!("tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\"");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"schemaflow\" {counts}>\n  <testsuite name=\"schemaflow check\" {counts}>\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(xml_text("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
        assert_eq!(xml_attr("a\nb\tc"), "a&#10;b&#9;c");
        assert_eq!(xml_text("bell\u{7}"), "bell\u{FFFD}");
        let doc = format!(
            "<a b=\"{}\">{}</a>",
            xml_attr("<&>\"'\n"),
            xml_text("<&>\"'")
        );
        let parsed = roxmltree::Document::parse(&doc).map_err(|e| e.to_string());
        let parsed = parsed.as_ref().map(|d| d.root_element());
        assert_eq!(parsed.map(|e| e.attribute("b")), Ok(Some("<&>\"'\n")));
        assert_eq!(parsed.map(|e| e.text()), Ok(Some("<&>\"'")));
    }
}
