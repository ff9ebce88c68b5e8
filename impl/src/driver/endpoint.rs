//! The [`Stack`] the `synfin-tcp` binary runs.
//!
//! Interim: a minimal demultiplexer over [`Connection`]s (4-tuple lookup,
//! listeners, RST for segments that match nothing), until the crate's
//! endpoint takes its place behind the same trait.

use std::collections::VecDeque;
use std::net::SocketAddrV4;

use super::stack::{Received, Stack};
use crate::conn::{
    listen_verdict, reset_for, Config, Connection, Error, Event, ListenVerdict, State,
};
use crate::isn::Rfc6528Isn;
use crate::time::Instant;
use crate::wire::Segment;

/// A handle on one connection of an [`EndpointStack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnId(usize);

#[derive(Debug)]
struct Slot {
    conn: Connection,
    /// Created by a listener and not handed to the application yet.
    pending_accept: bool,
    /// The terminal event, if the connection failed.
    failure: Option<Event>,
}

/// synfin-tcp connections and listeners on one host, with an RFC 6528 ISN
/// keyed from the OS's randomness.
pub struct EndpointStack {
    config: Config,
    isn: Rfc6528Isn,
    slots: Vec<Slot>,
    listeners: Vec<SocketAddrV4>,
    out: VecDeque<Segment>,
    next_port: u16,
}

impl std::fmt::Debug for EndpointStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointStack")
            .field("connections", &self.slots.len())
            .field("listeners", &self.listeners)
            .finish_non_exhaustive()
    }
}

impl Default for EndpointStack {
    fn default() -> Self {
        EndpointStack::new()
    }
}

fn os_secret() -> [u8; 16] {
    use std::io::Read;
    let mut key = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut key);
    }
    key
}

impl EndpointStack {
    /// The default RFC 9293 profile, ISNs keyed by a fresh OS secret.
    pub fn new() -> EndpointStack {
        EndpointStack::with_config(Config::rfc9293())
    }

    /// With `config`.
    pub fn with_config(config: Config) -> EndpointStack {
        EndpointStack {
            config,
            isn: Rfc6528Isn::new(os_secret()),
            slots: Vec::new(),
            listeners: Vec::new(),
            out: VecDeque::new(),
            next_port: config.ephemeral_port_min,
        }
    }

    /// The live connection on this 4-tuple (newest first).
    fn find(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<usize> {
        self.slots.iter().rposition(|s| {
            s.conn.local() == local && s.conn.remote() == remote && s.conn.state() != State::Closed
        })
    }

    fn collect_events(&mut self) {
        for s in &mut self.slots {
            while let Some(ev) = s.conn.poll_event() {
                if matches!(ev, Event::Reset | Event::Refused | Event::TimedOut) {
                    s.failure = Some(ev);
                }
            }
        }
    }
}

fn err(e: Error) -> String {
    e.to_string()
}

impl Stack for EndpointStack {
    type Conn = ConnId;

    fn handle_segment(&mut self, now: Instant, seg: Segment) {
        if let Some(i) = self.find(seg.dst, seg.src) {
            self.slots[i].conn.handle_segment(now, &seg, &mut self.isn);
        } else if self.listeners.contains(&seg.dst) {
            match listen_verdict(&seg) {
                ListenVerdict::Syn => {
                    if let Some(conn) =
                        Connection::accept(self.config, now, seg.dst, &seg, &mut self.isn)
                    {
                        self.slots.push(Slot {
                            conn,
                            pending_accept: true,
                            failure: None,
                        });
                    }
                }
                ListenVerdict::Reset(rst) => self.out.push_back(rst),
                ListenVerdict::Ignore => {}
            }
        } else if let Some(rst) = reset_for(&seg) {
            self.out.push_back(rst);
        }
        self.collect_events();
    }

    fn handle_timeout(&mut self, now: Instant) {
        for s in &mut self.slots {
            if s.conn.poll_timeout().is_some_and(|t| t <= now) {
                s.conn.handle_timeout(now);
            }
        }
        self.collect_events();
    }

    fn poll_transmit(&mut self, _now: Instant) -> Option<Segment> {
        if let Some(s) = self.out.pop_front() {
            return Some(s);
        }
        self.slots.iter_mut().find_map(|s| s.conn.poll_transmit())
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| s.conn.poll_timeout())
            .min()
    }

    fn connect(
        &mut self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> Result<ConnId, String> {
        let mut local = local;
        if local.port() == 0 {
            let span = self.config.ephemeral_port_max - self.config.ephemeral_port_min;
            let free = (0..=span).find_map(|_| {
                let p = self.next_port;
                self.next_port = if p >= self.config.ephemeral_port_max {
                    self.config.ephemeral_port_min
                } else {
                    p + 1
                };
                let cand = SocketAddrV4::new(*local.ip(), p);
                self.find(cand, remote).is_none().then_some(cand)
            });
            local = free.ok_or_else(|| err(Error::NoEphemeralPort))?;
        }
        if self.find(local, remote).is_some() {
            return Err(err(Error::ConnectionAlreadyExists));
        }
        let conn =
            Connection::connect(self.config, now, local, remote, &mut self.isn).map_err(err)?;
        self.slots.push(Slot {
            conn,
            pending_accept: false,
            failure: None,
        });
        Ok(ConnId(self.slots.len() - 1))
    }

    fn listen(&mut self, _now: Instant, local: SocketAddrV4) -> Result<(), String> {
        if self.listeners.contains(&local) {
            return Err(err(Error::ConnectionAlreadyExists));
        }
        self.listeners.push(local);
        Ok(())
    }

    fn accept(&mut self) -> Option<ConnId> {
        let i = self
            .slots
            .iter()
            .position(|s| s.pending_accept && s.conn.state().is_synchronized())?;
        self.slots[i].pending_accept = false;
        Some(ConnId(i))
    }

    fn send(&mut self, now: Instant, conn: ConnId, data: &[u8]) -> Result<usize, String> {
        let s = self.slots.get_mut(conn.0).ok_or("no such connection")?;
        s.conn.send(now, data).map_err(err)
    }

    fn recv(&mut self, now: Instant, conn: ConnId, buf: &mut Vec<u8>) -> Result<Received, String> {
        let s = self.slots.get_mut(conn.0).ok_or("no such connection")?;
        let mut r = Received::default();
        let mut chunk = [0u8; 4096];
        loop {
            match s.conn.recv(now, &mut chunk) {
                Ok(0) => return Ok(r),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    r.bytes += n;
                }
                Err(Error::ConnectionClosing) => {
                    r.eof = true;
                    return Ok(r);
                }
                Err(Error::ConnectionDoesNotExist) => {
                    // After an orderly close everything was read: the end.
                    r.eof = s.failure.is_none();
                    return Ok(r);
                }
                Err(e) => return Err(err(e)),
            }
        }
    }

    fn close(&mut self, now: Instant, conn: ConnId) -> Result<(), String> {
        let s = self.slots.get_mut(conn.0).ok_or("no such connection")?;
        s.conn.close(now).map_err(err)
    }

    fn addrs(&self, conn: ConnId) -> Option<(SocketAddrV4, SocketAddrV4)> {
        self.slots
            .get(conn.0)
            .map(|s| (s.conn.local(), s.conn.remote()))
    }

    fn state_of(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<&'static str> {
        self.find(local, remote)
            .map(|i| self.slots[i].conn.state().rfc_name())
    }

    fn failure(&self, conn: ConnId) -> Option<String> {
        self.slots.get(conn.0)?.failure.map(|e| match e {
            Event::Reset => "connection reset".to_string(),
            Event::Refused => "connection refused".to_string(),
            Event::TimedOut => "connection timed out".to_string(),
            other => format!("{other:?}"),
        })
    }
}
