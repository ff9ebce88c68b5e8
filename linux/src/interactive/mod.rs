//! `synfin-tcp connect` and `synfin-tcp listen`: one connection driven by a
//! person, in a network namespace they made (`unshare --net`). Standard
//! input is sent, what arrives is written to standard output, and every
//! segment and state change is traced on standard error. End of input
//! closes synfin-tcp's side; the command ends when the connection is
//! CLOSED (or in TIME-WAIT, which it leaves to the namespace to forget).

mod tracer;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsFd;

use crate::driver::{Driver, Stack};
use crate::sys::netns::{self, Net};
use crate::sys::tun::TunIo;

use tracer::Tracer;

/// Why `connect` or `listen` stopped.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments or an unusable namespace: exit status 2.
    Usage(String),
    /// The connection failed (refused, reset, timed out) or I/O failed:
    /// exit status 1.
    Connection(String),
}

/// Checks that `remote` is reachable through the TUN: on its /24, and not
/// synfin-tcp's own address.
pub fn check_remote(remote: SocketAddrV4) -> Result<(), String> {
    let net = u32::from(netns::KERNEL_IP) >> (32 - netns::PREFIX_LEN);
    let ip = *remote.ip();
    if u32::from(ip) >> (32 - netns::PREFIX_LEN) != net || ip == netns::LOCAL_IP {
        return Err(format!(
            "{remote}: synfin-tcp reaches the kernel only through its TUN device, on \
             {}/{}; connect to the kernel's address {} (or another address in that subnet, \
             not synfin-tcp's own {})",
            Ipv4Addr::from(net << (32 - netns::PREFIX_LEN)),
            netns::PREFIX_LEN,
            netns::KERNEL_IP,
            netns::LOCAL_IP,
        ));
    }
    if remote.port() == 0 {
        return Err(format!("{remote}: port 0 is not a port to connect to"));
    }
    Ok(())
}

fn conn_err(what: &str) -> impl Fn(io::Error) -> Failure + '_ {
    move |e| Failure::Connection(format!("{what}: {e}"))
}

/// How the connection is opened.
#[derive(Clone, Copy, Debug)]
pub enum Open {
    /// Active OPEN to this address, from this local port (0: ephemeral).
    Connect(SocketAddrV4, u16),
    /// Passive OPEN on this port; the first connection is served.
    Listen(u16),
}

/// Runs one connection over `net` with `stack`, relaying standard input and
/// output.
pub fn run<S: Stack>(net: Net, stack: S, open: Open) -> Result<(), Failure> {
    let io = TunIo::new(net.tun).map_err(conn_err("the TUN device"))?;
    let mut d = Driver::new(io, stack);
    let now = d.now();
    let mut tracer;
    let mut conn = match open {
        Open::Connect(remote, port) => {
            check_remote(remote).map_err(Failure::Usage)?;
            let local = SocketAddrV4::new(net.local_ip, port);
            let c = d
                .stack
                .connect(now, local, remote)
                .map_err(|e| Failure::Usage(format!("connect {remote}: {e}")))?;
            let (local, remote) = d.stack.addrs(c).unwrap_or((local, remote));
            eprintln!("synfin-tcp: connecting from {local} to {remote}");
            tracer = Tracer {
                local,
                remote: Some(remote),
                last: None,
                isn: (None, None),
            };
            tracer.state(&d.stack);
            Some(c)
        }
        Open::Listen(port) => {
            let local = SocketAddrV4::new(net.local_ip, port);
            d.stack
                .listen(now, local)
                .map_err(|e| Failure::Usage(format!("listen {local}: {e}")))?;
            eprintln!(
                "synfin-tcp: listening on {local}; from this namespace try `nc {} {port}`",
                net.local_ip
            );
            tracer = Tracer {
                local,
                remote: None,
                last: None,
                isn: (None, None),
            };
            None
        }
    };
    let stdin = io::stdin();
    let mut stdin_open = true;
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        d.flush(&mut tracer).map_err(conn_err("sending"))?;
        if conn.is_none() {
            conn = d.stack.accept();
            if let Some(c) = conn {
                if let Some((_, remote)) = d.stack.addrs(c) {
                    tracer.remote = Some(remote);
                    eprintln!("synfin-tcp: accepted {remote}");
                }
            }
        }
        if let Some(c) = conn {
            if let Some(f) = d.stack.failure(c) {
                return Err(Failure::Connection(f));
            }
            let now = d.now();
            let r = d
                .stack
                .recv(now, c, &mut out)
                .map_err(|e| Failure::Connection(format!("receive: {e}")))?;
            if r.bytes > 0 {
                let mut so = io::stdout().lock();
                so.write_all(&out).map_err(conn_err("standard output"))?;
                so.flush().map_err(conn_err("standard output"))?;
                out.clear();
            }
            let state = tracer
                .remote
                .and_then(|remote| d.stack.state_of(tracer.local, remote));
            match state {
                None | Some("TIME-WAIT") => {
                    tracer.state(&d.stack);
                    eprintln!("synfin-tcp: done");
                    return Ok(());
                }
                _ => {}
            }
        }
        let wake = d.stack.poll_timeout();
        let watch_stdin = stdin_open && conn.is_some();
        let (tun_ready, stdin_ready) = if watch_stdin {
            d.io.wait_readable_with(stdin.as_fd(), wake)
                .map_err(conn_err("poll"))?
        } else {
            (d.io.wait_readable(wake).map_err(conn_err("poll"))?, false)
        };
        if tun_ready {
            while let Some(seg) = d.io.try_recv().map_err(conn_err("the TUN device"))? {
                d.deliver(seg, &mut tracer);
            }
        }
        if wake.is_some_and(|t| d.now() >= t) {
            let now = d.now();
            d.stack.handle_timeout(now);
            tracer.state(&d.stack);
        }
        if stdin_ready {
            if let Some(c) = conn {
                if let Some(f) = d.stack.failure(c) {
                    return Err(Failure::Connection(f));
                }
                let n = stdin
                    .lock()
                    .read(&mut chunk)
                    .map_err(conn_err("standard input"))?;
                let now = d.now();
                if n == 0 {
                    stdin_open = false;
                    eprintln!("synfin-tcp: end of input, close()");
                    d.stack
                        .close(now, c)
                        .map_err(|e| Failure::Connection(format!("close: {e}")))?;
                } else {
                    d.stack
                        .send(now, c, &chunk[..n])
                        .map_err(|e| Failure::Connection(format!("send: {e}")))?;
                }
                tracer.state(&d.stack);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_tun_subnet_is_reachable() {
        assert!(check_remote("10.0.0.1:7000".parse().unwrap()).is_ok());
        assert!(check_remote("10.0.0.9:7000".parse().unwrap()).is_ok());
        let e = check_remote("192.168.1.1:80".parse().unwrap()).unwrap_err();
        assert!(e.contains("10.0.0.0/24") && e.contains("10.0.0.1"), "{e}");
        assert!(check_remote("10.0.0.2:7000".parse().unwrap()).is_err());
        assert!(check_remote("10.0.0.1:0".parse().unwrap()).is_err());
    }
}
