//! TLS and mutual TLS (rustls, through tonic): the server's certificate and key, and the
//! certificate authority whose client certificates the server accepts. With a client CA,
//! every connection must present a certificate it signed; its subject common name then
//! names the principal (see [`super::principals`]).

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Seconds a client has to finish the TLS handshake, so half-open handshakes do not pile up.
const TLS_HANDSHAKE_SECONDS_MAX: u64 = 10;

/// PEM material for serving over TLS.
#[derive(Clone)]
pub struct TlsSettings {
    /// The server's certificate chain, PEM.
    pub certificate_pem: Vec<u8>,
    /// The server's private key, PEM.
    pub key_pem: Vec<u8>,
    /// With mutual TLS: the CA certificate(s) client certificates must chain to, PEM.
    pub client_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsSettings {
    // The key stays out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("mutual", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

/// A TLS file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("TLS file {path}: {source}")]
pub struct TlsFileError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

impl TlsSettings {
    /// Reads the PEM files named on the command line.
    pub fn from_files(
        certificate: &Path,
        key: &Path,
        client_ca: Option<&Path>,
    ) -> Result<TlsSettings, TlsFileError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsFileError {
                path: path.to_path_buf(),
                source,
            })
        };
        Ok(TlsSettings {
            certificate_pem: read(certificate)?,
            key_pem: read(key)?,
            client_ca_pem: client_ca.map(read).transpose()?,
        })
    }

    /// Whether client certificates are required.
    pub fn is_mutual(&self) -> bool {
        self.client_ca_pem.is_some()
    }

    /// The tonic server configuration: client certificates required when a client CA is set.
    pub fn server_config(&self) -> ServerTlsConfig {
        let config = ServerTlsConfig::new()
            .identity(Identity::from_pem(&self.certificate_pem, &self.key_pem))
            .timeout(std::time::Duration::from_secs(TLS_HANDSHAKE_SECONDS_MAX));
        match &self.client_ca_pem {
            Some(ca) => config
                .client_ca_root(Certificate::from_pem(ca))
                .client_auth_optional(false),
            None => config,
        }
    }
}

/// The first subject common name of a DER certificate, if it has one that is UTF-8.
pub fn subject_common_name(der: &[u8]) -> Option<String> {
    let (_, certificate) = X509Certificate::from_der(der).ok()?;
    let name = certificate
        .subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?;
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_no_certificate() {
        assert_eq!(subject_common_name(b""), None);
        assert_eq!(subject_common_name(&[0x30, 0x82, 0xff, 0xff, 0x00]), None);
    }
}
