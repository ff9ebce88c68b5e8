//! Conformance traces (`synfin-trace/1`): the model's paths written as
//! inputs and what each endpoint looks like after each, for
//! `synfin-conformance` to replay against an implementation.
//!
//! A trace is the model configuration plus a list of steps; each step is
//! one action and what the model says each endpoint looks like after it:
//! state, ISS, timer, the segments it emitted, bytes delivered, end of
//! stream and application events. One noun per module:
//!
//! - [`mod@format`]: the types a trace serializes from (the format itself);
//! - [`observe`]: what a step shows, and [`record`] a path as a trace;
//! - [`paths`]: which paths to export (depth, random, cover, scenarios);
//! - [`mod@write`]: the files;
//! - [`pkt`]: a trace as the packetdrill script that tests one of its hosts.
//!
//! ```
//! use synfin_model::{trace, Config, Preset, Profile};
//!
//! let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
//! let t = trace::record(&cfg, "depth", &trace::depth_paths(&cfg, 2)[0]);
//! assert_eq!(t.format, trace::FORMAT);
//! assert_eq!(t.steps.len(), 2);
//! ```

pub mod format;
pub mod observe;
pub mod paths;
pub mod pkt;
pub mod write;

pub use format::{
    budgets, trace_config, tseg, Budgets, Cover, HostObs, Input, Step, TSeg, TcbObs, Trace,
    TraceConfig, COVER_FORMAT, FORMAT,
};
pub use observe::{record, tcb_obs, transition_key};
pub use paths::{cover_paths, depth_paths, random_paths, scenario_paths};
pub use write::{content_hash, to_json, write_cover, write_named, write_traces};
