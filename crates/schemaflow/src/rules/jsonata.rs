//! The `JSONATA` executor: a migration rule's expression applied to the whole value (as JSON),
//! its answer the new value — Confluent's `JsonataExecutor.transform`.
//!
//! The evaluator is jsonata-rs (see the crate's Cargo.toml for why). It lacks `$sift`, which
//! Confluent's migration examples use to drop a field (`$sift($, function($v, $k) {$k !=
//! 'ssn'})`): registered here.
//!
//! What a record costs is mostly jsonata-rs's way in, so the expression is not run the way the
//! crate's `JsonAta::evaluate` would take it (parse the expression, then parse the input as
//! JSONata text, in a new arena):
//!
//! ```text
//! compile    the expression is parsed once, to check it
//! per thread the parsed expression, kept (jsonata-rs's values are not Send) inside a
//!            transformer value, the one jsonata-rs value that owns a syntax tree and
//!            borrows no arena; parsed on the thread's first record of the expression
//! per record the thread's arena, emptied; the value converted straight into it (no JSON
//!            text); a small driver program `$sf_run($sf_input)` evaluated, whose native
//!            `$sf_run` evaluates the kept tree with the value as `$` and `$$`, as
//!            `JsonAta::evaluate` binds its input
//! ```
//!
//! jsonata-rs leaks: an evaluation's top frame (a hash map of its ~50 built-in functions and
//! the variables bound) is held by the function values it creates, which live in the arena and
//! are never dropped, so each evaluation leaves about 7 KB behind whichever way it is called.
//! The driver binds one variable only: a second one grew that map past a capacity step and
//! leaked 2.2 KB more a record (measured; see BENCHMARKS.md).
//!
//! Measured on the benchmarks' `UserEvent` (BENCHMARKS.md, issue 27): the per-record parse of
//! the expression and of the input's JSON text were most of a migration's cost. What is left
//! is jsonata-rs's own per-evaluation set-up (it binds its ~50 built-in functions and parses
//! its function-chaining helper on every `evaluate`), which no caller can skip.
//!
//! JSONata numbers are doubles: an integral answer comes back as a JSON integer (an Avro
//! `int`/`long` field stays one), as jsonata-python gives Python an `int`.

use std::cell::RefCell;
use std::collections::HashMap;

use bumpalo::Bump;
use jsonata_rs::{ArrayFlags, FunctionContext, JsonAta, Value};
use serde_json::Value as Json;

/// The driver evaluated per record: the thread's current expression run on the value.
const DRIVER: &str = "$sf_run($sf_input)";

/// How many parsed expressions a thread keeps; past it, the thread's cache starts again (a
/// process runs few migration expressions; this bounds one that compiles many).
const KEPT_PER_THREAD: usize = 64;

/// This thread's parsed expressions.
struct Parsed {
    /// By their text, each the `update` of a transformer value (see the module's docs).
    programs: HashMap<String, Value<'static>>,
    /// The text of the one the record being evaluated runs (not a variable of the driver:
    /// see the module's docs on the leak).
    current: String,
}

thread_local! {
    /// This thread's parsed expressions.
    static PARSED: RefCell<Parsed> = RefCell::new(Parsed {
        programs: HashMap::new(),
        current: String::new(),
    });
    /// The arena this thread's records are evaluated in, emptied before each.
    static ARENA: RefCell<Bump> = RefCell::new(Bump::new());
}

/// A checked JSONata expression.
#[derive(Debug)]
pub(super) struct JsonataProgram {
    expr: String,
}

impl JsonataProgram {
    /// Check that `expr` parses; `Err` with the parser's message.
    pub fn compile(expr: &str) -> Result<JsonataProgram, String> {
        guarded(|| {
            let arena = Bump::new();
            JsonAta::new(expr, &arena)
                .map(drop)
                .map_err(|e| e.to_string())
        })?;
        Ok(JsonataProgram {
            expr: expr.to_string(),
        })
    }

    /// Apply the expression to `value`: its answer (undefined answers `null`).
    pub fn eval(&self, value: &Json) -> Result<Json, String> {
        guarded(|| {
            self.make_current()?;
            ARENA.with(|arena| match arena.try_borrow_mut() {
                Ok(mut arena) => {
                    arena.reset();
                    self.eval_in(&arena, value)
                }
                // Only if an evaluation ever ran inside another on this thread: its own arena.
                Err(_) => self.eval_in(&Bump::new(), value),
            })
        })
    }

    /// Make the expression the one `$sf_run` runs on this thread, parsing it into the
    /// thread's cache unless it is there.
    fn make_current(&self) -> Result<(), String> {
        PARSED.with(|parsed| {
            let mut parsed = parsed
                .try_borrow_mut()
                .map_err(|_| "JSONata expressions are being parsed on this thread already")?;
            parsed.current.clear();
            parsed.current.push_str(&self.expr);
            if parsed.programs.contains_key(&self.expr) {
                return Ok(());
            }
            if parsed.programs.len() >= KEPT_PER_THREAD {
                parsed.programs.clear();
            }
            let arena = Bump::new();
            let program = JsonAta::new(&self.expr, &arena).map_err(|e| e.to_string())?;
            let tree = program.ast();
            parsed.programs.insert(
                self.expr.clone(),
                Value::Transformer {
                    pattern: Box::new(tree.clone()),
                    update: Box::new(tree.clone()),
                    delete: None,
                },
            );
            Ok(())
        })
    }

    fn eval_in(&self, arena: &Bump, value: &Json) -> Result<Json, String> {
        let driver = JsonAta::new(DRIVER, arena).map_err(|e| e.to_string())?;
        driver.register_function("sift", 2, sift);
        driver.register_function("sf_run", 1, run_parsed);
        driver.assign_var("sf_input", to_value(arena, value));
        let answer = driver.evaluate(None, None).map_err(|e| e.to_string())?;
        to_json(answer)
    }
}

/// `f`, with a panic of jsonata-rs as an `Err`: the crate panics on some expressions and
/// values (`%`, the parent operator, is `unimplemented!` in its parser; its values panic when
/// read as another type), and neither a registry checking a rule nor a consumer migrating a
/// record should go down with it. The thread's cached state stays usable: its borrows end as
/// the panic unwinds, and the arena is emptied before the next record.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("jsonata-rs failed: {reason}"))
    })
}

/// `$sf_run(input)`: this thread's current expression evaluated with `input` as its context
/// (`$`) and root (`$$`), in the driver's frame (so with the built-in functions and `$sift`).
/// An array input is wrapped as `JsonAta::evaluate` wraps it, to be taken as one value.
fn run_parsed<'a>(
    context: FunctionContext<'a, '_>,
    args: &[&'a Value<'a>],
) -> jsonata_rs::Result<&'a Value<'a>> {
    let input = args.first().copied().unwrap_or_else(Value::undefined);
    let input = if input.is_array() {
        Value::wrap_in_array(context.arena, input, ArrayFlags::WRAPPED)
    } else {
        input
    };
    context.frame.bind("$", input);
    PARSED.with(|parsed| {
        let parsed = parsed.try_borrow();
        match parsed.as_deref().map(|p| p.programs.get(&p.current)) {
            Ok(Some(Value::Transformer { update, .. })) => {
                context.evaluator.evaluate(update, input, &context.frame)
            }
            // Not reached: `eval` parsed it on this thread just before.
            _ => Err(jsonata_rs::Error::D3137Error(
                "no JSONata expression is parsed for this evaluation".into(),
            )),
        }
    })
}

/// `value` as a jsonata-rs value in `arena`, as the crate converts its JSON bindings (arrays
/// unflagged, numbers as doubles).
fn to_value<'a>(arena: &'a Bump, value: &Json) -> &'a Value<'a> {
    match value {
        Json::Null => Value::null(arena),
        Json::Bool(b) => Value::bool(*b),
        Json::Number(n) => Value::number(arena, n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::string(arena, s),
        Json::Array(items) => {
            let array = Value::array_with_capacity(arena, items.len(), ArrayFlags::empty());
            for item in items {
                array.push(to_value(arena, item));
            }
            array
        }
        Json::Object(map) => {
            let object = Value::object_with_capacity(arena, map.len());
            for (k, v) in map {
                object.insert(k, to_value(arena, v));
            }
            object
        }
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
        // jsonata-rs panics on the parent operator: an error here.
        assert!(JsonataProgram::compile("%.a").is_err());
        assert!(JsonataProgram::compile("$sift($, 1)")
            .unwrap()
            .eval(&json!({"a": 1}))
            .is_err());
    }

    /// The answer of jsonata-rs's own way in: the expression parsed and the value handed over
    /// as JSON text (what this executor did before it kept parsed expressions).
    fn reference(expr: &str, value: &Json) -> Result<Json, String> {
        let arena = Bump::new();
        let program = JsonAta::new(expr, &arena).map_err(|e| e.to_string())?;
        program.register_function("sift", 2, sift);
        let answer = program
            .evaluate(Some(&value.to_string()), None)
            .map_err(|e| e.to_string())?;
        to_json(answer)
    }

    #[test]
    fn a_kept_expression_answers_as_jsonata_rs_evaluate_does() {
        let inputs = [
            json!({"a": [[1, 2], [3]], "b": [{"c": 1}, {"c": [2, 3]}], "n": 1.5, "s": "x\u{7}",
                   "big": 12_345_678_901_234_i64, "o": {"p": null}}),
            json!([1, [2, 3], {"a": [4]}]),
            json!(null),
            json!("x"),
            json!(3),
        ];
        let exprs = [
            "$",
            "$$",
            "$$.n + $.n",
            "a",
            "a[0]",
            "a[1][0]",
            "a.$",
            "b.c",
            "b[c=1]",
            "**.c",
            "$[1]",
            "$[0]",
            "[$]",
            "$count($)",
            "$count(a)",
            "$sum(a)",
            "$append(a, [9])",
            "$ ~> $count()",
            "n * 2",
            "big + 1",
            "s",
            "o",
            "o.p",
            "{'x': a}",
            "($x := $; $x.b)",
            "$map(a, function($v) {$count($v)})",
            "$merge([$sift($, function($v, $k) {$k != 'a'}), {'z': 1}])",
            "$lookup($, 'n')",
            "nope",
        ];
        for input in &inputs {
            for expr in exprs {
                let ours = JsonataProgram::compile(expr).unwrap().eval(input);
                assert_eq!(ours, reference(expr, input), "{expr} on {input}");
            }
        }
    }

    #[test]
    fn programs_kept_on_a_thread_do_not_mix() {
        let programs: Vec<_> = (0..KEPT_PER_THREAD + 3)
            .map(|i| JsonataProgram::compile(&format!("$.n + {i}")).unwrap())
            .collect();
        // Twice round: the second pass finds some kept and re-parses those the cap dropped.
        for _ in 0..2 {
            for (i, p) in programs.iter().enumerate() {
                assert_eq!(p.eval(&json!({"n": 1})).unwrap(), json!(1 + i));
            }
        }
    }
}
