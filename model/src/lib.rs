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
}

impl TcpModel {
    /// The model with every property.
    pub fn new(cfg: Config) -> TcpModel {
        TcpModel { cfg, only: None }
    }
}

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
        properties::ALL
            .iter()
            .filter(|p| self.only.as_ref().is_none_or(|only| only.contains(&p.name)))
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
