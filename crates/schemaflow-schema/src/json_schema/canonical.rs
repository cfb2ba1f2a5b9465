//! Confluent's canonical text of a JSON Schema: `JsonSchema.canonicalString()` is Jackson's
//! compact serialization of the parsed document (`objectMapper.writeValueAsString(jsonNode)`:
//! no insignificant whitespace, keys in the order written), and `normalize()` re-reads it with
//! `objectMapperWithOrderedProps` (keys sorted at every level) — confluentinc/schema-registry,
//! `json-schema-provider/src/main/java/io/confluent/kafka/schemaregistry/json/JsonSchema.java`.

use serde_json::Value;

/// The text without insignificant whitespace, everything else as written (key order,
/// number spelling, string escapes). The input must be valid JSON.
pub(crate) fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

/// `normalize=true`: keys sorted at every level, compact. serde_json's map (without its
/// `preserve_order` feature, which this workspace does not enable) is ordered by key.
pub(crate) fn normalized(value: &Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_order_and_strings() {
        let text = "{ \"b\" : 1,\n  \"a\": \"x y\\\" z\" , \"c\": [ 1 , 2 ] }";
        assert_eq!(compact(text), r#"{"b":1,"a":"x y\" z","c":[1,2]}"#);
        let v: Value = serde_json::from_str(text).expect("json");
        assert_eq!(normalized(&v), r#"{"a":"x y\" z","b":1,"c":[1,2]}"#);
    }
}
