//! Secrets kept out of `Debug` output, logs and error messages. Configurations hold passwords
//! (`sasl.password`, `ssl.key.password`, registry basic auth, bearer tokens) next to harmless
//! settings, and a `{:?}` of a configuration is the first thing anyone logs while debugging a
//! connection: their `Debug` shows every setting but prints secrets as `<redacted>`.

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
