//! The kernel's view of one connection: its state *and its timer*, read
//! with a sock_diag lookup of the 4-tuple.
//!
//! `synfin_tcp::driver::diag` reads states only; a trace also says how many
//! ticks are left on each host's timer, and the kernel reports that in the
//! same reply (`idiag_timer`, `idiag_expires` of `struct inet_diag_msg`), so
//! this is the same lookup with two more fields parsed. The request is a
//! direct lookup (no dump): microseconds, cheap enough after every step.

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{
    recv, sendto, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};
use synfin_tcp::driver::diag::KernelState;

/// Which timer the kernel says is running (`idiag_timer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerKind {
    /// Retransmission (also SYN,ACK retransmission of a request socket).
    Retransmit,
    /// Keepalive, or the FIN-WAIT-2 timeout of a full socket.
    Keepalive,
    /// TIME-WAIT (or the orphaned FIN-WAIT-2 mini-socket's timeout).
    TimeWait,
    /// Zero-window probe.
    Probe,
}

/// One connection as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    /// RFC 9293 state.
    pub state: KernelState,
    /// The running timer and the milliseconds left on it.
    pub timer: Option<(TimerKind, u32)>,
    /// Retransmissions so far (`idiag_retrans`).
    pub retrans: u8,
}

/// A sock_diag socket in the namespace of the thread that opened it.
#[derive(Debug)]
pub struct Diag {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

const NLMSG_HDR_LEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const AF_INET: u8 = 2;
const IPPROTO_TCP: u8 = 6;
/// `struct inet_diag_req_v2`: family, protocol, ext, pad, states, sockid.
const REQ_LEN: usize = 4 + 4 + 48;
/// `struct inet_diag_msg` up to and including `idiag_expires`.
const MSG_MIN_LEN: usize = 4 + 48 + 4;

impl Diag {
    /// Opens the socket (for the calling thread's network namespace).
    pub fn new() -> io::Result<Diag> {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkSockDiag,
        )?;
        Ok(Diag {
            fd,
            seq: 0,
            buf: vec![0; 16 * 1024],
        })
    }

    /// The connection `local`–`remote`, TIME-WAIT and request sockets
    /// included; `None` if there is none (a listener on `local`'s port is
    /// not the connection).
    pub fn lookup(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> io::Result<Option<ConnInfo>> {
        self.seq = self.seq.wrapping_add(1);
        let req = request(self.seq, local, remote);
        sendto(
            self.fd.as_raw_fd(),
            &req,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        loop {
            let n = recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty())?;
            if let Some(answer) = parse_reply(&self.buf[..n], self.seq, remote)? {
                return Ok(answer);
            }
        }
    }
}

fn request(seq: u32, local: SocketAddrV4, remote: SocketAddrV4) -> [u8; NLMSG_HDR_LEN + REQ_LEN] {
    let mut m = [0u8; NLMSG_HDR_LEN + REQ_LEN];
    m[0..4].copy_from_slice(&((NLMSG_HDR_LEN + REQ_LEN) as u32).to_ne_bytes());
    m[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    m[8..12].copy_from_slice(&seq.to_ne_bytes());
    m[16] = AF_INET;
    m[17] = IPPROTO_TCP;
    m[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // every state
    let id = NLMSG_HDR_LEN + 8;
    m[id..id + 2].copy_from_slice(&local.port().to_be_bytes());
    m[id + 2..id + 4].copy_from_slice(&remote.port().to_be_bytes());
    m[id + 4..id + 8].copy_from_slice(&local.ip().octets());
    m[id + 20..id + 24].copy_from_slice(&remote.ip().octets());
    m[id + 40..id + 48].copy_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE
    m
}

fn ne_u32(b: &[u8]) -> u32 {
    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("sock_diag: {msg}"))
}

/// `Ok(Some(answer))` for the reply to `seq`, `Ok(None)` if `data` holds
/// none (read on). Never panics on malformed input.
fn parse_reply(
    mut data: &[u8],
    seq: u32,
    remote: SocketAddrV4,
) -> io::Result<Option<Option<ConnInfo>>> {
    while data.len() >= NLMSG_HDR_LEN {
        let len = ne_u32(&data[0..4]) as usize;
        if len < NLMSG_HDR_LEN || len > data.len() {
            return Err(bad("truncated message"));
        }
        let kind = u16::from_ne_bytes([data[4], data[5]]);
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
                SOCK_DIAG_BY_FAMILY => return Ok(Some(parse_msg(payload, remote))),
                _ => {}
            }
        }
        data = data.get((len + 3) & !3..).unwrap_or(&[]);
    }
    Ok(None)
}

fn parse_msg(p: &[u8], remote: SocketAddrV4) -> Option<ConnInfo> {
    if p.len() < MSG_MIN_LEN || p[0] != AF_INET {
        return None;
    }
    let dport = u16::from_be_bytes([p[6], p[7]]);
    let dst = std::net::Ipv4Addr::new(p[24], p[25], p[26], p[27]);
    // The lookup falls back to a listener on the local port.
    if SocketAddrV4::new(dst, dport) != remote {
        return None;
    }
    let state = KernelState::from_code(p[1])?;
    let expires = ne_u32(&p[52..56]);
    let timer = match p[2] {
        1 => Some(TimerKind::Retransmit),
        2 => Some(TimerKind::Keepalive),
        3 => Some(TimerKind::TimeWait),
        4 => Some(TimerKind::Probe),
        _ => None,
    }
    .map(|k| (k, expires));
    Some(ConnInfo {
        state,
        timer,
        retrans: p[3],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(state: u8, timer: u8, expires: u32, dport: u16) -> Vec<u8> {
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
        p.extend_from_slice(&[0; 16]);
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDR_LEN + p.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&9u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&p);
        m
    }

    #[test]
    fn a_reply_gives_state_timer_and_expiry() {
        let remote: SocketAddrV4 = "10.0.0.2:40000".parse().unwrap();
        let r = reply(6, 3, 59_000, 40000);
        let info = parse_reply(&r, 9, remote).unwrap().unwrap().unwrap();
        assert_eq!(info.state, KernelState::TimeWait);
        assert_eq!(info.timer, Some((TimerKind::TimeWait, 59_000)));
        assert_eq!(info.retrans, 1);
        // A listener answering for another remote port is no connection.
        let r = reply(10, 0, 0, 0);
        assert_eq!(parse_reply(&r, 9, remote).unwrap(), Some(None));
        // Another request's reply: read on.
        assert_eq!(
            parse_reply(&reply(1, 1, 5, 40000), 8, remote).unwrap(),
            None
        );
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        let remote: SocketAddrV4 = "10.0.0.2:40000".parse().unwrap();
        let mut r = reply(1, 1, 1000, 40000);
        for cut in 0..r.len() {
            let _ = parse_reply(&r[..cut], 9, remote);
        }
        r[0] = 255;
        assert!(parse_reply(&r, 9, remote).is_err());
    }
}
