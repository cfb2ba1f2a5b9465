//! The registry's REST protocol, shared by the client ([`client`](super::client)) and the
//! embedded server (`schemaflow-registry`): the content type, the error codes and the typed
//! request and response bodies of every route, with Confluent's JSON field names and
//! omissions.
//!
//! Fields are declared in alphabetical order: the server's answers were built as sorted JSON
//! maps before these types existed, and declaring them so keeps its wire bytes unchanged.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::types::SchemaReference;
use super::types::{CompatibilityLevel, CompatibilityResult, Mode, RegisteredSchema, Schema};
use super::types::{Metadata, RuleSet};
use crate::wire::SchemaId;
use crate::SchemaType;

/// An error code of the Confluent Schema Registry REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 40101 unauthorized.
    Unauthorized,
    /// 40301 forbidden.
    Forbidden,
    /// 40401 subject not found.
    SubjectNotFound,
    /// 40402 version not found.
    VersionNotFound,
    /// 40403 schema not found.
    SchemaNotFound,
    /// 40404 subject was soft-deleted (a permanent delete needs a soft delete first).
    SubjectSoftDeleted,
    /// 40405 subject not soft-deleted (permanent delete asked for a live subject).
    SubjectNotSoftDeleted,
    /// 40406 schema version soft-deleted.
    VersionSoftDeleted,
    /// 40407 schema version not soft-deleted.
    VersionNotSoftDeleted,
    /// 40408 subject-level compatibility not configured.
    SubjectCompatibilityNotConfigured,
    /// 40409 subject-level mode not configured.
    SubjectModeNotConfigured,
    /// 409: the schema is incompatible with an earlier one (Confluent's
    /// `RestIncompatibleSchemaException.DEFAULT_ERROR_CODE`, the HTTP status itself; 40901,
    /// which some other registries answer, is read as this too).
    Incompatible,
    /// 42201 invalid schema.
    InvalidSchema,
    /// 42202 invalid version.
    InvalidVersion,
    /// 42203 invalid compatibility level.
    InvalidCompatibilityLevel,
    /// 42204 invalid mode.
    InvalidMode,
    /// 42205 operation not permitted (e.g. registering in READONLY mode).
    OperationNotPermitted,
    /// 42206 reference exists (cannot delete a schema that others reference).
    ReferenceExists,
    /// 42207 invalid id.
    InvalidId,
    /// 42208 invalid subject.
    InvalidSubject,
    /// 50001 error in the backend data store.
    StoreError,
    /// 50002 operation timed out.
    OperationTimeout,
    /// 50003 error forwarding the request to the leader.
    ForwardingError,
    /// 50004 the leader is not known (an election is under way).
    UnknownLeader,
    /// A code this client does not know (kept as is), or a plain HTTP status.
    Other(i32),
}

impl ErrorCode {
    /// From the `error_code` of an error body.
    pub fn from_code(code: i32) -> Self {
        match code {
            40101 => ErrorCode::Unauthorized,
            40301 => ErrorCode::Forbidden,
            40401 => ErrorCode::SubjectNotFound,
            40402 => ErrorCode::VersionNotFound,
            40403 => ErrorCode::SchemaNotFound,
            40404 => ErrorCode::SubjectSoftDeleted,
            40405 => ErrorCode::SubjectNotSoftDeleted,
            40406 => ErrorCode::VersionSoftDeleted,
            40407 => ErrorCode::VersionNotSoftDeleted,
            40408 => ErrorCode::SubjectCompatibilityNotConfigured,
            40409 => ErrorCode::SubjectModeNotConfigured,
            409 | 40901 => ErrorCode::Incompatible,
            42201 => ErrorCode::InvalidSchema,
            42202 => ErrorCode::InvalidVersion,
            42203 => ErrorCode::InvalidCompatibilityLevel,
            42204 => ErrorCode::InvalidMode,
            42205 => ErrorCode::OperationNotPermitted,
            42206 => ErrorCode::ReferenceExists,
            42207 => ErrorCode::InvalidId,
            42208 => ErrorCode::InvalidSubject,
            50001 => ErrorCode::StoreError,
            50002 => ErrorCode::OperationTimeout,
            50003 => ErrorCode::ForwardingError,
            50004 => ErrorCode::UnknownLeader,
            other => ErrorCode::Other(other),
        }
    }

    /// The numeric code (`Incompatible`: 409, as Confluent answers it).
    pub fn code(self) -> i32 {
        match self {
            ErrorCode::Unauthorized => 40101,
            ErrorCode::Forbidden => 40301,
            ErrorCode::SubjectNotFound => 40401,
            ErrorCode::VersionNotFound => 40402,
            ErrorCode::SchemaNotFound => 40403,
            ErrorCode::SubjectSoftDeleted => 40404,
            ErrorCode::SubjectNotSoftDeleted => 40405,
            ErrorCode::VersionSoftDeleted => 40406,
            ErrorCode::VersionNotSoftDeleted => 40407,
            ErrorCode::SubjectCompatibilityNotConfigured => 40408,
            ErrorCode::SubjectModeNotConfigured => 40409,
            ErrorCode::Incompatible => 409,
            ErrorCode::InvalidSchema => 42201,
            ErrorCode::InvalidVersion => 42202,
            ErrorCode::InvalidCompatibilityLevel => 42203,
            ErrorCode::InvalidMode => 42204,
            ErrorCode::OperationNotPermitted => 42205,
            ErrorCode::ReferenceExists => 42206,
            ErrorCode::InvalidId => 42207,
            ErrorCode::InvalidSubject => 42208,
            ErrorCode::StoreError => 50001,
            ErrorCode::OperationTimeout => 50002,
            ErrorCode::ForwardingError => 50003,
            ErrorCode::UnknownLeader => 50004,
            ErrorCode::Other(c) => c,
        }
    }

    /// The HTTP status the registry answers with for this code.
    pub fn http_status(self) -> u16 {
        match self.code() {
            c if c >= 10_000 => (c / 100) as u16,
            c => c as u16,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.code().fmt(f)
    }
}

/// The registry's JSON content type, of every request and answer body.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The error body of every failed call: `{"error_code": 40401, "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error code ([`ErrorCode::code`]).
    pub error_code: i32,
    /// What went wrong, for people.
    pub message: String,
}

impl ErrorBody {
    /// The body of an error with `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error_code: code.code(),
            message: message.into(),
        }
    }
}

/// A `schemaType` that names no schema language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid schema type {0}")]
pub struct InvalidSchemaType(pub String);

/// `schemaType` as sent on the wire: left out for Avro, as Confluent's server does.
pub fn wire_schema_type(t: SchemaType) -> Option<String> {
    (t != SchemaType::Avro).then(|| t.as_str().to_string())
}

/// A wire `schemaType`: missing or empty means Avro.
pub fn parse_schema_type(t: Option<&str>) -> Result<SchemaType, InvalidSchemaType> {
    match t {
        None | Some("") => Ok(SchemaType::Avro),
        Some(t) => t.parse().map_err(|_| InvalidSchemaType(t.to_string())),
    }
}

/// The body of `POST /subjects/{subject}/versions` (register), `POST /subjects/{subject}`
/// (lookup) and the compatibility checks: Confluent's `RegisterSchemaRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRequest {
    /// The id to register the schema under (IMPORT mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// Dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// The schema text.
    pub schema: String,
    /// The schema language (`AVRO` when missing).
    #[serde(
        rename = "schemaType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub schema_type: Option<String>,
    /// The data contract's metadata (Confluent's `metadata`), when there is one. Read
    /// leniently (a shape that is not Confluent's reads as none): the server judges a request's
    /// contract apart, answering Confluent's 422 for what does not map.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub metadata: Option<Metadata>,
    /// The data contract's rules (Confluent's `ruleSet`), when there are some; read leniently
    /// as `metadata` is.
    #[serde(
        rename = "ruleSet",
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub rule_set: Option<RuleSet>,
}

/// `T` if the value is one, else `None` (any JSON is accepted).
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

impl SchemaRequest {
    /// The request for `schema` (its `schemaType` always spelled out, as Confluent's clients
    /// send it).
    pub fn new(schema: &Schema) -> Self {
        SchemaRequest {
            id: None,
            references: schema.references.clone(),
            schema: schema.schema.clone(),
            schema_type: Some(schema.schema_type.as_str().to_string()),
            metadata: None,
            rule_set: None,
        }
    }

    /// With a data contract: `metadata` and `rule_set` registered with the schema.
    pub fn with_contract(mut self, metadata: Option<Metadata>, rule_set: Option<RuleSet>) -> Self {
        self.metadata = metadata;
        self.rule_set = rule_set;
        self
    }

    /// The schema asked about, and the id asked for.
    pub fn into_schema(self) -> Result<(Schema, Option<u32>), InvalidSchemaType> {
        let schema_type = parse_schema_type(self.schema_type.as_deref())?;
        Ok((
            Schema {
                schema: self.schema,
                schema_type,
                references: self.references,
            },
            self.id,
        ))
    }
}

/// The answer to a registration: the schema's id (and GUID, Confluent 8.x).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// The schema's GUID, when the registry gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The schema's id.
    pub id: u32,
}

/// `GET /schemas/ids/{id}` (with `guid`) and `GET /schemas/guids/{guid}` (with `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaResponse {
    /// The schema's GUID (by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The schema's id (by GUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// Dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// The schema text (in the format asked for).
    pub schema: String,
    /// The schema language; left out for Avro.
    #[serde(
        rename = "schemaType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub schema_type: Option<String>,
    /// The data contract's metadata (Confluent's `metadata`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// The data contract's rules (Confluent's `ruleSet`), when there are some.
    #[serde(rename = "ruleSet", default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<RuleSet>,
}

impl SchemaResponse {
    /// An answer about `text`, of type `schema_type`, with `references`.
    pub fn new(text: String, schema_type: SchemaType, references: Vec<SchemaReference>) -> Self {
        SchemaResponse {
            guid: None,
            id: None,
            references,
            schema: text,
            schema_type: wire_schema_type(schema_type),
            metadata: None,
            rule_set: None,
        }
    }

    /// The schema it holds.
    pub fn schema(&self) -> Result<Schema, InvalidSchemaType> {
        Ok(Schema {
            schema: self.schema.clone(),
            schema_type: parse_schema_type(self.schema_type.as_deref())?,
            references: self.references.clone(),
        })
    }
}

/// A schema under a subject: `GET /subjects/{subject}/versions/{version}` and the lookup
/// `POST /subjects/{subject}` (Confluent's `Schema` entity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectVersionResponse {
    /// The schema's GUID, when the registry gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The schema's id.
    pub id: u32,
    /// Dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// The schema text (in the format asked for).
    pub schema: String,
    /// The schema language; left out for Avro.
    #[serde(
        rename = "schemaType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub schema_type: Option<String>,
    /// The subject.
    pub subject: String,
    /// The version under the subject.
    pub version: i32,
    /// The data contract's metadata (Confluent's `metadata`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// The data contract's rules (Confluent's `ruleSet`), when there are some.
    #[serde(rename = "ruleSet", default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<RuleSet>,
}

impl SubjectVersionResponse {
    /// The answer for `r`, its schema text given as `text` (the format asked for).
    pub fn new(r: &RegisteredSchema, text: String) -> Self {
        SubjectVersionResponse {
            guid: r.guid.clone(),
            id: r.id.0,
            references: r.schema.references.clone(),
            schema: text,
            schema_type: wire_schema_type(r.schema.schema_type),
            subject: r.subject.clone(),
            version: r.version,
            metadata: None,
            rule_set: None,
        }
    }

    /// The registered schema it describes.
    pub fn into_registered(self) -> Result<RegisteredSchema, InvalidSchemaType> {
        Ok(RegisteredSchema {
            subject: self.subject,
            version: self.version,
            id: SchemaId(self.id),
            schema: Schema {
                schema: self.schema,
                schema_type: parse_schema_type(self.schema_type.as_deref())?,
                references: self.references,
            },
            guid: self.guid,
        })
    }
}

/// One `(subject, version)` of `GET /schemas/ids/{id}/versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
}

/// The answer of the compatibility checks; `messages` only with `verbose=true` (then even
/// when empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatibilityCheckResponse {
    /// The verdict.
    pub is_compatible: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
}

impl CompatibilityCheckResponse {
    /// The answer for `r`, with its messages when `verbose`.
    pub fn new(r: CompatibilityResult, verbose: bool) -> Self {
        CompatibilityCheckResponse {
            is_compatible: r.is_compatible,
            messages: verbose.then_some(r.messages),
        }
    }
}

impl From<CompatibilityCheckResponse> for CompatibilityResult {
    fn from(r: CompatibilityCheckResponse) -> Self {
        CompatibilityResult {
            is_compatible: r.is_compatible,
            messages: r.messages.unwrap_or_default(),
        }
    }
}

/// `GET /config[/{subject}]` and `DELETE /config[/{subject}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigResponse {
    /// The level (the one removed, for a delete).
    #[serde(rename = "compatibilityLevel")]
    pub compatibility_level: CompatibilityLevel,
}

/// The body of `PUT /config[/{subject}]`: `compatibility` (Confluent) or `compatibilityLevel`
/// (what `GET` answers), kept as text so that an unknown level gets its own error code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfigUpdateRequest {
    /// The level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility: Option<String>,
    /// The level, spelled as `GET` answers it.
    #[serde(
        rename = "compatibilityLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub compatibility_level: Option<String>,
}

impl ConfigUpdateRequest {
    /// The request setting `level`.
    pub fn new(level: CompatibilityLevel) -> Self {
        ConfigUpdateRequest {
            compatibility: Some(level.as_str().to_string()),
            compatibility_level: None,
        }
    }

    /// The level asked for, whichever field holds it.
    pub fn level(&self) -> Option<&str> {
        self.compatibility
            .as_deref()
            .or(self.compatibility_level.as_deref())
    }
}

/// The answer of `PUT /config[/{subject}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigUpdateResponse {
    /// The level set.
    pub compatibility: CompatibilityLevel,
}

/// The body of `PUT /mode[/{subject}]`, kept as text so that an unknown mode gets its own
/// error code (any case is accepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeUpdateRequest {
    /// The mode.
    pub mode: String,
}

/// The answer of `GET` and `PUT /mode[/{subject}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeResponse {
    /// The mode.
    pub mode: Mode,
}

/// `GET /`: an empty object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootResponse {}

/// `GET /health` (an extension of this registry; Confluent has none): whether the instance
/// serves and, on a Kafka store, who leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// Whether this instance leads (Kafka store only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<bool>,
    /// The leader's URL, `null` while none is known (Kafka store only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_url: Option<Option<String>>,
    /// Whether this instance answers calls.
    pub ready: bool,
    /// While starting: for how long it has been reading its store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_for_seconds: Option<u64>,
    /// `UP`, or `STARTING` while it reads its store.
    pub status: String,
}

/// `GET /v1/metadata/id`: Confluent's `ServerClusterId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerClusterId {
    /// The scope.
    pub scope: ClusterScope,
}

/// The scope of a [`ServerClusterId`] (its empty `id` is left out, as Confluent's
/// `@JsonInclude(NON_EMPTY)` does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterScope {
    /// Cluster kind (`kafka-cluster`, `schema-registry-cluster`) → id.
    pub clusters: BTreeMap<String, String>,
    /// Always empty.
    pub path: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_contracts_travel_both_ways() {
        let body = r#"{"schema":"\"int\"","metadata":{"properties":{"owner":"a"}},"ruleSet":{"domainRules":[{"name":"r","type":"CEL","mode":"WRITE","kind":"CONDITION","expr":"message > 0"}]}}"#;
        let got: SchemaResponse = serde_json::from_str(body).unwrap();
        let rules = got.rule_set.clone().unwrap();
        assert_eq!(rules.domain_rules[0].expr.as_deref(), Some("message > 0"));
        assert_eq!(got.metadata.unwrap().property("owner"), Some("a"));
        let sent = serde_json::to_value(
            SchemaRequest::new(&Schema::avro("\"int\"")).with_contract(None, Some(rules)),
        )
        .unwrap();
        assert_eq!(sent["ruleSet"]["domainRules"][0]["mode"], "WRITE");
        assert!(sent.get("metadata").is_none());
    }

    #[test]
    fn requests_and_answers_keep_confluents_shape() {
        let r: SchemaRequest = serde_json::from_str(r#"{"schema":"\"int\""}"#).unwrap();
        assert_eq!(r.into_schema().unwrap().0.schema_type, SchemaType::Avro);
        let sent = serde_json::to_value(SchemaRequest::new(&Schema::avro("\"int\""))).unwrap();
        assert_eq!(sent["schemaType"], "AVRO");
        assert!(sent.get("references").is_none() && sent.get("id").is_none());
        let bad = SchemaRequest {
            schema_type: Some("XML".into()),
            ..SchemaRequest::new(&Schema::avro("x"))
        };
        assert_eq!(
            bad.into_schema().unwrap_err().to_string(),
            "invalid schema type XML"
        );
        let by_id = SchemaResponse::new("\"int\"".into(), SchemaType::Avro, Vec::new());
        assert_eq!(
            serde_json::to_string(&by_id).unwrap(),
            r#"{"schema":"\"int\""}"#
        );
        let quiet = CompatibilityCheckResponse::new(
            CompatibilityResult {
                is_compatible: true,
                messages: Vec::new(),
            },
            false,
        );
        assert_eq!(
            serde_json::to_string(&quiet).unwrap(),
            r#"{"is_compatible":true}"#
        );
        let verbose = CompatibilityCheckResponse {
            messages: Some(Vec::new()),
            ..quiet
        };
        assert_eq!(
            serde_json::to_string(&verbose).unwrap(),
            r#"{"is_compatible":true,"messages":[]}"#
        );
        let health = HealthResponse {
            leader: Some(false),
            leader_url: Some(None),
            ready: true,
            starting_for_seconds: None,
            status: "UP".into(),
        };
        assert_eq!(
            serde_json::to_string(&health).unwrap(),
            r#"{"leader":false,"leader_url":null,"ready":true,"status":"UP"}"#
        );
        assert_eq!(
            serde_json::to_string(&ErrorBody::new(ErrorCode::SubjectNotFound, "no")).unwrap(),
            r#"{"error_code":40401,"message":"no"}"#
        );
    }
}
