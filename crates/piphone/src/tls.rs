//! TLS for the listener: the operator's certificate, or a self-signed one made once in the data directory
//! (browsers allow the microphone on a LAN only over HTTPS). rustls with the ring provider; no OpenSSL.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::settings::{Settings, TlsMode};

/// Installs rustls's ring provider once for the process (reqwest and the listener both use it).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Only a Twilio stand-in on this machine (the sandbox, with its self-signed certificate) is trusted without a
/// valid certificate.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The certificate the listener presents (PEM), or `None` with `PIPHONE_TLS=off`. Local clients (the command line,
/// the kiosk browser) pin it instead of trusting any certificate.
pub fn certificate_path(settings: &Settings) -> Option<PathBuf> {
    match &settings.tls {
        TlsMode::Off => None,
        TlsMode::Files { cert, .. } => Some(cert.clone()),
        TlsMode::SelfSigned => Some(settings.data_dir.join("tls").join("cert.pem")),
    }
}

/// The first certificate of a PEM file, as DER.
pub fn first_certificate(path: &Path) -> anyhow::Result<CertificateDer<'static>> {
    load_certs(path).map(|mut certs| certs.swap_remove(0))
}

/// The rustls server configuration for the settings, or `None` with `PIPHONE_TLS=off`.
pub fn server_config(settings: &Settings) -> anyhow::Result<Option<Arc<ServerConfig>>> {
    let (cert_path, key_path) = match &settings.tls {
        TlsMode::Off => return Ok(None),
        TlsMode::Files { cert, key } => (cert.clone(), key.clone()),
        TlsMode::SelfSigned => {
            let dir = settings.data_dir.join("tls");
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            if !cert.exists() || !key.exists() {
                make_self_signed(&dir, &cert, &key, settings)?;
            }
            (cert, key)
        }
    };
    let certs = load_certs(&cert_path)?;
    let key = load_key(&key_path)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .with_context(|| {
            format!(
                "TLS certificate {} does not match its key",
                cert_path.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

fn make_self_signed(
    dir: &Path,
    cert: &Path,
    key: &Path,
    settings: &Settings,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let ip = settings.listen.ip();
    if !ip.is_unspecified() && !ip.is_loopback() {
        names.push(ip.to_string());
    }
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() {
            names.push(host.to_owned());
            names.push(format!("{host}.local"));
        }
    }
    if let Some(h) = settings.public_url.as_ref().and_then(|u| u.host_str()) {
        names.push(h.to_owned());
    }
    names.dedup();
    let made = rcgen::generate_simple_self_signed(names.clone())
        .context("generating a self-signed certificate")?;
    std::fs::write(cert, made.cert.pem()).with_context(|| format!("writing {}", cert.display()))?;
    crate::fsutil::write_private(key, made.signing_key.serialize_pem().as_bytes())?;
    tracing::info!(path = %cert.display(), names = ?names, "made a self-signed TLS certificate");
    Ok(())
}

fn load_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("reading TLS certificate {}", path.display()))?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing TLS certificate {}", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "no certificate found in {}",
        path.display()
    );
    Ok(certs)
}

fn load_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let pem = std::fs::read(path).with_context(|| format!("reading TLS key {}", path.display()))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .with_context(|| format!("parsing TLS key {}", path.display()))?
        .with_context(|| format!("no private key found in {}", path.display()))
}
