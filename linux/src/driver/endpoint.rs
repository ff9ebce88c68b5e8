//! The [`Stack`] the `synfin-tcp` binary runs: synfin-tcp's [`Endpoint`]
//! (demultiplexing, listeners, RSTs for strays, the TIME-WAIT table,
//! ephemeral ports) with RFC 6528 ISNs keyed by a secret drawn from the OS.
//!
//! The adapter only translates: the endpoint's events become per-handle
//! failures, its RFC error values become messages, and `recv` turns "the
//! peer's FIN was read" into an end-of-stream flag.

use std::collections::HashMap;
use std::net::SocketAddrV4;

use synfin_tcp::conn::{Config, Error, Event};
use synfin_tcp::endpoint::{ConnHandle, Endpoint};
use synfin_tcp::time::Instant;
use synfin_tcp::wire::Segment;

use super::stack::{Received, Stack};

/// An [`Endpoint`] behind the driver's [`Stack`] trait.
pub struct EndpointStack {
    ep: Endpoint,
    listeners: Vec<SocketAddrV4>,
    addrs: HashMap<ConnHandle, (SocketAddrV4, SocketAddrV4)>,
    /// The terminal event of connections that failed.
    failures: HashMap<ConnHandle, Event>,
}

impl std::fmt::Debug for EndpointStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointStack")
            .field("endpoint", &self.ep)
            .field("listeners", &self.listeners)
            .finish_non_exhaustive()
    }
}

impl Default for EndpointStack {
    fn default() -> Self {
        EndpointStack::new()
    }
}

/// 128 bits from the OS for the ISN and hash-table keys (RFC 6528 asks
/// for a secret the attacker cannot guess).
fn os_secret() -> [u8; 16] {
    use std::io::Read;
    let mut key = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut key);
    }
    key
}

fn err(e: Error) -> String {
    e.to_string()
}

impl EndpointStack {
    /// The default RFC 9293 profile with a fresh OS secret.
    pub fn new() -> EndpointStack {
        EndpointStack::with_config(Config::rfc9293())
    }

    /// With `config` and a fresh OS secret.
    pub fn with_config(config: Config) -> EndpointStack {
        EndpointStack::from_endpoint(Endpoint::new(config, os_secret()))
    }

    /// Around an endpoint built by the caller (e.g. with fixed ISNs).
    pub fn from_endpoint(ep: Endpoint) -> EndpointStack {
        EndpointStack {
            ep,
            listeners: Vec::new(),
            addrs: HashMap::new(),
            failures: HashMap::new(),
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.ep
    }

    /// Takes the endpoint's events: failures are remembered per handle,
    /// the rest the driver learns from states.
    fn drain_events(&mut self) {
        while let Some((h, ev)) = self.ep.poll_event() {
            if matches!(ev, Event::Reset | Event::Refused | Event::TimedOut) {
                self.failures.insert(h, ev);
            }
        }
    }

    fn remember(&mut self, h: ConnHandle) {
        if let Some(c) = self.ep.connection(h) {
            self.addrs.insert(h, (c.local(), c.remote()));
        }
    }
}

impl Stack for EndpointStack {
    type Conn = ConnHandle;

    fn handle_segment(&mut self, now: Instant, seg: Segment) {
        self.ep.handle_segment(now, &seg);
        self.drain_events();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.ep.handle_timeout(now);
        self.drain_events();
    }

    fn poll_transmit(&mut self, _now: Instant) -> Option<Segment> {
        self.ep.poll_transmit()
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.ep.poll_timeout()
    }

    fn connect(
        &mut self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> Result<ConnHandle, String> {
        let h = self.ep.connect(now, local, remote).map_err(err)?;
        self.remember(h);
        self.drain_events();
        Ok(h)
    }

    fn listen(&mut self, _now: Instant, local: SocketAddrV4) -> Result<(), String> {
        self.ep.listen(local).map_err(err)?;
        self.listeners.push(local);
        Ok(())
    }

    fn accept(&mut self) -> Option<ConnHandle> {
        let h = self
            .listeners
            .clone()
            .into_iter()
            .find_map(|l| self.ep.accept(l))?;
        self.remember(h);
        Some(h)
    }

    fn send(&mut self, now: Instant, conn: ConnHandle, data: &[u8]) -> Result<usize, String> {
        let r = self.ep.send(now, conn, data).map_err(err);
        self.drain_events();
        r
    }

    fn recv(
        &mut self,
        now: Instant,
        conn: ConnHandle,
        buf: &mut Vec<u8>,
    ) -> Result<Received, String> {
        let mut r = Received::default();
        let mut chunk = [0u8; 4096];
        let result = loop {
            match self.ep.recv(now, conn, &mut chunk) {
                Ok(0) => break Ok(r),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    r.bytes += n;
                }
                // The peer's FIN arrived and everything before it was read.
                Err(Error::ConnectionClosing) => {
                    r.eof = true;
                    break Ok(r);
                }
                // No TCB any more: after an orderly close (or compaction
                // into TIME-WAIT) everything was read, which is the end of
                // the stream; after a failure it is the failure.
                Err(Error::ConnectionDoesNotExist) if !self.failures.contains_key(&conn) => {
                    r.eof = true;
                    break Ok(r);
                }
                Err(e) => break Err(err(e)),
            }
        };
        self.drain_events();
        result
    }

    fn close(&mut self, now: Instant, conn: ConnHandle) -> Result<(), String> {
        let r = self.ep.close(now, conn).map_err(err);
        self.drain_events();
        r
    }

    fn addrs(&self, conn: ConnHandle) -> Option<(SocketAddrV4, SocketAddrV4)> {
        self.addrs.get(&conn).copied()
    }

    fn state_of(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<&'static str> {
        self.ep.state_of(local, remote).map(|s| s.rfc_name())
    }

    fn failure(&self, conn: ConnHandle) -> Option<String> {
        self.failures.get(&conn).map(|e| {
            match e {
                Event::Reset => "connection reset",
                Event::Refused => "connection refused",
                Event::TimedOut => "connection timed out",
                _ => "connection failed",
            }
            .to_string()
        })
    }
}
