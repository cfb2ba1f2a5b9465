//! The registry's vocabulary: subjects, versions, schemas, references, compatibility levels and
//! modes, with the JSON shapes of Confluent's REST API (`application/vnd.schemaregistry.v1+json`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::wire::SchemaId;
use crate::SchemaType;

/// Data contracts (Confluent's `metadata` and `ruleSet`): one definition shared with the
/// registry server.
pub use schemaflow_schema::contract::{Metadata, Rule, RuleKind, RuleMode, RuleSet};

/// A subject: the name under which a schema's versions are registered (`user-events-value`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subject(pub String);

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Subject {
    fn from(s: &str) -> Self {
        Subject(s.to_string())
    }
}

impl From<String> for Subject {
    fn from(s: String) -> Self {
        Subject(s)
    }
}

/// A version of a subject: a number from 1, or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The newest live version (`latest`, also `-1`).
    Latest,
    /// A version number (1-based).
    Number(i32),
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Number(n) => n.fmt(f),
        }
    }
}

/// The text given was not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version {0:?}: expected a number from 1 or \"latest\"")]
pub struct InvalidVersion(pub String);

impl FromStr for Version {
    type Err = InvalidVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "latest" | "-1" => Ok(Version::Latest),
            n => match n.parse::<i32>() {
                Ok(v) if v >= 1 => Ok(Version::Number(v)),
                _ => Err(InvalidVersion(s.to_string())),
            },
        }
    }
}

impl From<i32> for Version {
    fn from(v: i32) -> Self {
        Version::Number(v)
    }
}

/// A dependency of a schema: an Avro named type or a Protobuf import, registered under its own
/// subject and version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    /// Avro: the referenced type's full name. Protobuf: the import path.
    pub name: String,
    /// The subject it is registered under.
    pub subject: String,
    /// Its version there.
    pub version: i32,
}

/// A schema as sent to the registry (register, lookup, compatibility check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// The schema text (Avro JSON, `.proto` source, or a base64 `FileDescriptorProto`).
    pub schema: String,
    /// The schema language; the registry omits it for Avro.
    #[serde(rename = "schemaType", default = "avro", with = "schema_type_serde")]
    pub schema_type: SchemaType,
    /// Dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
}

fn avro() -> SchemaType {
    SchemaType::Avro
}

impl Schema {
    /// An Avro schema without references.
    pub fn avro(text: impl Into<String>) -> Self {
        Schema {
            schema: text.into(),
            schema_type: SchemaType::Avro,
            references: Vec::new(),
        }
    }

    /// A Protobuf schema without references.
    pub fn protobuf(text: impl Into<String>) -> Self {
        Schema {
            schema: text.into(),
            schema_type: SchemaType::Protobuf,
            references: Vec::new(),
        }
    }

    /// With references.
    pub fn with_references(mut self, references: Vec<SchemaReference>) -> Self {
        self.references = references;
        self
    }
}

/// `schemaType` as the registry spells it (`AVRO`, `PROTOBUF`, `JSON`): a serde `with` module
/// for the client's and the server's bodies.
pub mod schema_type_serde {
    use super::SchemaType;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the registry's spelling.
    pub fn serialize<S: Serializer>(t: &SchemaType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    /// Reads the registry's spelling.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SchemaType, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A schema as the registry holds it under a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredSchema {
    /// The subject.
    pub subject: String,
    /// The version under the subject.
    pub version: i32,
    /// The global schema id.
    pub id: SchemaId,
    /// The schema itself.
    #[serde(flatten)]
    pub schema: Schema,
    /// The schema's GUID (Confluent 8.x), when the registry gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

pub use crate::compat::{CompatibilityLevel, UnknownCompatibilityLevel};

/// A registry (or subject) mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    /// Normal operation.
    #[default]
    Readwrite,
    /// No registrations or deletes.
    Readonly,
    /// Registrations must give their id (migrating schemas from another registry).
    Import,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Readwrite => "READWRITE",
            Mode::Readonly => "READONLY",
            Mode::Import => "IMPORT",
        })
    }
}

/// The result of a compatibility check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatibilityResult {
    /// The verdict.
    pub is_compatible: bool,
    /// Why not (with `verbose=true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!("latest".parse::<Version>().unwrap(), Version::Latest);
        assert_eq!("-1".parse::<Version>().unwrap(), Version::Latest);
        assert_eq!("3".parse::<Version>().unwrap(), Version::Number(3));
        assert!("0".parse::<Version>().is_err());
        assert!("x".parse::<Version>().is_err());
    }

    #[test]
    fn schema_json_shape() {
        let s: Schema = serde_json::from_str(r#"{"schema":"\"int\""}"#).unwrap();
        assert_eq!(s.schema_type, SchemaType::Avro);
        let json = serde_json::to_value(Schema::protobuf("syntax = \"proto3\";")).unwrap();
        assert_eq!(json["schemaType"], "PROTOBUF");
        assert!(json.get("references").is_none());
    }
}
