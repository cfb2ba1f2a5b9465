//! The `CEL_FIELD` executor: one expression run per field of the record, following
//! confluent-kafka-python's `CelFieldExecutor` over its format walk (`common/avro.py`,
//! `common/protobuf.py` `transform`; JSON Schema's in `cel_field_json.rs`). The Avro walk:
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
//!
//! Protobuf records walk the same tree (`fields_protobuf.rs`), with what Python's walk does
//! differently: fields are looked up by their JSON names, a field without presence that is
//! absent is its default (and the rule runs on it), values and `message` are bound as
//! Python's CEL binds a message's (64-bit integers as numbers, enums as numbers, bytes as
//! bytes, `message` keyed by field name with every field).

use std::collections::BTreeSet;
use std::sync::Arc;

use cel::Value;
use serde_json::Value as Json;

use super::cel::{from_cel, to_cel, CelProgram};
use super::cel_field_json::JsonFields;
use super::field_rule::{FieldRule, FieldView};
use super::fields::{node_type, Field, FieldTree, FieldType, Node};
use super::fields_protobuf::{record_to_cel, scalar_from_cel, scalar_to_cel};
use crate::registry::RuleKind;

/// What a field rule walks: a field tree (Avro, Protobuf), or a JSON Schema document, walked
/// with each value as Python walks it (`cel_field_json.rs`).
#[derive(Debug, Clone)]
pub(super) enum FieldSource {
    /// The fields of an Avro or Protobuf schema.
    Tree(Arc<FieldTree>),
    /// A JSON Schema.
    Json(Arc<JsonFields>),
}

/// A compiled `CEL_FIELD` rule over one schema's fields.
#[derive(Debug)]
pub(super) struct CelField {
    program: CelProgram,
    kind: RuleKind,
    /// The rule's tags: the fields it runs on (empty: all).
    tags: BTreeSet<String>,
    /// Whether the expression names `message` (else it is not bound).
    needs_message: bool,
    fields: FieldSource,
    /// For a field tree: by record, by field, whether the rule can run anywhere under the
    /// field (see `live_fields`); the walk skips the others. Empty for JSON Schema.
    live: Vec<Vec<bool>>,
}

impl CelField {
    /// The rule `expr` of `kind` over the fields of `fields` tagged with one of `tags`.
    pub fn compile(
        expr: &str,
        kind: RuleKind,
        tags: BTreeSet<String>,
        fields: FieldSource,
    ) -> Result<CelField, String> {
        let mut rule = CelField {
            program: CelProgram::compile(expr)?,
            kind,
            tags,
            needs_message: expr.contains("message"),
            fields,
            live: Vec::new(),
        };
        if let FieldSource::Tree(tree) = &rule.fields {
            rule.live = live_fields(tree, |t, tags| rule.selects(t, tags));
        }
        Ok(rule)
    }

    /// Run over `value` (transformed in place): `Ok(false)` when a condition failed on a
    /// field, `Err` when the expression could not be evaluated or its answer has no JSON form.
    /// `message` names the Protobuf message of the record when the caller knows it.
    #[cfg(test)]
    pub fn run(&self, value: &mut Json, message: Option<&str>) -> Result<bool, String> {
        self.run_tracked(value, message, &mut false)
    }

    /// [`CelField::run`], setting `changed` when a transform wrote a value that differs from
    /// the one it replaced (a JSON Schema walk sets it whenever the rule is a transform: that
    /// walk does not track its writes), so that an unchanged record need not be re-encoded.
    pub fn run_tracked(
        &self,
        value: &mut Json,
        message: Option<&str>,
        changed: &mut bool,
    ) -> Result<bool, String> {
        match &self.fields {
            FieldSource::Tree(tree) => match tree.root_for(value, message) {
                Some(record) => self.walk(tree, &Node::Record(record), value, None, changed),
                None => self.walk(tree, &tree.root, value, None, changed),
            },
            FieldSource::Json(json) => {
                *changed |= self.kind == RuleKind::Transform;
                json.walk(self as &dyn FieldRule, value)
            }
        }
    }

    /// Whether the rule runs on a field of `type_name` tagged `tags` (`is_primitive` and the
    /// rule's tags, as Python's `transform` and `CelFieldExecutor` decide).
    pub(super) fn selects(&self, type_name: FieldType, tags: &BTreeSet<String>) -> bool {
        type_name.is_primitive() && (self.tags.is_empty() || !self.tags.is_disjoint(tags))
    }

    /// Run the expression on one field's value with Confluent's bindings: the answer, or
    /// `None` when the guard was false (the field passes unchanged). The caller judges a
    /// condition's answer and writes a transform's back.
    pub(super) fn eval_field(
        &self,
        field: FieldView<'_>,
        value: Value,
        message: Option<Value>,
    ) -> Result<Option<Value>, String> {
        let tags: Vec<Value> = field
            .tags
            .iter()
            .map(|t| Value::String(Arc::new(t.clone())))
            .collect();
        let mut vars = vec![
            ("value", value),
            (
                "fullName",
                Value::String(Arc::new(field.full_name.to_string())),
            ),
            ("name", Value::String(Arc::new(field.name.to_string()))),
            (
                "typeName",
                Value::String(Arc::new(field.type_name.name().to_string())),
            ),
            ("tags", Value::List(Arc::new(tags))),
        ];
        if let Some(m) = message {
            vars.push(("message", m));
        }
        self.program.eval_vars(vars)
    }

    /// The rule's kind.
    pub(super) fn kind(&self) -> RuleKind {
        self.kind
    }

    /// Whether `message` is bound.
    pub(super) fn needs_message(&self) -> bool {
        self.needs_message
    }

    fn walk(
        &self,
        tree: &FieldTree,
        node: &Node,
        value: &mut Json,
        at: Option<(&Field, Option<&Value>)>,
        changed: &mut bool,
    ) -> Result<bool, String> {
        match node {
            Node::Union(branches) => match tree.branch(branches, value) {
                Some(branch) => self.walk(tree, branch, value, at, changed),
                // No branch holds the value: Python leaves it as it is.
                None => Ok(true),
            },
            Node::Array(items) => {
                if let Json::Array(xs) = value {
                    for x in xs {
                        self.walk(tree, items, x, at, changed)?;
                    }
                }
                Ok(true)
            }
            Node::Map(values) => {
                if let Json::Object(m) = value {
                    for v in m.values_mut() {
                        self.walk(tree, values, v, at, changed)?;
                    }
                }
                Ok(true)
            }
            Node::Record(i) => {
                let (Json::Object(obj), Some(record)) = (value, tree.records.get(*i)) else {
                    return Ok(true);
                };
                let live = self.live.get(*i).map_or(&[][..], Vec::as_slice);
                for (n, field) in record.fields.iter().enumerate() {
                    // No field under this one is selected: nothing to run, nothing to bind.
                    if !live.get(n).copied().unwrap_or(true) {
                        continue;
                    }
                    let key = field.key();
                    let present = obj.contains_key(key);
                    // A Protobuf field without presence that is absent holds its default:
                    // Python reads it (getattr) and runs the rule on it.
                    let default = match &field.proto {
                        Some(p) if !present && !p.presence => Some(p),
                        _ => None,
                    };
                    if !present && default.is_none() {
                        continue;
                    }
                    let message = match self.needs_message {
                        true if field.proto.is_some() => Some(record_to_cel(tree, *i, obj)),
                        true => Some(to_cel(&Json::Object(obj.clone()))),
                        false => None,
                    };
                    let at = Some((field, message.as_ref()));
                    let passed = match (obj.get_mut(key), default) {
                        (Some(v), _) => self.walk(tree, &field.node, v, at, changed)?,
                        (None, Some(p)) => {
                            let before = scalar_from_cel(p, &p.default)?;
                            let mut v = before.clone();
                            let passed = self.walk(tree, &field.node, &mut v, at, changed)?;
                            // The default written back only when the rule changed it: the
                            // JSON mapping leaves defaults out, and so does the encoding.
                            if v != before {
                                obj.insert(key.to_string(), v);
                            }
                            passed
                        }
                        (None, None) => true,
                    };
                    if !passed {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Node::Leaf(_) | Node::Opaque(..) => {
                let Some((field, message)) = at else {
                    // A schema that is not a record: no field, no rule (as Python).
                    return Ok(true);
                };
                let kind = node_type(node);
                if !self.selects(kind, &field.tags) {
                    return Ok(true);
                }
                if let Node::Opaque(_, reason) = node {
                    return Err((*reason).to_string());
                }
                let cel_value = match &field.proto {
                    Some(p) => scalar_to_cel(p, value)?,
                    None => to_cel(value),
                };
                let view = FieldView {
                    name: &field.name,
                    full_name: &field.full_name,
                    type_name: kind,
                    tags: &field.tags,
                };
                match (
                    self.eval_field(view, cel_value, message.cloned())?,
                    self.kind,
                ) {
                    // The guard was false: the field passes, unchanged.
                    (None, _) => Ok(true),
                    (Some(answer), RuleKind::Condition) => Ok(answer != Value::Bool(false)),
                    (Some(answer), RuleKind::Transform) => {
                        let new = match &field.proto {
                            Some(p) => scalar_from_cel(p, &answer)?,
                            None => from_cel(&answer)?,
                        };
                        if *value != new {
                            *value = new;
                            *changed = true;
                        }
                        Ok(true)
                    }
                }
            }
        }
    }
}

/// By record of `tree`, by field: whether `selects` takes some value under the field — a
/// value of the field itself (through arrays, maps and union branches, which keep the field's
/// tags) or a field of a record it holds. The least fixed point, as records may recurse: a
/// record is live only when a finite path from it reaches a selected value.
fn live_fields(
    tree: &FieldTree,
    selects: impl Fn(FieldType, &BTreeSet<String>) -> bool,
) -> Vec<Vec<bool>> {
    fn reaches(
        node: &Node,
        tags: &BTreeSet<String>,
        records: &[bool],
        selects: &dyn Fn(FieldType, &BTreeSet<String>) -> bool,
    ) -> bool {
        match node {
            Node::Leaf(t) | Node::Opaque(t, _) => selects(*t, tags),
            Node::Array(n) | Node::Map(n) => reaches(n, tags, records, selects),
            Node::Union(branches) => branches.iter().any(|n| reaches(n, tags, records, selects)),
            Node::Record(i) => records.get(*i).copied().unwrap_or(true),
        }
    }
    let mut records = vec![false; tree.records.len()];
    let mut live: Vec<Vec<bool>>;
    loop {
        live = tree
            .records
            .iter()
            .map(|r| {
                r.fields
                    .iter()
                    .map(|f| reaches(&f.node, &f.tags, &records, &selects))
                    .collect()
            })
            .collect();
        let next: Vec<bool> = live.iter().map(|fields| fields.contains(&true)).collect();
        if next == records {
            return live;
        }
        records = next;
    }
}

impl FieldRule for CelField {
    fn kind(&self) -> RuleKind {
        CelField::kind(self)
    }

    fn needs_message(&self) -> bool {
        CelField::needs_message(self)
    }

    fn selects(&self, type_name: FieldType, tags: &BTreeSet<String>) -> bool {
        CelField::selects(self, type_name, tags)
    }

    fn eval_field(
        &self,
        field: FieldView<'_>,
        value: Value,
        message: Option<Value>,
    ) -> Result<Option<Value>, String> {
        CelField::eval_field(self, field, value, message)
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

    fn tree(metadata: Option<&Metadata>) -> FieldSource {
        let schema = apache_avro::Schema::parse_str(SCHEMA).unwrap();
        FieldSource::Tree(Arc::new(FieldTree::avro(&schema, metadata)))
    }

    fn user() -> Json {
        json!({"ssn": "123-45-6789", "age": 30, "email": "a@b.c",
               "aliases": ["al", "bo"], "home": {"street": "1 Main St"}})
    }

    impl CelField {
        fn run_avro(&self, value: &mut Json) -> Result<bool, String> {
            self.run(value, None)
        }
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
        assert_eq!(rule.run_avro(&mut v), Ok(true));
        assert_eq!(
            v,
            json!({"ssn": "XXX-ssn-com.acme.User.ssn", "age": 30,
                   "email": "XXX-email-com.acme.User.email", "aliases": ["al", "bo"],
                   "home": {"street": "XXX-street-com.acme.Address.street"}})
        );
        // A null in the nullable field is the NULL branch: the guard skips it.
        let mut v = json!({"ssn": "1", "age": 1, "email": null, "aliases": [], "home": null});
        assert_eq!(rule.run_avro(&mut v), Ok(true));
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
        rule.run_avro(&mut v).unwrap();
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
        items.run_avro(&mut v).unwrap();
        assert_eq!(v["aliases"], json!(["al!", "bo!"]));
    }

    #[test]
    fn only_a_changed_value_counts_as_a_change() {
        let run = |expr: &str, mut v: Json| {
            let rule =
                CelField::compile(expr, RuleKind::Transform, tags(&["PII"]), tree(None)).unwrap();
            let mut changed = false;
            assert_eq!(rule.run_tracked(&mut v, None, &mut changed), Ok(true));
            (v, changed)
        };
        // The answer is the value it replaces: nothing to re-encode.
        assert_eq!(run("typeName == 'STRING' ; value", user()), (user(), false));
        // The tagged field's guard is false: nothing ran.
        assert_eq!(run("typeName == 'INT' ; 1", user()), (user(), false));
        let (v, changed) = run("typeName == 'STRING' ; 'XXX-' + value", user());
        assert!(changed);
        assert_eq!(v["ssn"], json!("XXX-123-45-6789"));
    }

    #[test]
    fn the_walk_skips_fields_no_selected_value_is_under() {
        const LIST: &str = r#"{"type": "record", "name": "Node", "fields": [
            {"name": "label", "type": "string"},
            {"name": "count", "type": "int"},
            {"name": "next", "type": ["null", "Node"], "default": null},
            {"name": "meta", "type": {"type": "record", "name": "Meta",
              "fields": [{"name": "note", "type": "string"}]}}
          ]}"#;
        let mut metadata = Metadata::default();
        metadata.tags.insert("Node.label".into(), tags(&["PII"]));
        let schema = apache_avro::Schema::parse_str(LIST).unwrap();
        let fields = FieldSource::Tree(Arc::new(FieldTree::avro(&schema, Some(&metadata))));
        let rule = CelField::compile("'XXX'", RuleKind::Transform, tags(&["PII"]), fields.clone())
            .unwrap();
        // Node: label (tagged) and next (a Node, recursively) are walked; count and meta not.
        assert_eq!(rule.live, [vec![true, false, true, false], vec![false]]);
        let mut v = json!({"label": "a", "count": 1, "next": {"label": "b", "count": 2,
            "next": null, "meta": {"note": "n"}}, "meta": {"note": "m"}});
        let mut changed = false;
        assert_eq!(rule.run_tracked(&mut v, None, &mut changed), Ok(true));
        assert!(changed);
        assert_eq!(v["next"]["label"], json!("XXX"));
        assert_eq!(v["meta"]["note"], json!("m"));
        // A rule no field's tags meet walks nothing.
        let none =
            CelField::compile("'XXX'", RuleKind::Transform, tags(&["OTHER"]), fields).unwrap();
        assert_eq!(none.live, [vec![false; 4], vec![false]]);
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
        assert_eq!(adult.run_avro(&mut user()), Ok(true));
        let mut young = user();
        young["age"] = json!(3);
        assert_eq!(adult.run_avro(&mut young), Ok(false));
        // Items of an array never fail a condition (Python checks the field's own value).
        let items = CelField::compile(
            "name == 'aliases' ; false",
            RuleKind::Condition,
            BTreeSet::new(),
            tree(None),
        )
        .unwrap();
        assert_eq!(items.run_avro(&mut user()), Ok(true));
        let bad = CelField::compile(
            "value.nope",
            RuleKind::Condition,
            tags(&["PII"]),
            tree(None),
        )
        .unwrap();
        assert!(bad.run_avro(&mut user()).is_err());
    }
}
