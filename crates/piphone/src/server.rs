//! Serving a router on a bound listener, with or without TLS, until a shutdown signal; in-flight requests
//! (webhooks especially: Twilio waits 15 s and gives no second chance) are allowed to finish.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long connections get to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then drains open connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    // Every connection task holds a receiver; a shutdown is announced through the sender, which then waits
    // until the last receiver is gone (every connection finished its request in flight and closed).
    let (drain, draining) = tokio::sync::watch::channel(());
    // HTTP/1.1 with upgrades (WebSockets). The timer makes hyper's 30 s header-read timeout effective, so a
    // client that opens a connection and trickles its headers is cut off.
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service =
            app.clone()
                .map_request(move |mut req: http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                });
        let hyper_service = TowerToHyperService::new(service);
        let draining = draining.clone();
        let builder = builder.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let result = match acceptor {
                Some(acceptor) => {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        Ok(Ok(tls)) => {
                            let conn = builder
                                .serve_connection(TokioIo::new(tls), hyper_service)
                                .with_upgrades();
                            until_drained(conn, draining).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    }
                }
                None => {
                    let conn = builder
                        .serve_connection(TokioIo::new(stream), hyper_service)
                        .with_upgrades();
                    until_drained(conn, draining).await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    drop(draining);
    tracing::info!(
        open = drain.receiver_count(),
        "shutting down; letting open requests finish"
    );
    let _ = drain.send(());
    if tokio::time::timeout(DRAIN_TIMEOUT, drain.closed())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time");
    }
    Ok(())
}

/// Serves one connection; once a shutdown is announced, finishes the request in flight (keep-alive ends) and
/// returns. An upgraded connection (a WebSocket) is handed off by hyper and no longer counted here.
async fn until_drained<C>(conn: C, mut draining: tokio::sync::watch::Receiver<()>) -> C::Output
where
    C: Future + GracefulConnection,
{
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => result,
        _ = draining.changed() => {
            conn.as_mut().start_graceful_shutdown();
            conn.await
        }
    }
}

/// What [`until_drained`] needs of a connection: a way to stop taking new requests.
trait GracefulConnection {
    fn start_graceful_shutdown(self: std::pin::Pin<&mut Self>);
}

impl<I, S> GracefulConnection for http1::UpgradeableConnection<I, S>
where
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: hyper::body::Body + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    fn start_graceful_shutdown(self: std::pin::Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// The URL a client on this machine reaches the listener at.
pub fn local_url(addr: SocketAddr, tls: bool) -> url::Url {
    let host = if addr.ip().is_unspecified() {
        match addr {
            SocketAddr::V4(_) => "127.0.0.1".to_owned(),
            SocketAddr::V6(_) => "[::1]".to_owned(),
        }
    } else {
        match addr {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        }
    };
    let scheme = if tls { "https" } else { "http" };
    url::Url::parse(&format!("{scheme}://{host}:{}", addr.port()))
        .expect("a host and port make a valid URL")
}

/// Resolves when the process gets SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
