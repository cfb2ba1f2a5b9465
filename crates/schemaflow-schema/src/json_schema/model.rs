//! A JSON Schema as Confluent's compatibility checker sees it: everit's schema classes
//! (`org.everit.json.schema`: `EmptySchema`/`TrueSchema`, `FalseSchema`, `StringSchema`,
//! `NumberSchema`, `ObjectSchema`, `ArraySchema`, `EnumSchema`, `ConstSchema`, `NotSchema`,
//! `CombinedSchema`, `ReferenceSchema`, `NullSchema`, `BooleanSchema`), built the way everit's
//! `SchemaLoader` builds them, because the diff rules (`json/diff/*SchemaDiff.java`) are
//! defined on those classes:
//!
//! * `type: "string"` (and friends) is one typed schema holding that type's keywords;
//!   `type: [..]` is an `anyOf` of one typed schema per type;
//! * without `type`, each keyword family present (object, array, number, string keywords)
//!   gives an untyped schema of that family;
//! * `enum`, `const`, `not`, `allOf`, `anyOf`, `oneOf`, `$ref` each give their own schema;
//! * one schema from all that is the node itself, several are a synthetic `allOf`, none is the
//!   empty schema; `$id`, `title`, `description` and `default` belong to the node.
//!
//! Nodes live in an arena and a location (document, JSON pointer) is built once, so `$ref`
//! cycles become cycles of node ids and the comparison can recognise a pair it is already
//! comparing (recursive schemas terminate).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::draft::Draft;
use super::uri::{percent_decode, resolve, split_fragment};
use super::InvalidJsonSchema;

/// A node's index in its [`Model`].
pub(crate) type NodeId = usize;

/// How an object (array) treats properties (items) it does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Additional {
    /// `true` or absent: anything.
    Allowed,
    /// `false`: nothing.
    Forbidden,
    /// A schema they must match.
    Schema(NodeId),
}

/// `allOf`, `anyOf` or `oneOf` (everit's `ValidationCriterion`, printed as the keyword).
// Named as the keywords are.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Criterion {
    AllOf,
    AnyOf,
    OneOf,
}

impl Criterion {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Criterion::AllOf => "allOf",
            Criterion::AnyOf => "anyOf",
            Criterion::OneOf => "oneOf",
        }
    }
}

/// `StringSchema`'s compared keywords.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringKind {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<String>,
}

/// `NumberSchema`'s compared keywords (`integer` is `requiresInteger`).
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberKind {
    pub integer: bool,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub multiple_of: Option<f64>,
}

/// `ObjectSchema`'s compared keywords.
#[derive(Debug, Clone)]
pub(crate) struct ObjectKind {
    pub properties: BTreeMap<String, NodeId>,
    pub required: BTreeSet<String>,
    pub additional: Additional,
    /// In document order: the first pattern that matches a name covers it.
    pub pattern_properties: Vec<(String, NodeId)>,
    pub property_dependencies: BTreeMap<String, BTreeSet<String>>,
    pub schema_dependencies: BTreeMap<String, NodeId>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
}

/// `ArraySchema`'s compared keywords.
#[derive(Debug, Clone)]
pub(crate) struct ArrayKind {
    /// `items` as one schema for every item.
    pub all_items: Option<NodeId>,
    /// `items` as a list (2020-12: `prefixItems`).
    pub item_schemas: Vec<NodeId>,
    /// `additionalItems` (2020-12: `items` beside `prefixItems`).
    pub additional: Additional,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
}

/// Which of everit's schema classes a node is, with what its diff compares.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `{}` or `true` (everit's `EmptySchema` and its subclass `TrueSchema`).
    Empty,
    /// `false`.
    False,
    Null,
    Boolean,
    String(StringKind),
    Number(NumberKind),
    Object(Box<ObjectKind>),
    Array(Box<ArrayKind>),
    /// The set of values (duplicates removed, order kept).
    Enum(Vec<Value>),
    Const(Value),
    Not(NodeId),
    Combined(Criterion, Vec<NodeId>),
    /// A `$ref`, resolved.
    Ref(NodeId),
}

impl Kind {
    /// Same everit class (what `original.getClass().equals(update.getClass())` asks).
    pub(crate) fn same_class(&self, other: &Kind) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// One schema node: its kind and the annotations every schema carries.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub id: Option<Value>,
    pub title: Option<Value>,
    pub description: Option<Value>,
    pub default: Option<Value>,
}

impl Node {
    fn bare(kind: Kind) -> Node {
        Node {
            kind,
            id: None,
            title: None,
            description: None,
            default: None,
        }
    }
}

/// A parsed schema with everything it references, as an arena of nodes.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub nodes: Vec<Node>,
    pub root: NodeId,
}

impl Model {
    pub(crate) fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Follow `$ref`s to the schema they name (everit's `ReferenceSchema.getReferredSchema`);
    /// a cycle made only of references is the empty schema's place, reported as itself.
    pub(crate) fn deref(&self, mut id: NodeId) -> NodeId {
        for _ in 0..=self.nodes.len() {
            match self.nodes[id].kind {
                Kind::Ref(target) => id = target,
                _ => return id,
            }
        }
        id
    }
}

/// One document: the main schema (index 0) or a referenced one.
pub(crate) struct Doc<'a> {
    pub value: &'a Value,
    /// Its base URI: its own `$id`, else (for a reference) its name resolved against the main
    /// document's `$id`, as Confluent registers references (`registerSchemaByURI`).
    pub base: String,
    /// A reference's name as the caller gave it (also found by a `$ref` of exactly that name).
    pub name: Option<String>,
}

/// Where an id (or anchor) points: a document, a pointer in it, and the base URI there.
#[derive(Debug, Clone)]
struct Target {
    doc: usize,
    pointer: String,
    base: String,
}

const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
];
const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern", "format"];

/// Build the model of `docs[0]`.
pub(crate) fn build(docs: &[Doc<'_>], draft: Draft) -> Result<Model, InvalidJsonSchema> {
    let mut loader = Loader {
        docs,
        draft,
        nodes: Vec::new(),
        built: HashMap::new(),
        ids: HashMap::new(),
    };
    for (i, doc) in docs.iter().enumerate() {
        let (uri, _) = split_fragment(&doc.base);
        loader.ids.entry(uri.to_string()).or_insert(Target {
            doc: i,
            pointer: String::new(),
            base: doc.base.clone(),
        });
        if let Some(name) = &doc.name {
            loader.ids.entry(name.clone()).or_insert(Target {
                doc: i,
                pointer: String::new(),
                base: doc.base.clone(),
            });
        }
        loader.index(i, doc.value, "", &doc.base);
    }
    let root = loader.load(0, "", &docs[0].base)?;
    Ok(Model {
        nodes: loader.nodes,
        root,
    })
}

struct Loader<'a, 'd> {
    docs: &'a [Doc<'d>],
    draft: Draft,
    nodes: Vec<Node>,
    /// Locations already built (or being built): a `$ref` back to one reuses its node.
    built: HashMap<(usize, String), NodeId>,
    /// Absolute URIs (ids, `uri#anchor`) to where they point.
    ids: HashMap<String, Target>,
}

/// A `pattern` (or `patternProperties` name) must be a regular expression: everit compiles
/// them when it loads a schema, so Confluent refuses a schema with one that does not compile.
/// (The meta-schemas only annotate them with `format: regex`, which meta-validation does not
/// assert.)
fn check_regex(pattern: &str, pointer: &str, keyword: &str) -> Result<(), InvalidJsonSchema> {
    match super::pattern::compile_error(pattern) {
        None => Ok(()),
        Some(e) => Err(InvalidJsonSchema {
            keyword: keyword.to_string(),
            pointer: format!("#{pointer}"),
            reason: format!("{pattern:?} is not a regular expression: {e}"),
        }),
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn as_u64(v: &Map<String, Value>, key: &str) -> Option<u64> {
    // Meta-validation admits `2.0` for an integer keyword in later drafts.
    v.get(key)
        .and_then(|x| x.as_u64().or_else(|| x.as_f64().map(|f| f as u64)))
}

fn as_f64(v: &Map<String, Value>, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

impl Loader<'_, '_> {
    /// The id keyword's value at this object, if it names a base URI (not a `#anchor`).
    fn id_of<'v>(&self, o: &'v Map<String, Value>) -> Option<&'v str> {
        let id = if self.draft.uses_bare_id() {
            o.get("id").or_else(|| o.get("$id"))
        } else {
            o.get("$id").or_else(|| o.get("id"))
        };
        id.and_then(Value::as_str)
    }

    /// Record every `$id` and anchor under `value` (annotations and enum values excluded:
    /// they hold data, not schemas).
    fn index(&mut self, doc: usize, value: &Value, pointer: &str, base: &str) {
        match value {
            Value::Object(o) => {
                let mut base = base.to_string();
                if let Some(id) = self.id_of(o) {
                    let target = |b: &str| Target {
                        doc,
                        pointer: pointer.to_string(),
                        base: b.to_string(),
                    };
                    if id.starts_with('#') {
                        // Draft 6/7 plain-name fragment: an anchor in the current resource.
                        let key = resolve(&base, id);
                        self.ids.entry(key).or_insert_with(|| target(&base));
                    } else {
                        base = resolve(&base, id);
                        let (uri, _) = split_fragment(&base);
                        self.ids
                            .entry(uri.to_string())
                            .or_insert_with(|| target(&base));
                    }
                }
                if let Some(anchor) = o.get("$anchor").and_then(Value::as_str) {
                    let (uri, _) = split_fragment(&base);
                    let key = format!("{uri}#{anchor}");
                    self.ids.entry(key).or_insert(Target {
                        doc,
                        pointer: pointer.to_string(),
                        base: base.clone(),
                    });
                }
                for (k, v) in o {
                    if matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                        continue;
                    }
                    self.index(doc, v, &format!("{pointer}/{}", escape(k)), &base);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    self.index(doc, v, &format!("{pointer}/{i}"), base);
                }
            }
            _ => {}
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The node at `pointer` in `doc` (built once).
    fn load(&mut self, doc: usize, pointer: &str, base: &str) -> Result<NodeId, InvalidJsonSchema> {
        if let Some(&id) = self.built.get(&(doc, pointer.to_string())) {
            return Ok(id);
        }
        let docs = self.docs;
        let value = docs[doc]
            .value
            .pointer(pointer)
            .ok_or_else(|| InvalidJsonSchema {
                keyword: "$ref".into(),
                pointer: format!("#{pointer}"),
                reason: "nothing at this location".into(),
            })?;
        let id = self.push(Node::bare(Kind::Empty));
        self.built.insert((doc, pointer.to_string()), id);
        let node = self.node(doc, value, pointer, base)?;
        self.nodes[id] = node;
        Ok(id)
    }

    fn child(
        &mut self,
        doc: usize,
        pointer: &str,
        base: &str,
        path: &[&str],
    ) -> Result<NodeId, InvalidJsonSchema> {
        let mut p = pointer.to_string();
        for step in path {
            p.push('/');
            p.push_str(&escape(step));
        }
        self.load(doc, &p, base)
    }

    fn node(
        &mut self,
        doc: usize,
        value: &Value,
        pointer: &str,
        base: &str,
    ) -> Result<Node, InvalidJsonSchema> {
        let o = match value {
            Value::Bool(true) => return Ok(Node::bare(Kind::Empty)),
            Value::Bool(false) => return Ok(Node::bare(Kind::False)),
            Value::Object(o) => o,
            // Meta-validation has refused anything else.
            _ => {
                return Err(InvalidJsonSchema {
                    keyword: "type".into(),
                    pointer: format!("#{pointer}"),
                    reason: "a schema must be an object or a boolean".into(),
                })
            }
        };
        let mut base = base.to_string();
        if let Some(id) = self.id_of(o) {
            if !id.starts_with('#') {
                base = resolve(&base, id);
            }
        }
        let mut parts: Vec<Kind> = Vec::new();
        if let Some(r) = o.get("$ref").and_then(Value::as_str) {
            let target = self.resolve_ref(r, &base, pointer)?;
            parts.push(Kind::Ref(target));
            // Up to draft-07 `$ref` stands alone: its siblings are ignored.
            if self.draft <= Draft::Draft7 {
                return Ok(self.annotate(o, Kind::Ref(target)));
            }
        }
        match o.get("type") {
            Some(Value::String(t)) => parts.push(self.typed(t, o, doc, pointer, &base)?),
            Some(Value::Array(types)) => {
                let mut subs = Vec::new();
                for t in types.iter().filter_map(Value::as_str) {
                    let kind = self.typed(t, o, doc, pointer, &base)?;
                    subs.push(self.push(Node::bare(kind)));
                }
                parts.push(Kind::Combined(Criterion::AnyOf, subs));
            }
            _ => {
                let has = |keys: &[&str]| keys.iter().any(|k| o.contains_key(*k));
                if has(OBJECT_KEYWORDS) {
                    parts.push(self.typed("object", o, doc, pointer, &base)?);
                }
                if has(ARRAY_KEYWORDS) {
                    parts.push(self.typed("array", o, doc, pointer, &base)?);
                }
                if has(NUMBER_KEYWORDS) {
                    parts.push(self.typed("number", o, doc, pointer, &base)?);
                }
                if has(STRING_KEYWORDS) {
                    parts.push(self.typed("string", o, doc, pointer, &base)?);
                }
            }
        }
        if let Some(Value::Array(values)) = o.get("enum") {
            let mut set: Vec<Value> = Vec::new();
            for v in values {
                if !set.contains(v) {
                    set.push(v.clone());
                }
            }
            parts.push(Kind::Enum(set));
        }
        if let Some(v) = o.get("const") {
            parts.push(Kind::Const(v.clone()));
        }
        if o.contains_key("not") {
            parts.push(Kind::Not(self.child(doc, pointer, &base, &["not"])?));
        }
        for criterion in [Criterion::AllOf, Criterion::AnyOf, Criterion::OneOf] {
            let Some(Value::Array(subs)) = o.get(criterion.keyword()) else {
                continue;
            };
            // Equal subschemas collapse into one (upstream collects them into a set).
            let mut ids = Vec::new();
            let mut seen: Vec<&Value> = Vec::new();
            for (i, sub) in subs.iter().enumerate() {
                if seen.contains(&sub) {
                    continue;
                }
                seen.push(sub);
                let index = i.to_string();
                ids.push(self.child(doc, pointer, &base, &[criterion.keyword(), &index])?);
            }
            parts.push(Kind::Combined(criterion, ids));
        }
        let kind = match parts.len() {
            0 => Kind::Empty,
            1 => parts.pop().unwrap_or(Kind::Empty),
            _ => {
                let ids = parts
                    .into_iter()
                    .map(|k| self.push(Node::bare(k)))
                    .collect();
                Kind::Combined(Criterion::AllOf, ids)
            }
        };
        Ok(self.annotate(o, kind))
    }

    fn annotate(&self, o: &Map<String, Value>, kind: Kind) -> Node {
        let id = if self.draft.uses_bare_id() {
            o.get("id").or_else(|| o.get("$id"))
        } else {
            o.get("$id").or_else(|| o.get("id"))
        };
        Node {
            kind,
            id: id.cloned(),
            title: o.get("title").cloned(),
            description: o.get("description").cloned(),
            default: o.get("default").cloned(),
        }
    }

    /// The typed schema for `t`, from the keywords of its family.
    fn typed(
        &mut self,
        t: &str,
        o: &Map<String, Value>,
        doc: usize,
        pointer: &str,
        base: &str,
    ) -> Result<Kind, InvalidJsonSchema> {
        Ok(match t {
            "string" => {
                let pattern = o.get("pattern").and_then(Value::as_str);
                if let Some(p) = pattern {
                    check_regex(p, &format!("{pointer}/pattern"), "pattern")?;
                }
                Kind::String(StringKind {
                    min_length: as_u64(o, "minLength"),
                    max_length: as_u64(o, "maxLength"),
                    pattern: pattern.map(str::to_string),
                })
            }
            "number" | "integer" => {
                // Draft 4's `exclusiveMaximum: true` qualifies `maximum`; only later drafts'
                // numeric form is a limit of its own (everit's `exclusiveMaximumLimit`).
                let limit = |k: &str| o.get(k).filter(|v| v.is_number()).and_then(Value::as_f64);
                Kind::Number(NumberKind {
                    integer: t == "integer",
                    minimum: as_f64(o, "minimum"),
                    maximum: as_f64(o, "maximum"),
                    exclusive_minimum: limit("exclusiveMinimum"),
                    exclusive_maximum: limit("exclusiveMaximum"),
                    multiple_of: as_f64(o, "multipleOf"),
                })
            }
            "boolean" => Kind::Boolean,
            "null" => Kind::Null,
            "object" => Kind::Object(Box::new(self.object(o, doc, pointer, base)?)),
            "array" => Kind::Array(Box::new(self.array(o, doc, pointer, base)?)),
            // Meta-validation refuses any other type name.
            _ => Kind::Empty,
        })
    }

    fn additional(
        &mut self,
        o: &Map<String, Value>,
        key: &str,
        doc: usize,
        pointer: &str,
        base: &str,
    ) -> Result<Additional, InvalidJsonSchema> {
        Ok(match o.get(key) {
            None | Some(Value::Bool(true)) => Additional::Allowed,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(_) => Additional::Schema(self.child(doc, pointer, base, &[key])?),
        })
    }

    fn object(
        &mut self,
        o: &Map<String, Value>,
        doc: usize,
        pointer: &str,
        base: &str,
    ) -> Result<ObjectKind, InvalidJsonSchema> {
        let mut properties = BTreeMap::new();
        if let Some(Value::Object(props)) = o.get("properties") {
            for name in props.keys() {
                properties.insert(
                    name.clone(),
                    self.child(doc, pointer, base, &["properties", name])?,
                );
            }
        }
        let mut pattern_properties = Vec::new();
        if let Some(Value::Object(props)) = o.get("patternProperties") {
            for pattern in props.keys() {
                check_regex(
                    pattern,
                    &format!("{pointer}/patternProperties/{}", escape(pattern)),
                    "patternProperties",
                )?;
                let id = self.child(doc, pointer, base, &["patternProperties", pattern])?;
                pattern_properties.push((pattern.clone(), id));
            }
        }
        let required = match o.get("required") {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => BTreeSet::new(),
        };
        let mut property_dependencies = BTreeMap::new();
        let mut schema_dependencies = BTreeMap::new();
        for key in ["dependencies", "dependentRequired", "dependentSchemas"] {
            let Some(Value::Object(deps)) = o.get(key) else {
                continue;
            };
            for (name, dep) in deps {
                match dep {
                    Value::Array(names) => {
                        property_dependencies.insert(
                            name.clone(),
                            names
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect(),
                        );
                    }
                    _ => {
                        let id = self.child(doc, pointer, base, &[key, name])?;
                        schema_dependencies.insert(name.clone(), id);
                    }
                }
            }
        }
        Ok(ObjectKind {
            properties,
            required,
            additional: self.additional(o, "additionalProperties", doc, pointer, base)?,
            pattern_properties,
            property_dependencies,
            schema_dependencies,
            min_properties: as_u64(o, "minProperties"),
            max_properties: as_u64(o, "maxProperties"),
        })
    }

    fn array(
        &mut self,
        o: &Map<String, Value>,
        doc: usize,
        pointer: &str,
        base: &str,
    ) -> Result<ArrayKind, InvalidJsonSchema> {
        let mut all_items = None;
        let mut item_schemas = Vec::new();
        let additional;
        if let Some(Value::Array(prefix)) = o.get("prefixItems") {
            for i in 0..prefix.len() {
                let index = i.to_string();
                item_schemas.push(self.child(doc, pointer, base, &["prefixItems", &index])?);
            }
            // 2020-12: `items` beside `prefixItems` is what `additionalItems` was.
            additional = self.additional(o, "items", doc, pointer, base)?;
        } else {
            match o.get("items") {
                // 2020-12 without `prefixItems`: a boolean `items` says whether any item may
                // be there at all, as `additionalItems` did (upstream's 2020-12 examples:
                // "Detect removed boolean additional items" on `items: true` → `false`).
                Some(Value::Bool(_)) if self.draft == Draft::Draft202012 => {
                    additional = self.additional(o, "items", doc, pointer, base)?;
                    return Ok(ArrayKind {
                        all_items,
                        item_schemas,
                        additional,
                        min_items: as_u64(o, "minItems"),
                        max_items: as_u64(o, "maxItems"),
                        unique_items: o
                            .get("uniqueItems")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    });
                }
                Some(Value::Array(items)) => {
                    for i in 0..items.len() {
                        let index = i.to_string();
                        item_schemas.push(self.child(doc, pointer, base, &["items", &index])?);
                    }
                }
                Some(_) => all_items = Some(self.child(doc, pointer, base, &["items"])?),
                None => {}
            }
            additional = self.additional(o, "additionalItems", doc, pointer, base)?;
        }
        Ok(ArrayKind {
            all_items,
            item_schemas,
            additional,
            min_items: as_u64(o, "minItems"),
            max_items: as_u64(o, "maxItems"),
            unique_items: o
                .get("uniqueItems")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// The node a `$ref` names: within the document, another document (by its reference
    /// name or `$id`), or an anchor.
    fn resolve_ref(
        &mut self,
        reference: &str,
        base: &str,
        pointer: &str,
    ) -> Result<NodeId, InvalidJsonSchema> {
        let unresolved = |why: &str| InvalidJsonSchema {
            keyword: "$ref".into(),
            pointer: format!("#{pointer}/$ref"),
            reason: format!("{reference:?} {why}"),
        };
        let absolute = resolve(base, reference);
        let (uri, fragment) = split_fragment(&absolute);
        let resource = self
            .ids
            .get(uri)
            // A reference given by its bare name, whatever the base.
            .or_else(|| self.ids.get(split_fragment(reference).0))
            .cloned()
            .ok_or_else(|| unresolved("names no schema of this document or of its references"))?;
        let target = if fragment.is_empty() {
            resource
        } else if fragment.starts_with('/') {
            Target {
                pointer: format!("{}{}", resource.pointer, percent_decode(fragment)),
                ..resource
            }
        } else {
            self.ids
                .get(&format!("{uri}#{fragment}"))
                .cloned()
                .ok_or_else(|| unresolved("names an anchor that is not defined"))?
        };
        if self.docs[target.doc]
            .value
            .pointer(&target.pointer)
            .is_none()
        {
            return Err(unresolved("points at nothing"));
        }
        self.load(target.doc, &target.pointer, &target.base)
    }
}
