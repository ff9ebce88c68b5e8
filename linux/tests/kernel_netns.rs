//! The substrate of the kernel driver: a private namespace with the TUN
//! device, the deterministic sysctls, and sock_diag. Skips with
//! `SKIPPED <test>: <reason>` without root or /dev/net/tun, unless
//! SYNFIN_REQUIRE_NETNS=1.
#![cfg(target_os = "linux")]

use std::net::{SocketAddrV4, TcpListener};

use synfin_linux::sys::netns::{self, run_or_skip, KERNEL_IP};
use synfin_linux::sys::sock_diag::{KernelState, SockDiag};

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

#[test]
fn kernel_answers_a_syn_over_the_tun() {
    use synfin_linux::sys::tun::TunIo;
    use synfin_tcp::seq::SeqNum;
    use synfin_tcp::wire::{Flags, Segment};
    run_or_skip("kernel_answers_a_syn_over_the_tun", |net| {
        let kernel = SocketAddrV4::new(KERNEL_IP, 7000);
        let ours = SocketAddrV4::new(net.local_ip, 40000);
        let _l = TcpListener::bind(kernel).unwrap();
        let mut io = TunIo::new(net.tun).unwrap();
        let syn = Segment {
            src: ours,
            dst: kernel,
            seq: SeqNum(1000),
            ack: SeqNum(0),
            flags: Flags::SYN,
            window: 64240,
            mss: Some(1460),
            payload: Vec::new(),
        };
        io.send(&syn).unwrap();
        let deadline = io.after(std::time::Duration::from_secs(2));
        let synack = io.recv(Some(deadline)).unwrap().expect("a SYN-ACK");
        assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
        assert_eq!(synack.ack, SeqNum(1001));
        assert_eq!((synack.src, synack.dst), (kernel, ours));
        // The deterministic sysctls: MSS only, the classic window.
        assert_eq!((synack.mss, synack.window), (Some(1460), 64240));
        let mut diag = SockDiag::new().unwrap();
        assert_eq!(
            diag.states_of(kernel, ours).unwrap(),
            vec![KernelState::SynReceived]
        );
        // The direct lookup agrees, and finds nothing (not the listener)
        // for a 4-tuple that has no connection.
        assert_eq!(
            diag.state_of(kernel, ours).unwrap(),
            Some(KernelState::SynReceived)
        );
        let stranger = SocketAddrV4::new(net.local_ip, 40001);
        assert_eq!(diag.state_of(kernel, stranger).unwrap(), None);
        // Nothing else arrives: no IPv6 router solicitations, no retransmission.
        let quiet = io.after(std::time::Duration::from_millis(50));
        assert_eq!(io.recv(Some(quiet)).unwrap(), None);
        assert_eq!(io.stats.ignored, 0);
    });
}
