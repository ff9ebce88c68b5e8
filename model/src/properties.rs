//! The properties checked on every reachable state: 11 safety properties
//! (`always`) and 11 named scenarios (`sometimes`), one of which
//! ([`Prop::needs`]) only a profile option makes possible.
//!
//! Properties that are about a transition rather than a state
//! (no-phantom-connection, stream-integrity, orderly-close, rfc-transitions,
//! no-premature-give-up, time-wait-lasts-2msl, no-blind-injection) are decided by a monitor when the transition happens,
//! which sets a bit in [`Sys::broken`]; the property reads the bit.
//!
//! A safety property is claimed to hold under every profile except those
//! named in its [`Prop::fails_under`]: there the RFC the profile follows is
//! known to break it, and the check claims the opposite, that a
//! counterexample exists (a demonstration, such as RFC 1337's TIME-WAIT
//! assassination under `rfc793`). `synfin check` succeeds only when every
//! property meets its profile's claim, so a demonstration that stops
//! failing fails the check.

use crate::config::{Config, Profile};
use crate::system::{monitor, Sys, A, B};
use crate::tcb::{End, St};

/// Whether a property must always hold or must sometimes hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Safety: holds in every reachable state.
    Always,
    /// Reachability: a named scenario some reachable state shows.
    Sometimes,
}

/// A named property: statement, RFC reference, and its predicate.
pub struct Prop {
    /// Stable name: what `synfin check` reports and tests refer to.
    pub name: &'static str,
    /// Always or sometimes.
    pub expectation: Expectation,
    /// One-line statement.
    pub statement: &'static str,
    /// Where the RFCs say so.
    pub reference: &'static str,
    /// The predicate on a state: for a safety property, true where it
    /// holds; for a scenario, true where the scenario shows.
    pub holds: fn(&Sys) -> bool,
    /// A safety property the named profile is known to break, and how (one
    /// line, e.g. RFC 1337's account): under that profile the check expects
    /// a counterexample instead of "holds".
    pub fails_under: Option<(Profile, &'static str)>,
    /// A scenario only this profile option makes possible: without it no
    /// state can show the scenario, so it is not checked (rather than
    /// reported missed).
    pub needs: Option<Needs>,
}

/// A profile option a scenario needs ([`Prop::needs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// RFC 9293 §3.6.1 MAY-2, `--time-wait-reopen`.
    TimeWaitReopen,
}

impl Needs {
    /// Is the option on in `cfg`?
    pub fn met(self, cfg: &Config) -> bool {
        match self {
            Needs::TimeWaitReopen => cfg.time_wait_reopen,
        }
    }

    /// The command-line flag that turns it on.
    pub fn flag(self) -> &'static str {
        match self {
            Needs::TimeWaitReopen => "--time-wait-reopen",
        }
    }
}

macro_rules! props {
    ($($name:literal, $exp:ident, $fn:ident, $reference:literal, $statement:literal
       $(, fails under $profile:ident: $why:literal)?
       $(, needs $needs:ident)?;)*) => {
        /// Every property, safety first, in a fixed order.
        pub const ALL: &[Prop] = &[$(Prop {
            name: $name,
            expectation: Expectation::$exp,
            statement: $statement,
            reference: $reference,
            holds: $fn,
            fails_under: props!(@fails $($profile, $why)?),
            needs: props!(@needs $($needs)?),
        }),*];
    };
    (@fails) => { None };
    (@fails $profile:ident, $why:literal) => { Some((Profile::$profile, $why)) };
    (@needs) => { None };
    (@needs $needs:ident) => { Some(Needs::$needs) };
}

props! {
    "handshake-agreement", Always, handshake_agreement, "RFC 9293 §3.4, §3.5",
        "in a synchronized state, an endpoint's IRS is the peer's ISS of the same incarnation";
    "no-phantom-connection", Always, no_phantom_connection, "RFC 9293 §3.5 (Figure 8), RFC 793 p. 32",
        "an endpoint is ESTABLISHED only if its peer asked for this connection in this incarnation";
    "stream-integrity", Always, stream_integrity, "RFC 9293 §3.4, §3.4.1, §3.6.1",
        "what an application received is a prefix of what its peer sent in the same incarnation";
    "orderly-close", Always, orderly_close, "RFC 9293 §3.6, §3.6.1 (MUST-13)",
        "a graceful close reaches TIME-WAIT only with every byte and both FINs delivered and acknowledged, and no RST ends it unless one of the connection's two incarnations was aborted, cancelled, crashed or timed out";
    "rfc-transitions", Always, rfc_transitions, "RFC 9293 §3.3.2 Figure 5 and notes",
        "every state change is an edge of RFC 9293 Figure 5 or its notes";
    "sequence-accounting", Always, sequence_accounting, "RFC 9293 §3.4",
        "SYN and FIN consume one number each, a bare ACK none; no endpoint acknowledges a number never sent";
    "no-stuck-state", Always, no_stuck_state, "RFC 9293 §3.8.3 (R2), §3.10.8",
        "when nothing is in flight and no timer runs, each endpoint is CLOSED, LISTEN, or synchronized with nothing outstanding";
    "no-premature-give-up", Always, no_premature_give_up, "RFC 9293 §3.8.3 (R2), §3.5 (MUST-10); RFC 6298",
        "a first OPEN that meets an OPEN of its peer gives up (R2) only after the network lost or held back more segments than it retransmits, or after an abort, cancel or crash";
    "quiescent-pairing", Always, quiescent_pairing, "RFC 9293 §3.5, §3.6 (Figures 6, 12)",
        "when nothing is in flight and no timer runs, an ESTABLISHED endpoint's peer incarnation is ESTABLISHED and a FIN-WAIT-2's is CLOSE-WAIT (and back), unless one of the two was aborted, cancelled, crashed, timed out or reset";
    "time-wait-lasts-2msl", Always, time_wait_lasts_2msl, "RFC 9293 §3.6.1 (MUST-13), RFC 1337",
        "an endpoint leaves TIME-WAIT only by its timer, after 2·MSL with no retransmitted FIN: no RST or SYN ends it",
        fails under Rfc793: "a RST accepted in TIME-WAIT ends it early: the TIME-WAIT assassination of RFC 1337";
    "no-blind-injection", Always, no_blind_injection, "RFC 5961 §3, §4; RFC 9293 §3.10.7.4",
        "a synchronized endpoint is reset, or takes data, only by a segment at exactly RCV.NXT: a segment forged without the sequence numbers gets nowhere",
        fails under Rfc793: "a RST or SYN anywhere in the window resets the connection: the blind in-window reset RFC 5961 answers";
    "three-way-handshake", Sometimes, three_way_handshake, "RFC 9293 §3.5 Figure 6",
        "an active and a passive OPEN meet: both ESTABLISHED";
    "four-way-teardown", Sometimes, four_way_teardown, "RFC 9293 §3.6 Figure 12",
        "one side in TIME-WAIT, the other CLOSED through LAST-ACK";
    "half-close", Sometimes, half_close, "RFC 9293 §3.6",
        "an application receives data after it has closed its own direction";
    "simultaneous-open", Sometimes, simultaneous_open, "RFC 9293 §3.5 Figure 7 (MUST-10)",
        "two active OPENs cross: both pass from SYN-SENT through SYN-RECEIVED to ESTABLISHED";
    "simultaneous-close", Sometimes, simultaneous_close, "RFC 9293 §3.6 Figure 13",
        "two FINs cross: an endpoint in CLOSING";
    "syn-retransmit-backoff", Sometimes, syn_retransmit_backoff, "RFC 6298 (5.5), RFC 9293 §3.8.1",
        "a SYN is retransmitted, and the wait after the retransmission is twice the wait before it (RTO, then 2·RTO)";
    "connect-timeout", Sometimes, connect_timeout, "RFC 9293 §3.8.3 (R2 for SYN)",
        "an active OPEN gives up after its retry limit";
    "stale-syn-rejected", Sometimes, stale_syn_rejected, "RFC 9293 §3.5 Figure 8",
        "an old duplicate SYN is refused by RST and the listener returns to LISTEN";
    "time-wait-reacks-fin", Sometimes, time_wait_reacks_fin, "RFC 9293 §3.10.7.4 (TIME-WAIT)",
        "TIME-WAIT acknowledges a retransmitted FIN and restarts 2·MSL";
    "abort-reset", Sometimes, abort_reset, "RFC 9293 §3.10.5",
        "ABORT sends a RST and the peer's connection is reset";
    "time-wait-reopen", Sometimes, time_wait_reopen, "RFC 9293 §3.6.1 (MAY-2)",
        "an endpoint in TIME-WAIT takes a SYN above its old sequence numbers as a new connection at once, instead of after 2·MSL",
        needs TimeWaitReopen;
}

impl Prop {
    /// Under `profile`, the check expects this safety property to fail (a
    /// demonstration) rather than to hold.
    pub fn expected_to_fail(&self, profile: Profile) -> bool {
        self.fails_under.is_some_and(|(p, _)| p == profile)
    }

    /// Is the property checked in `cfg`'s world? Every one is, but a
    /// scenario that needs an option that is off ([`Prop::needs`]).
    pub fn applies(&self, cfg: &Config) -> bool {
        self.needs.is_none_or(|n| n.met(cfg))
    }

    /// Does `s` violate this property (safety) or show it (scenario)? The
    /// states every search here looks for.
    pub fn hit(&self, s: &Sys) -> bool {
        (self.holds)(s) != (self.expectation == Expectation::Always)
    }
}

/// The properties checked in `cfg`'s world ([`Prop::applies`]), in
/// [`ALL`]'s order.
pub fn checked(cfg: &Config) -> impl Iterator<Item = &'static Prop> + '_ {
    ALL.iter().filter(|p| p.applies(cfg))
}

/// Look a property up by name.
pub fn by_name(name: &str) -> Option<&'static Prop> {
    ALL.iter().find(|p| p.name == name)
}

fn both(f: impl Fn(usize, usize) -> bool) -> bool {
    f(A, B) && f(B, A)
}

fn either(f: impl Fn(usize, usize) -> bool) -> bool {
    f(A, B) || f(B, A)
}

fn handshake_agreement(s: &Sys) -> bool {
    both(|x, y| {
        let (hx, hy) = (&s.hosts[x], &s.hosts[y]);
        let paired = hx.state.synchronized()
            && hy.state.synchronized()
            && hy.peer_inc == hx.inc
            && hx.peer_inc == hy.inc;
        !paired || (hx.irs == hy.iss && hy.irs == hx.iss)
    })
}

fn no_phantom_connection(s: &Sys) -> bool {
    s.broken & monitor::PHANTOM == 0
}

fn stream_integrity(s: &Sys) -> bool {
    s.broken & monitor::STREAM == 0
}

fn orderly_close(s: &Sys) -> bool {
    s.broken & monitor::ORDERLY == 0
}

fn rfc_transitions(s: &Sys) -> bool {
    s.broken & monitor::TRANSITION == 0
}

fn sequence_accounting(s: &Sys) -> bool {
    both(|x, y| {
        let (h, p) = (&s.hosts[x], &s.hosts[y]);
        if matches!(h.state, St::Closed | St::Listen) {
            return true;
        }
        let used = 1 + h.sent + u8::from(h.state.fin_sent());
        let own = h.snd_nxt == h.iss + used && h.snd_una <= h.snd_nxt;
        // We may acknowledge only what the peer incarnation we talk to sent.
        let peer_live = p.inc == h.peer_inc && !matches!(p.state, St::Closed | St::Listen);
        let acked_sent = !peer_live || h.rcv_nxt <= p.snd_nxt;
        own && acked_sent
    })
}

fn no_stuck_state(s: &Sys) -> bool {
    !s.quiescent()
        || s.hosts.iter().all(|h| match h.state {
            St::Closed | St::Listen => true,
            St::Established | St::CloseWait | St::FinWait2 => h.idle(),
            _ => false,
        })
}

fn no_premature_give_up(s: &Sys) -> bool {
    s.broken & monitor::GIVE_UP == 0
}

fn quiescent_pairing(s: &Sys) -> bool {
    !s.quiescent()
        || both(|x, y| {
            let (h, p) = (&s.hosts[x], &s.hosts[y]);
            let partner = match h.state {
                St::Established => St::Established,
                St::FinWait2 => St::CloseWait,
                St::CloseWait => St::FinWait2,
                _ => return true,
            };
            s.excused(x, true) || (p.inc == h.peer_inc && p.state == partner)
        })
}

fn no_blind_injection(s: &Sys) -> bool {
    s.broken & monitor::BLIND == 0
}

fn time_wait_lasts_2msl(s: &Sys) -> bool {
    s.broken & monitor::TIME_WAIT == 0
}

fn three_way_handshake(s: &Sys) -> bool {
    let (a, b) = (&s.hosts[A], &s.hosts[B]);
    a.state == St::Established && b.state == St::Established && b.passive && !a.passive
}

fn four_way_teardown(s: &Sys) -> bool {
    either(|x, y| {
        s.hosts[x].state == St::TimeWait
            && s.hosts[y].state == St::Closed
            && s.hosts[y].end == End::Orderly
    })
}

fn half_close(s: &Sys) -> bool {
    s.hosts.iter().any(|h| h.read_after_close)
}

fn simultaneous_open(s: &Sys) -> bool {
    s.hosts
        .iter()
        .all(|h| h.state == St::Established && h.crossed)
}

fn simultaneous_close(s: &Sys) -> bool {
    s.hosts.iter().any(|h| h.state == St::Closing)
}

fn syn_retransmit_backoff(s: &Sys) -> bool {
    s.hosts.iter().any(|h| h.backed_off)
}

fn connect_timeout(s: &Sys) -> bool {
    s.hosts
        .iter()
        .any(|h| h.state == St::Closed && h.end == End::ConnectTimeout)
}

fn stale_syn_rejected(s: &Sys) -> bool {
    s.hosts
        .iter()
        .any(|h| h.state == St::Listen && h.end == End::StaleRejected)
}

fn time_wait_reacks_fin(s: &Sys) -> bool {
    s.hosts.iter().any(|h| h.state == St::TimeWait && h.reacked)
}

fn abort_reset(s: &Sys) -> bool {
    either(|x, y| {
        s.hosts[x].end == End::Reset
            && s.hosts[x].state == St::Closed
            && s.hosts[y].end == End::Aborted
    })
}

/// MAY-2 took the SYN before 2·MSL was over: the new incarnation is in
/// SYN-RECEIVED with the old TIME-WAIT parked behind it (to return to
/// should the SYN prove old), and that TIME-WAIT had ticks left. A reopen
/// when the timer is already due saves nothing.
fn time_wait_reopen(s: &Sys) -> bool {
    s.hosts
        .iter()
        .any(|h| h.state == St::SynReceived && h.parked.is_some_and(|p| p.timer > 0))
}
