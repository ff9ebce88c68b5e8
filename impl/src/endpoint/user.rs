//! The user calls of RFC 9293 §3.10 on an endpoint: OPEN (active, with an
//! ephemeral port, or passive), CLOSE of a listener, accept, SEND,
//! RECEIVE, CLOSE and ABORT.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::handle::ConnHandle;
use super::listener::Listener;
use super::quad::Quad;
use super::Endpoint;
use crate::conn::{Connection, Error};
use crate::time::Instant;

impl Endpoint {
    /// Active OPEN from `local` to `remote` (RFC 9293 §3.10.1). Port 0 in
    /// `local` picks an ephemeral port.
    ///
    /// # Errors
    ///
    /// - [`Error::ConnectionIllegal`]: `local`'s address, or `remote`, is
    ///   unspecified;
    /// - [`Error::ConnectionAlreadyExists`]: the 4-tuple is in use or in
    ///   TIME-WAIT;
    /// - [`Error::NoEphemeralPort`]: port 0 was asked for and every port
    ///   of the range is taken towards `remote`.
    pub fn connect(
        &mut self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> Result<ConnHandle, Error> {
        if local.ip().is_unspecified() || remote.ip().is_unspecified() || remote.port() == 0 {
            return Err(Error::ConnectionIllegal);
        }
        let local = if local.port() == 0 {
            SocketAddrV4::new(*local.ip(), self.ephemeral_port(*local.ip(), remote)?)
        } else {
            let quad = Quad::new(local, remote);
            if self.conns.contains_key(&quad) || self.time_wait.contains_key(&quad) {
                return Err(Error::ConnectionAlreadyExists);
            }
            local
        };
        let conn = Connection::connect(self.config, now, local, remote, &mut *self.isn)?;
        let i = self.alloc(conn);
        self.conns.insert(Quad::new(local, remote), i);
        self.after(i, now);
        self.settle_timers();
        Ok(self.handle(i))
    }

    /// The first free port of the ephemeral range towards `remote`,
    /// searching round-robin from after the last one handed out. A port is
    /// taken if a connection or a TIME-WAIT entry uses it with `remote`,
    /// or a listener uses it at all.
    pub(super) fn ephemeral_port(
        &mut self,
        ip: Ipv4Addr,
        remote: SocketAddrV4,
    ) -> Result<u16, Error> {
        let min = u32::from(self.config.ephemeral_port_min);
        let max = u32::from(self.config.ephemeral_port_max);
        if min == 0 || max < min {
            return Err(Error::NoEphemeralPort);
        }
        let n = max - min + 1;
        for k in 0..n {
            let offset = (self.port_cursor + k) % n;
            let port = (min + offset) as u16;
            let local = SocketAddrV4::new(ip, port);
            let quad = Quad::new(local, remote);
            if self.conns.contains_key(&quad)
                || self.time_wait.contains_key(&quad)
                || self.listener_for(local).is_some()
            {
                continue;
            }
            self.port_cursor = (offset + 1) % n;
            return Ok(port);
        }
        Err(Error::NoEphemeralPort)
    }

    /// Passive OPEN on `local` (its address may be `0.0.0.0`).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionAlreadyExists`] if `local` already listens.
    pub fn listen(&mut self, local: SocketAddrV4) -> Result<(), Error> {
        if local.port() == 0 {
            return Err(Error::ConnectionIllegal);
        }
        if self.listeners.contains_key(&local) {
            return Err(Error::ConnectionAlreadyExists);
        }
        self.listeners.insert(local, Listener::default());
        Ok(())
    }

    /// CLOSE of a listener (RFC 9293 §3.10.4, LISTEN: delete the TCB).
    /// Its connections live on; those not accepted yet are no longer
    /// offered by [`accept`](Self::accept).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionDoesNotExist`] if `local` does not listen.
    pub fn close_listener(&mut self, local: SocketAddrV4) -> Result<(), Error> {
        let l = self
            .listeners
            .remove(&local)
            .ok_or(Error::ConnectionDoesNotExist)?;
        for h in l.accept_queue {
            if let Some(s) = self.slot_mut(h) {
                s.pending_accept = false;
            }
        }
        for s in &mut self.slots {
            if s.parent == Some(local) {
                s.parent = None;
                s.half_open = false;
            }
        }
        Ok(())
    }

    /// The next connection the listener on `local` has established, if
    /// any. Until it is accepted, a connection holds a place in the
    /// listener's accept queue (bounded by [`Config::backlog`](crate::conn::Config::backlog)).
    pub fn accept(&mut self, local: SocketAddrV4) -> Option<ConnHandle> {
        let l = self.listeners.get_mut(&local)?;
        let h = l.accept_queue.pop_front()?;
        if let Some(s) = self.slot_mut(h) {
            s.pending_accept = false;
        }
        Some(h)
    }

    /// SEND (RFC 9293 §3.10.2) on `h`; see [`Connection::send`].
    ///
    /// # Errors
    ///
    /// Those of [`Connection::send`]; [`Error::ConnectionDoesNotExist`] for
    /// a handle without a TCB.
    pub fn send(&mut self, now: Instant, h: ConnHandle, data: &[u8]) -> Result<usize, Error> {
        let r = self.conn_mut(h)?.send(now, data);
        self.after(h.index, now);
        self.settle_timers();
        r
    }

    /// RECEIVE (RFC 9293 §3.10.3) on `h`; see [`Connection::recv`].
    ///
    /// # Errors
    ///
    /// Those of [`Connection::recv`]; [`Error::ConnectionDoesNotExist`] for
    /// a handle without a TCB.
    pub fn recv(&mut self, now: Instant, h: ConnHandle, buf: &mut [u8]) -> Result<usize, Error> {
        let r = self.conn_mut(h)?.recv(now, buf);
        self.after(h.index, now);
        self.settle_timers();
        r
    }

    /// CLOSE (RFC 9293 §3.10.4) on `h`; see [`Connection::close`].
    ///
    /// # Errors
    ///
    /// Those of [`Connection::close`]; [`Error::ConnectionDoesNotExist`]
    /// for a handle without a TCB.
    pub fn close(&mut self, now: Instant, h: ConnHandle) -> Result<(), Error> {
        let r = self.conn_mut(h)?.close(now);
        self.after(h.index, now);
        self.settle_timers();
        r
    }

    /// ABORT (RFC 9293 §3.10.5) on `h`; see [`Connection::abort`].
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionDoesNotExist`] for a handle without a TCB.
    pub fn abort(&mut self, now: Instant, h: ConnHandle) -> Result<(), Error> {
        let r = self.conn_mut(h)?.abort(now);
        self.after(h.index, now);
        self.settle_timers();
        r
    }
}
