//! How an adapter fails: a clear message, never a panic or a hang.

use std::fmt;

/// An adapter failed: it could not be started, exited, wrote something
/// that is not a reply, answered `{"error": ...}`, broke the protocol, or
/// did not answer in time. Fatal: the replay stops, and `synfin-conform`
/// exits 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecError {
    /// The command, as given after `exec:`.
    pub command: String,
    /// The request being answered (its JSON line), or what the harness was
    /// doing when it was not answering one.
    pub request: String,
    /// What went wrong.
    pub what: String,
    /// The last lines the child wrote to its stderr.
    pub stderr_tail: Vec<String>,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exec adapter `{}`: {}\n  request: {}",
            self.command, self.what, self.request
        )?;
        if self.stderr_tail.is_empty() {
            write!(f, "\n  (nothing on the child's stderr)")
        } else {
            write!(
                f,
                "\n  the child's stderr, last {} lines:",
                self.stderr_tail.len()
            )?;
            for l in &self.stderr_tail {
                write!(f, "\n    {l}")?;
            }
            Ok(())
        }
    }
}

impl std::error::Error for ExecError {}
