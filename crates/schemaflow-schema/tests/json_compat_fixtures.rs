//! JSON Schema rule fixtures: `tests/fixtures/compat/json/<RULE_ID>__<case>/` (in the
//! workspace root, beside the Avro and Protobuf ones) holds `previous.json`, `candidate.json`
//! and `expected.json`. Each folder is one of Confluent's own examples, its source cited in
//! `expected.json` (`"source"`: repository, path, commit, and the example's description):
//!
//! * `changes`: every difference upstream lists, `TYPE #/path`, original = previous and
//!   update = candidate (the `BACKWARD` direction); compared as a multiset, since upstream
//!   walks properties in hash order;
//! * `compatible`: the verdict under the registry's default STRICT policy (through
//!   [`compat::check`]); `compatible_lenient`: under LENIENT (through
//!   [`compat::json::check`]), derived as upstream's test derives it (every listed change in
//!   `COMPATIBLE_CHANGES_LENIENT`);
//! * `rules`: the distinct types, which include the folder's own (the name up to `__`;
//!   `NO_DIFFERENCE` for examples with no change).
//!
//! Run with `cargo test -p schemaflow-schema --test json_compat_fixtures`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use schemaflow_schema::compat::json::{self, JsonCompatPolicy};
use schemaflow_schema::compat::{
    self, CompatibilityLevel, Direction, ParsedSchema, Rule, SchemaInput,
};
use schemaflow_schema::SchemaType;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/compat/json")
}

fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root())
        .expect("tests/fixtures/compat/json")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn folder_rule(dir: &Path) -> String {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.split("__").next().unwrap_or(name).to_string()
}

fn input(dir: &Path, stem: &str) -> Result<SchemaInput, String> {
    let path = dir.join(format!("{stem}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(SchemaInput::new(
        SchemaType::Json,
        text,
        path.display().to_string(),
    ))
}

fn strings(v: &serde_json::Value, key: &str) -> Result<Vec<String>, String> {
    v[key]
        .as_array()
        .ok_or(format!("expected.json: no {key}"))?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or(format!("{key}: not a string"))
        })
        .collect()
}

fn check_fixture(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    if !expected["source"]
        .as_str()
        .is_some_and(|s| s.contains("confluentinc/schema-registry") || s.contains("schemaflow"))
    {
        return Err(format!("{name}: expected.json cites no source"));
    }
    let mode: CompatibilityLevel = expected["mode"]
        .as_str()
        .ok_or("mode")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let want_compatible = expected["compatible"].as_bool().ok_or("compatible")?;
    let want_lenient = expected["compatible_lenient"]
        .as_bool()
        .unwrap_or(want_compatible);
    let mut want_changes = strings(&expected, "changes")?;
    want_changes.sort();
    let want_rules: BTreeSet<String> = strings(&expected, "rules")?.into_iter().collect();
    let own = folder_rule(dir);
    if own != "NO_DIFFERENCE" && !want_rules.contains(&own) {
        return Err(format!("{name}: rules do not list the folder's rule {own}"));
    }
    if own == "NO_DIFFERENCE" && !want_rules.is_empty() {
        return Err(format!("{name}: a NO_DIFFERENCE folder lists rules"));
    }

    let (prev, cand) = (input(dir, "previous")?, input(dir, "candidate")?);
    let (p, c) = (
        ParsedSchema::parse(&prev).map_err(|e| format!("{name}: {e}"))?,
        ParsedSchema::parse(&cand).map_err(|e| format!("{name}: {e}"))?,
    );
    let mut found_changes = Vec::new();
    for (on, direction) in [
        (mode.checks_backward(), Direction::Backward),
        (mode.checks_forward(), Direction::Forward),
    ] {
        if on {
            found_changes.extend(
                compat::differences(direction, &p, &c)
                    .into_iter()
                    .map(|d| format!("{} {}", d.rule, d.path)),
            );
        }
    }
    found_changes.sort();
    if found_changes != want_changes {
        return Err(format!(
            "{name}: changes {found_changes:?}, expected {want_changes:?}"
        ));
    }
    let found_rules: BTreeSet<String> = found_changes
        .iter()
        .filter_map(|c| c.split(' ').next().map(str::to_string))
        .collect();
    if found_rules != want_rules {
        return Err(format!(
            "{name}: rules {found_rules:?}, expected {want_rules:?}"
        ));
    }
    let strict = compat::check(mode, std::slice::from_ref(&prev), &cand)
        .map_err(|e| format!("{name}: {e}"))?;
    if strict.compatible != want_compatible {
        return Err(format!(
            "{name}: STRICT compatible = {}, expected {want_compatible}: {:?}",
            strict.compatible,
            strict.messages()
        ));
    }
    let lenient = json::check(
        mode,
        std::slice::from_ref(&prev),
        &cand,
        JsonCompatPolicy::Lenient,
    )
    .map_err(|e| format!("{name}: {e}"))?;
    if lenient.compatible != want_lenient {
        return Err(format!(
            "{name}: LENIENT compatible = {}, expected {want_lenient}: {:?}",
            lenient.compatible,
            lenient.messages()
        ));
    }
    Ok(())
}

#[test]
fn json_rule_fixtures() {
    let dirs = fixture_dirs();
    assert!(dirs.len() > 100, "{} fixtures", dirs.len());
    let failures: Vec<String> = dirs.iter().filter_map(|d| check_fixture(d).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures fail:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

/// JSON rules no upstream example shows; each is exercised by a unit test in
/// `crates/schemaflow-schema/tests/json_compat.rs` instead.
const NOT_IN_UPSTREAM_EXAMPLES: &[&str] = &[];

#[test]
fn every_json_rule_has_a_fixture_or_a_test() {
    let have: BTreeSet<String> = fixture_dirs().iter().map(|d| folder_rule(d)).collect();
    let mut shown: BTreeSet<String> = BTreeSet::new();
    for d in fixture_dirs() {
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join("expected.json")).expect("expected.json"),
        )
        .expect("json");
        shown.extend(strings(&expected, "rules").expect("rules"));
    }
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| r.formats() == [SchemaType::Json])
        .map(|r| r.id())
        .filter(|id| !shown.contains(*id) && !NOT_IN_UPSTREAM_EXAMPLES.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "JSON rules no fixture shows: {missing:?}"
    );
    for id in &have {
        assert!(
            id == "NO_DIFFERENCE"
                || id
                    .parse::<Rule>()
                    .is_ok_and(|r| r.applies_to(SchemaType::Json)),
            "fixture folder {id}__… names no JSON rule"
        );
    }
}
