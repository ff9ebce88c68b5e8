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

/// Which kind of RFC text a target's behaviour departs from or relies on.
///
/// A numbered requirement is RFC 9293's own label for it (Appendix B:
/// `MUST-20`, `SHLD-31`, `MAY-2`; RFC 9293 spells SHOULD as `SHLD`), cited
/// only where RFC 9293 numbers the behaviour; elsewhere the ruling names
/// the section whose processing text the target departs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ruling {
    /// Breaks a MUST of RFC 9293: `BreaksMust(20)` is MUST-20.
    BreaksMust(u8),
    /// Departs from a SHOULD of RFC 9293: `BreaksShould(31)` is SHLD-31.
    BreaksShould(u8),
    /// Takes an option RFC 9293 leaves open with a numbered MAY:
    /// `TakesMay(2)` is MAY-2.
    TakesMay(u8),
    /// Does what a MUST of RFC 9293 requires, where the model leaves the
    /// mechanism out (it has no congestion control, say).
    FollowsMust(u8),
    /// Does what a SHOULD of RFC 9293 asks, where the model does not.
    FollowsShould(u8),
    /// Departs from processing text that carries no requirement keyword:
    /// a true deviation, with the section it departs from (`"§3.10.4"`
    /// for RFC 9293; another RFC is named, `"RFC 6298 §5"`).
    Deviates(&'static str),
    /// The RFC's own text allows both readings (Figure 7 against
    /// §3.10.7.4's sequence check), or it leaves open without a numbered
    /// MAY what another RFC the profile follows settles (RFC 5961,
    /// RFC 1337): a choice.
    RfcAllows,
}

impl Ruling {
    /// Whether the RFC leaves room for what the target does: a choice,
    /// reported apart from true deviations.
    pub fn allowed(&self) -> bool {
        matches!(
            self,
            Ruling::TakesMay(_)
                | Ruling::FollowsMust(_)
                | Ruling::FollowsShould(_)
                | Ruling::RfcAllows
        )
    }

    /// How reports put it beside a deviation's name: `against the RFC:
    /// breaks MUST-20`, `against the RFC: deviates §3.10.4`, `the RFC
    /// allows it: follows MUST-19`, `the RFC allows both`.
    pub fn described(&self) -> String {
        match self {
            Ruling::RfcAllows => "the RFC allows both".to_string(),
            r if r.allowed() => format!("the RFC allows it: {r}"),
            r => format!("against the RFC: {r}"),
        }
    }

    /// The numbered requirement of RFC 9293 the ruling cites, in the RFC's
    /// spelling (`MUST-20`, `SHLD-31`, `MAY-2`), if it cites one.
    pub fn requirement(&self) -> Option<String> {
        match *self {
            Ruling::BreaksMust(n) | Ruling::FollowsMust(n) => Some(format!("MUST-{n}")),
            Ruling::BreaksShould(n) | Ruling::FollowsShould(n) => Some(format!("SHLD-{n}")),
            Ruling::TakesMay(n) => Some(format!("MAY-{n}")),
            Ruling::Deviates(_) | Ruling::RfcAllows => None,
        }
    }
}

impl fmt::Display for Ruling {
    /// `breaks MUST-20`, `breaks SHLD-31`, `MAY-2`, `follows MUST-19`,
    /// `deviates §3.10.4`, `RFC allows`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let req = self.requirement().unwrap_or_default();
        match self {
            Ruling::BreaksMust(_) | Ruling::BreaksShould(_) => write!(f, "breaks {req}"),
            Ruling::TakesMay(_) => f.write_str(&req),
            Ruling::FollowsMust(_) | Ruling::FollowsShould(_) => write!(f, "follows {req}"),
            Ruling::Deviates(section) => write!(f, "deviates {section}"),
            Ruling::RfcAllows => f.write_str("RFC allows"),
        }
    }
}

/// A named way in which a target differs from the model, judged against
/// the RFC text. A replay that reaches one stops there with its name.
#[derive(Clone, Copy, Debug)]
pub struct Deviation {
    /// Stable name.
    pub name: &'static str,
    /// What differs.
    pub what: &'static str,
    /// Which RFC text it departs from or relies on.
    pub ruling: Ruling,
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

    /// Whether the host's application called ABORT and the only
    /// difference is that the target's RST carries an ACK: a deviation
    /// only where the `rst-carries-ack` absorption does not reach (the
    /// peer in SYN-SENT).
    pub fn abort_rst_gains_ack(&self) -> bool {
        self.is_call(Call::Abort)
            && self.only_emitted_differs()
            && super::compare::rst_gains_ack(self.expected, self.actual)
    }

    /// Whether only the emitted segments differ.
    pub fn only_emitted_differs(&self) -> bool {
        self.same_but(|e| e.emitted = self.actual.emitted.clone())
    }
}

/// Whether `v` is one bare ACK: no data, no other control bit.
pub fn pure_ack(v: &[Segment]) -> bool {
    v.len() == 1 && v[0].flags == Flags::ACK && v[0].len == 0
}

#[cfg(test)]
mod tests {
    use super::{Deviation, Policy, Ruling};
    use crate::target::exec::LWIP;
    use crate::target::smoltcp::SMOLTCP;

    /// Every policy with named deviations.
    fn policies() -> Vec<Policy> {
        let mut v = vec![SMOLTCP, LWIP];
        #[cfg(target_os = "linux")]
        v.extend([crate::kernel::LINUX, crate::kernel::STRICT_LINUX]);
        v
    }

    /// `^(MUST|SHLD|MAY)-\d+$`, RFC 9293's spelling of its numbered
    /// requirements, without a regex engine.
    fn well_formed_requirement(r: &str) -> bool {
        let Some((kind, n)) = r.split_once('-') else {
            return false;
        };
        matches!(kind, "MUST" | "SHLD" | "MAY")
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && !n.starts_with('0')
    }

    fn check(policy: &str, d: &Deviation) {
        let r = d.ruling;
        match r {
            Ruling::BreaksMust(n)
            | Ruling::BreaksShould(n)
            | Ruling::TakesMay(n)
            | Ruling::FollowsMust(n)
            | Ruling::FollowsShould(n) => {
                let req = r.requirement().expect("numbered");
                assert!(
                    n > 0 && well_formed_requirement(&req),
                    "{policy}: {}: {req}",
                    d.name
                );
                // The `what` text gives the RFC text the ruling rests on.
                assert!(
                    d.what.contains(&req),
                    "{policy}: {}: `what` does not cite {req}",
                    d.name
                );
            }
            Ruling::Deviates(section) => {
                assert!(r.requirement().is_none());
                let rfc9293 = section.strip_prefix('§');
                let other = section
                    .strip_prefix("RFC ")
                    .and_then(|s| s.split_once(" §"))
                    .filter(|(rfc, _)| rfc.bytes().all(|b| b.is_ascii_digit()))
                    .map(|(_, s)| s);
                let sec = rfc9293.or(other).unwrap_or("");
                assert!(
                    !sec.is_empty() && sec.split('.').all(|p| p.parse::<u8>().is_ok_and(|n| n > 0)),
                    "{policy}: {}: `{section}` is not \"§N.N\" or \"RFC N §N\"",
                    d.name
                );
                // The section is cited in the text too.
                assert!(
                    d.what.contains(section)
                        || rfc9293.is_some_and(|s| d.what.contains(&format!("§{s}"))),
                    "{policy}: {}: `what` does not cite {section}",
                    d.name
                );
            }
            Ruling::RfcAllows => assert!(r.requirement().is_none()),
        }
        assert_eq!(
            r.allowed(),
            matches!(
                r,
                Ruling::TakesMay(_)
                    | Ruling::FollowsMust(_)
                    | Ruling::FollowsShould(_)
                    | Ruling::RfcAllows
            )
        );
    }

    #[test]
    fn every_deviation_has_a_well_formed_ruling_and_a_name_of_its_own() {
        for p in policies() {
            assert!(!p.expectations.is_empty(), "{}", p.name);
            let mut names = std::collections::BTreeSet::new();
            for d in p.expectations {
                check(p.name, d);
                assert!(names.insert(d.name), "{}: `{}` twice", p.name, d.name);
            }
        }
    }

    #[test]
    fn rulings_read_as_the_book_writes_them() {
        assert_eq!(Ruling::BreaksMust(20).to_string(), "breaks MUST-20");
        assert_eq!(Ruling::BreaksShould(31).to_string(), "breaks SHLD-31");
        assert_eq!(Ruling::TakesMay(2).to_string(), "MAY-2");
        assert_eq!(Ruling::FollowsMust(19).to_string(), "follows MUST-19");
        assert_eq!(Ruling::FollowsShould(31).to_string(), "follows SHLD-31");
        assert_eq!(Ruling::Deviates("§3.10.4").to_string(), "deviates §3.10.4");
        assert_eq!(
            Ruling::Deviates("RFC 6298 §5").to_string(),
            "deviates RFC 6298 §5"
        );
        assert_eq!(Ruling::RfcAllows.to_string(), "RFC allows");
        assert_eq!(
            Ruling::BreaksMust(20).described(),
            "against the RFC: breaks MUST-20"
        );
        assert_eq!(
            Ruling::FollowsMust(19).described(),
            "the RFC allows it: follows MUST-19"
        );
        assert_eq!(Ruling::RfcAllows.described(), "the RFC allows both");
        assert!(!well_formed_requirement("MUST-"));
        assert!(!well_formed_requirement("SHOULD-7x"));
        assert!(well_formed_requirement("SHLD-7"));
    }
}
