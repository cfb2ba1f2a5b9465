//! Secrets kept out of `Debug` output, logs and error messages. Configurations hold passwords
//! (`sasl.password`, `ssl.key.password`, registry basic auth, bearer tokens) next to harmless
//! settings, and a `{:?}` of a configuration is the first thing anyone logs while debugging a
//! connection: their `Debug` shows every setting but prints secrets as `<redacted>`. They
//! derive it: the fields that hold secrets are of types that print redacted —
//! [`Secret`](crate::secret::Secret) for a password, token or key, [`KafkaProperties`] for a
//! property map (redacted by key), [`Urls`] for URLs with user-info.
//!
//! URLs may carry secrets too: `https://user:password@registry:8081` is a way to give the
//! registry client basic-auth credentials. The client takes them out of the URL once, when it
//! is built, so no URL it prints or logs holds them; [`url`] redacts a URL given as text
//! (one that did not parse, one printed back to the user).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

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

/// librdkafka / Confluent client properties (`-X key=value`, the `properties` of every
/// configuration): a map of strings whose `Debug` prints the value of every secret key
/// ([`is_secret_property`]: `sasl.password`, `ssl.key.password`, `*secret*`, …) as
/// [`REDACTED`], so the configurations holding one can derive `Debug`.
///
/// It derefs to the `BTreeMap` it wraps: `properties.insert(k, v)`, `.get(k)` and `.iter()`
/// work as on the map.
///
/// ```
/// use schemaflow::redact::KafkaProperties;
///
/// let mut p = KafkaProperties::default();
/// p.insert("sasl.username".into(), "alice".into());
/// p.insert("sasl.password".into(), "hunter2".into());
/// assert_eq!(
///     format!("{p:?}"),
///     r#"{"sasl.password": "<redacted>", "sasl.username": "alice"}"#
/// );
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KafkaProperties(BTreeMap<String, String>);

impl KafkaProperties {
    /// The map.
    pub fn into_inner(self) -> BTreeMap<String, String> {
        self.0
    }
}

impl fmt::Debug for KafkaProperties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| {
                let shown: &str = if is_secret_property(k) { REDACTED } else { v };
                (k, shown)
            }))
            .finish()
    }
}

impl Deref for KafkaProperties {
    type Target = BTreeMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for KafkaProperties {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<BTreeMap<String, String>> for KafkaProperties {
    fn from(map: BTreeMap<String, String>) -> Self {
        KafkaProperties(map)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for KafkaProperties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut p = KafkaProperties::default();
        p.extend(iter);
        p
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for KafkaProperties {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
}

impl<'a> IntoIterator for &'a KafkaProperties {
    type Item = (&'a String, &'a String);
    type IntoIter = std::collections::btree_map::Iter<'a, String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for KafkaProperties {
    type Item = (String, String);
    type IntoIter = std::collections::btree_map::IntoIter<String, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// URLs that may carry credentials as user-info (`https://user:password@registry:8081`, a way
/// to give the registry client basic auth): a list of strings whose `Debug` prints each one
/// through [`url`], so the configurations holding one can derive `Debug`. It derefs to the
/// `Vec` it wraps.
///
/// ```
/// use schemaflow::redact::Urls;
///
/// let urls: Urls = ["http://alice:hunter2@r1:8081", "http://r2:8081"].into_iter().collect();
/// assert_eq!(urls[1], "http://r2:8081");
/// assert_eq!(
///     format!("{urls:?}"),
///     r#"["http://<redacted>@r1:8081", "http://r2:8081"]"#
/// );
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Urls(Vec<String>);

impl fmt::Debug for Urls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|u| url(u)))
            .finish()
    }
}

impl Deref for Urls {
    type Target = Vec<String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Urls {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl From<Vec<String>> for Urls {
    fn from(urls: Vec<String>) -> Self {
        Urls(urls)
    }
}

impl<S: Into<String>> FromIterator<S> for Urls {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Urls(iter.into_iter().map(Into::into).collect())
    }
}

impl<'a> IntoIterator for &'a Urls {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
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
    }

    #[test]
    fn urls_print_without_their_user_info() {
        let urls: Urls = ["http://alice:hunter2@r1:8081", "http://r2:8081"]
            .into_iter()
            .collect();
        let shown = format!("{urls:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("alice"),
            "{shown}"
        );
        assert!(
            shown.contains("r1:8081") && shown.contains("r2:8081"),
            "{shown}"
        );
        assert_eq!(
            urls[0], "http://alice:hunter2@r1:8081",
            "the value itself is kept"
        );
    }

    /// Every configuration of this crate holding a secret: derived `Debug`, no secret shown.
    #[test]
    fn configs_print_their_secrets_redacted() {
        use crate::consumer::ConsumerConfig;
        use crate::exactly_once::ExactlyOnceConfig;
        use crate::producer::ProducerConfig;
        use crate::registry::ClientConfig;

        let secret_props = [
            ("sasl.password", "SaslPassword"),
            ("ssl.key.password", "KeyPassword"),
            ("sasl.oauthbearer.client.secret", "OauthSecret"),
            ("sasl.username", "alice"),
        ];
        let secrets = [
            "SaslPassword",
            "KeyPassword",
            "OauthSecret",
            "BasicPassword",
            "BearerToken",
            "UrlPassword",
        ];
        let shown = [
            format!(
                "{:?}",
                ConsumerConfig::new("b:9092", "g", &["t"]).properties(secret_props)
            ),
            format!(
                "{:?}",
                ProducerConfig::new("b:9092").properties(secret_props)
            ),
            format!(
                "{:#?}",
                ExactlyOnceConfig::new("b:9092", "g", "in", "out", "tx").properties(secret_props)
            ),
            format!(
                "{:?}",
                ClientConfig::new("http://u:UrlPassword@r:8081")
                    .basic_auth("alice:BasicPassword")
                    .bearer_token("BearerToken")
            ),
        ];
        for shown in &shown {
            for secret in secrets {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains(REDACTED), "{shown}");
        }
        // What is not secret stays visible.
        assert!(shown[..3]
            .iter()
            .all(|s| s.contains("alice") && s.contains("b:9092")));
    }

    #[test]
    fn properties_print_secrets_redacted() {
        let mut p = BTreeMap::new();
        p.insert("sasl.password".to_string(), "hunter2".to_string());
        p.insert("sasl.username".to_string(), "alice".to_string());
        let shown = format!("{:?}", KafkaProperties::from(p));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("alice") && shown.contains(REDACTED),
            "{shown}"
        );
    }
}
