//! The messages of `synfin-exec/1`, as serde types: one JSON object per
//! line, a request from the harness on the child's stdin and one reply on
//! its stdout. The book's chapter *Any TCP over a pipe*
//! (`docs/src/conformance/exec.md`) is the reference for adopters.

use serde::{Deserialize, Serialize};

use crate::target::{Capabilities, Clock, IssControl, Role, Stimulus, WireSegment};
use crate::trace::{Call, Event, Flags, HostId, State, TcbVars, TraceConfig};

/// The protocol's name and version, sent in `hello` and expected back.
pub const PROTOCOL: &str = "synfin-exec/1";

/// A request, tagged by `op`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The first request: the harness's protocol version. The reply is a
    /// [`Hello`].
    Hello {
        /// [`PROTOCOL`].
        protocol: String,
    },
    /// [`Target::start`](crate::target::Target::start).
    Start {
        /// The trace's configuration, as the trace file has it.
        config: TraceConfig,
        /// `A`, `B` or `both`.
        role: WireRole,
    },
    /// [`Target::set_next_iss`](crate::target::Target::set_next_iss).
    SetNextIss {
        /// The host.
        host: HostId,
        /// The absolute ISS.
        iss: u32,
    },
    /// [`Target::input`](crate::target::Target::input).
    Input {
        /// The input.
        stimulus: WireStimulus,
    },
    /// [`Target::observe`](crate::target::Target::observe); the reply is an
    /// [`Observed`].
    Observe {
        /// The host.
        host: HostId,
    },
}

impl Request {
    /// The request's `op`, for error messages.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::Start { .. } => "start",
            Request::SetNextIss { .. } => "set_next_iss",
            Request::Input { .. } => "input",
            Request::Observe { .. } => "observe",
        }
    }
}

/// The hosts of a replay: `"A"`, `"B"` or `"both"`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum WireRole {
    /// Host A alone.
    A,
    /// Host B alone.
    B,
    /// Both hosts.
    #[serde(rename = "both")]
    Both,
}

impl From<Role> for WireRole {
    fn from(r: Role) -> WireRole {
        match r {
            Role::Host(HostId::A) => WireRole::A,
            Role::Host(HostId::B) => WireRole::B,
            Role::Both => WireRole::Both,
        }
    }
}

/// A user call: `listen`, `connect`, `send`, `close`, `abort`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WireCall {
    /// Passive OPEN.
    Listen,
    /// Active OPEN to the other host.
    Connect,
    /// SEND of one byte `x`.
    Send,
    /// CLOSE: no more to send.
    Close,
    /// ABORT.
    Abort,
}

impl From<Call> for WireCall {
    fn from(c: Call) -> WireCall {
        match c {
            Call::Listen => WireCall::Listen,
            Call::Connect => WireCall::Connect,
            Call::Send => WireCall::Send,
            Call::Close => WireCall::Close,
            Call::Abort => WireCall::Abort,
        }
    }
}

/// A segment with absolute numbers: `{"flags": "SYN,ACK", "seq": 1,
/// "ack": 2, "len": 0}`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WireSeg {
    /// `SYN`, `ACK`, `FIN`, `RST`, comma-separated in that order; `""` for
    /// none.
    pub flags: Flags,
    /// SEG.SEQ.
    pub seq: u32,
    /// SEG.ACK (0 without ACK).
    pub ack: u32,
    /// Payload octets, each `x`.
    pub len: u8,
}

impl From<WireSegment> for WireSeg {
    fn from(s: WireSegment) -> WireSeg {
        WireSeg {
            flags: s.flags,
            seq: s.seq,
            ack: s.ack,
            len: s.len,
        }
    }
}

impl From<WireSeg> for WireSegment {
    fn from(s: WireSeg) -> WireSegment {
        WireSegment {
            flags: s.flags,
            seq: s.seq,
            ack: if s.flags.contains(Flags::ACK) {
                s.ack
            } else {
                0
            },
            len: s.len,
        }
    }
}

/// One input, tagged by `kind`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WireStimulus {
    /// The host's application calls.
    Call {
        /// The host.
        host: HostId,
        /// The call.
        call: WireCall,
    },
    /// A segment arrives at the host.
    Arrive {
        /// The host.
        host: HostId,
        /// The segment.
        segment: WireSeg,
    },
    /// The host's running timer expires.
    Timeout {
        /// The host.
        host: HostId,
    },
    /// One tick of `tick_seconds` passes for every host.
    Tick,
    /// The host crashes and reboots.
    Crash {
        /// The host.
        host: HostId,
    },
}

impl From<&Stimulus> for WireStimulus {
    fn from(s: &Stimulus) -> WireStimulus {
        match *s {
            Stimulus::Call(host, call) => WireStimulus::Call {
                host,
                call: call.into(),
            },
            Stimulus::Arrive(host, seg) => WireStimulus::Arrive {
                host,
                segment: seg.into(),
            },
            Stimulus::Timeout(host) => WireStimulus::Timeout { host },
            Stimulus::Tick => WireStimulus::Tick,
            Stimulus::Crash(host) => WireStimulus::Crash { host },
        }
    }
}

impl From<&WireStimulus> for Stimulus {
    fn from(s: &WireStimulus) -> Stimulus {
        match *s {
            WireStimulus::Call { host, call } => Stimulus::Call(
                host,
                match call {
                    WireCall::Listen => Call::Listen,
                    WireCall::Connect => Call::Connect,
                    WireCall::Send => Call::Send,
                    WireCall::Close => Call::Close,
                    WireCall::Abort => Call::Abort,
                },
            ),
            WireStimulus::Arrive { host, segment } => Stimulus::Arrive(host, segment.into()),
            WireStimulus::Timeout { host } => Stimulus::Timeout(host),
            WireStimulus::Tick => Stimulus::Tick,
            WireStimulus::Crash { host } => Stimulus::Crash(host),
        }
    }
}

/// The reply to `hello`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Hello {
    /// The protocol the child speaks: must be [`PROTOCOL`].
    pub hello: String,
    /// The TCP's name (`lwip`, `synfin-tcp`): reports show it, and it
    /// chooses the comparison policy unless `--policy` does.
    pub name: String,
    /// The TCP's version, free text.
    #[serde(default)]
    pub version: Option<String>,
    /// What it can do.
    pub capabilities: WireCapabilities,
    /// It also answers the sockets extension's `sock_*` requests
    /// (packetdrill scripts); absent means no.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sockets: bool,
}

/// [`Capabilities`] on the wire.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WireCapabilities {
    /// Plays both hosts at once.
    pub plays_both: bool,
    /// `settable` or `learned`.
    pub iss: WireIss,
    /// Fills in `tcb`.
    pub observes_tcb: bool,
    /// `virtual` or `real`.
    pub clock: WireClock,
}

/// `settable` or `learned`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WireIss {
    /// [`IssControl::Settable`].
    Settable,
    /// [`IssControl::Learned`].
    Learned,
}

/// `virtual` or `real`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WireClock {
    /// [`Clock::Virtual`].
    Virtual,
    /// [`Clock::Real`].
    Real,
}

impl From<WireCapabilities> for Capabilities {
    fn from(c: WireCapabilities) -> Capabilities {
        Capabilities {
            plays_both: c.plays_both,
            iss: match c.iss {
                WireIss::Settable => IssControl::Settable,
                WireIss::Learned => IssControl::Learned,
            },
            observes_tcb: c.observes_tcb,
            clock: match c.clock {
                WireClock::Virtual => Clock::Virtual,
                WireClock::Real => Clock::Real,
            },
        }
    }
}

impl From<Capabilities> for WireCapabilities {
    fn from(c: Capabilities) -> WireCapabilities {
        WireCapabilities {
            plays_both: c.plays_both,
            iss: match c.iss {
                IssControl::Settable => WireIss::Settable,
                IssControl::Learned => WireIss::Learned,
            },
            observes_tcb: c.observes_tcb,
            clock: match c.clock {
                Clock::Virtual => WireClock::Virtual,
                Clock::Real => WireClock::Real,
            },
        }
    }
}

/// The reply to `observe`: [`Report`](crate::target::Report) on the wire.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// The RFC 9293 state name.
    pub state: State,
    /// The connection's absolute ISS, or null.
    #[serde(default)]
    pub iss: Option<u32>,
    /// Milliseconds until the host's earliest running timer expires, or
    /// null when none runs.
    #[serde(default)]
    pub timer_ms: Option<u64>,
    /// Segments sent since the host was last observed.
    #[serde(default)]
    pub emitted: Vec<WireSeg>,
    /// Bytes the application has read in this connection.
    #[serde(default)]
    pub delivered: u8,
    /// Whether the application has seen end-of-file.
    #[serde(default)]
    pub eof: bool,
    /// What the application was told since the last observe: the trace's
    /// event names; anything else is kept as the adapter's own words.
    #[serde(default)]
    pub events: Vec<String>,
    /// The TCB variables, relative, where the adapter observes them.
    #[serde(default)]
    pub tcb: Option<TcbVars>,
}

/// An event name as a trace [`Event`]: one of the model's, or
/// [`Event::Unexpected`] with the adapter's words.
pub fn event(name: &str) -> Event {
    Event::MODEL
        .into_iter()
        .find(|e| e.name() == name)
        .unwrap_or_else(|| Event::Unexpected(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_spelt_as_the_book_shows_them() {
        let arrive = Request::Input {
            stimulus: WireStimulus::from(&Stimulus::Arrive(
                HostId::A,
                WireSegment {
                    flags: Flags::SYN | Flags::ACK,
                    seq: 100,
                    ack: 2147483649,
                    len: 0,
                },
            )),
        };
        assert_eq!(
            serde_json::to_value(&arrive).unwrap(),
            json!({"op": "input", "stimulus": {"kind": "arrive", "host": "A",
                   "segment": {"flags": "SYN,ACK", "seq": 100, "ack": 2147483649u32, "len": 0}}})
        );
        let call = Request::Input {
            stimulus: WireStimulus::from(&Stimulus::Call(HostId::B, Call::Listen)),
        };
        assert_eq!(
            serde_json::to_value(&call).unwrap(),
            json!({"op": "input", "stimulus": {"kind": "call", "host": "B", "call": "listen"}})
        );
        let tick = Request::Input {
            stimulus: WireStimulus::Tick,
        };
        assert_eq!(
            serde_json::to_value(&tick).unwrap(),
            json!({"op": "input", "stimulus": {"kind": "tick"}})
        );
        assert_eq!(
            serde_json::to_value(Request::SetNextIss {
                host: HostId::A,
                iss: 7
            })
            .unwrap(),
            json!({"op": "set_next_iss", "host": "A", "iss": 7})
        );
        assert_eq!(serde_json::to_value(WireRole::Both).unwrap(), json!("both"));
    }

    #[test]
    fn every_stimulus_survives_the_wire() {
        let seg = WireSegment {
            flags: Flags::ACK | Flags::FIN,
            seq: 1,
            ack: 2,
            len: 1,
        };
        for s in [
            Stimulus::Call(HostId::A, Call::Connect),
            Stimulus::Call(HostId::B, Call::Abort),
            Stimulus::Arrive(HostId::B, seg),
            Stimulus::Timeout(HostId::A),
            Stimulus::Tick,
            Stimulus::Crash(HostId::B),
        ] {
            let line = serde_json::to_string(&WireStimulus::from(&s)).unwrap();
            let back: WireStimulus = serde_json::from_str(&line).unwrap();
            assert_eq!(Stimulus::from(&back), s, "{line}");
        }
    }

    #[test]
    fn an_observation_reads_with_defaults_and_strictly() {
        let o: Observed = serde_json::from_value(json!({"state": "LISTEN"})).unwrap();
        assert_eq!(
            (o.state, o.iss, o.timer_ms, o.emitted.len()),
            (State::Listen, None, None, 0)
        );
        // A misspelt field must not pass for "no timer".
        assert!(
            serde_json::from_value::<Observed>(json!({"state": "LISTEN", "timer": 3})).is_err()
        );
        assert_eq!(event("reset"), Event::Reset);
        assert_eq!(
            event("error:send:ERR_CONN"),
            Event::Unexpected("error:send:ERR_CONN".into())
        );
    }
}
