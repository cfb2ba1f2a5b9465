//! The `CEL` executor: one expression over the whole value, bound as `message` (Confluent's
//! `CelExecutor`). A `CONDITION` must answer a bool; a `TRANSFORM`'s answer is the new value.
//!
//! An expression may start with a guard, `guard ; expr` (Confluent's `CelExecutor.execute`):
//! when the guard is false, a `CONDITION` passes and a `TRANSFORM` leaves the value as it was.
//!
//! The expression is compiled once, when a schema's rules are compiled; each record is
//! converted from JSON into CEL's values (integers as CEL `int`, as Python's `celpy` sees an
//! Avro `int`/`long`, so `message.age >= 18` compares like with like) and evaluated in a
//! fresh context over one shared standard environment.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::objects::{Key, Map};
use cel::{Context, Env, Program, Value};

/// The standard environment (functions and macros), built once per process.
fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(Env::stdlib()))
}

/// A compiled CEL expression, with its guard when it has one.
pub(super) struct CelProgram {
    guard: Option<Program>,
    program: Program,
}

impl std::fmt::Debug for CelProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CelProgram")
    }
}

impl CelProgram {
    /// Compile `expr` (and its guard, the part before the first `;`, split there as Python
    /// splits it); `Err` with the parser's message.
    pub fn compile(expr: &str) -> Result<CelProgram, String> {
        let compile = |e: &str| env().compile(e).map_err(|e| e.to_string());
        match expr.split_once(';') {
            Some((guard, body)) => Ok(CelProgram {
                // An empty guard is no guard (Python: `len(guard.strip()) > 0`).
                guard: match guard.trim() {
                    "" => None,
                    g => Some(compile(g)?),
                },
                program: compile(body)?,
            }),
            None => Ok(CelProgram {
                guard: None,
                program: compile(expr)?,
            }),
        }
    }

    /// Evaluate with `vars` bound: `None` when the guard is false (the expression did not
    /// run). A guard answering anything but `true` counts as false, as Python's `not`.
    pub fn eval_vars(&self, vars: Vec<(&str, Value)>) -> Result<Option<Value>, String> {
        let mut ctx = Context::with_env(env().clone());
        for (name, value) in vars {
            ctx.add_variable_from_value(name, value);
        }
        if let Some(guard) = &self.guard {
            if guard.execute(&ctx).map_err(|e| e.to_string())? != Value::Bool(true) {
                return Ok(None);
            }
        }
        self.program
            .execute(&ctx)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// Evaluate with `message` bound to `value`: `None` when the guard is false.
    pub fn eval(&self, value: &serde_json::Value) -> Result<Option<Value>, String> {
        self.eval_vars(vec![("message", to_cel(value))])
    }

    /// Evaluate as a condition: `Ok(true)` passes (so does a false guard), `Ok(false)` fails;
    /// an answer that is not a bool is an error.
    pub fn condition(&self, value: &serde_json::Value) -> Result<bool, String> {
        match self.eval(value)? {
            None | Some(Value::Bool(true)) => Ok(true),
            Some(Value::Bool(false)) => Ok(false),
            Some(other) => Err(format!(
                "a CEL condition must answer a bool, not {:?}",
                other.type_of()
            )),
        }
    }
}

/// A JSON value as CEL sees it: numbers that are integers as `int` (`uint` past `i64`), others
/// as `double`; objects as maps with string keys.
pub(super) fn to_cel(value: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::String(Arc::new(s.clone())),
        J::Array(items) => Value::List(Arc::new(items.iter().map(to_cel).collect())),
        J::Object(fields) => {
            let map: HashMap<Key, Value> = fields
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// A CEL value back as JSON (a `TRANSFORM`'s answer); `Err` for what JSON cannot hold.
pub(super) fn from_cel(value: &Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::UInt(u) => J::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .ok_or_else(|| format!("{f} has no JSON form"))?,
        Value::String(s) => J::String(s.as_str().to_string()),
        Value::List(items) => J::Array(items.iter().map(from_cel).collect::<Result<_, _>>()?),
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m.map.iter() {
                let key = match k {
                    Key::String(s) => s.as_str().to_string(),
                    Key::Int(i) => i.to_string(),
                    Key::Uint(u) => u.to_string(),
                    Key::Bool(b) => b.to_string(),
                };
                out.insert(key, from_cel(v)?);
            }
            J::Object(out)
        }
        other => return Err(format!("a CEL {:?} has no JSON form", other.type_of())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_see_the_message() {
        let p = CelProgram::compile("message.age >= 18 && message.name != ''").unwrap();
        assert_eq!(p.condition(&json!({"age": 30, "name": "a"})), Ok(true));
        assert_eq!(p.condition(&json!({"age": 3, "name": "a"})), Ok(false));
        // A missing field is an evaluation error (the rule's onFailure decides).
        assert!(p.condition(&json!({"name": "a"})).is_err());
        let not_bool = CelProgram::compile("message.age").unwrap();
        assert!(not_bool.condition(&json!({"age": 1})).is_err());
        assert!(CelProgram::compile("message.age >=").is_err());
    }

    #[test]
    fn values_round_trip_through_cel() {
        let v = json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": 18446744073709551615u64}});
        assert_eq!(from_cel(&to_cel(&v)).unwrap(), v);
        let t = CelProgram::compile("message.b").unwrap();
        assert_eq!(
            from_cel(&t.eval(&v).unwrap().unwrap()).unwrap(),
            json!({"c": 18446744073709551615u64})
        );
    }

    #[test]
    fn a_false_guard_skips_the_expression() {
        let p = CelProgram::compile("message.kind == 'a' ; message.n > 1").unwrap();
        assert_eq!(p.condition(&json!({"kind": "a", "n": 2})), Ok(true));
        assert_eq!(p.condition(&json!({"kind": "a", "n": 0})), Ok(false));
        // The guard is false: the body (which would fail on a missing field) never runs.
        assert_eq!(p.condition(&json!({"kind": "b"})), Ok(true));
        assert_eq!(p.eval(&json!({"kind": "b"})), Ok(None));
        assert!(CelProgram::compile("message.kind == ; true").is_err());
        assert!(CelProgram::compile(" ; message.n").unwrap().guard.is_none());
    }
}
