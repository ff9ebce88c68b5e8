//! The kernel's named expectations: each way Linux differs from the model,
//! judged against the RFC text, with how a replay recognises it; and the
//! `linux` comparison policy that carries them.

use crate::replay::{pure_ack, Absorption, Deviation, Difference, Policy, Ruling};
use crate::trace::{Call, Flags, State};

/// How the kernel is compared: what RFC 9293 leaves open and cannot change
/// a later step is absorbed (the TIME-WAIT timer's length, an ABORT RST
/// carrying ACK), and every other difference is one of
/// [`KERNEL_DEVIATIONS`] or a divergence.
pub const LINUX: Policy = Policy {
    name: "linux",
    absorbs: &[Absorption::TimeWaitLength, Absorption::RstCarriesAck],
    expectations: KERNEL_DEVIATIONS,
};

/// [`LINUX`] without the absorptions: every field compared exactly, the
/// named deviations still named.
pub const STRICT_LINUX: Policy = Policy {
    name: "strict",
    absorbs: &[],
    expectations: KERNEL_DEVIATIONS,
};

/// The named deviations of the kernel, in the order a difference is tried
/// against them, each judged against the RFC text.
pub const KERNEL_DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "rst-carries-ack-to-syn-sent",
        what: "Linux's RST for an ABORT carries ACK (RFC 9293 §3.10.5 writes \
               <SEQ=SND.NXT><CTL=RST>); to a peer in SYN-SENT the ACK field decides \
               whether the RST counts (§3.10.7.3), so the `linux` policy does not absorb \
               it there",
        ruling: Ruling::Deviates("§3.10.5"),
        recognise: Some(rst_carries_ack_to_syn_sent),
    },
    Deviation {
        name: "time-wait-rst",
        what: "an RST in TIME-WAIT ends it (tcp_rfc1337=0, Linux's default), as RFC 9293 \
               §3.10.7.4 (TIME-WAIT: \"If the RST bit is set, then enter the CLOSED \
               state\") says; the rfc9293 profile follows RFC 1337 F1 and ignores it",
        ruling: Ruling::RfcAllows,
        recognise: Some(time_wait_rst),
    },
    Deviation {
        name: "rst-at-rcv-nxt-minus-1",
        what: "in CLOSE-WAIT, LAST-ACK and CLOSING an RST with SEG.SEQ = RCV.NXT-1 (the \
               peer's FIN's number) resets the connection (tcp_reset_check, for peers that \
               send RST after FIN); RFC 9293 §3.10.7.4 drops an RST outside the window \
               (RCV.NXT-1 is left of it) with or without RFC 5961 §3.2, as the model does; \
               no numbered requirement covers it",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(rst_at_rcv_nxt_minus_1),
    },
    Deviation {
        name: "simultaneous-open-acks-synack",
        what: "in SYN-RECEIVED of a simultaneous open, a SYN,ACK repeating the peer's SYN \
               completes the handshake (as RFC 9293 Figure 7 and the model do) and is also \
               acknowledged, as §3.10.7.4's sequence check would (the repeated SYN is old)",
        ruling: Ruling::RfcAllows,
        recognise: Some(simultaneous_open_acks_synack),
    },
    Deviation {
        name: "challenge-ack",
        what: "an RFC 5961 challenge ACK where the rfc793 profile resets or drops; RFC \
               9293 §3.10.7.4 leaves RFC 5961's RST and SYN checks (its §3, §4) to the \
               implementation, unnumbered, and makes its ACK check (§5) MAY-12",
        ruling: Ruling::RfcAllows,
        recognise: Some(challenge_ack),
    },
    Deviation {
        name: "syn-received-resends-synack",
        what: "in SYN-RECEIVED, a retransmitted SYN is answered with the SYN,ACK again; \
               RFC 9293 §3.10.7.4 (first, check sequence number) sends \
               <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> for the unacceptable segment (no \
               numbered requirement)",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(syn_received_resends_synack),
    },
    Deviation {
        name: "close-in-syn-received-waits",
        what: "CLOSE (shutdown(SHUT_WR)) in SYN-RECEIVED of a simultaneous open sends no \
               FIN and stays in SYN-RECEIVED; RFC 9293 §3.10.4 sends the FIN and enters \
               FIN-WAIT-1 when nothing is queued (no numbered requirement)",
        ruling: Ruling::Deviates("§3.10.4"),
        recognise: Some(close_in_syn_received_waits),
    },
    Deviation {
        name: "loss-window-holds-fin",
        what: "after a retransmission timeout, with the data still unacknowledged, CLOSE \
               queues the FIN: the congestion window is one segment (RFC 5681 §3.1 loss \
               window), which RFC 9293 §3.8.2 requires (slow start and congestion \
               avoidance, MUST-19); the model has no congestion control and sends the FIN \
               at once",
        ruling: Ruling::FollowsMust(19),
        recognise: Some(loss_window_holds_fin),
    },
    Deviation {
        name: "refused-reported-as-reset",
        what: "an RST in SYN-RECEIVED of an active open is reported as ECONNRESET; RFC \
               9293 §3.10.7.4 signals \"connection refused\" (the application is told, \
               as MUST-12 asks, only with the wrong reason)",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(refused_reported_as_reset),
    },
    Deviation {
        name: "syn-sent-bad-ack-rearms",
        what: "in SYN-SENT, an unacceptable ACK is answered with RST (as RFC 9293 says) and \
               the SYN retransmission timer is re-armed to a few milliseconds (\"previous \
               FIN/ACK or RST/ACK might be ignored\"); RFC 6298 §5 (which RFC 9293 §3.8.1 \
               makes the RTO's rule, MUST-18) retransmits on the RTO only. Neither RFC \
               forbids an early retransmission in so many words: our reading",
        ruling: Ruling::Deviates("RFC 6298 §5"),
        recognise: Some(syn_sent_bad_ack_rearms),
    },
    Deviation {
        name: "retransmit-collapses-data-fin",
        what: "on a retransmission timeout with data and FIN outstanding, Linux resends \
               both in one segment (tcp_retrans_collapse); the model resends the data only. \
               RFC 9293 numbers octets, not segments, and a FIN may ride on the last data \
               segment (§3.10.4), so both are correct",
        ruling: Ruling::RfcAllows,
        recognise: Some(retransmit_collapses_data_fin),
    },
    Deviation {
        name: "syn-linear-timeouts",
        what: "with Linux's default tcp_syn_linear_timeouts=4 the first SYN \
               retransmissions come at a flat 1 s, not doubling as RFC 6298 (5.5) says \
               and RFC 9293 §3.8.2 requires (exponential backoff of the RTO, MUST-19), \
               and the retry budget grows by 4 (found by the SYN schedule check; replays \
               run with the sysctl at 0)",
        ruling: Ruling::BreaksMust(19),
        recognise: None,
    },
];

/// An ABORT whose RST carries ACK towards a peer in SYN-SENT: the `linux`
/// policy absorbed it everywhere else before classification.
fn rst_carries_ack_to_syn_sent(d: &Difference) -> bool {
    d.abort_rst_gains_ack()
}

/// RFC 1337 F1 (rfc9293 profile) ignores an RST in TIME-WAIT; Linux ends it.
fn time_wait_rst(d: &Difference) -> bool {
    d.arriving_flags().contains(Flags::RST)
        && d.expected.state == State::TimeWait
        && d.actual.state == State::Closed
        && d.actual.emitted.is_empty()
}

/// RFC 5961 §3.2: an RST outside the window is dropped; Linux takes one at
/// RCV.NXT−1 after the peer's FIN.
fn rst_at_rcv_nxt_minus_1(d: &Difference) -> bool {
    d.arriving_flags().contains(Flags::RST)
        && matches!(
            d.expected.state,
            State::CloseWait | State::LastAck | State::Closing
        )
        && d.expected.emitted.is_empty()
        && d.actual.state == State::Closed
        && d.actual.events == [crate::trace::Event::Reset]
}

/// Figure 7 completes the handshake on the SYN,ACK; Linux also ACKs it.
fn simultaneous_open_acks_synack(d: &Difference) -> bool {
    d.arriving_flags() == Flags::SYN | Flags::ACK
        && d.only_emitted_differs()
        && d.expected.state == State::Established
        && d.expected.emitted.is_empty()
        && pure_ack(&d.actual.emitted)
}

/// RFC 5961 §3.2, §4.2 in every state but SYN-SENT (the kernel is still
/// in one; the rfc793 model left it), against a trace that follows RFC 793.
fn challenge_ack(d: &Difference) -> bool {
    let flags = d.arriving_flags();
    d.arrival().is_some()
        && d.profile == crate::trace::Profile::Rfc793
        && (d.actual.state.is_synchronized() || d.actual.state == State::SynReceived)
        && pure_ack(&d.actual.emitted)
        && (flags.contains(Flags::SYN) || flags.contains(Flags::RST))
        && d.expected.emitted.iter().all(|e| e.flags != Flags::ACK)
}

/// §3.10.7.4 ACKs a retransmitted SYN in SYN-RECEIVED; Linux resends its
/// SYN,ACK.
fn syn_received_resends_synack(d: &Difference) -> bool {
    d.arriving_flags() == Flags::SYN
        && d.only_emitted_differs()
        && d.expected.state == State::SynReceived
        && pure_ack(&d.expected.emitted)
        && d.actual.emitted.len() == 1
        && d.actual.emitted[0].flags == Flags::SYN | Flags::ACK
}

/// §3.10.4: CLOSE in SYN-RECEIVED sends the FIN; Linux waits.
fn close_in_syn_received_waits(d: &Difference) -> bool {
    d.is_call(Call::Close)
        && d.expected.state == State::FinWait1
        && d.actual.state == State::SynReceived
        && d.actual.emitted.is_empty()
}

/// CLOSE after a retransmission timeout: the loss window holds the FIN.
fn loss_window_holds_fin(d: &Difference) -> bool {
    let timed_out_before = d
        .before
        .iter()
        .any(|s| s.input == crate::trace::Input::Timeout { host: d.host });
    d.is_call(Call::Close)
        && timed_out_before
        && d.only_emitted_differs()
        && d.actual.emitted.is_empty()
        && d.expected
            .emitted
            .iter()
            .any(|e| e.flags.contains(Flags::FIN))
}

/// "connection refused" (§3.10.7.4) reported as a reset.
fn refused_reported_as_reset(d: &Difference) -> bool {
    use crate::trace::Event;
    d.expected.events == [Event::Refused] && d.same_but(|e| e.events = vec![Event::Reset])
}

/// The SYN timer re-armed short after an RST for a bad ACK in SYN-SENT.
fn syn_sent_bad_ack_rearms(d: &Difference) -> bool {
    d.arriving_flags().contains(Flags::ACK)
        && d.expected.state == State::SynSent
        && d.same_but(|_| {})
        && d.actual.timer < d.expected.timer
}

/// Data and FIN resent as one segment on a retransmission timeout.
fn retransmit_collapses_data_fin(d: &Difference) -> bool {
    let (e, a) = (&d.expected.emitted, &d.actual.emitted);
    d.is_timeout()
        && e.len() == 1
        && a.len() == 1
        && e[0].len == 1
        && a[0].len == 1
        && e[0].seq == a[0].seq
        && e[0].flags == Flags::ACK
        && a[0].flags == Flags::ACK | Flags::FIN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::compare;
    use crate::trace::{HostId, Input, Observation, Profile, Segment, Step};

    fn obs(state: State, timer: Option<u8>, emitted: Vec<Segment>) -> Observation {
        Observation {
            state,
            iss: Some(0),
            timer,
            emitted,
            ..Observation::closed()
        }
    }

    fn seg(from: HostId, flags: Flags, seq: i64, ack: i64) -> Segment {
        Segment {
            from,
            flags,
            seq: Some(seq),
            ack,
            len: 0,
        }
    }

    fn step(input: Input, a: &Observation) -> Step {
        Step {
            tick: 0,
            input,
            key: None,
            a: a.clone(),
            b: obs(State::Established, None, vec![]),
        }
    }

    /// The kernel as A: its difference at `s`, classified by the policy.
    fn classify(profile: Profile, s: &Step, act: &Observation) -> Option<&'static str> {
        LINUX.classify(&Difference {
            profile,
            host: HostId::A,
            before: &[],
            step: s,
            expected: &s.a,
            actual: act,
        })
    }

    fn diffs(
        exp: &Observation,
        act: &Observation,
        peer: State,
        p: &Policy,
    ) -> (usize, Vec<Absorption>) {
        let (mut out, mut absorbed) = (Vec::new(), Vec::new());
        compare(HostId::A, exp, act, peer, p, false, &mut out, &mut absorbed);
        (out.len(), absorbed)
    }

    #[test]
    fn a_retransmission_timer_passes_when_not_due_sooner() {
        let exp = obs(State::Established, Some(1), vec![]);
        let later = obs(State::Established, Some(2), vec![]);
        assert_eq!(diffs(&exp, &later, State::Established, &LINUX), (0, vec![]));
        let sooner = obs(State::Established, Some(0), vec![]);
        assert_eq!(diffs(&exp, &sooner, State::Established, &LINUX).0, 1);
    }

    #[test]
    fn the_linux_policy_absorbs_time_wait_length_and_rst_with_ack() {
        let exp = obs(State::TimeWait, Some(4), vec![]);
        let act = obs(State::TimeWait, Some(60), vec![]);
        assert_eq!(
            diffs(&exp, &act, State::FinWait2, &LINUX),
            (0, vec![Absorption::TimeWaitLength])
        );
        assert_eq!(diffs(&exp, &act, State::FinWait2, &STRICT_LINUX).0, 1);
        let rst = seg(HostId::A, Flags::RST, 2, 0);
        let rst_ack = seg(HostId::A, Flags::ACK | Flags::RST, 2, 1);
        let exp = obs(State::Closed, None, vec![rst]);
        let act = obs(State::Closed, None, vec![rst_ack.clone()]);
        assert_eq!(
            diffs(&exp, &act, State::Established, &LINUX),
            (0, vec![Absorption::RstCarriesAck])
        );
        // To a peer in SYN-SENT the ACK makes the RST acceptable: not
        // absorbed, but a named deviation.
        assert_eq!(diffs(&exp, &act, State::SynSent, &LINUX).0, 1);
        let s = step(Input::Abort { host: HostId::A }, &exp);
        assert_eq!(
            classify(Profile::Rfc793, &s, &act),
            Some("rst-carries-ack-to-syn-sent")
        );
        // A different sequence number is never absorbed.
        let other = obs(
            State::Closed,
            None,
            vec![seg(HostId::A, Flags::ACK | Flags::RST, 3, 1)],
        );
        assert_eq!(diffs(&exp, &other, State::Established, &LINUX).0, 1);
    }

    #[test]
    fn differences_are_classified_by_input_and_outcome() {
        // A retransmitted SYN in SYN-RECEIVED: the model ACKs, Linux resends
        // its SYN,ACK.
        let exp = obs(
            State::SynReceived,
            Some(1),
            vec![seg(HostId::A, Flags::ACK, 1, 1)],
        );
        let act = obs(
            State::SynReceived,
            Some(1),
            vec![seg(HostId::A, Flags::SYN | Flags::ACK, 0, 1)],
        );
        let syn = seg(HostId::B, Flags::SYN, 0, 0);
        let s = step(
            Input::Deliver {
                segment: syn.clone(),
            },
            &exp,
        );
        assert_eq!(
            classify(Profile::Rfc9293, &s, &act),
            Some("syn-received-resends-synack")
        );
        // The same answer to a SYN,ACK is no known class.
        let synack = seg(HostId::B, Flags::SYN | Flags::ACK, 0, 1);
        let s = step(Input::Deliver { segment: synack }, &exp);
        assert_eq!(classify(Profile::Rfc9293, &s, &act), None);
        // A challenge ACK counts as one only against the rfc793 profile.
        let exp = obs(
            State::Closed,
            None,
            vec![seg(HostId::A, Flags::ACK | Flags::RST, 0, 4)],
        );
        let act = obs(
            State::Established,
            None,
            vec![seg(HostId::A, Flags::ACK, 1, 1)],
        );
        let s = step(Input::Deliver { segment: syn }, &exp);
        assert_eq!(classify(Profile::Rfc793, &s, &act), Some("challenge-ack"));
        assert_eq!(classify(Profile::Rfc9293, &s, &act), None);
    }

    #[test]
    fn every_deviation_has_a_unique_name_and_all_but_one_a_recogniser() {
        for (i, d) in KERNEL_DEVIATIONS.iter().enumerate() {
            assert!(
                KERNEL_DEVIATIONS[..i].iter().all(|e| e.name != d.name),
                "{}",
                d.name
            );
        }
        let found_elsewhere: Vec<_> = KERNEL_DEVIATIONS
            .iter()
            .filter(|d| d.recognise.is_none())
            .map(|d| d.name)
            .collect();
        assert_eq!(found_elsewhere, ["syn-linear-timeouts"]);
    }
}
