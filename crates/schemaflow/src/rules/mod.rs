//! Data-contract rules run by the producer (`WRITE`) and the consumer (`READ`): the domain
//! rules of a schema's `ruleSet`, following confluent-kafka-python's
//! `BaseSerde._execute_rules_with_phase`.
//!
//! ```text
//! ruleSet.domainRules ─ compile once per schema (DomainRules::compile) ─ None: no rule applies
//!   → per record: value as JSON → each rule in order (READ: reverse order)
//!       skip disabled rules and rules of the other mode (WRITEREAD applies to both)
//!       CEL CONDITION false / executor error → onFailure (default ERROR)
//!       CEL TRANSFORM → the answer is the new value
//!       success → onSuccess (default NONE)
//! ```
//!
//! A schema with no rule for the direction compiles to `None`, and the producer and consumer
//! then never convert the value: no rules, no cost. Rules run on the format's value as JSON
//! (Avro's natural JSON, which is what Python's rules see as a dict; Protobuf's JSON mapping;
//! JSON Schema's own value), so a generated Rust type needs no glue.
//!
//! Executors: `CEL` (the `cel` crate, in `cel.rs`), `CEL_FIELD` (`cel_field.rs`, per field
//! of the writer schema: Avro and Protobuf through a field tree built once per schema,
//! `fields.rs` and `fields_protobuf.rs`; JSON Schema by walking the schema document with the
//! value, `cel_field_json.rs`) and `JSONATA` (`jsonata.rs`). A rule of another type (`ENCRYPT`) runs as Python
//! runs a rule whose executor is not registered: its `onFailure` action (default `ERROR`) with
//! "could not find rule executor". Encoding rules are not run here.
//!
//! Migration rules (directions [`Direction::Upgrade`] and [`Direction::Downgrade`]) compile and
//! run the same way, one version step at a time: the chain between a record's writer version
//! and the consumer's reader version is found by `registry::migrations`.
//!
//! Stricter than Python, on purpose: an expression that does not compile and an unknown action
//! are [`RuleError::Invalid`] when the rules are compiled (a producer's start-up, a consumer's
//! first record of the schema), not a failure of every record.

mod action;
mod cel;
mod cel_field;
mod cel_field_json;
#[cfg(all(test, feature = "json-schema"))]
mod cel_field_json_tests;
pub mod encode;
mod error;
mod field_rule;
mod fields;
mod fields_protobuf;
#[cfg(test)]
mod fields_protobuf_tests;
mod jsonata;
mod proto_field;
mod wildcard;

use std::sync::Arc;

use crate::codec::WriterSchema;
use crate::registry::{Metadata, Rule, RuleKind, RuleMode, RuleSet};

pub use action::Action;
pub use error::{
    RuleError, RuleFailure, HEADER_RULE_EXCEPTION, HEADER_RULE_MODE, HEADER_RULE_NAME,
    HEADER_RULE_SUBJECT, HEADER_RULE_TOPIC,
};

use self::cel::CelProgram;
use self::cel_field::{CelField, FieldSource};
use self::fields::FieldTree;
use self::jsonata::JsonataProgram;

/// The schema rules run on: what field rules (`CEL_FIELD`) walk and take tags from.
#[derive(Debug, Clone, Copy)]
pub struct RuleTarget<'a> {
    /// The writer schema, parsed.
    pub schema: &'a WriterSchema,
    /// The version's metadata (its `tags` by path).
    pub metadata: Option<&'a Metadata>,
}

/// Which side runs the rules, and so which of them run: domain rules on write (the producer)
/// and read (the consumer), migration rules when a record is upgraded or downgraded between
/// versions (the consumer reading with another version than the writer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The producer (domain rules of mode `WRITE`).
    Write,
    /// The consumer (domain rules of mode `READ`).
    Read,
    /// A record migrated to a later version (migration rules of mode `UPGRADE`).
    Upgrade,
    /// A record migrated to an earlier version (migration rules of mode `DOWNGRADE`).
    Downgrade,
}

impl Direction {
    /// Confluent's mode name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Write => "WRITE",
            Direction::Read => "READ",
            Direction::Upgrade => "UPGRADE",
            Direction::Downgrade => "DOWNGRADE",
        }
    }

    /// Whether a rule of `mode` runs in this direction.
    fn applies(self, mode: RuleMode) -> bool {
        matches!(
            (mode, self),
            (RuleMode::Writeread, Direction::Write | Direction::Read)
                | (RuleMode::Updown, Direction::Upgrade | Direction::Downgrade)
                | (RuleMode::Write, Direction::Write)
                | (RuleMode::Read, Direction::Read)
                | (RuleMode::Upgrade, Direction::Upgrade)
                | (RuleMode::Downgrade, Direction::Downgrade)
        )
    }

    /// The rules of `set` this direction runs from (Python's `_execute_rules_with_phase`):
    /// the domain rules, or the migration rules; READ and DOWNGRADE run them in reverse.
    fn rules(self, set: &RuleSet) -> Vec<&Rule> {
        let (rules, reversed) = match self {
            Direction::Write => (&set.domain_rules, false),
            Direction::Read => (&set.domain_rules, true),
            Direction::Upgrade => (&set.migration_rules, false),
            Direction::Downgrade => (&set.migration_rules, true),
        };
        let mut ordered: Vec<&Rule> = rules.iter().collect();
        if reversed {
            ordered.reverse();
        }
        ordered
    }
}

/// How a rule runs.
#[derive(Debug)]
enum Executor {
    /// A compiled CEL expression over the message.
    Cel(CelProgram),
    /// A JSONata expression over the message.
    Jsonata(JsonataProgram),
    /// A compiled CEL expression over each tagged field.
    CelField(CelField),
    /// A rule that does nothing here: a field transform that an earlier one with the same
    /// tags supersedes (Python's `are_transforms_with_same_tag`).
    Skip,
    /// No executor here for its type: the rule fails with this reason when it runs.
    Missing(String),
}

#[derive(Debug)]
struct CompiledRule {
    name: String,
    kind: RuleKind,
    /// The reason a false condition gives (Python's `RuleConditionError`).
    condition_failed: String,
    executor: Executor,
    on_success: Action,
    on_failure: Action,
    dlq_topic: Option<String>,
}

/// The domain rules of one schema that run in one direction, compiled.
#[derive(Debug)]
pub struct DomainRules {
    direction: Direction,
    rules: Vec<CompiledRule>,
    transforms: bool,
}

impl DomainRules {
    /// Compile the domain rules of `rule_set` that run in `direction` (in the order they run:
    /// READ reversed), for the schema described by `schema` (for error messages). `Ok(None)`
    /// when none runs: the caller then skips rules altogether.
    ///
    /// Without the writer schema, a `CEL_FIELD` rule's expression is checked but the rule
    /// fails when run: use [`DomainRules::compile_for`] to run rules.
    pub fn compile(
        rule_set: Option<&RuleSet>,
        direction: Direction,
        schema: &str,
    ) -> Result<Option<Arc<DomainRules>>, RuleError> {
        Self::compile_for(rule_set, None, direction, schema)
    }

    /// Whether any domain rule of `rule_set` runs in `direction`: when none does, the caller
    /// need not even parse the writer schema for [`DomainRules::compile_for`].
    pub fn any(rule_set: Option<&RuleSet>, direction: Direction) -> bool {
        rule_set.is_some_and(|set| {
            direction
                .rules(set)
                .iter()
                .any(|r| !r.disabled && direction.applies(r.mode))
        })
    }

    /// [`DomainRules::compile`] for records of `target`: field rules walk its fields.
    pub fn compile_for(
        rule_set: Option<&RuleSet>,
        target: Option<RuleTarget<'_>>,
        direction: Direction,
        schema: &str,
    ) -> Result<Option<Arc<DomainRules>>, RuleError> {
        let Some(set) = rule_set else {
            return Ok(None);
        };
        // Built on the first field rule, shared by all of them.
        let mut fields: Option<Result<FieldSource, String>> = None;
        let mut rules = Vec::new();
        let all = match direction {
            Direction::Write | Direction::Read => &set.domain_rules,
            Direction::Upgrade | Direction::Downgrade => &set.migration_rules,
        };
        for rule in direction.rules(set) {
            if rule.disabled || !direction.applies(rule.mode) {
                continue;
            }
            // The first-written of same-tag field transforms runs, in both directions.
            let superseded = all
                .iter()
                .take_while(|other| !std::ptr::eq(*other, rule))
                .any(|other| same_tag_transforms(rule, other));
            rules.push(compile_rule(
                rule,
                direction,
                schema,
                superseded,
                target,
                &mut fields,
            )?);
        }
        if rules.is_empty() {
            return Ok(None);
        }
        let transforms = rules.iter().any(|r| r.kind == RuleKind::Transform);
        Ok(Some(Arc::new(DomainRules {
            direction,
            rules,
            transforms,
        })))
    }

    /// Whether a rule may change the value (a `TRANSFORM`): the caller must then re-encode.
    pub fn transforms(&self) -> bool {
        self.transforms
    }

    /// Run the rules on `value`, a record of `topic` under `subject`: the value after them
    /// (changed only by transforms), or the failure that refused the record.
    pub fn run(
        &self,
        subject: &str,
        topic: &str,
        value: serde_json::Value,
    ) -> Result<serde_json::Value, RuleError> {
        self.run_message(subject, topic, value, None)
    }

    /// [`DomainRules::run`] on a record of the Protobuf message `message` (its full name),
    /// which field rules then walk; without it, they take the first message of the schema's
    /// file whose fields hold the record's keys.
    pub fn run_message(
        &self,
        subject: &str,
        topic: &str,
        value: serde_json::Value,
        message: Option<&str>,
    ) -> Result<serde_json::Value, RuleError> {
        self.run_tracked(subject, topic, value, message)
            .map(|(value, _)| value)
    }

    /// [`DomainRules::run_message`], also saying whether a transform may have changed the
    /// value (`false`: it is the value it was given, so the frame it came from still holds
    /// it and need not be encoded again — re-encoding costs more than the rest of a field
    /// rule's run).
    fn run_tracked(
        &self,
        subject: &str,
        topic: &str,
        mut value: serde_json::Value,
        message: Option<&str>,
    ) -> Result<(serde_json::Value, bool), RuleError> {
        let mut changed = false;
        for rule in &self.rules {
            let outcome = match (&rule.executor, rule.kind) {
                (Executor::Missing(reason), _) => Err(reason.clone()),
                (Executor::Skip, _) => Ok(None),
                // Transforms change `value` in place.
                (Executor::CelField(f), _) => {
                    match f.run_tracked(&mut value, message, &mut changed) {
                        Ok(true) => Ok(None),
                        Ok(false) => Err(rule.condition_failed.clone()),
                        Err(e) => Err(e),
                    }
                }
                (Executor::Cel(p), RuleKind::Condition) => match p.condition(&value) {
                    Ok(true) => Ok(None),
                    Ok(false) => Err(rule.condition_failed.clone()),
                    Err(e) => Err(e),
                },
                (Executor::Jsonata(p), RuleKind::Condition) => match p.eval(&value) {
                    Ok(serde_json::Value::Bool(false) | serde_json::Value::Null) => {
                        Err(rule.condition_failed.clone())
                    }
                    Ok(_) => Ok(None),
                    Err(e) => Err(e),
                },
                (Executor::Jsonata(p), RuleKind::Transform) => p.eval(&value).map(Some),
                (Executor::Cel(p), RuleKind::Transform) => p
                    .eval(&value)
                    .and_then(|v| v.as_ref().map(cel::from_cel).transpose()),
            };
            let (action, exception) = match outcome {
                // A transform answering null leaves no message: Python's onFailure, no error.
                Ok(Some(serde_json::Value::Null)) => (rule.on_failure, String::new()),
                Ok(Some(new)) => {
                    changed |= new != value;
                    value = new;
                    (rule.on_success, String::new())
                }
                Ok(None) => (rule.on_success, String::new()),
                Err(e) => (rule.on_failure, e),
            };
            if action == Action::None {
                continue;
            }
            let exception = if exception.is_empty() {
                format!("Rule failed: {}", rule.name)
            } else {
                exception
            };
            return Err(RuleError::Failed(Box::new(RuleFailure {
                rule: rule.name.clone(),
                mode: self.direction.name(),
                subject: subject.to_string(),
                topic: topic.to_string(),
                exception,
                action,
                dlq_topic: rule.dlq_topic.clone(),
            })));
        }
        Ok((value, changed))
    }
}

/// Check that every expression of `set` compiles: `CEL` and `CEL_FIELD` rules as CEL,
/// `JSONATA` rules as JSONata, in all three phases; other types and the actions are not
/// looked at (an executor or action this side does not know may exist on another client).
/// What a registry checks at registration, so a rule that could never run is refused there.
pub fn check_expressions(set: &RuleSet) -> Result<(), RuleError> {
    let all = set
        .domain_rules
        .iter()
        .chain(&set.migration_rules)
        .chain(&set.encoding_rules);
    for rule in all {
        let expr = rule.expr.as_deref().unwrap_or_default();
        let checked = match rule.rule_type.as_deref().map(str::to_ascii_uppercase) {
            Some(t) if t == "CEL" || t == "CEL_FIELD" => CelProgram::compile(expr)
                .map(drop)
                .map_err(|e| format!("CEL expression {expr:?}: {e}")),
            Some(t) if t == "JSONATA" => JsonataProgram::compile(expr)
                .map(drop)
                .map_err(|e| format!("JSONata expression {expr:?}: {e}")),
            _ => Ok(()),
        };
        checked.map_err(|reason| RuleError::Invalid {
            schema: "the rule set".into(),
            rule: rule.name.clone().unwrap_or_default(),
            reason,
        })?;
    }
    Ok(())
}

/// Python's `FieldRuleExecutor.are_transforms_with_same_tag`, for the field rules run here.
fn same_tag_transforms(rule: &Rule, other: &Rule) -> bool {
    let field_rule = |r: &Rule| {
        r.rule_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("CEL_FIELD"))
    };
    field_rule(rule)
        && !rule.tags.is_empty()
        && rule.kind == RuleKind::Transform
        && other.kind == rule.kind
        && other.mode == rule.mode
        && other.rule_type == rule.rule_type
        && other.tags == rule.tags
}

/// The fields of `target` for field rules: `Err` saying why there are none.
fn field_tree(target: Option<RuleTarget<'_>>) -> Result<FieldSource, String> {
    match target.map(|t| (t.schema, t.metadata)) {
        Some((WriterSchema::Avro(s), metadata)) => Ok(FieldSource::Tree(Arc::new(
            FieldTree::avro(s.schema(), metadata),
        ))),
        Some((WriterSchema::Protobuf(s), metadata)) => Ok(FieldSource::Tree(Arc::new(
            FieldTree::protobuf(s.pool(), s.file_name(), metadata),
        ))),
        Some((WriterSchema::Json(s), metadata)) => {
            cel_field_json::json_fields(s, metadata).map(FieldSource::Json)
        }
        None => Err("CEL_FIELD rules need the writer schema: compiled without one".into()),
    }
}

fn compile_rule(
    rule: &Rule,
    direction: Direction,
    schema: &str,
    superseded: bool,
    target: Option<RuleTarget<'_>>,
    fields: &mut Option<Result<FieldSource, String>>,
) -> Result<CompiledRule, RuleError> {
    let name = rule.name.clone().unwrap_or_default();
    let invalid = |reason: String| RuleError::Invalid {
        schema: schema.to_string(),
        rule: name.clone(),
        reason,
    };
    let on_success = action::resolve(rule, direction, rule.on_success.as_deref(), Action::None)
        .map_err(invalid)?;
    let on_failure = action::resolve(rule, direction, rule.on_failure.as_deref(), Action::Error)
        .map_err(invalid)?;
    let executor = match rule.rule_type.as_deref().map(str::to_ascii_uppercase) {
        Some(t) if t == "CEL" => {
            let expr = rule.expr.as_deref().unwrap_or_default();
            Executor::Cel(
                CelProgram::compile(expr)
                    .map_err(|e| invalid(format!("CEL expression {expr:?}: {e}")))?,
            )
        }
        Some(t) if t == "JSONATA" => {
            let expr = rule.expr.as_deref().unwrap_or_default();
            Executor::Jsonata(
                JsonataProgram::compile(expr)
                    .map_err(|e| invalid(format!("JSONata expression {expr:?}: {e}")))?,
            )
        }
        Some(t) if t == "CEL_FIELD" => {
            let expr = rule.expr.as_deref().unwrap_or_default();
            // The expression is checked even when the rule cannot run here.
            CelProgram::compile(expr)
                .map_err(|e| invalid(format!("CEL expression {expr:?}: {e}")))?;
            match fields.get_or_insert_with(|| field_tree(target)) {
                _ if superseded => Executor::Skip,
                Ok(tree) => Executor::CelField(
                    CelField::compile(expr, rule.kind, rule.tags.clone(), tree.clone())
                        .map_err(|e| invalid(format!("CEL expression {expr:?}: {e}")))?,
                ),
                Err(reason) => Executor::Missing(reason.clone()),
            }
        }
        Some(t) => Executor::Missing(format!("Could not find rule executor of type {t}")),
        None => Executor::Missing(format!("Rule type is None for rule {name}")),
    };
    // Python's RuleConditionError message.
    let condition_failed = match (&rule.doc, &rule.expr) {
        (Some(doc), _) if !doc.is_empty() => doc.clone(),
        (_, Some(expr)) if !expr.is_empty() => format!("Rule expr failed: {expr}"),
        _ => format!("Rule failed: {name}"),
    };
    Ok(CompiledRule {
        name,
        kind: rule.kind,
        condition_failed,
        executor,
        on_success,
        on_failure,
        dlq_topic: rule.params.get("dlq.topic").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cel(name: &str, kind: RuleKind, mode: RuleMode, expr: &str) -> Rule {
        Rule {
            name: Some(name.into()),
            kind,
            mode,
            rule_type: Some("CEL".into()),
            expr: Some(expr.into()),
            ..Rule::default()
        }
    }

    fn set(rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            domain_rules: rules,
            ..RuleSet::default()
        }
    }

    fn failure(e: RuleError) -> RuleFailure {
        match e {
            RuleError::Failed(f) => *f,
            other => panic!("not a failure: {other}"),
        }
    }

    #[test]
    fn no_rule_for_the_direction_compiles_to_nothing() {
        assert!(DomainRules::compile(None, Direction::Write, "s")
            .unwrap()
            .is_none());
        let read_only = set(vec![cel("r", RuleKind::Condition, RuleMode::Read, "true")]);
        assert!(
            DomainRules::compile(Some(&read_only), Direction::Write, "s")
                .unwrap()
                .is_none()
        );
        let disabled = set(vec![Rule {
            disabled: true,
            ..cel("d", RuleKind::Condition, RuleMode::Write, "false")
        }]);
        assert!(DomainRules::compile(Some(&disabled), Direction::Write, "s")
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_false_condition_fails_with_pythons_message() {
        let s = set(vec![cel(
            "adult",
            RuleKind::Condition,
            RuleMode::Write,
            "message.age >= 18",
        )]);
        let rules = DomainRules::compile(Some(&s), Direction::Write, "s")
            .unwrap()
            .unwrap();
        assert_eq!(
            rules.run("s", "t", json!({"age": 20})).unwrap(),
            json!({"age": 20})
        );
        let f = failure(rules.run("s", "t", json!({"age": 2})).unwrap_err());
        assert_eq!(f.rule, "adult");
        assert_eq!(f.mode, "WRITE");
        assert_eq!(f.exception, "Rule expr failed: message.age >= 18");
        assert_eq!(f.action, Action::Error);
    }

    #[test]
    fn actions_decide_what_a_failure_does() {
        let none = set(vec![Rule {
            on_failure: Some("NONE".into()),
            ..cel("n", RuleKind::Condition, RuleMode::Read, "false")
        }]);
        let rules = DomainRules::compile(Some(&none), Direction::Read, "s")
            .unwrap()
            .unwrap();
        assert_eq!(rules.run("s", "t", json!(1)).unwrap(), json!(1));
        let dlq = set(vec![Rule {
            on_failure: Some("ERROR,DLQ".into()),
            doc: Some("must be positive".into()),
            ..cel("p", RuleKind::Condition, RuleMode::Writeread, "message > 0")
        }]);
        let read = DomainRules::compile(Some(&dlq), Direction::Read, "s")
            .unwrap()
            .unwrap();
        let f = failure(read.run("s", "t", json!(-1)).unwrap_err());
        assert_eq!((f.action, f.mode), (Action::Dlq, "READ"));
        assert_eq!(f.exception, "must be positive");
        let write = DomainRules::compile(Some(&dlq), Direction::Write, "s")
            .unwrap()
            .unwrap();
        assert_eq!(
            failure(write.run("s", "t", json!(-1)).unwrap_err()).action,
            Action::Error
        );
    }

    #[test]
    fn read_rules_run_in_reverse_and_transforms_change_the_value() {
        // Written order: double, then add one. Read runs add-one first, then double.
        let s = set(vec![
            cel(
                "double",
                RuleKind::Transform,
                RuleMode::Writeread,
                "message * 2",
            ),
            cel(
                "inc",
                RuleKind::Transform,
                RuleMode::Writeread,
                "message + 1",
            ),
        ]);
        let write = DomainRules::compile(Some(&s), Direction::Write, "s")
            .unwrap()
            .unwrap();
        assert!(write.transforms());
        assert_eq!(write.run("s", "t", json!(5)).unwrap(), json!(11));
        let read = DomainRules::compile(Some(&s), Direction::Read, "s")
            .unwrap()
            .unwrap();
        assert_eq!(read.run("s", "t", json!(5)).unwrap(), json!(12));
    }

    #[test]
    fn bad_rules_are_refused_when_compiled_and_unknown_executors_fail_when_run() {
        let bad = set(vec![cel(
            "b",
            RuleKind::Condition,
            RuleMode::Write,
            "message.",
        )]);
        let e = DomainRules::compile(Some(&bad), Direction::Write, "subject s").unwrap_err();
        assert!(
            matches!(&e, RuleError::Invalid { rule, .. } if rule == "b"),
            "{e}"
        );
        let action = set(vec![Rule {
            on_failure: Some("EMAIL".into()),
            ..cel("a", RuleKind::Condition, RuleMode::Write, "true")
        }]);
        assert!(DomainRules::compile(Some(&action), Direction::Write, "s").is_err());
        let field = set(vec![Rule {
            rule_type: Some("ENCRYPT".into()),
            ..cel("j", RuleKind::Transform, RuleMode::Write, "$")
        }]);
        let rules = DomainRules::compile(Some(&field), Direction::Write, "s")
            .unwrap()
            .unwrap();
        assert_eq!(
            failure(rules.run("s", "t", json!({})).unwrap_err()).exception,
            "Could not find rule executor of type ENCRYPT"
        );
    }

    fn field_rule(name: &str, expr: &str) -> Rule {
        Rule {
            rule_type: Some("CEL_FIELD".into()),
            tags: ["PII".to_string()].into(),
            ..cel(name, RuleKind::Transform, RuleMode::Write, expr)
        }
    }

    #[test]
    fn field_rules_walk_the_writer_schema_and_the_first_same_tag_transform_wins() {
        let avro = crate::codec::avro::AvroSchema::parse(
            r#"{"type": "record", "name": "U", "fields": [
                {"name": "ssn", "type": "string", "confluent:tags": ["PII"]},
                {"name": "n", "type": "string"}]}"#,
            &[],
        )
        .unwrap();
        let writer = WriterSchema::Avro(Arc::new(avro));
        let target = RuleTarget {
            schema: &writer,
            metadata: None,
        };
        let s = set(vec![
            field_rule("first", "'***'"),
            // Same kind, mode, type and tags: superseded by `first`, as in Python.
            field_rule("second", "'---'"),
        ]);
        let rules = DomainRules::compile_for(Some(&s), Some(target), Direction::Write, "s")
            .unwrap()
            .unwrap();
        assert_eq!(
            rules.run("s", "t", json!({"ssn": "1", "n": "2"})).unwrap(),
            json!({"ssn": "***", "n": "2"})
        );
        // Without the writer schema the expression is still checked, and the rule cannot run.
        assert!(DomainRules::compile(
            Some(&set(vec![field_rule("b", "value +")])),
            Direction::Write,
            "s"
        )
        .is_err());
        let blind = DomainRules::compile(Some(&s), Direction::Write, "s")
            .unwrap()
            .unwrap();
        assert!(failure(blind.run("s", "t", json!({})).unwrap_err())
            .exception
            .contains("need the writer schema"));
    }

    #[test]
    fn migration_rules_run_by_mode_and_downgrade_runs_them_in_reverse() {
        let jsonata = |name: &str, mode: RuleMode, expr: &str| Rule {
            rule_type: Some("JSONATA".into()),
            ..cel(name, RuleKind::Transform, mode, expr)
        };
        let s = RuleSet {
            migration_rules: vec![
                jsonata("up", RuleMode::Upgrade, "$ * 10"),
                jsonata("both", RuleMode::Updown, "$ + 1"),
                jsonata("down", RuleMode::Downgrade, "$ - 100"),
            ],
            // Domain rules are not migrations.
            domain_rules: vec![cel("w", RuleKind::Transform, RuleMode::Write, "0")],
            ..RuleSet::default()
        };
        let up = DomainRules::compile(Some(&s), Direction::Upgrade, "s")
            .unwrap()
            .unwrap();
        assert_eq!(up.run("s", "t", json!(1)).unwrap(), json!(11));
        // Reversed: `down` first, then `both`.
        let down = DomainRules::compile(Some(&s), Direction::Downgrade, "s")
            .unwrap()
            .unwrap();
        assert_eq!(down.run("s", "t", json!(1)).unwrap(), json!(-98));
        assert!(!DomainRules::any(
            Some(&RuleSet {
                domain_rules: vec![],
                ..s.clone()
            }),
            Direction::Write
        ));
        let bad = RuleSet {
            migration_rules: vec![jsonata("b", RuleMode::Upgrade, "$merge([")],
            ..RuleSet::default()
        };
        assert!(DomainRules::compile(Some(&bad), Direction::Upgrade, "s").is_err());
    }

    #[test]
    fn expressions_are_checked_in_every_phase() {
        let ok = RuleSet {
            domain_rules: vec![cel("c", RuleKind::Condition, RuleMode::Write, "true")],
            // An executor this side does not know is not its to judge.
            encoding_rules: vec![Rule {
                rule_type: Some("ENCRYPT".into()),
                ..cel("e", RuleKind::Transform, RuleMode::Write, "??")
            }],
            ..RuleSet::default()
        };
        assert_eq!(check_expressions(&ok), Ok(()));
        let bad_migration = RuleSet {
            migration_rules: vec![Rule {
                rule_type: Some("JSONATA".into()),
                ..cel("m", RuleKind::Transform, RuleMode::Upgrade, "$merge([")
            }],
            ..RuleSet::default()
        };
        assert!(
            matches!(check_expressions(&bad_migration), Err(RuleError::Invalid { rule, .. }) if rule == "m")
        );
        let bad_field = RuleSet {
            domain_rules: vec![field_rule("f", "value +")],
            ..RuleSet::default()
        };
        assert!(check_expressions(&bad_field).is_err());
    }
}
