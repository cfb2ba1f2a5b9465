//! Checking a current schema against its subject's locked versions.

use crate::compat::{self, CompatReport, SchemaInput};

use super::file::{LockError, LockFile};

/// A locked version as a checker input: its text with its references' texts (transitively,
/// dependencies first), all from the lock. Labelled `SUBJECT version N (lock)`.
pub fn locked_input(
    lock: &LockFile,
    subject: &str,
    version: i32,
) -> Result<SchemaInput, LockError> {
    let s = lock
        .subject(subject)
        .ok_or_else(|| dangling(subject, version, subject, version))?;
    let v = lock
        .version(subject, version)
        .ok_or_else(|| dangling(subject, version, subject, version))?;
    let mut references = Vec::new();
    let mut seen = Vec::new();
    collect(lock, subject, version, &mut seen, &mut references)?;
    Ok(SchemaInput {
        schema_type: s.schema_type,
        text: v.schema.clone(),
        references,
        label: format!("{subject} version {version} (lock)"),
    })
}

fn dangling(subject: &str, version: i32, r_subject: &str, r_version: i32) -> LockError {
    LockError::DanglingReference {
        path: "schemaflow.lock".into(),
        subject: subject.to_string(),
        version,
        reference: format!("{r_subject}:{r_version}"),
    }
}

/// Depth first: a reference's own references before it; each name once.
fn collect(
    lock: &LockFile,
    subject: &str,
    version: i32,
    seen: &mut Vec<(String, i32)>,
    out: &mut Vec<(String, String)>,
) -> Result<(), LockError> {
    let v = lock
        .version(subject, version)
        .ok_or_else(|| dangling(subject, version, subject, version))?;
    for r in &v.references {
        // A cycle or a diamond: each referenced version once.
        if seen.iter().any(|(s, n)| s == &r.subject && *n == r.version) {
            continue;
        }
        seen.push((r.subject.clone(), r.version));
        let rv = lock
            .version(&r.subject, r.version)
            .ok_or_else(|| dangling(subject, version, &r.subject, r.version))?;
        collect(lock, &r.subject, r.version, seen, out)?;
        if !out.iter().any(|(n, _)| n == &r.name) {
            out.push((r.name.clone(), rv.schema.clone()));
        }
    }
    Ok(())
}

/// What checking a candidate against a locked subject found.
#[derive(Debug)]
pub struct LockCheck {
    /// The verdict and findings (labels `SUBJECT version N (lock)`).
    pub report: CompatReport,
    /// The locked versions compared with, oldest first (to place forward findings).
    pub previous: Vec<SchemaInput>,
}

/// Check `candidate` against every locked version of `subject` in the subject's directions
/// (its level made transitive). `None` when the lock does not hold the subject: a new one.
pub fn check_subject(
    lock: &LockFile,
    subject: &str,
    candidate: &SchemaInput,
) -> Result<Option<LockCheck>, LockError> {
    let Some(locked) = lock.subject(subject) else {
        return Ok(None);
    };
    let previous = locked
        .versions
        .iter()
        .map(|v| locked_input(lock, subject, v.version))
        .collect::<Result<Vec<_>, _>>()?;
    let report = compat::check(locked.compatibility.transitive(), &previous, candidate)?;
    Ok(Some(LockCheck { report, previous }))
}

#[cfg(test)]
mod tests {
    use super::super::file::{LockedReference, LockedSubject, LockedVersion, FORMAT};
    use super::*;
    use crate::compat::CompatibilityLevel;
    use crate::SchemaType;

    const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
    const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"a","type":"Address"}]}"#;
    const USER_V2: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[{"name":"a","type":"Address"},{"name":"b","type":"int","default":0}]}"#;

    fn version(n: i32, schema: &str, refs: Vec<LockedReference>) -> LockedVersion {
        LockedVersion {
            version: n,
            fingerprint: String::new(),
            references: refs,
            schema: schema.into(),
        }
    }

    fn lock() -> LockFile {
        let addr_ref = vec![LockedReference {
            name: "shop.Address".into(),
            subject: "shop.Address".into(),
            version: 1,
        }];
        LockFile {
            format: FORMAT,
            subjects: vec![
                LockedSubject {
                    name: "shop.Address".into(),
                    schema_type: SchemaType::Avro,
                    compatibility: CompatibilityLevel::Backward,
                    file: None,
                    versions: vec![version(1, ADDRESS, vec![])],
                },
                LockedSubject {
                    name: "users-value".into(),
                    schema_type: SchemaType::Avro,
                    // BACKWARD, yet every version is compared: see the module docs.
                    compatibility: CompatibilityLevel::Backward,
                    file: None,
                    versions: vec![
                        version(1, USER_V1, addr_ref.clone()),
                        version(2, USER_V2, addr_ref),
                    ],
                },
            ],
        }
    }

    #[test]
    fn references_resolve_from_the_lock_and_every_version_counts() {
        let lock = lock();
        let input = locked_input(&lock, "users-value", 2).expect("input");
        assert_eq!(
            input.references,
            vec![("shop.Address".to_string(), ADDRESS.to_string())]
        );
        let with_address = |text: &str| {
            SchemaInput::new(SchemaType::Avro, text, "schemas/user.avsc")
                .with_references(vec![("shop.Address".into(), ADDRESS.into())])
        };
        let ok = check_subject(&lock, "users-value", &with_address(USER_V2))
            .expect("check")
            .expect("locked");
        assert!(ok.report.compatible, "{:?}", ok.report.messages());
        assert_eq!(ok.previous.len(), 2);
        let bad = USER_V2.replace(r#""type":"Address"}"#, r#""type":"string"}"#);
        let bad = check_subject(&lock, "users-value", &with_address(&bad))
            .expect("check")
            .expect("locked");
        assert!(!bad.report.compatible);
        // Found against both versions: the check is transitive.
        let against: std::collections::BTreeSet<&str> = bad
            .report
            .findings
            .iter()
            .map(|f| f.against.as_str())
            .collect();
        assert_eq!(
            against.into_iter().collect::<Vec<_>>(),
            [
                "users-value version 1 (lock)",
                "users-value version 2 (lock)"
            ]
        );
        assert!(check_subject(&lock, "new-subject", &with_address(USER_V1))
            .expect("check")
            .is_none());
    }
}
