//! Text rendering of actions and of a counterexample as numbered steps, each
//! with both endpoints' state and the network after it.

use std::fmt::Write;

use crate::segment::Seg;
use crate::system::{name, Action, Sys, A, B};
use crate::tcb::{Host, St};

/// One action as a short phrase: `A: connect`, `deliver A→B <SYN seq=0>`.
pub fn action(a: &Action) -> String {
    match *a {
        Action::Listen(h) => format!("{}: listen", name(h)),
        Action::Connect(h) => format!("{}: connect", name(h)),
        Action::Send(h) => format!("{}: send 1 byte", name(h)),
        Action::Close(h) => format!("{}: close", name(h)),
        Action::Abort(h) => format!("{}: abort", name(h)),
        Action::Deliver(s) => format!("deliver {}", segment(&s)),
        Action::Lose(s) => format!("lose {}", segment(&s)),
        Action::Duplicate(s) => format!("duplicate {}", segment(&s)),
        Action::Delay(s) => format!("delay {}", segment(&s)),
        Action::Inject(s) => format!("attacker forges {}", segment(&s)),
        Action::Timeout(h) => format!("{}: timer expires", name(h)),
        Action::Tick => "tick".to_string(),
        Action::Crash(h) => format!("{}: crash and reboot", name(h)),
    }
}

/// A segment with its direction, sent tick and (ghost) incarnation.
pub fn segment(s: &Seg) -> String {
    let arrow = if s.from == 0 { "A→B" } else { "B→A" };
    let late = if s.late {
        format!(", late, age {}", s.age)
    } else {
        String::new()
    };
    if s.g_inc == Seg::FORGED {
        return format!("{arrow} <{}> (forged{late})", s.label());
    }
    format!("{arrow} <{}> (inc {}{late})", s.label(), s.g_inc)
}

/// One host's TCB on one line.
pub fn host(h: &Host) -> String {
    let mut s = format!("{:<12}", h.state.name());
    match h.state {
        St::Closed | St::Listen => {}
        _ => {
            let _ = write!(
                s,
                " iss={} irs={} snd.una={} snd.nxt={} rcv.nxt={}",
                h.iss, h.irs, h.snd_una, h.snd_nxt, h.rcv_nxt
            );
        }
    }
    if h.state == St::SynReceived {
        s += if h.passive {
            " (passive)"
        } else {
            " (simultaneous)"
        };
    }
    if let Some(t) = h.timer {
        let what = match h.state {
            St::TimeWait => "2MSL",
            St::Closed => "quiet",
            _ => "rexmt",
        };
        let _ = write!(s, " {what} in {t}");
        if h.retries > 0 {
            let _ = write!(s, " retries={}", h.retries);
        }
    }
    if h.inc > 0 {
        let _ = write!(s, " [inc {}]", h.inc);
    }
    s
}

/// A path as numbered steps with the state after each.
pub fn steps(path: &[(Sys, Option<Action>)]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Sys> = None;
    for (i, (state, _)) in path.iter().enumerate() {
        match prev {
            None => out += "  0. initial state\n",
            Some(_) => {
                let a = path[i - 1]
                    .1
                    .as_ref()
                    .expect("every step but the last has an action");
                let _ = writeln!(out, "{:>3}. {}", i, action(a));
            }
        }
        for h in [A, B] {
            let _ = writeln!(out, "       {}  {}", name(h), host(&state.hosts[h]));
        }
        if state.net.is_empty() {
            out += "       net: (empty)\n";
        } else {
            for (j, s) in state.net.iter().enumerate() {
                let label = if j == 0 { "net:" } else { "    " };
                let _ = writeln!(out, "       {label} {}", segment(s));
            }
        }
        prev = Some(state);
    }
    out
}
