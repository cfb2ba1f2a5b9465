//! Type names an Avro schema uses that nothing defines — a typo (`"strng"`) or a named type
//! of another schema that no reference brings in — with where they are (a JSON pointer) and
//! the closest known name. apache-avro says only "Unknown primitive type: com.example.strng";
//! [`AvroSchema::parse`](crate::codec::avro::AvroSchema::parse) reports these instead, and the
//! CLI tells a typo from a missing `--reference` with them.

use serde_json::Value;

/// Avro's primitive type names: every other type name refers to a named type.
pub const PRIMITIVES: &[&str] = &[
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// A type name used where nothing defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownType {
    /// The name as written (`"strng"`, `"Address"`, `"com.example.Address"`).
    pub name: String,
    /// The full name it resolves to in its namespace (`"com.example.strng"`).
    pub full_name: String,
    /// Where: a JSON pointer into the schema (`/fields/1/type`, `/fields/2/type/1`).
    pub pointer: String,
    /// The closest primitive or named type, when one is a likely typo of it.
    pub suggestion: Option<String>,
}

impl UnknownType {
    /// Whether the name looks like a named type of another schema (dotted, or capitalised as
    /// named types are) rather than a misspelt one: only then is a missing reference a
    /// likely cause.
    pub fn looks_like_a_reference(&self) -> bool {
        self.suggestion.is_none()
            && (self.name.contains('.') || self.name.starts_with(|c: char| c.is_ascii_uppercase()))
    }
}

impl std::fmt::Display for UnknownType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown type {:?} at {}", self.name, self.pointer)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean {s:?}?)")?;
        }
        Ok(())
    }
}

/// The type names `text` uses that neither it nor the schemas `references` (their texts)
/// define, in document order. Empty when `text` is not JSON.
pub fn unknown_types(text: &str, references: &[&str]) -> Vec<UnknownType> {
    let Ok(root) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut walk = Walk::default();
    for r in references {
        if let Ok(v) = serde_json::from_str::<Value>(r) {
            walk.schema(&v, "", &mut String::new());
        }
    }
    walk.used.clear();
    walk.schema(&root, "", &mut String::new());
    let Walk { defined, used } = walk;
    let is_defined = |full: &str, name: &str| {
        // Java's Avro also finds an unqualified name in the null namespace.
        defined.iter().any(|d| d == full || d == name)
    };
    used.into_iter()
        .filter(|(name, full, _)| !is_defined(full, name))
        .map(|(name, full_name, pointer)| {
            let suggestion = closest(&name, &defined);
            UnknownType {
                name,
                full_name,
                pointer,
                suggestion,
            }
        })
        .collect()
}

/// The known name `name` is most likely a typo of: a primitive or a defined type (compared by
/// full name if `name` is dotted, else by unqualified name), at most one edit away for short
/// names, two for longer ones; case differences count as half an edit, so `"String"` is
/// `"string"`.
fn closest(name: &str, defined: &[String]) -> Option<String> {
    let dotted = name.contains('.');
    let candidates = PRIMITIVES
        .iter()
        .map(|p| p.to_string())
        .chain(defined.iter().map(|d| match (dotted, d.rsplit_once('.')) {
            (false, Some((_, short))) => short.to_string(),
            _ => d.clone(),
        }));
    let limit = if name.chars().count() <= 4 { 2 } else { 4 };
    candidates
        .filter(|c| c != name)
        .map(|c| (distance(name, &c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in half edits: a substitution by the same letter in the other case
/// costs 1, every other edit 2.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| 2 * j).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![2 * (i + 1)];
        for (j, cb) in b.iter().enumerate() {
            let sub = if ca == cb {
                0
            } else if ca.eq_ignore_ascii_case(cb) {
                1
            } else {
                2
            };
            row.push((prev[j] + sub).min(prev[j + 1] + 2).min(row[j] + 2));
        }
        prev = row;
    }
    prev[b.len()]
}

/// The walk: full names defined, and (name, full name, pointer) of each name used.
#[derive(Default)]
struct Walk {
    defined: Vec<String>,
    used: Vec<(String, String, String)>,
}

/// A name as Avro resolves it: with a dot it is full, else in the enclosing namespace.
fn resolve(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}.{name}")
    }
}

/// `pointer` with `/token` appended (RFC 6901 escapes).
fn push(pointer: &mut String, token: &str) -> usize {
    let len = pointer.len();
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
    len
}

impl Walk {
    /// A schema at `pointer`, in `namespace`.
    fn schema(&mut self, v: &Value, namespace: &str, pointer: &mut String) {
        match v {
            Value::String(name) if !PRIMITIVES.contains(&name.as_str()) => {
                self.used
                    .push((name.clone(), resolve(name, namespace), pointer.clone()));
            }
            Value::Array(branches) => {
                for (i, b) in branches.iter().enumerate() {
                    let mark = push(pointer, &i.to_string());
                    self.schema(b, namespace, pointer);
                    pointer.truncate(mark);
                }
            }
            Value::Object(o) => {
                let kind = o.get("type").and_then(Value::as_str).unwrap_or("");
                let mut ns = namespace.to_string();
                if matches!(kind, "record" | "error" | "enum" | "fixed") {
                    if let Some(name) = o.get("name").and_then(Value::as_str) {
                        if let Some(explicit) = o.get("namespace").and_then(Value::as_str) {
                            ns = explicit.to_string();
                        }
                        let full = resolve(name, &ns);
                        // A dotted name sets the namespace of what it contains.
                        if let Some((space, _)) = full.rsplit_once('.') {
                            ns = space.to_string();
                        }
                        self.defined.push(full);
                    }
                }
                match kind {
                    "record" | "error" => {
                        let fields = o.get("fields").and_then(Value::as_array);
                        for (i, f) in fields.into_iter().flatten().enumerate() {
                            if let Some(t) = f.get("type") {
                                let mark = push(pointer, "fields");
                                push(pointer, &i.to_string());
                                push(pointer, "type");
                                self.schema(t, &ns, pointer);
                                pointer.truncate(mark);
                            }
                        }
                    }
                    "array" | "map" => {
                        let key = if kind == "array" { "items" } else { "values" };
                        if let Some(inner) = o.get(key) {
                            let mark = push(pointer, key);
                            self.schema(inner, &ns, pointer);
                            pointer.truncate(mark);
                        }
                    }
                    "enum" | "fixed" => {}
                    // `{"type": "string", "logicalType": …}` or `{"type": "com.x.Named"}`.
                    _ => {
                        if let Some(t) = o.get("type") {
                            let mark = push(pointer, "type");
                            self.schema(t, &ns, pointer);
                            pointer.truncate(mark);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_closest_name_and_their_place() {
        let text = r#"{"type": "record", "name": "R", "namespace": "t", "fields": [
            {"name": "a", "type": "int"},
            {"name": "b", "type": "strng"},
            {"name": "c", "type": ["null", {"type": "array", "items": "Colour"}]},
            {"name": "d", "type": {"type": "enum", "name": "Color", "symbols": ["X"]}},
            {"name": "e", "type": {"type": "map", "values": "String"}},
            {"name": "f", "type": "com.other.Address"},
            {"name": "g", "type": "Address"},
            {"name": "h", "type": "t.Color"},
            {"name": "i", "type": "blob"}
        ]}"#;
        let found: Vec<String> = unknown_types(text, &[])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                r#"unknown type "strng" at /fields/1/type (did you mean "string"?)"#,
                r#"unknown type "Colour" at /fields/2/type/1/items (did you mean "Color"?)"#,
                r#"unknown type "String" at /fields/4/type/values (did you mean "string"?)"#,
                r#"unknown type "com.other.Address" at /fields/5/type"#,
                r#"unknown type "Address" at /fields/6/type"#,
                r#"unknown type "blob" at /fields/8/type"#,
            ]
        );
        let refs: Vec<bool> = unknown_types(text, &[])
            .iter()
            .map(UnknownType::looks_like_a_reference)
            .collect();
        assert_eq!(refs, [false, false, false, true, true, false]);
    }

    #[test]
    fn names_defined_by_references_are_known() {
        let address = r#"{"type": "record", "name": "Address", "namespace": "com.other",
            "fields": [{"name": "city", "type": "string"}]}"#;
        let text = r#"{"type": "record", "name": "R", "namespace": "t", "fields": [
            {"name": "a", "type": "com.other.Address"},
            {"name": "b", "type": "com.other.Adress"}
        ]}"#;
        let found = unknown_types(text, &[address]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].suggestion.as_deref(), Some("com.other.Address"));
        assert_eq!(found[0].full_name, "com.other.Adress");
    }
}
