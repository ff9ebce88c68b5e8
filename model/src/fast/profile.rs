//! Depth profiles: how many new states each breadth-first level of a
//! completed run found, kept on disk so that the next run of the same
//! world can estimate its total and size its visited set.
//!
//! A profile is a small text file named after the fingerprint of its key
//! (the caller's description of the world: configuration, properties,
//! version) in [`dir`]. While a run is at level `d`, its estimate is the
//! profile's total scaled by how the levels completed so far compare with
//! the profile's first `d` levels: exact when the model has not changed,
//! and still close when a change made every level a little wider.

use std::path::{Path, PathBuf};

use super::fingerprint::fingerprint;

/// New states per breadth-first level of a completed run.
#[derive(Clone, Debug, PartialEq)]
pub struct DepthProfile {
    /// What run this was (see the module doc).
    pub key: String,
    /// New states at depth 1 (the initial states), 2, …
    pub levels: Vec<u64>,
    /// Wall time of the search.
    pub seconds: f64,
}

/// Where profiles are kept: `$SYNFIN_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/synfin`, else `~/.cache/synfin`; then
/// `depth-profiles/`. `None` without a home directory.
pub fn dir() -> Option<PathBuf> {
    let base = if let Some(d) = std::env::var_os("SYNFIN_CACHE_DIR") {
        PathBuf::from(d)
    } else if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        PathBuf::from(d).join("synfin")
    } else {
        PathBuf::from(std::env::var_os("HOME")?)
            .join(".cache")
            .join("synfin")
    };
    Some(base.join("depth-profiles"))
}

fn file(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{:016x}.txt", fingerprint(key)))
}

impl DepthProfile {
    /// States in all levels.
    pub fn total(&self) -> u64 {
        self.levels.iter().sum()
    }

    /// The estimated total of a run that has completed `done` levels and
    /// visited `states` so far (see the module doc); never below `states`.
    pub fn estimate(&self, done: &[u64], states: u64) -> u64 {
        let d = done.len().min(self.levels.len());
        let then: u64 = self.levels[..d].iter().sum();
        let now: u64 = done[..d].iter().sum();
        let est = if d == 0 || then == 0 {
            self.total()
        } else {
            (self.total() as f64 * now as f64 / then as f64).round() as u64
        };
        est.max(states)
    }

    /// The profile stored in `dir` under `key`, if any (and readable).
    pub fn load(dir: &Path, key: &str) -> Option<DepthProfile> {
        let text = std::fs::read_to_string(file(dir, key)).ok()?;
        let mut lines = text.lines();
        let stored = lines.next()?.strip_prefix("key ")?;
        if stored != key {
            return None;
        }
        let seconds = lines.next()?.strip_prefix("seconds ")?.parse().ok()?;
        let levels = lines
            .map(|l| l.strip_prefix("level ")?.split_once(' ')?.1.parse().ok())
            .collect::<Option<Vec<u64>>>()?;
        Some(DepthProfile {
            key: key.to_string(),
            levels,
            seconds,
        })
    }

    /// Store the profile in `dir` (created if need be), replacing the one
    /// of the same key. Written to a temporary file and renamed, so a
    /// concurrent reader never sees half a profile.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut text = format!("key {}\nseconds {:.3}\n", self.key, self.seconds);
        for (i, n) in self.levels.iter().enumerate() {
            text += &format!("level {} {n}\n", i + 1);
        }
        let path = file(dir, &self.key);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_profile_loads_under_its_key_only() {
        let dir = std::env::temp_dir().join(format!("synfin-profile-test-{}", std::process::id()));
        let p = DepthProfile {
            key: "quick rfc9293 v1".into(),
            levels: vec![1, 4, 10, 3],
            seconds: 0.25,
        };
        p.save(&dir).unwrap();
        assert_eq!(DepthProfile::load(&dir, &p.key), Some(p.clone()));
        assert_eq!(DepthProfile::load(&dir, "quick rfc793 v1"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_estimate_scales_the_total_by_the_levels_done() {
        let p = DepthProfile {
            key: String::new(),
            levels: vec![10, 40, 100, 50],
            seconds: 1.0,
        };
        assert_eq!(p.estimate(&[], 0), 200);
        // Same model: the total.
        assert_eq!(p.estimate(&[10, 40], 90), 200);
        // Levels 10% wider: 10% more.
        assert_eq!(p.estimate(&[11, 44, 110], 170), 220);
        // Never less than already visited.
        assert_eq!(p.estimate(&[10, 40, 100, 50], 300), 300);
    }
}
