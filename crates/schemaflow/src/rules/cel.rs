//! The `CEL` executor: one expression over the whole value, bound as `message` (Confluent's
//! `CelExecutor`). A `CONDITION` must answer a bool; a `TRANSFORM`'s answer is the new value.
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

/// A compiled CEL expression.
pub(super) struct CelProgram {
    program: Program,
}

impl std::fmt::Debug for CelProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CelProgram")
    }
}

impl CelProgram {
    /// Compile `expr`; `Err` with the parser's message.
    pub fn compile(expr: &str) -> Result<CelProgram, String> {
        let program = env().compile(expr).map_err(|e| e.to_string())?;
        Ok(CelProgram { program })
    }

    /// Evaluate with `message` bound to `value`.
    pub fn eval(&self, value: &serde_json::Value) -> Result<Value, String> {
        let mut ctx = Context::with_env(env().clone());
        ctx.add_variable_from_value("message", to_cel(value));
        self.program.execute(&ctx).map_err(|e| e.to_string())
    }

    /// Evaluate as a condition: `Ok(true)` passes, `Ok(false)` fails; an answer that is not a
    /// bool is an error.
    pub fn condition(&self, value: &serde_json::Value) -> Result<bool, String> {
        match self.eval(value)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!(
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
            from_cel(&t.eval(&v).unwrap()).unwrap(),
            json!({"c": 18446744073709551615u64})
        );
    }
}
