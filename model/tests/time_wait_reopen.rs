//! RFC 9293 §3.6.1 MAY-2, `Config::time_wait_reopen`: TIME-WAIT may take a
//! new SYN above the old incarnation's numbers as a new connection, if it
//! chooses an ISS above them and returns to TIME-WAIT should the handshake
//! fail. Each rule is found on a path of a small world by a breadth-first
//! search of the model's own transitions; the larger worlds' verdicts are
//! pinned at the end.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use synfin_model::check::{self, Engine, Options, Progress};
use synfin_model::segment::{Ctl, Seg};
use synfin_model::system::{may2_edge, B};
use synfin_model::tcb::St;
use synfin_model::{properties, search, textbook};
use synfin_model::{Action, Config, Preset, Profile, Sys};

/// Two incarnations per host, one loss (so that time passes while a
/// connection is open and A's ISN clock is past its old numbers while B
/// is still in TIME-WAIT), no data and no other fault.
fn small(reopen: bool) -> Config {
    let mut cfg = Config::new(Preset::Default, Profile::Rfc9293, None);
    (cfg.dups, cfg.aborts, cfg.bytes, cfg.b_connects) = (0, 0, [0, 0], false);
    cfg.time_wait_reopen = reopen;
    cfg
}

/// Every transition `from → to` of `cfg`'s world, breadth first, until
/// `stop` says so; the number of states seen.
fn transitions(cfg: &Config, mut stop: impl FnMut(&Sys, Action, &Sys) -> bool) -> usize {
    let init = Sys::initial(cfg);
    let mut seen = HashSet::from([init.clone()]);
    let mut queue = VecDeque::from([init]);
    let mut actions = Vec::new();
    while let Some(s) = queue.pop_front() {
        actions.clear();
        s.actions(cfg, &mut actions);
        for &a in &actions {
            let mut t = s.clone();
            t.step(cfg, a);
            if stop(&s, a, &t) {
                return seen.len();
            }
            if seen.insert(t.clone()) {
                queue.push_back(t);
            }
        }
    }
    seen.len()
}

/// The first transition of `cfg`'s world that `want` picks.
fn first(cfg: &Config, want: impl Fn(&Sys, &Sys) -> bool) -> Option<(Sys, Action, Sys)> {
    let mut found = None;
    transitions(cfg, |s, a, t| {
        if want(s, t) {
            found = Some((s.clone(), a, t.clone()));
        }
        found.is_some()
    });
    found
}

fn reopened(s: &Sys, t: &Sys) -> bool {
    s.hosts[B].state == St::TimeWait && t.hosts[B].state == St::SynReceived
}

#[test]
fn a_new_syn_reopens_time_wait_with_an_iss_above_the_old_numbers() {
    let (s, a, t) = first(&small(true), reopened).expect("MAY-2 reopens TIME-WAIT");
    let (old, new) = (&s.hosts[B], &t.hosts[B]);
    let Action::Deliver(syn) = a else {
        panic!("reopened by {a:?}")
    };
    assert!(syn.seq > old.rcv_nxt, "the SYN is above RCV.NXT: {syn:?}");
    assert!(
        new.iss >= old.snd_nxt,
        "ISS {} below {}",
        new.iss,
        old.snd_nxt
    );
    assert!(new.passive && new.irs == syn.seq && new.inc == old.inc + 1);
    let parked = new.parked.expect("the TIME-WAIT is kept");
    assert_eq!((parked.snd_nxt, parked.rcv_nxt), (old.snd_nxt, old.rcv_nxt));
    assert_eq!(t.broken, 0, "no property is broken by the reopen");
}

/// The bound is strict, BSD's `SEQ_GT(SEG.SEQ, RCV.NXT)`: the SYN of the
/// first reopen, moved down to exactly RCV.NXT, does not reopen. TIME-WAIT
/// answers it as any other SYN in a synchronized state (RFC 5961's
/// challenge ACK) and stays. No path of the CI worlds brings a SYN at
/// exactly RCV.NXT to a TIME-WAIT, so the state is made by hand.
#[test]
fn a_syn_at_exactly_rcv_nxt_does_not_reopen() {
    let cfg = small(true);
    let (mut s, a, _) = first(&cfg, reopened).expect("MAY-2 reopens TIME-WAIT");
    let Action::Deliver(syn) = a else {
        panic!("reopened by {a:?}")
    };
    let at = Seg {
        seq: s.hosts[B].rcv_nxt,
        ..syn
    };
    let i = s.net.iter().position(|&g| g == syn).unwrap();
    s.net[i] = at;
    s.net.sort();
    let acks = |s: &Sys| {
        s.net
            .iter()
            .filter(|g| usize::from(g.from) == B && g.ctl == Ctl::ACK)
            .count()
    };
    let before = acks(&s);
    s.step(&cfg, Action::Deliver(at));
    let b = &s.hosts[B];
    assert_eq!(b.state, St::TimeWait, "a SYN at RCV.NXT reopened: {b:?}");
    assert!(b.parked.is_none());
    assert_eq!(acks(&s), before + 1, "no challenge ACK: {:?}", s.net);
}

/// MAY-2 adds exactly two edges to Figure 5, which `rfc-transitions` lets
/// pass with the option on: TIME-WAIT to SYN-RECEIVED (the reopen) and back
/// (the SYN was an old duplicate). The model keeps to them, so no world can
/// show an excuse wider than that; the edges are checked here one by one.
#[test]
fn may2_adds_two_edges_and_no_more() {
    for from in St::ALL {
        for to in St::ALL {
            let reopen_or_return = matches!(
                (from, to),
                (St::TimeWait, St::SynReceived) | (St::SynReceived, St::TimeWait)
            );
            assert_eq!(may2_edge(from, to), reopen_or_return, "{from:?} -> {to:?}");
        }
    }
}

#[test]
fn without_may2_no_syn_leaves_time_wait() {
    let cfg = small(false);
    let states = transitions(&cfg, |s, _, t| {
        assert!(!reopened(s, t), "reopened without MAY-2");
        assert!(t.hosts.iter().all(|h| h.parked.is_none()));
        false
    });
    assert!(states > 1000, "the world was explored: {states} states");
    // The same world with MAY-2 has the reopen: the assertion above can fail.
    assert!(first(&small(true), reopened).is_some());
}

#[test]
fn a_failed_reopen_returns_to_the_time_wait_it_left() {
    let cfg = small(true);
    let (s, a, t) = first(&cfg, |s, t| {
        s.hosts[B].parked.is_some() && t.hosts[B].state == St::TimeWait
    })
    .expect("a reopen fails");
    let (from, back) = (&s.hosts[B], &t.hosts[B]);
    let p = from.parked.unwrap();
    assert_eq!(from.state, St::SynReceived, "{a:?}");
    assert_eq!(
        (back.iss, back.irs, back.snd_una, back.snd_nxt, back.rcv_nxt),
        (p.iss, p.irs, p.snd_nxt, p.snd_nxt, p.rcv_nxt)
    );
    assert_eq!(back.timer, Some(p.timer), "2·MSL is not restarted");
    assert_eq!(
        (back.inc, back.opens_left),
        (from.inc - 1, from.opens_left + 1)
    );
    assert!(back.parked.is_none());
    assert_eq!(t.broken, 0, "the return breaks nothing: {a:?}");
}

/// A TIME-WAIT's ghost age and its timer add up to 2·MSL in every state of
/// the world, also after a failed reopen returned to it: the monitor of
/// `time-wait-lasts-2msl` reads the age, so an age that ran ahead would
/// excuse a TIME-WAIT cut short.
#[test]
fn time_wait_age_and_timer_add_up_to_2msl_after_a_return_too() {
    let cfg = small(true);
    let mut returns = 0;
    transitions(&cfg, |s, a, t| {
        for h in &t.hosts {
            if h.state == St::TimeWait {
                let left = h.timer.expect("TIME-WAIT runs its timer");
                assert_eq!(
                    u32::from(h.tw_age) + u32::from(left),
                    u32::from(cfg.time_wait()),
                    "after {a:?}: {h:?}"
                );
            }
        }
        returns += usize::from(s.hosts[B].parked.is_some() && t.hosts[B].state == St::TimeWait);
        false
    });
    assert!(returns > 0, "no reopen failed in this world");
}

/// With MAY-2 on, the worlds of two incarnations are as claimed under
/// rfc9293: every safety property holds and every scenario is reached.
#[test]
fn reincarnation_with_may2_holds_everything() {
    const PINNED: usize = 9_324_513;
    let mut cfg = Config::new(Preset::Reincarnation, Profile::Rfc9293, None);
    cfg.time_wait_reopen = true;
    // A model that breaks MAY-2 may blow this world up (a reopen in any
    // state): stop at four times the pinned count rather than run for long.
    let stop = Arc::new(AtomicBool::new(false));
    let opts = Options {
        threads: 2,
        engine: Engine::Fast,
        max_memory: None,
        stop: Some(stop.clone()),
        profiles: false,
        spill: None,
    };
    let report = check::run(&cfg, &opts, &mut |p| {
        if let Progress::Exploring { states, .. } = p {
            if states > 4 * PINNED {
                stop.store(true, Ordering::Relaxed);
            }
        }
    });
    assert!(report.stopped.is_none(), "passed {} states", 4 * PINNED);
    assert_eq!(report.unique_states, PINNED);
    assert_eq!(report.verdicts.len(), properties::ALL.len());
    for v in &report.verdicts {
        assert!(v.holds && !v.expected_to_fail, "{} under MAY-2", v.name);
    }
}

/// The scenario that draws MAY-2 is checked only with the option on: its
/// shortest example reopens B's TIME-WAIT with a tick of 2·MSL left, and
/// without MAY-2 it is not checked at all (no reachable state shows it:
/// the world above has no reopen).
#[test]
fn the_reopen_scenario_needs_may2() {
    let p = properties::by_name("time-wait-reopen").unwrap();
    let mut cfg = Config::new(Preset::Default, Profile::Rfc9293, None);
    assert!(!p.applies(&cfg));
    assert!(properties::checked(&cfg).all(|q| q.name != p.name));
    cfg.time_wait_reopen = true;
    assert!(p.applies(&cfg));
    let path = search::examples(&cfg, &[p.name]).remove(p.name).unwrap();
    assert_eq!(path.len() - 1, 20, "the shortest example");
    let (last, _) = &path[path.len() - 1];
    let b = &last.hosts[B];
    assert_eq!(b.state, St::SynReceived);
    assert!(b.parked.is_some_and(|t| t.timer > 0), "2·MSL not over");
    // Its textbook shape: Figure 12's close, then the reopen, to
    // ESTABLISHED; two losses let A's ISN clock move on before the close.
    let shape = textbook::for_name(p.name).unwrap();
    let (path, world) = textbook::search(&cfg, shape).unwrap();
    assert_eq!(path.len() - 1, 22);
    assert_eq!(textbook::raised(&cfg, shape), ["--losses 2"]);
    assert_eq!(world.losses, 2);
}

/// While a reopened TIME-WAIT waits parked behind SYN-RECEIVED, its 2·MSL
/// keeps running: each tick takes one off what is left, and the last one
/// ends it (there is nothing left to return to). The scenario's example
/// ends with B just reopened; its SYN,ACK taken out of the network, time
/// may pass, with the parked timer set to each value it can have.
#[test]
fn a_parked_time_wait_keeps_counting_down() {
    let mut cfg = Config::new(Preset::Default, Profile::Rfc9293, None);
    cfg.time_wait_reopen = true;
    let name = "time-wait-reopen";
    let path = search::examples(&cfg, &[name]).remove(name).unwrap();
    let mut reopened = path[path.len() - 1].0.clone();
    reopened.net.clear();
    for left in 1..=2 * cfg.msl {
        let mut s = reopened.clone();
        s.hosts[B].parked.as_mut().unwrap().timer = left;
        let mut actions = Vec::new();
        s.actions(&cfg, &mut actions);
        assert!(actions.contains(&Action::Tick), "{actions:?}");
        s.step(&cfg, Action::Tick);
        let after = s.hosts[B].parked.map(|p| p.timer);
        assert_eq!(
            after,
            Some(left - 1).filter(|&t| t > 0),
            "{left} ticks left"
        );
    }
}
