//! The user calls of RFC 9293 §3.10.1–§3.10.5: OPEN, SEND, RECEIVE, CLOSE
//! and ABORT, with the RFC's error results as [`Error`] values.
//!
//! OPEN is three constructors ([`Connection::connect`] for an active OPEN,
//! [`Connection::listen`] for a passive one, [`Connection::accept`] for an
//! endpoint that keeps its own listeners) and [`Connection::open`], the
//! RFC's call on an existing TCB.

use std::net::SocketAddrV4;

use super::{Connection, Error, Event, Origin, State, UNSPECIFIED};
use crate::isn::IsnSource;
use crate::time::Instant;
use crate::wire::{Flags, Segment};

impl Connection {
    /// Active OPEN (RFC 9293 §3.10.1, CLOSED state): select an ISS from
    /// `isn`, send `<SEQ=ISS><CTL=SYN>`, set SND.UNA to ISS and SND.NXT to
    /// ISS+1, enter SYN-SENT, and start the retransmission timer with the
    /// initial RTO (RFC 6298 (2.1)).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionIllegal`] if `remote` or `local` is unspecified
    /// (address or port zero): an active OPEN needs both sockets (the
    /// endpoint chooses a local address and an ephemeral port first).
    pub fn connect(
        config: super::Config,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        isn: &mut dyn IsnSource,
    ) -> Result<Self, Error> {
        let unspecified = |a: SocketAddrV4| a.ip().is_unspecified() || a.port() == 0;
        if unspecified(remote) || unspecified(local) {
            return Err(Error::ConnectionIllegal);
        }
        let iss = isn.iss(now, local, remote);
        let mut c = Connection::new(config, local, remote, iss, Origin::Active);
        c.start_active_open(now);
        Ok(c)
    }

    /// Passive OPEN (RFC 9293 §3.10.1, CLOSED state, foreign socket
    /// unspecified): a TCB in LISTEN on `local` (its address may be
    /// `0.0.0.0`, matching any local address). The ISS is chosen when a
    /// SYN arrives.
    pub fn listen(config: super::Config, local: SocketAddrV4) -> Self {
        let mut c = Connection::new(
            config,
            local,
            UNSPECIFIED,
            Default::default(),
            Origin::Passive,
        );
        c.state = State::Listen;
        c
    }

    /// A LISTEN socket on `local` takes the SYN `syn` (RFC 9293 §3.10.7.2,
    /// third step): the new connection is in SYN-RECEIVED with its SYN,ACK
    /// queued, and returns to LISTEN (state [`State::Listen`]) if the
    /// handshake is reset. `None` if `syn` is not a connection request
    /// (see [`super::listen_verdict`]); a listener should then send what
    /// that function says.
    pub fn accept(
        config: super::Config,
        now: Instant,
        local: SocketAddrV4,
        syn: &Segment,
        isn: &mut dyn IsnSource,
    ) -> Option<Self> {
        let mut c = Connection::listen(config, local);
        c.handle_segment_with_isn(now, syn, isn);
        (c.state == State::SynReceived).then_some(c)
    }

    /// OPEN on this TCB (RFC 9293 §3.10.1): `Some(remote)` is an active
    /// OPEN, `None` a passive one.
    ///
    /// - CLOSED: starts afresh, as [`Connection::connect`] or
    ///   [`Connection::listen`] would, on the same local socket.
    /// - LISTEN with a foreign socket: "change the connection from passive
    ///   to active, select an ISS", send a SYN, enter SYN-SENT.
    ///
    /// # Errors
    ///
    /// - [`Error::ConnectionAlreadyExists`] in every other case ("error:
    ///   connection already exists");
    /// - [`Error::ConnectionIllegal`] for an unspecified foreign socket, or
    ///   an active OPEN from a LISTEN on the wildcard address.
    pub fn open(
        &mut self,
        now: Instant,
        remote: Option<SocketAddrV4>,
        isn: &mut dyn IsnSource,
    ) -> Result<(), Error> {
        match (self.state, remote) {
            (State::Closed, None) => {
                let mut c = Connection::listen(self.config, self.listen_addr);
                std::mem::swap(&mut c.outbox, &mut self.outbox);
                std::mem::swap(&mut c.events, &mut self.events);
                *self = c;
                Ok(())
            }
            (State::Closed | State::Listen, Some(remote)) => {
                let mut c = Connection::connect(self.config, now, self.local, remote, isn)?;
                // What was waiting to be pulled goes first, then the SYN.
                let mut outbox = std::mem::take(&mut self.outbox);
                outbox.append(&mut c.outbox);
                c.outbox = outbox;
                c.events = std::mem::take(&mut self.events);
                c.listen_addr = self.listen_addr;
                *self = c;
                Ok(())
            }
            _ => Err(Error::ConnectionAlreadyExists),
        }
    }

    /// SEND (RFC 9293 §3.10.2): queues as much of `data` as the send buffer
    /// ([`Config::send_buffer`](super::Config::send_buffer)) holds and
    /// returns how many bytes it took. In SYN-SENT and SYN-RECEIVED the
    /// data waits for ESTABLISHED; in ESTABLISHED and CLOSE-WAIT it is sent
    /// as far as the peer's window allows.
    ///
    /// # Errors
    ///
    /// - CLOSED: [`Error::ConnectionDoesNotExist`];
    /// - LISTEN: [`Error::ForeignSocketUnspecified`];
    /// - after CLOSE (FIN-WAIT-1, FIN-WAIT-2, CLOSING, LAST-ACK, TIME-WAIT,
    ///   or a CLOSE queued in SYN-RECEIVED): [`Error::ConnectionClosing`];
    /// - a full send buffer with `data` non-empty:
    ///   [`Error::InsufficientResources`].
    pub fn send(&mut self, now: Instant, data: &[u8]) -> Result<usize, Error> {
        match self.state {
            State::Closed => return Err(Error::ConnectionDoesNotExist),
            State::Listen => return Err(Error::ForeignSocketUnspecified),
            State::FinWait1
            | State::FinWait2
            | State::Closing
            | State::LastAck
            | State::TimeWait => return Err(Error::ConnectionClosing),
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => {}
        }
        if self.fin_queued {
            return Err(Error::ConnectionClosing);
        }
        let room = self.config.send_buffer.saturating_sub(self.send_buf.len());
        let n = data.len().min(room);
        if n == 0 && !data.is_empty() {
            return Err(Error::InsufficientResources);
        }
        self.send_buf.extend(&data[..n]);
        self.transmit(now);
        Ok(n)
    }

    /// RECEIVE (RFC 9293 §3.10.3): moves received bytes into `buf` and
    /// returns how many. `Ok(0)` means nothing is readable yet (in LISTEN,
    /// SYN-SENT and SYN-RECEIVED the call is "queued for processing after
    /// entering ESTABLISHED state"; in ESTABLISHED, FIN-WAIT-1 and
    /// FIN-WAIT-2 data has yet to come). Received data stays readable after
    /// the TCB was deleted by an orderly close. If reading opens the
    /// receive window from below min(half the buffer, one MSS) to at least that,
    /// a window update is sent (RFC 9293 §3.8.6.2.2).
    ///
    /// # Errors
    ///
    /// - [`Error::ConnectionClosing`] once the peer's FIN arrived and every
    ///   byte before it was read (CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT):
    ///   the end of the stream;
    /// - [`Error::ConnectionDoesNotExist`] in CLOSED with nothing left to
    ///   read.
    pub fn recv(&mut self, now: Instant, buf: &mut [u8]) -> Result<usize, Error> {
        if self.recv_buf.is_empty() || buf.is_empty() {
            return match self.state {
                State::Closed => Err(Error::ConnectionDoesNotExist),
                _ if self.fin_received && self.recv_buf.is_empty() => Err(Error::ConnectionClosing),
                _ => Ok(0),
            };
        }
        let before = self.rcv_wnd();
        let n = buf.len().min(self.recv_buf.len());
        for (dst, src) in buf.iter_mut().zip(self.recv_buf.drain(..n)) {
            *dst = src;
        }
        // Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): announce the window
        // once it grew to min(RCV.BUFF / 2, MSS).
        let threshold = (self.mss() as u32)
            .min(u32::from(self.config.rcv_wnd) / 2)
            .max(1);
        if before < threshold
            && self.rcv_wnd() >= threshold
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            self.ack_needed = true;
            self.transmit(now);
        }
        Ok(n)
    }

    /// CLOSE (RFC 9293 §3.10.4): "I have no more data to send".
    ///
    /// - LISTEN, SYN-SENT: delete the TCB ([`Event::Closed`]); no segment is
    ///   sent.
    /// - SYN-RECEIVED: with nothing queued, send a FIN and enter
    ///   FIN-WAIT-1; otherwise the FIN follows the queued data once
    ///   ESTABLISHED is reached.
    /// - ESTABLISHED: the FIN follows the queued data; enter FIN-WAIT-1.
    /// - CLOSE-WAIT: the FIN follows the queued data; enter LAST-ACK.
    ///
    /// # Errors
    ///
    /// - CLOSED: [`Error::ConnectionDoesNotExist`];
    /// - FIN-WAIT-1, FIN-WAIT-2 ("strictly speaking, this is an error"),
    ///   CLOSING, LAST-ACK, TIME-WAIT, or a second CLOSE in SYN-RECEIVED:
    ///   [`Error::ConnectionClosing`].
    pub fn close(&mut self, now: Instant) -> Result<(), Error> {
        match self.state {
            State::Closed => Err(Error::ConnectionDoesNotExist),
            State::Listen | State::SynSent => {
                self.delete_tcb(Event::Closed, true);
                Ok(())
            }
            State::SynReceived if self.fin_queued => Err(Error::ConnectionClosing),
            State::SynReceived => {
                self.fin_queued = true;
                if self.send_buf.is_empty() {
                    self.state = State::FinWait1;
                    self.transmit(now);
                }
                Ok(())
            }
            State::Established => {
                self.fin_queued = true;
                self.state = State::FinWait1;
                self.transmit(now);
                Ok(())
            }
            State::CloseWait => {
                self.fin_queued = true;
                self.state = State::LastAck;
                self.transmit(now);
                Ok(())
            }
            State::FinWait1
            | State::FinWait2
            | State::Closing
            | State::LastAck
            | State::TimeWait => Err(Error::ConnectionClosing),
        }
    }

    /// ABORT (RFC 9293 §3.10.5).
    ///
    /// - LISTEN, SYN-SENT: delete the TCB, no segment.
    /// - SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: send
    ///   `<SEQ=SND.NXT><CTL=RST>`, flush every queue, delete the TCB.
    /// - CLOSING, LAST-ACK, TIME-WAIT: "respond with 'ok' and delete the
    ///   TCB".
    ///
    /// The application sees [`Event::Closed`].
    ///
    /// # Errors
    ///
    /// CLOSED: [`Error::ConnectionDoesNotExist`].
    pub fn abort(&mut self, _now: Instant) -> Result<(), Error> {
        match self.state {
            State::Closed => return Err(Error::ConnectionDoesNotExist),
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => {
                let rst = self.segment(self.snd_nxt, Flags::RST, Vec::new());
                self.outbox.push_back(rst);
            }
            State::Listen | State::SynSent | State::Closing | State::LastAck | State::TimeWait => {}
        }
        self.delete_tcb(Event::Closed, true);
        Ok(())
    }

    /// Sends the SYN of an active OPEN and enters SYN-SENT.
    fn start_active_open(&mut self, now: Instant) {
        self.state = State::SynSent;
        self.snd_una = self.iss;
        self.snd_nxt = self.iss.add(1);
        self.send_syn(now, Flags::SYN);
    }
}
