//! Registry errors: a response error that keeps the method, URL, HTTP status, code and
//! message of a failed call (the codes themselves are the protocol's, [`ErrorCode`]).

use std::fmt;

/// The codes and the JSON error body are the [`protocol`](super::protocol)'s.
pub use super::protocol::{ErrorBody, ErrorCode};

/// A failed registry call.
///
/// The URLs in it are the ones called, without user-info: credentials given in a registry URL
/// (`https://user:password@host`) are taken out of it when the client is built, so no error,
/// log line or `Debug` output shows them.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry answered with an error.
    #[error("{method} {url}: HTTP {status}, error {code}: {message}{}", unauthorized_detail(*.status, *.credentials_sent))]
    Response {
        /// HTTP method.
        method: String,
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// The registry's error code (the status when the body had none).
        code: ErrorCode,
        /// The registry's message.
        message: String,
        /// Whether the request carried credentials (basic auth or a bearer token): a 401 then
        /// means they were refused, otherwise that the registry wants some.
        credentials_sent: bool,
    },
    /// No registry could be reached (after retries and failover).
    #[error("{method} {url}: registry unreachable: {reason}")]
    Transport {
        /// HTTP method.
        method: String,
        /// The URL called last.
        url: String,
        /// The last transport error.
        reason: String,
    },
    /// The TLS connection to the registry failed: its certificate was refused, it refused ours,
    /// or it closed the connection during the handshake.
    #[error("{method} {url}: TLS handshake with the registry failed: {problem} ({reason})")]
    Tls {
        /// HTTP method.
        method: String,
        /// The URL called last.
        url: String,
        /// What was wrong, as far as the TLS library's error tells.
        problem: TlsProblem,
        /// The TLS library's error.
        reason: String,
    },
    /// The answer was not the JSON expected.
    #[error("{method} {url}: unexpected answer: {reason}")]
    BadResponse {
        /// HTTP method.
        method: String,
        /// The URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The client configuration is unusable (bad URL, unreadable certificate…).
    #[error("registry client configuration: {0}")]
    Config(String),
}

fn unauthorized_detail(status: u16, credentials_sent: bool) -> &'static str {
    match (status, credentials_sent) {
        (401, true) => " (the credentials sent were refused)",
        (401, false) => " (no credentials were sent)",
        _ => "",
    }
}

/// Why a TLS connection to the registry failed, read from the TLS library's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The registry's certificate does not chain to a CA this client trusts.
    UnknownCa,
    /// The registry's certificate (or one of its chain) has expired.
    Expired,
    /// The registry's certificate (or one of its chain) is not valid yet.
    NotYetValid,
    /// The registry's certificate does not name the host of the URL.
    HostnameMismatch,
    /// The registry's certificate is not one for a TLS server (its key usage or extended key
    /// usage extensions do not allow it).
    NotAServerCertificate,
    /// The registry wants a client certificate (mutual TLS) and none was given.
    ClientCertificateRequired,
    /// The registry refused the client certificate given.
    ClientCertificateRefused,
    /// What answers at the URL does not speak TLS (a plain HTTP registry at an `https://` URL).
    NotTls,
    /// The registry closed the connection during the handshake without saying why. With TLS
    /// 1.3 a server checks the client's certificate after the client has finished its side
    /// of the handshake, so a refused (or missing) client certificate looks like this; the
    /// registry's log says why.
    ClosedByServer {
        /// Whether this client presented a certificate.
        client_certificate: bool,
    },
    /// Another TLS failure (the reason has the TLS library's words).
    Other,
}

impl TlsProblem {
    /// Whether the problem is in a certificate (or the protocol) and will not go away by
    /// retrying: someone must change a certificate or the configuration.
    pub fn is_permanent(self) -> bool {
        !matches!(self, TlsProblem::ClosedByServer { .. } | TlsProblem::Other)
    }
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsProblem::UnknownCa => {
                "its certificate is not signed by a CA this client trusts (unknown CA)"
            }
            TlsProblem::Expired => "its certificate has expired",
            TlsProblem::NotYetValid => "its certificate is not valid yet",
            TlsProblem::HostnameMismatch => {
                "its certificate does not name the host of the URL (hostname mismatch)"
            }
            TlsProblem::NotAServerCertificate => {
                "its certificate is not a TLS server certificate (key usage or extended key usage)"
            }
            TlsProblem::ClientCertificateRequired => {
                "it requires a client certificate (mutual TLS) and none was given"
            }
            TlsProblem::ClientCertificateRefused => "it refused the client certificate",
            TlsProblem::NotTls => "what answers at this address does not speak TLS",
            TlsProblem::ClosedByServer {
                client_certificate: true,
            } => "it closed the connection without saying why (did it refuse the client certificate? its log says why)",
            TlsProblem::ClosedByServer {
                client_certificate: false,
            } => "it closed the connection without saying why (does it require a client certificate, mutual TLS? its log says why)",
            TlsProblem::Other => "a failure this client does not recognise",
        })
    }
}

impl RegistryError {
    /// The registry error code, if the registry answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            RegistryError::Response { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether retrying may help: transport errors, TLS failures that are not a certificate's
    /// (a connection closed during the handshake), and HTTP 408, 429, 500, 502, 503, 504.
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Transport { .. } => true,
            RegistryError::Tls { problem, .. } => !problem.is_permanent(),
            RegistryError::Response { status, .. } => {
                matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
            }
            _ => false,
        }
    }

    /// True for "not found" answers (subject, version or schema).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some(
                ErrorCode::SubjectNotFound | ErrorCode::VersionNotFound | ErrorCode::SchemaNotFound
            )
        ) || matches!(self, RegistryError::Response { status: 404, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_map_to_status() {
        for c in [40401, 40402, 40403, 409, 42201, 42202, 42203, 50001] {
            assert_eq!(ErrorCode::from_code(c).code(), c);
        }
        // Confluent answers 409; 40901 (other registries) means the same.
        assert_eq!(ErrorCode::from_code(40901), ErrorCode::Incompatible);
        assert_eq!(ErrorCode::Incompatible.http_status(), 409);
        assert_eq!(ErrorCode::InvalidSchema.http_status(), 422);
        assert_eq!(ErrorCode::SubjectNotFound.http_status(), 404);
        assert_eq!(ErrorCode::from_code(12345), ErrorCode::Other(12345));
    }
}
