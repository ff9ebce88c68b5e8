//! The palette: one colour per kind of segment and per kind of text, shared
//! by the arrows, their badges, the legend and the writer, so that a legend
//! sample is drawn in the colour of what it explains.

/// An ordinary segment.
pub const SEGMENT: &str = "#222222";
/// A lost segment and the broken property.
pub const LOST: &str = "#c62828";
/// A duplicate copy.
pub const DUP: &str = "#7b1fa2";
/// A segment held past a tick.
pub const LATE: &str = "#d35400";
/// A segment of an earlier incarnation.
pub const OLD: &str = "#757575";
/// A segment that died of age.
pub const EXPIRED: &str = "#9e9e9e";
/// A segment still in flight.
pub const FLIGHT: &str = "#37474f";
/// Application calls and timers.
pub const CALL: &str = "#1565c0";
/// State names.
pub const STATE: &str = "#0d2b45";
/// Step numbers, ticks, lifelines.
pub const QUIET: &str = "#8a8a8a";
/// The band behind the broken step.
pub const BAND: &str = "#fde4e4";
