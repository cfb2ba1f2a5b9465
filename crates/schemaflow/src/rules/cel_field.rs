//! The `CEL_FIELD` executor: one expression run per field of the record, following
//! confluent-kafka-python's `CelFieldExecutor` over its format walk (`common/avro.py`
//! `transform`):
//!
//! ```text
//! record → each field present, in schema order (nested records, array items, map values
//!   and the union branch the value is in are walked into)
//!   → a value of a primitive type (Confluent's is_primitive) whose field's tags meet the
//!     rule's tags (a rule without tags: every field) runs the expression with
//!       value     the field's value        name      the field's name
//!       fullName  <record>.<field>         typeName  STRING, INT, … (the union's branch)
//!       tags      the field's tags         message   the record holding the field
//!   → TRANSFORM: the answer replaces the value; CONDITION: `false` fails the record —
//!     only for a field's own value, as Python checks `new_value is False` on the field
//!     (an array of booleans is not false, so its items never fail it)
//! ```
//!
//! `message` is the containing record as it is at that field (earlier fields already
//! transformed), converted per field: only when the expression names `message` at all, as
//! Python binds `now` only when named — a rule on `value` alone pays for the value alone.

use std::collections::BTreeSet;
use std::sync::Arc;

use cel::Value;
use serde_json::Value as Json;

use super::cel::{from_cel, to_cel, CelProgram};
use super::fields::{node_type, Field, FieldTree, Node};
use crate::registry::RuleKind;

/// A compiled `CEL_FIELD` rule over one schema's fields.
#[derive(Debug)]
pub(super) struct CelField {
    program: CelProgram,
    kind: RuleKind,
    /// The rule's tags: the fields it runs on (empty: all).
    tags: BTreeSet<String>,
    /// Whether the expression names `message` (else it is not bound).
    needs_message: bool,
    fields: Arc<FieldTree>,
}

impl CelField {
    /// The rule `expr` of `kind` over the fields of `fields` tagged with one of `tags`.
    pub fn compile(
        expr: &str,
        kind: RuleKind,
        tags: BTreeSet<String>,
        fields: Arc<FieldTree>,
    ) -> Result<CelField, String> {
        Ok(CelField {
            program: CelProgram::compile(expr)?,
            kind,
            tags,
            needs_message: expr.contains("message"),
            fields,
        })
    }

    /// Run over `value` (transformed in place): `Ok(false)` when a condition failed on a
    /// field, `Err` when the expression could not be evaluated or its answer has no JSON form.
    pub fn run(&self, value: &mut Json) -> Result<bool, String> {
        self.walk(&self.fields.root, value, None)
    }

    fn walk(
        &self,
        node: &Node,
        value: &mut Json,
        at: Option<(&Field, Option<&Value>)>,
    ) -> Result<bool, String> {
        match node {
            Node::Union(branches) => match self.fields.branch(branches, value) {
                Some(branch) => self.walk(branch, value, at),
                // No branch holds the value: Python leaves it as it is.
                None => Ok(true),
            },
            Node::Array(items) => {
                if let Json::Array(xs) = value {
                    for x in xs {
                        self.walk(items, x, at)?;
                    }
                }
                Ok(true)
            }
            Node::Map(values) => {
                if let Json::Object(m) = value {
                    for v in m.values_mut() {
                        self.walk(values, v, at)?;
                    }
                }
                Ok(true)
            }
            Node::Record(i) => {
                let (Json::Object(obj), Some(record)) = (value, self.fields.records.get(*i)) else {
                    return Ok(true);
                };
                for field in &record.fields {
                    let message = match self.needs_message && obj.contains_key(&field.name) {
                        true => Some(to_cel(&Json::Object(obj.clone()))),
                        false => None,
                    };
                    let Some(v) = obj.get_mut(&field.name) else {
                        continue;
                    };
                    if !self.walk(&field.node, v, Some((field, message.as_ref())))? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Node::Leaf(_) => {
                let Some((field, message)) = at else {
                    // A schema that is not a record: no field, no rule (as Python).
                    return Ok(true);
                };
                let kind = node_type(node);
                if !kind.is_primitive()
                    || (!self.tags.is_empty() && self.tags.is_disjoint(&field.tags))
                {
                    return Ok(true);
                }
                let tags: Vec<Value> = field
                    .tags
                    .iter()
                    .map(|t| Value::String(Arc::new(t.clone())))
                    .collect();
                let mut vars = vec![
                    ("value", to_cel(value)),
                    ("fullName", Value::String(Arc::new(field.full_name.clone()))),
                    ("name", Value::String(Arc::new(field.name.clone()))),
                    ("typeName", Value::String(Arc::new(kind.name().to_string()))),
                    ("tags", Value::List(Arc::new(tags))),
                ];
                if let Some(m) = message {
                    vars.push(("message", m.clone()));
                }
                match (self.program.eval_vars(vars)?, self.kind) {
                    // The guard was false: the field passes, unchanged.
                    (None, _) => Ok(true),
                    (Some(answer), RuleKind::Condition) => Ok(answer != Value::Bool(false)),
                    (Some(answer), RuleKind::Transform) => {
                        *value = from_cel(&answer)?;
                        Ok(true)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Metadata;
    use serde_json::json;

    const SCHEMA: &str = r#"{"type": "record", "name": "User", "namespace": "com.acme",
      "fields": [
        {"name": "ssn", "type": "string", "confluent:tags": ["PII"]},
        {"name": "age", "type": "int"},
        {"name": "email", "type": ["null", "string"], "default": null},
        {"name": "aliases", "type": {"type": "array", "items": "string"}},
        {"name": "home", "type": ["null", {"type": "record", "name": "Address",
          "fields": [{"name": "street", "type": "string"}]}], "default": null}
      ]}"#;

    fn tree(metadata: Option<&Metadata>) -> Arc<FieldTree> {
        let schema = apache_avro::Schema::parse_str(SCHEMA).unwrap();
        Arc::new(FieldTree::avro(&schema, metadata))
    }

    fn user() -> Json {
        json!({"ssn": "123-45-6789", "age": 30, "email": "a@b.c",
               "aliases": ["al", "bo"], "home": {"street": "1 Main St"}})
    }

    fn tags(t: &[&str]) -> BTreeSet<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_transform_changes_only_the_tagged_fields() {
        let mut metadata = Metadata::default();
        metadata
            .tags
            .insert("**.Address.street".into(), tags(&["PII"]));
        metadata
            .tags
            .insert("com.acme.User.email".into(), tags(&["PII", "CONTACT"]));
        let rule = CelField::compile(
            "typeName == 'STRING' ; 'XXX-' + name + '-' + fullName",
            RuleKind::Transform,
            tags(&["PII"]),
            tree(Some(&metadata)),
        )
        .unwrap();
        let mut v = user();
        assert_eq!(rule.run(&mut v), Ok(true));
        assert_eq!(
            v,
            json!({"ssn": "XXX-ssn-com.acme.User.ssn", "age": 30,
                   "email": "XXX-email-com.acme.User.email", "aliases": ["al", "bo"],
                   "home": {"street": "XXX-street-com.acme.Address.street"}})
        );
        // A null in the nullable field is the NULL branch: the guard skips it.
        let mut v = json!({"ssn": "1", "age": 1, "email": null, "aliases": [], "home": null});
        assert_eq!(rule.run(&mut v), Ok(true));
        assert_eq!(v["email"], Json::Null);
    }

    #[test]
    fn the_bindings_are_confluents() {
        let rule = CelField::compile(
            "name == 'email' ; typeName + ':' + value + ':' + string(message.age) + ':' + string(size(tags))",
            RuleKind::Transform,
            BTreeSet::new(),
            tree(None),
        )
        .unwrap();
        let mut v = user();
        rule.run(&mut v).unwrap();
        // The union's branch is the type: STRING, not COMBINED.
        assert_eq!(v["email"], json!("STRING:a@b.c:30:0"));
        // Array items are walked with the array field's name.
        let items = CelField::compile(
            "name == 'aliases' ; value + '!'",
            RuleKind::Transform,
            BTreeSet::new(),
            tree(None),
        )
        .unwrap();
        let mut v = user();
        items.run(&mut v).unwrap();
        assert_eq!(v["aliases"], json!(["al!", "bo!"]));
    }

    #[test]
    fn a_condition_fails_on_a_field_and_errors_are_errors() {
        let adult = CelField::compile(
            "name == 'age' ; value >= 18",
            RuleKind::Condition,
            BTreeSet::new(),
            tree(None),
        )
        .unwrap();
        assert_eq!(adult.run(&mut user()), Ok(true));
        let mut young = user();
        young["age"] = json!(3);
        assert_eq!(adult.run(&mut young), Ok(false));
        // Items of an array never fail a condition (Python checks the field's own value).
        let items = CelField::compile(
            "name == 'aliases' ; false",
            RuleKind::Condition,
            BTreeSet::new(),
            tree(None),
        )
        .unwrap();
        assert_eq!(items.run(&mut user()), Ok(true));
        let bad = CelField::compile(
            "value.nope",
            RuleKind::Condition,
            tags(&["PII"]),
            tree(None),
        )
        .unwrap();
        assert!(bad.run(&mut user()).is_err());
    }
}
