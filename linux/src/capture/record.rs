//! The segments of a [`Capture`] as `--json` records.

use serde::Serialize;

use super::{Capture, What};
use crate::driver::Direction;

/// One segment as it appears in `--json` output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentRecord {
    /// Microseconds since the capture started.
    pub t_us: u64,
    /// Which way it travelled.
    pub dir: Direction,
    /// tcpdump-style flags, e.g. `S.` for SYN+ACK.
    pub flags: String,
    /// SEG.SEQ relative to the sender's ISN.
    pub seq: u32,
    /// SEG.ACK relative to the receiver's ISN, if ACK is set.
    pub ack: Option<u32>,
    /// Octets of data.
    pub len: usize,
    /// SEG.WND.
    pub win: u16,
    /// The MSS option, if any.
    pub mss: Option<u16>,
    /// synfin-tcp's state after it.
    pub synfin_state: Option<String>,
    /// The kernel's state after it.
    pub kernel_state: Option<String>,
}

impl Capture {
    /// The segments as `--json` records.
    pub fn records(&self) -> Vec<SegmentRecord> {
        self.entries
            .iter()
            .filter_map(|e| match &e.what {
                What::Segment(dir, seg) => {
                    let (seq, ack) = self.relative(*dir, seg);
                    Some(SegmentRecord {
                        t_us: e.at_micros,
                        dir: *dir,
                        flags: format!("{}", seg.flags),
                        seq,
                        ack,
                        len: seg.payload.len(),
                        win: seg.window,
                        mss: seg.mss,
                        synfin_state: e.synfin_state.clone(),
                        kernel_state: e.kernel_state.clone(),
                    })
                }
                What::Call(..) => None,
            })
            .collect()
    }
}
