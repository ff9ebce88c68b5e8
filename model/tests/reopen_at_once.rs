//! `Config::reopen_at_once`: the model without its reopen gate. A host may
//! OPEN again as soon as its last incarnation is gone, and its ISN clock is
//! taken to have run a window past every number that incarnation used
//! (RFC 9293 §3.4.1's assumption, `Host::run_clock_ahead`). The rules are
//! pinned on single steps; the small world below is where two of TCP's
//! safeguards bear load that the gate hides (`scripts/safeguard-mutants.py`
//! takes them out), so its verdicts and count are pinned too.

use synfin_model::check::{self, Engine, Options};
use synfin_model::properties;
use synfin_model::search;
use synfin_model::system::{A, B};
use synfin_model::tcb::St;
use synfin_model::{Action, Config, Preset, Profile, Sys};

/// `reincarnation --aborts 0 --bytes-a 0 --delays 0`: two OPENs a host,
/// no data, no fault but the reordering of what is in flight.
fn small(at_once: bool) -> Config {
    let mut cfg = Config::new(Preset::Reincarnation, Profile::Rfc9293, None);
    (cfg.aborts, cfg.bytes[0], cfg.delays) = (0, 0, 0);
    cfg.reopen_at_once = at_once;
    cfg
}

fn enabled(cfg: &Config, s: &Sys) -> Vec<Action> {
    let mut out = Vec::new();
    s.actions(cfg, &mut out);
    out
}

/// A connects and cancels: the state just after the cancel.
fn cancelled(cfg: &Config) -> Sys {
    let mut s = Sys::initial(cfg);
    s.step(cfg, Action::Connect(A));
    s.step(cfg, Action::Close(A));
    assert_eq!(s.hosts[A].state, St::Closed);
    s
}

#[test]
fn a_cancelled_connect_opens_again_at_once_with_its_iss_a_window_past() {
    let cfg = small(true);
    let s = cancelled(&cfg);
    let actions = enabled(&cfg, &s);
    assert!(actions.contains(&Action::Connect(A)), "{actions:?}");
    assert!(
        !actions.contains(&Action::Tick),
        "nothing waits: {actions:?}"
    );
    let mut t = s.clone();
    t.step(&cfg, Action::Connect(A));
    // The cancelled SYN used ISS 0; the clock reads a window past it.
    assert_eq!(t.hosts[A].iss, 1 + cfg.window);
}

#[test]
fn with_the_gate_a_cancelled_connect_waits_for_the_clock() {
    let cfg = small(false);
    let mut s = cancelled(&cfg);
    // The cancelled SYN lost: time may pass only once nothing is in flight.
    s.net.clear();
    let mut ticks = 0;
    while !enabled(&cfg, &s).contains(&Action::Connect(A)) {
        assert!(enabled(&cfg, &s).contains(&Action::Tick));
        s.step(&cfg, Action::Tick);
        ticks += 1;
    }
    assert_eq!(
        ticks,
        1 + cfg.window,
        "one tick a number, a window past ISS 0"
    );
    s.step(&cfg, Action::Connect(A));
    assert_eq!(s.hosts[A].iss, 1 + cfg.window);
}

/// TIME-WAIT is what covers a clock that has not moved past the old
/// numbers: a host leaving it reopens with the clock's own reading.
#[test]
fn after_time_wait_the_clock_keeps_its_own_reading() {
    let cfg = small(true);
    let mut s = Sys::initial(&cfg);
    s.hosts[A].state = St::TimeWait;
    (s.hosts[A].iss, s.hosts[A].snd_una, s.hosts[A].snd_nxt) = (0, 2, 2);
    s.hosts[A].timer = Some(1);
    s.hosts[A].isn_last = 0;
    s.hosts[A].clock = 3;
    s.step(&cfg, Action::Tick);
    s.step(&cfg, Action::Timeout(A));
    assert_eq!(s.hosts[A].state, St::Closed);
    s.step(&cfg, Action::Connect(A));
    assert_eq!(s.hosts[A].iss, 4, "ISS 0 plus four ticks of the clock");
}

/// A crash loses the TCB; the quiet time (§3.4.3) still holds the OPEN
/// back, though the clock has run ahead.
#[test]
fn after_a_crash_the_quiet_time_still_holds() {
    let mut cfg = small(true);
    cfg.crashes = 1;
    let mut s = Sys::initial(&cfg);
    s.step(&cfg, Action::Connect(A));
    s.step(&cfg, Action::Crash(A));
    assert_eq!(s.hosts[A].timer, Some(cfg.msl));
    assert!(!enabled(&cfg, &s).contains(&Action::Connect(A)));
    assert_eq!(s.hosts[A].isn_last, 1 + cfg.window);
}

/// Without the gate the world grows (thirty times here, fifty times and more
/// with data and delays), and every safety property still holds.
#[test]
fn the_small_world_without_the_gate_holds_every_safety_property() {
    let opts = Options {
        threads: 2,
        engine: Engine::Fast,
        max_memory: None,
        stop: None,
        profiles: false,
        spill: None,
    };
    for (at_once, pinned) in [(false, 49_471), (true, 1_462_956)] {
        let report = check::run(&small(at_once), &opts, &mut |_| {});
        assert_eq!(report.unique_states, pinned, "reopen at once: {at_once}");
        for v in &report.verdicts {
            let p = properties::by_name(v.name).unwrap();
            if p.expectation == properties::Expectation::Always {
                assert!(v.holds, "{} (reopen at once: {at_once})", v.name);
            }
        }
    }
}

/// MAY-2 without timestamps is not safe once the peer may reopen at once:
/// B's TIME-WAIT takes A's new SYN and chooses an ISS just above its old
/// numbers, while B's SYN from the simultaneous open that began the old
/// connection is still in flight. A takes that old SYN as B's, and B's FIN
/// of the new connection falls in the window it opens: A is ESTABLISHED
/// with an incarnation of B that never sent it a SYN.
#[test]
fn may2_lets_an_old_syn_make_a_phantom_without_the_gate() {
    let name = "no-phantom-connection";
    let mut cfg = small(true);
    cfg.time_wait_reopen = true;
    let path = search::shortest(&cfg, &[name])
        .remove(name)
        .expect("a phantom connection");
    assert_eq!(path.len() - 1, 14);
    let (last, _) = &path[path.len() - 1];
    assert_eq!(last.hosts[A].state, St::Established);
    assert_eq!(last.hosts[B].state, St::FinWait1);
    assert!(
        path.iter().any(|(s, _)| s.hosts[B].parked.is_some()),
        "B reopened its TIME-WAIT"
    );
    // With the gate, the same world holds it.
    cfg.reopen_at_once = false;
    assert!(search::shortest(&cfg, &[name]).is_empty());
}
