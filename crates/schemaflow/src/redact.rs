//! Secrets kept out of `Debug` output, logs and error messages. Configurations hold passwords
//! (`sasl.password`, `ssl.key.password`, registry basic auth, bearer tokens) next to harmless
//! settings, and a `{:?}` of a configuration is the first thing anyone logs while debugging a
//! connection: their `Debug` shows every setting but prints secrets as `<redacted>`.
//!
//! URLs may carry secrets too: `https://user:password@registry:8081` is a way to give the
//! registry client basic-auth credentials. The client takes them out of the URL once, when it
//! is built, so no URL it prints or logs holds them; [`url`] redacts a URL given as text
//! (one that did not parse, one printed back to the user).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// What a secret prints as.
pub const REDACTED: &str = "<redacted>";

/// Whether a librdkafka / Confluent client property holds a secret: passwords, secrets,
/// tokens, private keys, JAAS and OAuth settings, `basic.auth.user.info`.
pub fn is_secret_property(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.contains("token")
        || k.contains("jaas")
        || k.contains("user.info")
        || k == "sasl.oauthbearer.config"
        || k == "ssl.key.pem"
        || k == "ssl_key"
        || k.ends_with(".key.pem")
}

/// A property map whose secret values print as [`REDACTED`].
pub struct Properties<'a>(pub &'a BTreeMap<String, String>);

impl fmt::Debug for Properties<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| {
                let shown: &str = if is_secret_property(k) { REDACTED } else { v };
                (k, shown)
            }))
            .finish()
    }
}

/// An optional secret: whether it is set, never what it is.
pub fn presence<T>(secret: &Option<T>) -> Option<&'static str> {
    secret.as_ref().map(|_| REDACTED)
}

/// A secret value: its `Debug` prints [`REDACTED`], so a struct holding one can derive `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret<T>(pub(crate) T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// `text` with the user-info (`user:password@`) of every URL in it replaced by [`REDACTED`]:
/// `http://alice:pw@host:8081/x` prints as `http://<redacted>@host:8081/x`. `text` may be a
/// comma-separated list of URLs, as `--registry` and `schema.registry.url` take, and need not
/// parse as a URL (a typo in the port still leaves the password in the text).
///
/// The user name goes too: a URL may carry a token as its user name alone. The user-info is
/// everything between `://` and the last `@` of each URL, not just up to the first `/`, so a
/// password holding an unescaped `/`, `?` or `#` is still hidden; a `@` later in a path or query
/// hides more than needed, which is the safe way to be wrong.
pub fn url(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let redacted: Vec<Cow<'_, str>> = text.split(',').map(one_url).collect();
    Cow::Owned(redacted.join(","))
}

fn one_url(u: &str) -> Cow<'_, str> {
    let Some(scheme_end) = u.find("://") else {
        return Cow::Borrowed(u);
    };
    let start = scheme_end + "://".len();
    match u[start..].rfind('@') {
        None => Cow::Borrowed(u),
        Some(at) => Cow::Owned(format!("{}{REDACTED}{}", &u[..start], &u[start + at..])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_properties_are_recognised_and_others_not() {
        for k in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.config",
            "basic.auth.user.info",
            "bearer.auth.token",
            "ssl.key.pem",
            "sasl.jaas.config",
        ] {
            assert!(is_secret_property(k), "{k}");
        }
        for k in [
            "bootstrap.servers",
            "security.protocol",
            "sasl.username",
            "ssl.ca.location",
        ] {
            assert!(!is_secret_property(k), "{k}");
        }
    }

    #[test]
    fn urls_lose_their_user_info() {
        for (given, shown) in [
            (
                "http://u1:SecretInUrl@127.0.0.1:1",
                "http://<redacted>@127.0.0.1:1",
            ),
            (
                "https://tok3n@r:8081/subjects?x=1",
                "https://<redacted>@r:8081/subjects?x=1",
            ),
            (
                "http://u:pa/ss#w@h:notaport",
                "http://<redacted>@h:notaport",
            ),
            (
                "http://a:p1@h1:8081, http://h2:8081,http://b:p2@h3",
                "http://<redacted>@h1:8081, http://h2:8081,http://<redacted>@h3",
            ),
            ("http://localhost:8081", "http://localhost:8081"),
            ("not a url @ all", "not a url @ all"),
        ] {
            assert_eq!(url(given), shown, "{given}");
        }
        assert_eq!(format!("{:?}", Secret("hunter2")), REDACTED);
    }

    #[test]
    fn properties_print_secrets_redacted() {
        let mut p = BTreeMap::new();
        p.insert("sasl.password".to_string(), "hunter2".to_string());
        p.insert("sasl.username".to_string(), "alice".to_string());
        let shown = format!("{:?}", Properties(&p));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("alice") && shown.contains(REDACTED),
            "{shown}"
        );
    }
}
