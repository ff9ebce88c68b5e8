//! What a target shows of a host after a step.

use std::time::Duration;

use super::wire_segment::WireSegment;
use crate::trace::{Event, State, TcbVars};

/// One host as a target sees it after a step. The engine turns it into the
/// trace's terms (relative numbers, whole ticks) and compares it with the
/// model's observation field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The connection's state; CLOSED when the host has no TCB, LISTEN
    /// while it waits for a SYN.
    pub state: State,
    /// The connection's ISS, absolute; `None` in CLOSED and LISTEN. Read
    /// only from a target that [sets its
    /// ISS](super::IssControl::Settable): the engine knows the others'.
    pub iss: Option<u32>,
    /// How long until the host's earliest running timer expires, if one
    /// runs (retransmission, TIME-WAIT, the quiet time after a crash).
    pub timer: Option<Duration>,
    /// The segments the host sent since it was last observed, in any order.
    pub emitted: Vec<WireSegment>,
    /// Bytes the application has read in this connection (the harness
    /// reads everything at once); 0 in CLOSED and LISTEN.
    pub delivered: u8,
    /// Whether the application has seen the end of the stream (a read
    /// returned end-of-file after the peer's FIN); false in CLOSED and
    /// LISTEN.
    pub eof: bool,
    /// What the application was told since it was last observed, in order.
    /// A call that failed, or anything else the model has no name for, is
    /// an [`Event::Unexpected`] with the target's own words.
    pub events: Vec<Event>,
    /// The TCB's sequence variables, relative to the ISS (SND.*) and the
    /// IRS (RCV.NXT), where the target [observes
    /// them](super::Capabilities::observes_tcb): none in CLOSED and
    /// LISTEN, no RCV.NXT in SYN-SENT, only SND.NXT and RCV.NXT in
    /// TIME-WAIT (see the trace format).
    pub tcb: Option<TcbVars>,
}
