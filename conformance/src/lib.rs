//! synfin-conformance: replays `synfin-trace/1` traces exported by the
//! model against a TCP implementation and reports the first divergence.
//!
//! - [`trace`]: the trace format, parsed once into types (documented in
//!   the book's trace-format chapter);
//! - [`target`]: the contract a TCP under test implements, the
//!   [`target::Target`] trait, and synfin-tcp as the reference target;
//! - [`replay`]: the one replay engine: numbering, comparison policies,
//!   verdicts, coverage, speed;
//! - [`report`]: a summary as `synfin-conform` prints it;
//! - [`gate`]: the CI gate: JUnit XML, a Markdown job summary, and an
//!   expectations file of accepted divergences;
//! - [`pkt`]: packetdrill scripts, parsed and run against a target;
//! - [`pcap`]: a replay as a pcapng capture, expected and observed
//!   streams side by side, for Wireshark;
//! - [`pcap_check`]: one connection of a capture explained by the model,
//!   as far as it can be, and the rule that stops it;
//! - [`oracle`]: the model's transition key, computed from an
//!   implementation step (the refinement oracle's abstraction);
//! - `kernel` (Linux only): the Linux kernel as a target.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod gate;
#[cfg(target_os = "linux")]
pub mod kernel;
pub mod oracle;
pub mod pcap;
pub mod pcap_check;
pub mod pkt;
pub mod replay;
pub mod report;
pub mod target;
pub mod trace;
