//! The ghosts that the monitors judge by, each checked where it must not be
//! lenient. The CI worlds cannot show a lenient ghost: their properties hold,
//! and a ghost that excuses more still lets them hold. So each case here is a
//! constructed state where the ghost must tell two things apart, and
//! `scripts/model-mutants.sh` runs this file besides `ci_worlds.rs`.
//! Failures say `killed by ghost:`, which the script counts apart.

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
