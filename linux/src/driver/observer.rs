//! What the [`Driver`](super::Driver) tells an onlooker: every segment it
//! moves, and which way.

use serde::Serialize;
use synfin_tcp::wire::Segment;

use super::stack::Stack;

/// Which way a segment travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent by synfin-tcp, received by the kernel.
    ToKernel,
    /// Sent by the kernel, received by synfin-tcp.
    FromKernel,
}

/// Sees every segment the [`Driver`](super::Driver) moves, right after the
/// receiving side acted on it: after the kernel processed a segment written
/// to the device (the write is synchronous), and after the stack handled a
/// segment read from it. The demo samples both sides' states here.
pub trait Observer<S: Stack> {
    /// `seg` crossed the device in direction `dir`.
    fn segment(&mut self, stack: &S, dir: Direction, seg: &Segment);
}

/// An observer that looks at nothing.
impl<S: Stack> Observer<S> for () {
    fn segment(&mut self, _stack: &S, _dir: Direction, _seg: &Segment) {}
}
