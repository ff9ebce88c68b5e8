//! Textbook-shaped examples: the shortest path of the model that has the
//! shape a textbook figure draws, where the shortest path overall does not.
//!
//! The shortest example of simultaneous open, for instance, has one host
//! go straight from SYN-SENT to ESTABLISHED on the other's SYN,ACK; RFC
//! 9293's Figure 7 has both SYNs cross and both hosts pass SYN-RECEIVED.
//! Both are paths of the model. A [`Shape`] says what the figure's path
//! does as [`Milestone`]s, predicates on a step that the path must pass in
//! order (other steps may come between them), the last one at its last
//! step. [`search()`] finds the shortest such path by breadth-first search of
//! the model's states paired with the number of milestones passed, so the
//! path is found, not written by hand, and it is a path of the same model
//! every other command checks.
//!
//! ```
//! use synfin_model::{textbook, Config, Preset, Profile};
//!
//! let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
//! let shape = textbook::for_name("simultaneous-open").unwrap();
//! let (path, world) = textbook::search(&cfg, shape).unwrap();
//! assert_eq!(world, cfg, "a path of the quick preset itself");
//! // Figure 7: two connects, two SYNs, two SYN,ACKs.
//! assert_eq!(path.len() - 1, 6);
//! assert_eq!(textbook::passes(shape, &path).unwrap().len(), shape.milestones.len());
//! ```

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::config::Config;
use crate::properties;
use crate::search::{self, Path};
use crate::segment::Ctl;
use crate::system::{Action, Sys, A, B};
use crate::tcb::St;

/// What a textbook figure's path does.
pub struct Shape {
    /// The scenario (`synfin show`) or variant (`synfin explain`) it draws.
    pub name: &'static str,
    /// Where the figure is.
    pub figure: &'static str,
    /// What the figure shows, in a sentence.
    pub about: &'static str,
    /// The figure's world, from the one asked for: what the figure does
    /// not use (data, ABORT, faults it has none of) is switched off, which
    /// only restricts the world and keeps the search small; what it needs
    /// and the preset may lack is raised to what it needs.
    pub world: fn(&mut Config),
    /// What the path must do, in order; the last at its last step.
    pub milestones: &'static [Milestone],
}

/// One thing a textbook path does: a predicate on a step.
pub struct Milestone {
    /// What happens, for the legend under the diagram.
    pub what: &'static str,
    /// Does the step from `before` by `action` to `after` do it?
    pub step: fn(before: &Sys, action: Action, after: &Sys) -> bool,
}

/// Every textbook shape, in `synfin list` order of what they draw.
pub const SHAPES: &[Shape] = &[
    Shape {
        name: "simultaneous-open",
        figure: "RFC 9293 §3.5 Figure 7",
        about: "both SYNs cross, both hosts pass SYN-RECEIVED, and each SYN,ACK completes a side",
        world: |c| {
            quiet(c);
            c.losses = 0;
        },
        milestones: &[
            Milestone {
                what: "both hosts in SYN-SENT: the two SYNs are in flight",
                step: |_, _, s| both(s, |h| h.state == St::SynSent),
            },
            Milestone {
                what: "both hosts in SYN-RECEIVED: each got the other's SYN",
                step: |_, _, s| both(s, |h| h.state == St::SynReceived),
            },
            Milestone {
                what: "both ESTABLISHED on the other's SYN,ACK",
                step: |_, _, s| holds("simultaneous-open", s),
            },
        ],
    },
    Shape {
        name: "stale-syn-rejected",
        figure: "RFC 9293 §3.5 Figure 8",
        about: "an old duplicate SYN from A's earlier connection reaches B's LISTEN while A \
                opens a new one; A, in SYN-SENT, answers B's SYN,ACK with RST, B returns to \
                LISTEN, and A's new SYN then opens the connection",
        // An old SYN outlives its connection only if A retransmitted it
        // late (the ISN clock keeps A from reopening for longer than an
        // older copy lives): two losses, a delay and two retries.
        world: |c| {
            quiet(c);
            c.b_connects = false;
            c.opens = c.opens.max(2);
            c.losses = c.losses.max(2);
            c.delays = c.delays.max(1);
            c.retries = c.retries.max(2);
        },
        milestones: &[
            Milestone {
                what: "an old SYN of A's arrives at LISTEN while A, in SYN-SENT, opens anew",
                step: |b, a, _| {
                    arrival(a).is_some_and(|s| {
                        s.from as usize == A
                            && s.ctl == Ctl::SYN
                            && s.g_inc < b.hosts[A].inc
                            && b.hosts[A].state == St::SynSent
                            && b.hosts[B].state == St::Listen
                    })
                },
            },
            Milestone {
                what: "A, in SYN-SENT, answers B's SYN,ACK with RST",
                step: |b, a, s| {
                    arrival(a).is_some_and(|g| g.from as usize == B && g.ctl == Ctl::SYN | Ctl::ACK)
                        && b.hosts[A].state == St::SynSent
                        && emitted(b, s, A, Ctl::RST)
                },
            },
            Milestone {
                what: "the RST sends B back to LISTEN",
                step: |_, _, s| holds("stale-syn-rejected", s),
            },
            Milestone {
                what: "A connects anew and both are ESTABLISHED",
                step: |_, _, s| holds("three-way-handshake", s),
            },
        ],
    },
    Shape {
        name: "time-wait-reopen",
        figure: "RFC 9293 §3.6 Figure 12, then §3.6.1 MAY-2",
        about: "B closes first and waits in TIME-WAIT; A, CLOSED through LAST-ACK, connects \
                again; B's TIME-WAIT takes the SYN before its 2·MSL is over, and the new \
                connection is ESTABLISHED",
        // Two losses: without a loss, time passes only once the connection
        // is over, and A's ISN clock (`Host::may_reuse`) lets it open again
        // only when B's 2·MSL is up. Each lost segment's retransmission
        // wait moves A's clock on before the close.
        world: |c| {
            quiet(c);
            c.b_connects = false;
            c.losses = 2;
            c.opens = c.opens.max(2);
        },
        milestones: &[
            Milestone {
                what: "B closes first, from ESTABLISHED",
                step: |b, a, _| a == Action::Close(B) && b.hosts[B].state == St::Established,
            },
            Milestone {
                what: "A leaves LAST-ACK for CLOSED; B is in TIME-WAIT",
                step: |b, _, s| {
                    b.hosts[A].state == St::LastAck
                        && s.hosts[A].state == St::Closed
                        && s.hosts[B].state == St::TimeWait
                },
            },
            Milestone {
                what: "A connects again while B is still in TIME-WAIT",
                step: |b, a, _| a == Action::Connect(A) && b.hosts[B].state == St::TimeWait,
            },
            Milestone {
                what: "B's TIME-WAIT, with time left, takes the SYN (MAY-2): SYN-RECEIVED",
                step: |_, _, s| holds("time-wait-reopen", s),
            },
            Milestone {
                what: "both ESTABLISHED: the new connection",
                step: |_, _, s| holds("three-way-handshake", s),
            },
        ],
    },
    Shape {
        name: "no-time-wait",
        figure: "RFC 9293 §3.6 Figure 12, without TIME-WAIT",
        about: "A closes first; its last ACK is lost; B retransmits its FIN; A, already \
                CLOSED, answers with RST and B is reset instead of closing in order",
        world: |c| {
            quiet(c);
            c.b_connects = false;
            c.opens = 1;
            c.losses = c.losses.max(1);
        },
        milestones: &[
            Milestone {
                what: "A closes first, from ESTABLISHED",
                step: |b, a, _| a == Action::Close(A) && b.hosts[A].state == St::Established,
            },
            Milestone {
                what: "A's last ACK, for B's FIN, is lost",
                step: |b, a, _| match a {
                    Action::Lose(s) => {
                        s.from as usize == A
                            && s.ctl == Ctl::ACK
                            && b.hosts[A].state == St::Closed
                            && b.hosts[B].state == St::LastAck
                            && s.ack == b.hosts[B].snd_nxt
                    }
                    _ => false,
                },
            },
            Milestone {
                what: "B, in LAST-ACK, retransmits its FIN",
                step: |b, a, _| a == Action::Timeout(B) && b.hosts[B].state == St::LastAck,
            },
            Milestone {
                what: "A, CLOSED, answers the FIN with RST",
                step: |b, a, s| {
                    arrival(a).is_some_and(|g| g.from as usize == B && g.ctl.has(Ctl::FIN))
                        && b.hosts[A].state == St::Closed
                        && emitted(b, s, A, Ctl::RST)
                },
            },
            Milestone {
                what: "the RST resets B: orderly-close is violated",
                step: |_, _, s| !holds("orderly-close", s),
            },
        ],
    },
];

/// The textbook shape of a scenario or variant, if it has one.
pub fn for_name(name: &str) -> Option<&'static Shape> {
    SHAPES.iter().find(|s| s.name == name)
}

/// No data, ABORT, duplication or crash: textbook figures of connection
/// management have none.
fn quiet(c: &mut Config) {
    c.bytes = [0, 0];
    c.aborts = 0;
    c.dups = 0;
    c.crashes = 0;
}

fn both(s: &Sys, f: impl Fn(&crate::tcb::Host) -> bool) -> bool {
    s.hosts.iter().all(f)
}

fn holds(property: &str, s: &Sys) -> bool {
    properties::by_name(property).is_some_and(|p| (p.holds)(s))
}

/// The segment an action delivers (a copy of, for a duplication).
fn arrival(a: Action) -> Option<crate::segment::Seg> {
    match a {
        Action::Deliver(s) | Action::Duplicate(s) => Some(s),
        _ => None,
    }
}

/// Did host `h` emit a segment with exactly `ctl` in the step?
fn emitted(before: &Sys, after: &Sys, h: usize, ctl: Ctl) -> bool {
    let count = |s: &Sys| {
        s.net
            .iter()
            .filter(|g| g.from as usize == h && g.ctl == ctl && g.age == 0)
            .count()
    };
    count(after) > count(before)
}

/// Where `path` passes each milestone of `shape`, as step numbers (the
/// first step is 1), taking each at its first chance; `None` unless it
/// passes them all, the last at its last step.
pub fn passes(shape: &Shape, path: &[(Sys, Option<Action>)]) -> Option<Vec<usize>> {
    let mut at = Vec::new();
    for (i, w) in path.windows(2).enumerate() {
        let (before, action) = (&w[0].0, w[0].1?);
        if let Some(m) = shape.milestones.get(at.len()) {
            if (m.step)(before, action, &w[1].0) {
                at.push(i + 1);
            }
        }
    }
    (at.len() == shape.milestones.len() && at.last() == Some(&(path.len() - 1))).then_some(at)
}

/// The figure's world for `cfg` (see [`Shape::world`]).
pub fn world(cfg: &Config, shape: &Shape) -> Config {
    let mut world = cfg.clone();
    (shape.world)(&mut world);
    world
}

/// The budgets the figure's world for `cfg` raises above `cfg`'s, as
/// command-line flags (`--losses 2`): empty when the path is also a path
/// of `cfg`.
pub fn raised(cfg: &Config, shape: &Shape) -> Vec<String> {
    let w = world(cfg, shape);
    [
        ("opens", cfg.opens, w.opens),
        ("losses", cfg.losses, w.losses),
        ("dups", cfg.dups, w.dups),
        ("delays", cfg.delays, w.delays),
        ("aborts", cfg.aborts, w.aborts),
        ("crashes", cfg.crashes, w.crashes),
        ("retries", cfg.retries, w.retries),
    ]
    .into_iter()
    .filter(|(_, asked, used)| used > asked)
    .map(|(name, _, used)| format!("--{name} {used}"))
    .collect()
}

/// The shortest path with `shape` in the figure's [`world`] for `cfg`,
/// with the configuration it is a path of: `cfg` itself where the path
/// replays there (always, when the figure's world only restricts `cfg`),
/// else the figure's world. `None` if the figure's world has no such path.
pub fn search(cfg: &Config, shape: &Shape) -> Option<(Path, Config)> {
    let world = world(cfg, shape);
    let path = shortest(&world, shape)?;
    let actions: Vec<Action> = path.iter().filter_map(|(_, a)| *a).collect();
    Some(match search::replay(cfg, &actions) {
        Some(replayed) => (replayed, cfg.clone()),
        None => (path, world),
    })
}

/// Breadth-first search of (state, milestones passed) pairs in the model's
/// action order: the first step that passes the last milestone ends the
/// shortest path with the shape.
fn shortest(cfg: &Config, shape: &Shape) -> Option<Path> {
    let n = shape.milestones.len();
    let key = |s: &Sys, passed: usize| {
        let mut h = DefaultHasher::new();
        s.hash(&mut h);
        passed.hash(&mut h);
        h.finish()
    };
    let init = Sys::initial(cfg);
    let root = key(&init, 0);
    // key -> (parent key, action index from the parent)
    let mut parent: HashMap<u64, (u64, u32)> = HashMap::new();
    parent.insert(root, (root, u32::MAX));
    let mut frontier = vec![(init, 0)];
    let mut actions = Vec::new();
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for (state, passed) in frontier {
            let k = key(&state, passed);
            actions.clear();
            state.actions(cfg, &mut actions);
            for (i, &a) in actions.iter().enumerate() {
                let mut succ = state.clone();
                succ.step(cfg, a);
                let now = passed + usize::from((shape.milestones[passed].step)(&state, a, &succ));
                if now == n {
                    let mut indices = vec![i as u32];
                    let mut at = k;
                    while let Some(&(p, j)) = parent.get(&at) {
                        if j == u32::MAX {
                            break;
                        }
                        indices.push(j);
                        at = p;
                    }
                    indices.reverse();
                    return Some(search::by_indices(cfg, &indices));
                }
                if let Entry::Vacant(e) = parent.entry(key(&succ, now)) {
                    e.insert((k, i as u32));
                    next.push((succ, now));
                }
            }
        }
        frontier = next;
    }
    None
}
