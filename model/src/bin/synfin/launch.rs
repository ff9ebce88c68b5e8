//! `synfin check --processes N`: the other N - 1 processes of a timely run
//! on this machine, started by process 0 on loopback ports it picks.
//!
//! Each child is this same program with the same arguments, less
//! `--processes`, plus `--hostfile` and `--process I`: exactly what a user
//! runs by hand on each machine of a cluster. Children print nothing on
//! success; what they print on failure goes to this process's stderr.

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use synfin_model::cluster::Peers;

/// The children of a local run, and the hostfile they read.
pub struct Launched {
    children: Vec<(usize, Child)>,
    hostfile: PathBuf,
}

/// Start processes 1 to `processes - 1` of a run on 127.0.0.1; this one is
/// process 0 of the peers returned.
pub fn launch(processes: usize) -> Result<(Peers, Launched), String> {
    // Ports the kernel hands out now; freed for the processes to bind a
    // moment later (a port taken in between fails the run, which says so).
    let addresses = (0..processes)
        .map(|_| {
            let l = TcpListener::bind("127.0.0.1:0")
                .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
            let port = l.local_addr().map_err(|e| e.to_string())?.port();
            Ok(format!("127.0.0.1:{port}"))
        })
        .collect::<Result<Vec<String>, String>>()?;
    let hostfile = std::env::temp_dir().join(format!("synfin-hosts-{}.txt", std::process::id()));
    std::fs::write(&hostfile, addresses.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", hostfile.display()))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let args = without_processes(std::env::args_os().skip(1));
    let mut launched = Launched {
        children: Vec::new(),
        hostfile: hostfile.clone(),
    };
    for i in 1..processes {
        let child = Command::new(&exe)
            .args(&args)
            .arg("--hostfile")
            .arg(&hostfile)
            .arg("--process")
            .arg(i.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start process {i}: {e}"))?;
        launched.children.push((i, child));
    }
    Ok((
        Peers {
            process: 0,
            addresses,
        },
        launched,
    ))
}

/// `args` without `--processes N` (or `--processes=N`).
fn without_processes(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        match a.to_str() {
            Some("--processes") => skip = true,
            Some(s) if s.starts_with("--processes=") => {}
            _ => out.push(a),
        }
    }
    out
}

impl Launched {
    /// An error naming the first child that has exited with a failure.
    pub fn check(&mut self) -> Result<(), String> {
        for (i, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                if !status.success() {
                    return Err(format!("process {i} exited ({status})"));
                }
            }
        }
        Ok(())
    }

    /// Wait for every child; an error names the first that failed.
    pub fn wait(mut self) -> Result<(), String> {
        let mut failed = None;
        for (i, child) in &mut self.children {
            match child.wait() {
                Ok(status) if status.success() => {}
                Ok(status) => {
                    failed.get_or_insert(format!("process {i} exited ({status})"));
                }
                Err(e) => {
                    failed.get_or_insert(format!("process {i}: {e}"));
                }
            }
        }
        self.children.clear();
        failed.map_or(Ok(()), Err)
    }
}

impl Drop for Launched {
    /// No child outlives a run that ends early.
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.hostfile);
    }
}

/// The first panic of a distributed run, kept instead of printed.
static FIRST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Keep panics for the error message instead of printing them. When a
/// peer process goes away, timely's network threads panic, one after
/// another, each with a backtrace; the user needs one line saying what
/// was lost, and gets it from [`first_panic`] with the run's error.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let what = info.payload_as_str().unwrap_or("a panic");
        let at = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut first) = FIRST_PANIC.lock() {
            first.get_or_insert(format!("{what}{at}"));
        }
    }));
}

/// `: ` and the first panic kept by [`quiet_panics`], or nothing.
pub fn first_panic() -> String {
    FIRST_PANIC
        .lock()
        .ok()
        .and_then(|p| p.clone())
        .map(|p| format!(": {p}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_children_get_every_argument_but_processes() {
        let args = [
            "check",
            "--processes",
            "3",
            "--preset",
            "quick",
            "--processes=4",
            "--json",
        ]
        .map(OsString::from);
        let kept = without_processes(args.into_iter());
        assert_eq!(
            kept,
            ["check", "--preset", "quick", "--json"].map(OsString::from)
        );
    }
}
