//! Random schedules against one connection, from every state: arbitrary
//! segments (any flag combination, sequence and acknowledgment numbers near
//! the interesting edges or anywhere), timer ticks and user calls. The core
//! must never panic and must keep its invariants.

mod common;

use common::*;
use proptest::prelude::*;
use synfin_tcp::conn::{Event, State};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

#[derive(Clone, Debug)]
enum Op {
    Seg {
        flags: u8,
        seq: Offset,
        ack: Offset,
        len: usize,
        window: u16,
    },
    Tick(u64),
    Send(usize),
    Recv(usize),
    Close,
    Abort,
}

/// A number relative to RCV.NXT (for SEG.SEQ) or SND.UNA (for SEG.ACK).
#[derive(Clone, Debug)]
enum Offset {
    Near(i32),
    Any(u32),
}

fn offset() -> impl Strategy<Value = Offset> {
    prop_oneof![
        4 => (-3i32..4).prop_map(Offset::Near),
        1 => any::<u32>().prop_map(Offset::Any),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..64, offset(), offset(), 0usize..5, prop_oneof![Just(0u16), Just(3), Just(8192)])
            .prop_map(|(flags, seq, ack, len, window)| Op::Seg { flags, seq, ack, len, window }),
        2 => (0u64..70_000).prop_map(Op::Tick),
        1 => (0usize..6).prop_map(Op::Send),
        1 => (0usize..6).prop_map(Op::Recv),
        1 => Just(Op::Close),
        1 => Just(Op::Abort),
    ]
}

fn resolve(o: &Offset, base: SeqNum) -> SeqNum {
    match *o {
        Offset::Near(d) => SeqNum(base.0.wrapping_add(d as u32)),
        Offset::Any(v) => SeqNum(v),
    }
}

const FIXTURES: [fn() -> Sock; 12] = [
    socket_closed,
    socket_listen,
    socket_syn_sent,
    socket_syn_received,
    socket_syn_received_active,
    socket_established,
    socket_fin_wait_1,
    socket_fin_wait_2,
    socket_close_wait,
    socket_closing,
    socket_last_ack,
    socket_time_wait,
];

fn run(mut s: Sock, ops: &[Op]) {
    let cfg = *s.c.config();
    let mut terminal = s.state() == State::Closed;
    for op in ops {
        match op {
            Op::Seg {
                flags,
                seq,
                ack,
                len,
                window,
            } => {
                // SYN, FIN, RST, PSH, ACK, URG from the low six bits.
                let flags = Flags::from_bits(*flags & 0x3f);
                let seg = Segment {
                    flags,
                    seq: resolve(seq, s.c.rcv_nxt()),
                    ack: resolve(ack, s.c.snd_una()),
                    window: *window,
                    payload: vec![b'p'; *len],
                    ..SEND_TEMPLATE
                };
                s.send(seg);
            }
            Op::Tick(ms) => {
                let at = s.now + std::time::Duration::from_millis(*ms);
                s.advance_to(at);
            }
            Op::Send(n) => {
                let _ = s.c.send(s.now, &vec![b's'; *n]);
            }
            Op::Recv(n) => {
                let mut buf = vec![0; *n];
                let _ = s.c.recv(s.now, &mut buf);
            }
            Op::Close => {
                let _ = s.c.close(s.now);
            }
            Op::Abort => {
                let _ = s.c.abort(s.now);
            }
        }
        // Invariants.
        let c = &s.c;
        assert!(c.snd_una().le(c.snd_nxt()), "SND.UNA =< SND.NXT");
        assert!(c.recv_queue_len() <= usize::from(cfg.rcv_wnd));
        assert!(c.send_queue_len() <= cfg.send_buffer);
        if c.state() == State::Closed {
            assert_eq!(c.poll_timeout(), None, "a deleted TCB has no timers");
        }
        let (iss, snd_nxt) = (c.iss(), c.snd_nxt());
        // A TCB back in LISTEN or CLOSED has forgotten its numbers, though
        // it may have sent under them earlier in the same step (a last
        // SYN,ACK retransmission, then R2 back to LISTEN).
        let numbered = !matches!(c.state(), State::Listen | State::Closed);
        while let Some(out) = s.c.poll_transmit() {
            if out.flags.contains(Flags::RST) || !numbered {
                continue;
            }
            // What we send lies within what we have numbered.
            assert!(out.seq.ge(iss), "{out:?} below ISS {iss:?}");
            assert!(
                out.seq.add(out.len()).le(snd_nxt),
                "{out:?} beyond SND.NXT {snd_nxt:?}"
            );
            assert!(out.payload.len() <= usize::from(cfg.mss));
        }
        while let Some(ev) = s.c.poll_event() {
            assert!(!terminal, "{ev:?} after the terminal event");
            if ev.is_terminal() {
                terminal = true;
                assert_eq!(s.state(), State::Closed, "{ev:?} leaves the TCB CLOSED");
            }
            if ev == Event::Connected {
                assert!(!terminal);
            }
        }
    }
}

/// Found by CI: a passive SYN-RECEIVED retransmits its SYN,ACK and, in the
/// same tick, reaches R2 and returns to LISTEN, whose SND.NXT is 0.
#[test]
fn a_last_retransmission_then_r2_back_to_listen_in_one_step() {
    let syn = Op::Seg {
        flags: 42,
        seq: Offset::Near(0),
        ack: Offset::Near(0),
        len: 0,
        window: 0,
    };
    let ops = [
        syn,
        Op::Tick(51_373),
        Op::Send(0),
        Op::Tick(65_698),
        Op::Tick(65_929),
    ];
    run(socket_listen(), &ops);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_schedules_never_panic_and_keep_invariants(
        which in 0usize..FIXTURES.len(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        run(FIXTURES[which](), &ops);
    }

    #[test]
    fn random_schedules_under_rfc793(
        which in 0usize..3,
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let s = match which {
            0 => socket_established_with(rfc793()),
            1 => socket_time_wait_with(rfc793()),
            _ => socket_syn_received_with(rfc793()),
        };
        run(s, &ops);
    }
}
