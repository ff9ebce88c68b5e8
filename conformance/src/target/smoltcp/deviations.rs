//! smoltcp's named deviations: each way smoltcp 0.14 differs from the
//! model, judged against the RFC text, with how a replay recognises it;
//! and the `smoltcp` comparison policy that carries them.
//!
//! Each recogniser looks only at the step where the replay stopped: the
//! input, the model's observation of the host before and after it, and
//! smoltcp's. It names a difference only when smoltcp's answer is the one
//! its source code gives for that input (the function of
//! `socket/tcp.rs` is named in each `what`), so an adapter bug does not
//! hide behind a name.

use crate::replay::{pure_ack, Absorption, Deviation, Difference, Policy, Ruling};
use crate::trace::{Call, Event, Flags, Observation, Profile, Segment, State};

/// How smoltcp is compared: what RFC 9293 leaves open and cannot change a
/// later step is absorbed (the TIME-WAIT timer's length, smoltcp's fixed
/// 10 s against the model's 2·MSL; an ABORT RST carrying ACK), and every
/// other difference is one of [`SMOLTCP_DEVIATIONS`] or a divergence.
pub const SMOLTCP: Policy = Policy {
    name: "smoltcp",
    absorbs: &[Absorption::TimeWaitLength, Absorption::RstCarriesAck],
    expectations: SMOLTCP_DEVIATIONS,
};

/// The named deviations of smoltcp 0.14, in the order a difference is
/// tried against them, each judged against the RFC text.
pub const SMOLTCP_DEVIATIONS: &[Deviation] = &[
    Deviation {
        name: "close-in-syn-sent-sends-rst",
        what: "CLOSE in SYN-SENT sends <RST,ACK> with SEQ = ISS+1 and an ACK field of 0, there being no IRS yet (Socket::close moves to CLOSED with the \
               4-tuple still set, and dispatch answers CLOSED with RST); RFC 9293 §3.10.4 \
               says to delete the TCB and send nothing, since the peer has no synchronized \
               state to reset. Clearing the tuple in close() for SYN-SENT, as abort() would \
               need too, sends nothing",
        ruling: Ruling::Deviates("§3.10.4"),
        recognise: Some(close_in_syn_sent_sends_rst),
    },
    Deviation {
        name: "close-in-syn-received-holds-fin",
        what: "CLOSE in SYN-RECEIVED enters FIN-WAIT-1 but sends no FIN until the SYN is \
               acknowledged (seq_to_transmit: the FIN must follow SND.NXT, which is past \
               the unacknowledged SYN); RFC 9293 §3.10.4 sends the FIN at once when nothing \
               is queued. Worse, the ACK of the SYN is then taken for the ACK of the FIN \
               (process: `sent_syn` is false in FIN-WAIT-1, so ack_len counts the SYN as the \
               FIN), so the socket moves to FIN-WAIT-2 with its FIN never sent",
        ruling: Ruling::Deviates("§3.10.4"),
        recognise: Some(close_in_syn_received_holds_fin),
    },
    Deviation {
        name: "segment-without-ack-dropped",
        what: "past LISTEN and SYN-SENT, a segment without ACK (a SYN) is dropped before the \
               sequence and SYN checks (process: \"expecting an ACK\"); RFC 9293 §3.10.7.4 \
               first checks the sequence number and acknowledges an unacceptable segment, \
               and checks the SYN bit (fourth: a reset under RFC 793, a challenge ACK under \
               RFC 5961 §4) before it drops a segment for lacking ACK (fifth)",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(segment_without_ack_dropped),
    },
    Deviation {
        name: "ack-checked-before-sequence",
        what: "SEG.ACK is validated before SEG.SEQ: a segment whose ACK is older than \
               SND.UNA is dropped whole (process: \"duplicate ACK\"), so its FIN or data is \
               lost and an old duplicate gets no ACK; in SYN-RECEIVED any ACK other than \
               ISS+1 draws an RST even when the segment is an old duplicate outside the \
               window. RFC 9293 §3.10.7.4 checks the sequence number first (an unacceptable \
               segment is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>) and then only \
               ignores a duplicate ACK, processing the rest of the segment",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(ack_checked_before_sequence),
    },
    Deviation {
        name: "out-of-order-fin-not-acked",
        what: "a FIN that arrives ahead of missing data is ignored with no ACK (process: \
               \"ignoring FIN because we don't have full data yet\", and a segment with no \
               payload never reaches the reassembly path that acknowledges out-of-order \
               data); RFC 9293 §3.10.7.4 says a segment beyond RCV.NXT SHOULD be held for \
               later processing (SHLD-31), and while its acknowledging such a segment at \
               once is only MAY-13, RFC 5681 §4.2 says a receiver SHOULD send an immediate \
               duplicate ACK for an out-of-order segment",
        ruling: Ruling::BreaksShould(31),
        recognise: Some(out_of_order_fin_not_acked),
    },
    Deviation {
        name: "no-retry-limit",
        what: "smoltcp retransmits a SYN, SYN,ACK, data or FIN forever (the RTO doubles up to \
               60 s); RFC 9293 §3.8.3 requires closing the connection when retransmissions \
               of a segment reach the R2 threshold (MUST-20; R2 at least 100 s for data, \
               SHLD-11, and at least 3 minutes for a SYN, MUST-23; settable, MUST-21) and the model gives up after `retries`. \
               smoltcp's only bound is the optional user timeout (Socket::set_timeout, off \
               here), which counts from the last segment received, not retransmissions",
        ruling: Ruling::BreaksMust(20),
        recognise: Some(no_retry_limit),
    },
    Deviation {
        name: "retransmit-collapses-data-fin",
        what: "on a retransmission timeout with data and FIN outstanding, smoltcp resends \
               both in one segment (dispatch sends from SND.UNA and sets FIN when the \
               segment reaches the end of the queue); the model resends the data only. \
               RFC 9293 numbers octets, not segments, and a FIN may ride on the last data \
               segment (§3.10.4), so both are correct",
        ruling: Ruling::RfcAllows,
        recognise: Some(retransmit_collapses_data_fin),
    },
    Deviation {
        name: "simultaneous-open-synack-acked",
        what: "in SYN-RECEIVED of a simultaneous open, the peer's SYN,ACK (SEG.SEQ = \
               RCV.NXT-1) fails the sequence check and is answered with an ACK; the \
               connection stays in SYN-RECEIVED until the peer's next ACK. RFC 9293 \
               Figure 7 and the model complete the handshake on it, while §3.10.7.4's \
               sequence check, which smoltcp follows, rejects it: the RFC allows both",
        ruling: Ruling::RfcAllows,
        recognise: Some(simultaneous_open_synack_acked),
    },
    Deviation {
        name: "no-rfc5961-rst-check",
        what: "an RST anywhere in the receive window resets the connection (or returns a \
               passive SYN-RECEIVED to LISTEN); the rfc9293 profile follows RFC 5961 §3.2 \
               (reset only at SEG.SEQ = RCV.NXT, a challenge ACK otherwise), which RFC 9293 \
               §3.10.7.4 leaves optional",
        ruling: Ruling::RfcAllows,
        recognise: Some(no_rfc5961_rst_check),
    },
    Deviation {
        name: "time-wait-rst",
        what: "an RST in TIME-WAIT ends it, as RFC 9293 §3.10.7.4 (TIME-WAIT: \"If the RST \
               bit is set, then enter the CLOSED state\") says; the rfc9293 profile follows \
               RFC 1337 F1 and ignores it, to keep old duplicates of this connection from a \
               new one. The RFC allows both; a TIME-WAIT assassination guard would be \
               smoltcp's choice to make",
        ruling: Ruling::RfcAllows,
        recognise: Some(time_wait_rst),
    },
    Deviation {
        name: "acks-of-unacceptable-segments-rate-limited",
        what: "one timer (challenge_ack_reply, one a second per socket, not configurable) \
               throttles every ACK smoltcp sends for an unacceptable segment without payload, \
               not only RFC 5961 challenge ACKs: a second old duplicate or retransmitted FIN \
               within a second gets no ACK. RFC 5961 §7 allows throttling challenge ACKs; \
               RFC 9293 §3.10.7.4 acknowledges every unacceptable segment (and in TIME-WAIT \
               every retransmitted FIN) in processing text with no numbered requirement (its \
               \"an acknowledgment should be sent\" is lower-case), and the model has no limit (challenge_ack_limit \
               null). A separate timer for RFC 5961 ACKs, or a configurable limit, would let \
               the others through",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(acks_of_unacceptable_segments_rate_limited),
    },
    Deviation {
        name: "last-ack-acks-duplicate-ack",
        what: "in LAST-ACK an ACK that does not cover the FIN (a duplicate) is answered with \
               an ACK (process: \"Duplicate ACK; our FIN has not been acknowledged\", a \
               challenge ACK); RFC 9293 §3.10.7.4 says only the ACK of the FIN matters in \
               LAST-ACK and a duplicate ACK can be ignored, and RFC 5961 §5.2's challenge \
               ACK is for an ACK outside SND.UNA-MAX.SND.WND..SND.NXT, which a duplicate \
               is not. Neither forbids the extra ACK in so many words: our reading of \
               \"the only thing that can arrive in this state is an acknowledgment of our \
               FIN\"",
        ruling: Ruling::Deviates("§3.10.7.4"),
        recognise: Some(last_ack_acks_duplicate_ack),
    },
    Deviation {
        name: "syn-sent-ignores-bad-ack-with-fin",
        what: "in SYN-SENT a segment with an unacceptable ACK is answered with RST only when \
               it is a bare ACK or a SYN,ACK; with FIN it is dropped (process: \"expecting a \
               SYN|ACK\"). RFC 9293 §3.10.7.3 checks the ACK first: SEG.ACK =< ISS or \
               SEG.ACK > SND.NXT draws <SEQ=SEG.ACK><CTL=RST> whatever else is set",
        ruling: Ruling::Deviates("§3.10.7.3"),
        recognise: Some(syn_sent_ignores_bad_ack_with_fin),
    },
];

/// The model's observation of the host before the step.
fn before<'a>(d: &Difference<'a>) -> Option<&'a Observation> {
    d.before.last().map(|s| s.host(d.host))
}

/// The host's state before the step (CLOSED at the first).
fn state_before(d: &Difference) -> State {
    before(d).map_or(State::Closed, |o| o.state)
}

/// One RST, with or without ACK.
fn one_rst(v: &[Segment]) -> bool {
    v.len() == 1 && v[0].flags.contains(Flags::RST)
}

/// smoltcp left the connection as it was and sent nothing, or only `ok`.
fn dropped(d: &Difference, ok: fn(&[Segment]) -> bool) -> bool {
    d.actual.state == state_before(d) && (d.actual.emitted.is_empty() || ok(&d.actual.emitted))
}

fn close_in_syn_sent_sends_rst(d: &Difference) -> bool {
    d.is_call(Call::Close)
        && state_before(d) == State::SynSent
        && d.expected.emitted.is_empty()
        && one_rst(&d.actual.emitted)
        && d.same_but(|e| e.emitted = d.actual.emitted.clone())
}

fn close_in_syn_received_holds_fin(d: &Difference) -> bool {
    d.is_call(Call::Close)
        && state_before(d) == State::SynReceived
        && d.actual.state == State::FinWait1
        && d.actual.emitted.is_empty()
        && d.expected
            .emitted
            .iter()
            .any(|s| s.flags.contains(Flags::FIN))
}

fn segment_without_ack_dropped(d: &Difference) -> bool {
    let flags = d.arriving_flags();
    d.arrival().is_some()
        && !flags.contains(Flags::ACK)
        && !flags.contains(Flags::RST)
        && !matches!(
            state_before(d),
            State::Listen | State::SynSent | State::Closed
        )
        && !d.expected.emitted.is_empty()
        && dropped(d, |_| false)
}

/// The lowest SEG.ACK smoltcp takes from the host's model state before
/// the step, relative to the host's ISN base: SND.UNA, or ISS+1 in
/// SYN-RECEIVED (where it wants exactly that).
fn lowest_ack(prev: &Observation) -> Option<i64> {
    let tcb = prev.tcb.as_ref()?;
    let una = prev.iss? + tcb.snd_una.or(tcb.snd_nxt)?;
    Some(una + i64::from(prev.state == State::SynReceived))
}

fn ack_checked_before_sequence(d: &Difference) -> bool {
    let (Some(seg), Some(prev)) = (d.arrival(), before(d)) else {
        return false;
    };
    // SYN-SENT has no sequence check to come first (§3.10.7.3).
    prev.state != State::SynSent
        && seg.flags.contains(Flags::ACK)
        && !seg.flags.contains(Flags::RST)
        && lowest_ack(prev).is_some_and(|low| seg.ack < low)
        && d.expected.emitted != d.actual.emitted
        && dropped(d, one_rst)
}

fn out_of_order_fin_not_acked(d: &Difference) -> bool {
    let Some(seg) = d.arrival() else { return false };
    seg.flags.contains(Flags::FIN)
        && pure_ack(&d.expected.emitted)
        && seg.seq.is_some_and(|s| d.expected.emitted[0].ack < s)
        && d.actual.emitted.is_empty()
        && d.same_but(|e| e.emitted.clear())
}

fn no_retry_limit(d: &Difference) -> bool {
    let gave_up = d.expected.events.contains(&Event::TimedOut)
        || (state_before(d) == State::SynReceived && d.expected.state == State::Listen);
    d.is_timeout()
        && gave_up
        && d.expected.emitted.is_empty()
        && d.actual.state == state_before(d)
        && !d.actual.emitted.is_empty()
}

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
        && d.only_emitted_differs()
}

fn simultaneous_open_synack_acked(d: &Difference) -> bool {
    d.arriving_flags() == Flags::SYN | Flags::ACK
        && state_before(d) == State::SynReceived
        && d.expected.state == State::Established
        && d.actual.state == State::SynReceived
        && pure_ack(&d.actual.emitted)
}

fn no_rfc5961_rst_check(d: &Difference) -> bool {
    let reset = match state_before(d) {
        State::SynReceived => {
            matches!(d.actual.state, State::Listen | State::Closed)
        }
        _ => d.actual.state == State::Closed,
    };
    d.profile == Profile::Rfc9293
        && d.arriving_flags().contains(Flags::RST)
        && d.expected.state == state_before(d)
        && pure_ack(&d.expected.emitted)
        && reset
        && d.actual.emitted.is_empty()
}

fn time_wait_rst(d: &Difference) -> bool {
    d.arriving_flags().contains(Flags::RST)
        && state_before(d) == State::TimeWait
        && d.expected.state == State::TimeWait
        && d.actual.state == State::Closed
        && d.actual.emitted.is_empty()
}

/// The model answers a segment without payload with an ACK it already sent
/// in answer to an arrival earlier in the same tick (so within smoltcp's
/// one second), and smoltcp stays silent.
fn acks_of_unacceptable_segments_rate_limited(d: &Difference) -> bool {
    let Some(seg) = d.arrival() else { return false };
    let acked_this_tick = d
        .before
        .iter()
        .rev()
        .take_while(|s| s.tick == d.step.tick)
        .any(|s| {
            s.input.arrival().is_some_and(|a| a.to() == d.host)
                && pure_ack(&s.host(d.host).emitted)
                && s.host(d.host).emitted == d.expected.emitted
        });
    seg.len == 0
        && acked_this_tick
        && pure_ack(&d.expected.emitted)
        && d.actual.emitted.is_empty()
        && d.same_but(|e| e.emitted.clear())
}

fn last_ack_acks_duplicate_ack(d: &Difference) -> bool {
    d.arriving_flags() == Flags::ACK
        && state_before(d) == State::LastAck
        && d.expected.emitted.is_empty()
        && pure_ack(&d.actual.emitted)
        && d.only_emitted_differs()
}

fn syn_sent_ignores_bad_ack_with_fin(d: &Difference) -> bool {
    let flags = d.arriving_flags();
    state_before(d) == State::SynSent
        && flags.contains(Flags::ACK)
        && flags.contains(Flags::FIN)
        && !flags.contains(Flags::SYN)
        && one_rst(&d.expected.emitted)
        && d.actual.emitted.is_empty()
        && d.only_emitted_differs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{HostId, Input, Step, TcbVars};

    fn obs(state: State, emitted: Vec<Segment>) -> Observation {
        Observation {
            state,
            iss: Some(0),
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

    fn step(input: Input, a: Observation) -> Step {
        Step {
            tick: 0,
            input,
            key: None,
            a,
            b: obs(State::Established, vec![]),
        }
    }

    fn classify(before: &[Step], s: &Step, act: &Observation) -> Option<&'static str> {
        SMOLTCP.classify(&Difference {
            profile: Profile::Rfc793,
            host: HostId::A,
            before,
            step: s,
            expected: &s.a,
            actual: act,
        })
    }

    #[test]
    fn an_old_ack_that_loses_a_fin_is_named_and_a_current_one_is_not() {
        // A in FIN-WAIT-2 with SND.UNA = 2 (ISS 0).
        let mut fw2 = obs(State::FinWait2, vec![]);
        fw2.tcb = Some(TcbVars {
            snd_una: Some(2),
            snd_nxt: Some(2),
            rcv_nxt: Some(1),
            retries: Some(0),
        });
        let before = [step(Input::Tick, fw2.clone())];
        let ack = seg(HostId::A, Flags::ACK, 2, 2);
        let mut tw = obs(State::TimeWait, vec![ack]);
        tw.eof = true;
        tw.events = vec![Event::PeerClosed];
        // The FIN carries ACK 1, older than SND.UNA: smoltcp drops it.
        let fin = seg(HostId::B, Flags::ACK | Flags::FIN, 1, 1);
        let s = step(Input::Deliver { segment: fin }, tw.clone());
        assert_eq!(
            classify(&before, &s, &fw2),
            Some("ack-checked-before-sequence")
        );
        // With a current ACK the same outcome is no known deviation.
        let fin = seg(HostId::B, Flags::ACK | Flags::FIN, 1, 2);
        let s = step(Input::Deliver { segment: fin }, tw);
        assert_eq!(classify(&before, &s, &fw2), None);
    }

    #[test]
    fn a_close_in_syn_sent_is_named_only_when_it_sends_a_lone_rst() {
        let before = [step(Input::Tick, obs(State::SynSent, vec![]))];
        let exp = Observation::closed();
        let s = step(Input::Close { host: HostId::A }, exp.clone());
        let mut act = Observation::closed();
        act.emitted = vec![seg(HostId::A, Flags::ACK | Flags::RST, 1, 0)];
        assert_eq!(
            classify(&before, &s, &act),
            Some("close-in-syn-sent-sends-rst")
        );
        // Any other difference too (a wrong event) is not this deviation.
        act.events = vec![Event::Reset];
        assert_eq!(classify(&before, &s, &act), None);
    }

    #[test]
    fn every_deviation_has_a_unique_name_a_recogniser_and_an_rfc_citation() {
        for (i, d) in SMOLTCP_DEVIATIONS.iter().enumerate() {
            assert!(
                SMOLTCP_DEVIATIONS[..i].iter().all(|e| e.name != d.name),
                "{}",
                d.name
            );
            assert!(d.recognise.is_some(), "{}", d.name);
            assert!(d.what.contains("RFC"), "{}", d.name);
        }
    }
}
