//! Certificates made for one test: a CA, a server certificate for `localhost`, and client
//! certificates whose subject common name names a principal.

use matchledger::api::tls::TlsSettings;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// A certificate and its private key, PEM.
pub struct Pem {
    pub certificate: String,
    pub key: String,
}

/// A certificate authority able to sign server and client certificates.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    /// A fresh self-signed CA.
    pub fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        Authority {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// The CA certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `localhost` and 127.0.0.1.
    pub fn server(&self) -> Pem {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(params)
    }

    /// A client certificate whose subject common name is `name`.
    pub fn client(&self, name: &str) -> Pem {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params)
    }

    fn sign(&self, params: CertificateParams) -> Pem {
        let key = KeyPair::generate().expect("key");
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("signed certificate");
        Pem {
            certificate: certificate.pem(),
            key: key.serialize_pem(),
        }
    }

    /// Server TLS settings with this CA's server certificate; with `mutual`, client
    /// certificates signed by this CA are required.
    pub fn server_settings(&self, mutual: bool) -> TlsSettings {
        let server = self.server();
        TlsSettings {
            certificate_pem: server.certificate.into_bytes(),
            key_pem: server.key.into_bytes(),
            client_ca_pem: mutual.then(|| self.certificate_pem().into_bytes()),
        }
    }

    /// Client TLS settings trusting this CA, presenting `identity` if given.
    pub fn client_settings(&self, identity: Option<&Pem>) -> ClientTlsConfig {
        let config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(self.certificate_pem()))
            .domain_name("localhost");
        match identity {
            Some(pem) => config.identity(Identity::from_pem(&pem.certificate, &pem.key)),
            None => config,
        }
    }
}
