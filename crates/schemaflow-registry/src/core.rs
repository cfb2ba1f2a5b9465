//! The registry's behaviour, independent of HTTP: what each API call does to the store and
//! which Confluent error it answers with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use schemaflow::codec::protobuf::{decode_serialized, ProtobufSchema};
use schemaflow::compat::json::JsonCompatPolicy;
use schemaflow::compat::SchemaInput;
use schemaflow::registry::error::ErrorCode;
use schemaflow::registry::types::{
    CompatibilityLevel, CompatibilityResult, Mode, RegisteredSchema, Schema, SchemaReference,
    Version,
};
use schemaflow::wire::SchemaId;
use schemaflow::SchemaType;
use schemaflow_schema::format;

use super::compat::{CheckInput, CompatibilityChecker};
use crate::contract::{
    merge_metadata, merge_rule_sets, ConfigContract, Metadata, RuleSet, CONFLUENT_VERSION,
};
use crate::event::{Event, StoredSchema};
use crate::state::{State, VersionEntry};
use crate::store::Store;

/// An error answer: a registry error code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code (the HTTP status follows from it).
    pub code: ErrorCode,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// An error with `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    fn subject_not_found(s: &str) -> Self {
        Self::new(
            ErrorCode::SubjectNotFound,
            format!("Subject '{s}' not found."),
        )
    }

    fn version_not_found(v: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::VersionNotFound,
            format!("Version {v} not found."),
        )
    }

    /// Confluent's `RestInvalidRuleSetException`: 42210 (`INVALID_RULESET_ERROR_CODE`) with
    /// the rule's complaint.
    pub fn invalid_rule_set(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Other(INVALID_RULESET), message)
    }

    fn store(e: std::io::Error) -> Self {
        Self::new(
            ErrorCode::StoreError,
            format!("Error in the backend data store: {e}"),
        )
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Confluent's `Errors.INVALID_RULESET_ERROR_CODE` (HTTP 422).
pub const INVALID_RULESET: i32 = 42210;

/// What a register, lookup or compatibility request carries beside the schema: Confluent's
/// `metadata` and `ruleSet` (both absent for a client that knows nothing of data contracts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaContract {
    /// `metadata`.
    pub metadata: Option<Metadata>,
    /// `ruleSet`.
    pub rule_set: Option<RuleSet>,
}

/// A register's answer: the version, and whether the registry filled in metadata or a rule
/// set (Confluent's `modifiedSchema`: its answer then holds the whole schema, not only the id).
#[derive(Debug, Clone)]
pub struct Registered {
    /// The version registered (or found).
    pub schema: RegisteredSchema,
    /// The schema as stored under its id (with its metadata and rule set).
    pub stored: StoredSchema,
    /// Metadata or a rule set came from the config or the previous version.
    pub modified: bool,
}

/// Name given to a Protobuf schema's main file when it arrives as source text.
const MAIN_PROTO: &str = "schema.proto";

/// The embedded registry's logic over a [`Store`].
pub struct Registry {
    store: Store,
    checker: Arc<dyn CompatibilityChecker>,
    /// Identity keys of stored schemas (as written, normalized), computed once per id (they
    /// never change).
    keys: Mutex<HashMap<u32, (String, String)>>,
    /// Whether a rule set's CEL and JSONata expressions must compile to be registered.
    check_expressions: bool,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("store", &self.store.path())
            .finish()
    }
}

/// A schema after validation: what identifies it, and what to store.
struct Validated {
    key: String,
    deps: Vec<(String, String)>,
    /// The text to store instead of the one given, where Confluent stores another: its
    /// `KafkaSchemaRegistry.canonicalizeSchema` stores `parsedSchema.canonicalString()`, after
    /// `normalize()` when asked. JSON Schema: compact JSON, keys as written (sorted when
    /// normalized). Avro: Avro Java's `Schema.toString()` (attributes sorted when
    /// normalized). Protobuf keeps the text as given (not yet Confluent's form).
    stored_text: Option<String>,
    /// The references to store instead of the ones given: with `normalize`, Confluent's
    /// `normalize()` sorts them (`SchemaReference.compareTo`: subject, then version) and drops
    /// repeats (`distinct`).
    stored_references: Option<Vec<SchemaReference>>,
}

impl Registry {
    /// A registry over `store`, deciding compatibility with `checker`.
    pub fn new(store: Store, checker: Arc<dyn CompatibilityChecker>) -> Self {
        Registry {
            store,
            checker,
            keys: Mutex::new(HashMap::new()),
            check_expressions: true,
        }
    }

    /// Whether a rule set whose CEL (`CEL`, `CEL_FIELD`) or JSONata expression does not
    /// compile is refused (42210, as an invalid rule set) when registered or set in `/config`.
    /// Default: true. Confluent's open-source registry does not compile expressions (a bad one
    /// fails in every client instead); off, this one accepts them as it does — for tests of
    /// what clients do with a rule that cannot run.
    pub fn check_rule_expressions(mut self, check: bool) -> Self {
        self.check_expressions = check;
        self
    }

    /// A rule set as `RuleSet.validate` checks it, and its expressions compiled when asked.
    fn validate_rule_set(&self, rs: &schemaflow::registry::RuleSet) -> ApiResult<()> {
        rs.validate().map_err(|e| ApiError::invalid_rule_set(e.0))?;
        if self.check_expressions {
            schemaflow::rules::check_expressions(rs)
                .map_err(|e| ApiError::invalid_rule_set(e.to_string()))?;
        }
        Ok(())
    }

    /// Close the store's local log and release its data folder (see [`Store::close`]): what
    /// a stopped server does, so a new one can open the folder at once.
    pub(crate) fn close(&self) {
        self.store.close();
    }

    /// Schema ids held, subjects with a live version, and the Kafka reader's lag (for
    /// `/metrics`).
    pub fn gauges(&self) -> (usize, usize, Option<i64>) {
        let state = self.store.read();
        let subjects = state
            .subjects
            .values()
            .filter(|v| v.iter().any(|e| !e.deleted))
            .count();
        (state.schemas.len(), subjects, self.store.reader_lag())
    }

    /// Catch up with the store's log (Kafka: everything written so far by any instance).
    pub fn sync(&self) -> std::io::Result<()> {
        self.store.sync()
    }

    /// `GET /v1/metadata/id`: the Kafka cluster this registry keeps its state in (when it does)
    /// and the registry group (Confluent's default `schema-registry` for a single instance).
    pub fn cluster_ids(&self) -> (Option<String>, String) {
        self.store
            .cluster_ids()
            .unwrap_or_else(|| (None, "schema-registry".to_owned()))
    }

    /// Who leads, when several instances share a Kafka topic.
    pub fn leadership(&self) -> Option<Arc<super::schemas_topic::leader::Leadership>> {
        self.store.leadership()
    }

    /// `POST /subjects/{subject}/versions`: the id of `schema` under `subject`, registering
    /// it as a new version when needed. `import_id`: the id to use (IMPORT mode).
    pub fn register(
        &self,
        subject: &str,
        schema: &Schema,
        import_id: Option<u32>,
    ) -> ApiResult<RegisteredSchema> {
        self.register_with(subject, schema, import_id, false)
    }

    /// [`register`](Self::register) with `normalize=true` or not: normalized, a schema is
    /// stored and matched in its normalized form (Confluent's `normalize()`; JSON Schema:
    /// keys sorted), so key order and layout do not make a new version.
    pub fn register_with(
        &self,
        subject: &str,
        schema: &Schema,
        import_id: Option<u32>,
        normalize: bool,
    ) -> ApiResult<RegisteredSchema> {
        self.register_contract(
            subject,
            schema,
            &SchemaContract::default(),
            import_id,
            normalize,
        )
        .map(|r| r.schema)
    }

    /// [`register_with`](Self::register_with) with Confluent's `metadata` and `ruleSet`, as
    /// `KafkaSchemaRegistry.registerOrForward` and `register` decide:
    ///
    /// - a rule set is validated first (`RuleSet.validate`; 42210);
    /// - when the config in scope has no default or override metadata or rule set, the
    ///   request as given (its metadata and rules included) found under the subject is the
    ///   answer, id only;
    /// - else (not in IMPORT mode) the metadata and rule set are the request's, or the latest
    ///   live version's when the request has none, merged over the config's defaults and under
    ///   its overrides (`maybeSetMetadataRuleSet`); a `confluent:version` property there is set
    ///   to the new version number;
    /// - the schema with that metadata and rule set found under the subject is the answer;
    ///   else compatibility is checked against the live versions whose metadata property named
    ///   by the config's `compatibilityGroup` has the same value (absent matching absent), and
    ///   a new version registered — under the id of the same schema text with the same
    ///   metadata and rules, or a new id (an id is a schema with its metadata and rules, as
    ///   Confluent's MD5 of a schema covers them).
    pub fn register_contract(
        &self,
        subject: &str,
        schema: &Schema,
        contract: &SchemaContract,
        import_id: Option<u32>,
        normalize: bool,
    ) -> ApiResult<Registered> {
        if let Some(rs) = &contract.rule_set {
            self.validate_rule_set(rs)?;
        }
        check_subject(subject)?;
        let mut w = self.store.begin();
        let (events, answer) = {
            let state = w.read();
            match state.mode_for(subject) {
                Mode::Readonly => {
                    return Err(ApiError::new(
                        ErrorCode::OperationNotPermitted,
                        format!("Subject {subject} is in read-only mode"),
                    ))
                }
                Mode::Import if import_id.is_none() => {
                    return Err(ApiError::new(
                        ErrorCode::OperationNotPermitted,
                        "Registering without an id is not permitted in IMPORT mode",
                    ))
                }
                _ => {}
            }
            let v = validate(&state, schema, normalize)?;
            let stored_schema;
            let schema = if v.stored_text.is_some() || v.stored_references.is_some() {
                stored_schema = Schema {
                    schema: v
                        .stored_text
                        .clone()
                        .unwrap_or_else(|| schema.schema.clone()),
                    references: v
                        .stored_references
                        .clone()
                        .unwrap_or_else(|| schema.references.clone()),
                    ..schema.clone()
                };
                &stored_schema
            } else {
                schema
            };
            let live = state.live_versions(subject);
            let config = state.contract_for(subject);
            let found = |metadata: Option<&Metadata>, rule_set: Option<&RuleSet>| {
                live.iter().rev().find_map(|e| {
                    let s = state.schemas.get(&e.id)?;
                    (s.metadata.as_ref() == metadata
                        && s.rule_set.as_ref() == rule_set
                        && self.same_schema(&state, s, schema.schema_type, &v.key, normalize))
                    .then(|| (e.clone(), s.clone()))
                })
            };
            // registerOrForward: without defaults or overrides, the request as given.
            if !config.has_defaults_or_overrides() {
                if let Some((e, s)) = found(contract.metadata.as_ref(), contract.rule_set.as_ref())
                {
                    return Ok(Registered {
                        schema: registered(subject, &e, &s),
                        stored: s,
                        modified: false,
                    });
                }
            }
            let next_version = state
                .subjects
                .get(subject)
                .and_then(|v| v.last())
                .map_or(1, |e| e.version + 1);
            let previous = live.last().and_then(|e| state.schemas.get(&e.id));
            let (metadata, rule_set, modified) = if state.mode_for(subject) == Mode::Import {
                (contract.metadata.clone(), contract.rule_set.clone(), false)
            } else {
                with_config_and_previous(&config, contract, previous, next_version)
            };
            // Already registered under this subject: the same id and version, no new version.
            if let Some((e, s)) = found(metadata.as_ref(), rule_set.as_ref()) {
                return Ok(Registered {
                    schema: registered(subject, &e, &s),
                    stored: s,
                    modified,
                });
            }
            let level = state.level_for(subject);
            // Only versions in the same compatibility group (Confluent's
            // isCompatibleWithPrevious with `compatibilityGroup`).
            let group = |md: Option<&Metadata>| {
                config
                    .compatibility_group
                    .as_deref()
                    .and_then(|g| md.and_then(|m| m.property(g)))
                    .map(str::to_owned)
            };
            let mine = group(metadata.as_ref());
            let against: Vec<VersionEntry> = live
                .iter()
                .filter(|e| {
                    config.compatibility_group.is_none()
                        || state
                            .schemas
                            .get(&e.id)
                            .is_some_and(|s| group(s.metadata.as_ref()) == mine)
                })
                .cloned()
                .collect();
            if level != CompatibilityLevel::None && !against.is_empty() {
                let policy = state.policy_for(subject);
                let messages = self.compat_messages(&state, level, policy, &against, schema, &v)?;
                if !messages.is_empty() {
                    return Err(ApiError::new(
                        ErrorCode::Incompatible,
                        format!(
                            "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
                            messages.join(", ")
                        ),
                    ));
                }
            }
            let mut events = Vec::new();
            let existing = state
                .schemas
                .values()
                .find(|s| {
                    s.metadata == metadata
                        && s.rule_set == rule_set
                        && self.same_schema(&state, s, schema.schema_type, &v.key, normalize)
                })
                .map(|s| s.id);
            let id = match (import_id, existing) {
                (Some(want), Some(have)) if want != have => {
                    return Err(ApiError::new(
                        ErrorCode::OperationNotPermitted,
                        format!("Overwrite new schema with id {want} is not permitted: the schema has id {have}"),
                    ))
                }
                (Some(want), None) if state.schemas.contains_key(&want) => {
                    return Err(ApiError::new(
                        ErrorCode::OperationNotPermitted,
                        format!("Overwrite new schema with id {want} is not permitted."),
                    ))
                }
                (_, Some(have)) => have,
                (want, None) => {
                    let id = want.unwrap_or_else(|| state.next_id());
                    events.push(Event::Schema(StoredSchema {
                        id,
                        schema_type: schema.schema_type,
                        schema: schema.schema.clone(),
                        references: schema.references.clone(),
                        // Derived from the content, as the topic's readers derive it: every
                        // instance and every restart serve the same guid.
                        guid: super::schemas_topic::record::guid_of(
                            &schema.schema,
                            &schema.references,
                            metadata.as_ref(),
                            rule_set.as_ref(),
                        ),
                        metadata,
                        rule_set,
                    }));
                    id
                }
            };
            events.push(Event::version(subject, next_version, id));
            (events, (next_version, id, modified))
        };
        w.commit(&events).map_err(ApiError::store)?;
        let state = self.store.read();
        let (version, id, modified) = answer;
        let stored = state
            .schemas
            .get(&id)
            .ok_or_else(|| ApiError::new(ErrorCode::StoreError, "schema vanished"))?;
        Ok(Registered {
            schema: registered(
                subject,
                &VersionEntry {
                    version,
                    id,
                    deleted: false,
                },
                stored,
            ),
            stored: stored.clone(),
            modified,
        })
    }

    /// `POST /subjects/{subject}`: the version of `subject` holding `schema`.
    pub fn lookup(
        &self,
        subject: &str,
        schema: &Schema,
        deleted: bool,
    ) -> ApiResult<RegisteredSchema> {
        self.lookup_with(subject, schema, deleted, false)
    }

    /// [`lookup`](Self::lookup) with `normalize=true` or not.
    pub fn lookup_with(
        &self,
        subject: &str,
        schema: &Schema,
        deleted: bool,
        normalize: bool,
    ) -> ApiResult<RegisteredSchema> {
        self.lookup_contract(
            subject,
            schema,
            &SchemaContract::default(),
            deleted,
            normalize,
        )
    }

    /// [`lookup_with`](Self::lookup_with) with Confluent's `metadata` and `ruleSet`: the
    /// version whose schema, metadata and rule set are the ones given (Confluent's
    /// `lookUpSchemaUnderSubject` finds the schema by its MD5, which covers the metadata and
    /// rules: a request without them does not find a version that has them).
    pub fn lookup_contract(
        &self,
        subject: &str,
        schema: &Schema,
        contract: &SchemaContract,
        deleted: bool,
        normalize: bool,
    ) -> ApiResult<RegisteredSchema> {
        let state = self.store.read();
        let versions = state
            .subjects
            .get(subject)
            .ok_or_else(|| ApiError::subject_not_found(subject))?;
        let v = validate(&state, schema, normalize)?;
        versions
            .iter()
            .rev()
            .filter(|e| deleted || !e.deleted)
            .find_map(|e| {
                let s = state.schemas.get(&e.id)?;
                (s.metadata == contract.metadata
                    && s.rule_set == contract.rule_set
                    && self.same_schema(&state, s, schema.schema_type, &v.key, normalize))
                .then(|| registered(subject, e, s))
            })
            .ok_or_else(|| ApiError::new(ErrorCode::SchemaNotFound, "Schema not found"))
    }

    /// `GET /subjects/{subject}/metadata?key=K&value=V…`: the latest version whose metadata
    /// properties hold every given pair (Confluent's `getLatestWithMetadata`; no pairs: the
    /// latest version with metadata). None: 40401 when the subject has no versions, else 40403.
    pub fn latest_with_metadata(
        &self,
        subject: &str,
        pairs: &[(String, String)],
        deleted: bool,
    ) -> ApiResult<RegisteredSchema> {
        let state = self.store.read();
        let versions: Vec<&VersionEntry> = state
            .subjects
            .get(subject)
            .map(|vs| vs.iter().filter(|e| deleted || !e.deleted).collect())
            .unwrap_or_default();
        if versions.is_empty() {
            return Err(ApiError::subject_not_found(subject));
        }
        versions
            .iter()
            .rev()
            .find_map(|e| {
                let s = state.schemas.get(&e.id)?;
                let m = s.metadata.as_ref()?;
                pairs
                    .iter()
                    .all(|(k, v)| m.property(k) == Some(v.as_str()))
                    .then(|| registered(subject, e, s))
            })
            .ok_or_else(|| ApiError::new(ErrorCode::SchemaNotFound, "Schema not found"))
    }

    /// `GET /schemas`: each version of the subjects whose name starts with `prefix`, in subject
    /// then version order, with its schema and whether it is soft-deleted; soft-deleted
    /// versions only with `deleted`; with `latest_only`, only each subject's last version of
    /// those (Confluent's `SchemasResource.getSchemas`). One read of the state for all: the
    /// web page's subject list is one call, not one per subject.
    pub fn list_versions(
        &self,
        prefix: &str,
        deleted: bool,
        latest_only: bool,
    ) -> Vec<(RegisteredSchema, bool, StoredSchema)> {
        let state = self.store.read();
        let mut out = Vec::new();
        for (subject, vs) in state.subjects.range(prefix.to_string()..) {
            if !subject.starts_with(prefix) {
                break;
            }
            let shown: Vec<&VersionEntry> = vs.iter().filter(|e| deleted || !e.deleted).collect();
            let shown = match (latest_only, shown.last()) {
                (true, Some(last)) => vec![*last],
                _ => shown,
            };
            for e in shown {
                if let Some(s) = state.resolvable(e.id) {
                    out.push((registered(subject, e, s), e.deleted, s.clone()));
                }
            }
        }
        out
    }

    /// `GET /schemas/ids/{id}`.
    pub fn schema_by_id(&self, id: u32) -> ApiResult<StoredSchema> {
        self.store.read().resolvable(id).cloned().ok_or_else(|| {
            ApiError::new(ErrorCode::SchemaNotFound, format!("Schema {id} not found"))
        })
    }

    /// `GET /schemas/guids/{guid}`.
    pub fn schema_by_guid(&self, guid: &str) -> ApiResult<StoredSchema> {
        let state = self.store.read();
        state
            .guids
            .get(guid)
            .and_then(|id| state.resolvable(*id))
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::SchemaNotFound,
                    format!("Schema {guid} not found"),
                )
            })
    }

    /// `GET /schemas/ids/{id}/versions`: every (subject, version) using the id.
    pub fn id_versions(&self, id: u32, deleted: bool) -> ApiResult<Vec<(String, i32)>> {
        let state = self.store.read();
        if state.resolvable(id).is_none() {
            return Err(ApiError::new(
                ErrorCode::SchemaNotFound,
                format!("Schema {id} not found"),
            ));
        }
        Ok(state
            .subjects
            .iter()
            .flat_map(|(s, vs)| {
                vs.iter()
                    .filter(|e| e.id == id && (deleted || !e.deleted))
                    .map(move |e| (s.clone(), e.version))
            })
            .collect())
    }

    /// `GET /subjects`.
    pub fn subjects(&self, deleted: bool) -> Vec<String> {
        let state = self.store.read();
        state
            .subjects
            .iter()
            .filter(|(_, vs)| deleted || vs.iter().any(|e| !e.deleted))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// `GET /subjects?deletedOnly=true`: the subjects whose every version is soft-deleted
    /// (Confluent's `KafkaSchemaRegistry.extractUniqueSubjects` folds a subject's `deleted`
    /// flags with `&&`, and `LookupFilter.DELETED_ONLY` keeps the deleted ones).
    pub fn deleted_subjects(&self) -> Vec<String> {
        let state = self.store.read();
        state
            .subjects
            .iter()
            .filter(|(_, vs)| vs.iter().all(|e| e.deleted))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// `GET /subjects/{subject}/versions?deletedOnly=true`: only the soft-deleted versions
    /// (Confluent's `LookupFilter.DELETED_ONLY`); an unknown subject is 40401.
    pub fn deleted_versions(&self, subject: &str) -> ApiResult<Vec<i32>> {
        let state = self.store.read();
        let vs = state
            .subjects
            .get(subject)
            .ok_or_else(|| ApiError::subject_not_found(subject))?;
        Ok(vs.iter().filter(|e| e.deleted).map(|e| e.version).collect())
    }

    /// `GET /subjects/{subject}/versions/{version}/referencedby`: the ids of the schemas whose
    /// references name this version, ascending (Confluent's
    /// `KafkaSchemaRegistry.getReferencedBy`: `lookupCache.referencesSchema(key)`, sorted).
    /// The version is looked up as `GET …/versions/{version}` does: 40401, 40402.
    pub fn referenced_by(&self, subject: &str, version: Version) -> ApiResult<Vec<u32>> {
        let state = self.store.read();
        let e = find_version(&state, subject, version, false)?;
        Ok(referencing(&state, subject, e.version))
    }

    /// `GET /subjects/{subject}/versions`.
    pub fn versions(&self, subject: &str, deleted: bool) -> ApiResult<Vec<i32>> {
        let state = self.store.read();
        let vs: Vec<i32> = state
            .subjects
            .get(subject)
            .map(|vs| {
                vs.iter()
                    .filter(|e| deleted || !e.deleted)
                    .map(|e| e.version)
                    .collect()
            })
            .unwrap_or_default();
        if vs.is_empty() {
            return Err(ApiError::subject_not_found(subject));
        }
        Ok(vs)
    }

    /// `GET /subjects/{subject}/versions/{version}`.
    pub fn version(
        &self,
        subject: &str,
        version: Version,
        deleted: bool,
    ) -> ApiResult<RegisteredSchema> {
        let state = self.store.read();
        let e = find_version(&state, subject, version, deleted)?;
        let s = state
            .schemas
            .get(&e.id)
            .ok_or_else(|| ApiError::new(ErrorCode::StoreError, "schema vanished"))?;
        Ok(registered(subject, &e, s))
    }

    /// `DELETE /subjects/{subject}`: soft, or permanent after a soft delete.
    pub fn delete_subject(&self, subject: &str, permanent: bool) -> ApiResult<Vec<i32>> {
        let mut w = self.store.begin();
        let mut soft_deleted = Vec::new();
        let events: Vec<Event> = {
            let state = w.read();
            self.writable(&state, subject)?;
            let vs = state
                .subjects
                .get(subject)
                .ok_or_else(|| ApiError::subject_not_found(subject))?;
            if !permanent && vs.iter().all(|e| e.deleted) {
                return Err(ApiError::new(
                    ErrorCode::SubjectSoftDeleted,
                    format!("Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"),
                ));
            }
            // As Confluent's KafkaSchemaRegistry.deleteSubject, version by version (the live
            // ones for a soft delete, all for a permanent one), lowest first: a version other
            // schemas reference stops the delete (ReferenceExistsException, 42206), and so
            // does, permanently, a live one (SubjectNotSoftDeletedException, 40405) — whichever
            // comes first.
            for e in vs.iter().filter(|e| permanent || !e.deleted) {
                if !referencing(&state, subject, e.version).is_empty() {
                    return Err(reference_exists(subject, e.version));
                }
                if permanent && !e.deleted {
                    return Err(ApiError::new(
                        ErrorCode::SubjectNotSoftDeleted,
                        format!("Subject '{subject}' was not deleted first before being permanently deleted"),
                    ));
                }
            }
            if permanent {
                vs.iter()
                    .map(|e| Event::DeleteVersion {
                        subject: subject.to_string(),
                        version: e.version,
                        permanent,
                    })
                    .collect()
            } else {
                // As Confluent's KafkaSchemaRegistry.deleteSubject: one DELETE_SUBJECT up to
                // the highest live version, then the subject's own mode and level go too.
                let live: Vec<i32> = vs
                    .iter()
                    .filter(|e| !e.deleted)
                    .map(|e| e.version)
                    .collect();
                let mut events = vec![Event::DeleteSubject {
                    subject: subject.to_string(),
                    version: live.iter().copied().max().unwrap_or_default(),
                }];
                if state.subject_modes.contains_key(subject) {
                    events.push(Event::Mode {
                        subject: Some(subject.to_string()),
                        mode: None,
                    });
                }
                if state.subject_levels.contains_key(subject)
                    || state.subject_policies.contains_key(subject)
                    || state.subject_contracts.contains_key(subject)
                {
                    events.push(Event::Config {
                        subject: Some(subject.to_string()),
                        level: None,
                        policy: None,
                        contract: ConfigContract::default(),
                    });
                }
                soft_deleted = live;
                events
            }
        };
        let versions = if permanent {
            events
                .iter()
                .filter_map(|e| match e {
                    Event::DeleteVersion { version, .. } => Some(*version),
                    _ => None,
                })
                .collect()
        } else {
            soft_deleted
        };
        w.commit(&events).map_err(ApiError::store)?;
        Ok(versions)
    }

    /// `DELETE /subjects/{subject}/versions/{version}`.
    pub fn delete_version(
        &self,
        subject: &str,
        version: Version,
        permanent: bool,
    ) -> ApiResult<i32> {
        let mut w = self.store.begin();
        let event = {
            let state = w.read();
            self.writable(&state, subject)?;
            // A numbered version is found soft-deleted too, so that deleting it softly again
            // is 40406, as Confluent's SubjectVersionsResource.deleteSchemaVersion (it looks
            // the version up with lookupDeletedSchema=true); `latest` means the latest live
            // one, or for a permanent delete the latest one.
            let with_deleted = permanent || matches!(version, Version::Number(_));
            let e = find_version(&state, subject, version, with_deleted)?;
            // Confluent's KafkaSchemaRegistry.deleteSchemaVersion: a version other schemas
            // reference cannot be deleted, softly or permanently (ReferenceExistsException).
            if !referencing(&state, subject, e.version).is_empty() {
                return Err(reference_exists(subject, e.version));
            }
            if !permanent && e.deleted {
                return Err(ApiError::new(
                    ErrorCode::VersionSoftDeleted,
                    format!("Subject '{subject}' Version {} was soft deleted. Set permanent=true to delete permanently", e.version),
                ));
            }
            if permanent && !e.deleted {
                return Err(ApiError::new(
                    ErrorCode::VersionNotSoftDeleted,
                    format!("Subject '{subject}' Version {} was not deleted first before being permanently deleted", e.version),
                ));
            }
            Event::DeleteVersion {
                subject: subject.to_string(),
                version: e.version,
                permanent,
            }
        };
        let v = match &event {
            Event::DeleteVersion { version, .. } => *version,
            _ => 0,
        };
        w.commit(&[event]).map_err(ApiError::store)?;
        Ok(v)
    }

    /// `GET /config[/{subject}]`. A subject without its own level: 40408, unless
    /// `default_to_global`.
    pub fn config(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> ApiResult<CompatibilityLevel> {
        let state = self.store.read();
        match subject {
            None => Ok(state.global_level.unwrap_or_default()),
            Some(s) => match state.subject_levels.get(s) {
                Some(l) => Ok(*l),
                None if default_to_global => Ok(state.global_level.unwrap_or_default()),
                None => Err(ApiError::new(
                    ErrorCode::SubjectCompatibilityNotConfigured,
                    format!("Subject '{s}' does not have subject-level compatibility configured"),
                )),
            },
        }
    }

    /// `PUT /config[/{subject}]`: what is given replaces what is set, what is not given stays
    /// (Confluent's `ConfigValue.merge`).
    pub fn set_config(
        &self,
        subject: Option<&str>,
        level: Option<CompatibilityLevel>,
        policy: Option<JsonCompatPolicy>,
    ) -> ApiResult<(Option<CompatibilityLevel>, Option<JsonCompatPolicy>)> {
        self.set_config_contract(subject, level, policy, &ConfigContract::default())
            .map(|(l, p, _)| (l, p))
    }

    /// `PUT /config[/{subject}]` with the data-contract settings too: each given one replaces
    /// what is set, the rest stays (Confluent's `ConfigValue.update`). A default or override
    /// rule set is validated first (42210).
    pub fn set_config_contract(
        &self,
        subject: Option<&str>,
        level: Option<CompatibilityLevel>,
        policy: Option<JsonCompatPolicy>,
        contract: &ConfigContract,
    ) -> ApiResult<(
        Option<CompatibilityLevel>,
        Option<JsonCompatPolicy>,
        ConfigContract,
    )> {
        for rs in [&contract.default_rule_set, &contract.override_rule_set]
            .into_iter()
            .flatten()
        {
            self.validate_rule_set(rs)?;
        }
        let mut w = self.store.begin();
        let (level, policy, contract) = {
            let state = w.read();
            let (old_level, old_policy, old_contract) = match subject {
                None => (
                    state.global_level,
                    state.global_policy,
                    state.global_contract.clone(),
                ),
                Some(s) => (
                    state.subject_levels.get(s).copied(),
                    state.subject_policies.get(s).copied(),
                    state.subject_contracts.get(s).cloned().unwrap_or_default(),
                ),
            };
            (
                level.or(old_level),
                policy.or(old_policy),
                old_contract.updated(contract),
            )
        };
        w.commit(&[Event::Config {
            subject: subject.map(str::to_string),
            level,
            policy: policy.map(|p| p.as_str().to_string()),
            contract: contract.clone(),
        }])
        .map_err(ApiError::store)?;
        Ok((level, policy, contract))
    }

    /// The data-contract settings set for the subject (or globally with `None`); with
    /// `default_to_global`, a subject's missing ones from the global config.
    pub fn config_contract(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> ConfigContract {
        let state = self.store.read();
        match subject {
            None => state.global_contract.clone(),
            Some(s) if default_to_global => state.contract_for(s),
            Some(s) => state.subject_contracts.get(s).cloned().unwrap_or_default(),
        }
    }

    /// The JSON Schema compatibility policy set for the subject (or globally with `None`),
    /// if any: what `GET /config` shows as `compatibilityPolicy`.
    pub fn policy(
        &self,
        subject: Option<&str>,
        default_to_global: bool,
    ) -> Option<JsonCompatPolicy> {
        let state = self.store.read();
        match subject {
            None => state.global_policy,
            Some(s) => state
                .subject_policies
                .get(s)
                .copied()
                .or(if default_to_global {
                    state.global_policy
                } else {
                    None
                }),
        }
    }

    /// `DELETE /config[/{subject}]`: back to the default; answers the level removed.
    pub fn delete_config(&self, subject: Option<&str>) -> ApiResult<CompatibilityLevel> {
        let old = self.config(subject, true)?;
        let mut w = self.store.begin();
        w.commit(&[Event::Config {
            subject: subject.map(str::to_string),
            level: None,
            policy: None,
            contract: ConfigContract::default(),
        }])
        .map_err(ApiError::store)?;
        Ok(old)
    }

    /// `GET /mode[/{subject}]`.
    pub fn mode(&self, subject: Option<&str>) -> Mode {
        let state = self.store.read();
        match subject {
            None => state.global_mode.unwrap_or_default(),
            Some(s) => state.mode_for(s),
        }
    }

    /// `GET /mode/{subject}` without `defaultToGlobal`: the subject's own mode, if set.
    pub fn subject_mode(&self, subject: &str) -> Option<Mode> {
        self.store.read().subject_modes.get(subject).copied()
    }

    /// `DELETE /mode/{subject}`: the subject's own mode goes (back to the global one); the
    /// mode it had. None set: 40401, as Confluent's `ModeResource.deleteSubjectMode`.
    pub fn delete_mode(&self, subject: &str) -> ApiResult<Mode> {
        let mut w = self.store.begin();
        let old = w
            .read()
            .subject_modes
            .get(subject)
            .copied()
            .ok_or_else(|| ApiError::subject_not_found(subject))?;
        w.commit(&[Event::Mode {
            subject: Some(subject.to_string()),
            mode: None,
        }])
        .map_err(ApiError::store)?;
        Ok(old)
    }

    /// `PUT /mode[/{subject}]`.
    pub fn set_mode(&self, subject: Option<&str>, mode: Mode) -> ApiResult<Mode> {
        let mut w = self.store.begin();
        w.commit(&[Event::Mode {
            subject: subject.map(str::to_string),
            mode: Some(mode),
        }])
        .map_err(ApiError::store)?;
        Ok(mode)
    }

    /// `POST /compatibility/subjects/{subject}/versions[/{version}]`: `version` `None` checks
    /// against the versions the subject's level names.
    pub fn check_compatibility(
        &self,
        subject: &str,
        version: Option<Version>,
        schema: &Schema,
    ) -> ApiResult<CompatibilityResult> {
        self.check_compatibility_contract(subject, version, schema, &SchemaContract::default())
    }

    /// [`check_compatibility`](Self::check_compatibility) of a schema with Confluent's
    /// `metadata`: with a `compatibilityGroup` in the config, only versions whose metadata
    /// property of that name has the value the request's metadata gives (absent matching
    /// absent) are compared (`isCompatibleWithPrevious`; the request's metadata as given, not
    /// merged with the config or the previous version's).
    pub fn check_compatibility_contract(
        &self,
        subject: &str,
        version: Option<Version>,
        schema: &Schema,
        contract: &SchemaContract,
    ) -> ApiResult<CompatibilityResult> {
        let state = self.store.read();
        let v = validate(&state, schema, false)?;
        let level = state.level_for(subject);
        let against: Vec<VersionEntry> = match version {
            Some(ver) => match find_version(&state, subject, ver, false) {
                Ok(e) => vec![e],
                // Nothing registered yet: anything is compatible.
                Err(e) if e.code == ErrorCode::SubjectNotFound => Vec::new(),
                Err(e) => return Err(e),
            },
            None => state.live_versions(subject),
        };
        let against = match state.contract_for(subject).compatibility_group {
            None => against,
            Some(g) => {
                let value =
                    |md: Option<&Metadata>| md.and_then(|m| m.property(&g)).map(str::to_owned);
                let mine = value(contract.metadata.as_ref());
                against
                    .into_iter()
                    .filter(|e| {
                        state
                            .schemas
                            .get(&e.id)
                            .is_some_and(|s| value(s.metadata.as_ref()) == mine)
                    })
                    .collect()
            }
        };
        if level == CompatibilityLevel::None || against.is_empty() {
            return Ok(CompatibilityResult {
                is_compatible: true,
                messages: Vec::new(),
            });
        }
        // A specific version is checked on its own, with the level's direction.
        let level = if version.is_some() {
            match level {
                CompatibilityLevel::BackwardTransitive => CompatibilityLevel::Backward,
                CompatibilityLevel::ForwardTransitive => CompatibilityLevel::Forward,
                CompatibilityLevel::FullTransitive => CompatibilityLevel::Full,
                l => l,
            }
        } else {
            level
        };
        let policy = state.policy_for(subject);
        let messages = self.compat_messages(&state, level, policy, &against, schema, &v)?;
        Ok(CompatibilityResult {
            is_compatible: messages.is_empty(),
            messages,
        })
    }

    fn compat_messages(
        &self,
        state: &State,
        level: CompatibilityLevel,
        policy: JsonCompatPolicy,
        live: &[VersionEntry],
        schema: &Schema,
        v: &Validated,
    ) -> ApiResult<Vec<String>> {
        let previous: Vec<&VersionEntry> = if level.is_transitive() {
            live.iter().collect()
        } else {
            live.last().into_iter().collect()
        };
        let mut inputs = Vec::new();
        for e in previous {
            let s = state
                .schemas
                .get(&e.id)
                .ok_or_else(|| ApiError::new(ErrorCode::StoreError, "schema vanished"))?;
            if s.schema_type != schema.schema_type {
                return Ok(vec![format!(
                    "Incompatible because of different schema type: version {} is {}, the new schema is {}",
                    e.version, s.schema_type, schema.schema_type
                )]);
            }
            inputs.push(CheckInput {
                schema_type: s.schema_type,
                schema: s.schema.clone(),
                references: resolve_refs(state, &s.references)?,
                label: format!("version {}", e.version),
            });
        }
        let candidate = CheckInput {
            schema_type: schema.schema_type,
            schema: schema.schema.clone(),
            references: v.deps.clone(),
            label: "the new schema".into(),
        };
        self.checker
            .check_with_policy(level, policy, &inputs, &candidate)
            .map_err(|reason| {
                ApiError::new(
                    ErrorCode::InvalidSchema,
                    format!("Invalid schema: {reason}"),
                )
            })
    }

    fn same_schema(
        &self,
        state: &State,
        stored: &StoredSchema,
        t: SchemaType,
        key: &str,
        normalize: bool,
    ) -> bool {
        if stored.schema_type != t {
            return false;
        }
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((canonical, normalized)) = keys.get(&stored.id) {
            return if normalize {
                normalized == key
            } else {
                canonical == key
            };
        }
        let as_schema = Schema {
            schema: stored.schema.clone(),
            schema_type: stored.schema_type,
            references: stored.references.clone(),
        };
        match (
            validate(state, &as_schema, false),
            validate(state, &as_schema, true),
        ) {
            (Ok(c), Ok(n)) => {
                let same = if normalize {
                    n.key == key
                } else {
                    c.key == key
                };
                keys.insert(stored.id, (c.key, n.key));
                same
            }
            _ => false,
        }
    }

    fn writable(&self, state: &State, subject: &str) -> ApiResult<()> {
        if state.mode_for(subject) == Mode::Readonly {
            return Err(ApiError::new(
                ErrorCode::OperationNotPermitted,
                format!("Subject {subject} is in read-only mode"),
            ));
        }
        Ok(())
    }

    /// The Protobuf serialized form (base64 `FileDescriptorProto`) of a stored schema; other
    /// types and already-serialized schemas come back as stored.
    pub fn serialized_form(&self, s: &StoredSchema) -> ApiResult<String> {
        if s.schema_type != SchemaType::Protobuf || decode_serialized(&s.schema).is_some() {
            return Ok(s.schema.clone());
        }
        let state = self.store.read();
        let deps = resolve_refs(&state, &s.references)?;
        let imports: Vec<(&str, &str)> =
            deps.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let parsed = ProtobufSchema::parse(MAIN_PROTO, &s.schema, &imports)
            .map_err(|e| ApiError::new(ErrorCode::InvalidSchema, e.to_string()))?;
        Ok(parsed.serialized())
    }
}

/// Confluent's `maybeSetMetadataRuleSet`: the request's metadata (else the previous
/// version's) over the config's default and under its override, the same for the rule set;
/// `confluent:version`, when the result has it, set to `version`. Whether anything was set.
fn with_config_and_previous(
    config: &ConfigContract,
    contract: &SchemaContract,
    previous: Option<&StoredSchema>,
    version: i32,
) -> (Option<Metadata>, Option<RuleSet>, bool) {
    let specific_metadata = contract
        .metadata
        .as_ref()
        .or_else(|| previous.and_then(|p| p.metadata.as_ref()));
    let mut metadata = merge_metadata(
        merge_metadata(config.default_metadata.as_ref(), specific_metadata).as_ref(),
        config.override_metadata.as_ref(),
    );
    let specific_rules = contract
        .rule_set
        .as_ref()
        .or_else(|| previous.and_then(|p| p.rule_set.as_ref()));
    let rule_set = merge_rule_sets(
        merge_rule_sets(config.default_rule_set.as_ref(), specific_rules).as_ref(),
        config.override_rule_set.as_ref(),
    );
    if let Some(m) = metadata
        .as_mut()
        .filter(|m| m.properties.contains_key(CONFLUENT_VERSION))
    {
        m.properties
            .insert(CONFLUENT_VERSION.to_owned(), version.to_string());
    }
    let modified = metadata.is_some() || rule_set.is_some();
    (metadata, rule_set, modified)
}

fn check_subject(subject: &str) -> ApiResult<()> {
    if subject.is_empty() || subject.chars().any(|c| c.is_control()) {
        return Err(ApiError::new(
            ErrorCode::InvalidSubject,
            format!("Invalid subject {subject:?}"),
        ));
    }
    Ok(())
}

fn registered(subject: &str, e: &VersionEntry, s: &StoredSchema) -> RegisteredSchema {
    RegisteredSchema {
        subject: subject.to_string(),
        version: e.version,
        id: SchemaId(s.id),
        schema: Schema {
            schema: s.schema.clone(),
            schema_type: s.schema_type,
            references: s.references.clone(),
        },
        guid: Some(s.guid.clone()),
    }
}

fn find_version(
    state: &State,
    subject: &str,
    version: Version,
    deleted: bool,
) -> ApiResult<VersionEntry> {
    let vs = state
        .subjects
        .get(subject)
        .filter(|vs| deleted || vs.iter().any(|e| !e.deleted))
        .ok_or_else(|| ApiError::subject_not_found(subject))?;
    let found = match version {
        Version::Latest => vs.iter().rev().find(|e| deleted || !e.deleted),
        Version::Number(n) => vs
            .iter()
            .find(|e| e.version == n && (deleted || !e.deleted)),
    };
    found
        .cloned()
        .ok_or_else(|| ApiError::version_not_found(version))
}

/// Confluent's `ReferenceExistsException` (42206) for `subject` `version`, its message naming
/// the `SchemaKey` as Confluent's does.
fn reference_exists(subject: &str, version: i32) -> ApiError {
    ApiError::new(
        ErrorCode::ReferenceExists,
        format!("One or more references exist to the schema {{magic=1, keytype=SCHEMA, subject={subject}, version={version}}}."),
    )
}

/// The ids of the resolvable schemas whose references name `subject` `version`, ascending
/// (Confluent's `lookupCache.referencesSchema`: a soft-deleted referrer still counts, a
/// permanently deleted one no longer does).
fn referencing(state: &State, subject: &str, version: i32) -> Vec<u32> {
    state
        .schemas
        .values()
        .filter(|s| {
            !state.forgotten.contains(&s.id)
                && s.references
                    .iter()
                    .any(|r| r.subject == subject && r.version == version)
        })
        .map(|s| s.id)
        .collect()
}

/// `(name, text)` of every transitive dependency, dependencies first.
fn resolve_refs(state: &State, refs: &[SchemaReference]) -> ApiResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    resolve_into(state, refs, &mut out, 0)?;
    Ok(out)
}

fn resolve_into(
    state: &State,
    refs: &[SchemaReference],
    out: &mut Vec<(String, String)>,
    depth: usize,
) -> ApiResult<()> {
    if depth > 64 {
        return Err(ApiError::new(
            ErrorCode::InvalidSchema,
            "Invalid schema: references nested too deeply",
        ));
    }
    for r in refs {
        let e =
            find_version(state, &r.subject, Version::Number(r.version), true).map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidSchema,
                    format!(
                        "Invalid schema: reference {} (subject '{}' version {}) is not registered",
                        r.name, r.subject, r.version
                    ),
                )
            })?;
        let s = state
            .schemas
            .get(&e.id)
            .ok_or_else(|| ApiError::new(ErrorCode::StoreError, "schema vanished"))?;
        resolve_into(state, &s.references, out, depth + 1)?;
        if !out.iter().any(|(n, _)| *n == r.name) {
            out.push((r.name.clone(), s.schema.clone()));
        }
    }
    Ok(())
}

/// Parse the schema with its references through its format's provider
/// ([`schemaflow_schema::format`]); the identity key is its canonical form, or its normalized
/// form when `normalize`. An invalid schema is 42201 with the parser's reason (JSON Schema:
/// the keyword and its JSON pointer).
fn validate(state: &State, schema: &Schema, normalize: bool) -> ApiResult<Validated> {
    let deps = resolve_refs(state, &schema.references)?;
    let input = SchemaInput {
        schema_type: schema.schema_type,
        text: schema.schema.clone(),
        references: deps,
        label: "the schema".into(),
    };
    let parsed = format::parse(&input)
        .map_err(|e| ApiError::new(ErrorCode::InvalidSchema, format!("Invalid schema: {e}")))?;
    // Protobuf keeps its text as given (Confluent stores its own printout of the descriptor:
    // not done yet).
    let stored_text = (schema.schema_type != SchemaType::Protobuf).then(|| {
        if normalize {
            parsed.normalized_string().to_string()
        } else {
            parsed.canonical_string().to_string()
        }
    });
    let stored_references = normalize.then(|| normalized_references(&schema.references));
    let refs = stored_references.as_ref().unwrap_or(&schema.references);
    let refs_key = serde_json::to_string(refs).unwrap_or_default();
    Ok(Validated {
        key: format!("{}\u{0}{refs_key}", parsed.identity(normalize)),
        deps: input.references,
        stored_text,
        stored_references,
    })
}

/// Confluent's normalized references (`AvroSchema.normalize` & co.:
/// `references.stream().sorted().distinct()`): ordered by subject, then version (a stable
/// sort: the same subject and version keep their order), each reference once.
fn normalized_references(refs: &[SchemaReference]) -> Vec<SchemaReference> {
    let mut sorted = refs.to_vec();
    sorted.sort_by(|a, b| a.subject.cmp(&b.subject).then(a.version.cmp(&b.version)));
    let mut out: Vec<SchemaReference> = Vec::with_capacity(sorted.len());
    for r in sorted {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}
