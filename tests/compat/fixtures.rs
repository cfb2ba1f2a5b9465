//! Rule fixtures (buf-style): `tests/fixtures/compat/<avro|protobuf>/<RULE_ID>[__case]/` holds
//! the two versions and `expected.json` (`{mode, compatible, rules}`, optionally `main` and
//! `source`), where `rules` lists every difference found in the mode's directions, compatible
//! ones included, and must contain the folder's rule (the name up to `__`). Every rule has at
//! least one folder.
//!
//! The versions are either two files, `previous.*` and `candidate.*`, or two folders,
//! `previous/` and `candidate/`, each holding every `.proto` file of that version: the one
//! `expected.json` names as `"main"` is compared, the others are its references, named by
//! their path relative to the folder (`common/money.proto`) and given dependencies first.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use schemaflow::compat::protobuf::imports_of;
use schemaflow::compat::{
    check, differences, CompatibilityLevel, Direction, ParsedSchema, Rule, RuleCategory,
    SchemaInput,
};
use schemaflow::SchemaType;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat")
}

/// The rule a fixture folder shows: its name up to `__`.
fn folder_rule(dir: &Path) -> String {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.split("__").next().unwrap_or(name).to_string()
}

/// Every `.proto` file under `dir`, as (path relative to `dir` with `/`, text), sorted.
fn proto_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                let rel = path
                    .strip_prefix(dir)
                    .map_err(|e| e.to_string())?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().to_string())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
                out.push((rel, text));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `files` ordered so that every file comes after the files it imports.
fn dependencies_first(files: Vec<(String, String)>) -> Result<Vec<(String, String)>, String> {
    fn visit(
        name: &str,
        files: &[(String, String)],
        done: &mut Vec<String>,
        on_stack: &mut Vec<String>,
    ) -> Result<(), String> {
        if done.iter().any(|d| d == name) {
            return Ok(());
        }
        if on_stack.iter().any(|d| d == name) {
            return Err(format!("import cycle through {name}"));
        }
        let Some((_, text)) = files.iter().find(|(n, _)| n == name) else {
            // Well-known imports resolve without a file.
            return Ok(());
        };
        on_stack.push(name.to_string());
        for import in imports_of(name, text).map_err(|e| e.to_string())? {
            visit(&import, files, done, on_stack)?;
        }
        on_stack.pop();
        done.push(name.to_string());
        Ok(())
    }
    let mut done = Vec::new();
    for (name, _) in &files {
        visit(name, &files, &mut done, &mut Vec::new())?;
    }
    Ok(done
        .iter()
        .filter_map(|n| files.iter().find(|(f, _)| f == n).cloned())
        .collect())
}

/// One version of a fixture: `<stem>.avsc`, `<stem>.proto`, or the folder `<stem>/` with the
/// main file `main` and its references.
fn load(dir: &Path, stem: &str, main: Option<&str>) -> Result<SchemaInput, String> {
    let folder = dir.join(stem);
    if folder.is_dir() {
        let main = main.ok_or_else(|| {
            format!(
                "{}: a {stem}/ folder needs \"main\" in expected.json",
                dir.display()
            )
        })?;
        let files = proto_files(&folder)?;
        let text = files
            .iter()
            .find(|(n, _)| n == main)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| format!("{}: no {main}", folder.display()))?;
        let references =
            dependencies_first(files.into_iter().filter(|(n, _)| n != main).collect())?;
        let label = folder.join(main).display().to_string();
        return Ok(SchemaInput::new(SchemaType::Protobuf, text, label).with_references(references));
    }
    for (ext, t) in [("avsc", SchemaType::Avro), ("proto", SchemaType::Protobuf)] {
        let p = dir.join(format!("{stem}.{ext}"));
        if let Ok(text) = std::fs::read_to_string(&p) {
            return Ok(SchemaInput::new(t, text, p.display().to_string()));
        }
    }
    Err(format!(
        "{}: no {stem}.avsc, {stem}.proto or {stem}/",
        dir.display()
    ))
}

fn check_fixture(dir: &Path) -> Result<(), String> {
    let rule = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let own_rule = folder_rule(dir);
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mode: CompatibilityLevel = expected["mode"]
        .as_str()
        .ok_or("mode")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let want_compatible = expected["compatible"].as_bool().ok_or("compatible")?;
    let want_rules: BTreeSet<String> = expected["rules"]
        .as_array()
        .ok_or("rules")?
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    if !want_rules.contains(&own_rule) {
        return Err(format!(
            "{rule}: expected.json does not list the folder's own rule {own_rule}"
        ));
    }
    let main = expected["main"].as_str();
    let prev = load(dir, "previous", main)?;
    let cand = load(dir, "candidate", main)?;
    let report =
        check(mode, std::slice::from_ref(&prev), &cand).map_err(|e| format!("{rule}: {e}"))?;
    if report.compatible != want_compatible {
        return Err(format!(
            "{rule}: compatible = {}, expected {want_compatible}: {:?}",
            report.compatible,
            report.messages()
        ));
    }
    let (p, c) = (
        ParsedSchema::parse(&prev).map_err(|e| e.to_string())?,
        ParsedSchema::parse(&cand).map_err(|e| e.to_string())?,
    );
    let mut found = BTreeSet::new();
    for (on, dir) in [
        (mode.checks_backward(), Direction::Backward),
        (mode.checks_forward(), Direction::Forward),
    ] {
        if on {
            found.extend(
                differences(dir, &p, &c)
                    .into_iter()
                    .map(|d| d.rule.to_string()),
            );
        }
    }
    if found != want_rules {
        return Err(format!(
            "{rule}: found rules {found:?}, expected {want_rules:?}"
        ));
    }
    Ok(())
}

fn fixture_dirs(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn run_all(kind: &str) {
    let dirs = fixture_dirs(kind);
    assert!(!dirs.is_empty());
    let failures: Vec<String> = dirs.iter().filter_map(|d| check_fixture(d).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn avro_rule_fixtures() {
    run_all("avro");
}

#[test]
fn protobuf_rule_fixtures() {
    run_all("protobuf");
}

#[test]
fn every_rule_has_a_fixture() {
    let mut have: BTreeSet<String> = BTreeSet::new();
    for kind in ["avro", "protobuf"] {
        for d in fixture_dirs(kind) {
            have.insert(folder_rule(&d));
        }
    }
    // Repository and registry rules are not differences between two schemas: tested by
    // tests/compat/cli.rs and tests/compat/registry_cli.rs. JSON Schema rules have their
    // folders under json/, run by crates/schemaflow-schema/tests/json_compat_fixtures.rs.
    let missing: Vec<Rule> = Rule::ALL
        .iter()
        .copied()
        .filter(|r| r.category() == RuleCategory::SchemaChange)
        .filter(|r| r.formats() != [SchemaType::Json])
        .filter(|r| !have.contains(r.id()))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a fixture folder: {missing:?}"
    );
    for id in &have {
        assert!(
            id.parse::<Rule>()
                .is_ok_and(|r| r.category() == RuleCategory::SchemaChange),
            "fixture folder {id}[__case] names no rule"
        );
    }
}
