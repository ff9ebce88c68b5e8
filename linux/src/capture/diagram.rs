//! A [`Capture`] drawn as a two-column diagram: time, synfin-tcp's state,
//! each segment as an arrow between the columns, the kernel's state.

use std::fmt::Write as _;

use synfin_tcp::wire::Segment;

use super::{Capture, Side, What};
use crate::driver::Direction;

impl Capture {
    /// The one-line label of a segment: flags, relative seq and ack, data
    /// length, and the MSS option if present.
    pub fn label(&self, dir: Direction, seg: &Segment) -> String {
        let (seq, ack) = self.relative(dir, seg);
        let mut l = format!("[{}] seq={seq}", seg.flags);
        if let Some(ack) = ack {
            let _ = write!(l, " ack={ack}");
        }
        let _ = write!(l, " len={}", seg.payload.len());
        if let Some(mss) = seg.mss {
            let _ = write!(l, " mss={mss}");
        }
        l
    }

    /// The two-column diagram: time, synfin-tcp's state, the segment as an
    /// arrow, the kernel's state. A state is printed when it changes.
    pub fn diagram(&self) -> String {
        const STATE_W: usize = 13;
        let labels: Vec<String> = self
            .entries
            .iter()
            .map(|e| match &e.what {
                What::Segment(d, s) => self.label(*d, s),
                What::Call(_, c) => c.clone(),
            })
            .collect();
        let arrow_w = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) + 8;
        let mut out = String::new();
        let left = format!("synfin-tcp {}", self.synfin);
        let right = format!("kernel {}", self.kernel);
        let _ = writeln!(
            out,
            "{:>9}  {left:<w$}{right}",
            "ms",
            w = STATE_W + 1 + arrow_w + 1
        );
        let (mut last_l, mut last_k) = (None, None);
        for (e, label) in self.entries.iter().zip(&labels) {
            let show = |cur: &Option<String>, last: &mut Option<String>| -> String {
                let s = if cur != last {
                    cur.clone().unwrap_or_else(|| "-".into())
                } else {
                    String::new()
                };
                last.clone_from(cur);
                s
            };
            let l = show(&e.synfin_state, &mut last_l);
            let k = show(&e.kernel_state, &mut last_k);
            let pad = arrow_w - label.chars().count();
            let middle = match &e.what {
                What::Segment(Direction::ToKernel, _) => {
                    format!("──{label} {}▶", "─".repeat(pad - 4))
                }
                What::Segment(Direction::FromKernel, _) => {
                    format!("◀{} {label}──", "─".repeat(pad - 4))
                }
                What::Call(Side::Synfin, _) => format!("{label}{}", " ".repeat(pad)),
                What::Call(Side::Kernel, _) => format!("{}{label}", " ".repeat(pad)),
            };
            let _ = writeln!(
                out,
                "{:>9.3}  {l:<STATE_W$} {middle} {k}",
                e.at_micros as f64 / 1000.0
            );
            // Trim trailing spaces of rows without a kernel state.
            while out.ends_with(" \n") {
                out.truncate(out.len() - 2);
                out.push('\n');
            }
        }
        out
    }
}
