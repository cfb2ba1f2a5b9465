//! `schemaflow check --output junit | gitlab-code-quality | sarif` on a temporary git
//! repository with one breaking change, one compatible file and one new file: each report is
//! parsed and checked against what its readers require.
//!
//! SARIF is checked by hand against the required properties and enumerations of the OASIS
//! 2.1.0 schema and GitHub's code scanning requirements (the schema file itself is not
//! vendored here).

use crate::check_repo;

use check_repo::{check, json, repo, stderr, stdout, NEW, ODD, USER};

const TODAY: &str = "2026-12-01";

/// The rule the breaking change gets, as the JSON output reports it.
fn breaking_rule(dir: &std::path::Path) -> String {
    let doc = json(&check(dir, TODAY, &["--output", "json"]));
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{doc}");
    assert_eq!(findings[0]["file"], USER, "{doc}");
    findings[0]["rule"].as_str().expect("rule").to_string()
}

#[test]
fn junit_has_one_case_per_file_with_failures_and_skips_counted() {
    let dir = repo();
    let rule = breaking_rule(dir.path());
    let out = check(dir.path(), TODAY, &["--output", "junit"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1, "{text}");
    let suite = suites[0];
    assert_eq!(suite.attribute("name"), Some("schemaflow check"));
    assert_eq!(suite.attribute("tests"), Some("3"), "{text}");
    assert_eq!(suite.attribute("failures"), Some("1"), "{text}");
    assert_eq!(suite.attribute("skipped"), Some("1"), "{text}");
    assert_eq!(suite.attribute("errors"), Some("0"), "{text}");
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<_> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    // The odd file name comes back unharmed: its `&<>'"` were escaped.
    assert_eq!(names, [ODD, USER, NEW], "{text}");
    for c in &cases {
        assert_eq!(c.attribute("classname"), Some("schemaflow.check.BACKWARD"));
    }
    let child = |name: &str, tag: &str| {
        cases
            .iter()
            .find(|c| c.attribute("name") == Some(name))
            .and_then(|c| c.children().find(|n| n.has_tag_name(tag)))
    };
    assert!(child(ODD, "failure").is_none() && child(ODD, "skipped").is_none());
    let failure = child(USER, "failure").expect("a failure for the breaking file");
    assert_eq!(failure.attribute("type"), Some(rule.as_str()));
    assert!(failure
        .attribute("message")
        .is_some_and(|m| m.contains(&rule)));
    let body = failure.text().unwrap_or_default();
    assert!(
        body.starts_with(&format!("{USER}:")) && body.contains(&rule) && body.contains("against"),
        "{body}"
    );
    let skipped = child(NEW, "skipped").expect("the new file is skipped");
    assert_eq!(
        skipped.attribute("message"),
        Some("new since HEAD: nothing to be compatible with")
    );
}

#[test]
fn gitlab_code_quality_issues_have_the_required_fields_and_stable_fingerprints() {
    let dir = repo();
    let rule = breaking_rule(dir.path());
    let out = check(dir.path(), TODAY, &["--output", "gitlab-code-quality"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    // The finding's issue first, then the new file's NOT_CHECKED one.
    let issues = doc.as_array().expect("an array of issues");
    assert_eq!(issues.len(), 2, "{doc}");
    assert_eq!(issues[1]["check_name"], "NOT_CHECKED", "{doc}");
    let issue = &issues[0];
    assert_eq!(issue["check_name"], rule.as_str());
    assert!(issue["description"]
        .as_str()
        .is_some_and(|d| d.contains("against")));
    assert_eq!(issue["severity"], "major");
    assert_eq!(issue["location"]["path"], USER);
    assert!(issue["location"]["lines"]["begin"]
        .as_u64()
        .is_some_and(|l| l >= 1));
    let fp = issue["fingerprint"].as_str().expect("fingerprint");
    assert!(
        fp.len() == 64 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
        "{fp}"
    );
    // Stable: the same finding has the same fingerprint on the next run.
    let again = json(&check(
        dir.path(),
        TODAY,
        &["--output", "gitlab-code-quality"],
    ));
    assert_eq!(again[0]["fingerprint"], fp);
}

#[test]
fn sarif_has_what_the_schema_and_github_code_scanning_require() {
    let dir = repo();
    let rule = breaking_rule(dir.path());
    let out = check(dir.path(), TODAY, &["--output", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = json(&out);
    let top = doc.as_object().expect("an object");
    for key in top.keys() {
        assert!(
            [
                "$schema",
                "version",
                "runs",
                "inlineExternalProperties",
                "properties"
            ]
            .contains(&key.as_str()),
            "sarifLog has no property {key}"
        );
    }
    assert!(doc["$schema"]
        .as_str()
        .is_some_and(|s| s.ends_with("sarif-schema-2.1.0.json")));
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "schemaflow");
    // Optional in SARIF, and there is no public project address to point at yet: absent
    // rather than a placeholder.
    assert!(driver.get("informationUri").is_none(), "{driver}");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 1, "{doc}");
    assert_eq!(rules[0]["id"], rule.as_str());
    assert!(rules[0]["shortDescription"]["text"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{doc}");
    let result = &results[0];
    assert_eq!(result["ruleId"], rule.as_str());
    let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    assert_eq!(rules[index]["id"], result["ruleId"]);
    assert_eq!(result["level"], "error");
    assert!(result["message"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("against")));
    let physical = &result["locations"][0]["physicalLocation"];
    // Repository-relative, as GitHub needs to place the alert.
    assert_eq!(physical["artifactLocation"]["uri"], USER);
    assert!(physical["region"]["startLine"]
        .as_u64()
        .is_some_and(|l| l >= 1));
    assert!(physical["region"]["startColumn"]
        .as_u64()
        .is_some_and(|c| c >= 1));
    assert!(result["partialFingerprints"]
        .as_object()
        .is_some_and(|fps| !fps.is_empty() && fps.values().all(|v| v.is_string())));
    assert!(result.get("suppressions").is_none());
    assert!(
        ["unicodeCodePoints", "utf16CodeUnits"].contains(&run["columnKind"].as_str().unwrap_or(""))
    );
    // The new file is a note of the invocation, not a result (no alert for it).
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notes.len(), 1, "{doc}");
    assert_eq!(notes[0]["level"], "note");
    assert!(notes[0]["message"]["text"]
        .as_str()
        .is_some_and(|t| t.contains(NEW)));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn a_compatible_tree_passes_in_every_format() {
    let dir = repo();
    // Undo the breaking change.
    check_repo::write(
        dir.path(),
        USER,
        r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#,
    );
    for format in ["junit", "gitlab-code-quality", "sarif"] {
        let out = check(dir.path(), TODAY, &["--output", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let text = stdout(&out);
        match format {
            "junit" => {
                let doc = roxmltree::Document::parse(&text).expect("XML");
                let suite = doc
                    .descendants()
                    .find(|n| n.has_tag_name("testsuite"))
                    .expect("testsuite");
                assert_eq!(suite.attribute("failures"), Some("0"), "{text}");
                assert_eq!(suite.attribute("tests"), Some("3"), "{text}");
            }
            // Only the new file's `info` issue: no finding.
            "gitlab-code-quality" => {
                let doc = json(&out);
                let issues = doc.as_array().expect("issues");
                assert_eq!(issues.len(), 1, "{doc}");
                assert_eq!(issues[0]["check_name"], "NOT_CHECKED", "{doc}");
                assert_eq!(issues[0]["severity"], "info", "{doc}");
            }
            _ => assert_eq!(json(&out)["runs"][0]["results"], serde_json::json!([])),
        }
    }
}

#[test]
fn junit_lists_a_deleted_file_and_all_findings_of_a_file() {
    let dir = repo();
    let d = dir.path();
    // Two findings in one file (both fields change type), and a deleted file.
    check_repo::write(
        d,
        USER,
        r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"extra","type":"int"}]}"#,
    );
    std::fs::remove_file(d.join(ODD)).expect("remove");
    let doc = json(&check(d, TODAY, &["--output", "json"]));
    let findings = doc["findings"].as_array().expect("findings").clone();
    let in_user = findings.iter().filter(|f| f["file"] == USER).count();
    assert!(in_user >= 2, "{doc}");
    let out = check(d, TODAY, &["--output", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let xml = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let suite = xml
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("testsuite");
    assert_eq!(suite.attribute("tests"), Some("3"), "{text}");
    assert_eq!(suite.attribute("failures"), Some("2"), "{text}");
    assert_eq!(suite.attribute("skipped"), Some("1"), "{text}");
    let failure_of = |name: &str| {
        xml.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
            .unwrap_or_else(|| panic!("no failure for {name}: {text}"))
    };
    let user = failure_of(USER);
    assert_eq!(
        user.text().unwrap_or_default().lines().count(),
        in_user,
        "{text}"
    );
    assert!(user
        .attribute("message")
        .is_some_and(|m| m.starts_with(&format!("{in_user} incompatible changes"))));
    assert_eq!(failure_of(ODD).attribute("type"), Some("SCHEMA_DELETED"));
}

/// Whether `out` (in `format`) lists `file` as not checked, with `reason` where the format
/// carries it.
fn lists_not_checked(format: &str, out: &std::process::Output, file: &str, reason: &str) {
    let text = stdout(out);
    match format {
        "text" => assert!(
            text.lines()
                .any(|l| l == format!("not checked: {file}: {reason}")),
            "{text}"
        ),
        "json" => {
            let doc = json(out);
            let listed = doc["not_checked"].as_array().expect("not_checked");
            assert!(
                listed
                    .iter()
                    .any(|n| n["file"] == file && n["reason"] == reason),
                "{doc}"
            );
        }
        "github-actions" => assert!(
            text.lines().any(|l| l
                .starts_with(&format!("::notice file={file},line=1,title=NOT_CHECKED::"))
                && l.ends_with(reason)),
            "{text}"
        ),
        "junit" => {
            let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            let skipped = doc
                .descendants()
                .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(file))
                .and_then(|c| c.children().find(|n| n.has_tag_name("skipped")));
            assert_eq!(
                skipped.and_then(|s| s.attribute("message")),
                Some(reason),
                "{text}"
            );
        }
        "gitlab-code-quality" => {
            let doc = json(out);
            let issue = doc
                .as_array()
                .expect("issues")
                .iter()
                .find(|i| i["check_name"] == "NOT_CHECKED" && i["location"]["path"] == file)
                .unwrap_or_else(|| panic!("no NOT_CHECKED issue for {file}: {doc}"))
                .clone();
            assert_eq!(issue["severity"], "info", "{doc}");
            assert_eq!(issue["type"], "issue", "{doc}");
            assert_eq!(issue["location"]["lines"]["begin"], 1, "{doc}");
            assert!(
                issue["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(file) && d.contains(reason)),
                "{doc}"
            );
            let fp = issue["fingerprint"].as_str().expect("fingerprint");
            assert!(
                fp.len() == 64 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
                "{fp}"
            );
        }
        "sarif" => {
            let doc = json(out);
            let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
                .as_array()
                .expect("notifications");
            assert!(
                notes.iter().any(|n| n["level"] == "note"
                    && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == file
                    && n["message"]["text"]
                        .as_str()
                        .is_some_and(|t| t.contains(reason))),
                "{doc}"
            );
        }
        other => panic!("no such format {other}"),
    }
}

const FORMATS: [&str; 6] = [
    "text",
    "json",
    "github-actions",
    "junit",
    "gitlab-code-quality",
    "sarif",
];

#[test]
fn every_format_lists_the_files_not_checked() {
    let dir = repo();
    let reason = "new since HEAD: nothing to be compatible with";
    for format in FORMATS {
        let out = check(dir.path(), TODAY, &["--output", format]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        lists_not_checked(format, &out, NEW, reason);
    }
    // GitLab: the NOT_CHECKED issue keeps its fingerprint from run to run, and shares none
    // with a finding.
    let report = || {
        json(&check(
            dir.path(),
            TODAY,
            &["--output", "gitlab-code-quality"],
        ))
    };
    let (first, again) = (report(), report());
    assert_eq!(first, again);
    let fps: std::collections::BTreeSet<&str> = first
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["fingerprint"].as_str())
        .collect();
    assert_eq!(fps.len(), 2, "{first}");
}

#[test]
fn a_candidate_without_previous_is_listed_as_not_checked_in_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    check_repo::write(
        d,
        "v1.avsc",
        r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"id","type":"string"}]}"#,
    );
    check_repo::write(
        d,
        "bad.avsc",
        r#"{"type":"record","name":"User","fields":[{"name":"id","type":"strin"}]}"#,
    );
    let pair = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_schemaflow"))
            .current_dir(d)
            .env_remove("SCHEMA_REGISTRY_URL")
            .args(["check"])
            .args(args)
            .output()
            .expect("binary runs")
    };
    let reason = "no previous version (--previous FILE): nothing to compare against";
    for format in FORMATS {
        let out = pair(&["--candidate", "v1.avsc", "--output", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        lists_not_checked(format, &out, "v1.avsc", reason);
        let err = stderr(&out);
        assert!(
            err.contains("nothing was compared")
                && err.contains("0 file(s) checked, 1 not checked"),
            "{format}: {err}"
        );
    }
    // It is parsed all the same.
    let out = pair(&["--candidate", "bad.avsc"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.avsc"), "{}", stderr(&out));
}
