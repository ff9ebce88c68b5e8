//! The sock_diag request and reply messages for IPv4 TCP: a netlink header
//! and `struct inet_diag_req_v2` out, netlink headers and
//! `struct inet_diag_msg` back (`include/uapi/linux/inet_diag.h`).
//!
//! # Why a hand-written layout
//!
//! The `netlink-packet-sock-diag` crate (0.5.0, the newest published) was
//! tried first, with `netlink-packet-core` 0.9 for the framing, and it
//! builds both requests below. It cannot carry the reply the kernel replay
//! needs, though: its `Timer::TimeWait` has no duration, so the milliseconds
//! left on a TIME-WAIT (or orphaned FIN-WAIT-2) timer are dropped, and the
//! replay compares that timer with the trace's. Measured on a TIME-WAIT
//! socket in a private namespace: the kernel answered `idiag_timer` 3,
//! `idiag_expires` 59948 ms; the crate parsed it as `Some(TimeWait)`. Reading
//! that one field by hand next to the crate would have kept half a layout
//! here anyway, for three more crates (netlink-packet-core,
//! netlink-packet-sock-diag and zerocopy-derive; 22 s of a clean release
//! build on this 2-core machine). The two messages are small, so they are
//! written out here, once, with tests of malformed input.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

use nix::errno::Errno;

use super::state::KernelState;
use super::timer::TimerKind;

/// One IPv4 TCP socket of the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelSocket {
    /// Its state.
    pub state: KernelState,
    /// Local address and port.
    pub local: SocketAddrV4,
    /// Remote address and port (`0.0.0.0:0` for a listener).
    pub remote: SocketAddrV4,
    /// The running timer and the milliseconds left on it.
    pub timer: Option<(TimerKind, u32)>,
    /// Retransmissions so far (`idiag_retrans`).
    pub retrans: u8,
}

const NLMSG_HDR_LEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const AF_INET: u8 = 2;
const IPPROTO_TCP: u8 = 6;
/// `struct inet_diag_req_v2`: family, protocol, ext, pad, states, sockid.
const REQ_LEN: usize = 4 + 4 + 48;
/// `struct inet_diag_msg` up to and including `idiag_expires`.
const MSG_MIN_LEN: usize = 4 + 48 + 4;

/// One request: a netlink header and `struct inet_diag_req_v2`.
pub(super) type Request = [u8; NLMSG_HDR_LEN + REQ_LEN];

/// A `SOCK_DIAG_BY_FAMILY` dump request for IPv4 TCP sockets in all states.
pub(super) fn dump_request(seq: u32) -> Request {
    let mut m = [0u8; NLMSG_HDR_LEN + REQ_LEN];
    m[0..4].copy_from_slice(&((NLMSG_HDR_LEN + REQ_LEN) as u32).to_ne_bytes());
    m[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m[8..12].copy_from_slice(&seq.to_ne_bytes());
    // pid 0: the kernel fills it in. Then inet_diag_req_v2:
    m[16] = AF_INET;
    m[17] = IPPROTO_TCP;
    // Every state, the request sockets (TCP_NEW_SYN_RECV) included.
    m[20..24].copy_from_slice(&u32::MAX.to_ne_bytes());
    m
}

/// A `SOCK_DIAG_BY_FAMILY` request for the one socket whose local socket
/// is `local` and remote socket `remote` (no dump: a hash lookup in the
/// kernel, microseconds, where a dump walks every bucket of the host-wide
/// TCP hash tables, milliseconds).
pub(super) fn lookup_request(seq: u32, local: SocketAddrV4, remote: SocketAddrV4) -> Request {
    let mut m = dump_request(seq);
    m[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    // inet_diag_sockid at offset 16 + 8: sport, dport (network order),
    // src[16], dst[16], if, cookie[2] (INET_DIAG_NOCOOKIE: ~0, ~0).
    let id = NLMSG_HDR_LEN + 8;
    m[id..id + 2].copy_from_slice(&local.port().to_be_bytes());
    m[id + 2..id + 4].copy_from_slice(&remote.port().to_be_bytes());
    m[id + 4..id + 8].copy_from_slice(&local.ip().octets());
    m[id + 20..id + 24].copy_from_slice(&remote.ip().octets());
    m[id + 40..id + 48].copy_from_slice(&[0xff; 8]);
    m
}

fn ne_u32(b: &[u8]) -> u32 {
    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
}

fn ne_u16(b: &[u8]) -> u16 {
    u16::from_ne_bytes([b[0], b[1]])
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("sock_diag: {msg}"))
}

/// The errno of an `NLMSG_ERROR` payload (0: an acknowledgement).
fn errno(payload: &[u8]) -> i32 {
    payload.get(0..4).map_or(0, |b| -(ne_u32(b) as i32))
}

/// Calls `f(kind, payload)` for each message of `data` that answers `seq`,
/// until `f` returns `Some`. Messages are 4-byte aligned. Never panics on
/// malformed input.
fn for_each_reply<T>(
    mut data: &[u8],
    seq: u32,
    mut f: impl FnMut(u16, &[u8]) -> Option<io::Result<T>>,
) -> io::Result<Option<T>> {
    while data.len() >= NLMSG_HDR_LEN {
        let len = ne_u32(&data[0..4]) as usize;
        if len < NLMSG_HDR_LEN || len > data.len() {
            return Err(bad("truncated message"));
        }
        if ne_u32(&data[8..12]) == seq {
            if let Some(r) = f(ne_u16(&data[4..6]), &data[NLMSG_HDR_LEN..len]) {
                return r.map(Some);
            }
        }
        data = data.get((len + 3) & !3..).unwrap_or(&[]);
    }
    Ok(None)
}

/// Parses one datagram of a dump reply into `out`; returns whether the dump
/// is complete.
pub(super) fn parse_dump(data: &[u8], seq: u32, out: &mut Vec<KernelSocket>) -> io::Result<bool> {
    let done = for_each_reply(data, seq, |kind, payload| match kind {
        NLMSG_DONE => Some(Ok(())),
        NLMSG_ERROR => Some(Err(match errno(payload) {
            e if e > 0 => io::Error::from_raw_os_error(e),
            _ => bad("error message"),
        })),
        SOCK_DIAG_BY_FAMILY => {
            out.extend(parse_socket(payload));
            None
        }
        _ => None,
    })?;
    Ok(done.is_some())
}

/// Parses the reply to [`lookup_request`]: `Ok(Some(socket))`, `Ok(None)`
/// for "no such socket" (`ENOENT`, or only a listener on the local port),
/// `Err` otherwise. The outer `None` if `data` holds no reply for `seq`;
/// the caller then reads on.
pub(super) fn parse_lookup(
    data: &[u8],
    seq: u32,
    remote: SocketAddrV4,
) -> io::Result<Option<Option<KernelSocket>>> {
    for_each_reply(data, seq, |kind, payload| match kind {
        NLMSG_ERROR => match errno(payload) {
            0 => None,
            e if e == Errno::ENOENT as i32 => Some(Ok(None)),
            e if e > 0 => Some(Err(io::Error::from_raw_os_error(e))),
            _ => Some(Err(bad("error message"))),
        },
        // The lookup falls back to a listener on the local port: that is
        // not the connection asked for.
        SOCK_DIAG_BY_FAMILY => Some(Ok(parse_socket(payload).filter(|s| s.remote == remote))),
        _ => None,
    })
}

/// Parses a `struct inet_diag_msg`; `None` for other families, unknown
/// states or a short message.
fn parse_socket(p: &[u8]) -> Option<KernelSocket> {
    if p.len() < MSG_MIN_LEN || p[0] != AF_INET {
        return None;
    }
    let state = KernelState::from_code(p[1])?;
    // inet_diag_sockid: sport, dport (network order), src[16], dst[16],
    // if, cookie[2]; then idiag_expires.
    let sport = u16::from_be_bytes([p[4], p[5]]);
    let dport = u16::from_be_bytes([p[6], p[7]]);
    let src = Ipv4Addr::new(p[8], p[9], p[10], p[11]);
    let dst = Ipv4Addr::new(p[24], p[25], p[26], p[27]);
    let expires = ne_u32(&p[52..56]);
    Some(KernelSocket {
        state,
        local: SocketAddrV4::new(src, sport),
        remote: SocketAddrV4::new(dst, dport),
        timer: TimerKind::from_code(p[2]).map(|k| (k, expires)),
        retrans: p[3],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDR_LEN + payload.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(payload);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    /// An `inet_diag_msg` for 10.0.0.1:7000 – 10.0.0.2:`dport`.
    fn diag_msg(state: u8, timer: u8, expires: u32, dport: u16) -> Vec<u8> {
        let mut p = vec![AF_INET, state, timer, 1];
        p.extend_from_slice(&7000u16.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[10, 0, 0, 1]);
        let mut dst = [0u8; 16];
        dst[..4].copy_from_slice(&[10, 0, 0, 2]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(&[0; 12]); // interface, cookie
        p.extend_from_slice(&expires.to_ne_bytes());
        p.extend_from_slice(&[0; 16]); // queues, uid, inode
        p
    }

    #[test]
    fn parses_a_dump() {
        let mut data = message(SOCK_DIAG_BY_FAMILY, 5, &diag_msg(6, 0, 0, 40000));
        // A stale seq.
        data.extend(message(SOCK_DIAG_BY_FAMILY, 4, &diag_msg(1, 0, 0, 40000)));
        data.extend(message(NLMSG_DONE, 5, &[0; 4]));
        let mut out = Vec::new();
        assert!(parse_dump(&data, 5, &mut out).unwrap());
        assert_eq!(
            out,
            vec![KernelSocket {
                state: KernelState::TimeWait,
                local: "10.0.0.1:7000".parse().unwrap(),
                remote: "10.0.0.2:40000".parse().unwrap(),
                timer: None,
                retrans: 1,
            }]
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        let mut data = message(SOCK_DIAG_BY_FAMILY, 1, &diag_msg(1, 0, 0, 40000));
        data[0] = 200; // length beyond the datagram
        assert!(parse_dump(&data, 1, &mut out).is_err());
        for cut in 0..data.len() {
            let _ = parse_dump(&data[..cut], 1, &mut out);
        }
        let err = message(NLMSG_ERROR, 1, &(-1i32).to_ne_bytes());
        assert_eq!(
            parse_dump(&err, 1, &mut out).unwrap_err().raw_os_error(),
            Some(1)
        );
        assert!(!parse_dump(&[], 1, &mut out).unwrap());
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        let remote: SocketAddrV4 = "10.0.0.2:40000".parse().unwrap();
        let mut r = message(SOCK_DIAG_BY_FAMILY, 9, &diag_msg(1, 1, 1000, 40000));
        for cut in 0..r.len() {
            let _ = parse_lookup(&r[..cut], 9, remote);
        }
        r[0] = 255;
        assert!(parse_lookup(&r, 9, remote).is_err());
    }

    #[test]
    fn lookups_parse_found_missing_and_listener_fallback() {
        let remote: SocketAddrV4 = "10.0.0.2:40000".parse().unwrap();
        let found = message(SOCK_DIAG_BY_FAMILY, 9, &diag_msg(6, 0, 0, 40000));
        let state = |r: Option<Option<KernelSocket>>| r.map(|s| s.map(|s| s.state));
        assert_eq!(
            state(parse_lookup(&found, 9, remote).unwrap()),
            Some(Some(KernelState::TimeWait))
        );
        let other: SocketAddrV4 = "10.0.0.2:40001".parse().unwrap();
        assert_eq!(parse_lookup(&found, 9, other).unwrap(), Some(None));
        let enoent = message(NLMSG_ERROR, 9, &(-(Errno::ENOENT as i32)).to_ne_bytes());
        assert_eq!(parse_lookup(&enoent, 9, remote).unwrap(), Some(None));
        assert_eq!(parse_lookup(&found, 8, remote).unwrap(), None);
        let req = lookup_request(3, "10.0.0.1:7000".parse().unwrap(), remote);
        assert_eq!(&req[24..26], &7000u16.to_be_bytes());
        assert_eq!(&req[28..32], &[10, 0, 0, 1]);
        assert_eq!(&req[44..48], &[10, 0, 0, 2]);
        assert_eq!(ne_u16(&req[6..8]), NLM_F_REQUEST);
    }

    #[test]
    fn a_reply_gives_state_timer_and_expiry() {
        let remote: SocketAddrV4 = "10.0.0.2:40000".parse().unwrap();
        let r = message(SOCK_DIAG_BY_FAMILY, 9, &diag_msg(6, 3, 59_000, 40000));
        let info = parse_lookup(&r, 9, remote).unwrap().unwrap().unwrap();
        assert_eq!(info.state, KernelState::TimeWait);
        assert_eq!(info.timer, Some((TimerKind::TimeWait, 59_000)));
        assert_eq!(info.retrans, 1);
        // A listener answering for another remote port is no connection.
        let r = message(SOCK_DIAG_BY_FAMILY, 9, &diag_msg(10, 0, 0, 0));
        assert_eq!(parse_lookup(&r, 9, remote).unwrap(), Some(None));
        // Another request's reply: read on.
        let r = message(SOCK_DIAG_BY_FAMILY, 8, &diag_msg(1, 1, 5, 40000));
        assert_eq!(parse_lookup(&r, 9, remote).unwrap(), None);
    }
}
