//! Trusting exactly piphone's own certificate on this machine, rather than any certificate.
//!
//! * The command line's HTTPS client accepts the server only if it presents the very certificate in the data
//!   directory (or `PIPHONE_TLS_CERT`), byte for byte; handshake signatures are still verified.
//! * Chromium gets the certificate's public-key hash in `--ignore-certificate-errors-spki-list`, which relaxes
//!   certificate checks for that key only.

use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::settings::Settings;

/// The certificate the local server presents, or `None` when it speaks plain HTTP.
pub fn server_certificate(settings: &Settings) -> anyhow::Result<Option<CertificateDer<'static>>> {
    let Some(path) = crate::tls::certificate_path(settings) else {
        return Ok(None);
    };
    crate::tls::first_certificate(&path)
        .with_context(|| {
            format!(
                "reading the server's certificate {} (has `piphone serve` run with this data directory?)",
                path.display()
            )
        })
        .map(Some)
}

/// Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo: the form Chromium's
/// `--ignore-certificate-errors-spki-list` takes.
pub fn spki_sha256_base64(cert: &CertificateDer<'_>) -> anyhow::Result<String> {
    let parsed = webpki::EndEntityCert::try_from(cert)
        .map_err(|e| anyhow::anyhow!("the server certificate cannot be parsed: {e:?}"))?;
    let spki = parsed.subject_public_key_info();
    Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki.as_ref())))
}

/// A rustls client configuration that trusts `pinned` and nothing else.
pub fn client_config(pinned: CertificateDer<'static>) -> anyhow::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = PinnedCert {
        pinned,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug)]
struct PinnedCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The name is not checked: the certificate itself is the identity (we dial 127.0.0.1).
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
