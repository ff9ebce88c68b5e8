//! How a target's differences from the model are judged: which the RFC
//! leaves open and are absorbed, and which are the target's own named
//! expectations.

use std::fmt;

use crate::trace::{Call, Flags, HostId, Observation, Profile, Segment, Step};

/// How one target is compared with the model.
///
/// Every field of every host the target plays is compared after every
/// step (see [`compare`](super::compare)). A difference the policy
/// [absorbs](Absorption) is noted and the replay goes on; any other stops
/// the replay, as the first of the policy's [named
/// expectations](Deviation) that recognises it, or as an unclassified
/// divergence.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// A short name for reports: `strict`, `linux`.
    pub name: &'static str,
    /// The differences the RFC leaves open that this policy lets pass.
    pub absorbs: &'static [Absorption],
    /// The target's named expectations, each judged against the RFC text,
    /// in the order they are tried.
    pub expectations: &'static [Deviation],
}

impl Policy {
    /// Every field compared, nothing absorbed, nothing expected: synfin-tcp's.
    pub const STRICT: Policy = Policy {
        name: "strict",
        absorbs: &[],
        expectations: &[],
    };

    /// Whether the policy absorbs `a`.
    pub fn absorbs(&self, a: Absorption) -> bool {
        self.absorbs.contains(&a)
    }

    /// The named expectation `d` is, if the policy has one for it.
    pub fn classify(&self, d: &Difference) -> Option<&'static str> {
        self.expectations
            .iter()
            .find(|e| e.recognise.is_some_and(|r| r(d)))
            .map(|e| e.name)
    }

    /// The expectation called `name`.
    pub fn expectation(&self, name: &str) -> Option<&'static Deviation> {
        self.expectations.iter().find(|e| e.name == name)
    }
}

/// A difference the RFC leaves open and that changes nothing a later step
/// depends on: a policy may let it pass, and the replay lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Absorption {
    /// The TIME-WAIT timer's length, when both are in TIME-WAIT: RFC 9293
    /// leaves MSL to the implementation (Linux: 60 s, `TCP_TIMEWAIT_LEN`;
    /// the model: `time_wait` ticks).
    TimeWaitLength,
    /// An ABORT's RST carrying ACK (`<RST,ACK>` where RFC 9293 §3.10.5
    /// writes `<SEQ=SND.NXT><CTL=RST>`), unless the peer is in SYN-SENT:
    /// the receiver checks the RST bit before the ACK field in every state
    /// but SYN-SENT (§3.10.7.4), so elsewhere the two are the same segment
    /// to it.
    RstCarriesAck,
}

impl Absorption {
    /// The name reports use: `time-wait-length`, `rst-carries-ack`.
    pub fn name(self) -> &'static str {
        match self {
            Absorption::TimeWaitLength => "time-wait-length",
            Absorption::RstCarriesAck => "rst-carries-ack",
        }
    }
}

impl fmt::Display for Absorption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether the RFC leaves room for what the target does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowance {
    /// RFC 9293 (or the RFC the model's profile follows) allows both; the
    /// difference is a choice, reported apart from true deviations.
    RfcAllows,
    /// What the target does is not what the RFC the trace's profile
    /// follows says: a true deviation.
    Deviates,
}

/// A named way in which a target differs from the model, judged against
/// the RFC text. A replay that reaches one stops there with its name.
#[derive(Clone, Copy, Debug)]
pub struct Deviation {
    /// Stable name.
    pub name: &'static str,
    /// What differs.
    pub what: &'static str,
    /// Whether the RFC allows it.
    pub allowance: Allowance,
    /// Recognises the deviation in a difference; `None` for one found
    /// outside replay (the kernel's SYN schedule check).
    pub recognise: Option<fn(&Difference) -> bool>,
}

/// A difference between the model and a target at one step of a trace:
/// what an expectation's recogniser looks at.
#[derive(Clone, Copy, Debug)]
pub struct Difference<'a> {
    /// The profile of the trace.
    pub profile: Profile,
    /// The host that differs.
    pub host: HostId,
    /// The steps before this one.
    pub before: &'a [Step],
    /// The step.
    pub step: &'a Step,
    /// The model's observation of the host after the step.
    pub expected: &'a Observation,
    /// The target's, in the trace's terms.
    pub actual: &'a Observation,
}

impl Difference<'_> {
    /// The segment that arrived at the host in this step, if one did.
    pub fn arrival(&self) -> Option<&Segment> {
        self.step.input.arrival().filter(|s| s.to() == self.host)
    }

    /// The flags of the segment that arrived ([`Flags::NONE`] if none).
    pub fn arriving_flags(&self) -> Flags {
        self.arrival().map_or(Flags::NONE, |s| s.flags)
    }

    /// Whether the host's application made `call` in this step.
    pub fn is_call(&self, call: Call) -> bool {
        self.step.input.call() == Some((self.host, call))
    }

    /// Whether the host's timer expired in this step.
    pub fn is_timeout(&self) -> bool {
        self.step.input == crate::trace::Input::Timeout { host: self.host }
    }

    /// Whether the model's observation, changed by `f`, is the target's
    /// (the timer, which has a rule of its own, and the TCB variables,
    /// which a target may not observe, are taken from the target's).
    pub fn same_but(&self, f: impl Fn(&mut Observation)) -> bool {
        let mut e = self.expected.clone();
        e.timer = self.actual.timer;
        e.tcb = self.actual.tcb.clone();
        f(&mut e);
        e == *self.actual
    }

    /// Whether only the emitted segments differ.
    pub fn only_emitted_differs(&self) -> bool {
        self.same_but(|e| e.emitted = self.actual.emitted.clone())
    }
}
