//! Between the registry and the codecs: registering a generated type's schema (references
//! first, recursively) and turning a schema id into a parsed writer schema.

use std::sync::Arc;

use moka::future::Cache;

use super::cache::CachedRegistry;
use super::migrations::{Migration, ReaderVersion, SchemaLookup};
pub use super::readable_schema::ReadableSchema;
use super::types::{Schema, SchemaReference, Version};
use crate::codec::avro::AvroSchema;
use crate::codec::json_schema::JsonWriterSchema;
use crate::codec::protobuf::ProtobufSchema;
use crate::codec::WriterSchema;
use crate::error::{Error, Result};
use crate::rules::{Direction, DomainRules, RuleTarget};
use crate::wire::{HeaderSchemaId, SchemaId};
use crate::SchemaError;
use crate::{GeneratedReference, GeneratedSchema, SchemaType};
use schemaflow_schema::json_schema::JsonSchema;

/// Register `T`'s schema under `subject`: each reference first (under a subject named as the
/// reference, Confluent's default), then `T` with those references. Answers `T`'s id.
pub async fn register_generated<T: GeneratedSchema>(
    registry: &CachedRegistry,
    subject: &str,
    normalize: bool,
) -> Result<SchemaId> {
    let refs = register_references(registry, T::REFERENCES, normalize).await?;
    let schema = Schema {
        schema: T::SCHEMA_TEXT.to_string(),
        schema_type: T::SCHEMA_TYPE,
        references: refs,
    };
    Ok(registry.register(subject, &schema, normalize).await?)
}

/// The schema `T` would be registered as (with references at the versions they have now),
/// without registering anything: for look-ups.
pub async fn generated_schema<T: GeneratedSchema>(
    registry: &CachedRegistry,
    normalize: bool,
) -> Result<Schema> {
    let mut refs = Vec::new();
    for r in T::REFERENCES {
        let schema = reference_schema(registry, r, normalize).await?;
        let found = registry.lookup(r.name, &schema, normalize).await?;
        refs.push(SchemaReference {
            name: r.name.to_string(),
            subject: r.name.to_string(),
            version: found.version,
        });
    }
    Ok(Schema {
        schema: T::SCHEMA_TEXT.to_string(),
        schema_type: T::SCHEMA_TYPE,
        references: refs,
    })
}

async fn reference_schema(
    registry: &CachedRegistry,
    r: &GeneratedReference,
    normalize: bool,
) -> Result<Schema> {
    let refs = Box::pin(register_references(registry, r.references, normalize)).await?;
    Ok(Schema {
        schema: r.schema_text.to_string(),
        schema_type: r.schema_type,
        references: refs,
    })
}

async fn register_references(
    registry: &CachedRegistry,
    refs: &'static [GeneratedReference],
    normalize: bool,
) -> Result<Vec<SchemaReference>> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let schema = reference_schema(registry, r, normalize).await?;
        registry.register(r.name, &schema, normalize).await?;
        let found = registry.lookup(r.name, &schema, normalize).await?;
        out.push(SchemaReference {
            name: r.name.to_string(),
            subject: r.name.to_string(),
            version: found.version,
        });
    }
    Ok(out)
}

/// Ids kept on the lock-only hot path of [`SchemaResolver`]; more stay in the moka cache.
const HOT_SCHEMAS: usize = 1024;

/// The writer schema of the last id looked up, kept for a run of records (nearly always of
/// one id): a record of the same id as the one before it skips [`SchemaResolver`]'s shared
/// map (a lock, a hash and two reference counts a record: ~3% of a small record's consume).
#[derive(Debug, Default)]
pub struct SchemaMemo {
    last: Option<(SchemaId, ReadableSchema)>,
}

impl SchemaMemo {
    /// [`SchemaResolver::readable`], answered from the memo when `id` is the last id.
    pub async fn readable(
        &mut self,
        resolver: &SchemaResolver,
        id: SchemaId,
    ) -> Result<&ReadableSchema> {
        match &mut self.last {
            Some((last, _)) if *last == id => {}
            slot => *slot = Some((id, resolver.readable(id).await?)),
        }
        match &self.last {
            Some((_, readable)) => Ok(readable),
            // Set just above.
            None => unreachable!("the memo holds the id just looked up"),
        }
    }
}

/// Schema id → parsed writer schema (and its READ rules), with references fetched
/// recursively; cached per id.
#[derive(Clone)]
pub struct SchemaResolver {
    registry: CachedRegistry,
    parsed: Cache<u32, ReadableSchema>,
    /// The hot path: ids already parsed, behind a plain lock (a consumer sees a handful of ids;
    /// moka's async look-up costs more than the decode of a small record). Bounded.
    hot: Arc<std::sync::RwLock<std::collections::HashMap<u32, ReadableSchema>>>,
    guids: Cache<uuid::Uuid, SchemaId>,
    /// Whether JSON Schema writer schemas validate what they decode (Confluent's `validate`).
    validate_json: bool,
    /// The version records are read as (migrations between it and each writer's).
    reader: ReaderVersion,
    /// (writer id, subject) → its migration to the reader version (`None`: read as written).
    migrations: Cache<(u32, String), Option<Arc<Migration>>>,
}

impl std::fmt::Debug for SchemaResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaResolver")
            .field("cached", &self.parsed.entry_count())
            .finish()
    }
}

impl SchemaResolver {
    /// Resolve through `registry`.
    pub fn new(registry: CachedRegistry) -> Self {
        SchemaResolver {
            registry,
            parsed: Cache::new(10_000),
            hot: Default::default(),
            guids: Cache::new(10_000),
            validate_json: true,
            reader: ReaderVersion::Writer,
            migrations: Cache::new(10_000),
        }
    }

    /// Read records as `reader` (Confluent's `use.latest.version` /
    /// `use.latest.with.metadata`): a record of another version is migrated by the migration
    /// rules between the two. Default: [`ReaderVersion::Writer`], no migration.
    pub fn reader_version(mut self, reader: ReaderVersion) -> Self {
        self.reader = reader;
        self
    }

    /// Whether a reader version is set (records may be migrated).
    pub fn migrates(&self) -> bool {
        self.reader != ReaderVersion::Writer
    }

    /// The migration of records of schema `id` under `subject` to the reader version;
    /// `None` (at no cost when no reader version is set) when they are read as written.
    pub async fn migration(&self, id: SchemaId, subject: &str) -> Result<Option<Arc<Migration>>> {
        if self.reader == ReaderVersion::Writer {
            return Ok(None);
        }
        self.migrations
            .try_get_with(
                (id.0, subject.to_string()),
                super::migrations::plan(self, subject, id, &self.reader),
            )
            .await
            .map_err(|e| (*e).clone())
    }

    /// Whether values of JSON Schema records are checked against their writer schema when
    /// decoded (Confluent's `validate` for a deserializer). Default: true. Set it before the
    /// first look-up: writer schemas are cached with it.
    pub fn validate_json(mut self, validate: bool) -> Self {
        self.validate_json = validate;
        self
    }

    /// The registry used.
    pub fn registry(&self) -> &CachedRegistry {
        &self.registry
    }

    /// The parsed writer schema of `id`.
    pub async fn writer_schema(&self, id: SchemaId) -> Result<WriterSchema> {
        Ok(self.readable(id).await?.schema)
    }

    /// The parsed writer schema of `id` with its READ rules. A rule that cannot be used (its
    /// CEL does not compile) is an error here, at the first record of the schema.
    pub async fn readable(&self, id: SchemaId) -> Result<ReadableSchema> {
        if let Some(w) = self.hot.read().ok().and_then(|h| h.get(&id.0).cloned()) {
            return Ok(w);
        }
        let w = self
            .parsed
            .try_get_with(id.0, self.load(id))
            .await
            .map_err(|e| (*e).clone())?;
        if let Ok(mut h) = self.hot.write() {
            if h.len() < HOT_SCHEMAS {
                h.insert(id.0, w.clone());
            }
        }
        Ok(w)
    }

    /// The schema id a header-carried id names: the id itself, or the id of a GUID
    /// (`GET /schemas/guids/{guid}`, cached; errors are not cached).
    pub async fn header_schema_id(&self, header: HeaderSchemaId) -> Result<SchemaId> {
        match header {
            HeaderSchemaId::Id(id) => Ok(id),
            HeaderSchemaId::Guid(guid) => self
                .guids
                .try_get_with(guid, async {
                    let (id, _) = self
                        .registry
                        .client()
                        .schema_by_guid(&guid.to_string())
                        .await?;
                    Ok::<_, Error>(id)
                })
                .await
                .map_err(|e| (*e).clone()),
        }
    }

    async fn load(&self, id: SchemaId) -> Result<ReadableSchema> {
        let fetched = self.registry.schema_by_id(id).await?;
        let schema = self.parse(id, &fetched.schema).await?;
        let target = RuleTarget {
            schema: &schema,
            metadata: fetched.metadata.as_ref(),
        };
        let read_rules = DomainRules::compile_for(
            fetched.rule_set.as_ref(),
            Some(target),
            Direction::Read,
            &format!("schema id {}", id.0),
        )?;
        Ok(ReadableSchema { schema, read_rules })
    }

    async fn parse(&self, id: SchemaId, schema: &Schema) -> Result<WriterSchema> {
        let mut deps = Vec::new();
        self.references(&schema.references, &mut deps, 0).await?;
        match schema.schema_type {
            SchemaType::Avro => {
                let texts: Vec<&str> = deps.iter().map(|(_, t)| t.as_str()).collect();
                Ok(WriterSchema::Avro(Arc::new(AvroSchema::parse(
                    &schema.schema,
                    &texts,
                )?)))
            }
            SchemaType::Protobuf => {
                let imports: Vec<(&str, &str)> =
                    deps.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
                let name = format!("schema-{}.proto", id.0);
                Ok(WriterSchema::Protobuf(Arc::new(ProtobufSchema::parse(
                    &name,
                    &schema.schema,
                    &imports,
                )?)))
            }
            // Parsed here (without the `json-schema` feature, parsing is an error saying so:
            // the record's fault for this consumer, dead-lettered); the validator is compiled
            // on first use and cached with the schema, per id.
            SchemaType::Json => {
                let name = format!("schema id {}", id.0);
                let parsed = JsonSchema::parse(&name, &schema.schema, &deps)?;
                Ok(WriterSchema::Json(Arc::new(
                    JsonWriterSchema::with_validation(parsed, self.validate_json),
                )))
            }
        }
    }

    async fn references(
        &self,
        refs: &[SchemaReference],
        out: &mut Vec<(String, String)>,
        depth: usize,
    ) -> Result<()> {
        if depth > 32 {
            return Err(SchemaError::ParseAvroSchema {
                name: "references".into(),
                reason: "nested too deeply".into(),
            }
            .into());
        }
        for r in refs {
            if out.iter().any(|(n, _)| *n == r.name) {
                continue;
            }
            let dep = self
                .registry
                .version(&r.subject, Version::Number(r.version))
                .await?;
            Box::pin(self.references(&dep.schema.references, out, depth + 1)).await?;
            out.push((r.name.clone(), dep.schema.schema.clone()));
        }
        Ok(())
    }
}

impl SchemaLookup for SchemaResolver {
    fn registry(&self) -> &CachedRegistry {
        SchemaResolver::registry(self)
    }

    async fn readable(&self, id: SchemaId) -> Result<ReadableSchema> {
        SchemaResolver::readable(self, id).await
    }
}
