//! lwIP's named deviations (the adapter in `conformance/adapters/lwip/`,
//! lwIP 2.1.3 as Debian builds it), and the `lwip` policy that carries
//! them. Each was found by replaying the committed suite and is judged
//! against the RFC text; the book's *Any TCP over a pipe* chapter lists
//! them with their counts.

use crate::replay::{pure_ack, Absorption, Deviation, Difference, Policy, Ruling};
use crate::trace::{Event, Flags, Input, Profile, Segment, State};

/// How lwIP is compared: what RFC 9293 leaves open and cannot change a
/// later step is absorbed (the TIME-WAIT timer's length: lwIP's is
/// 2·`TCP_MSL` = 120 s, fixed at build time; an ABORT's RST carrying ACK),
/// and every other difference is one of [`LWIP_DEVIATIONS`] or a
/// divergence.
pub const LWIP: Policy = Policy {
    name: "lwip",
    absorbs: &[Absorption::TimeWaitLength, Absorption::RstCarriesAck],
    expectations: LWIP_DEVIATIONS,
};

/// lwIP's named deviations, in the order a difference is tried against
/// them.
pub const LWIP_DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "no-simultaneous-open",
        what: "in SYN-SENT a SYN without ACK is dropped: lwIP has no simultaneous open; \
               RFC 9293 §3.10.7.3 (fourth, check the SYN bit) enters SYN-RECEIVED and \
               sends a SYN,ACK, and §3.5 requires simultaneous open (MUST-10)",
        ruling: Ruling::BreaksMust(10),
        recognise: Some(no_simultaneous_open),
    },
    Deviation {
        name: "retries-fixed-at-build",
        what: "lwIP gives up after TCP_SYNMAXRTX (6) SYN and TCP_MAXRTX (12) other \
               retransmissions, fixed when the library is built; the trace's configuration \
               gives up sooner. RFC 9293 §3.8.3 leaves R2's value to the implementation \
               (SHLD-11: at least 100 s) but says an application MUST be able to set R2 \
               for a connection (MUST-21), which lwIP's API cannot. Its SYN, resent every \
               3 s without backing off, also gives up after about 21 s, short of the 3 \
               minutes MUST-23 asks for a SYN",
        ruling: Ruling::BreaksMust(21),
        recognise: Some(retries_fixed_at_build),
    },
    Deviation {
        name: "rto-resends-all-in-flight",
        what: "on a retransmission timeout lwIP resends every unacknowledged segment the \
               window allows (the byte and the FIN, or the SYN,ACK and the FIN), where the \
               model resends the first (RFC 6298 (5.4), RFC 9293 §3.10.8: \"send the segment \
               at the front of the retransmission queue\"); together they fit in the \
               one-segment loss window of RFC 5681 §3.1, and neither RFC forbids sending \
               more that the window allows: ambiguous, read as allowed",
        ruling: Ruling::RfcAllows,
        recognise: Some(rto_resends_all_in_flight),
    },
    Deviation {
        name: "syn-sent-bad-ack-resends-syn",
        what: "in SYN-SENT an unacceptable ACK is answered with RST, as RFC 9293 §3.10.7.3 \
               says, and the SYN is resent at once; RFC 6298 §5 (which RFC 9293 §3.8.1 makes \
               the RTO's rule, MUST-18) retransmits on the RTO only. Neither RFC forbids an \
               early retransmission in so many words: our reading",
        ruling: Ruling::Deviates("RFC 6298 §5"),
        recognise: Some(syn_sent_bad_ack_resends_syn),
    },
    Deviation {
        name: "syn-sent-acceptable-ack-reset",
        what: "in SYN-SENT a segment with an acceptable ACK but no SYN is answered with RST \
               and the SYN is resent; RFC 9293 §3.10.7.3 (fifth) drops a segment with neither \
               SYN nor RST",
        ruling: Ruling::Deviates("§3.10.7.3"),
        recognise: Some(syn_sent_acceptable_ack_reset),
    },
    Deviation {
        name: "syn-received-resends-synack",
        what: "in SYN-RECEIVED, a retransmitted SYN is answered with the SYN,ACK again; \
               RFC 9293 §3.10.7.4 (first, check sequence number) sends \
               <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(syn_received_resends_synack),
    },
    Deviation {
        name: "time-wait-old-ack-unanswered",
        what: "in TIME-WAIT an unacceptable segment with no data, SYN or FIN is dropped \
               silently; RFC 9293 §3.10.7.4 (first, check sequence number) acknowledges it",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(time_wait_old_ack_unanswered),
    },
    Deviation {
        name: "time-wait-syn-answered-rst",
        what: "in TIME-WAIT a SYN at or within the window's right edge is answered with \
               <SEQ=SEG.ACK><CTL=RST,ACK> and TIME-WAIT goes on; RFC 9293 §3.10.7.4 (with \
               RFC 5961 §4) sends a challenge ACK, and RFC 793 resets and deletes the TCB; \
               nor is it MAY-2 (§3.6.1), which would accept the SYN as a new connection",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(time_wait_syn_answered_rst),
    },
    Deviation {
        name: "challenge-ack",
        what: "an RFC 5961 challenge ACK (§3.2, §4.2) where the rfc793 profile resets or \
               drops; RFC 9293 §3.10.7.4 leaves those checks to the implementation, \
               unnumbered (only RFC 5961's ACK check, §5, is numbered: MAY-12)",
        ruling: Ruling::RfcAllows,
        recognise: Some(challenge_ack),
    },
    Deviation {
        name: "time-wait-ignores-rst",
        what: "an RST in TIME-WAIT is ignored (RFC 1337 F1, as the rfc9293 profile does); \
               the rfc793 profile ends TIME-WAIT, as RFC 9293 §3.10.7.4 says",
        ruling: Ruling::RfcAllows,
        recognise: Some(time_wait_ignores_rst),
    },
    Deviation {
        name: "out-of-order-held",
        what: "a segment beyond RCV.NXT is held (TCP_QUEUE_OOSEQ) and processed when the gap \
               is filled, as RFC 9293 §3.10.7.4 says it SHOULD be (SHLD-31); the model drops \
               it",
        ruling: Ruling::FollowsShould(31),
        recognise: Some(out_of_order_held),
    },
    Deviation {
        name: "syn-retries-outlive-the-handshake",
        what: "when the SYN,ACK that completes an active open acknowledges a SYN that was \
               retransmitted, the retransmission count is not reset (lwIP resets it only while \
               data is still outstanding), so the next segment starts with fewer retries; RFC \
               9293 §3.8.3 counts the retransmissions of one segment. R2's value being the \
               implementation's (SHLD-11 asks at least 100 s), the count, not MUST-20's \
               closing, is what departs",
        ruling: Ruling::Deviates("§3.8.3"),
        recognise: Some(syn_retries_outlive_the_handshake),
    },
    Deviation {
        name: "rst-carries-ack-to-syn-sent",
        what: "lwIP's RST for an ABORT carries ACK (RFC 9293 §3.10.5 writes \
               <SEQ=SND.NXT><CTL=RST>); to a peer in SYN-SENT the ACK field decides whether \
               the RST counts (§3.10.7.3), so the `lwip` policy does not absorb it there",
        ruling: Ruling::Deviates("§3.10.5"),
        recognise: Some(rst_carries_ack_to_syn_sent),
    },
];

/// A SYN alone: a retransmitted SYN.
fn is_syn(s: &Segment) -> bool {
    s.flags == Flags::SYN
}

/// §3.10.7.3 fourth: SYN-SENT + SYN enters SYN-RECEIVED; lwIP drops it.
fn no_simultaneous_open(d: &Difference) -> bool {
    d.arriving_flags() == Flags::SYN
        && d.expected.state == State::SynReceived
        && d.actual.state == State::SynSent
        && d.actual.emitted.is_empty()
}

/// The model gives up at its retry limit; lwIP retransmits again.
fn retries_fixed_at_build(d: &Difference) -> bool {
    d.is_timeout()
        && matches!(d.expected.state, State::Closed | State::Listen)
        && d.actual.state.has_connection()
        && !d.actual.emitted.is_empty()
        && d.expected.emitted.is_empty()
}

/// The first unacknowledged segment resent, and the rest in flight too.
fn rto_resends_all_in_flight(d: &Difference) -> bool {
    let (e, a) = (&d.expected.emitted, &d.actual.emitted);
    d.is_timeout()
        && d.only_emitted_differs()
        && e.len() == 1
        && a.len() > 1
        && a.contains(&e[0])
        && a.iter()
            .filter(|s| **s != e[0])
            .all(|s| s.len > 0 || s.flags.contains(Flags::FIN))
}

/// An ACK without SYN arriving in SYN-SENT: lwIP's RST and an immediate
/// SYN.
fn syn_sent_ack_reset(d: &Difference, model_resets: bool) -> bool {
    let f = d.arriving_flags();
    let a = &d.actual.emitted;
    let e = &d.expected.emitted;
    f.contains(Flags::ACK)
        && !f.contains(Flags::SYN)
        && !f.contains(Flags::RST)
        && d.expected.state == State::SynSent
        && d.same_but(|x| x.emitted = a.clone())
        && a.iter().filter(|s| is_syn(s)).count() == 1
        && a.iter().filter(|s| s.flags.contains(Flags::RST)).count() == 1
        && a.len() == 2
        && if model_resets {
            e.len() == 1
                && e[0].flags == Flags::RST
                && a.iter()
                    .any(|s| s.seq == e[0].seq && s.flags.contains(Flags::RST))
        } else {
            e.is_empty()
        }
}

fn syn_sent_bad_ack_resends_syn(d: &Difference) -> bool {
    syn_sent_ack_reset(d, true)
}

fn syn_sent_acceptable_ack_reset(d: &Difference) -> bool {
    syn_sent_ack_reset(d, false)
}

/// §3.10.7.4 ACKs a retransmitted SYN in SYN-RECEIVED; lwIP resends its
/// SYN,ACK.
fn syn_received_resends_synack(d: &Difference) -> bool {
    d.arriving_flags() == Flags::SYN
        && d.only_emitted_differs()
        && d.expected.state == State::SynReceived
        && pure_ack(&d.expected.emitted)
        && d.actual.emitted.len() == 1
        && d.actual.emitted[0].flags == Flags::SYN | Flags::ACK
}

/// An old ACK in TIME-WAIT: the model acknowledges it, lwIP says nothing.
fn time_wait_old_ack_unanswered(d: &Difference) -> bool {
    d.arrival()
        .is_some_and(|s| s.flags == Flags::ACK && s.len == 0)
        && d.expected.state == State::TimeWait
        && d.only_emitted_differs()
        && pure_ack(&d.expected.emitted)
        && d.actual.emitted.is_empty()
}

/// A SYN in TIME-WAIT: lwIP's RST, and TIME-WAIT goes on.
fn time_wait_syn_answered_rst(d: &Difference) -> bool {
    d.arriving_flags() == Flags::SYN
        && d.actual.state == State::TimeWait
        && matches!(d.expected.state, State::TimeWait | State::Closed)
        && d.actual.emitted.len() == 1
        && d.actual.emitted[0].flags.contains(Flags::RST)
}

/// RFC 5961 against a trace that follows RFC 793.
fn challenge_ack(d: &Difference) -> bool {
    let flags = d.arriving_flags();
    d.arrival().is_some()
        && d.profile == Profile::Rfc793
        && (d.actual.state.is_synchronized() || d.actual.state == State::SynReceived)
        && pure_ack(&d.actual.emitted)
        && (flags.contains(Flags::SYN) || flags.contains(Flags::RST))
        && d.expected.emitted.iter().all(|e| e.flags != Flags::ACK)
}

/// RFC 1337 F1 keeps TIME-WAIT on an RST; the rfc793 profile ends it.
fn time_wait_ignores_rst(d: &Difference) -> bool {
    d.arriving_flags().contains(Flags::RST)
        && d.profile == Profile::Rfc793
        && d.expected.state == State::Closed
        && d.actual.state == State::TimeWait
        && d.actual.emitted.is_empty()
}

/// A held segment processed once the gap before it is filled: lwIP has
/// delivered more, or seen the FIN, where the model dropped it earlier.
fn out_of_order_held(d: &Difference) -> bool {
    let Some(arrival) = d.arrival() else {
        return false;
    };
    let ahead = d.before.iter().any(|s| match &s.input {
        Input::Deliver { segment } | Input::Duplicate { segment } => {
            segment.to() == d.host
                && (segment.len > 0 || segment.flags.contains(Flags::FIN))
                && arrival
                    .seq
                    .zip(segment.seq)
                    .is_some_and(|(now, then)| then > now)
        }
        _ => false,
    });
    ahead
        && (d.actual.delivered > d.expected.delivered || (d.actual.eof && !d.expected.eof))
        && (d.actual.events.contains(&Event::PeerClosed) || d.actual.events == d.expected.events)
}

/// Everything as the model has it but a retry count the SYN left behind.
fn syn_retries_outlive_the_handshake(d: &Difference) -> bool {
    let (Some(e), Some(a)) = (&d.expected.tcb, &d.actual.tcb) else {
        return false;
    };
    let timed_out_before = d
        .before
        .iter()
        .any(|s| s.input == Input::Timeout { host: d.host });
    d.arriving_flags() == Flags::SYN | Flags::ACK
        && d.same_but(|_| {})
        && timed_out_before
        && e.retries == Some(0)
        && a.retries.is_some_and(|r| r > 0)
        && (e.snd_una, e.snd_nxt, e.rcv_nxt) == (a.snd_una, a.snd_nxt, a.rcv_nxt)
}

/// An ABORT whose RST carries ACK towards a peer in SYN-SENT.
fn rst_carries_ack_to_syn_sent(d: &Difference) -> bool {
    d.abort_rst_gains_ack()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deviation_has_a_unique_name_a_recogniser_and_an_rfc_citation() {
        for (i, d) in LWIP_DEVIATIONS.iter().enumerate() {
            assert!(
                LWIP_DEVIATIONS[..i].iter().all(|e| e.name != d.name),
                "{}",
                d.name
            );
            assert!(d.recognise.is_some(), "{}", d.name);
            assert!(d.what.contains("RFC"), "{}", d.name);
        }
    }
}
