//! Writing traces: one pretty-printed JSON file per trace, named by a hash
//! of its content (so equal traces are one file) or by scenario, and the
//! cover manifest beside them.

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;

use super::format::{Cover, Trace};

/// FNV-1a, 64 bits: names trace files by content.
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A trace or manifest as written: pretty-printed JSON and a newline.
pub fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("traces and manifests serialize") + "\n"
}

/// Write each trace as `<hash>.json` in `dir` (created); returns the file
/// count.
pub fn write_traces(dir: &Path, traces: &[Trace]) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut names = HashSet::new();
    for t in traces {
        let text = to_json(t);
        let file = format!("{:016x}.json", content_hash(text.as_bytes()));
        std::fs::write(dir.join(&file), text)?;
        names.insert(file);
    }
    Ok(names.len())
}

/// Write each trace as `<name>.json` in `dir` (created).
pub fn write_named(dir: &Path, traces: &[(&str, Trace)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, t) in traces {
        std::fs::write(dir.join(format!("{name}.json")), to_json(t))?;
    }
    Ok(())
}

/// Write the cover manifest as `cover.json` in `dir`.
pub fn write_cover(dir: &Path, cover: &Cover) -> std::io::Result<()> {
    std::fs::write(dir.join("cover.json"), to_json(cover))
}
