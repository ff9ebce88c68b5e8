//! The cover manifest: every transition the model can take in one world.

use serde::{Deserialize, Serialize};

use super::config::TraceConfig;

/// The cover manifest (`cover.json`, `synfin-cover/1`) written by `synfin
/// export --cover transitions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cover {
    /// `synfin-cover/1`.
    pub format: String,
    /// The configuration explored.
    pub config: TraceConfig,
    /// Reachable states.
    pub states: usize,
    /// Every reachable transition key.
    pub keys: Vec<String>,
    /// The budgets of the world explored (absent in manifests written
    /// before `synfin export` recorded them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budgets: Option<Budgets>,
}

/// What a schedule may do in the world a cover manifest explored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budgets {
    /// OPENs per host (incarnations).
    pub opens: u8,
    /// Whether B may also actively open (A only connects; B listens).
    pub b_connects: bool,
    /// Data bytes each host may send per incarnation, A and B.
    pub bytes: [u8; 2],
    /// Segments the network may lose.
    pub losses: u8,
    /// Segments the network may duplicate.
    pub dups: u8,
    /// Segments of any kind (bare ACK and RST too) the network may hold past a tick.
    pub delays: u8,
    /// ABORT calls (A's application, in ESTABLISHED, unless `abort_anywhere`).
    pub aborts: u8,
    /// Either host may ABORT, in any state with a TCB (absent means false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abort_anywhere: bool,
    /// Host crashes.
    pub crashes: u8,
    /// ISN clock numbers per tick.
    pub isn_rate: u8,
    /// Ticks after which the ISN clock saturates.
    pub clock_cap: u8,
}
