//! The model configuration a trace was exported under.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which RFC the model followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Profile {
    /// RFC 9293 with RFC 5961 challenge ACKs and RFC 1337's TIME-WAIT
    /// assassination fix F1.
    #[serde(rename = "rfc9293")]
    Rfc9293,
    /// RFC 793 as written.
    #[serde(rename = "rfc793")]
    Rfc793,
}

impl Profile {
    /// Both profiles.
    pub const ALL: [Profile; 2] = [Profile::Rfc9293, Profile::Rfc793];

    /// `rfc9293` or `rfc793`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Rfc9293 => "rfc9293",
            Profile::Rfc793 => "rfc793",
        }
    }

    /// The profile spelt `name`.
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The model configuration and timing constants: what a target configures
/// itself from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceConfig {
    /// Preset name: `quick`, `default`, `deep`.
    pub preset: String,
    /// The RFC the model followed.
    pub profile: Profile,
    /// Seconds per tick.
    pub tick_seconds: u64,
    /// Initial RTO in ticks, doubled per retry.
    pub rto: u8,
    /// MSL in ticks.
    pub msl: u8,
    /// TIME-WAIT in ticks.
    pub time_wait: u8,
    /// Retransmissions before giving up.
    pub retries: u8,
    /// Receive window in sequence numbers.
    pub window: u8,
    /// Challenge-ACK rate limit (`null`: none).
    pub challenge_ack_limit: Option<u32>,
    /// The model's absolute ISN bases of A and B (where a literal-zero
    /// RST,ACK lies relative to its sender: `-model_isn_bases[sender]`).
    pub model_isn_bases: [i64; 2],
}

impl TraceConfig {
    /// One tick of implementation time.
    pub fn tick(&self) -> Duration {
        Duration::from_secs(self.tick_seconds)
    }

    /// `n` ticks of implementation time.
    pub fn ticks(&self, n: u8) -> Duration {
        self.tick() * u32::from(n)
    }
}
