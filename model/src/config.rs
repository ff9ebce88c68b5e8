//! What to check: a preset (the size of the world), a profile (which RFCs the
//! endpoints follow) and optionally a variant (a deliberately broken design).

use std::fmt;
use std::str::FromStr;

/// Named sizes of the checked world, from unit-test fast to minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Seconds: one incarnation per host, two losses and an abort. For unit tests.
    Quick,
    /// The CI gate: two incarnations per host with loss, duplication,
    /// reordering and retransmission.
    Default,
    /// Minutes: the default plus a host crash.
    Deep,
    /// Seconds: `quick` where old duplicates live. The network may hold one
    /// segment of any kind (SYN, FIN, data, and also a bare ACK or a RST)
    /// past the tick it was sent in, until it dies at MSL; so MSL and 2·MSL
    /// bear load, and a TIME-WAIT of one MSL is caught (`time-wait-one-msl`).
    OldDuplicates,
    /// Seconds: `quick` plus an off-path attacker who knows the 4-tuple but
    /// not the sequence numbers and may forge one RST, SYN or data segment
    /// at any sequence number but the exact RCV.NXT.
    OffPath,
    /// Seconds: two incarnations per host where one segment of any kind may
    /// outlive a tick, so an old SYN, SYN,ACK, ACK or RST meets a new
    /// incarnation (RFC 793 Figures 9 and 10); no loss, to keep it small.
    Reincarnation,
    /// Minutes: `quick`'s network under the whole application interface:
    /// A sends two bytes and B one, and either host may ABORT in any state
    /// that has a TCB.
    Applications,
}

/// Which RFCs the endpoints follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// RFC 9293 with RFC 5961 challenge ACKs and RFC 1337 "ignore RST in TIME-WAIT".
    Rfc9293,
    /// RFC 793 as first published: in-window RST and SYN reset the connection.
    Rfc793,
}

/// A deliberately broken design: each removes one safeguard of TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The server is ESTABLISHED on receiving a SYN.
    TwoWayHandshake,
    /// The active closer goes to CLOSED after its last ACK.
    NoTimeWait,
    /// TIME-WAIT lasts less than 2·MSL.
    ShortTimeWait,
    /// Every incarnation starts from the same ISN.
    FixedIsn,
    /// A lost SYN is never sent again; the timer still gives up.
    NoSynRetransmit,
    /// A SYN in SYN-SENT is dropped; the SYN timer runs on.
    NoSimultaneousOpen,
    /// TIME-WAIT lasts MSL instead of 2·MSL.
    TimeWaitOneMsl,
    /// SYN-SENT takes a SYN,ACK whatever it acknowledges.
    UncheckedSynAck,
}

macro_rules! names {
    ($ty:ty { $($v:ident => $name:literal, $about:literal;)* }) => {
        impl $ty {
            /// Every value, in the order `synfin list` prints them.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$v),*];
            /// The stable command-line name.
            pub fn name(self) -> &'static str {
                match self { $(<$ty>::$v => $name),* }
            }
            /// One line for `synfin list`.
            pub fn about(self) -> &'static str {
                match self { $(<$ty>::$v => $about),* }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$ty>::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| {
                    let valid: Vec<_> = <$ty>::ALL.iter().map(|v| v.name()).collect();
                    format!("unknown {} `{s}`; valid: {}", stringify!($ty).to_lowercase(), valid.join(", "))
                })
            }
        }
    };
}

names!(Preset {
    Quick => "quick", "one incarnation per host, 2 losses, 1 abort: seconds";
    Default => "default", "two incarnations per host, 1 loss, 1 duplicate, 1 abort, reordering, retransmission: the CI gate";
    Deep => "deep", "the default plus a host crash with quiet time: minutes";
    OldDuplicates => "old-duplicates", "quick plus 1 delay: any segment, ACK and RST too, may outlive a tick until MSL: seconds";
    OffPath => "off-path", "quick plus 1 forged segment (RST, SYN or data) from an attacker who does not know the sequence numbers: seconds";
    Reincarnation => "reincarnation", "two incarnations per host and 1 delay, no loss: an old segment meets a new incarnation (RFC 793 Figures 9, 10): seconds";
    Applications => "applications", "quick's network, both hosts send (A 2 bytes, B 1) and either may ABORT in any state: minutes";
});

names!(Profile {
    Rfc9293 => "rfc9293", "RFC 9293 with RFC 5961 challenge ACKs and RFC 1337 ignore-RST-in-TIME-WAIT";
    Rfc793 => "rfc793", "RFC 793 as published: in-window RST or SYN resets the connection";
});

names!(Variant {
    TwoWayHandshake => "two-way-handshake", "the server is ESTABLISHED on receiving a SYN";
    NoTimeWait => "no-time-wait", "the active closer goes to CLOSED after its last ACK";
    ShortTimeWait => "short-time-wait", "TIME-WAIT lasts one tick instead of 2·MSL";
    FixedIsn => "fixed-isn", "every incarnation starts from the same ISN";
    NoSynRetransmit => "no-syn-retransmit", "a lost SYN is never sent again (the timer still gives up)";
    NoSimultaneousOpen => "no-simultaneous-open", "a SYN in SYN-SENT is dropped as if the handshake were under way";
    TimeWaitOneMsl => "time-wait-one-msl", "TIME-WAIT lasts MSL instead of 2·MSL";
    UncheckedSynAck => "unchecked-syn-ack", "SYN-SENT takes a SYN,ACK whatever it acknowledges";
});

impl Variant {
    /// The property whose shortest counterexample this variant exists to show.
    pub fn breaks(self) -> &'static str {
        match self {
            Variant::TwoWayHandshake => "no-phantom-connection",
            Variant::NoTimeWait => "orderly-close",
            Variant::ShortTimeWait => "stream-integrity",
            Variant::FixedIsn => "stream-integrity",
            Variant::NoSynRetransmit => "no-premature-give-up",
            Variant::NoSimultaneousOpen => "no-premature-give-up",
            Variant::TimeWaitOneMsl => "orderly-close",
            Variant::UncheckedSynAck => "no-phantom-connection",
        }
    }

    /// The preset `synfin check --variant`, `explain` and the tests check
    /// this variant in unless told otherwise: the smallest world that shows
    /// it. A TIME-WAIT of one MSL matters only where a segment outlives a
    /// tick; an old SYN,ACK meets a new incarnation where a host opens again.
    pub fn preset(self) -> Preset {
        match self {
            Variant::TimeWaitOneMsl => Preset::OldDuplicates,
            Variant::UncheckedSynAck => Preset::Reincarnation,
            _ => Preset::Default,
        }
    }
}

/// Every knob of the model. Built from a preset, a profile and a variant;
/// tests also build small ones directly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Shown in reports and traces.
    pub preset: Preset,
    /// RFC 9293 (+5961, +1337) or RFC 793 behaviour.
    pub profile: Profile,
    /// The broken design under test, if any.
    pub variant: Option<Variant>,
    /// OPENs each host's application may issue (incarnations per host).
    pub opens: u8,
    /// Whether host B may also actively open (needed for simultaneous open).
    pub b_connects: bool,
    /// Data bytes each host's application may send per incarnation (A, B).
    /// One byte one way is enough for half-close and most hazards; two from
    /// A let a byte overtake another, one from B makes the stream two-way.
    pub bytes: [u8; 2],
    /// Segments the network may lose.
    pub losses: u8,
    /// Segments the network may duplicate.
    pub dups: u8,
    /// Segments the network may hold past the tick they were sent in (up to MSL).
    pub delays: u8,
    /// ABORT calls the applications may issue.
    pub aborts: u8,
    /// Who may ABORT, and where: either host in any state with a TCB, as
    /// RFC 9293 §3.10.5 allows (LISTEN and SYN-SENT just delete it; CLOSING,
    /// LAST-ACK and TIME-WAIT too, without a RST), rather than only A in
    /// ESTABLISHED.
    pub abort_anywhere: bool,
    /// Host crashes (TCB and TIME-WAIT lost, then quiet time).
    pub crashes: u8,
    /// Segments an off-path attacker may forge into a synchronized
    /// connection (it knows the 4-tuple, not the sequence numbers).
    pub injections: u8,
    /// Maximum segment lifetime, in ticks: a segment is undeliverable once this old.
    pub msl: u8,
    /// Initial retransmission timeout, in ticks; doubled per retry.
    pub rto: u8,
    /// Retransmissions before giving up (SYN and FIN alike).
    pub retries: u8,
    /// Receive window, in sequence numbers.
    pub window: u8,
    /// The ISN clock: it advances `isn_rate` numbers per tick.
    pub isn_rate: u8,
    /// Ticks after which the ISN clock is certainly past every old number;
    /// the model's clock saturates there.
    pub clock_cap: u8,
    /// RFC 9293 §3.6.1 MAY-2, an option of either profile: TIME-WAIT may
    /// accept a SYN above the old incarnation's numbers as a new
    /// connection (see `Sys::may_reopen`). Off by default, as in Linux
    /// without timestamps and in synfin-tcp.
    pub time_wait_reopen: bool,
    /// RFC 9293 §3.4.1 without the reopen gate: a host may OPEN again as
    /// soon as its last incarnation is gone, and its ISN clock is taken to
    /// have run a window past every number that incarnation used (see
    /// `Host::run_clock_ahead`). Off by default: with the gate, worlds of
    /// two OPENs are thirty to several hundred times smaller.
    pub reopen_at_once: bool,
}

impl Config {
    /// The configuration `synfin check` runs.
    pub fn new(preset: Preset, profile: Profile, variant: Option<Variant>) -> Config {
        let mut c = Config {
            preset,
            profile,
            variant,
            opens: 1,
            b_connects: true,
            bytes: [1, 0],
            losses: 2,
            dups: 0,
            delays: 0,
            aborts: 1,
            abort_anywhere: false,
            crashes: 0,
            injections: 0,
            msl: 2,
            rto: 1,
            retries: 1,
            window: 3,
            isn_rate: 1,
            clock_cap: 6,
            time_wait_reopen: false,
            reopen_at_once: false,
        };
        match preset {
            Preset::Quick => {}
            Preset::Default => {
                (c.opens, c.losses, c.dups) = (2, 1, 1);
            }
            Preset::Deep => {
                (c.opens, c.losses, c.dups, c.crashes) = (2, 1, 1, 1);
            }
            Preset::OldDuplicates => c.delays = 1,
            Preset::OffPath => c.injections = 1,
            Preset::Reincarnation => {
                (c.opens, c.delays, c.losses) = (2, 1, 0);
            }
            Preset::Applications => {
                (c.bytes, c.abort_anywhere) = ([2, 1], true);
            }
        }
        // A variant switches on the fault that exposes it and, to keep the
        // search for its shortest counterexample small, off the ones it does
        // not need.
        match variant {
            Some(Variant::ShortTimeWait) => {
                (c.dups, c.delays, c.losses, c.aborts, c.b_connects) = (1, 1, 0, 0, false);
            }
            Some(Variant::FixedIsn) => {
                (c.aborts, c.losses, c.b_connects) = (1, 0, false);
            }
            // A TIME-WAIT of one MSL is short only if a segment can outlive a tick.
            Some(Variant::TimeWaitOneMsl) => c.delays = c.delays.max(1),
            // The reopen gate lets a cancelled connect's SYN die before the
            // host opens again; without it the SYN,ACK answering that SYN
            // reaches the new incarnation with no fault at all.
            Some(Variant::UncheckedSynAck) => {
                (c.aborts, c.bytes[0], c.delays, c.reopen_at_once) = (0, 0, 0, true);
            }
            _ => {}
        }
        c
    }

    /// TIME-WAIT length in ticks: 2·MSL, or less in the broken variants.
    pub fn time_wait(&self) -> u8 {
        match self.variant {
            Some(Variant::ShortTimeWait) => 1,
            Some(Variant::TimeWaitOneMsl) => self.msl,
            _ => 2 * self.msl,
        }
    }

    /// True when `v` is the variant under check.
    pub fn is(&self, v: Variant) -> bool {
        self.variant == Some(v)
    }

    /// RFC 5961 challenge ACKs and RFC 1337 F1.
    pub fn rfc9293(&self) -> bool {
        self.profile == Profile::Rfc9293
    }
}
