//! A JSON Schema compiled for validating values: the `jsonschema` crate's validator, with the
//! schema's references served by name and no retrieval from anywhere else.

use serde_json::Value;

#[cfg(feature = "json-schema")]
use super::tape::{de::from_tape, writer::TapeBuilder, Tape, TapeJson};
#[cfg(feature = "json-schema")]
use crate::error::JsonValidationError;
use crate::error::{Error, Result};
use crate::json_schema::JsonSchema;
use crate::wire::SchemaId;

/// A compiled validator for one schema (cheap to share: [`super::JsonWriterSchema`] keeps one).
pub struct CompiledValidator {
    #[cfg(feature = "json-schema")]
    inner: jsonschema::Validator,
    /// The same schema compiled for the [`Tape`] representation: what checks a frame's text.
    #[cfg(feature = "json-schema")]
    on_tape: jsonschema::Validator<TapeJson>,
}

impl std::fmt::Debug for CompiledValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledValidator").finish_non_exhaustive()
    }
}

#[cfg(not(feature = "json-schema"))]
impl CompiledValidator {
    /// Without the `json-schema` feature there is no validator: an error that says so.
    pub fn compile(schema: &JsonSchema) -> Result<Self> {
        let _ = schema;
        Err(feature_missing())
    }

    /// Unreachable without the feature (no validator compiles); an error all the same.
    pub fn validate(&self, _id: SchemaId, _value: &Value) -> Result<()> {
        Err(feature_missing())
    }

    /// Unreachable without the feature (no validator compiles); an error all the same.
    pub(super) fn read_checked<T: serde::de::DeserializeOwned>(
        &self,
        _id: SchemaId,
        _text: &[u8],
    ) -> Result<T> {
        Err(feature_missing())
    }

    /// Unreachable without the feature (no validator compiles); an error all the same.
    pub(super) fn write_checked<T: serde::Serialize + ?Sized>(
        &self,
        _id: SchemaId,
        _value: &T,
        _buf: &mut Vec<u8>,
    ) -> Result<()> {
        Err(feature_missing())
    }
}

#[cfg(not(feature = "json-schema"))]
fn feature_missing() -> Error {
    Error::UnsupportedSchemaType {
        schema_type: "JSON (without the `json-schema` feature)".into(),
        operation: "validating a JSON Schema value",
    }
}

#[cfg(feature = "json-schema")]
impl CompiledValidator {
    /// Compile `schema` for its draft, its `$ref`s to references resolved by their names.
    pub fn compile(schema: &JsonSchema) -> Result<Self> {
        use crate::json_schema::Draft;
        let draft = match schema.draft() {
            Draft::Draft4 => jsonschema::Draft::Draft4,
            Draft::Draft6 => jsonschema::Draft::Draft6,
            Draft::Draft7 => jsonschema::Draft::Draft7,
            Draft::Draft201909 => jsonschema::Draft::Draft201909,
            Draft::Draft202012 => jsonschema::Draft::Draft202012,
        };
        let references: Vec<(String, Value)> = schema
            .references()
            .iter()
            .filter_map(|(name, text)| {
                let value: Value = serde_json::from_str(text).ok()?;
                Some((name.clone(), value))
            })
            .collect();
        let compile_error = |e: jsonschema::ValidationError<'_>| Error::ParseJsonSchema {
            name: "compiling its validator".into(),
            source: crate::error::InvalidJsonSchema {
                keyword: e.kind().keyword().to_string(),
                pointer: format!("#{}", e.schema_path().as_str()),
                reason: e.to_string(),
            },
        };
        let inner = jsonschema::options()
            .with_draft(draft)
            // Python's serdes call `jsonschema.validate` without a format checker: `format` is
            // an annotation there, so it is one here too (values agree across languages).
            .should_validate_formats(false)
            .with_retriever(ByName {
                references: references.clone(),
            })
            .build(schema.value())
            .map_err(compile_error)?;
        let on_tape = jsonschema::options_for::<TapeJson>()
            .with_draft(draft)
            .should_validate_formats(false)
            .with_retriever(ByName { references })
            .build(schema.value())
            .map_err(compile_error)?;
        Ok(CompiledValidator { inner, on_tape })
    }

    /// Check `value`; the first violation, with its pointer and keyword, is the error.
    #[inline]
    pub fn validate(&self, id: SchemaId, value: &Value) -> Result<()> {
        // The boolean check is the fast path; the error's details are built only on failure.
        if self.inner.is_valid(value) {
            return Ok(());
        }
        Err(self.violation(id, value))
    }

    /// Check one JSON text (a frame's payload) without building a `Value` (see
    /// [`super::tape`]): text that is not JSON is an [`Error::Json`], a violation the same
    /// error as [`validate`](Self::validate) gives for the text's value. A text whose objects
    /// repeat a key is checked as a `Value` (which keeps the last value, as Python's
    /// `json.loads`): that `Value` is returned, for the caller to read instead of the text.
    pub(super) fn validate_text(&self, id: SchemaId, text: &[u8]) -> Result<Option<Value>> {
        if let Some(tape) = Tape::parse(text) {
            if !tape.has_duplicate_keys() && self.on_tape.is_valid(tape.root()) {
                return Ok(None);
            }
        }
        self.validate_value_of(id, text).map(Some)
    }

    /// Check one JSON text and read `T` from it, parsing the text once: `T` is read from the
    /// tape that was checked ([`super::tape::de`]), or by serde_json where that reader refuses
    /// (then serde_json's value or error is the answer). Errors as
    /// [`validate_text`](Self::validate_text); a text whose objects repeat a key is read from
    /// the `Value` that was checked (the last value of the key, as Python's `json.loads`).
    pub(super) fn read_checked<T: serde::de::DeserializeOwned>(
        &self,
        id: SchemaId,
        text: &[u8],
    ) -> Result<T> {
        if let Some(tape) = Tape::parse(text) {
            if !tape.has_duplicate_keys() && self.on_tape.is_valid(tape.root()) {
                return match from_tape(&tape) {
                    Some(value) => Ok(value),
                    None => serde_json::from_slice(text).map_err(|e| super::not_json(id, e)),
                };
            }
        }
        let value = self.validate_value_of(id, text)?;
        T::deserialize(value).map_err(|e| super::not_json(id, e))
    }

    /// Append `value`'s text (Python's form, [`super::python_json`]) to `buf` and check it,
    /// recording the tape as the text is written ([`super::tape::writer`]) rather than reading
    /// the text back; the answer is the one [`validate_text`](Self::validate_text) gives for
    /// the text written. What the recorder does not follow is read back as before. On error
    /// `buf` may hold part of the text: the caller truncates it.
    pub(super) fn write_checked<T: serde::Serialize + ?Sized>(
        &self,
        id: SchemaId,
        value: &T,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let from = buf.len();
        let mut builder = TapeBuilder::new();
        {
            let mut ser = serde_json::Serializer::with_formatter(&mut *buf, builder.formatter());
            value
                .serialize(&mut ser)
                .map_err(|e| Error::Json(e.to_string()))?;
        }
        let text = buf.get(from..).unwrap_or_default();
        match builder.finish() {
            Some(tape) if !tape.has_duplicate_keys() && self.on_tape.is_valid(tape.root()) => {
                Ok(())
            }
            // Invalid, or a key repeats: the text's `Value` decides and says why.
            Some(_) => self.validate_value_of(id, text).map(drop),
            None => self.validate_text(id, text).map(drop),
        }
    }

    /// The slow path of [`validate_text`](Self::validate_text): the text as a `Value`, checked
    /// as [`validate`](Self::validate) checks it (a violation's details come from here).
    #[cold]
    #[inline(never)]
    fn validate_value_of(&self, id: SchemaId, text: &[u8]) -> Result<Value> {
        let value: Value = serde_json::from_slice(text).map_err(|e| super::not_json(id, e))?;
        self.validate(id, &value)?;
        Ok(value)
    }

    #[cold]
    #[inline(never)]
    fn violation(&self, id: SchemaId, value: &Value) -> Error {
        let source = match self.inner.validate(value) {
            Err(e) => JsonValidationError {
                pointer: e.instance_path().as_str().to_string(),
                keyword: keyword_of(e.kind().keyword(), e.schema_path().as_str()),
                schema_path: format!("#{}", e.schema_path().as_str()),
                reason: e.to_string(),
            },
            // is_valid and validate disagreeing would be the validator's bug; still an error.
            Ok(()) => JsonValidationError {
                pointer: String::new(),
                keyword: String::new(),
                schema_path: "#".into(),
                reason: "the validator refused the value without saying why".into(),
            },
        };
        Error::InvalidJsonValue {
            schema_id: id,
            source: Box::new(source),
        }
    }
}

/// The keyword to report: the validator's, except for a `false` subschema (`"items": false`,
/// `"additionalProperties": false` beside `prefixItems`), where the validator says
/// `falseSchema` and the keyword holding the `false` is the one a user looks for.
#[cfg(feature = "json-schema")]
fn keyword_of(kind: &str, schema_path: &str) -> String {
    if kind == "falseSchema" {
        if let Some(k) = schema_path
            .rsplit('/')
            .find(|k| !k.is_empty() && k.parse::<usize>().is_err())
        {
            return k.replace("~1", "/").replace("~0", "~");
        }
    }
    kind.to_string()
}

/// Serves a schema's references to the validator by the reference's name: a `$ref` of
/// `address.json` resolves (against the root's base URI) to `…/address.json`, found here by
/// that last part, or by a reference's own `$id`. Nothing is fetched from anywhere else.
#[cfg(feature = "json-schema")]
struct ByName {
    references: Vec<(String, Value)>,
}

#[cfg(feature = "json-schema")]
impl jsonschema::Retrieve for ByName {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        let by_name = |name: &str| {
            uri == name
                || uri
                    .strip_suffix(name)
                    .is_some_and(|head| head.ends_with('/') || head.ends_with(':'))
        };
        let by_id = |doc: &Value| {
            ["$id", "id"].iter().any(|k| {
                doc.get(*k)
                    .and_then(Value::as_str)
                    .is_some_and(|id| id.trim_end_matches('#') == uri)
            })
        };
        self.references
            .iter()
            .find(|(name, doc)| by_name(name) || by_id(doc))
            .map(|(_, doc)| doc.clone())
            .ok_or_else(|| {
                format!("no reference named {uri:?} (references resolve by name)").into()
            })
    }
}

#[cfg(all(test, feature = "json-schema"))]
mod tests {
    use super::*;
    use crate::codec::json_schema::python_json;

    /// A small deterministic generator of JSON values (the tape tests have a wider one).
    fn value(x: &mut u64, depth: u32) -> Value {
        *x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let r = *x >> 33;
        match r % if depth > 2 { 5 } else { 7 } {
            0 => Value::Null,
            1 => Value::from(r.is_multiple_of(5)),
            2 => Value::from((r % 11) as i64 - 5),
            3 => Value::from((r % 13) as f64 / 4.0 - 1.0),
            4 => Value::from(["", "a", "ab\n", "abcdef"][(r % 4) as usize]),
            5 => Value::Array((0..r % 4).map(|_| value(x, depth + 1)).collect()),
            _ => Value::Object(
                (0..r % 5)
                    .map(|i| {
                        let k = ["id", "name", "tags", "x"][((r >> 3) + i) as usize % 4];
                        (k.to_string(), value(x, depth + 1))
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn checking_while_writing_answers_as_checking_the_text() {
        let schema = r#"{"type":"object","properties":{"id":{"type":"integer","minimum":-2},"name":{"type":"string","maxLength":3},"tags":{"type":"array","items":{"type":["string","number"]},"uniqueItems":true},"x":{"enum":[null,true,0.25,"a"]}},"required":["id"],"additionalProperties":{"type":["object","array","null"]}}"#;
        let v = CompiledValidator::compile(&JsonSchema::parse("s", schema, &[]).expect("schema"))
            .expect("compiles");
        let mut x = 1;
        let (mut valid, mut invalid) = (0, 0);
        for i in 0..5_000_u64 {
            // Mostly records (an object with an `id`), so that both answers come up often.
            let mut value = value(&mut x, 0);
            if i % 5 != 0 {
                let mut record = match value {
                    Value::Object(m) => m,
                    other => [("x".to_string(), other)].into_iter().collect(),
                };
                record.insert("id".into(), Value::from((i % 7) as i64 - 3));
                value = Value::Object(record);
            }
            let text = python_json::to_vec(&value).expect("json");
            let expected = v.validate_text(SchemaId(1), &text).map(drop);
            let mut buf = b"head".to_vec();
            let got = v.write_checked(SchemaId(1), &value, &mut buf).map(drop);
            assert_eq!(
                got.as_ref().map_err(ToString::to_string),
                expected.as_ref().map_err(ToString::to_string),
                "{value}"
            );
            assert_eq!(&buf[4..], &text[..]);
            if expected.is_ok() {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        // Both answers were exercised, or the comparison says little.
        assert!(
            valid > 100 && invalid > 100,
            "{valid} valid, {invalid} invalid"
        );
    }
}
