//! Just enough of RFC 3986 reference resolution for `$id` and `$ref`: absolute references,
//! fragments, absolute paths and relative paths against a base. (No dot-segment removal:
//! schema ids and Confluent reference names do not use them in practice.)

/// Whether `r` starts with a URI scheme (`http:`, `urn:`).
fn has_scheme(r: &str) -> bool {
    let Some(colon) = r.find(':') else {
        return false;
    };
    let scheme = &r[..colon];
    !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `(uri without fragment, fragment without '#')`.
pub(crate) fn split_fragment(uri: &str) -> (&str, &str) {
    match uri.find('#') {
        Some(i) => (&uri[..i], &uri[i + 1..]),
        None => (uri, ""),
    }
}

/// `reference` resolved against `base`.
pub(crate) fn resolve(base: &str, reference: &str) -> String {
    if has_scheme(reference) {
        return reference.to_string();
    }
    let (base, _) = split_fragment(base);
    if reference.is_empty() {
        return base.to_string();
    }
    if reference.starts_with('#') {
        return format!("{base}{reference}");
    }
    if let Some(rest) = reference.strip_prefix("//") {
        let scheme = base.split(':').next().unwrap_or("");
        return if has_scheme(base) {
            format!("{scheme}://{rest}")
        } else {
            reference.to_string()
        };
    }
    if reference.starts_with('/') {
        if let Some(i) = base.find("://") {
            let after = &base[i + 3..];
            let host_end = after.find('/').map(|j| i + 3 + j).unwrap_or(base.len());
            return format!("{}{reference}", &base[..host_end]);
        }
        return reference.to_string();
    }
    match base.rfind('/') {
        Some(i) => format!("{}{reference}", &base[..=i]),
        None => reference.to_string(),
    }
}

/// A JSON pointer fragment's escapes undone: percent-encoding (`%25`), as URI fragments carry it.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            // Bytes, not a `str` slice: the two after `%` may start a multi-byte character.
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves() {
        assert_eq!(resolve("", "#/definitions/a"), "#/definitions/a");
        assert_eq!(resolve("", "other.json"), "other.json");
        assert_eq!(
            resolve("https://example.com/schemas/order.json", "customer.json#/x"),
            "https://example.com/schemas/customer.json#/x"
        );
        assert_eq!(
            resolve("https://example.com/schemas/order.json", "/root.json"),
            "https://example.com/root.json"
        );
        assert_eq!(resolve("https://example.com/a.json", "urn:x"), "urn:x");
        assert_eq!(resolve("a.json#/x", "#y"), "a.json#y");
        assert_eq!(percent_decode("a%25b"), "a%b");
        assert_eq!(percent_decode("%aé"), "%aé");
        assert_eq!(percent_decode("x%"), "x%");
    }
}
