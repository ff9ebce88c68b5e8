//! `stream-integrity` judges a byte by the pairing of either half of the
//! connection: its sender took the receiver's SYN (`Seg::g_to`), or the
//! receiver took the sender's (`Host::peer_inc`).
//!
//! The two halves can pair with different incarnations. B's first
//! incarnation answers A's SYN, its SYN,ACK is held back, and it gives up
//! silently; B's second incarnation takes A's retransmitted SYN and answers
//! with a new ISS; A takes the late SYN,ACK. A's receive half is then
//! synchronized with B's first incarnation, its send half with the second,
//! and A's first byte reaches B's second incarnation at RCV.NXT. The state
//! below is the one `reincarnation --crashes 1` reaches at that point (the
//! byte's delivery is step 25 of a path the check once reported). The stream
//! from A to B is intact; a byte from an incarnation paired with neither half
//! is old data.

use synfin_model::properties;
use synfin_model::segment::{Ctl, Seg};
use synfin_model::system::{A, B};
use synfin_model::tcb::St;
use synfin_model::{Action, Config, Preset, Profile, Sys};

/// A (incarnation 2) is ESTABLISHED with B's first incarnation's ISS as its
/// IRS; B's second incarnation took A's SYN and, closed before its SYN was
/// acknowledged, is in FIN-WAIT-1.
fn half_paired() -> (Config, Sys) {
    let cfg = Config::new(Preset::Reincarnation, Profile::Rfc9293, None);
    let mut s = Sys::initial(&cfg);
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

fn deliver(cfg: &Config, mut s: Sys, seg: Seg) -> Sys {
    s.net.push(seg);
    s.step(cfg, Action::Deliver(seg));
    s
}

fn stream_integrity() -> &'static properties::Prop {
    properties::by_name("stream-integrity").expect("a property of the model")
}

#[test]
fn a_byte_paired_on_the_send_half_only_keeps_the_stream_intact() {
    let (cfg, s) = half_paired();
    let t = deliver(&cfg, s, first_byte(2, 1));
    assert_eq!(t.hosts[B].delivered, 1, "B takes A's byte at RCV.NXT");
    assert_eq!(t.hosts[B].rcv_nxt, 6);
    assert!(!stream_integrity().hit(&t), "the stream A→B is intact");
}

#[test]
fn a_byte_paired_on_neither_half_is_old_data() {
    // The same numbers, but written by A's first incarnation: B's second
    // took neither its SYN nor gave it its own.
    let (cfg, s) = half_paired();
    let t = deliver(&cfg, s, first_byte(1, 1));
    assert_eq!(
        t.hosts[B].delivered, 1,
        "the wire cannot tell the two bytes apart"
    );
    assert!(
        stream_integrity().hit(&t),
        "old data taken by a new incarnation"
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
    assert!(!stream_integrity().hit(&t), "either pairing is enough");
}
