//! `CEL_FIELD` rules on JSON Schema values: the schema document walked with each value, as
//! confluent-kafka-python's `common/json_schema.py` `transform` walks it:
//!
//! ```text
//! transform(schema, path, value)            (a null value, or a boolean schema: unchanged)
//!   the current field's type becomes get_type(schema)
//!   "type": [..]        → the first type the value is of, walked with that type alone
//!   allOf/anyOf/oneOf   → allOf: each; oneOf: the first branch the value matches; anyOf: every
//!                         branch it matches; then the sibling properties and items
//!   items               → each item (with the array field's context)
//!   $ref                → the referenced schema (in this document or a reference)
//!   an object with properties (RECORD) → each property present and not null is a field:
//!       name        the property         fullName   <path>.<property>, from "$"
//!       tags        its "confluent:tags" ∪ metadata.tags matched by fullName
//!       message     the object holding it
//!   a string/integer/number/boolean (or enum/const) value of a field the rule's tags select
//!       → the expression; ENUM is not primitive, so it never runs there (as Python)
//! ```
//!
//! Python chooses a `oneOf`/`anyOf` branch (and a type of a type list) by validating the value
//! against it with the `jsonschema` package; here the choice is structural — the JSON type,
//! `const`/`enum`, `required`, the properties present (recursively), `additionalProperties:
//! false`, array items, `allOf`/`anyOf`/`oneOf` — not string formats, patterns or bounds. For
//! the branches schemas usually hold (null or an object; objects told apart by their
//! properties) the choice is the same.

use std::collections::BTreeSet;
use std::sync::Arc;

use cel::Value;
use serde_json::{Map, Value as Json};

use super::cel::{from_cel, to_cel};
use super::field_rule::{FieldRule, FieldView};
use super::fields::{metadata_tags, FieldType};
use crate::codec::json_schema::JsonWriterSchema;
use crate::registry::{Metadata, RuleKind};

/// How deep `$ref`s may nest while checking a branch (a recursive schema ends there).
const MAX_DEPTH: usize = 64;

/// A JSON Schema with its references, as field rules walk it.
#[derive(Debug)]
pub(super) struct JsonFields {
    root: Json,
    /// The references, `(name as registered, document)`.
    references: Vec<(String, Json)>,
    metadata: Option<Metadata>,
}

/// The field a value belongs to (Python's `FieldContext`).
struct FieldCtx {
    name: String,
    full_name: String,
    type_name: FieldType,
    tags: BTreeSet<String>,
    message: Option<Value>,
}

impl JsonFields {
    /// The fields of `schema`, tagged by `metadata` too; `Err` if a reference is not JSON.
    pub fn new(schema: &JsonWriterSchema, metadata: Option<&Metadata>) -> Result<Self, String> {
        let schema = schema.schema();
        let references = schema
            .references()
            .iter()
            .map(|(name, text)| {
                serde_json::from_str(text)
                    .map(|doc| (name.clone(), doc))
                    .map_err(|e| format!("reference {name:?} is not JSON: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(JsonFields {
            root: schema.value().clone(),
            references,
            metadata: metadata.cloned(),
        })
    }

    /// Run `rule` over `value`, transformed in place: `Ok(false)` when a condition failed.
    pub fn walk(&self, rule: &dyn FieldRule, value: &mut Json) -> Result<bool, String> {
        self.transform(rule, &self.root, &self.root, "$", value, None)
    }

    fn transform(
        &self,
        rule: &dyn FieldRule,
        doc: &Json,
        schema: &Json,
        path: &str,
        value: &mut Json,
        mut field: Option<&mut FieldCtx>,
    ) -> Result<bool, String> {
        let Json::Object(s) = schema else {
            return Ok(true);
        };
        if value.is_null() {
            return Ok(true);
        }
        if let Some(f) = field.as_deref_mut() {
            f.type_name = get_type(s);
        }
        if let Some(Json::Array(types)) = s.get("type") {
            if let Some(t) = types.iter().find(|t| type_matches(t, value)) {
                let mut narrowed = s.clone();
                narrowed.insert("type".into(), t.clone());
                return self.transform(rule, doc, &Json::Object(narrowed), path, value, field);
            }
        }
        let (all_of, any_of, one_of) = (s.get("allOf"), s.get("anyOf"), s.get("oneOf"));
        if all_of.is_some() || any_of.is_some() || one_of.is_some() {
            let mut passed = true;
            if let Some(Json::Array(subs)) = all_of {
                for sub in subs {
                    passed &= self.transform(rule, doc, sub, path, value, field.as_deref_mut())?;
                }
            } else if let Some(Json::Array(subs)) = one_of {
                if let Some((d, sub)) = subs.iter().find_map(|sub| self.matching(doc, sub, value)) {
                    passed &= self.transform(rule, d, sub, path, value, field.as_deref_mut())?;
                }
            } else if let Some(Json::Array(subs)) = any_of {
                for sub in subs {
                    if let Some((d, sub)) = self.matching(doc, sub, value) {
                        passed &=
                            self.transform(rule, d, sub, path, value, field.as_deref_mut())?;
                    }
                }
            }
            // The properties and items beside the combinator, at this level too.
            if let Some(Json::Object(props)) = s.get("properties") {
                passed &= self.properties(rule, doc, props, path, value)?;
            }
            if let (Some(items), Json::Array(xs)) = (s.get("items"), &mut *value) {
                for x in xs {
                    self.transform(rule, doc, items, path, x, field.as_deref_mut())?;
                }
            }
            return Ok(passed);
        }
        if let Some(items) = s.get("items") {
            if let Json::Array(xs) = value {
                // An array's items never fail a condition: Python checks the field's own value.
                for x in xs {
                    self.transform(rule, doc, items, path, x, field.as_deref_mut())?;
                }
                return Ok(true);
            }
        }
        if let Some(Json::String(reference)) = s.get("$ref") {
            let (d, sub) = self
                .resolve(doc, reference)
                .ok_or_else(|| format!("$ref {reference:?} does not resolve"))?;
            return self.transform(rule, d, sub, path, value, field);
        }
        match get_type(s) {
            FieldType::Record => match s.get("properties") {
                Some(Json::Object(props)) => self.properties(rule, doc, props, path, value),
                _ => Ok(true),
            },
            FieldType::Enum
            | FieldType::String
            | FieldType::Int
            | FieldType::Double
            | FieldType::Boolean => match field {
                Some(f) => self.leaf(rule, f, value),
                None => Ok(true),
            },
            _ => Ok(true),
        }
    }

    /// Each property of `object` (Python's `_transform_field`).
    fn properties(
        &self,
        rule: &dyn FieldRule,
        doc: &Json,
        props: &Map<String, Json>,
        path: &str,
        object: &mut Json,
    ) -> Result<bool, String> {
        let mut passed = true;
        for (name, prop) in props {
            let Json::Object(p) = prop else { continue };
            let Json::Object(obj) = &*object else {
                return Ok(true);
            };
            if obj.get(name).is_none_or(Json::is_null) {
                continue;
            }
            let full_name = format!("{path}.{name}");
            let mut tags = metadata_tags(self.metadata.as_ref(), &full_name);
            if let Some(Json::Array(own)) = p.get("confluent:tags") {
                tags.extend(own.iter().filter_map(Json::as_str).map(str::to_string));
            }
            let mut ctx = FieldCtx {
                name: name.clone(),
                type_name: get_type(p),
                tags,
                message: rule.needs_message().then(|| to_cel(&*object)),
                full_name,
            };
            let Some(v) = object.as_object_mut().and_then(|o| o.get_mut(name)) else {
                continue;
            };
            let path = ctx.full_name.clone();
            passed &= self.transform(rule, doc, prop, &path, v, Some(&mut ctx))?;
            if !passed {
                return Ok(false);
            }
        }
        Ok(passed)
    }

    fn leaf(
        &self,
        rule: &dyn FieldRule,
        f: &mut FieldCtx,
        value: &mut Json,
    ) -> Result<bool, String> {
        if !rule.selects(f.type_name, &f.tags) {
            return Ok(true);
        }
        let view = FieldView {
            name: &f.name,
            full_name: &f.full_name,
            type_name: f.type_name,
            tags: &f.tags,
        };
        match (
            rule.eval_field(view, to_cel(value), f.message.clone())?,
            rule.kind(),
        ) {
            (None, _) => Ok(true),
            (Some(answer), RuleKind::Condition) => Ok(answer != Value::Bool(false)),
            (Some(answer), RuleKind::Transform) => {
                *value = from_cel(&answer)?;
                Ok(true)
            }
        }
    }

    /// `sub` (resolved, with the document it is in) when `value` matches it.
    fn matching<'a>(
        &'a self,
        doc: &'a Json,
        sub: &'a Json,
        value: &Json,
    ) -> Option<(&'a Json, &'a Json)> {
        let (d, s) = match sub.get("$ref").and_then(Json::as_str) {
            Some(r) => self.resolve(doc, r)?,
            None => (doc, sub),
        };
        self.accepts(d, s, value, 0).then_some((d, s))
    }

    /// The schema `reference` names from `doc`: a JSON pointer fragment in `doc`, or in the
    /// reference registered under the part before `#` (by name, or by its last path segment
    /// when the name was resolved against a base URI).
    fn resolve<'a>(&'a self, doc: &'a Json, reference: &str) -> Option<(&'a Json, &'a Json)> {
        let (uri, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let target = if uri.is_empty() {
            doc
        } else {
            let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
            self.references
                .iter()
                .find(|(name, _)| name == uri)
                .or_else(|| {
                    self.references
                        .iter()
                        .find(|(name, _)| last(name) == last(uri))
                })
                .map(|(_, d)| d)?
        };
        match fragment {
            "" => Some((target, target)),
            pointer if pointer.starts_with('/') => Some((target, target.pointer(pointer)?)),
            _ => None,
        }
    }

    /// Whether `value` matches `schema`, structurally (see the module's note).
    fn accepts(&self, doc: &Json, schema: &Json, value: &Json, depth: usize) -> bool {
        let s = match schema {
            Json::Bool(b) => return *b,
            Json::Object(s) => s,
            _ => return true,
        };
        if depth > MAX_DEPTH {
            return true;
        }
        if let Some(r) = s.get("$ref").and_then(Json::as_str) {
            return match self.resolve(doc, r) {
                Some((d, sub)) => self.accepts(d, sub, value, depth + 1),
                None => false,
            };
        }
        let typed = match s.get("type") {
            Some(Json::Array(types)) => types.iter().any(|t| type_matches(t, value)),
            Some(t) => type_matches(t, value),
            None => true,
        };
        if !typed {
            return false;
        }
        if s.get("const").is_some_and(|c| c != value) {
            return false;
        }
        if let Some(Json::Array(options)) = s.get("enum") {
            if !options.contains(value) {
                return false;
            }
        }
        if let Json::Object(obj) = value {
            if let Some(Json::Array(required)) = s.get("required") {
                if !required
                    .iter()
                    .filter_map(Json::as_str)
                    .all(|k| obj.contains_key(k))
                {
                    return false;
                }
            }
            let props = s.get("properties").and_then(Json::as_object);
            for (k, v) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(p) if !self.accepts(doc, p, v, depth + 1) => return false,
                    Some(_) => {}
                    None if s.get("additionalProperties") == Some(&Json::Bool(false)) => {
                        return false
                    }
                    None => {}
                }
            }
        }
        if let (Json::Array(xs), Some(items @ Json::Object(_))) = (value, s.get("items")) {
            if !xs.iter().all(|x| self.accepts(doc, items, x, depth + 1)) {
                return false;
            }
        }
        let each = |key: &str| -> Vec<bool> {
            match s.get(key) {
                Some(Json::Array(subs)) => subs
                    .iter()
                    .map(|sub| self.accepts(doc, sub, value, depth + 1))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let (all, any, one) = (each("allOf"), each("anyOf"), each("oneOf"));
        all.iter().all(|b| *b)
            && (s.get("anyOf").is_none() || any.iter().any(|b| *b))
            && (s.get("oneOf").is_none() || one.iter().filter(|b| **b).count() == 1)
    }
}

/// Whether `value` is of the JSON Schema type named `t`.
fn type_matches(t: &Json, value: &Json) -> bool {
    match (t.as_str(), value) {
        (Some("null"), Json::Null)
        | (Some("boolean"), Json::Bool(_))
        | (Some("object"), Json::Object(_))
        | (Some("array"), Json::Array(_))
        | (Some("string"), Json::String(_))
        | (Some("number"), Json::Number(_)) => true,
        (Some("integer"), Json::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// Python's `get_type` of a JSON schema object.
fn get_type(s: &Map<String, Json>) -> FieldType {
    if s.get("const").is_some_and(|c| !c.is_null()) || s.get("enum").is_some_and(|e| !e.is_null()) {
        return FieldType::Enum;
    }
    let has_props = || {
        s.get("properties")
            .is_some_and(|p| p.as_object().is_some_and(|o| !o.is_empty()))
    };
    match s.get("type").and_then(Json::as_str) {
        Some("object") if has_props() => FieldType::Record,
        Some("object") => FieldType::Map,
        Some("array") => FieldType::Array,
        Some("string") => FieldType::String,
        Some("integer") => FieldType::Int,
        Some("number") => FieldType::Double,
        Some("boolean") => FieldType::Boolean,
        Some("null") => FieldType::Null,
        _ if s.get("properties").is_some() => FieldType::Record,
        _ => FieldType::Null,
    }
}

/// A JSON Schema's fields for the rule compiler.
pub(super) fn json_fields(
    schema: &JsonWriterSchema,
    metadata: Option<&Metadata>,
) -> Result<Arc<JsonFields>, String> {
    JsonFields::new(schema, metadata).map(Arc::new)
}
