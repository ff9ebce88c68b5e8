//! The adapter's process: one JSON line out, one back, with a deadline.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lines of the child's stderr kept for error messages.
const STDERR_TAIL: usize = 20;

/// The longest reply line read; a longer one is malformed.
const MAX_LINE: u64 = 1 << 20;

/// What the stdout reader thread hands over.
enum Line {
    /// One line, without its newline.
    Text(String),
    /// Stdout closed.
    Eof,
    /// Reading failed, or the line was too long or not UTF-8.
    Bad(String),
}

/// Why an exchange failed, before the harness names the request.
#[derive(Debug)]
pub(super) enum Failure {
    /// Writing the request failed (the child has gone).
    Write(io::Error),
    /// No reply within the deadline.
    Timeout(Duration),
    /// The child closed its stdout (exited), with its status if known.
    Exited(Option<ExitStatus>),
    /// The reply could not be read as a line of text.
    Unreadable(String),
}

/// A running adapter: `sh -c COMMAND`, its stdin and stdout piped, its
/// stderr captured (the last lines kept).
pub(super) struct Child {
    proc: std::process::Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    threads: Vec<JoinHandle<()>>,
}

impl Child {
    /// Starts `sh -c command`.
    pub(super) fn spawn(command: &str) -> io::Result<Child> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so that a hung adapter started by the
        // shell (not exec'd by it) is killed with the shell.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut proc = cmd.spawn()?;
        let stdin = proc.stdin.take();
        let stdout = proc.stdout.take().expect("piped stdout");
        let stderr_pipe = proc.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut buf = Vec::new();
                let line = match (&mut r).take(MAX_LINE).read_until(b'\n', &mut buf) {
                    Ok(0) => Line::Eof,
                    Ok(_) if buf.last() != Some(&b'\n') && buf.len() as u64 >= MAX_LINE => {
                        Line::Bad(format!("a reply line longer than {MAX_LINE} bytes"))
                    }
                    Ok(_) => match String::from_utf8(buf) {
                        Ok(s) => Line::Text(s.trim_end_matches(['\n', '\r']).to_string()),
                        Err(_) => Line::Bad("a reply line that is not UTF-8".to_string()),
                    },
                    Err(e) => Line::Bad(format!("reading its stdout: {e}")),
                };
                let last = !matches!(line, Line::Text(_));
                if tx.send(line).is_err() || last {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let tail = stderr.clone();
        let err_reader = std::thread::spawn(move || {
            let r = BufReader::new(stderr_pipe);
            for line in r.split(b'\n') {
                let Ok(line) = line else { break };
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                if t.len() == STDERR_TAIL {
                    t.pop_front();
                }
                t.push_back(String::from_utf8_lossy(&line).into_owned());
            }
        });
        Ok(Child {
            proc,
            stdin,
            lines,
            stderr,
            threads: vec![reader, err_reader],
        })
    }

    /// Writes `line` and waits up to `timeout` for one line back.
    pub(super) fn exchange(&mut self, line: &str, timeout: Duration) -> Result<String, Failure> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Failure::Write(io::Error::other("stdin closed")))?;
        let sent = stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.write_all(b"\n"))
            .and_then(|()| stdin.flush());
        if let Err(e) = sent {
            // A child that has exited shows as a broken pipe: say so.
            return Err(match self.wait_exit(Duration::from_millis(500)) {
                Some(st) => Failure::Exited(Some(st)),
                None => Failure::Write(e),
            });
        }
        match self.lines.recv_timeout(timeout) {
            Ok(Line::Text(s)) => Ok(s),
            Ok(Line::Bad(why)) => Err(Failure::Unreadable(why)),
            Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => {
                Err(Failure::Exited(self.wait_exit(Duration::from_secs(1))))
            }
            Err(RecvTimeoutError::Timeout) => Err(Failure::Timeout(timeout)),
        }
    }

    /// The child's exit status if it exits within `patience`.
    fn wait_exit(&mut self, patience: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + patience;
        loop {
            match self.proc.try_wait() {
                Ok(Some(st)) => return Some(st),
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(10)),
                _ => return None,
            }
        }
    }

    /// Kills the child and its process group (the adapter the shell
    /// started, and anything it started).
    pub(super) fn kill(&mut self) {
        #[cfg(unix)]
        {
            let group = format!("-{}", self.proc.id());
            let _ = Command::new("kill")
                .args(["-KILL", "--", &group])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.proc.kill();
        let _ = self.proc.wait();
    }

    /// The last lines of the child's stderr. Waits a moment for a child
    /// that has exited, so that its last words are in.
    pub(super) fn stderr_tail(&mut self) -> Vec<String> {
        if self.wait_exit(Duration::from_millis(200)).is_some() {
            // Its stderr is closed once it has exited (unless a grandchild
            // holds it): let the reader catch up.
            std::thread::sleep(Duration::from_millis(50));
        }
        let t = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        t.iter().cloned().collect()
    }

    /// Ends the child: closes its stdin (an adapter exits at end of input),
    /// gives it a moment, then kills it.
    pub(super) fn stop(&mut self) {
        drop(self.stdin.take());
        if self.wait_exit(Duration::from_millis(500)).is_none() {
            self.kill();
        }
        // The readers end when the pipes close; a grandchild that keeps
        // them open must not hang the harness, so they are not joined
        // unless finished.
        for t in self.threads.drain(..) {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.stop();
    }
}
