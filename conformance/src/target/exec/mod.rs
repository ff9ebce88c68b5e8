//! Any TCP in any language as a target, over a pipe: `--target exec:CMD`.
//!
//! The harness starts `sh -c CMD` (the command line as a shell reads it,
//! so arguments, quoting and environment assignments work as at a prompt),
//! one child per replay worker, kept across replays (each begins with
//! `start`), and speaks `synfin-exec/1` with it: one JSON object per line,
//! a request on the child's stdin and one reply on its stdout. The
//! requests mirror [`Target`]'s methods one for one; the book's chapter
//! *Any TCP over a pipe* (`docs/src/conformance/exec.md`) is the protocol's
//! reference.
//!
//! - [`Exec`]: the target, one child;
//! - [`protocol`]: the messages, as serde types;
//! - [`ExecError`]: how an adapter fails (it exited, wrote a malformed
//!   line, did not answer within the timeout, or said `error`): fatal, with
//!   the request and the child's stderr tail;
//! - [`replay_suite`]: a suite on a pool of children;
//! - [`policy_named`] and [`LWIP`]: the comparison policy an adapter's
//!   name selects, and lwIP's named deviations;
//! - [`ExecSockets`]: the sockets extension, an adapter as a packetdrill
//!   script's [`SocketTarget`](crate::pkt::SocketTarget).

mod child;
mod error;
mod lwip;
pub mod protocol;
pub mod sockets;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use self::child::{Child, Failure};
use self::protocol::{Hello, Observed, Request, PROTOCOL};
use super::{Capabilities, Report, Role, Stimulus, Target, Unsupported, WireSegment};
use crate::replay::{self, Plan, Policy, Summary};
use crate::trace::{Event, HostId, Profile, State, Suite, TraceConfig};

pub use error::ExecError;
pub use lwip::{LWIP, LWIP_DEVIATIONS};
pub use sockets::ExecSockets;

/// How long a request may go unanswered by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The comparison policy called `name`: `strict` (also `synfin-tcp`'s) or
/// `lwip`.
pub fn policy_named(name: &str) -> Option<Policy> {
    match name {
        "strict" | "synfin-tcp" => Some(Policy::STRICT),
        "lwip" => Some(LWIP),
        _ => None,
    }
}

/// The policies [`policy_named`] knows, for messages.
pub const POLICIES: &str = "strict, lwip";

/// A TCP behind a pipe: one adapter process speaking `synfin-exec/1`.
///
/// An adapter failure (see [`ExecError`]) is fatal: it is kept (see
/// [`Exec::failure`]), the child is killed, and from then on every replay
/// ends at once, so that a suite run stops quickly and its caller reports
/// the failure (exit 2) instead of verdicts.
pub struct Exec {
    command: String,
    timeout: Duration,
    child: Child,
    hello: Hello,
    caps: Capabilities,
    failure: Option<ExecError>,
    waited: Duration,
}

/// `{"ok": true}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ack {
    ok: bool,
}

/// A reply: what was asked for, or the adapter's "cannot".
enum Reply<T> {
    Done(T),
    Unsupported(Unsupported),
}

/// `{"unsupported": "why", "kind": "unplayable"|"time-wait"|"long-timer"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Declined {
    unsupported: String,
    #[serde(default)]
    kind: Option<String>,
}

impl Exec {
    /// Starts `sh -c command` and says hello; `timeout` bounds every reply.
    pub fn spawn(command: &str, timeout: Duration) -> Result<Exec, ExecError> {
        let hello_req = Request::Hello {
            protocol: PROTOCOL.to_string(),
        };
        let child = Child::spawn(command).map_err(|e| ExecError {
            command: command.to_string(),
            request: line(&hello_req),
            what: format!("cannot start `sh -c {command}`: {e}"),
            stderr_tail: Vec::new(),
        })?;
        let mut exec = Exec {
            command: command.to_string(),
            timeout,
            child,
            hello: Hello {
                hello: String::new(),
                name: String::new(),
                version: None,
                capabilities: protocol::WireCapabilities {
                    plays_both: false,
                    iss: protocol::WireIss::Learned,
                    observes_tcb: false,
                    clock: protocol::WireClock::Real,
                },
                sockets: false,
            },
            caps: crate::target::SynfinTcp::CAPABILITIES,
            failure: None,
            waited: Duration::ZERO,
        };
        let hello: Hello = match exec.ask(&hello_req)? {
            Reply::Done(h) => h,
            Reply::Unsupported(u) => {
                return Err(exec.error(&hello_req, format!("answered hello with `{u}`")))
            }
        };
        if hello.hello != PROTOCOL {
            return Err(exec.error(
                &hello_req,
                format!("speaks `{}`, not {PROTOCOL}", hello.hello),
            ));
        }
        exec.caps = hello.capabilities.into();
        exec.hello = hello;
        Ok(exec)
    }

    /// What the adapter said in its hello: its name, version and
    /// capabilities.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The failure that stopped this adapter, if one did.
    pub fn failure(&self) -> Option<&ExecError> {
        self.failure.as_ref()
    }

    /// The error for `req` with the child's stderr tail.
    fn error(&mut self, req: &Request, what: String) -> ExecError {
        ExecError {
            command: self.command.clone(),
            request: line(req),
            what,
            stderr_tail: self.child.stderr_tail(),
        }
    }

    /// Sends `req` and reads its reply as a `T`, an `unsupported`, or a
    /// failure.
    fn ask<T: DeserializeOwned>(&mut self, req: &Request) -> Result<Reply<T>, ExecError> {
        let text = match self.child.exchange(&line(req), self.timeout) {
            Ok(t) => t,
            Err(f) => {
                let what = match f {
                    Failure::Write(e) => format!("cannot write the request: {e}"),
                    Failure::Timeout(t) => {
                        self.child.kill();
                        format!(
                            "no reply within {} s (--exec-timeout); the child was killed",
                            t.as_secs_f64()
                        )
                    }
                    Failure::Exited(Some(st)) => {
                        format!("the child exited ({st}) instead of replying")
                    }
                    Failure::Exited(None) => {
                        "the child closed its stdout instead of replying".to_string()
                    }
                    Failure::Unreadable(why) => format!("the child wrote {why}"),
                };
                return Err(self.error(req, what));
            }
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            _ => {
                let what = format!(
                    "malformed reply (not a JSON object on one line): {}",
                    clip(&text)
                );
                return Err(self.error(req, what));
            }
        };
        if let Some(e) = value.get("error") {
            let msg = e.as_str().map_or_else(|| e.to_string(), str::to_string);
            return Err(self.error(req, format!("the adapter reported an error: {msg}")));
        }
        if value.get("unsupported").is_some() {
            let d: Declined = match serde_json::from_value(value) {
                Ok(d) => d,
                Err(e) => {
                    return Err(self.error(req, format!("malformed `unsupported` reply: {e}")))
                }
            };
            let u = match d.kind.as_deref() {
                None | Some("unplayable") => Unsupported::Unplayable(d.unsupported),
                Some("time-wait") => Unsupported::TimeWait,
                Some("long-timer") => Unsupported::LongTimer(d.unsupported),
                Some(k) => {
                    return Err(self.error(
                        req,
                        format!("unknown `kind` `{k}` (unplayable, time-wait, long-timer)"),
                    ))
                }
            };
            return Ok(Reply::Unsupported(u));
        }
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(t) => Ok(Reply::Done(t)),
            Err(e) => Err(self.error(
                req,
                format!(
                    "malformed reply at `{}`: {}: {}",
                    e.path(),
                    e.inner(),
                    clip(&text)
                ),
            )),
        }
    }

    /// Sends a request answered `{"ok": true}` or `unsupported`.
    fn act(&mut self, req: &Request) -> Result<Result<(), Unsupported>, ExecError> {
        match self.ask::<Ack>(req)? {
            Reply::Done(Ack { ok: true }) => Ok(Ok(())),
            Reply::Done(Ack { ok: false }) => {
                Err(self.error(req, "replied {\"ok\": false}".to_string()))
            }
            Reply::Unsupported(u) => Ok(Err(u)),
        }
    }

    /// Keeps the first failure and stops the child.
    fn fail(&mut self, e: ExecError) {
        if self.failure.is_none() {
            self.failure = Some(e);
        }
        self.child.kill();
    }

    /// What a replay gets once the adapter has failed.
    fn failed() -> Unsupported {
        Unsupported::Unplayable("the adapter failed (see the error)".to_string())
    }

    /// `act`, with a failure kept and turned into an early end.
    fn act_or_fail(&mut self, req: &Request) -> Result<(), Unsupported> {
        if self.failure.is_some() {
            return Err(Self::failed());
        }
        match self.act(req) {
            Ok(r) => r,
            Err(e) => {
                self.fail(e);
                Err(Self::failed())
            }
        }
    }
}

impl Target for Exec {
    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn start(&mut self, config: &TraceConfig, role: Role) -> Result<(), Unsupported> {
        self.act_or_fail(&Request::Start {
            config: config.clone(),
            role: role.into(),
        })
    }

    fn set_next_iss(&mut self, host: HostId, iss: u32) {
        if self.failure.is_some() {
            return;
        }
        let req = Request::SetNextIss { host, iss };
        match self.act(&req) {
            Ok(Ok(())) => {}
            Ok(Err(u)) => {
                let e = self.error(
                    &req,
                    format!(
                        "answered set_next_iss with `{u}`: only start and input may be declined"
                    ),
                );
                self.fail(e);
            }
            Err(e) => self.fail(e),
        }
    }

    fn input(&mut self, stimulus: &Stimulus) -> Result<(), Unsupported> {
        let req = Request::Input {
            stimulus: stimulus.into(),
        };
        let t = Instant::now();
        let r = self.act_or_fail(&req);
        if matches!(stimulus, Stimulus::Timeout(_)) && self.caps.clock == super::Clock::Real {
            self.waited += t.elapsed();
        }
        r
    }

    fn observe(&mut self, host: HostId) -> Report {
        let failed = Report {
            state: State::Closed,
            iss: None,
            timer: None,
            emitted: Vec::new(),
            delivered: 0,
            eof: false,
            events: vec![Event::Unexpected("adapter-failed".to_string())],
            tcb: None,
        };
        if self.failure.is_some() {
            return failed;
        }
        let req = Request::Observe { host };
        let o: Observed = match self.ask(&req) {
            Ok(Reply::Done(o)) => o,
            Ok(Reply::Unsupported(u)) => {
                let e = self.error(
                    &req,
                    format!("answered observe with `{u}`: only start and input may be declined"),
                );
                self.fail(e);
                return failed;
            }
            Err(e) => {
                self.fail(e);
                return failed;
            }
        };
        Report {
            state: o.state,
            iss: o.iss,
            timer: o.timer_ms.map(Duration::from_millis),
            emitted: o.emitted.into_iter().map(WireSegment::from).collect(),
            delivered: o.delivered,
            eof: o.eof,
            events: o.events.iter().map(|e| protocol::event(e)).collect(),
            tcb: o.tcb,
        }
    }

    fn waited(&self) -> Duration {
        self.waited
    }
}

/// A request as its JSON line.
fn line(req: &Request) -> String {
    serde_json::to_string(req).unwrap_or_else(|e| format!("{{\"unserialisable\": \"{e}\"}}"))
}

/// The first 200 characters of `s`.
fn clip(s: &str) -> String {
    let mut c: String = s.chars().take(200).collect();
    if c.len() < s.len() {
        c.push('…');
    }
    c
}

/// How to replay a suite through adapters.
#[derive(Clone, Debug)]
pub struct Options {
    /// The command after `exec:`.
    pub command: String,
    /// Per-request deadline.
    pub timeout: Duration,
    /// Children (replay workers); at most one per replay.
    pub jobs: usize,
    /// Only traces of this profile.
    pub profile: Option<Profile>,
    /// The policy's name; `None`: the one the adapter's hello names, else
    /// `strict`.
    pub policy: Option<String>,
}

/// What [`replay_suite`] found.
#[derive(Debug)]
pub struct Run {
    /// The first adapter's hello.
    pub hello: Hello,
    /// The replays.
    pub summary: Summary,
}

/// Replays `suite` on `opts.jobs` children of `opts.command`, each its own
/// worker. The first child's hello gives the capabilities (and so the
/// plan) and, unless `opts.policy` names one, the policy. Any adapter
/// failure is returned (the first one), not a summary.
pub fn replay_suite(suite: &Suite, opts: &Options) -> Result<Run, ExecError> {
    let first = Exec::spawn(&opts.command, opts.timeout)?;
    let hello = first.hello().clone();
    let wanted = opts.policy.clone().unwrap_or_else(|| hello.name.clone());
    let policy = match (opts.policy.is_some(), policy_named(&wanted)) {
        (_, Some(p)) => p,
        (false, None) => Policy::STRICT,
        (true, None) => {
            return Err(ExecError {
                command: opts.command.clone(),
                request: "--policy".to_string(),
                what: format!("unknown policy `{wanted}`; valid: {POLICIES}"),
                stderr_tail: Vec::new(),
            })
        }
    };
    let mut plan = Plan::for_target(first.capabilities(), policy);
    plan.profile = opts.profile;
    let first = Mutex::new(Some(first));
    let summary = replay::run_parallel(suite, &plan, opts.jobs.max(1), |w| {
        let taken = first.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut exec = match taken {
            Some(e) => e,
            None => Exec::spawn(&opts.command, opts.timeout)?,
        };
        if exec.hello() != &hello {
            return Err(ExecError {
                command: opts.command.clone(),
                request: "hello".to_string(),
                what: "two children of the same command said different hellos".to_string(),
                stderr_tail: Vec::new(),
            });
        }
        w.work(&mut exec);
        match exec.failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })?;
    Ok(Run { hello, summary })
}
