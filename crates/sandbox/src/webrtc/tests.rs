//! The media server's routing of browsers to local IPs. Media itself is tested against str0m peers in the
//! crate's integration tests (`tests/webrtc.rs`).

use std::net::Ipv4Addr;

use super::*;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[test]
fn servers_are_per_local_ip() {
    let servers = MediaServers::default();
    let a = servers.for_peer(Some(LOOPBACK));
    let b = servers.for_peer(None);
    assert!(
        Arc::ptr_eq(&a.inner, &b.inner),
        "loopback peer and no peer share the loopback server"
    );
    assert_eq!(a.inner.local_ip, LOOPBACK);
    let mapped = servers.for_peer(Some("::ffff:127.0.0.1".parse().unwrap()));
    assert!(
        Arc::ptr_eq(&a.inner, &mapped.inner),
        "an IPv4-mapped peer is an IPv4 peer"
    );
}
