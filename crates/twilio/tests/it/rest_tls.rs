//! `ClientConfig::accept_invalid_certs`: a self-signed HTTPS server (like piphone's local
//! sandbox) is refused by default and accepted only when the flag is set.

use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use twilio::rest::{Auth, Client, ClientConfig, RestError};

use crate::support::{ACCOUNT, QUEUE};

/// Serves one canned queue over TLS with a fresh self-signed certificate for 127.0.0.1.
async fn self_signed_server() -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let body = format!(r#"{{"sid":"{QUEUE}","friendly_name":"radio"}}"#);
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://{addr}")
}

fn client(base_url: &str, accept_invalid_certs: bool) -> Client {
    let config = ClientConfig {
        base_url: base_url.to_string(),
        accept_invalid_certs,
        max_retries: 0,
        ..Default::default()
    };
    Client::new(ACCOUNT, Auth::auth_token("t"), config).unwrap()
}

#[tokio::test]
async fn self_signed_certificate_only_with_the_flag() {
    let url = self_signed_server().await;
    let refused = client(&url, false).fetch_queue(QUEUE).await;
    assert!(
        matches!(refused, Err(RestError::Transport(_))),
        "default must verify: {refused:?}"
    );
    let queue = client(&url, true).fetch_queue(QUEUE).await.unwrap();
    assert_eq!(queue.friendly_name.as_deref(), Some("radio"));
}
