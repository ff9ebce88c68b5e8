//! The ghosts that the monitors judge by, each checked where it must not be
//! lenient. The CI worlds cannot show a lenient ghost: their properties hold,
//! and a ghost that excuses more still lets them hold. So each case here is a
//! constructed state where the ghost must tell two things apart, and
//! `scripts/model-mutants.sh` runs this file besides `ci_worlds.rs`.
//! Failures say `killed by ghost:`, which the script counts apart. A
//! scenario's ghost can be lenient the same way: the SYN-SENT timings that
//! `syn-retransmit-backoff` reads must tell a doubled RTO from a constant one,
//! which the model (it always doubles) never shows them.
//!
//! `stream-integrity` judges a byte by the pairing of either half of the
//! connection: its sender took the receiver's SYN (`Seg::g_to`), or the
//! receiver took the sender's (`Host::peer_inc`). The two halves can pair
//! with different incarnations. B's first incarnation answers A's SYN, its
//! SYN,ACK is held back, and it gives up silently; B's second incarnation
//! takes A's retransmitted SYN and answers with a new ISS; A takes the late
//! SYN,ACK. A's receive half is then synchronized with B's first
//! incarnation, its send half with the second, and A's first byte reaches
//! B's second incarnation at RCV.NXT. `half_paired` is the state
//! `reincarnation --crashes 1` reaches at that point (the byte's delivery is
//! step 25 of a path the check once reported). The stream from A to B is
//! intact; a byte from an incarnation paired with neither half is old data.

use synfin_model::properties;
use synfin_model::segment::{Ctl, Seg};
use synfin_model::system::{A, B};
use synfin_model::tcb::{End, St};
use synfin_model::{Action, Config, Preset, Profile, Sys};

fn reincarnation() -> (Config, Sys) {
    let cfg = Config::new(Preset::Reincarnation, Profile::Rfc9293, None);
    let s = Sys::initial(&cfg);
    (cfg, s)
}

/// A SYN from A's incarnation `g_inc` with sequence number `seq`.
fn syn(seq: u8, g_inc: u8) -> Seg {
    Seg {
        from: A as u8,
        seq,
        ack: 0,
        ctl: Ctl::SYN,
        data: false,
        late: true,
        age: 1,
        g_inc,
        g_to: 0,
        g_idx: 0,
    }
}

/// B listens; A's second incarnation is opening with ISS 4.
fn listening_while_a_opens() -> (Config, Sys) {
    let (cfg, mut s) = reincarnation();
    let a = &mut s.hosts[A];
    (a.state, a.inc, a.iss, a.snd_una, a.snd_nxt) = (St::SynSent, 2, 4, 4, 5);
    a.timer = Some(1);
    let b = &mut s.hosts[B];
    (b.state, b.inc, b.passive) = (St::Listen, 1, true);
    (cfg, s)
}

fn deliver(cfg: &Config, mut s: Sys, seg: Seg) -> Sys {
    s.net.push(seg);
    s.step(cfg, Action::Deliver(seg));
    s
}

#[test]
fn an_old_syn_is_credited_to_the_incarnation_that_sent_it() {
    // A's first incarnation's SYN (ISS 0), still in flight: B must know it
    // for an old one, or an old SYN could open a connection unnoticed.
    let (cfg, s) = listening_while_a_opens();
    let t = deliver(&cfg, s, syn(0, 1));
    assert_eq!(t.hosts[B].state, St::SynReceived);
    assert_eq!(
        t.hosts[B].peer_inc, 1,
        "killed by ghost: an old SYN credited to A's current incarnation"
    );
}

#[test]
fn a_syn_identical_to_the_current_one_is_the_current_one() {
    // The same numbers as A's current SYN: on the wire they are one SYN.
    let (cfg, s) = listening_while_a_opens();
    let t = deliver(&cfg, s, syn(4, 1));
    assert_eq!(
        t.hosts[B].peer_inc, 2,
        "killed by ghost: a wire-identical SYN counted as old"
    );
}

/// A is ESTABLISHED with B's first incarnation, whose TCB is gone, ended as
/// `end`.
fn after_peer_ended(end: End) -> Sys {
    let (_, mut s) = reincarnation();
    let a = &mut s.hosts[A];
    (a.state, a.inc, a.peer_inc) = (St::Established, 1, 1);
    let b = &mut s.hosts[B];
    (b.state, b.inc, b.end) = (St::Closed, 1, end);
    s
}

#[test]
fn only_a_reset_peer_excuses_a_connection_that_was_not_closed_in_order() {
    assert!(
        after_peer_ended(End::Reset).excused(A, true),
        "killed by ghost: a reset peer no longer excuses"
    );
    for end in [End::Orderly, End::TimeWaitDone, End::None] {
        assert!(
            !after_peer_ended(end).excused(A, true),
            "killed by ghost: a peer that ended {end:?} excuses"
        );
    }
    assert!(
        !after_peer_ended(End::Reset).excused(A, false),
        "killed by ghost: a reset excuses where only rudeness may"
    );
}

/// A (incarnation 2) is ESTABLISHED with B's first incarnation's ISS as its
/// IRS; B's second incarnation took A's SYN and, closed before its SYN was
/// acknowledged, is in FIN-WAIT-1.
fn half_paired() -> (Config, Sys) {
    let (cfg, mut s) = reincarnation();
    let a = &mut s.hosts[A];
    (a.state, a.inc, a.peer_inc) = (St::Established, 2, 1);
    (a.iss, a.irs, a.snd_una, a.snd_nxt, a.rcv_nxt) = (4, 101, 5, 6, 102);
    a.sent = 1;
    a.met[2] = 1;
    let b = &mut s.hosts[B];
    (b.state, b.inc, b.peer_inc, b.passive) = (St::FinWait1, 2, 2, true);
    (b.iss, b.irs, b.snd_una, b.snd_nxt, b.rcv_nxt) = (105, 4, 105, 107, 5);
    b.met[2] = 2;
    (b.closed, b.timer) = (true, Some(1));
    (s.hosts[A].opens_left, s.hosts[B].opens_left) = (0, 0);
    (s.losses, s.dups, s.delays, s.aborts, s.crashes) = (0, 0, 0, 0, 0);
    (cfg, s)
}

/// A's first byte, written by A's incarnation `g_inc` into a connection with
/// B's incarnation `g_to` (the one whose SYN,ACK it took).
fn first_byte(g_inc: u8, g_to: u8) -> Seg {
    Seg {
        from: A as u8,
        seq: 5,
        ack: 102,
        ctl: Ctl::ACK,
        data: true,
        late: false,
        age: 0,
        g_inc,
        g_to,
        g_idx: 0,
    }
}

fn stream_integrity() -> &'static properties::Prop {
    properties::by_name("stream-integrity").expect("a property of the model")
}

/// Whether the safety property `name` is violated in `s`.
fn violated(name: &str, s: &Sys) -> bool {
    properties::by_name(name)
        .expect("a property of the model")
        .hit(s)
}

#[test]
fn a_byte_paired_on_the_send_half_only_keeps_the_stream_intact() {
    let (cfg, s) = half_paired();
    let t = deliver(&cfg, s, first_byte(2, 1));
    assert_eq!(
        t.hosts[B].delivered, 1,
        "killed by ghost: B takes A's byte at RCV.NXT"
    );
    assert_eq!(t.hosts[B].rcv_nxt, 6);
    assert!(
        !stream_integrity().hit(&t),
        "killed by ghost: the stream A→B is intact"
    );
}

#[test]
fn a_byte_paired_on_neither_half_is_old_data() {
    // The same numbers, but written by A's first incarnation: B's second
    // took neither its SYN nor gave it its own.
    let (cfg, s) = half_paired();
    let t = deliver(&cfg, s, first_byte(1, 1));
    assert_eq!(
        t.hosts[B].delivered, 1,
        "killed by ghost: the wire cannot tell the two bytes apart"
    );
    assert!(
        stream_integrity().hit(&t),
        "killed by ghost: old data taken by a new incarnation"
    );
}

#[test]
fn a_byte_paired_on_the_receive_half_only_keeps_the_stream_intact() {
    // A fixed ISN makes A's two SYNs identical on the wire: B's second
    // incarnation took the first one's, and A's second took B's SYN,ACK.
    let (cfg, mut s) = half_paired();
    s.hosts[B].peer_inc = 1;
    let t = deliver(&cfg, s, first_byte(2, 2));
    assert_eq!(t.hosts[B].delivered, 1);
    assert!(
        !stream_integrity().hit(&t),
        "killed by ghost: either pairing is enough"
    );
}

/// `syn-retransmit-backoff` is reached only when the second wait in
/// SYN-SENT was twice the first (`Host::backed_off`). The timings are
/// ghosts, kept across each step in SYN-SENT; a host whose timer is re-armed
/// for the same RTO, as a constant RTO would re-arm it, must not count. Two
/// SYNs are lost in turn and each timer runs out: once as the model re-arms
/// it (doubled), once set back by hand to one RTO.
#[test]
fn a_constant_rto_is_no_backoff() {
    let backed_off = |constant: bool| {
        let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
        let mut s = Sys::initial(&cfg);
        s.step(&cfg, Action::Connect(A));
        for round in 0..2 {
            let syn = s.net[0];
            s.step(&cfg, Action::Lose(syn));
            while s.hosts[A].timer != Some(0) {
                s.step(&cfg, Action::Tick);
            }
            s.step(&cfg, Action::Timeout(A));
            if round == 0 && constant {
                s.hosts[A].timer = Some(cfg.rto);
            }
        }
        s.hosts[A].backed_off
    };
    assert!(backed_off(false), "the doubled RTO is a backoff");
    assert!(
        !backed_off(true),
        "killed by ghost: a constant RTO counted as a backoff"
    );
}

/// `no-stuck-state` and `quiescent-pairing` judge only quiescent states:
/// nothing in flight and no timer running. Both hold in the CI worlds, so a
/// model that never called a state quiescent would pass them all. Each must
/// refuse a quiet state made by hand, and let the same state pass while a
/// segment is still in flight that may yet move it.
#[test]
fn quiet_states_are_judged() {
    let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    // A's SYN is lost and its retransmission timer is gone: SYN-SENT for ever.
    let mut stuck = Sys::initial(&cfg);
    stuck.step(&cfg, Action::Connect(A));
    let syn = stuck.net[0];
    stuck.step(&cfg, Action::Lose(syn));
    stuck.hosts[A].timer = None;
    assert!(
        violated("no-stuck-state", &stuck),
        "killed by ghost: a quiet SYN-SENT passed no-stuck-state"
    );
    stuck.net.push(syn);
    assert!(!violated("no-stuck-state", &stuck));
    // A ESTABLISHED and B in FIN-WAIT-2, each paired with the other, idle:
    // A must be in CLOSE-WAIT once nothing is left to tell it of B's FIN.
    let mut unpaired = Sys::initial(&cfg);
    for (x, state) in [(A, St::Established), (B, St::FinWait2)] {
        let peer_inc = unpaired.hosts[1 - x].inc;
        let h = &mut unpaired.hosts[x];
        (h.state, h.peer_inc, h.timer) = (state, peer_inc, None);
        h.snd_una = h.snd_nxt;
    }
    assert!(unpaired.net.is_empty());
    assert!(
        violated("quiescent-pairing", &unpaired),
        "killed by ghost: ESTABLISHED against FIN-WAIT-2 passed quiescent-pairing"
    );
    assert!(!violated("no-stuck-state", &unpaired), "both are idle");
    unpaired.net.push(syn);
    assert!(!violated("quiescent-pairing", &unpaired));
}

/// `no-premature-give-up` weighs the faults the network has spent (losses
/// and delays used) against the retries: a host that gives up after all its
/// retries, when fewer faults than that happened, gave up too early. Only a
/// broken model gives up so, so no CI world shows whether the monitor counts
/// what was spent or what is left. Here A gives up with its retries marked
/// spent by hand while every loss and delay of the budget is unused and its
/// SYN still in flight to a listening B.
#[test]
fn a_give_up_with_no_fault_spent_is_premature() {
    let mut cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    cfg.delays = 1;
    let mut s = Sys::initial(&cfg);
    s.step(&cfg, Action::Listen(B));
    s.step(&cfg, Action::Connect(A));
    assert_eq!((s.losses, s.delays), (cfg.losses, cfg.delays), "no fault");
    s.hosts[A].retries = cfg.retries;
    s.hosts[A].timer = Some(0);
    s.step(&cfg, Action::Timeout(A));
    assert_eq!(s.hosts[A].state, St::Closed, "A gave up");
    assert!(
        violated("no-premature-give-up", &s),
        "killed by ghost: a give-up with no fault spent passed no-premature-give-up"
    );
}

/// The peer counts as open for `no-premature-give-up` while it is opening
/// or synchronized with the incarnation that gives up: B, ESTABLISHED with
/// A's SYN-RECEIVED (its ACK was lost, say), still waits for A to finish.
/// A gives up with no fault spent: premature. Were B synchronized with
/// another incarnation of A, it would not be waiting for this one.
#[test]
fn a_peer_synchronized_with_the_one_giving_up_is_open() {
    let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    let give_up = |b_pairs_with: u8| {
        let mut s = Sys::initial(&cfg);
        let a = &mut s.hosts[A];
        (a.state, a.inc, a.peer_inc, a.timer) = (St::SynReceived, 1, 1, Some(0));
        a.retries = cfg.retries;
        let b = &mut s.hosts[B];
        (b.state, b.inc, b.peer_inc) = (St::Established, 1, b_pairs_with);
        s.step(&cfg, Action::Timeout(A));
        violated("no-premature-give-up", &s)
    };
    assert!(
        give_up(1),
        "killed by ghost: a give-up while the peer was established with it passed"
    );
    assert!(!give_up(2), "B is synchronized with another incarnation");
}

/// `orderly-close` flags a TIME-WAIT entered before its own FIN is
/// acknowledged. A correct model goes to CLOSING instead, so no CI world can
/// tell whether the monitor looks. Here A is in FIN-WAIT-2 with its FIN
/// marked unacknowledged by hand, and B's FIN arrives.
#[test]
fn time_wait_before_the_fin_is_acknowledged_is_no_orderly_close() {
    let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    let mut s = Sys::initial(&cfg);
    let a = &mut s.hosts[A];
    (a.state, a.inc, a.peer_inc) = (St::FinWait2, 1, 1);
    (a.iss, a.snd_una, a.snd_nxt, a.irs, a.rcv_nxt) = (0, 1, 2, 100, 101);
    let b = &mut s.hosts[B];
    (b.state, b.inc, b.peer_inc) = (St::LastAck, 1, 1);
    (b.iss, b.snd_una, b.snd_nxt, b.irs, b.rcv_nxt) = (100, 101, 102, 0, 2);
    let fin = Seg {
        from: B as u8,
        seq: 101,
        ack: 1,
        ctl: Ctl(Ctl::FIN.0 | Ctl::ACK.0),
        data: false,
        late: false,
        age: 0,
        g_inc: 1,
        g_to: 1,
        g_idx: 0,
    };
    let t = deliver(&cfg, s, fin);
    assert_eq!(t.hosts[A].state, St::TimeWait, "{:?}", t.hosts[A]);
    assert!(
        violated("orderly-close", &t),
        "killed by ghost: TIME-WAIT with the FIN unacknowledged passed orderly-close"
    );
}
