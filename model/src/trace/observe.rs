//! What a trace says about each step: the input, the transition it takes,
//! and what each endpoint looks like after it (state, ISS, timer, emitted
//! segments, delivered bytes, end of stream, application events, TCB
//! variables). [`record`] turns a path into a [`Trace`].

use std::collections::HashMap;

use super::format::{base, trace_config};
use super::format::{flags, tseg, HostObs, Input, Step, TSeg, TcbObs, Trace, FORMAT};
use crate::config::Config;
use crate::segment::{Ctl, Seg};
use crate::system::{name, Action, Sys, A, B};
use crate::tcb::{End, Host, St};

/// The TCB variables a host shows in its state (RFC 9293 §3.3.1, §3.10):
/// none in CLOSED (no TCB) and LISTEN (no ISS or IRS chosen yet); in
/// SYN-SENT SND.UNA, SND.NXT and the retry count (IRS is not known yet, so
/// no RCV.NXT); from SYN-RECEIVED to LAST-ACK all four; in TIME-WAIT only
/// SND.NXT and RCV.NXT, what the ACK of a retransmitted FIN carries (the
/// retransmission queue is empty and no retransmission timer runs).
pub fn tcb_obs(host: &Host) -> Option<TcbObs> {
    let rel = |x: u8, from: u8| Some(i64::from(x.wrapping_sub(from)));
    let all = TcbObs {
        snd_una: rel(host.snd_una, host.iss),
        snd_nxt: rel(host.snd_nxt, host.iss),
        rcv_nxt: rel(host.rcv_nxt, host.irs),
        retries: Some(host.retries),
    };
    match host.state {
        St::Closed | St::Listen => None,
        St::SynSent => Some(TcbObs {
            rcv_nxt: None,
            ..all
        }),
        St::TimeWait => Some(TcbObs {
            snd_una: None,
            retries: None,
            ..all
        }),
        _ => Some(all),
    }
}

fn seg_key(s: &Seg) -> (u8, u8, u8, Ctl, bool, u8, u8) {
    (s.from, s.seq, s.ack, s.ctl, s.data, s.g_inc, s.g_idx)
}

/// Segments in `after` but not in `before` (multiset difference, ignoring age).
fn emitted(before: &Sys, after: &Sys) -> Vec<Seg> {
    let mut count: HashMap<_, i32> = HashMap::new();
    for s in &before.net {
        *count.entry(seg_key(s)).or_default() += 1;
    }
    let mut out = Vec::new();
    for s in &after.net {
        let c = count.entry(seg_key(s)).or_default();
        if *c > 0 {
            *c -= 1;
        } else {
            out.push(*s);
        }
    }
    out
}

fn events(action: Action, h: usize, before: &Host, after: &Host) -> Vec<String> {
    let mut ev = Vec::new();
    if matches!(action, Action::Crash(x) if x == h) {
        return ev;
    }
    let same_inc = before.inc == after.inc;
    if matches!(before.state, St::SynSent | St::SynReceived)
        && after.state.synchronized()
        && same_inc
        && !matches!(action, Action::Close(_))
    {
        ev.push("connected".to_string());
    }
    if !before.eof && after.eof && same_inc {
        ev.push("peer-closed".to_string());
    }
    // A passive SYN-RECEIVED that returns to LISTEN tells the user nothing
    // (RFC 9293 §3.10.7.4: "The user need not be informed").
    let gone = before.state != St::Closed && after.state == St::Closed;
    if gone {
        let e = match after.end {
            End::Reset
                if before.state == St::SynSent
                    || (before.state == St::SynReceived && !before.passive) =>
            {
                "refused"
            }
            // RFC 9293 §3.10.7.4 RST in TIME-WAIT: "enter the CLOSED
            // state, delete the TCB" with no "connection reset" signal.
            // (A SYN in TIME-WAIT under rfc793 does signal "connection reset".)
            End::Reset
                if before.state == St::TimeWait
                    && matches!(action, Action::Deliver(s) | Action::Duplicate(s) if s.ctl.has(Ctl::RST)) =>
            {
                "closed"
            }
            End::Reset => "reset",
            End::ConnectTimeout | End::TimedOut => "timed-out",
            End::Orderly | End::TimeWaitDone | End::Cancelled | End::Aborted => "closed",
            End::StaleRejected => "reset",
            End::None | End::Crashed => "",
        };
        if !e.is_empty() {
            ev.push(e.to_string());
        }
    }
    ev
}

fn obs(action: Action, h: usize, before: &Sys, after: &Sys, em: &[Seg]) -> HostObs {
    let host = &after.hosts[h];
    let mut emitted: Vec<TSeg> = em
        .iter()
        .filter(|s| s.from as usize == h)
        .map(tseg)
        .collect();
    emitted.sort();
    HostObs {
        state: host.state.name().to_string(),
        iss: (!matches!(host.state, St::Closed | St::Listen))
            .then(|| i64::from(host.iss) - base(h)),
        timer: host.timer,
        emitted,
        delivered: host.delivered,
        eof: host.eof,
        events: events(action, h, &before.hosts[h], host),
        tcb: tcb_obs(host),
    }
}

fn input(action: Action) -> Input {
    let (kind, host, seg) = match action {
        Action::Listen(h) => ("listen", Some(h), None),
        Action::Connect(h) => ("connect", Some(h), None),
        Action::Send(h) => ("send", Some(h), None),
        Action::Close(h) => ("close", Some(h), None),
        Action::Abort(h) => ("abort", Some(h), None),
        // A forged segment reaches the stack as any other arrival does.
        Action::Deliver(s) | Action::Inject(s) => ("deliver", None, Some(s)),
        Action::Lose(s) => ("lose", None, Some(s)),
        Action::Duplicate(s) => ("duplicate", None, Some(s)),
        Action::Delay(s) => ("delay", None, Some(s)),
        Action::Timeout(h) => ("timeout", Some(h), None),
        Action::Tick => ("tick", None, None),
        Action::Crash(h) => ("crash", Some(h), None),
    };
    Input {
        kind: kind.to_string(),
        host: host.map(|h| name(h).to_string()),
        segment: seg.as_ref().map(tseg),
    }
}

/// The model transition an action takes, as coverage counts it: the acting
/// endpoint's state before, the input kind (with the segment's flags for an
/// arrival), and the outcome (state after and flags emitted). `None` for
/// actions no endpoint takes (loss, delay, tick).
pub fn transition_key(before: &Sys, action: Action, after: &Sys) -> Option<String> {
    let (h, what) = match action {
        Action::Listen(h) => (h, "listen".to_string()),
        Action::Connect(h) => (h, "connect".to_string()),
        Action::Send(h) => (h, "send".to_string()),
        Action::Close(h) => (h, "close".to_string()),
        Action::Abort(h) => (h, "abort".to_string()),
        Action::Timeout(h) => (h, "timeout".to_string()),
        Action::Crash(h) => (h, "crash".to_string()),
        Action::Deliver(s) | Action::Duplicate(s) | Action::Inject(s) => {
            let d = if s.data { "+data" } else { "" };
            (1 - s.from as usize, format!("arrive {}{d}", flags(s.ctl)))
        }
        Action::Lose(_) | Action::Delay(_) | Action::Tick => return None,
    };
    let mut em: Vec<String> = emitted(before, after)
        .iter()
        .filter(|s| s.from as usize == h)
        .map(|s| format!("{}{}", flags(s.ctl), if s.data { "+data" } else { "" }))
        .collect();
    em.sort();
    let out = if em.is_empty() {
        String::new()
    } else {
        format!(" emit {}", em.join(" "))
    };
    Some(format!(
        "{} {what} -> {}{out}",
        before.hosts[h].state.name(),
        after.hosts[h].state.name()
    ))
}

/// Record the trace of `actions` from the initial state.
pub fn record(cfg: &Config, origin: &str, actions: &[Action]) -> Trace {
    let mut sys = Sys::initial(cfg);
    let mut tick = 0u32;
    let mut steps = Vec::new();
    for &action in actions {
        let before = sys.clone();
        sys.step(cfg, action);
        let em = emitted(&before, &sys);
        steps.push(Step {
            tick,
            input: input(action),
            key: transition_key(&before, action, &sys),
            a: obs(action, A, &before, &sys, &em),
            b: obs(action, B, &before, &sys, &em),
        });
        if action == Action::Tick {
            tick += 1;
        }
    }
    Trace {
        format: FORMAT.to_string(),
        origin: origin.to_string(),
        config: trace_config(cfg),
        steps,
    }
}
