//! The committed file: its model, reading and writing (format 1, see [`super`]).

use serde::{Deserialize, Serialize};

use crate::compat::CompatibilityLevel;
use crate::SchemaType;

/// The layout version this code reads and writes.
pub const FORMAT: u32 = 1;

/// Why a lock file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Not TOML, or not the lock's shape.
    #[error("{path}: not a schemaflow lock file: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// The parser's reason.
        reason: String,
    },
    /// A `format` this version does not know (a newer schemaflow wrote it).
    #[error(
        "{path}: lock format {found}, this schemaflow reads format {FORMAT}; upgrade schemaflow"
    )]
    Format {
        /// The file.
        path: String,
        /// The `format` it declares.
        found: u32,
    },
    /// A locked schema that no longer parses, or another schema-layer error.
    #[error(transparent)]
    Schema(#[from] crate::Error),
    /// A reference to a subject version the lock does not hold.
    #[error(
        "{path}: {subject} version {version} references {reference}, which the lock does not hold"
    )]
    DanglingReference {
        /// The file.
        path: String,
        /// The referring subject.
        subject: String,
        /// Its version.
        version: i32,
        /// `subject:version` of the missing reference.
        reference: String,
    },
}

/// The whole lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// Always [`FORMAT`] when written by this version.
    pub format: u32,
    /// Every locked subject, sorted by name.
    #[serde(default, rename = "subject")]
    pub subjects: Vec<LockedSubject>,
}

/// One subject and its released versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedSubject {
    /// The subject name.
    pub name: String,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    #[serde(rename = "type", with = "schema_type")]
    pub schema_type: SchemaType,
    /// The subject's compatibility level.
    pub compatibility: CompatibilityLevel,
    /// The current schema's file, relative to the lock's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Released versions, oldest first.
    #[serde(default, rename = "version")]
    pub versions: Vec<LockedVersion>,
}

/// One released version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedVersion {
    /// The version number.
    pub version: i32,
    /// `sha256:<hex>` ([`super::fingerprint`]).
    pub fingerprint: String,
    /// Other locked subjects this version references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<LockedReference>,
    /// The schema text as released.
    pub schema: String,
}

/// A reference of a locked version, as the registry names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedReference {
    /// The Avro full name, the Protobuf import path or the JSON Schema reference name.
    pub name: String,
    /// The referenced subject (in the same lock).
    pub subject: String,
    /// Its version.
    pub version: i32,
}

mod schema_type {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::SchemaType;

    pub fn serialize<S: Serializer>(t: &SchemaType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SchemaType, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<SchemaType>().map_err(|_| {
            serde::de::Error::custom(format!("type {s:?}: expected AVRO, PROTOBUF or JSON"))
        })
    }
}

impl Default for LockFile {
    fn default() -> Self {
        LockFile {
            format: FORMAT,
            subjects: Vec::new(),
        }
    }
}

impl LockFile {
    /// Parse a lock file's text; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Self, LockError> {
        // The format number first, so that a newer layout says "upgrade" rather than failing
        // on a key this version does not know.
        #[derive(Deserialize)]
        struct Head {
            format: Option<u32>,
        }
        let head: Head = toml::from_str(text).map_err(|e| LockError::Invalid {
            path: path.to_string(),
            reason: e.message().to_string(),
        })?;
        match head.format {
            Some(FORMAT) => {}
            Some(found) => {
                return Err(LockError::Format {
                    path: path.to_string(),
                    found,
                })
            }
            None => {
                return Err(LockError::Invalid {
                    path: path.to_string(),
                    reason: "no `format = 1` line".into(),
                })
            }
        }
        let lock: LockFile = toml::from_str(text).map_err(|e| LockError::Invalid {
            path: path.to_string(),
            reason: e.to_string().replace('\n', " "),
        })?;
        lock.validate(path)?;
        Ok(lock)
    }

    /// Every reference names a version the lock holds.
    fn validate(&self, path: &str) -> Result<(), LockError> {
        for s in &self.subjects {
            for v in &s.versions {
                for r in &v.references {
                    if self.version(&r.subject, r.version).is_none() {
                        return Err(LockError::DanglingReference {
                            path: path.to_string(),
                            subject: s.name.clone(),
                            version: v.version,
                            reference: format!("{}:{}", r.subject, r.version),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The text to write: sorted, with a header comment.
    pub fn to_text(&self) -> String {
        let mut lock = self.clone();
        lock.subjects.sort_by(|a, b| a.name.cmp(&b.name));
        for s in &mut lock.subjects {
            s.versions.sort_by_key(|v| v.version);
        }
        // Serializing plain data structs to TOML cannot fail (no maps with non-string keys,
        // no values TOML lacks); an empty string would be refused by `parse`, not written
        // silently wrong.
        let body = toml::to_string_pretty(&lock).unwrap_or_default();
        format!(
            "# schemaflow.lock: the released versions of every subject (format {FORMAT}).\n# Written by `schemaflow lock`; commit it. See `schemaflow lock --help`.\n\n{body}"
        )
    }

    /// A subject by name.
    pub fn subject(&self, name: &str) -> Option<&LockedSubject> {
        self.subjects.iter().find(|s| s.name == name)
    }

    /// A subject by name, to change it.
    pub fn subject_mut(&mut self, name: &str) -> Option<&mut LockedSubject> {
        self.subjects.iter_mut().find(|s| s.name == name)
    }

    /// One version of a subject.
    pub fn version(&self, subject: &str, version: i32) -> Option<&LockedVersion> {
        self.subject(subject)?
            .versions
            .iter()
            .find(|v| v.version == version)
    }
}

impl LockedSubject {
    /// The newest locked version.
    pub fn latest(&self) -> Option<&LockedVersion> {
        self.versions.iter().max_by_key(|v| v.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LockFile {
        LockFile {
            format: FORMAT,
            subjects: vec![
                LockedSubject {
                    name: "users-value".into(),
                    schema_type: SchemaType::Avro,
                    compatibility: CompatibilityLevel::Backward,
                    file: Some("schemas/user.avsc".into()),
                    versions: vec![LockedVersion {
                        version: 1,
                        fingerprint: "sha256:00".into(),
                        references: vec![LockedReference {
                            name: "shop.Address".into(),
                            subject: "shop.Address".into(),
                            version: 1,
                        }],
                        schema: "{\n  \"type\": \"record\", \"name\": \"U\", \"fields\": []\n}\n"
                            .into(),
                    }],
                },
                LockedSubject {
                    name: "shop.Address".into(),
                    schema_type: SchemaType::Avro,
                    compatibility: CompatibilityLevel::Full,
                    file: None,
                    versions: vec![LockedVersion {
                        version: 1,
                        fingerprint: "sha256:01".into(),
                        references: vec![],
                        schema: "\"string\" ''' \"\"\" \\ end".into(),
                    }],
                },
            ],
        }
    }

    #[test]
    fn round_trips_through_text() {
        let lock = sample();
        let text = lock.to_text();
        assert!(text.contains("\nformat = 1\n"), "{text}");
        let back = LockFile::parse("schemaflow.lock", &text).expect("parses");
        let mut sorted = lock.clone();
        sorted.subjects.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(back, sorted);
        assert_eq!(back.to_text(), text, "writing is stable");
    }

    #[test]
    fn refuses_other_formats_and_dangling_references() {
        let text = sample().to_text();
        match LockFile::parse("l", &text.replace("format = 1", "format = 2")) {
            Err(LockError::Format { found: 2, .. }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            LockFile::parse("l", "[[subject]]\nname = \"x\"\n"),
            Err(LockError::Invalid { .. })
        ));
        let mut lock = sample();
        lock.subjects.retain(|s| s.name != "shop.Address");
        assert!(matches!(
            LockFile::parse("l", &lock.to_text()),
            Err(LockError::DanglingReference { .. })
        ));
        assert!(matches!(
            LockFile::parse("l", &text.replace("type = \"AVRO\"", "type = \"XML\"")),
            Err(LockError::Invalid { .. })
        ));
        // JSON Schema subjects lock like the others.
        assert!(LockFile::parse("l", &text.replace("type = \"AVRO\"", "type = \"JSON\"")).is_ok());
    }
}
