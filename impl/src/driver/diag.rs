//! The kernel's TCP socket states, read with sock_diag netlink (what `ss`
//! uses), in the calling thread's network namespace.
//!
//! sock_diag sees every socket, including the ones `getsockopt(TCP_INFO)`
//! cannot: orphaned sockets and the TIME-WAIT and orphaned FIN-WAIT-2
//! mini-sockets. A dump costs tens of microseconds, against about 7 ms for
//! running `ss`, so a driver can sample after every segment without slowing
//! the exchange down enough to provoke retransmissions.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{
    recv, sendto, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};

/// A TCP state as the kernel reports it (`include/net/tcp_states.h`), named
/// as in RFC 9293.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum KernelState {
    /// `TCP_ESTABLISHED`.
    Established,
    /// `TCP_SYN_SENT`.
    SynSent,
    /// `TCP_SYN_RECV`, or `TCP_NEW_SYN_RECV` (a request socket).
    SynReceived,
    /// `TCP_FIN_WAIT1`.
    FinWait1,
    /// `TCP_FIN_WAIT2` (a full socket or an orphaned mini-socket).
    FinWait2,
    /// `TCP_TIME_WAIT`.
    TimeWait,
    /// `TCP_CLOSE`.
    Closed,
    /// `TCP_CLOSE_WAIT`.
    CloseWait,
    /// `TCP_LAST_ACK`.
    LastAck,
    /// `TCP_LISTEN`.
    Listen,
    /// `TCP_CLOSING`.
    Closing,
}

impl KernelState {
    /// The state for the kernel's numeric code, if it is a known one.
    pub fn from_code(code: u8) -> Option<KernelState> {
        Some(match code {
            1 => KernelState::Established,
            2 => KernelState::SynSent,
            3 | 12 => KernelState::SynReceived,
            4 => KernelState::FinWait1,
            5 => KernelState::FinWait2,
            6 => KernelState::TimeWait,
            7 => KernelState::Closed,
            8 => KernelState::CloseWait,
            9 => KernelState::LastAck,
            10 => KernelState::Listen,
            11 => KernelState::Closing,
            _ => return None,
        })
    }

    /// The RFC 9293 name, e.g. `FIN-WAIT-1`.
    pub fn name(self) -> &'static str {
        match self {
            KernelState::Established => "ESTABLISHED",
            KernelState::SynSent => "SYN-SENT",
            KernelState::SynReceived => "SYN-RECEIVED",
            KernelState::FinWait1 => "FIN-WAIT-1",
            KernelState::FinWait2 => "FIN-WAIT-2",
            KernelState::TimeWait => "TIME-WAIT",
            KernelState::Closed => "CLOSED",
            KernelState::CloseWait => "CLOSE-WAIT",
            KernelState::LastAck => "LAST-ACK",
            KernelState::Listen => "LISTEN",
            KernelState::Closing => "CLOSING",
        }
    }
}

impl fmt::Display for KernelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One IPv4 TCP socket of the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelSocket {
    /// Its state.
    pub state: KernelState,
    /// Local address and port.
    pub local: SocketAddrV4,
    /// Remote address and port (`0.0.0.0:0` for a listener).
    pub remote: SocketAddrV4,
}

/// A sock_diag netlink socket in the namespace of the thread that opened it.
#[derive(Debug)]
pub struct SockDiag {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
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
/// `struct inet_diag_msg` up to and including the socket id.
const MSG_MIN_LEN: usize = 4 + 48;

impl SockDiag {
    /// Opens a sock_diag socket. Sockets are reported for the network
    /// namespace of the calling thread at the time of this call.
    pub fn new() -> io::Result<SockDiag> {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkSockDiag,
        )?;
        Ok(SockDiag {
            fd,
            seq: 0,
            buf: vec![0; 64 * 1024],
        })
    }

    /// Every IPv4 TCP socket in the namespace, in every state.
    pub fn tcp_sockets(&mut self) -> io::Result<Vec<KernelSocket>> {
        self.seq = self.seq.wrapping_add(1);
        let req = dump_request(self.seq);
        sendto(
            self.fd.as_raw_fd(),
            &req,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        let mut out = Vec::new();
        loop {
            let n = recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty())?;
            if parse_dump(&self.buf[..n], self.seq, &mut out)? {
                return Ok(out);
            }
        }
    }

    /// The state of the one socket whose local socket is `local` and
    /// remote socket `remote` (TIME-WAIT and request sockets included), or
    /// `None` if there is none. A direct lookup: cheap enough to call after
    /// every segment.
    pub fn state_of(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> io::Result<Option<KernelState>> {
        self.seq = self.seq.wrapping_add(1);
        let req = lookup_request(self.seq, local, remote);
        sendto(
            self.fd.as_raw_fd(),
            &req,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        loop {
            let n = recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty())?;
            if let Some(answer) = parse_lookup(&self.buf[..n], self.seq, remote)? {
                return Ok(answer);
            }
        }
    }

    /// The states of the sockets whose local and remote addresses are
    /// exactly `local` and `remote` (usually zero or one socket).
    pub fn states_of(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> io::Result<Vec<KernelState>> {
        Ok(self
            .tcp_sockets()?
            .into_iter()
            .filter(|s| s.local == local && s.remote == remote)
            .map(|s| s.state)
            .collect())
    }
}

/// A `SOCK_DIAG_BY_FAMILY` request for the one socket whose local socket
/// is `local` and remote socket `remote` (no dump: a hash lookup in the
/// kernel, microseconds, where a dump walks every bucket of the host-wide
/// TCP hash tables, milliseconds).
fn lookup_request(
    seq: u32,
    local: SocketAddrV4,
    remote: SocketAddrV4,
) -> [u8; NLMSG_HDR_LEN + REQ_LEN] {
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

/// Parses the reply to [`lookup_request`]: `Ok(Some(state))`, `Ok(None)`
/// for "no such socket" (`ENOENT`, or only a listener on the local port),
/// `Err` otherwise. `Ok(None)` also if `data` holds no reply for `seq`;
/// the caller then reads on.
fn parse_lookup(
    mut data: &[u8],
    seq: u32,
    remote: SocketAddrV4,
) -> io::Result<Option<Option<KernelState>>> {
    while data.len() >= NLMSG_HDR_LEN {
        let len = ne_u32(&data[0..4]) as usize;
        if len < NLMSG_HDR_LEN || len > data.len() {
            return Err(bad("truncated message"));
        }
        let kind = ne_u16(&data[4..6]);
        let payload = &data[NLMSG_HDR_LEN..len];
        if ne_u32(&data[8..12]) == seq {
            match kind {
                NLMSG_ERROR => {
                    let errno = payload.get(0..4).map_or(0, |b| -(ne_u32(b) as i32));
                    return match errno {
                        0 => Ok(None),
                        e if e == nix::errno::Errno::ENOENT as i32 => Ok(Some(None)),
                        e if e > 0 => Err(io::Error::from_raw_os_error(e)),
                        _ => Err(bad("error message")),
                    };
                }
                SOCK_DIAG_BY_FAMILY => {
                    // The lookup falls back to a listener on the local
                    // port: that is not the connection asked for.
                    return Ok(Some(
                        parse_socket(payload)
                            .filter(|s| s.remote == remote)
                            .map(|s| s.state),
                    ));
                }
                _ => {}
            }
        }
        let next = (len + 3) & !3;
        data = data.get(next..).unwrap_or(&[]);
    }
    Ok(None)
}

/// A `SOCK_DIAG_BY_FAMILY` dump request for IPv4 TCP sockets in all states.
fn dump_request(seq: u32) -> [u8; NLMSG_HDR_LEN + REQ_LEN] {
    let mut m = [0u8; NLMSG_HDR_LEN + REQ_LEN];
    m[0..4].copy_from_slice(&((NLMSG_HDR_LEN + REQ_LEN) as u32).to_ne_bytes());
    m[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m[8..12].copy_from_slice(&seq.to_ne_bytes());
    // pid 0: the kernel fills it in. Then inet_diag_req_v2:
    m[16] = AF_INET;
    m[17] = IPPROTO_TCP;
    m[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // all states
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

/// Parses one datagram of a dump reply into `out`; returns whether the dump
/// is complete. Never panics on malformed input.
fn parse_dump(mut data: &[u8], seq: u32, out: &mut Vec<KernelSocket>) -> io::Result<bool> {
    while data.len() >= NLMSG_HDR_LEN {
        let len = ne_u32(&data[0..4]) as usize;
        if len < NLMSG_HDR_LEN || len > data.len() {
            return Err(bad("truncated message"));
        }
        let kind = ne_u16(&data[4..6]);
        let msg_seq = ne_u32(&data[8..12]);
        let payload = &data[NLMSG_HDR_LEN..len];
        if msg_seq == seq {
            match kind {
                NLMSG_DONE => return Ok(true),
                NLMSG_ERROR => {
                    let errno = payload.get(0..4).map_or(0, |b| -(ne_u32(b) as i32));
                    return Err(if errno > 0 {
                        io::Error::from_raw_os_error(errno)
                    } else {
                        bad("error message")
                    });
                }
                SOCK_DIAG_BY_FAMILY => {
                    if let Some(s) = parse_socket(payload) {
                        out.push(s);
                    }
                }
                _ => {}
            }
        }
        // Messages are 4-byte aligned.
        let next = (len + 3) & !3;
        data = data.get(next..).unwrap_or(&[]);
    }
    Ok(false)
}

/// Parses a `struct inet_diag_msg`; `None` for other families or unknown
/// states.
fn parse_socket(p: &[u8]) -> Option<KernelSocket> {
    if p.len() < MSG_MIN_LEN || p[0] != AF_INET {
        return None;
    }
    let state = KernelState::from_code(p[1])?;
    // inet_diag_sockid: sport, dport (network order), src[16], dst[16].
    let sport = u16::from_be_bytes([p[4], p[5]]);
    let dport = u16::from_be_bytes([p[6], p[7]]);
    let src = Ipv4Addr::new(p[8], p[9], p[10], p[11]);
    let dst = Ipv4Addr::new(p[24], p[25], p[26], p[27]);
    Some(KernelSocket {
        state,
        local: SocketAddrV4::new(src, sport),
        remote: SocketAddrV4::new(dst, dport),
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

    fn diag_msg(state: u8) -> Vec<u8> {
        let mut p = vec![AF_INET, state, 0, 0];
        p.extend_from_slice(&7000u16.to_be_bytes());
        p.extend_from_slice(&40000u16.to_be_bytes());
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[10, 0, 0, 1]);
        let mut dst = [0u8; 16];
        dst[..4].copy_from_slice(&[10, 0, 0, 2]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(&[0; 8 + 20]);
        p
    }

    #[test]
    fn parses_a_dump() {
        let mut data = message(SOCK_DIAG_BY_FAMILY, 5, &diag_msg(6));
        data.extend(message(SOCK_DIAG_BY_FAMILY, 4, &diag_msg(1))); // stale seq
        data.extend(message(NLMSG_DONE, 5, &[0; 4]));
        let mut out = Vec::new();
        assert!(parse_dump(&data, 5, &mut out).unwrap());
        assert_eq!(
            out,
            vec![KernelSocket {
                state: KernelState::TimeWait,
                local: "10.0.0.1:7000".parse().unwrap(),
                remote: "10.0.0.2:40000".parse().unwrap(),
            }]
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        let mut data = message(SOCK_DIAG_BY_FAMILY, 1, &diag_msg(1));
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
    fn lookups_parse_found_missing_and_listener_fallback() {
        let remote: SocketAddrV4 = "10.0.0.2:40000".parse().unwrap();
        let found = message(SOCK_DIAG_BY_FAMILY, 9, &diag_msg(6));
        assert_eq!(
            parse_lookup(&found, 9, remote).unwrap(),
            Some(Some(KernelState::TimeWait))
        );
        let other: SocketAddrV4 = "10.0.0.2:40001".parse().unwrap();
        assert_eq!(parse_lookup(&found, 9, other).unwrap(), Some(None));
        let enoent = message(
            NLMSG_ERROR,
            9,
            &(-(nix::errno::Errno::ENOENT as i32)).to_ne_bytes(),
        );
        assert_eq!(parse_lookup(&enoent, 9, remote).unwrap(), Some(None));
        assert_eq!(parse_lookup(&found, 8, remote).unwrap(), None);
        let req = lookup_request(3, "10.0.0.1:7000".parse().unwrap(), remote);
        assert_eq!(&req[24..26], &7000u16.to_be_bytes());
        assert_eq!(&req[28..32], &[10, 0, 0, 1]);
        assert_eq!(&req[44..48], &[10, 0, 0, 2]);
        assert_eq!(ne_u16(&req[6..8]), NLM_F_REQUEST);
    }

    #[test]
    fn request_sockets_are_syn_received() {
        assert_eq!(KernelState::from_code(12), Some(KernelState::SynReceived));
        assert_eq!(KernelState::from_code(0), None);
        assert_eq!(KernelState::from_code(11).unwrap().name(), "CLOSING");
    }
}
