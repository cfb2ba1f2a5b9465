//! Authorization: who may call the registry and what they may do, from an auth file shaped
//! like Karapace's `registry_authfile`:
//!
//! ```json
//! {
//!   "users": [
//!     {"username": "admin", "algorithm": "argon2", "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$…"},
//!     {"username": "orders", "algorithm": "argon2", "password_hash": "$argon2id$…"}
//!   ],
//!   "permissions": [
//!     {"username": "admin", "operation": "Write", "resource": ".*"},
//!     {"username": "orders", "operation": "Write", "resource": "Subject:orders-.*"},
//!     {"username": "orders", "operation": "Read", "resource": "Subject:shared-.*"},
//!     {"username": "orders", "operation": "Read", "resource": "Config:"}
//!   ]
//! }
//! ```
//!
//! - Passwords are argon2 PHC strings (`schemaflow registry passwd USER` makes an entry); the
//!   salt is inside the PHC string, so a `salt` field is accepted and ignored. Karapace's
//!   `sha1`/`sha256`/`sha512`/`scrypt` hashes are refused at start-up (re-hash them). The
//!   older Karapace keys `password` (for `password_hash`) and `acls` (for `permissions`) are
//!   accepted too.
//! - `operation` is `Read` or `Write` (any case); `Write` includes `Read`, as in Karapace.
//! - `resource` is a regular expression over `Subject:<subject>` or `Config:` (the global
//!   `/config` and `/mode`). Unlike Karapace's prefix match it must match the *whole*
//!   resource, so `Subject:orders` grants `orders` and not `orders-v2`.
//! - A verified (user, password) is remembered as a keyed SHA-256 digest, so argon2 runs
//!   once per user and password, not per request; digests are compared in constant time.
//!   An unknown user costs an argon2 verification too (no user enumeration by timing).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use regex::Regex;
use schemaflow::secret::Secret;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a permission allows: `Write` includes `Read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Read a subject (or the global config and mode).
    Read,
    /// Change it (and read it).
    Write,
}

impl Operation {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "read" => Some(Operation::Read),
            "write" => Some(Operation::Write),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "Read",
            Operation::Write => "Write",
        }
    }
}

/// What a request touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// A subject.
    Subject(String),
    /// The global compatibility config and mode (Karapace's `Config:`).
    Config,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Subject(s) => write!(f, "Subject:{s}"),
            Resource::Config => f.write_str("Config:"),
        }
    }
}

/// An auth file that cannot be used, with what is wrong (never a password).
#[derive(Debug, thiserror::Error)]
#[error("auth file {}: {problem}", path.as_ref().map_or_else(|| "(inline)".to_string(), |p| p.display().to_string()))]
pub struct AuthFileError {
    path: Option<PathBuf>,
    problem: String,
}

impl AuthFileError {
    fn new(problem: impl Into<String>) -> Self {
        AuthFileError {
            path: None,
            problem: problem.into(),
        }
    }
}

/// How a user's password is checked. Both forms print as `<redacted>`: a hash in a log is
/// a password to brute-force offline.
#[derive(Debug)]
enum Credential {
    /// An argon2 PHC string, checked to parse as one when the file is read.
    Argon2(Secret),
    /// SHA-256 of the password given with `--basic-auth` (compared in constant time).
    Plain(Secret<[u8; 32]>),
}

impl Credential {
    /// Whether `password` matches (runs argon2 for a hash).
    fn verify(&self, password: &str) -> bool {
        match self {
            // The PHC string parsed when the file was read; should it not now, refuse.
            Credential::Argon2(phc) => PasswordHash::new(phc.expose_secret()).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            }),
            Credential::Plain(p) => {
                let given: [u8; 32] = Sha256::digest(password.as_bytes()).into();
                bool::from(given.ct_eq(p.expose_secret()))
            }
        }
    }
}

/// One entry of the auth file's `permissions`.
#[derive(Debug)]
struct Grant {
    username: String,
    operation: Operation,
    /// Anchored at both ends.
    resource: Regex,
}

/// A parsed, checked auth file.
#[derive(Debug)]
pub struct AuthFile {
    users: HashMap<String, Credential>,
    permissions: Vec<Grant>,
    /// Users allowed everything (the `--basic-auth` user).
    superusers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    users: Vec<RawUser>,
    #[serde(alias = "acls", default)]
    permissions: Vec<RawPermission>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    username: String,
    algorithm: String,
    #[serde(default)]
    #[allow(dead_code)]
    salt: Option<String>,
    #[serde(alias = "password")]
    password_hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPermission {
    username: String,
    operation: String,
    resource: String,
}

impl AuthFile {
    /// Read and check the auth file at `path`; errors name the file and the problem.
    pub fn load(path: &Path) -> Result<Self, AuthFileError> {
        let named = |mut e: AuthFileError| {
            e.path = Some(path.to_path_buf());
            e
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| named(AuthFileError::new(format!("cannot read it: {e}"))))?;
        Self::parse(&text).map_err(named)
    }

    /// Parse and check an auth file's JSON text.
    pub fn parse(text: &str) -> Result<Self, AuthFileError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: RawFile = serde_path_to_error::deserialize(de).map_err(|e| {
            AuthFileError::new(format!(
                "not a valid auth file at `{}`: {}",
                e.path(),
                e.inner()
            ))
        })?;
        let mut users = HashMap::new();
        for (i, u) in raw.users.into_iter().enumerate() {
            if !u.algorithm.to_ascii_lowercase().starts_with("argon2") {
                return Err(AuthFileError::new(format!(
                    "users[{i}] ({}): algorithm '{}' is not supported, only argon2 (make an entry with `schemaflow registry passwd {}`)",
                    u.username, u.algorithm, u.username
                )));
            }
            let hash = PasswordHash::new(&u.password_hash).map_err(|e| {
                AuthFileError::new(format!(
                    "users[{i}] ({}): password_hash is not an argon2 PHC string: {e}",
                    u.username
                ))
            })?;
            let argon2_ids = [
                argon2::ARGON2ID_IDENT,
                argon2::ARGON2I_IDENT,
                argon2::ARGON2D_IDENT,
            ];
            if !argon2_ids.contains(&hash.algorithm) || argon2::Params::try_from(&hash).is_err() {
                return Err(AuthFileError::new(format!(
                    "users[{i}] ({}): password_hash is not an argon2 hash (or has invalid parameters)",
                    u.username
                )));
            }
            if users
                .insert(
                    u.username.clone(),
                    Credential::Argon2(u.password_hash.into()),
                )
                .is_some()
            {
                return Err(AuthFileError::new(format!(
                    "users[{i}]: user '{}' appears twice",
                    u.username
                )));
            }
        }
        let mut permissions = Vec::new();
        for (i, p) in raw.permissions.into_iter().enumerate() {
            if !users.contains_key(&p.username) {
                return Err(AuthFileError::new(format!(
                    "permissions[{i}]: user '{}' is not among the users",
                    p.username
                )));
            }
            let operation = Operation::parse(&p.operation).ok_or_else(|| {
                AuthFileError::new(format!(
                    "permissions[{i}]: operation '{}' is neither Read nor Write",
                    p.operation
                ))
            })?;
            let resource = Regex::new(&format!("^(?:{})$", p.resource)).map_err(|e| {
                AuthFileError::new(format!(
                    "permissions[{i}]: resource '{}' is not a regular expression: {e}",
                    p.resource
                ))
            })?;
            permissions.push(Grant {
                username: p.username,
                operation,
                resource,
            });
        }
        Ok(AuthFile {
            users,
            permissions,
            superusers: Vec::new(),
        })
    }

    /// The single user of `--basic-auth USER:PASSWORD`, allowed everything.
    pub fn single_user(user_password: &str) -> Self {
        let (user, password) = user_password.split_once(':').unwrap_or((user_password, ""));
        AuthFile {
            users: HashMap::from([(
                user.to_string(),
                Credential::Plain(Secret::new(Sha256::digest(password.as_bytes()).into())),
            )]),
            permissions: Vec::new(),
            superusers: vec![user.to_string()],
        }
    }

    /// Whether `user` may do `op` on `resource`.
    pub fn allows(&self, user: &str, op: Operation, resource: &Resource) -> bool {
        if self.superusers.iter().any(|s| s == user) {
            return true;
        }
        let resource = resource.to_string();
        self.permissions.iter().any(|p| {
            p.username == user
                && (op == Operation::Read || p.operation == Operation::Write)
                && p.resource.is_match(&resource)
        })
    }
}

/// An argon2id PHC string for `password` (default parameters, random salt), for an auth
/// file's `password_hash`.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// Checks credentials against an [`AuthFile`], remembering the verified ones.
pub(crate) struct Authorizer {
    file: AuthFile,
    /// Per-process key of the credential digests.
    key: [u8; 32],
    /// Per user: the keyed digest of the last password verified for them.
    verified: Mutex<HashMap<String, [u8; 32]>>,
    /// How many password hashes were checked (the cache's unit test reads it).
    verifications: AtomicU64,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("users", &self.file.users.len())
            .field("permissions", &self.file.permissions.len())
            .finish_non_exhaustive()
    }
}

/// Why a request is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Denied {
    /// No, malformed or wrong credentials: 401.
    Unauthorized,
    /// A known user without the permission: 403, with the message.
    Forbidden(String),
}

/// Who is calling: handlers ask it what the caller may read.
#[derive(Clone, Debug)]
pub(crate) struct Principal(Option<(Arc<Authorizer>, Arc<str>)>);

impl Principal {
    /// The user's name for the access log; `-` when no authorization is configured.
    pub(crate) fn name(&self) -> &str {
        self.0.as_ref().map_or("-", |(_, user)| user)
    }

    /// Anyone: no authorization is configured.
    pub(crate) fn anyone() -> Self {
        Principal(None)
    }

    /// Whether the caller may do everything (no authorization, or the `--basic-auth` user).
    pub(crate) fn unrestricted(&self) -> bool {
        match &self.0 {
            None => true,
            Some((a, user)) => a.file.superusers.iter().any(|s| **s == **user),
        }
    }

    /// Whether the caller may do `op` on `resource` (`GET /v1/metadata/permissions`).
    pub(crate) fn may(&self, op: Operation, resource: &Resource) -> bool {
        match &self.0 {
            None => true,
            Some((a, user)) => a.file.allows(user, op, resource),
        }
    }

    /// The user's name, when authorization is configured.
    pub(crate) fn user(&self) -> Option<&str> {
        self.0.as_ref().map(|(_, user)| &**user)
    }

    /// Whether the caller may read `subject`.
    pub(crate) fn may_read(&self, subject: &str) -> bool {
        match &self.0 {
            None => true,
            Some((a, user)) => a.file.allows(
                user,
                Operation::Read,
                &Resource::Subject(subject.to_string()),
            ),
        }
    }
}

/// What a request needs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing (`/health`, for probes).
    Open,
    /// Valid credentials; the handler may filter what it answers.
    Authenticated,
    /// Valid credentials with this permission.
    Allowed(Operation, Resource),
}

/// What a route needs, declared with it (`routes/`); the auth layer turns it into a [`Need`]
/// with the request's `{subject}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    /// Nothing (`/health`, for probes).
    Open,
    /// Valid credentials; the handler filters what it answers.
    Authenticated,
    /// `Read` on the scope.
    Read(Scope),
    /// `Write` on the scope: the route changes the registry (so a follower forwards it).
    Write(Scope),
}

/// What a [`Permission`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The subject of the route's `{subject}` path parameter.
    Subject,
    /// The global config and mode ([`Resource::Config`]).
    Config,
}

impl Permission {
    /// What a request needs, `subject` being its percent-decoded `{subject}`. A subject route
    /// whose subject did not decode asks for the empty subject (the handler refuses the path).
    pub(crate) fn need(self, subject: Option<&str>) -> Need {
        let resource = |scope| match scope {
            Scope::Subject => Resource::Subject(subject.unwrap_or_default().to_string()),
            Scope::Config => Resource::Config,
        };
        match self {
            Permission::Open => Need::Open,
            Permission::Authenticated => Need::Authenticated,
            Permission::Read(scope) => Need::Allowed(Operation::Read, resource(scope)),
            Permission::Write(scope) => Need::Allowed(Operation::Write, resource(scope)),
        }
    }

    /// Whether the route changes the registry.
    pub(crate) fn is_write(self) -> bool {
        matches!(self, Permission::Write(_))
    }
}

impl Authorizer {
    pub(crate) fn new(file: AuthFile) -> Self {
        let mut key = [0u8; 32];
        let seed = format!(
            "{:?}{:?}{}",
            std::time::SystemTime::now(),
            std::thread::current().id(),
            fastrand::u128(..)
        );
        key.copy_from_slice(&Sha256::digest(seed.as_bytes()));
        Authorizer {
            file,
            key,
            verified: Mutex::new(HashMap::new()),
            verifications: AtomicU64::new(0),
        }
    }

    fn digest(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(user.as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// Whether `password` is `user`'s (blocking: may run argon2).
    fn verify(&self, user: &str, password: &str) -> bool {
        let digest = self.digest(user, password);
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
            .copied();
        if cached.is_some_and(|c| bool::from(c.ct_eq(&digest))) {
            return true;
        }
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let ok = match self.file.users.get(user) {
            Some(credential) => credential.verify(password),
            None => {
                // As long as for a known user, then refuse.
                if let Some(c @ Credential::Argon2(_)) = self.file.users.values().next() {
                    let _ = c.verify(password);
                }
                false
            }
        };
        if ok {
            self.verified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(user.to_string(), digest);
        }
        ok
    }

    /// Check a request's `Authorization` header against what it needs.
    pub(crate) async fn check(
        self: &Arc<Self>,
        authorization: Option<&str>,
        need: Need,
    ) -> Result<Principal, Denied> {
        if need == Need::Open {
            return Ok(Principal::anyone());
        }
        let (user, password) = basic_credentials(authorization).ok_or(Denied::Unauthorized)?;
        let this = Arc::clone(self);
        let u = user.clone();
        let ok = tokio::task::spawn_blocking(move || this.verify(&u, &password))
            .await
            .unwrap_or(false);
        if !ok {
            return Err(Denied::Unauthorized);
        }
        if let Need::Allowed(op, res) = &need {
            if !self.file.allows(&user, *op, res) {
                return Err(Denied::Forbidden(format!(
                    "User {user} is denied operation {} on {}",
                    op.as_str(),
                    match res {
                        Resource::Subject(s) => format!("Subject: {s}"),
                        Resource::Config => "Config".to_string(),
                    }
                )));
            }
        }
        Ok(Principal(Some((Arc::clone(self), user.into()))))
    }
}

/// `Basic base64(user:password)` → (user, password).
fn basic_credentials(header: Option<&str>) -> Option<(String, String)> {
    use base64::Engine as _;
    let (scheme, b64) = header?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap_hash(password: &str) -> String {
        let params = argon2::Params::new(64, 1, 1, None).unwrap();
        Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(password.as_bytes())
            .unwrap()
            .to_string()
    }

    fn file() -> AuthFile {
        AuthFile::parse(&format!(
            r#"{{"users": [
                {{"username": "admin", "algorithm": "argon2", "salt": "x", "password_hash": "{}"}},
                {{"username": "orders", "algorithm": "argon2", "password_hash": "{}"}}
            ],
            "permissions": [
                {{"username": "admin", "operation": "Write", "resource": ".*"}},
                {{"username": "orders", "operation": "write", "resource": "Subject:orders-.*"}},
                {{"username": "orders", "operation": "Read", "resource": "Subject:shared"}}
            ]}}"#,
            cheap_hash("a-pass"),
            cheap_hash("o-pass")
        ))
        .unwrap()
    }

    fn subject(s: &str) -> Resource {
        Resource::Subject(s.into())
    }

    #[test]
    fn patterns_match_whole_resources_and_write_includes_read() {
        let f = file();
        assert!(f.allows("admin", Operation::Write, &Resource::Config));
        assert!(f.allows("admin", Operation::Write, &subject("anything")));
        assert!(f.allows("orders", Operation::Write, &subject("orders-value")));
        assert!(f.allows("orders", Operation::Read, &subject("orders-value")));
        assert!(f.allows("orders", Operation::Read, &subject("shared")));
        assert!(!f.allows("orders", Operation::Write, &subject("shared")));
        assert!(
            !f.allows("orders", Operation::Read, &subject("shared-v2")),
            "anchored"
        );
        assert!(!f.allows("orders", Operation::Read, &subject("x-orders-value")));
        assert!(!f.allows("orders", Operation::Read, &Resource::Config));
        assert!(!f.allows("nobody", Operation::Read, &subject("shared")));
    }

    #[test]
    fn malformed_files_are_refused_with_the_reason() {
        let bad = [
            ("{", "not a valid auth file"),
            (r#"{"users": [{"username": "a"}]}"#, "users[0]"),
            (
                r#"{"users": [{"username": "a", "algorithm": "sha512", "salt": "s", "password_hash": "x"}]}"#,
                "algorithm 'sha512' is not supported",
            ),
            (
                r#"{"users": [{"username": "a", "algorithm": "argon2", "password_hash": "plain"}]}"#,
                "not an argon2 PHC string",
            ),
            (
                r#"{"users": [{"username": "a", "algorithm": "argon2", "password_hash": "$pbkdf2-sha256$i=5000$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#,
                "not an argon2 hash",
            ),
            (
                r#"{"users": [], "permissions": [{"username": "a", "operation": "Read", "resource": ".*"}]}"#,
                "user 'a' is not among the users",
            ),
            (r#"{"users": [], "permisions": []}"#, "permisions"),
        ];
        for (text, reason) in bad {
            let e = AuthFile::parse(text).unwrap_err().to_string();
            assert!(e.contains(reason), "{text}: {e}");
        }
        let h = cheap_hash("p");
        let e = AuthFile::parse(&format!(
            r#"{{"users": [{{"username": "a", "algorithm": "argon2", "password_hash": "{h}"}}],
                "permissions": [{{"username": "a", "operation": "Delete", "resource": ".*"}}]}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("operation 'Delete'"), "{e}");
        let e = AuthFile::parse(&format!(
            r#"{{"users": [{{"username": "a", "algorithm": "argon2", "password_hash": "{h}"}}],
                "permissions": [{{"username": "a", "operation": "Read", "resource": "Subject:("}}]}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("not a regular expression"), "{e}");
    }

    #[test]
    fn karapace_keys_are_accepted() {
        let f = AuthFile::parse(&format!(
            r#"{{"users": [{{"username": "a", "algorithm": "argon2id", "salt": "s", "password": "{}"}}],
                "acls": [{{"username": "a", "operation": "Read", "resource": "Config:"}}]}}"#,
            cheap_hash("p")
        ))
        .unwrap();
        assert!(f.allows("a", Operation::Read, &Resource::Config));
    }

    #[test]
    fn verified_credentials_are_cached_and_wrong_ones_are_not() {
        let a = Authorizer::new(file());
        assert!(a.verify("orders", "o-pass"));
        assert_eq!(a.verifications.load(Ordering::Relaxed), 1);
        assert!(a.verify("orders", "o-pass"));
        assert!(a.verify("orders", "o-pass"));
        assert_eq!(a.verifications.load(Ordering::Relaxed), 1, "cache hit");
        assert!(!a.verify("orders", "wrong"));
        assert!(!a.verify("orders", "wrong"));
        assert_eq!(
            a.verifications.load(Ordering::Relaxed),
            3,
            "misses are recomputed"
        );
        assert!(!a.verify("orders", "a-pass"), "another user's password");
        assert!(!a.verify("ghost", "o-pass"));
        assert!(a.verify("orders", "o-pass"), "still cached");
        assert_eq!(a.verifications.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let h = cheap_hash("p");
        let f = AuthFile::parse(&format!(
            r#"{{"users": [{{"username": "a", "algorithm": "argon2", "password_hash": "{h}"}}]}}"#
        ))
        .unwrap();
        let hash_part = h.rsplit('$').next().unwrap();
        assert!(!format!("{f:?}").contains(hash_part));
        let single = AuthFile::single_user("root:hunter2");
        assert!(!format!("{single:?}").contains("hunter2"));
        assert!(!format!("{:?}", Authorizer::new(single)).contains("hunter2"));
    }

    #[test]
    fn credentials_never_print() {
        let hash = cheap_hash("a-pass");
        let salt = hash.rsplit('$').nth(1).expect("a PHC string has a salt");
        let hashed = AuthFile::parse(&format!(
            r#"{{"users": [{{"username": "admin", "algorithm": "argon2", "password_hash": "{hash}"}}], "permissions": []}}"#
        ))
        .unwrap();
        let plain = AuthFile::single_user("root:hunter2");
        for shown in [format!("{hashed:?}"), format!("{plain:#?}")] {
            for secret in [hash.as_str(), salt, "hunter2", "$argon2"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        // The user names are no secret: the output still says who is configured.
        assert!(format!("{hashed:?}").contains("admin"));
    }

    #[test]
    fn basic_auth_user_may_do_everything() {
        let a = Authorizer::new(AuthFile::single_user("root:pw:with:colons"));
        assert!(a.verify("root", "pw:with:colons"));
        assert!(!a.verify("root", "pw"));
        assert!(a.file.allows("root", Operation::Write, &Resource::Config));
    }

    #[test]
    fn headers_parse_as_basic_credentials() {
        use base64::Engine as _;
        let h = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("u:p:q")
        );
        assert_eq!(
            basic_credentials(Some(&h)),
            Some(("u".into(), "p:q".into()))
        );
        assert_eq!(basic_credentials(Some("Bearer abc")), None);
        assert_eq!(basic_credentials(Some("Basic !!!")), None);
        assert_eq!(basic_credentials(None), None);
    }
}
