//! HTTPS for a devcluster that requires a token: kubectl sends bearer tokens only over TLS, so a token-protected
//! devcluster generates a private CA and a serving certificate for the loopback names at start-up, serves HTTPS
//! with it, and puts the CA into the kubeconfig it writes.

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA or serving certificate could not be generated.
    #[error("generating the {what} certificate: {source}")]
    Generate {
        /// Which certificate.
        what: &'static str,
        /// rcgen's error.
        #[source]
        source: rcgen::Error,
    },
    /// rustls refused the generated certificate or key.
    #[error("configuring TLS: {0}")]
    Configure(#[from] rustls::Error),
}

/// A generated CA and the serving configuration built on it.
#[derive(Clone)]
pub struct ServerTls {
    /// The CA certificate (PEM) clients trust.
    pub ca_pem: String,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Generates a CA and a certificate for `localhost`, `127.0.0.1`, `::1` and the listen address.
    pub fn generate(listen: SocketAddr) -> Result<ServerTls, TlsError> {
        let ca_key =
            KeyPair::generate().map_err(|source| TlsError::Generate { what: "CA", source })?;
        let mut ca_params = CertificateParams::default();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "devcluster CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .map_err(|source| TlsError::Generate { what: "CA", source })?;
        let issuer = Issuer::new(ca_params, ca_key);

        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        let ip = listen.ip().to_string();
        if !names.contains(&ip) && !listen.ip().is_unspecified() {
            names.push(ip);
        }
        let serving = |source| TlsError::Generate {
            what: "serving",
            source,
        };
        let key = KeyPair::generate().map_err(serving)?;
        let mut params = CertificateParams::new(names).map_err(serving)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "devcluster");
        let cert = params.signed_by(&key, &issuer).map_err(serving)?;

        let chain = vec![CertificateDer::from(cert.der().to_vec())];
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// A listener that completes the TLS handshake of every accepted connection.
    pub fn listener(&self, tcp: TcpListener) -> TlsListener {
        TlsListener {
            tcp,
            acceptor: self.acceptor.clone(),
        }
    }
}

/// Accepts TCP connections and hands axum only those whose TLS handshake succeeded.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::debug!(error = %e, "accept failed");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            match self.acceptor.accept(stream).await {
                Ok(tls) => return (tls, addr),
                Err(e) => tracing::debug!(error = %e, peer = %addr, "TLS handshake failed"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
