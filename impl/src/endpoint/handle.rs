//! [`ConnHandle`]: the name of one connection of an endpoint.

/// Names one connection of an [`Endpoint`](super::Endpoint). Handles are never reused: a
/// slot that is freed and taken again gets a new generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnHandle {
    pub(super) index: u32,
    pub(super) generation: u32,
}
