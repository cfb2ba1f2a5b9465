//! What one input line of `schemaflow produce` is: a value (or a tombstone) and its key.
//!
//! * A line is the value's JSON; `null` is a tombstone (a record without a value), which
//!   needs a key — `--key`, or `--metadata` input carrying one — since a null key and a null
//!   value delete nothing.
//! * With `--metadata` a line is an object as `consume --metadata` prints it: the value is its
//!   `value`, the key its `key` (a string, or `null`); topic, partition, offset, schema id and
//!   timestamp are ignored (the record goes to `--topic`, with `produce`'s schema). So
//!   `consume --metadata | produce --metadata` keeps keys and tombstones.
//! * `--key-field PATH` takes the key from the value: a dotted path of field names. A path
//!   that matches nothing in a line is an error for that line (a typo would otherwise write
//!   null keys and scatter one key's records over partitions). For Protobuf each step matches
//!   the field's `.proto` name (`user_id`) or its JSON name (`userId`), whichever the line
//!   uses: `consume` prints the JSON names, people type either.
//!   A string becomes its UTF-8 bytes, `null` no key, any other value its JSON text.

use serde_json::Value as Json;

/// Where record keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// No key (unless `--metadata` lines carry one).
    None,
    /// `--key`: the same bytes for every record.
    Fixed(Vec<u8>),
    /// `--key-field`: a path into the value.
    Field(KeyPath),
}

/// A `--key-field` path.
#[derive(Debug, Clone)]
pub struct KeyPath {
    text: String,
    steps: Vec<String>,
    /// Protobuf: a step also matches the other spelling of the field name.
    protobuf: bool,
}

impl KeyPath {
    /// `path` (dotted), for a Protobuf or an Avro schema.
    pub fn new(path: &str, protobuf: bool) -> Self {
        KeyPath {
            text: path.to_string(),
            steps: path.split('.').map(str::to_string).collect(),
            protobuf,
        }
    }

    /// The key bytes the path gives in `value`; `Ok(None)` for a `null` there.
    fn key_in(&self, value: &Json) -> Result<Option<Vec<u8>>, String> {
        let mut v = value;
        for (i, step) in self.steps.iter().enumerate() {
            let found = v.as_object().and_then(|o| {
                o.get(step.as_str()).or_else(|| {
                    if !self.protobuf {
                        return None;
                    }
                    let (camel, snake) = (json_name(step), proto_name(step));
                    o.get(&camel).or_else(|| o.get(&snake))
                })
            });
            v = found.ok_or_else(|| {
                let at = self.steps[..=i].join(".");
                if self.protobuf {
                    format!(
                        "--key-field {}: this line has no field {at} (in either spelling; a Protobuf field left at its default is not printed, so it is absent too)",
                        self.text
                    )
                } else {
                    format!("--key-field {}: this line has no field {at}", self.text)
                }
            })?;
        }
        Ok(match v {
            Json::Null => None,
            Json::String(s) => Some(s.clone().into_bytes()),
            other => Some(other.to_string().into_bytes()),
        })
    }
}

/// The proto3 JSON name of a field name: `user_id` → `userId` (protoc's rule: drop each `_`,
/// upper-case the letter after it).
fn json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The usual `.proto` spelling of a JSON name: `userId` → `user_id`.
fn proto_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// One record to send: its key, and its value (`None`: a tombstone).
#[derive(Debug)]
pub struct Line {
    /// The key bytes, if any.
    pub key: Option<Vec<u8>>,
    /// The value's JSON; `None` for a tombstone.
    pub value: Option<Json>,
}

/// Read one parsed input line (`metadata`: the `consume --metadata` form).
pub fn read(json: Json, metadata: bool, keys: &KeySource) -> Result<Line, String> {
    let (value, line_key) = if metadata {
        let Json::Object(mut o) = json else {
            return Err(
                "--metadata: expected an object with \"value\" (and \"key\"), as `consume --metadata` prints"
                    .into(),
            );
        };
        let value = o.remove("value").ok_or(
            "--metadata: this object has no \"value\" (it is what `consume --metadata` prints)",
        )?;
        let key = match o.remove("key") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.into_bytes()),
            Some(other) => {
                return Err(format!(
                    "--metadata: \"key\" must be a string or null, not {other}"
                ))
            }
        };
        (value, key)
    } else {
        (json, None)
    };
    let value = (!value.is_null()).then_some(value);
    let key = match (keys, &value) {
        (KeySource::Fixed(k), _) => Some(k.clone()),
        (KeySource::Field(path), Some(v)) => path.key_in(v)?,
        (KeySource::Field(path), None) if !metadata => {
            return Err(format!(
                "a tombstone (null) has no field {} to take its key from: pass --key, or feed `consume --metadata` output with --metadata",
                path.text
            ))
        }
        (KeySource::Field(_) | KeySource::None, _) => line_key,
    };
    if value.is_none() && key.is_none() {
        return Err(if metadata {
            "a tombstone (value null) needs a key, and this line's key is null".into()
        } else {
            "null is a tombstone, which needs a key: pass --key, or feed `consume --metadata` output with --metadata".into()
        });
    }
    Ok(Line { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn protobuf_paths_match_either_spelling_avro_paths_only_their_own() {
        let line = json!({"userId": "u1", "device": {"app_version": "1.0"}});
        let proto = |p: &str| KeyPath::new(p, true).key_in(&line);
        assert_eq!(proto("user_id"), Ok(Some(b"u1".to_vec())));
        assert_eq!(proto("userId"), Ok(Some(b"u1".to_vec())));
        assert_eq!(proto("device.appVersion"), Ok(Some(b"1.0".to_vec())));
        assert!(proto("usr_id").is_err());
        assert!(KeyPath::new("user_id", false).key_in(&line).is_err());
    }

    #[test]
    fn tombstones_need_a_key() {
        let none = KeySource::None;
        assert!(read(Json::Null, false, &none).is_err());
        let fixed = KeySource::Fixed(b"k".to_vec());
        let l = read(Json::Null, false, &fixed).unwrap();
        assert_eq!((l.key.as_deref(), l.value), (Some(&b"k"[..]), None));
        let l = read(json!({"key": "u1", "value": null}), true, &none).unwrap();
        assert_eq!((l.key.as_deref(), l.value), (Some(&b"u1"[..]), None));
        assert!(read(json!({"key": null, "value": null}), true, &none).is_err());
    }
}
