//! The substrate of the kernel driver: a private namespace with the TUN
//! device, the deterministic sysctls, and sock_diag. Skips with
//! `SKIPPED <test>: <reason>` without root or /dev/net/tun, unless
//! SYNFIN_REQUIRE_NETNS=1.
#![cfg(target_os = "linux")]

use std::net::{SocketAddrV4, TcpListener};

use synfin_tcp::driver::diag::{KernelState, SockDiag};
use synfin_tcp::driver::netns::{self, run_or_skip, KERNEL_IP};

#[test]
fn kernel_netns_is_private_and_configured() {
    run_or_skip("kernel_netns_is_private_and_configured", |net| {
        assert!(!netns::in_host_netns());
        assert_eq!(net.kernel_ip, KERNEL_IP);
        for s in netns::SYSCTLS {
            if net.missing_sysctls.contains(&s.key) {
                continue;
            }
            let v = std::fs::read_to_string(format!("/proc/sys/net/{}", s.key)).unwrap();
            assert_eq!(v.trim(), s.value, "net.{}", s.key);
        }
        // The host's namespace is untouched: our device is not there.
        let host = std::fs::read_to_string("/proc/1/net/dev").unwrap();
        assert!(!host.contains(netns::TUN_NAME), "{host}");
        let ours = std::fs::read_to_string("/proc/thread-self/net/dev").unwrap();
        assert!(ours.contains(netns::TUN_NAME), "{ours}");
    });
}

#[test]
fn kernel_sock_diag_sees_a_listener() {
    run_or_skip("kernel_sock_diag_sees_a_listener", |_net| {
        let mut diag = SockDiag::new().unwrap();
        assert!(diag.tcp_sockets().unwrap().is_empty());
        let addr = SocketAddrV4::new(KERNEL_IP, 7000);
        let _l = TcpListener::bind(addr).unwrap();
        let socks = diag.tcp_sockets().unwrap();
        assert_eq!(socks.len(), 1, "{socks:?}");
        assert_eq!(socks[0].state, KernelState::Listen);
        assert_eq!(socks[0].local, addr);
    });
}
