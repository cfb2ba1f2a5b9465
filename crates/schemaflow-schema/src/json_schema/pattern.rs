//! JSON Schema's regular expressions (`pattern`, `patternProperties`): ECMA-262 syntax, with
//! look-around, which `fancy-regex` reads and `regex` does not. Behind the `json-schema`
//! feature with the meta-validation: without it no JSON Schema parses, so no pattern is ever
//! asked about.

/// Whether `pattern` compiles; why not if it does not.
#[cfg(feature = "json-schema")]
pub(crate) fn compile_error(pattern: &str) -> Option<String> {
    fancy_regex::Regex::new(pattern)
        .err()
        .map(|e| e.to_string())
}

/// Whether `pattern` compiles (without the `json-schema` feature nothing parses that far).
#[cfg(not(feature = "json-schema"))]
pub(crate) fn compile_error(_pattern: &str) -> Option<String> {
    None
}

/// Whether `pattern` finds a match in `name` (ECMA-262 `find`, not anchored); a pattern that
/// does not compile matches nothing.
#[cfg(feature = "json-schema")]
pub(crate) fn finds(pattern: &str, name: &str) -> bool {
    fancy_regex::Regex::new(pattern)
        .ok()
        .and_then(|re| re.is_match(name).ok())
        .unwrap_or(false)
}

/// Whether `pattern` finds a match in `name` (without the `json-schema` feature nothing
/// parses that far).
#[cfg(not(feature = "json-schema"))]
pub(crate) fn finds(_pattern: &str, _name: &str) -> bool {
    false
}
