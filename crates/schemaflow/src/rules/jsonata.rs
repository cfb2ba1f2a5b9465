//! The `JSONATA` executor: a migration rule's expression applied to the whole value (as JSON),
//! its answer the new value — Confluent's `JsonataExecutor.transform`.
//!
//! The evaluator is jsonata-rs (see the crate's Cargo.toml for why). Its programs live in a
//! per-evaluation arena, so an expression is parsed once when rules are compiled (a syntax
//! error is [`super::RuleError::Invalid`] then) and again per record, with the value handed
//! over as JSON text, which is what the crate takes. It lacks `$sift`, which Confluent's
//! migration examples use to drop a field (`$sift($, function($v, $k) {$k != 'ssn'})`):
//! registered here.
//!
//! JSONata numbers are doubles: an integral answer comes back as a JSON integer (an Avro
//! `int`/`long` field stays one), as jsonata-python gives Python an `int`.

use bumpalo::Bump;
use jsonata_rs::{FunctionContext, JsonAta, Value};
use serde_json::Value as Json;

/// A checked JSONata expression.
#[derive(Debug)]
pub(super) struct JsonataProgram {
    expr: String,
}

impl JsonataProgram {
    /// Check that `expr` parses; `Err` with the parser's message.
    pub fn compile(expr: &str) -> Result<JsonataProgram, String> {
        let arena = Bump::new();
        JsonAta::new(expr, &arena).map_err(|e| e.to_string())?;
        Ok(JsonataProgram {
            expr: expr.to_string(),
        })
    }

    /// Apply the expression to `value`: its answer (undefined answers `null`).
    pub fn eval(&self, value: &Json) -> Result<Json, String> {
        let arena = Bump::new();
        let program = JsonAta::new(&self.expr, &arena).map_err(|e| e.to_string())?;
        program.register_function("sift", 2, sift);
        let input = serde_json::to_string(value).map_err(|e| e.to_string())?;
        let answer = program
            .evaluate(Some(&input), None)
            .map_err(|e| e.to_string())?;
        to_json(answer)
    }
}

/// `$sift(object, function($v, $k, $o))`: the object's entries the function answers truthy
/// for (JSONata's own `$sift`, which jsonata-rs does not have).
fn sift<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> jsonata_rs::Result<&'a Value<'a>> {
    let object = args.first().copied().unwrap_or_else(Value::undefined);
    let func = args.get(1).copied().unwrap_or_else(Value::undefined);
    if object.is_undefined() {
        return Ok(Value::undefined());
    }
    if !object.is_object() || !func.is_function() {
        return Err(jsonata_rs::Error::T0410ArgumentNotValid(
            context.char_index,
            if object.is_object() { 2 } else { 1 },
            context.name.to_string(),
        ));
    }
    let result = Value::object(context.arena);
    let arity = func.arity();
    // Entries in a stable order: jsonata-rs keeps an object's keys in a hash map.
    let mut entries: Vec<_> = object.entries().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in entries {
        let mut call: Vec<&'a Value<'a>> = vec![value];
        if arity >= 2 {
            call.push(Value::string(context.arena, key));
        }
        if arity >= 3 {
            call.push(object);
        }
        if context.evaluate_function(func, &call)?.is_truthy() {
            result.insert(key, value);
        }
    }
    Ok(result)
}

/// A JSONata value as JSON; `Err` for what JSON cannot hold (a function, a non-finite number).
fn to_json<'a>(value: &'a Value<'a>) -> Result<Json, String> {
    Ok(if value.is_undefined() || value.is_null() {
        Json::Null
    } else if value.is_bool() {
        Json::Bool(value.as_bool())
    } else if value.is_number() {
        let n = value.as_f64();
        // Integral and exact in a double: an integer, as jsonata-python answers Python.
        if n.is_finite() && n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
            Json::from(n as i64)
        } else {
            serde_json::Number::from_f64(n)
                .map(Json::Number)
                .ok_or_else(|| format!("JSONata answered {n}, which JSON cannot hold"))?
        }
    } else if value.is_string() {
        Json::String(value.as_str().to_string())
    } else if value.is_array() {
        Json::Array(value.members().map(to_json).collect::<Result<_, _>>()?)
    } else if value.is_object() {
        let mut out = serde_json::Map::new();
        for (k, v) in value.entries() {
            out.insert(k.to_string(), to_json(v)?);
        }
        Json::Object(out)
    } else {
        return Err("JSONata answered a function, which JSON cannot hold".into());
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn confluents_migration_examples_evaluate() {
        // Confluent's data-contracts walk-through: ssn renamed socialSecurityNumber (UPGRADE)
        // and back (DOWNGRADE).
        let up = JsonataProgram::compile(
            "$merge([$sift($, function($v, $k) {$k != 'ssn'}), {'socialSecurityNumber': $.'ssn'}])",
        )
        .unwrap();
        assert_eq!(
            up.eval(&json!({"name": "a", "ssn": "123", "age": 30}))
                .unwrap(),
            json!({"name": "a", "socialSecurityNumber": "123", "age": 30})
        );
        let down = JsonataProgram::compile(
            "$merge([$sift($, function($v, $k) {$k != 'socialSecurityNumber'}), {'ssn': $.'socialSecurityNumber'}])",
        )
        .unwrap();
        assert_eq!(
            down.eval(&json!({"name": "a", "socialSecurityNumber": "123", "age": 30}))
                .unwrap(),
            json!({"name": "a", "ssn": "123", "age": 30})
        );
        assert_eq!(
            JsonataProgram::compile("$.price * 2")
                .unwrap()
                .eval(&json!({"price": 1.25}))
                .unwrap(),
            json!(2.5)
        );
        assert!(JsonataProgram::compile("$merge([").is_err());
        assert!(JsonataProgram::compile("$sift($, 1)")
            .unwrap()
            .eval(&json!({"a": 1}))
            .is_err());
    }
}
