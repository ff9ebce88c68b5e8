//! The sockets extension of `synfin-exec/1`: an adapter as a
//! [`SocketTarget`], for packetdrill scripts (`synfin-conform pkt run
//! --target exec:CMD`).
//!
//! The trace protocol carries abstract segments and the model's five user
//! calls; a script needs the BSD calls with their return values and
//! errnos, and whole segments with windows and options. An adapter that
//! says `"sockets": true` in its hello also answers `sock_*` requests, one
//! for each method of the trait; every reply carries the packets the stack
//! sent since the last one (`sent`, hex IPv4 packets with their times).
//! The book's chapter *Any TCP over a pipe* lists the requests.

use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use serde_json::{json, Value};

use super::child::Failure;
use super::{clip, Exec, ExecError};
use crate::pkt::errno::Errno;
use crate::pkt::script::{Shutdown, SockOpt, SockOptName};
use crate::pkt::segment::Segment;
use crate::pkt::target::{CallError, CallResult, Clock, Sent, SockId, SocketTarget};

/// The stack's address in a script.
pub const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
/// The script's peer's address.
pub const REMOTE_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// An adapter speaking the sockets extension, one script at a time.
pub struct ExecSockets {
    exec: Exec,
    now: u64,
    sent: VecDeque<Sent>,
    locals: HashMap<SockId, SocketAddrV4>,
    failure: Option<ExecError>,
}

/// A reply the call methods turn into a result.
enum Answer {
    Ret(Value),
    Errno(Errno),
    Unsupported(String),
}

impl ExecSockets {
    /// Starts `sh -c command`, says hello, and checks that the adapter
    /// speaks the sockets extension.
    pub fn spawn(command: &str, timeout: Duration) -> Result<ExecSockets, ExecError> {
        let mut exec = Exec::spawn(command, timeout)?;
        if !exec.hello.sockets {
            let what = format!(
                "its hello does not say `\"sockets\": true`: adapter `{}` speaks only the trace \
                 requests, not the sockets extension packetdrill scripts need",
                exec.hello.name
            );
            exec.child.stop();
            return Err(ExecError {
                command: command.to_string(),
                request: "{\"op\":\"hello\",...}".into(),
                what,
                stderr_tail: Vec::new(),
            });
        }
        Ok(ExecSockets {
            exec,
            now: 0,
            sent: VecDeque::new(),
            locals: HashMap::new(),
            failure: None,
        })
    }

    /// The adapter's name, from its hello.
    pub fn adapter_name(&self) -> &str {
        &self.exec.hello.name
    }

    /// A fresh stack for the next script: no sockets, clock at 0.
    pub fn start(&mut self) -> Result<(), ExecError> {
        self.now = 0;
        self.sent.clear();
        self.locals.clear();
        let req = json!({
            "op": "sock_start",
            "local": format!("{LOCAL_IP}:0"),
            "remote": format!("{REMOTE_IP}:0"),
        });
        match self.ask(&req) {
            Some(v) if v.get("ok") == Some(&Value::Bool(true)) => Ok(()),
            Some(v) => Err(self.malformed(&req, &v, "`ok: true`")),
            None => Err(self.failure.clone().expect("a failure")),
        }
    }

    /// The failure that stopped the adapter, if one did: the script's
    /// verdict is then meaningless, and `pkt run` exits 2.
    pub fn failure(&self) -> Option<&ExecError> {
        self.failure.as_ref()
    }

    /// Ends the child.
    pub fn stop(&mut self) {
        self.exec.child.stop();
    }

    fn malformed(&mut self, req: &Value, reply: &Value, wanted: &str) -> ExecError {
        let e = ExecError {
            command: self.exec.command.clone(),
            request: req.to_string(),
            what: format!(
                "malformed reply (expected {wanted}): {}",
                clip(&reply.to_string())
            ),
            stderr_tail: self.exec.child.stderr_tail(),
        };
        self.fail(e.clone());
        e
    }

    fn fail(&mut self, e: ExecError) {
        if self.failure.is_none() {
            self.failure = Some(e);
        }
        self.exec.child.kill();
    }

    /// Sends `req`; the reply, with its `sent` packets queued, or `None`
    /// once the adapter has failed.
    fn ask(&mut self, req: &Value) -> Option<Value> {
        if self.failure.is_some() {
            return None;
        }
        let text = match self
            .exec
            .child
            .exchange(&req.to_string(), self.exec.timeout)
        {
            Ok(t) => t,
            Err(f) => {
                let what = match f {
                    Failure::Write(e) => format!("cannot write the request: {e}"),
                    Failure::Timeout(t) => format!(
                        "no reply within {} s (--exec-timeout); the child was killed",
                        t.as_secs_f64()
                    ),
                    Failure::Exited(Some(st)) => {
                        format!("the child exited ({st}) instead of replying")
                    }
                    Failure::Exited(None) => {
                        "the child closed its stdout instead of replying".to_string()
                    }
                    Failure::Unreadable(why) => format!("the child wrote {why}"),
                };
                let e = ExecError {
                    command: self.exec.command.clone(),
                    request: req.to_string(),
                    what,
                    stderr_tail: self.exec.child.stderr_tail(),
                };
                self.fail(e);
                return None;
            }
        };
        let v: Value = match serde_json::from_str(&text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                let v = Value::String(text);
                self.malformed(req, &v, "a JSON object on one line");
                return None;
            }
        };
        if let Some(e) = v.get("error") {
            let msg = e.as_str().map_or_else(|| e.to_string(), str::to_string);
            let e = ExecError {
                command: self.exec.command.clone(),
                request: req.to_string(),
                what: format!("the adapter reported an error: {msg}"),
                stderr_tail: self.exec.child.stderr_tail(),
            };
            self.fail(e);
            return None;
        }
        let Some(Value::Array(sent)) = v.get("sent") else {
            self.malformed(req, &v, "a `sent` array");
            return None;
        };
        let mut queued = Vec::new();
        for p in sent {
            let at = p.get("at_us").and_then(Value::as_u64);
            let seg = p
                .get("packet")
                .and_then(Value::as_str)
                .and_then(from_hex)
                .map(|b| Segment::from_ipv4(&b));
            match (at, seg) {
                (Some(at), Some(Some(segment))) => queued.push(Sent { at, segment }),
                // Not TCP over IPv4 (an ICMP error, say): not the script's.
                (Some(_), Some(None)) => {}
                _ => {
                    self.malformed(req, &v, "`sent` entries {\"at_us\": N, \"packet\": HEX}");
                    return None;
                }
            }
        }
        self.sent.extend(queued);
        Some(v)
    }

    /// A `sock_call`: its `ret`, errno or unsupported.
    fn call(&mut self, mut req: Value) -> Result<Answer, CallError> {
        req["op"] = json!("sock_call");
        let Some(v) = self.ask(&req) else {
            return Err(CallError::Unsupported(
                "the adapter failed (see the error)".into(),
            ));
        };
        if let Some(u) = v.get("unsupported") {
            return Ok(Answer::Unsupported(
                u.as_str().map_or_else(|| u.to_string(), str::to_string),
            ));
        }
        if let Some(e) = v.get("errno") {
            match e.as_str().and_then(Errno::from_name) {
                Some(e) => return Ok(Answer::Errno(e)),
                None => {
                    self.malformed(&req, &v, "an errno name scripts use");
                    return Err(CallError::Unsupported(
                        "the adapter failed (see the error)".into(),
                    ));
                }
            }
        }
        if v.get("ret").and_then(Value::as_i64).is_none() {
            self.malformed(&req, &v, "`ret`, `errno` or `unsupported`");
            return Err(CallError::Unsupported(
                "the adapter failed (see the error)".into(),
            ));
        }
        Ok(Answer::Ret(v))
    }

    /// A call whose success is `ret` (a number).
    fn simple(&mut self, req: Value) -> CallResult<i64> {
        match self.call(req)? {
            Answer::Ret(v) => Ok(v["ret"].as_i64().unwrap_or(0)),
            Answer::Errno(e) => Err(e.into()),
            Answer::Unsupported(u) => Err(CallError::Unsupported(u)),
        }
    }

    fn learn_local(&mut self, s: SockId, v: &Value) {
        if let Some(a) = v
            .get("local")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok())
        {
            self.locals.insert(s, a);
        }
    }

    fn time(&mut self, until: u64, stop_at_send: bool) {
        let req = json!({"op": "sock_time", "until_us": until, "stop_at_send": stop_at_send});
        if let Some(v) = self.ask(&req) {
            match v.get("now_us").and_then(Value::as_u64) {
                Some(t) => self.now = self.now.max(t),
                None => {
                    self.malformed(&req, &v, "`now_us`");
                }
            }
        }
    }
}

fn from_hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn opt_name(n: SockOptName) -> &'static str {
    match n {
        SockOptName::ReuseAddr => "SO_REUSEADDR",
        SockOptName::Linger => "SO_LINGER",
        SockOptName::RcvBuf => "SO_RCVBUF",
        SockOptName::Error => "SO_ERROR",
    }
}

impl SocketTarget for ExecSockets {
    fn name(&self) -> String {
        format!("exec:{}", self.exec.hello.name)
    }

    fn clock(&self) -> Clock {
        Clock::Virtual
    }

    fn local_ip(&self) -> Ipv4Addr {
        LOCAL_IP
    }

    fn remote_ip(&self) -> Ipv4Addr {
        REMOTE_IP
    }

    fn now(&self) -> u64 {
        self.now
    }

    fn advance_to(&mut self, t: u64) {
        self.time(t, false);
        self.now = self.now.max(t);
    }

    fn next_sent(&mut self, until: u64) -> Option<Sent> {
        if self.sent.is_empty() && self.failure.is_none() {
            self.time(until, true);
        }
        self.sent.pop_front()
    }

    fn inject(&mut self, segment: &Segment) {
        let req = json!({"op": "sock_inject", "packet": hex(&segment.to_ipv4())});
        let _ = self.ask(&req);
    }

    fn socket(&mut self) -> CallResult<SockId> {
        let n = self.simple(json!({"call": "socket"}))?;
        u32::try_from(n)
            .map(SockId)
            .map_err(|_| CallError::Errno(Errno::Einval))
    }

    fn set_option(&mut self, s: SockId, opt: SockOpt) -> CallResult<()> {
        let (name, value, secs) = match opt {
            SockOpt::ReuseAddr(on) => ("SO_REUSEADDR", u32::from(on), 0),
            SockOpt::Linger { on, secs } => ("SO_LINGER", u32::from(on), secs),
            SockOpt::RcvBuf(n) => ("SO_RCVBUF", n, 0),
            SockOpt::Error(_) => return Err(Errno::Einval.into()),
        };
        self.simple(
            json!({"call": "setsockopt", "sock": s.0, "opt": name, "value": value, "secs": secs}),
        )
        .map(|_| ())
    }

    fn get_option(&mut self, s: SockId, name: SockOptName) -> CallResult<SockOpt> {
        let req = json!({"call": "getsockopt", "sock": s.0, "opt": opt_name(name)});
        let v = match self.call(req)? {
            Answer::Ret(v) => v,
            Answer::Errno(e) => return Err(e.into()),
            Answer::Unsupported(u) => return Err(CallError::Unsupported(u)),
        };
        let value = v.get("value").and_then(Value::as_u64).unwrap_or(0);
        let value32 = u32::try_from(value).unwrap_or(u32::MAX);
        Ok(match name {
            SockOptName::ReuseAddr => SockOpt::ReuseAddr(value != 0),
            SockOptName::Linger => SockOpt::Linger {
                on: value != 0,
                secs: v
                    .get("secs")
                    .and_then(Value::as_u64)
                    .and_then(|s| u32::try_from(s).ok())
                    .unwrap_or(0),
            },
            SockOptName::RcvBuf => SockOpt::RcvBuf(value32),
            SockOptName::Error => SockOpt::Error(i32::try_from(value).unwrap_or(i32::MAX)),
        })
    }

    fn bind(&mut self, s: SockId, addr: SocketAddrV4) -> CallResult<()> {
        self.simple(json!({"call": "bind", "sock": s.0, "port": addr.port()}))?;
        self.locals.insert(s, addr);
        Ok(())
    }

    fn listen(&mut self, s: SockId, backlog: i64) -> CallResult<()> {
        self.simple(json!({"call": "listen", "sock": s.0, "backlog": backlog}))
            .map(|_| ())
    }

    fn accept(&mut self, s: SockId) -> CallResult<SockId> {
        match self.call(json!({"call": "accept", "sock": s.0}))? {
            Answer::Ret(v) => {
                let id = SockId(
                    v["ret"]
                        .as_i64()
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0),
                );
                self.learn_local(id, &v);
                Ok(id)
            }
            Answer::Errno(e) => Err(e.into()),
            Answer::Unsupported(u) => Err(CallError::Unsupported(u)),
        }
    }

    fn connect(&mut self, s: SockId, remote: SocketAddrV4) -> CallResult<()> {
        let req = json!({"call": "connect", "sock": s.0, "remote": remote.to_string()});
        let req_op = {
            let mut r = req.clone();
            r["op"] = json!("sock_call");
            r
        };
        let Some(v) = self.ask(&req_op) else {
            return Err(CallError::Unsupported(
                "the adapter failed (see the error)".into(),
            ));
        };
        self.learn_local(s, &v);
        if let Some(u) = v.get("unsupported") {
            return Err(CallError::Unsupported(
                u.as_str().map_or_else(|| u.to_string(), str::to_string),
            ));
        }
        if let Some(e) = v.get("errno") {
            return match e.as_str().and_then(Errno::from_name) {
                Some(e) => Err(e.into()),
                None => {
                    self.malformed(&req_op, &v, "an errno name scripts use");
                    Err(CallError::Unsupported(
                        "the adapter failed (see the error)".into(),
                    ))
                }
            };
        }
        if v.get("ret").and_then(Value::as_i64).is_none() {
            self.malformed(&req_op, &v, "`ret`, `errno` or `unsupported`");
            return Err(CallError::Unsupported(
                "the adapter failed (see the error)".into(),
            ));
        }
        Ok(())
    }

    fn local_addr(&self, s: SockId) -> Option<SocketAddrV4> {
        self.locals.get(&s).copied()
    }

    fn write(&mut self, s: SockId, data: &[u8]) -> CallResult<usize> {
        let n = self.simple(json!({"call": "write", "sock": s.0, "len": data.len()}))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn read(&mut self, s: SockId, max: usize) -> CallResult<Vec<u8>> {
        let n = self.simple(json!({"call": "read", "sock": s.0, "len": max}))?;
        Ok(vec![0; usize::try_from(n).unwrap_or(0).min(max)])
    }

    fn shutdown(&mut self, s: SockId, how: Shutdown) -> CallResult<()> {
        let how = match how {
            Shutdown::Read => "SHUT_RD",
            Shutdown::Write => "SHUT_WR",
            Shutdown::Both => "SHUT_RDWR",
        };
        self.simple(json!({"call": "shutdown", "sock": s.0, "how": how}))
            .map(|_| ())
    }

    fn close(&mut self, s: SockId) -> CallResult<()> {
        self.simple(json!({"call": "close", "sock": s.0}))
            .map(|_| ())
    }

    fn sysctl(&mut self, name: &str, value: &str) -> Result<(), String> {
        let req = json!({"op": "sock_sysctl", "name": name, "value": value});
        match self.ask(&req) {
            Some(v) if v.get("ok") == Some(&Value::Bool(true)) => Ok(()),
            Some(v) => match v.get("unsupported").and_then(Value::as_str) {
                Some(u) => Err(u.to_string()),
                None => {
                    self.malformed(&req, &v, "`ok: true` or `unsupported`");
                    Err("the adapter failed (see the error)".into())
                }
            },
            None => Err("the adapter failed (see the error)".into()),
        }
    }

    fn state(&mut self, local: SocketAddrV4, remote: SocketAddrV4) -> &'static str {
        const STATES: [&str; 11] = [
            "CLOSED",
            "LISTEN",
            "SYN-SENT",
            "SYN-RECEIVED",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "CLOSE-WAIT",
            "CLOSING",
            "LAST-ACK",
            "TIME-WAIT",
        ];
        let req =
            json!({"op": "sock_state", "local": local.to_string(), "remote": remote.to_string()});
        let Some(v) = self.ask(&req) else {
            return "CLOSED";
        };
        let s = v.get("state").and_then(Value::as_str).unwrap_or("");
        match STATES.iter().find(|x| **x == s) {
            Some(x) => x,
            None => {
                self.malformed(&req, &v, "`state`, an RFC 9293 state name");
                "CLOSED"
            }
        }
    }

    fn listening(&mut self, local: SocketAddrV4) -> bool {
        let req = json!({"op": "sock_listening", "local": local.to_string()});
        match self.ask(&req) {
            Some(v) => match v.get("listening").and_then(Value::as_bool) {
                Some(b) => b,
                None => {
                    self.malformed(&req, &v, "`listening`");
                    false
                }
            },
            None => false,
        }
    }
}
