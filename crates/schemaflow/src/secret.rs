//! [`Secret`]: a value (password, token, private key) that never prints.
//!
//! A configuration holds passwords next to harmless settings, and a `{:?}` of it is the first
//! thing anyone logs while debugging a connection. Rather than a hand-written `Debug` per
//! configuration that has to remember which fields to hide, the secret fields are of type
//! [`Secret`]: the configurations derive `Debug`, and a secret prints as `<redacted>` wherever
//! it ends up (`{:?}`, `{:#?}`, `{}`).
//!
//! Why not the `secrecy` crate, whose `SecretString` / `expose_secret` this mirrors: it prints
//! `SecretBox<str>([REDACTED])` rather than this crate's `<redacted>` (which
//! [`redact`](crate::redact), the CLI's secret tests and log searches use), and it would add a
//! crate to every dependent's build, a count issue 24 holds at 215. What matters in it, wiping
//! the memory on drop, is kept: [`Zeroize`] comes from the `zeroize` crate, already in the tree
//! through reqwest's TLS types.

use std::fmt;

use zeroize::Zeroize;

use crate::redact::REDACTED;

/// A secret value: its `Debug` and `Display` print `<redacted>`, and its memory is wiped
/// (zeroed) when it is dropped. `Secret` alone is a secret string; `Secret<Vec<u8>>` holds
/// bytes (a PEM private key).
///
/// Read it with [`expose_secret`](Secret::expose_secret), at the one place that hands it on
/// (an HTTP header, a librdkafka property): a search for that name finds every such place.
///
/// ```
/// use schemaflow::secret::Secret;
///
/// let password: Secret = "hunter2".into();
/// assert_eq!(format!("{password:?} {password}"), "<redacted> <redacted>");
/// assert_eq!(password.expose_secret(), "hunter2");
/// ```
///
/// Copies made from the exposed value (a `String` built from it, librdkafka's own copy of a
/// property) are not wiped: the wrapper keeps the secret out of output, it is not a vault.
#[derive(Clone)]
pub struct Secret<T: Zeroize = String>(T);

impl<T: Zeroize> Secret<T> {
    /// Wrap `value`.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret itself, to hand on where it is needed (never to print).
    pub fn expose_secret(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl From<Vec<u8>> for Secret<Vec<u8>> {
    fn from(value: Vec<u8>) -> Self {
        Secret(value)
    }
}

impl From<&[u8]> for Secret<Vec<u8>> {
    fn from(value: &[u8]) -> Self {
        Secret(value.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_redacted_in_every_form_but_exposes_the_value() {
        let s: Secret = "hunter2".into();
        for shown in [
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{s}"),
            format!("{:?}", Some(s.clone())),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
        assert_eq!(s.expose_secret(), "hunter2");
        let key: Secret<Vec<u8>> = b"PRIVATE KEY".as_slice().into();
        assert_eq!(format!("{key:?}"), REDACTED);
        assert_eq!(key.clone().expose_secret(), b"PRIVATE KEY");
    }
}
