//! One fixture folder per rule (buf-style): `tests/fixtures/compat/<avro|protobuf>/<RULE_ID>/`
//! holds `previous.*`, `candidate.*` and `expected.json` (`{mode, compatible, rules}`), where
//! `rules` lists every difference found in the mode's directions, compatible ones included.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use schemaflow::compat::{
    check, differences, CompatibilityLevel, Direction, ParsedSchema, SchemaInput, RULES,
};
use schemaflow::SchemaType;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat")
}

fn load(dir: &Path, stem: &str) -> SchemaInput {
    for (ext, t) in [("avsc", SchemaType::Avro), ("proto", SchemaType::Protobuf)] {
        let p = dir.join(format!("{stem}.{ext}"));
        if let Ok(text) = std::fs::read_to_string(&p) {
            return SchemaInput::new(t, text, p.display().to_string());
        }
    }
    panic!("{}: no {stem}.avsc or {stem}.proto", dir.display());
}

fn check_fixture(dir: &Path) -> Result<(), String> {
    let rule = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
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
    if !want_rules.contains(&rule) {
        return Err(format!(
            "{rule}: expected.json does not list the folder's own rule"
        ));
    }
    let prev = load(dir, "previous");
    let cand = load(dir, "candidate");
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
            have.insert(d.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        // Repository mode only: tested by tests/compat_cli.rs.
        .filter(|id| *id != schemaflow::compat::SCHEMA_DELETED)
        .filter(|id| !have.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a fixture folder: {missing:?}"
    );
    for id in &have {
        assert!(
            RULES.iter().any(|r| r.id == id),
            "fixture folder {id} names no rule"
        );
    }
}
