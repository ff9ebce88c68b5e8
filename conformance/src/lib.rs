//! synfin-conformance: replays `synfin-trace/1` traces exported by the
//! model against a TCP implementation and reports the first divergence.
//!
//! - [`trace`]: the trace format (documented in `TRACE-FORMAT.md`);
//! - [`target`]: the [`target::ConformanceTarget`] trait and synfin-tcp as
//!   an in-memory pair;
//! - [`replay`]: step-by-step comparison, ISN bases, coverage;
//! - [`oracle`]: the model's transition key, computed from an
//!   implementation step (the refinement oracle's abstraction).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(target_os = "linux")]
pub mod kernel;
pub mod oracle;
pub mod replay;
pub mod target;
pub mod trace;
