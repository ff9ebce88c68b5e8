//! synfin-model: an exhaustively checked stateright model of TCP connection
//! management (RFC 9293).
//!
//! Two hosts, A and B, share one 4-tuple for a bounded number of
//! incarnations. Each has an RFC 9293 TCB ([`tcb::Host`]); the network is a
//! multiset of segments that may be delivered in any order, lost or
//! duplicated under budgets, and that die once MSL ticks old. Time moves in
//! ticks while a timer runs. [`properties`] lists what is checked;
//! [`config::Variant`] lists the broken designs whose counterexamples show
//! why TCP is built the way it is.
#![warn(missing_docs)]

mod arrive;
pub mod check;
pub mod config;
pub mod diagram;
pub mod explore;
pub mod properties;
pub mod render;
pub mod segment;
pub mod system;
pub mod tcb;
pub mod trace;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use stateright::{Model, Property};

pub use config::{Config, Preset, Profile, Variant};
pub use system::{Action, Sys};

/// The stateright model: a configuration and, optionally, only some properties.
#[derive(Clone, Debug)]
pub struct TcpModel {
    /// What to check.
    pub cfg: Config,
    /// Restrict to these properties (all when `None`).
    pub only: Option<Vec<&'static str>>,
    /// Tally mode (see [`TcpModel::tallying`]): bit `i` is set once some
    /// state violates (safety) or shows (scenario) `properties::ALL[i]`.
    pub tally: Option<Arc<AtomicU32>>,
}

impl TcpModel {
    /// The model with every property.
    pub fn new(cfg: Config) -> TcpModel {
        TcpModel {
            cfg,
            only: None,
            tally: None,
        }
    }

    /// The model for an exhaustive run that only needs verdicts: it gives
    /// stateright one property, `tally`, that evaluates every property on
    /// each state and records hits in the shared bit set. Stateright 0.31
    /// keeps a `DashMap` of discoveries that it looks up once per property
    /// per state, and writes (cloning the path) every time a scenario holds
    /// again; with 18 properties that was 40% of the run. Paths are found
    /// afterwards by [`check::shortest`] and [`check::examples`].
    pub fn tallying(cfg: Config) -> (TcpModel, Arc<AtomicU32>) {
        let tally = Arc::new(AtomicU32::new(0));
        let model = TcpModel {
            tally: Some(tally.clone()),
            ..TcpModel::new(cfg)
        };
        (model, tally)
    }

    fn wanted(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(&name))
    }

    /// Record in the tally the properties `s` violates or shows. Always
    /// true: the single property of tally mode never stops the search.
    fn record(&self, s: &Sys) -> bool {
        let Some(tally) = &self.tally else {
            return true;
        };
        let seen = tally.load(Ordering::Relaxed);
        let mut hits = 0;
        for (i, p) in properties::ALL.iter().enumerate() {
            let bit = 1 << i;
            if seen & bit == 0
                && self.wanted(p.name)
                && (p.holds)(self, s) != (p.expectation == properties::Expectation::Always)
            {
                hits |= bit;
            }
        }
        // Written only when something is new: a shared write per state
        // would bounce the cache line between checker threads.
        if hits != 0 {
            tally.fetch_or(hits, Ordering::Relaxed);
        }
        true
    }
}

// The tally has one bit per property.
const _: () = assert!(properties::ALL.len() <= 32);

impl Model for TcpModel {
    type State = Sys;
    type Action = Action;

    fn init_states(&self) -> Vec<Sys> {
        vec![Sys::initial(&self.cfg)]
    }

    fn actions(&self, state: &Sys, actions: &mut Vec<Action>) {
        state.actions(&self.cfg, actions);
    }

    fn next_state(&self, last: &Sys, action: Action) -> Option<Sys> {
        let mut next = last.clone();
        next.step(&self.cfg, action);
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        if self.tally.is_some() {
            return vec![Property::always("tally", |m: &TcpModel, s: &Sys| {
                m.record(s)
            })];
        }
        properties::ALL
            .iter()
            .filter(|p| self.wanted(p.name))
            .map(|p| match p.expectation {
                properties::Expectation::Always => Property::always(p.name, p.holds),
                properties::Expectation::Sometimes => Property::sometimes(p.name, p.holds),
            })
            .collect()
    }

    fn format_action(&self, action: &Action) -> String {
        render::action(action)
    }

    fn as_svg(&self, path: stateright::Path<Sys, Action>) -> Option<String> {
        Some(diagram::render(&path.into_vec(), diagram::Format::Svg))
    }
}
