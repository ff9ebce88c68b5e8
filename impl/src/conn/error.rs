//! The error results of the user calls (RFC 9293 §3.10.1–§3.10.5).

use std::fmt;

/// An error returned by a user call (OPEN, SEND, RECEIVE, CLOSE, ABORT) or by
/// the endpoint. The variants carry the RFC's wording in their docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// "error: connection does not exist": the TCB is CLOSED or unknown.
    ConnectionDoesNotExist,
    /// "error: connection already exists": OPEN on a 4-tuple (or a listening
    /// address) that is already in use, TIME-WAIT included.
    ConnectionAlreadyExists,
    /// "error: connection illegal for this process": e.g. an active OPEN
    /// towards an unspecified foreign socket.
    ConnectionIllegal,
    /// "error: connection closing": SEND after CLOSE, CLOSE twice, or
    /// RECEIVE after the peer's FIN once all data was read.
    ConnectionClosing,
    /// "error: foreign socket unspecified": SEND in LISTEN.
    ForeignSocketUnspecified,
    /// "error: insufficient resources": the send buffer is full.
    InsufficientResources,
    /// No ephemeral port is free for this remote address: every port of
    /// the configured range is in use or in TIME-WAIT.
    NoEphemeralPort,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::ConnectionDoesNotExist => "connection does not exist",
            Error::ConnectionAlreadyExists => "connection already exists",
            Error::ConnectionIllegal => "connection illegal for this process",
            Error::ConnectionClosing => "connection closing",
            Error::ForeignSocketUnspecified => "foreign socket unspecified",
            Error::InsufficientResources => "insufficient resources",
            Error::NoEphemeralPort => "no ephemeral port left for this remote address",
        })
    }
}

impl std::error::Error for Error {}
