//! Small helpers for emitting Rust source: identifiers and literals.

use heck::{ToSnakeCase, ToUpperCamelCase};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Words that cannot be raw identifiers either.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// A field or module identifier: snake_case, raw (`r#type`) for keywords.
pub fn field_ident(name: &str) -> String {
    let snake = name.to_snake_case();
    escape(if snake.is_empty() { "_".into() } else { snake })
}

/// A type or variant identifier: UpperCamelCase.
pub fn type_ident(name: &str) -> String {
    let camel = name.to_upper_camel_case();
    escape(if camel.is_empty() { "_".into() } else { camel })
}

fn escape(ident: String) -> String {
    if NOT_RAW.contains(&ident.as_str()) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident.as_str()) {
        format!("r#{ident}")
    } else if ident.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{ident}")
    } else {
        ident
    }
}

/// The name serde sees for an identifier (serde strips `r#`).
pub fn serde_name(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// A Rust string literal holding `s` exactly.
pub fn str_lit(s: &str) -> String {
    format!("{s:?}")
}

/// Doc comment lines for `doc`, indented by `indent`.
pub fn doc_lines(doc: Option<&str>, indent: &str) -> String {
    match doc {
        Some(d) if !d.trim().is_empty() => d
            .lines()
            .map(|l| format!("{indent}/// {}\n", l.trim_end()))
            .collect(),
        _ => String::new(),
    }
}
