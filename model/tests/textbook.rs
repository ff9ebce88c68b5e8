//! Textbook-shaped examples (`synfin show/explain --textbook`): each is a
//! real path of the model, found by search, that does what its figure
//! draws; the diagrams are pinned as snapshots.

use synfin_model::diagram::{self, text, Format};
use synfin_model::properties::{self, Expectation};
use synfin_model::search::Path;
use synfin_model::segment::Ctl;
use synfin_model::tcb::{End, St};
use synfin_model::textbook::{self, Shape};
use synfin_model::{Action, Config, Preset, Profile, Sys, Variant};

/// The path is the model's: it starts in the initial state, every action is
/// enabled where it is taken, and every state is what the action makes.
fn assert_path_of(cfg: &Config, path: &Path) {
    let mut state = Sys::initial(cfg);
    for (recorded, action) in path {
        assert_eq!(*recorded, state);
        let Some(action) = action else { break };
        let mut enabled = Vec::new();
        state.actions(cfg, &mut enabled);
        assert!(enabled.contains(action), "{action:?} is not enabled");
        state.step(cfg, *action);
    }
}

fn found(cfg: &Config, name: &str) -> (&'static Shape, Path) {
    let shape = textbook::for_name(name).expect("a shape");
    let (path, world) = textbook::search(cfg, shape).expect("a textbook path");
    assert_path_of(&world, &path);
    // Only a figure's world that asks for more than `cfg` has is used as is.
    let raised = !textbook::raised(cfg, shape).is_empty();
    assert_eq!(world != *cfg, raised, "{name}");
    let passed = textbook::passes(shape, &path).expect("the path has the shape");
    assert_eq!(passed.last(), Some(&(path.len() - 1)));
    let txt = diagram::render(&path, Format::Text);
    assert!(txt.lines().all(|l| l.chars().count() <= text::WIDTH));
    (shape, path)
}

fn states(path: &Path) -> impl Iterator<Item = &Sys> {
    path.iter().map(|(s, _)| s)
}

fn steps(path: &Path) -> impl Iterator<Item = (&Sys, Action, &Sys)> {
    path.windows(2).map(|w| (&w[0].0, w[0].1.unwrap(), &w[1].0))
}

fn holds(name: &str, s: &Sys) -> bool {
    (properties::by_name(name).unwrap().holds)(s)
}

/// Figure 7: both SYNs cross, both hosts are in SYN-RECEIVED at once, and
/// both end ESTABLISHED from active OPENs; nothing is lost. The figure's
/// world only restricts the preset's, so it is a path of the preset too.
#[test]
fn simultaneous_open_is_figure_7() {
    for profile in [Profile::Rfc9293, Profile::Rfc793] {
        let cfg = Config::new(Preset::Default, profile, None);
        let (shape, path) = found(&cfg, "simultaneous-open");
        assert!(textbook::raised(&cfg, shape).is_empty());
        assert!(states(&path).any(|s| s.hosts.iter().all(|h| h.state == St::SynSent)));
        assert!(states(&path).any(|s| s
            .hosts
            .iter()
            .all(|h| h.state == St::SynReceived && !h.passive)));
        assert!(holds("simultaneous-open", &path.last().unwrap().0));
        assert!(steps(&path).all(|(_, a, _)| !matches!(a, Action::Lose(_) | Action::Tick)));
        // The shortest example has A skip SYN-RECEIVED; the figure takes one step more.
        assert_eq!(path.len() - 1, 6);
        if profile == Profile::Rfc9293 {
            insta::assert_snapshot!(diagram::render(&path, Format::Text));
        }
    }
}

/// Figure 8: an old SYN of A's first connection arrives at B's LISTEN while
/// A, in SYN-SENT, opens its second; A answers B's SYN,ACK with RST from
/// SYN-SENT, B returns to LISTEN, and A's new SYN opens the connection.
/// The figure needs a SYN that outlives its connection, which the default
/// preset's budgets do not allow; the search raises them and says so.
#[test]
fn stale_syn_rejected_is_figure_9() {
    let cfg = Config::new(Preset::Default, Profile::Rfc9293, None);
    let (shape, path) = found(&cfg, "stale-syn-rejected");
    assert_eq!(
        textbook::raised(&cfg, shape),
        ["--losses 2", "--delays 1", "--retries 2"]
    );
    let old_syn = steps(&path)
        .position(|(b, a, _)| {
            matches!(a, Action::Deliver(s) if s.ctl == Ctl::SYN
                && s.from == 0
                && s.g_inc < b.hosts[0].inc
                && b.hosts[0].state == St::SynSent
                && b.hosts[1].state == St::Listen)
        })
        .expect("an old duplicate SYN arrives at LISTEN while A is in SYN-SENT");
    let (b, a, after) = steps(&path).nth(old_syn + 1).unwrap();
    assert!(matches!(a, Action::Deliver(s) if s.ctl == Ctl::SYN | Ctl::ACK));
    assert_eq!(
        (b.hosts[0].state, after.hosts[0].state),
        (St::SynSent, St::SynSent)
    );
    assert!(after.net.iter().any(|s| s.from == 0 && s.ctl == Ctl::RST));
    assert!(states(&path)
        .any(|s| s.hosts[1].state == St::Listen && s.hosts[1].end == End::StaleRejected));
    let last = &path.last().unwrap().0;
    assert!(holds("three-way-handshake", last));
    assert_eq!(
        last.hosts[0].inc, 2,
        "A's second connection is the one established"
    );
    assert_eq!(path.len() - 1, 19);
    insta::assert_snapshot!(diagram::render(&path, Format::Text));
    // The quick preset has one OPEN per host, so no earlier connection:
    // the figure's world raises that too.
    let quick = Config::new(Preset::Quick, Profile::Rfc9293, None);
    assert!(textbook::raised(&quick, shape).contains(&"--opens 2".to_string()));
    found(&quick, "stale-syn-rejected");
}

/// Without TIME-WAIT, as textbooks tell it: A closes first, its last ACK is
/// lost, B retransmits its FIN from LAST-ACK, A (already CLOSED) answers
/// with RST, and B is reset: orderly-close is violated. A path of the
/// default preset's `no-time-wait` world.
#[test]
fn no_time_wait_is_the_lost_last_ack() {
    let cfg = Config::new(Preset::Default, Profile::Rfc9293, Some(Variant::NoTimeWait));
    let (shape, path) = found(&cfg, "no-time-wait");
    assert!(textbook::raised(&cfg, shape).is_empty());
    let lost = steps(&path)
        .position(|(b, a, _)| {
            matches!(a, Action::Lose(s) if s.from == 0 && s.ctl == Ctl::ACK)
                && b.hosts[0].state == St::Closed
                && b.hosts[1].state == St::LastAck
        })
        .expect("A's last ACK is lost");
    let rest: Vec<_> = steps(&path).skip(lost + 1).collect();
    assert!(rest
        .iter()
        .any(|(b, a, _)| *a == Action::Timeout(1) && b.hosts[1].state == St::LastAck));
    assert!(rest.iter().any(|(b, a, after)| {
        matches!(a, Action::Deliver(s) if s.from == 1 && s.ctl.has(Ctl::FIN))
            && b.hosts[0].state == St::Closed
            && after.net.iter().any(|s| s.from == 0 && s.ctl == Ctl::RST)
    }));
    let last = &path.last().unwrap().0;
    assert!(!holds("orderly-close", last));
    assert_eq!(
        (last.hosts[1].state, last.hosts[1].end),
        (St::Closed, End::Reset)
    );
    assert_eq!(path.len() - 1, 15);
    insta::assert_snapshot!(diagram::render(&path, Format::Text));
}

/// Each shape draws a scenario or a variant, and its last milestone is
/// where the path ends.
#[test]
fn every_shape_draws_a_scenario_or_a_variant() {
    for shape in textbook::SHAPES {
        let scenario = properties::by_name(shape.name)
            .is_some_and(|p| p.expectation == Expectation::Sometimes);
        let variant = shape.name.parse::<Variant>().is_ok();
        assert!(scenario != variant, "{}", shape.name);
        assert!(shape.figure.starts_with("RFC 9293"), "{}", shape.name);
        assert!(!shape.milestones.is_empty());
    }
}
