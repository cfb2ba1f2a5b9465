//! Confluent's wildcard match of dotted names (`wildcard_matcher.py`), used for the path keys
//! of `metadata.tags` (`**.ssn`, `com.acme.User.*`): `?` is one character within a name,
//! `*` any run within a name (up to a `.`), `**` any run across names; `\x` is `x` itself.
//!
//! Python compiles the pattern to a regex on every call; field tags are resolved once per
//! schema here, so a small backtracking matcher is enough and needs no regex at run time.

/// Whether `text` (a field's full name) matches `pattern` as a whole.
pub(super) fn wildcard_match(text: &str, pattern: &str) -> bool {
    // Python rewrites `**.*` to `**` first: the same here.
    let pattern = pattern.replace("**.*", "**");
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    matches(&text, &pattern)
}

fn matches(text: &[char], pattern: &[char]) -> bool {
    match pattern {
        [] => text.is_empty(),
        ['*', '*', rest @ ..] => (0..=text.len()).any(|i| matches(&text[i..], rest)),
        ['*', rest @ ..] => {
            // Within one name: never across a `.`.
            let run = text.iter().take_while(|c| **c != '.').count();
            (0..=run).any(|i| matches(&text[i..], rest))
        }
        ['?', rest @ ..] => {
            matches!(text.first(), Some(c) if *c != '.') && matches(&text[1..], rest)
        }
        ['\\', c, rest @ ..] => text.first() == Some(c) && matches(&text[1..], rest),
        [c, rest @ ..] => text.first() == Some(c) && matches(&text[1..], rest),
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn the_examples_of_confluents_matcher() {
        assert!(wildcard_match("eve", "eve*"));
        assert!(wildcard_match("alice.bob.eve", "a*.bob.eve"));
        assert!(wildcard_match("alice.bob.eve", "a*.bob.e*"));
        assert!(!wildcard_match("alice.bob.eve", "a*"));
        assert!(wildcard_match("alice.bob.eve", "a**"));
        assert!(!wildcard_match("alice.bob.eve", "alice.bob*"));
        assert!(wildcard_match("alice.bob.eve", "alice.bob**"));
        assert!(wildcard_match("com.acme.User.ssn", "**.ssn"));
        assert!(!wildcard_match("com.acme.User.ssn2", "**.ssn"));
        assert!(wildcard_match("a.b", "?.b"));
        assert!(!wildcard_match("a.b", "a?b"));
    }
}
