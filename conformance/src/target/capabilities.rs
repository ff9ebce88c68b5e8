//! What a target can do, which the replay engine adapts to.

/// What a target can do. The engine reads it at the start of each replay
/// and adapts its plan, its numbering and its comparison to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether the target can play both hosts of a trace at once (two
    /// connections of its own, the harness carrying the segments between
    /// them). Then each trace replays once with both hosts compared;
    /// otherwise once per host, the harness playing the other from the
    /// trace.
    pub plays_both: bool,
    /// Whether the target can be told its ISS.
    pub iss: IssControl,
    /// Whether [`Report::tcb`](super::Report::tcb) is filled in, so the
    /// engine compares SND.UNA, SND.NXT, RCV.NXT and the retry count with
    /// the model's. A target that cannot see its TCB declines, and only
    /// what is on the wire and at the user interface is compared.
    pub observes_tcb: bool,
    /// How the target's time passes.
    pub clock: Clock,
}

/// How a target's initial sequence number is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssControl {
    /// The target chooses the ISS it is told
    /// ([`Target::set_next_iss`](super::Target::set_next_iss)) and reports
    /// it in [`Report::iss`](super::Report::iss), where it is compared
    /// with the model's.
    Settable,
    /// The target chooses its own ISS (RFC 9293 §3.4.1's clock, a keyed
    /// hash, a PRNG). The engine learns it from the host's first SYN or
    /// SYN,ACK of each connection, maps the model's ISS onto it, and
    /// relates every later number to it; `Report::iss` is not read.
    Learned,
}

/// How time passes for a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The harness moves the clock: a tick moves it by `tick_seconds`, a
    /// timeout makes the timer due now. Replays are deterministic, so each
    /// trace replays at every ISN base and nothing is retried; a timer is
    /// reported in whole ticks rounded up (due in 1.5 ticks is still
    /// running after 1).
    Virtual,
    /// The target's clock is the machine's: ticks are not slept through,
    /// and a timeout waits for the target's own timer. Each trace replays
    /// at one ISN base (cycling through them from trace to trace); a timer
    /// is reported in whole ticks rounded to the nearest (an observation
    /// comes a few milliseconds after the step); a replay that diverges
    /// with no name is retried once, because a loaded machine can make an
    /// answer late.
    Real,
}
