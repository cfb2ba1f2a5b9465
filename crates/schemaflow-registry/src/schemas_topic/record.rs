//! Keys and values of the `_schemas` topic, byte for byte as Confluent Schema Registry writes
//! them, and read leniently (Karapace's spacing, extra fields, `null`s).
//!
//! # Keys
//!
//! Confluent serializes keys with Jackson (`SchemaRegistrySerializer`), compact (no spaces),
//! in each class's `@JsonPropertyOrder`, with `@JsonInclude(NON_EMPTY)` (a `null` subject is
//! left out). `magic` is 1 for `SCHEMA` (`SchemaKey.MAGIC_BYTE`) and 0 for the others:
//!
//! | key type | bytes | Confluent source |
//! |---|---|---|
//! | `SCHEMA` | `{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}` | `storage/SchemaKey.java`: `@JsonPropertyOrder({"keytype","subject","version","magic"})` |
//! | `CONFIG` | `{"keytype":"CONFIG","subject":"s","magic":0}`, global `{"keytype":"CONFIG","magic":0}` | `storage/ConfigKey.java`: `@JsonPropertyOrder({"keytype","subject","magic"})`, `NON_EMPTY` |
//! | `MODE` | `{"keytype":"MODE","subject":"s","magic":0}`, global `{"keytype":"MODE","magic":0}` | `storage/ModeKey.java` (same shape) |
//! | `DELETE_SUBJECT` | `{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}` | `storage/DeleteSubjectKey.java` |
//! | `CLEAR_SUBJECT` | `{"keytype":"CLEAR_SUBJECT","subject":"s","magic":0}` | `storage/ClearSubjectKey.java` |
//! | `NOOP` | `{"keytype":"NOOP","magic":0}` | `storage/NoopKey.java`: `@JsonPropertyOrder({"keytype","magic"})` |
//!
//! Karapace's canonical formatter (`src/karapace/key_format.py`, `CANONICAL` mode) writes the
//! same order and compact separators; for the global config key it writes
//! `"subject":null` where Confluent leaves the field out. Both read as the global key here.
//! A key type this version does not know is [`Key::Unknown`]: the caller skips it with a
//! warning, it is never an error.
//!
//! # Values
//!
//! Jackson writes a class without `@JsonPropertyOrder` in its `@JsonCreator`'s parameter
//! order (creator properties first), so `SchemaValue` is
//! `subject, version, id, md5, schemaType, references, metadata, ruleSet, schema, deleted`
//! (`storage/SchemaValue.java`, the creator taking `md5`). `NON_EMPTY` leaves out a `null`
//! `md5`/`metadata`/`ruleSet` and empty `references`; `schemaType` goes through
//! `SchemaTypeConverter`, which turns the default `AVRO` into `null`, so Avro values have no
//! `schemaType`; the primitive `deleted` is always written. `ConfigValue` is
//! `{"subject":"s","compatibilityLevel":"FULL"}` (global: no `subject`), `ModeValue`
//! `{"subject":"s","mode":"READONLY"}`, `DeleteSubjectValue` `{"subject":"s","version":3}`,
//! `ClearSubjectValue` `{"subject":"s"}`. `metadata` and `ruleSet` are read into
//! [`crate::contract`]'s types (unknown fields ignored, as Confluent's `@JsonIgnoreProperties`)
//! and written as Jackson writes Confluent's `Metadata` and `RuleSet`. A `CONFIG` value goes
//! on, after the level (and `compatibilityPolicy`), with `compatibilityGroup`,
//! `defaultMetadata`, `overrideMetadata`, `defaultRuleSet`, `overrideRuleSet` — the order of
//! `storage/ConfigValue.java`'s creator.
//!
//! Strings are escaped as Jackson does: `"`, `\` and control characters only (`\n`, `\t`, …,
//! else `\u00XX` with upper-case hex); non-ASCII stays raw UTF-8.
//!
//! # The schema's guid
//!
//! Confluent's `MD5.ofSchema` (`storage/MD5.java`, `Schema.updateHash`) hashes the schema
//! text, then each reference's name, subject and big-endian 4-byte version, then — when
//! present — a `1` byte and the metadata, a `1` byte and the rule set
//! ([`crate::contract::update_hash`]); `SchemaValue.md5` holds it in base64 when written. The guid is the name-based (version 3) UUID built from those 16 bytes
//! ([`guid_for`]): a function of the record alone, so every instance and every restart serve
//! the same guid, and the same schema text and references always get the same one.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use crate::contract::{to_jackson, ConfigContract, Metadata, RuleSet};
use schemaflow::registry::types::{CompatibilityLevel, Mode, SchemaReference};
use schemaflow::SchemaType;

/// Why a record could not be read. The transport logs it and skips the record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The key or value is not JSON, or not the shape its key type has.
    #[error("{what} cannot be read: {source}")]
    Json {
        /// Which part: "key", "SCHEMA value", …
        what: &'static str,
        /// What the parser found.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON is well formed but a field is missing or out of range.
    #[error("{what}: {reason}")]
    Invalid {
        /// Which part.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl FormatError {
    fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        FormatError::Invalid {
            what,
            reason: reason.into(),
        }
    }
}

/// A record key of the `_schemas` topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// One version of a subject.
    Schema {
        /// The subject.
        subject: String,
        /// The version.
        version: i32,
    },
    /// A compatibility level; `None`: the global one.
    Config {
        /// The subject, or global.
        subject: Option<String>,
    },
    /// A mode; `None`: the global one.
    Mode {
        /// The subject, or global.
        subject: Option<String>,
    },
    /// A subject soft-deleted up to a version.
    DeleteSubject {
        /// The subject.
        subject: String,
    },
    /// A subject's soft-deleted versions cleared.
    ClearSubject {
        /// The subject.
        subject: String,
    },
    /// The marker written to find the topic's end.
    Noop,
    /// A key type this version does not know (a newer Confluent's): skip it.
    Unknown(String),
}

impl Key {
    /// The key type as written in `keytype`.
    pub fn keytype(&self) -> &str {
        match self {
            Key::Schema { .. } => "SCHEMA",
            Key::Config { .. } => "CONFIG",
            Key::Mode { .. } => "MODE",
            Key::DeleteSubject { .. } => "DELETE_SUBJECT",
            Key::ClearSubject { .. } => "CLEAR_SUBJECT",
            Key::Noop => "NOOP",
            Key::Unknown(k) => k,
        }
    }

    /// Confluent's exact bytes for this key. ([`Key::Unknown`] gives
    /// `{"keytype":K,"magic":0}`; nothing writes one.)
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from("{\"keytype\":");
        push_str(&mut out, self.keytype());
        let (subject, version, magic) = match self {
            Key::Schema { subject, version } => (Some(subject.as_str()), Some(*version), 1),
            Key::Config { subject } | Key::Mode { subject } => (subject.as_deref(), None, 0),
            Key::DeleteSubject { subject } | Key::ClearSubject { subject } => {
                (Some(subject.as_str()), None, 0)
            }
            Key::Noop | Key::Unknown(_) => (None, None, 0),
        };
        // NON_EMPTY: an empty subject is left out like a null one.
        if let Some(s) = subject.filter(|s| !s.is_empty()) {
            out.push_str(",\"subject\":");
            push_str(&mut out, s);
        }
        if let Some(v) = version {
            let _ = write!(out, ",\"version\":{v}");
        }
        let _ = write!(out, ",\"magic\":{magic}}}");
        out.into_bytes()
    }

    /// Read a key: any field order and spacing; `magic` is not checked. An unknown
    /// `keytype` is [`Key::Unknown`], not an error.
    pub fn decode(bytes: &[u8]) -> Result<Key, FormatError> {
        const WHAT: &str = "key";
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|source| FormatError::Json { what: WHAT, source })?;
        let Value::Object(fields) = v else {
            return Err(FormatError::invalid(WHAT, "not a JSON object"));
        };
        let keytype = match fields.get("keytype") {
            Some(Value::String(k)) => k.as_str(),
            _ => return Err(FormatError::invalid(WHAT, "no \"keytype\" string")),
        };
        let subject = match fields.get("subject") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(FormatError::invalid(WHAT, "\"subject\" is not a string")),
        };
        let required = |subject: Option<String>| {
            subject
                .ok_or_else(|| FormatError::invalid(WHAT, format!("{keytype} key without subject")))
        };
        Ok(match keytype {
            "SCHEMA" => {
                let version = fields
                    .get("version")
                    .and_then(Value::as_i64)
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| {
                        FormatError::invalid(WHAT, "SCHEMA key without an int version")
                    })?;
                Key::Schema {
                    subject: required(subject)?,
                    version,
                }
            }
            "CONFIG" => Key::Config { subject },
            "MODE" => Key::Mode { subject },
            "DELETE_SUBJECT" => Key::DeleteSubject {
                subject: required(subject)?,
            },
            "CLEAR_SUBJECT" => Key::ClearSubject {
                subject: required(subject)?,
            },
            "NOOP" => Key::Noop,
            other => Key::Unknown(other.to_string()),
        })
    }
}

/// The value of a `SCHEMA` record: one version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaValue {
    /// The subject.
    pub subject: String,
    /// The version.
    pub version: i32,
    /// The global id.
    pub id: u32,
    /// Base64 MD5 of the schema and its references, when the writer gave it.
    pub md5: Option<String>,
    /// The language (`AVRO` when absent).
    pub schema_type: SchemaType,
    /// Dependencies.
    pub references: Vec<SchemaReference>,
    /// Confluent's `metadata`.
    pub metadata: Option<Metadata>,
    /// Confluent's `ruleSet`.
    pub rule_set: Option<RuleSet>,
    /// The schema text.
    pub schema: String,
    /// Soft-deleted.
    pub deleted: bool,
}

#[derive(Deserialize)]
struct SchemaValueIn {
    subject: String,
    version: i32,
    id: u32,
    #[serde(default)]
    md5: Option<String>,
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<SchemaReference>>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(rename = "ruleSet", default)]
    rule_set: Option<RuleSet>,
    schema: String,
    #[serde(default)]
    deleted: bool,
}

impl SchemaValue {
    /// Confluent's exact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from("{\"subject\":");
        push_str(&mut out, &self.subject);
        let _ = write!(out, ",\"version\":{},\"id\":{}", self.version, self.id);
        if let Some(m) = self.md5.as_deref().filter(|m| !m.is_empty()) {
            out.push_str(",\"md5\":");
            push_str(&mut out, m);
        }
        if self.schema_type != SchemaType::Avro {
            out.push_str(",\"schemaType\":");
            push_str(&mut out, self.schema_type.as_str());
        }
        if !self.references.is_empty() {
            out.push_str(",\"references\":[");
            for (i, r) in self.references.iter().enumerate() {
                out.push_str(if i == 0 { "{\"name\":" } else { ",{\"name\":" });
                push_str(&mut out, &r.name);
                out.push_str(",\"subject\":");
                push_str(&mut out, &r.subject);
                let _ = write!(out, ",\"version\":{}}}", r.version);
            }
            out.push(']');
        }
        push_contract(&mut out, ",", "metadata", self.metadata.as_ref());
        push_contract(&mut out, ",", "ruleSet", self.rule_set.as_ref());
        out.push_str(",\"schema\":");
        push_str(&mut out, &self.schema);
        let _ = write!(out, ",\"deleted\":{}}}", self.deleted);
        out.into_bytes()
    }

    /// Read a `SCHEMA` value (extra fields ignored, `null`s as absent).
    pub fn decode(bytes: &[u8]) -> Result<SchemaValue, FormatError> {
        const WHAT: &str = "SCHEMA value";
        let v: SchemaValueIn = serde_json::from_slice(bytes)
            .map_err(|source| FormatError::Json { what: WHAT, source })?;
        let schema_type = match v.schema_type.as_deref() {
            None => SchemaType::Avro,
            Some(t) => t.parse().map_err(|e: schemaflow::UnknownSchemaType| {
                FormatError::invalid(WHAT, e.to_string())
            })?,
        };
        Ok(SchemaValue {
            subject: v.subject,
            version: v.version,
            id: v.id,
            md5: v.md5,
            schema_type,
            references: v.references.unwrap_or_default(),
            metadata: v.metadata,
            rule_set: v.rule_set,
            schema: v.schema,
            deleted: v.deleted,
        })
    }

    /// The guid every instance serves for this schema (see the module docs): from the
    /// record's `md5` when it holds 16 bytes, else computed as Confluent's `MD5.ofSchema`.
    pub fn guid(&self) -> String {
        use base64::Engine as _;
        let given = self.md5.as_deref().and_then(|m| {
            base64::engine::general_purpose::STANDARD
                .decode(m)
                .ok()
                .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        });
        guid_from_md5(given.unwrap_or_else(|| {
            md5_of(
                &self.schema,
                &self.references,
                self.metadata.as_ref(),
                self.rule_set.as_ref(),
            )
        }))
    }
}

/// The value of a `CONFIG` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigValue {
    /// The subject, or global.
    pub subject: Option<String>,
    /// The level (a newer Confluent's config may hold only other settings).
    pub compatibility_level: Option<CompatibilityLevel>,
    /// Confluent's `compatibilityPolicy` (JSON Schema's `STRICT` or `LENIENT`), written right
    /// after the level as its `ConfigUpdateRequest` orders the fields.
    pub compatibility_policy: Option<String>,
    /// `compatibilityGroup` and the default and override metadata and rule sets.
    pub contract: ConfigContract,
}

impl ConfigValue {
    /// Confluent's exact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from("{");
        let mut sep = "";
        if let Some(s) = self.subject.as_deref().filter(|s| !s.is_empty()) {
            out.push_str("\"subject\":");
            push_str(&mut out, s);
            sep = ",";
        }
        if let Some(l) = self.compatibility_level {
            out.push_str(sep);
            out.push_str("\"compatibilityLevel\":");
            push_str(&mut out, l.as_str());
            sep = ",";
        }
        if let Some(p) = self
            .compatibility_policy
            .as_deref()
            .filter(|p| !p.is_empty())
        {
            out.push_str(sep);
            out.push_str("\"compatibilityPolicy\":");
            push_str(&mut out, p);
            sep = ",";
        }
        let c = &self.contract;
        if let Some(g) = c.compatibility_group.as_deref().filter(|g| !g.is_empty()) {
            out.push_str(sep);
            out.push_str("\"compatibilityGroup\":");
            push_str(&mut out, g);
            sep = ",";
        }
        for (name, m) in [
            ("defaultMetadata", &c.default_metadata),
            ("overrideMetadata", &c.override_metadata),
        ] {
            if push_contract(&mut out, sep, name, m.as_ref()) {
                sep = ",";
            }
        }
        for (name, r) in [
            ("defaultRuleSet", &c.default_rule_set),
            ("overrideRuleSet", &c.override_rule_set),
        ] {
            if push_contract(&mut out, sep, name, r.as_ref()) {
                sep = ",";
            }
        }
        let _ = sep;
        out.push('}');
        out.into_bytes()
    }

    /// Read a `CONFIG` value.
    pub fn decode(bytes: &[u8]) -> Result<ConfigValue, FormatError> {
        const WHAT: &str = "CONFIG value";
        let fields = object(bytes, WHAT)?;
        let compatibility_level = match fields.get("compatibilityLevel") {
            None | Some(Value::Null) => None,
            Some(Value::String(l)) => Some(l.parse().map_err(|_| {
                FormatError::invalid(WHAT, format!("unknown compatibilityLevel {l:?}"))
            })?),
            Some(_) => {
                return Err(FormatError::invalid(
                    WHAT,
                    "compatibilityLevel is not a string",
                ))
            }
        };
        let contract: ConfigContract = serde_json::from_value(Value::Object(fields.clone()))
            .map_err(|source| FormatError::Json { what: WHAT, source })?;
        Ok(ConfigValue {
            subject: opt_string(&fields, "subject", WHAT)?,
            compatibility_level,
            compatibility_policy: opt_string(&fields, "compatibilityPolicy", WHAT)?,
            contract,
        })
    }
}

/// The value of a `MODE` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeValue {
    /// The subject, or global.
    pub subject: Option<String>,
    /// The mode.
    pub mode: Mode,
}

impl ModeValue {
    /// Confluent's exact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from("{");
        if let Some(s) = self.subject.as_deref().filter(|s| !s.is_empty()) {
            out.push_str("\"subject\":");
            push_str(&mut out, s);
            out.push(',');
        }
        out.push_str("\"mode\":");
        push_str(&mut out, &self.mode.to_string());
        out.push('}');
        out.into_bytes()
    }

    /// Read a `MODE` value. A mode this version lacks (`READONLY_OVERRIDE`) is
    /// [`FormatError::Invalid`].
    pub fn decode(bytes: &[u8]) -> Result<ModeValue, FormatError> {
        const WHAT: &str = "MODE value";
        let fields = object(bytes, WHAT)?;
        let mode = match fields.get("mode") {
            Some(Value::String(m)) => match m.as_str() {
                "READWRITE" => Mode::Readwrite,
                "READONLY" => Mode::Readonly,
                "IMPORT" => Mode::Import,
                other => {
                    return Err(FormatError::invalid(
                        WHAT,
                        format!("unknown mode {other:?}"),
                    ))
                }
            },
            _ => return Err(FormatError::invalid(WHAT, "no \"mode\" string")),
        };
        Ok(ModeValue {
            subject: opt_string(&fields, "subject", WHAT)?,
            mode,
        })
    }
}

/// The value of a `DELETE_SUBJECT` record: versions up to `version` are soft-deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSubjectValue {
    /// The subject.
    pub subject: String,
    /// The last version deleted.
    pub version: i32,
}

impl DeleteSubjectValue {
    /// Confluent's exact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from("{\"subject\":");
        push_str(&mut out, &self.subject);
        let _ = write!(out, ",\"version\":{}}}", self.version);
        out.into_bytes()
    }

    /// Read a `DELETE_SUBJECT` value.
    pub fn decode(bytes: &[u8]) -> Result<DeleteSubjectValue, FormatError> {
        const WHAT: &str = "DELETE_SUBJECT value";
        let fields = object(bytes, WHAT)?;
        let version = fields
            .get("version")
            .and_then(Value::as_i64)
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| FormatError::invalid(WHAT, "no int \"version\""))?;
        Ok(DeleteSubjectValue {
            subject: opt_string(&fields, "subject", WHAT)?
                .ok_or_else(|| FormatError::invalid(WHAT, "no \"subject\""))?,
            version,
        })
    }
}

/// The value of a `CLEAR_SUBJECT` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearSubjectValue {
    /// The subject.
    pub subject: String,
}

impl ClearSubjectValue {
    /// Confluent's exact bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::from("{\"subject\":");
        push_str(&mut out, &self.subject);
        out.push('}');
        out.into_bytes()
    }

    /// Read a `CLEAR_SUBJECT` value.
    pub fn decode(bytes: &[u8]) -> Result<ClearSubjectValue, FormatError> {
        const WHAT: &str = "CLEAR_SUBJECT value";
        let fields = object(bytes, WHAT)?;
        Ok(ClearSubjectValue {
            subject: opt_string(&fields, "subject", WHAT)?
                .ok_or_else(|| FormatError::invalid(WHAT, "no \"subject\""))?,
        })
    }
}

/// `<sep>"name":<value as Jackson writes it>`, when the value is there and not empty
/// (`NON_EMPTY`); whether anything was written.
fn push_contract<T: serde::Serialize + Default + PartialEq>(
    out: &mut String,
    sep: &str,
    name: &str,
    value: Option<&T>,
) -> bool {
    match value {
        Some(v) if *v != T::default() => {
            out.push_str(sep);
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
            out.push_str(&to_jackson(v));
            true
        }
        _ => false,
    }
}

fn object(bytes: &[u8], what: &'static str) -> Result<serde_json::Map<String, Value>, FormatError> {
    match serde_json::from_slice(bytes).map_err(|source| FormatError::Json { what, source })? {
        Value::Object(fields) => Ok(fields),
        _ => Err(FormatError::invalid(what, "not a JSON object")),
    }
}

fn opt_string(
    fields: &serde_json::Map<String, Value>,
    name: &str,
    what: &'static str,
) -> Result<Option<String>, FormatError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FormatError::invalid(
            what,
            format!("\"{name}\" is not a string"),
        )),
    }
}

/// A JSON string literal as Jackson writes it.
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Confluent's `MD5.ofSchema` of a schema without metadata or rule set: MD5 of the schema
/// text (UTF-8), then each reference's name, subject and version (4 bytes, big-endian).
pub fn md5_of_schema(schema: &str, references: &[SchemaReference]) -> [u8; 16] {
    md5_of(schema, references, None, None)
}

/// Confluent's `MD5.ofSchema` (`Schema.updateHash`): [`md5_of_schema`]'s bytes, then the
/// metadata and rule set when present ([`crate::contract::update_hash`]).
pub fn md5_of(
    schema: &str,
    references: &[SchemaReference],
    metadata: Option<&Metadata>,
    rule_set: Option<&RuleSet>,
) -> [u8; 16] {
    let mut m = Md5::new();
    m.update(schema.as_bytes());
    for r in references {
        m.update(r.name.as_bytes());
        m.update(r.subject.as_bytes());
        m.update(&r.version.to_be_bytes());
    }
    crate::contract::update_hash(metadata, rule_set, &mut |b| m.update(b));
    m.finish()
}

/// The guid for a schema and its references (see the module docs).
pub fn guid_for(schema: &str, references: &[SchemaReference]) -> String {
    guid_from_md5(md5_of_schema(schema, references))
}

/// The guid for a schema, its references, metadata and rule set (see the module docs).
pub fn guid_of(
    schema: &str,
    references: &[SchemaReference],
    metadata: Option<&Metadata>,
    rule_set: Option<&RuleSet>,
) -> String {
    guid_from_md5(md5_of(schema, references, metadata, rule_set))
}

fn guid_from_md5(md5: [u8; 16]) -> String {
    uuid::Builder::from_md5_bytes(md5).into_uuid().to_string()
}

/// MD5 (RFC 1321), enough for [`md5_of_schema`]; no dependency for 60 lines.
struct Md5 {
    state: [u32; 4],
    buf: Vec<u8>,
    len: u64,
}

const MD5_S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

impl Md5 {
    fn new() -> Self {
        Md5 {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            buf: Vec::with_capacity(64),
            len: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == 64 {
                let mut block = [0u8; 64];
                block.copy_from_slice(&self.buf);
                self.block(&block);
                self.buf.clear();
            }
        }
    }

    fn finish(mut self) -> [u8; 16] {
        let bits = self.len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.buf.len() != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_le_bytes());
        let mut out = [0u8; 16];
        for (i, w) in self.state.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    fn block(&mut self, block: &[u8; 64]) {
        let mut m = [0u32; 16];
        for (i, w) in m.iter_mut().enumerate() {
            *w = u32::from_le_bytes([
                block[i * 4],
                block[i * 4 + 1],
                block[i * 4 + 2],
                block[i * 4 + 3],
            ]);
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        for (i, &shift) in MD5_S.iter().enumerate() {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            // K[i] = floor(|sin(i + 1)| * 2^32).
            let k = ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32;
            let f = f.wrapping_add(a).wrapping_add(k).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(shift));
        }
        self.state[0] = self.state[0].wrapping_add(a);
        self.state[1] = self.state[1].wrapping_add(b);
        self.state[2] = self.state[2].wrapping_add(c);
        self.state[3] = self.state[3].wrapping_add(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: [u8; 16]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn md5_matches_rfc_1321_vectors() {
        let md5 = |s: &str| hex(md5_of_schema(s, &[]));
        assert_eq!(md5(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
    }

    #[test]
    fn keys_round_trip() {
        for key in [
            Key::Schema {
                subject: "s".into(),
                version: 3,
            },
            Key::Config { subject: None },
            Key::Config {
                subject: Some("s".into()),
            },
            Key::Mode { subject: None },
            Key::DeleteSubject {
                subject: "s".into(),
            },
            Key::ClearSubject {
                subject: "s".into(),
            },
            Key::Noop,
        ] {
            assert_eq!(Key::decode(&key.encode()).ok(), Some(key));
        }
    }

    #[test]
    fn karapace_global_config_key_reads_as_global() {
        let k = Key::decode(br#"{"keytype":"CONFIG","subject":null,"magic":0}"#);
        assert_eq!(k.ok(), Some(Key::Config { subject: None }));
        let k = Key::decode(br#"{"subject": "s", "magic": 1, "keytype": "SCHEMA", "version": 2}"#);
        assert_eq!(
            k.ok(),
            Some(Key::Schema {
                subject: "s".into(),
                version: 2
            })
        );
    }

    #[test]
    fn strings_escaped_as_jackson() {
        let v = SchemaValue {
            subject: "s\u{1}é".into(),
            version: 1,
            id: 1,
            md5: None,
            schema_type: SchemaType::Avro,
            references: vec![],
            metadata: None,
            rule_set: None,
            schema: "\"a\"\n\u{1f}/".into(),
            deleted: false,
        };
        let bytes = v.encode();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "{\"subject\":\"s\\u0001é\",\"version\":1,\"id\":1,\"schema\":\"\\\"a\\\"\\n\\u001F/\",\"deleted\":false}"
        );
        assert_eq!(SchemaValue::decode(&bytes).ok(), Some(v));
        let mut key = String::new();
        push_str(&mut key, "\u{1f}\\u");
        assert_eq!(key, "\"\\u001F\\\\u\"");
    }

    #[test]
    fn corrupt_and_wrong_shapes_are_format_errors() {
        assert!(matches!(
            Key::decode(b"{\"keytype\":"),
            Err(FormatError::Json { .. })
        ));
        assert!(matches!(
            Key::decode(b"[1]"),
            Err(FormatError::Invalid { .. })
        ));
        assert!(matches!(
            Key::decode(br#"{"magic":0}"#),
            Err(FormatError::Invalid { .. })
        ));
        assert!(matches!(
            Key::decode(br#"{"keytype":"SCHEMA","subject":"s","magic":1}"#),
            Err(FormatError::Invalid { .. })
        ));
        assert!(matches!(
            SchemaValue::decode(br#"{"subject":"s","version":"x","id":1,"schema":"\"int\""}"#),
            Err(FormatError::Json { .. })
        ));
        assert!(matches!(
            SchemaValue::decode(br#"{"subject":"s","version":1,"id":-1,"schema":"\"int\""}"#),
            Err(FormatError::Json { .. })
        ));
        assert!(matches!(
            ConfigValue::decode(br#"{"compatibilityLevel":"SIDEWAYS"}"#),
            Err(FormatError::Invalid { .. })
        ));
        assert!(matches!(
            ModeValue::decode(br#"{"mode":"READONLY_OVERRIDE"}"#),
            Err(FormatError::Invalid { .. })
        ));
    }

    #[test]
    fn guid_is_a_function_of_the_schema_and_md5_field() {
        let refs = vec![SchemaReference {
            name: "a.proto".into(),
            subject: "a".into(),
            version: 1,
        }];
        let g = guid_for("syntax = \"proto3\";", &refs);
        assert_eq!(g, guid_for("syntax = \"proto3\";", &refs));
        assert_ne!(g, guid_for("syntax = \"proto3\";", &[]));
        use base64::Engine as _;
        let md5 = md5_of_schema("\"int\"", &[]);
        let v = SchemaValue::decode(
            format!(
                r#"{{"subject":"s","version":1,"id":1,"md5":"{}","schema":"\"int\"","deleted":false}}"#,
                base64::engine::general_purpose::STANDARD.encode(md5)
            )
            .as_bytes(),
        );
        assert_eq!(v.map(|v| v.guid()).ok(), Some(guid_for("\"int\"", &[])));
    }

    /// Confluent's `core/src/test/resources/schema-md5-golden-data.json` (read by
    /// `SchemaMD5RegressionTest`): the Avro schema's MD5 with and without references, metadata
    /// and rules, printed as a UUID of the raw 16 bytes.
    #[test]
    fn md5_with_metadata_and_rules_matches_confluents_golden_data() {
        use crate::contract::{Rule, RuleKind, RuleMode};
        let avro = r#"{"type":"record","name":"Person","namespace":"io.confluent.kafka.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"ssn","type":"string"},{"name":"user","type":"io.confluent.kafka.example.User"},{"name":"address","type":"io.confluent.kafka.example.Address"}]}"#;
        let refs = vec![
            SchemaReference {
                name: "io.confluent.kafka.example.User".into(),
                subject: "User".into(),
                version: 1,
            },
            SchemaReference {
                name: "io.confluent.kafka.example.Address".into(),
                subject: "Address".into(),
                version: 2,
            },
        ];
        let metadata = Metadata {
            tags: [
                (
                    "environment".into(),
                    ["production".into(), "staging".into()].into(),
                ),
                ("team".into(), ["data-engineering".into()].into()),
            ]
            .into(),
            properties: [
                (
                    "description".into(),
                    "Person schema for user management".into(),
                ),
                ("owner".into(), "data-team".into()),
                ("version".into(), "1.0.0".into()),
            ]
            .into(),
            sensitive: ["credit-card".into(), "ssn".into()].into(),
        };
        let rule = |name: &str, doc: &str, kind, mode, t: &str, field: &str, expr: &str| Rule {
            name: Some(name.into()),
            doc: Some(doc.into()),
            kind,
            mode,
            rule_type: Some(t.into()),
            tags: ["PERSON".into()].into(),
            params: [("field".into(), field.into())].into(),
            expr: Some(expr.into()),
            on_success: Some("none".into()),
            on_failure: Some("error".into()),
            disabled: false,
        };
        let rules = RuleSet {
            migration_rules: vec![
                rule(
                    "upgrade-rule-1",
                    "Upgrade rule for field changes",
                    RuleKind::Transform,
                    RuleMode::Upgrade,
                    "FIELD_UPDATE",
                    "name",
                    "field.name = field.name.toUpperCase()",
                ),
                rule(
                    "downgrade-rule-1",
                    "Downgrade rule for compatibility",
                    RuleKind::Transform,
                    RuleMode::Downgrade,
                    "FIELD_DELETE",
                    "ssn",
                    "delete field.ssn",
                ),
            ],
            domain_rules: vec![
                rule(
                    "validation-rule-1",
                    "Validate age field",
                    RuleKind::Condition,
                    RuleMode::Write,
                    "FIELD_VALIDATION",
                    "age",
                    "field.age >= 0 && field.age <= 150",
                ),
                rule(
                    "masking-rule-1",
                    "Mask sensitive data on read",
                    RuleKind::Transform,
                    RuleMode::Read,
                    "DATA_MASKING",
                    "ssn",
                    "field.ssn = '***-**-****'",
                ),
            ],
            encoding_rules: vec![],
        };
        let want = [
            "d629bb05-ad85-3d20-fbcb-895de3c459f7",
            "c0708b8f-65f6-b698-bffe-45c1dfa8987c",
            "2034166c-90a8-1166-0ff2-f5f62c80dbe0",
            "d9877161-cfdf-d8c5-4eb4-ab37ed50e9d5",
            "5c08d70e-5347-41b2-6369-199425d044eb",
            "96825311-eb10-b7f5-48be-2a023b4c018e",
            "3619d8e0-2ee8-de51-0d9e-2520d39174d5",
            "589556fb-ad98-e8e0-94fa-e6da3455433a",
        ];
        for (i, want) in want.iter().enumerate() {
            let r: &[SchemaReference] = if i & 4 != 0 { &refs } else { &[] };
            let m = (i & 2 != 0).then_some(&metadata);
            let rs = (i & 1 != 0).then_some(&rules);
            let got = uuid::Uuid::from_bytes(md5_of(avro, r, m, rs)).to_string();
            assert_eq!(got, *want, "combination {i:03b}");
        }
    }

    #[test]
    fn config_value_writes_the_contract_after_the_level_in_confluents_order() {
        let v = ConfigValue {
            subject: Some("s".into()),
            compatibility_level: Some(CompatibilityLevel::Backward),
            compatibility_policy: None,
            contract: ConfigContract {
                compatibility_group: Some("major".into()),
                default_metadata: Some(Metadata {
                    properties: [("owner".into(), "a".into())].into(),
                    ..Metadata::default()
                }),
                override_rule_set: Some(RuleSet {
                    domain_rules: vec![crate::contract::Rule {
                        name: Some("r".into()),
                        rule_type: Some("CEL".into()),
                        ..Default::default()
                    }],
                    ..RuleSet::default()
                }),
                ..ConfigContract::default()
            },
        };
        let bytes = v.encode();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            r#"{"subject":"s","compatibilityLevel":"BACKWARD","compatibilityGroup":"major","defaultMetadata":{"properties":{"owner":"a"}},"overrideRuleSet":{"domainRules":[{"name":"r","kind":"TRANSFORM","mode":"WRITEREAD","type":"CEL","disabled":false}]}}"#
        );
        assert_eq!(ConfigValue::decode(&bytes).ok(), Some(v));
    }
}
