//! Which JSON Schema draft a document is written in, and its meta-validation.
//!
//! Confluent reads the draft from `$schema` and defaults to draft-07 when it is absent
//! (`JsonSchema.java`'s loader, `SchemaLoader.builder().draftV7Support()`; Python's
//! `JSONSerializer` does the same). Meta-validation is the `jsonschema` crate's, one
//! validator per draft, so what a draft's meta-schema forbids (`{"type": 5}`,
//! `{"minLength": -1}`) is an [`InvalidJsonSchema`] naming the keyword and its JSON pointer.

use std::fmt;

use serde_json::Value;

use super::InvalidJsonSchema;

/// A JSON Schema draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Draft {
    /// Draft 4 (`http://json-schema.org/draft-04/schema#`): `id`, boolean `exclusiveMaximum`.
    Draft4,
    /// Draft 6 (`http://json-schema.org/draft-06/schema#`).
    Draft6,
    /// Draft 7 (`http://json-schema.org/draft-07/schema#`), the default when `$schema` is absent.
    Draft7,
    /// Draft 2019-09 (`https://json-schema.org/draft/2019-09/schema`).
    Draft201909,
    /// Draft 2020-12 (`https://json-schema.org/draft/2020-12/schema`): `prefixItems`.
    Draft202012,
}

impl Draft {
    /// The draft a document declares with `$schema`; draft-07 when it declares none, or a
    /// meta-schema that is none of the five (a custom dialect is read with draft-07's rules,
    /// as Confluent's loader does with its default).
    pub fn of(document: &Value) -> Draft {
        let Some(uri) = document.get("$schema").and_then(Value::as_str) else {
            return Draft::Draft7;
        };
        let uri = uri.trim().trim_end_matches('#');
        let uri = uri
            .strip_prefix("https://")
            .or_else(|| uri.strip_prefix("http://"))
            .unwrap_or(uri);
        match uri {
            "json-schema.org/draft-04/schema" => Draft::Draft4,
            "json-schema.org/draft-06/schema" => Draft::Draft6,
            "json-schema.org/draft-07/schema" => Draft::Draft7,
            "json-schema.org/draft/2019-09/schema" => Draft::Draft201909,
            "json-schema.org/draft/2020-12/schema" => Draft::Draft202012,
            _ => Draft::Draft7,
        }
    }

    /// `draft-04`, `draft-06`, `draft-07`, `2019-09`, `2020-12`.
    pub fn as_str(self) -> &'static str {
        match self {
            Draft::Draft4 => "draft-04",
            Draft::Draft6 => "draft-06",
            Draft::Draft7 => "draft-07",
            Draft::Draft201909 => "2019-09",
            Draft::Draft202012 => "2020-12",
        }
    }

    /// Whether `id` (not `$id`) names a schema's base URI.
    pub(crate) fn uses_bare_id(self) -> bool {
        self == Draft::Draft4
    }

    /// Check `document` against this draft's meta-schema. Without the `json-schema` feature
    /// there is no meta-schema to check against: every schema is refused, saying so, rather
    /// than taken unchecked.
    #[cfg(not(feature = "json-schema"))]
    pub(crate) fn meta_validate(self, _document: &Value) -> Result<(), InvalidJsonSchema> {
        Err(InvalidJsonSchema {
            keyword: "$schema".to_string(),
            pointer: "#".to_string(),
            reason: format!(
                "JSON Schema ({}) needs the `json-schema` feature of schemaflow (or schemaflow-schema)",
                self.as_str()
            ),
        })
    }

    /// Check `document` against this draft's meta-schema.
    #[cfg(feature = "json-schema")]
    pub(crate) fn meta_validate(self, document: &Value) -> Result<(), InvalidJsonSchema> {
        let result = match self {
            Draft::Draft4 => jsonschema::draft4::meta::validate(document),
            Draft::Draft6 => jsonschema::draft6::meta::validate(document),
            Draft::Draft7 => jsonschema::draft7::meta::validate(document),
            Draft::Draft201909 => jsonschema::draft201909::meta::validate(document),
            Draft::Draft202012 => jsonschema::draft202012::meta::validate(document),
        };
        result.map_err(|e| {
            let pointer = e.instance_path().as_str().to_string();
            // The schema keyword at fault is the last step of the pointer into the schema
            // (`/properties/a/minLength` → `minLength`); at the root, the meta-schema's own
            // keyword that failed (`type`: the document is not an object).
            let keyword = pointer
                .rsplit('/')
                .next()
                .filter(|k| !k.is_empty() && k.parse::<usize>().is_err())
                .map(|k| k.replace("~1", "/").replace("~0", "~"))
                .unwrap_or_else(|| e.kind().keyword().to_string());
            InvalidJsonSchema {
                keyword,
                pointer: format!("#{pointer}"),
                reason: format!("{e} (by the {} meta-schema)", self.as_str()),
            }
        })
    }
}

impl fmt::Display for Draft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_each_draft_and_defaults_to_7() {
        for (uri, draft) in [
            ("http://json-schema.org/draft-04/schema#", Draft::Draft4),
            ("http://json-schema.org/draft-06/schema#", Draft::Draft6),
            ("http://json-schema.org/draft-07/schema", Draft::Draft7),
            (
                "https://json-schema.org/draft/2019-09/schema",
                Draft::Draft201909,
            ),
            (
                "https://json-schema.org/draft/2020-12/schema",
                Draft::Draft202012,
            ),
        ] {
            assert_eq!(Draft::of(&json!({ "$schema": uri })), draft, "{uri}");
        }
        assert_eq!(Draft::of(&json!({})), Draft::Draft7);
        assert_eq!(Draft::of(&json!(true)), Draft::Draft7);
    }

    #[test]
    fn meta_validation_names_keyword_and_pointer() {
        let e = Draft::Draft7
            .meta_validate(&json!({"properties": {"a": {"minLength": -1}}}))
            .unwrap_err();
        assert_eq!(e.keyword, "minLength");
        assert_eq!(e.pointer, "#/properties/a/minLength");
        let e = Draft::Draft7
            .meta_validate(&json!({"type": 5}))
            .unwrap_err();
        assert_eq!((e.keyword.as_str(), e.pointer.as_str()), ("type", "#/type"));
        // Draft 4 has boolean exclusiveMaximum, draft 6 a number: each by its own rules.
        let d4 = json!({"type": "number", "maximum": 3, "exclusiveMaximum": true});
        assert!(Draft::Draft4.meta_validate(&d4).is_ok());
        assert!(Draft::Draft6.meta_validate(&d4).is_err());
    }
}
