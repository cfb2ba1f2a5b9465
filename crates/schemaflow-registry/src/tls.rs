//! HTTPS for the registry: `registry serve --tls-cert F --tls-key F [--tls-client-ca F]`.
//!
//! rustls with the `ring` provider (it builds without cmake, unlike aws-lc). axum's own
//! `serve` speaks plain TCP only, so TLS connections are accepted here and handed to hyper
//! (`hyper_util`'s auto HTTP/1 + HTTP/2 builder) with the same router. With a client CA, every
//! client must present a certificate it signed (mutual TLS), as Confluent's
//! `ssl.client.authentication=REQUIRED` does. A failed handshake is logged (at warn, with the
//! peer's address and rustls's reason) and closes that connection only.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use schemaflow::secret::Secret;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The server's certificate chain and key, and the CA its clients' certificates must chain to
/// (PEM, as read from the files): [`TlsConfig::from_files`], or [`TlsConfig::new`] with the
/// PEM text then [`client_ca_pem`](Self::client_ca_pem) for mutual TLS. The fields stay public,
/// to read and to set on a value; the struct is `#[non_exhaustive]`, so new settings can come
/// without breaking callers.
///
/// ```
/// use schemaflow_registry::TlsConfig;
///
/// // PEM as read from files (`TlsConfig::from_files` reads them); checked when serving starts.
/// let cert_pem = b"-----BEGIN CERTIFICATE-----\nMIIB...".to_vec();
/// let key_pem = b"-----BEGIN PRIVATE KEY-----\nMIGH...".to_vec();
/// let clients_ca_pem = b"-----BEGIN CERTIFICATE-----\nMIIC...".to_vec();
/// let tls = TlsConfig::new(cert_pem, key_pem).client_ca_pem(clients_ca_pem);
/// // The key never prints.
/// assert!(!format!("{tls:?}").contains("PRIVATE KEY"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TlsConfig {
    /// The certificate chain, leaf first (PEM).
    pub cert_pem: Vec<u8>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1). Prints as `<redacted>`.
    pub key_pem: Secret<Vec<u8>>,
    /// When set, clients must present a certificate signed by this CA (PEM).
    pub client_ca_pem: Option<Vec<u8>>,
}

/// Written by hand for brevity, not for secrecy (the key is a [`Secret`]): the certificates
/// print as their size, not as a thousand numbers in `registry serve`'s start-up line.
impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &self.key_pem)
            .field("client_ca", &self.client_ca_pem.is_some())
            .finish()
    }
}

fn invalid(what: &str, e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what}: {e}"))
}

impl TlsConfig {
    /// The certificate chain (leaf first) and its private key, as PEM; no client certificates
    /// asked for.
    pub fn new(cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Secret<Vec<u8>>>) -> Self {
        TlsConfig {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
            client_ca_pem: None,
        }
    }

    /// Require client certificates signed by this CA (PEM): mutual TLS.
    pub fn client_ca_pem(mut self, ca_pem: impl Into<Vec<u8>>) -> Self {
        self.client_ca_pem = Some(ca_pem.into());
        self
    }

    /// Read the PEM files.
    pub fn from_files(
        cert: &std::path::Path,
        key: &std::path::Path,
        client_ca: Option<&std::path::Path>,
    ) -> std::io::Result<Self> {
        let read = |p: &std::path::Path| {
            std::fs::read(p)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))
        };
        Ok(TlsConfig {
            cert_pem: read(cert)?,
            key_pem: read(key)?.into(),
            client_ca_pem: client_ca.map(read).transpose()?,
        })
    }

    /// The acceptor, or a clear error for a certificate or key that does not parse or match.
    pub(super) fn acceptor(&self) -> std::io::Result<TlsAcceptor> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| invalid("the TLS certificate is not PEM", e))?;
        if chain.is_empty() {
            return Err(invalid("the TLS certificate file", "holds no certificate"));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.expose_secret())
            .map_err(|e| invalid("the TLS key is not a PEM private key", e))?;
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid("TLS versions", e))?;
        let builder = match &self.client_ca_pem {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_slice_iter(ca) {
                    let c = c.map_err(|e| invalid("the client CA is not PEM", e))?;
                    roots
                        .add(c)
                        .map_err(|e| invalid("the client CA certificate", e))?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    roots.into(),
                    provider,
                )
                .build()
                .map_err(|e| invalid("the client CA", e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| invalid("the TLS certificate and key", e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Accept TLS connections on `listener` and serve `router` on them until `shutdown`
/// completes; then wait (up to 10 s) for the requests in flight.
pub(super) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    let graceful = GracefulShutdown::new();
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: keep serving the others.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let acceptor = acceptor.clone();
        // The client's address for the rate limit, as axum's plain listener gives it.
        let service = TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
        );
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    // At warn: the client often cannot tell why (with TLS 1.3 it has finished
                    // its side before its certificate is checked, and sees a closed
                    // connection), so this line is where an operator finds the reason.
                    Ok(Err(e)) => {
                        tracing::warn!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::warn!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            let builder = Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after 10 s: closed");
    }
    Ok(())
}
