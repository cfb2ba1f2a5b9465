//! Apache Avro's own `SchemaCompatibility` (Java, via the peer in `tests/java/`) as a third
//! verdict source next to schemaflow's checker and its fixtures: every Avro pair of
//! `tests/fixtures/compat/avro/` (previous/candidate by rule), every inline case of
//! `tests/compat/avro.rs` (exported to `tests/fixtures/compat_avro_pairs/cases.json`) and the
//! sample schemas' own evolution (`schemas/` v1 → `schemas/evolution/` v2, with the
//! `address.avsc` reference).
//!
//! Java's check is directional, reader against writer; a registry mode maps to it as
//! Confluent's registry does: BACKWARD = the candidate reads what the previous version wrote
//! (reader = candidate, writer = previous), FORWARD the reverse, FULL both; plain modes compare
//! with the latest previous version, `_TRANSITIVE` ones with all. One JVM checks every pair.
//!
//! Asserted: the verdict (compatible or not) agrees for every case, and so does the set of
//! incompatibilities found, each as `TYPE at LOCATION` (schemaflow's Avro rule ids are Java's
//! `SchemaIncompatibilityType` names, its paths Java's locations, `/fields/1/type/items`). Disagreements are listed with both verdicts; a documented Confluent-specific rule may
//! be listed in `KNOWN_DIFFERENCES` with the reason (there is none today).
//!
//! Needs Java 17+ and Maven 3.8+ (`scripts/java-peer`): without them this test fails, saying so.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use schemaflow::compat::{check, CompatibilityLevel, SchemaInput};
use schemaflow::SchemaType;
use serde_json::{json, Value as Json};

/// Cases where Java's SchemaCompatibility and the registry (so schemaflow) are known to
/// differ on purpose: (case name, why). Empty: every case agrees.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The peer's jar, built and cached by `scripts/java-peer` (its last stdout line).
fn peer_jar() -> PathBuf {
    let out = Command::new(root().join("scripts/java-peer"))
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/java-peer: {e}"));
    assert!(
        out.status.success(),
        "scripts/java-peer failed ({}): this test needs Java 17+ and Maven 3.8+ with Maven \
         Central reachable (or ~/.m2 warm); see its stderr above",
        out.status
    );
    let jar = PathBuf::from(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .last()
            .expect("scripts/java-peer printed no path")
            .trim(),
    );
    assert!(
        jar.is_file(),
        "scripts/java-peer printed {jar:?}, not a file"
    );
    jar
}

/// One registry-level case: a mode, the previous versions (oldest first), a candidate.
struct Case {
    name: String,
    mode: CompatibilityLevel,
    previous: Vec<String>,
    candidate: String,
    /// `(name, text)` references of every schema of the case.
    references: Vec<(String, String)>,
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `tests/fixtures/compat/avro/<RULE>/`: previous.avsc, candidate.avsc, expected.json's mode.
fn rule_fixture_cases() -> Vec<Case> {
    let dir = root().join("tests/fixtures/compat/avro");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for d in dirs {
        let (prev, cand) = (d.join("previous.avsc"), d.join("candidate.avsc"));
        if !prev.is_file() || !cand.is_file() {
            // SCHEMA_TYPE_CHANGED: an Avro → Protobuf change, not a pair Avro can check.
            continue;
        }
        let expected: Json = serde_json::from_str(&read(&d.join("expected.json"))).unwrap();
        out.push(Case {
            name: format!(
                "fixtures/compat/avro/{}",
                d.file_name().unwrap().to_string_lossy()
            ),
            mode: expected["mode"].as_str().unwrap().parse().unwrap(),
            previous: vec![read(&prev)],
            candidate: read(&cand),
            references: vec![],
        });
    }
    assert!(out.len() >= 6, "only {} Avro rule fixtures", out.len());
    out
}

/// The inline cases of tests/compat/avro.rs, as exported to cases.json.
fn inline_cases() -> Vec<Case> {
    let path = root().join("tests/fixtures/compat_avro_pairs/cases.json");
    let data: Json = serde_json::from_str(&read(&path)).unwrap();
    let cases = data["cases"].as_array().unwrap();
    // cases.json must still be tests/compat/avro.rs's cases: same count, same names.
    let source = read(&root().join("tests/compat/avro.rs"));
    let calls = source
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            t == "case(" || t.starts_with("case(\"")
        })
        .count();
    let exported = cases
        .iter()
        .filter(|c| !c["name"].as_str().unwrap().starts_with("history: "))
        .count();
    assert_eq!(
        calls, exported,
        "tests/compat/avro.rs has {calls} cases, cases.json {exported}: \
         run tests/fixtures/compat_avro_pairs/export.sh"
    );
    cases
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap();
            assert!(
                name.starts_with("history: ") || source.contains(&format!("\"{name}\"")),
                "case {name:?} of cases.json is no longer in tests/compat/avro.rs: run export.sh"
            );
            Case {
                name: format!("compat/avro.rs/{name}"),
                mode: c["mode"].as_str().unwrap().parse().unwrap(),
                previous: c["previous"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
                candidate: c["candidate"].as_str().unwrap().to_string(),
                references: vec![],
            }
        })
        .collect()
}

/// The samples' own evolution: schemas/user_event.avsc (v1) → schemas/evolution (v2).
fn sample_cases() -> Vec<Case> {
    let v1 = read(&root().join("schemas/user_event.avsc"));
    let v2 = read(&root().join("schemas/evolution/user_event.avsc"));
    let address = read(&root().join("schemas/address.avsc"));
    let mut out = Vec::new();
    for mode in [
        CompatibilityLevel::Backward,
        CompatibilityLevel::Forward,
        CompatibilityLevel::Full,
    ] {
        for (label, prev, cand) in [("v1→v2", &v1, &v2), ("v2→v1", &v2, &v1)] {
            out.push(Case {
                name: format!("schemas/user_event {label}"),
                mode,
                previous: vec![prev.clone()],
                candidate: cand.clone(),
                references: vec![("com.example.events.Address".into(), address.clone())],
            });
        }
    }
    out
}

/// The reader/writer pairs of a case, as the registry compares them.
fn pairs(c: &Case) -> Vec<(String, &str, &str)> {
    let against: &[String] = if c.mode == CompatibilityLevel::None {
        &[]
    } else if c.mode.is_transitive() {
        &c.previous
    } else {
        &c.previous[c.previous.len() - 1..]
    };
    let mut out = Vec::new();
    for (i, prev) in against.iter().enumerate() {
        if c.mode.checks_backward() {
            out.push((
                format!("BACKWARD vs previous #{i}: candidate reads"),
                c.candidate.as_str(),
                prev.as_str(),
            ));
        }
        if c.mode.checks_forward() {
            out.push((
                format!("FORWARD vs previous #{i}: previous reads"),
                prev.as_str(),
                c.candidate.as_str(),
            ));
        }
    }
    out
}

#[derive(Debug, Default)]
struct Verdict {
    compatible: bool,
    rules: BTreeSet<String>,
    details: Vec<String>,
}

fn schemaflow_verdict(c: &Case) -> Verdict {
    let input = |t: &str, label: String| {
        SchemaInput::new(SchemaType::Avro, t, label).with_references(c.references.clone())
    };
    let prev: Vec<SchemaInput> = c
        .previous
        .iter()
        .enumerate()
        .map(|(i, t)| input(t, format!("previous #{i}")))
        .collect();
    match check(c.mode, &prev, &input(&c.candidate, "candidate".into())) {
        Ok(r) => Verdict {
            compatible: r.compatible,
            rules: r
                .findings
                .iter()
                .map(|f| format!("{} at {}", f.rule, f.path))
                .collect(),
            details: r.messages(),
        },
        Err(e) => Verdict {
            compatible: false,
            rules: BTreeSet::from(["PARSE_ERROR".to_string()]),
            details: vec![e.to_string()],
        },
    }
}

#[test]
fn java_schema_compatibility_agrees_with_schemaflow() {
    let jar = peer_jar();
    let mut cases = rule_fixture_cases();
    cases.extend(inline_cases());
    cases.extend(sample_cases());

    // Every pair of every case in one batch, one JVM.
    let mut batch = Vec::new();
    let mut owner = Vec::new();
    for (ci, c) in cases.iter().enumerate() {
        let refs: Vec<&str> = c.references.iter().map(|(_, t)| t.as_str()).collect();
        for (label, reader, writer) in pairs(c) {
            batch.push(json!({
                "name": format!("{} [{}] {label}", c.name, c.mode),
                "reader": reader,
                "writer": writer,
                "readerReferences": refs,
                "writerReferences": refs,
            }));
            owner.push(ci);
        }
    }
    let t = Instant::now();
    let mut child = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .arg("compat-batch")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `java` (Java 17+ is needed for this test): {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&batch).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "java peer compat-batch failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Json> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), batch.len());
    eprintln!(
        "Java SchemaCompatibility: {} pairs of {} cases in {:.1?} (one JVM)",
        batch.len(),
        cases.len(),
        t.elapsed()
    );

    // Java's verdict per case: compatible when every pair is.
    let mut java: Vec<Verdict> = cases
        .iter()
        .map(|_| Verdict {
            compatible: true,
            ..Verdict::default()
        })
        .collect();
    for (a, &ci) in answers.iter().zip(&owner) {
        let v = &mut java[ci];
        match a["result"].as_str().unwrap() {
            "COMPATIBLE" => {}
            "INCOMPATIBLE" => {
                v.compatible = false;
                for i in a["incompatibilities"].as_array().unwrap() {
                    v.rules.insert(format!(
                        "{} at {}",
                        i["type"].as_str().unwrap(),
                        i["location"].as_str().unwrap()
                    ));
                    v.details.push(format!(
                        "{} at {}: {} ({})",
                        i["type"].as_str().unwrap(),
                        i["location"].as_str().unwrap(),
                        i["message"].as_str().unwrap(),
                        a["name"].as_str().unwrap()
                    ));
                }
            }
            _ => {
                v.compatible = false;
                v.rules.insert("PARSE_ERROR".into());
                v.details.push(format!("{}: {}", a["name"], a["error"]));
            }
        }
    }

    let mut disagreements = Vec::new();
    let mut agreed = 0;
    for (c, j) in cases.iter().zip(&java) {
        let s = schemaflow_verdict(c);
        if s.compatible == j.compatible && s.rules == j.rules {
            agreed += 1;
            continue;
        }
        if let Some((_, why)) = KNOWN_DIFFERENCES.iter().find(|(n, _)| *n == c.name) {
            eprintln!("known difference, {}: {why}", c.name);
            continue;
        }
        disagreements.push(format!(
            "{} [{}]:\n  schemaflow: {} {:?}\n    {}\n  Java SchemaCompatibility: {} {:?}\n    {}",
            c.name,
            c.mode,
            if s.compatible {
                "compatible"
            } else {
                "incompatible"
            },
            s.rules,
            s.details.join("\n    "),
            if j.compatible {
                "compatible"
            } else {
                "incompatible"
            },
            j.rules,
            j.details.join("\n    "),
        ));
    }
    let incompatible = java.iter().filter(|v| !v.compatible).count();
    eprintln!(
        "{agreed} of {} cases agree ({incompatible} incompatible per Java)",
        cases.len()
    );
    assert!(
        incompatible >= 10 && incompatible < cases.len(),
        "{incompatible}"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
