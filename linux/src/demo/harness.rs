//! The harness of one exchange: it drives synfin-tcp through the TUN and
//! the kernel through its sockets, waits for either side to get somewhere,
//! and records the application calls it makes on both.

use std::io;
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::time::Duration;

use synfin_tcp::time::Instant;
use synfin_tcp::wire::Segment;

use super::outcome::Check;
use super::recorder::Recorder;
use crate::capture::Side;
use crate::driver::{Direction, Driver, RunOutcome, Stack};
use crate::sys::sock_diag::SockDiag;
use crate::sys::socket;

/// How long any one wait of an exchange may take. The kernel answers at
/// once; only a bug makes an exchange wait this long.
const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// An exchange in progress: the driver, the recorder and the checks.
pub(super) struct Harness<S: Stack> {
    pub(super) driver: Driver<S>,
    pub(super) rec: Recorder,
    pub(super) checks: Vec<Check>,
    pub(super) synfin: SocketAddrV4,
    pub(super) kernel: SocketAddrV4,
}

/// One step of an exchange: what stopped it, if anything did.
pub(super) type Step<T = ()> = Result<T, String>;

/// An I/O error as a [`Step`] error that says what failed.
pub(super) fn io_err(what: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl<S: Stack> Harness<S> {
    pub(super) fn now(&self) -> Instant {
        self.driver.now()
    }

    pub(super) fn check(&mut self, ok: bool, what: impl Into<String>) {
        self.checks.push(Check {
            ok,
            what: what.into(),
        });
    }

    pub(super) fn synfin_call(&mut self, label: &str) {
        self.rec.call(&self.driver.stack, Side::Synfin, label);
    }

    pub(super) fn kernel_call(&mut self, label: &str) {
        self.rec.call(&self.driver.stack, Side::Kernel, label);
    }

    pub(super) fn synfin_state(&self) -> Option<&'static str> {
        self.driver.stack.state_of(self.synfin, self.kernel)
    }

    /// Runs the driver until `done` holds; an error names what it was
    /// waiting for.
    pub(super) fn until(
        &mut self,
        waiting_for: &str,
        mut done: impl FnMut(&mut S, Instant) -> Step<bool>,
    ) -> Step {
        let deadline = self.driver.io.after(STEP_TIMEOUT);
        let mut failure = None;
        let outcome = self
            .driver
            .run_until(deadline, &mut self.rec, |s, now| match done(s, now) {
                Ok(d) => d,
                Err(e) => {
                    failure = Some(e);
                    true
                }
            })
            .map_err(io_err("the TUN device"))?;
        if let Some(e) = failure {
            return Err(format!("while waiting for {waiting_for}: {e}"));
        }
        match outcome {
            RunOutcome::Done => Ok(()),
            RunOutcome::TimedOut => Err(format!(
                "timed out after {} s waiting for {waiting_for} (synfin-tcp {}, kernel {})",
                STEP_TIMEOUT.as_secs(),
                self.rec.synfin_now.as_deref().unwrap_or("-"),
                self.rec.kernel_now.as_deref().unwrap_or("-"),
            )),
        }
    }

    /// Runs until synfin-tcp's connection is in `state` (`None`: gone).
    pub(super) fn until_synfin(&mut self, state: Option<&str>) -> Step {
        let (l, k) = (self.synfin, self.kernel);
        let what = format!("synfin-tcp to reach {}", state.unwrap_or("CLOSED"));
        self.until(&what, |s, _| Ok(s.state_of(l, k) == state))
    }

    /// Runs until the kernel's socket for the connection is in `state`
    /// (sock_diag; `None`: gone).
    pub(super) fn until_kernel(&mut self, state: &str) -> Step {
        let mut diag = SockDiag::new().map_err(io_err("sock_diag"))?;
        let (l, k) = (self.synfin, self.kernel);
        let what = format!("the kernel to reach {state}");
        self.until(&what, |_, _| {
            let now = diag.state_of(k, l).map_err(|e| e.to_string())?;
            Ok(now.map_or("CLOSED", |s| s.name()) == state)
        })
    }

    /// Runs until the kernel socket has read `want` bytes in total into
    /// `buf` (and the FIN, if `eof`).
    pub(super) fn until_kernel_reads(
        &mut self,
        sock: &mut TcpStream,
        buf: &mut Vec<u8>,
        want: usize,
        eof: bool,
    ) -> Step {
        let mut seen_eof = false;
        let what = if eof {
            format!("the kernel to read {want} bytes and end of stream")
        } else {
            format!("the kernel to read {want} bytes")
        };
        self.until(&what, |_, _| {
            let r = socket::read_available(sock, buf).map_err(|e| e.to_string())?;
            seen_eof |= r.eof;
            Ok(buf.len() >= want && (seen_eof || !eof))
        })
    }

    /// Runs until synfin-tcp's application has read `want` bytes in total
    /// into `buf` (and the FIN, if `eof`).
    pub(super) fn until_synfin_reads(
        &mut self,
        conn: S::Conn,
        buf: &mut Vec<u8>,
        want: usize,
        eof: bool,
    ) -> Step {
        let mut seen_eof = false;
        let what = if eof {
            format!("synfin-tcp to read {want} bytes and end of stream")
        } else {
            format!("synfin-tcp to read {want} bytes")
        };
        self.until(&what, |s, now| {
            let r = s.recv(now, conn, buf)?;
            seen_eof |= r.eof;
            if let Some(f) = s.failure(conn) {
                return Err(f);
            }
            Ok(buf.len() >= want && (seen_eof || !eof))
        })
    }

    pub(super) fn synfin_send(&mut self, conn: S::Conn, data: &[u8]) -> Step {
        let now = self.now();
        let n = self.driver.stack.send(now, conn, data)?;
        if n != data.len() {
            return Err(format!("synfin-tcp took {n} of {} bytes", data.len()));
        }
        self.synfin_call(&format!("send({} bytes)", data.len()));
        Ok(())
    }

    pub(super) fn synfin_close(&mut self, conn: S::Conn) -> Step {
        let now = self.now();
        self.driver.stack.close(now, conn)?;
        self.synfin_call("close()");
        Ok(())
    }

    /// synfin-tcp connects from its address to the kernel's and the kernel
    /// accepts on `listener`: the three-way handshake.
    pub(super) fn synfin_connects(&mut self, listener: &TcpListener) -> Step<(S::Conn, TcpStream)> {
        let now = self.now();
        let conn = self.driver.stack.connect(now, self.synfin, self.kernel)?;
        self.synfin_call("connect()");
        let mut accepted = None;
        let (l, k) = (self.synfin, self.kernel);
        let what = "the handshake (synfin-tcp ESTABLISHED, kernel accept())";
        self.until(what, |s, _| {
            if let Some(f) = s.failure(conn) {
                return Err(f);
            }
            if accepted.is_none() {
                accepted = socket::try_accept(listener).map_err(|e| e.to_string())?;
            }
            Ok(accepted.is_some() && s.state_of(l, k) == Some("ESTABLISHED"))
        })?;
        let stream = accepted.ok_or("no accepted socket")?;
        self.kernel_call("accept()");
        Ok((conn, stream))
    }

    pub(super) fn segments(&self) -> Vec<(Direction, Segment)> {
        self.rec
            .capture
            .segments()
            .map(|(d, s)| (d, s.clone()))
            .collect()
    }
}
