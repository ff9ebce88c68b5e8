//! The traces and cover manifests found under some paths.

use std::path::{Path, PathBuf};

use super::parse::{parse_cover, parse_trace, BadInput};
use super::{Cover, Profile, Trace};

/// Traces and cover manifests found under the given paths.
#[derive(Clone, Debug, Default)]
pub struct Suite {
    /// Trace files and their traces, sorted by path.
    pub traces: Vec<(PathBuf, Trace)>,
    /// Cover manifests, sorted by path.
    pub covers: Vec<(PathBuf, Cover)>,
}

impl Suite {
    /// Loads every `*.json` under `paths` (files or directories,
    /// recursively); files named `cover.json` are cover manifests. The
    /// first malformed file stops it, named with its field.
    pub fn load(paths: &[PathBuf]) -> Result<Suite, BadInput> {
        let mut files = Vec::new();
        for p in paths {
            walk(p, &mut files)?;
        }
        files.sort();
        let mut suite = Suite::default();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| BadInput(format!("{}: cannot read: {e}", f.display())))?;
            if f.file_name().is_some_and(|n| n == "cover.json") {
                suite.covers.push((f.clone(), parse_cover(&f, &text)?));
            } else {
                suite.traces.push((f.clone(), parse_trace(&f, &text)?));
            }
        }
        Ok(suite)
    }

    /// The traces of `profile` (all with `None`).
    pub fn traces_of(&self, profile: Option<Profile>) -> impl Iterator<Item = &(PathBuf, Trace)> {
        self.traces
            .iter()
            .filter(move |(_, t)| profile.is_none_or(|p| p == t.config.profile))
    }

    /// Every reachable transition key of the manifests of `profile` (all
    /// with `None`).
    pub fn reachable(&self, profile: Option<Profile>) -> std::collections::BTreeSet<String> {
        self.covers
            .iter()
            .filter(|(_, c)| profile.is_none_or(|p| p == c.config.profile))
            .flat_map(|(_, c)| c.keys.iter().cloned())
            .collect()
    }
}

fn walk(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), BadInput> {
    if p.is_dir() {
        let rd = std::fs::read_dir(p)
            .map_err(|e| BadInput(format!("{}: cannot read directory: {e}", p.display())))?;
        for e in rd.flatten() {
            let q = e.path();
            if q.is_dir() || q.extension().is_some_and(|x| x == "json") {
                walk(&q, out)?;
            }
        }
        Ok(())
    } else if p.exists() {
        out.push(p.to_path_buf());
        Ok(())
    } else {
        Err(BadInput(format!(
            "{}: no such file or directory",
            p.display()
        )))
    }
}
