//! The `synfin-trace/1` format as conformance reads it, parsed once into
//! types (documented in the book's trace-format chapter). These types are
//! written independently of the model's writer: the two crates share the
//! format, not code. What they serialise is byte for byte what the model
//! wrote (`tests/trace_format.rs` holds them to it), so a reader that
//! misreads a field cannot pass unnoticed.
//!
//! - [`Trace`], [`TraceConfig`], [`Step`]: a trace and its steps;
//! - [`Input`] and [`Call`]: what happens at a step;
//! - [`Observation`] and [`TcbVars`]: a host after a step, with its
//!   [`State`], [`Segment`]s (whose [`Flags`] are a typed set) and
//!   [`Event`]s;
//! - [`HostId`]: A or B;
//! - [`Cover`]: the cover manifest;
//! - [`parse_trace`], [`parse_cover`], [`to_json`]: reading and writing,
//!   and [`BadInput`], what a malformed file is refused with;
//! - [`Suite`]: the traces and manifests under some paths.

mod config;
mod cover;
mod event;
mod flags;
mod host;
mod input;
mod observation;
mod parse;
mod segment;
mod state;
mod suite;

use serde::{Deserialize, Serialize};

pub use config::{Profile, TraceConfig};
pub use cover::{Budgets, Cover};
pub use event::Event;
pub use flags::Flags;
pub use host::HostId;
pub use input::{Call, Input};
pub use observation::{Observation, TcbVars};
pub use parse::{parse_cover, parse_trace, to_json, BadInput};
pub use segment::Segment;
pub use state::State;
pub use suite::Suite;

/// The only trace version this reader accepts.
pub const FORMAT: &str = "synfin-trace/1";
/// The cover manifest's version.
pub const COVER_FORMAT: &str = "synfin-cover/1";

/// A trace: the model configuration and the steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// `synfin-trace/1`.
    pub format: String,
    /// `depth`, `cover`, `random`, `scenario` and the like.
    pub origin: String,
    /// Model configuration and timing constants.
    pub config: TraceConfig,
    /// The steps.
    pub steps: Vec<Step>,
}

/// One step: an input and both hosts after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Ticks elapsed before the step.
    pub tick: u32,
    /// The input.
    pub input: Input,
    /// The model transition key, if an endpoint acts.
    pub key: Option<String>,
    /// Host A after the step.
    #[serde(rename = "A")]
    pub a: Observation,
    /// Host B after the step.
    #[serde(rename = "B")]
    pub b: Observation,
}

impl Step {
    /// Host `h` after the step.
    pub fn host(&self, h: HostId) -> &Observation {
        match h {
            HostId::A => &self.a,
            HostId::B => &self.b,
        }
    }
}
