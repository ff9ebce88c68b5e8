//! [`TcpModel`]: the system of [`crate::system`] as a stateright
//! [`Model`], with the predicates of [`crate::properties`] as its
//! properties and the sequence diagram as the Explorer's picture.
//!
//! Two ways to run it. [`TcpModel::new`] gives stateright all 20
//! properties, so its checkers report a path per discovery (the tests use
//! this). [`TcpModel::tallying`] gives it one property that records, in a
//! shared bit set, which properties some state violates or shows: an
//! exhaustive run that only needs verdicts, as `synfin check` does; the
//! paths are searched for afterwards ([`crate::search`]).
//!
//! ```
//! use stateright::{Checker, Model};
//! use synfin_model::{Config, Preset, Profile, TcpModel};
//!
//! let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
//! let checker = TcpModel::new(cfg).checker().threads(1).spawn_dfs().join();
//! assert_eq!(checker.unique_state_count(), 164_005);
//! checker.assert_properties();
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use stateright::{Model, Property};

use crate::config::Config;
use crate::properties::{self, Expectation};
use crate::system::{Action, Sys};
use crate::{diagram, render};

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
    /// afterwards by [`crate::search::shortest`] and
    /// [`crate::search::examples`].
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
            if seen & bit == 0 && self.wanted(p.name) && p.hit(s) {
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

/// stateright takes a property's condition as a plain
/// `fn(&Model, &State)` pointer, which cannot capture the predicate; this
/// one reads it from [`properties::ALL`] by index.
fn condition<const I: usize>(_: &TcpModel, s: &Sys) -> bool {
    (properties::ALL[I].holds)(s)
}

/// One condition per property, in [`properties::ALL`] order: the array's
/// length makes a property without a condition a compile error.
const CONDITIONS: [fn(&TcpModel, &Sys) -> bool; properties::ALL.len()] = [
    condition::<0>,
    condition::<1>,
    condition::<2>,
    condition::<3>,
    condition::<4>,
    condition::<5>,
    condition::<6>,
    condition::<7>,
    condition::<8>,
    condition::<9>,
    condition::<10>,
    condition::<11>,
    condition::<12>,
    condition::<13>,
    condition::<14>,
    condition::<15>,
    condition::<16>,
    condition::<17>,
    condition::<18>,
    condition::<19>,
    condition::<20>,
    condition::<21>,
];

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
            .zip(CONDITIONS)
            .filter(|(p, _)| p.applies(&self.cfg) && self.wanted(p.name))
            .map(|(p, condition)| match p.expectation {
                Expectation::Always => Property::always(p.name, condition),
                Expectation::Sometimes => Property::sometimes(p.name, condition),
            })
            .collect()
    }

    fn format_action(&self, action: &Action) -> String {
        render::action(action)
    }

    /// The sequence diagram, with the first step that breaks a safety
    /// property marked.
    fn as_svg(&self, path: stateright::Path<Sys, Action>) -> Option<String> {
        Some(diagram::svg::explorer(
            self.only.as_deref(),
            &path.into_vec(),
        ))
    }
}
