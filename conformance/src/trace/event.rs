//! What the application is told during a step.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An application event (RFC 9293 §3.10's signals to the user), spelt as
/// on the wire: `connected`, `peer-closed`, `reset`, `refused`,
/// `timed-out`, `closed`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// The connection is established (OPEN succeeded).
    Connected,
    /// The peer's FIN reached the application: end of stream.
    PeerClosed,
    /// "connection reset".
    Reset,
    /// "connection refused".
    Refused,
    /// The user timeout or retry limit ended the connection.
    TimedOut,
    /// The connection is gone without an error (its TCB deleted).
    Closed,
    /// Something a target reports that no model event names: a call that
    /// failed, a notification out of step with what the application read.
    /// Never in a trace (a reader refuses it), so it always differs.
    Unexpected(String),
}

impl Event {
    /// The events a trace may record.
    pub const MODEL: [Event; 6] = [
        Event::Connected,
        Event::PeerClosed,
        Event::Reset,
        Event::Refused,
        Event::TimedOut,
        Event::Closed,
    ];

    /// The wire spelling (an unexpected event's own text).
    pub fn name(&self) -> &str {
        match self {
            Event::Connected => "connected",
            Event::PeerClosed => "peer-closed",
            Event::Reset => "reset",
            Event::Refused => "refused",
            Event::TimedOut => "timed-out",
            Event::Closed => "closed",
            Event::Unexpected(what) => what,
        }
    }

    /// Whether it ends the connection with an error the user is told of.
    pub fn is_error(&self) -> bool {
        matches!(self, Event::Reset | Event::Refused | Event::TimedOut)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        let s = String::deserialize(d)?;
        Event::MODEL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown event `{s}`, expected one of connected, peer-closed, reset, \
                     refused, timed-out, closed"
                ))
            })
    }
}
