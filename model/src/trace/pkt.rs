//! packetdrill scripts: a trace as the script that tests one of its hosts.
//!
//! [`script`] turns a [`Trace`] and a role (the host the stack under test
//! plays, `A` or `B`) into a packetdrill script in which the script plays
//! the other host, the peer. The stack's application calls become system
//! calls, the peer's segments delivered to the stack become inbound (`<`)
//! lines, the segments the stack emits become outbound (`>`) lines, and the
//! model's ticks become relative time. What a script cannot say (a crash,
//! a CLOSE of a connection still in the listen queue, the model's short
//! TIME-WAIT, a reopen on a fresh port, ...) ends the script at that step
//! with a `// stop:` comment, or, when nothing was checked before it, the
//! (trace, role) is skipped with the reason. The book's packetdrill-export
//! chapter (`docs/src/conformance/packetdrill-export.md`) documents every
//! rule.
//!
//! ```
//! use synfin_model::{trace, Config, Preset, Profile};
//! use synfin_model::system::A;
//!
//! let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
//! let (name, path) = trace::scenario_paths(&cfg).unwrap().remove(0);
//! let t = trace::record(&cfg, "scenario", &path);
//! let s = trace::pkt::script(&t, name, A).unwrap();
//! assert!(s.text.contains("connect(3, ..., ...) = -1 EINPROGRESS"));
//! assert!(s.text.contains("> S 0:0(0) <...>"));
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use super::format::{HostObs, Step, TSeg, Trace};
use super::write::{content_hash, to_json};
use crate::system::{name, A, B};

/// The window the peer advertises on every inbound line.
pub const PEER_WINDOW: u32 = 65535;
/// The MSS option of the peer's SYN and SYN,ACK.
pub const PEER_MSS: u32 = 1460;
/// The script's `--tolerance_usecs`: how late an outbound packet or a call
/// may be against its script time.
pub const TOLERANCE_USECS: u64 = 100_000;
/// How much earlier than its tick an event is placed when, later in the
/// same tick, the stack's own timer fires: the model orders the event
/// before the expiry, so it must reach the kernel before its timer does.
pub const EARLY_MS: u64 = 100;

/// A script for one (trace, role).
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// The host the stack under test plays: `'A'` or `'B'`.
    pub role: char,
    /// The script, ending with a newline; at least one outbound line.
    pub text: String,
    /// Why the script ends before the trace does, if it does (the script
    /// ends with a `// stop:` comment saying the same).
    pub stopped: Option<String>,
}

/// The sysctls a script sets first, so that the kernel behaves as the
/// model's host: the deterministic settings of the kernel replay
/// (`linux/src/sys/netns/sysctl.rs`: no SYN cookies, Fast Open, cached
/// metrics, autocorking or rate limit on ACKs of unacceptable segments;
/// RFC 6298 doubling of the SYN timeout), the trace's retry limit for SYN,
/// SYN,ACK and data/FIN and its RTO once connected, no tail loss probes,
/// and RFC 1337's F1 (ignore a RST in TIME-WAIT) exactly when the profile
/// has it (`rfc9293`).
pub fn sysctls(t: &Trace) -> Vec<(&'static str, u64)> {
    let retries = u64::from(t.config.retries).max(1);
    vec![
        ("net.ipv4.tcp_syncookies", 0),
        ("net.ipv4.tcp_fastopen", 0),
        ("net.ipv4.tcp_no_metrics_save", 1),
        ("net.ipv4.tcp_autocorking", 0),
        ("net.ipv4.tcp_invalid_ratelimit", 0),
        ("net.ipv4.tcp_syn_linear_timeouts", 0),
        ("net.ipv4.tcp_syn_retries", retries),
        ("net.ipv4.tcp_synack_retries", retries),
        ("net.ipv4.tcp_retries2", retries),
        (
            "net.ipv4.tcp_rto_min_us",
            u64::from(t.config.rto) * t.config.tick_seconds * 1_000_000,
        ),
        ("net.ipv4.tcp_early_retrans", 0),
        (
            "net.ipv4.tcp_rfc1337",
            u64::from(t.config.profile == "rfc9293"),
        ),
    ]
}

/// The script that tests host `role` (`A` or `B`) of `t`: the stack under
/// test plays `role`, the script plays the other host. `name` names the
/// trace in the header comment. `Err` is the reason the (trace, role) is
/// skipped: the trace cannot be expressed before the stack sends its
/// first segment, or it sends none.
pub fn script(t: &Trace, name: &str, role: usize) -> Result<Script, String> {
    let mut g = Gen::new(t, role);
    g.header(name);
    let mut stopped = None;
    for i in 0..t.steps.len() {
        if let Err(why) = g.step(i) {
            stopped = Some(why);
            break;
        }
    }
    // A script checks the stack by the segments it expects from it: with
    // none before the end or the stop, there is nothing to run.
    if g.packets == 0 {
        return Err(stopped.unwrap_or_else(|| {
            format!(
                "the stack under test ({}) sends no segment in this trace",
                g.me
            )
        }));
    }
    if let Some(why) = &stopped {
        g.comment(&format!("stop: {why}"));
    }
    Ok(Script {
        role: g.me,
        text: g.lines.join("\n") + "\n",
        stopped,
    })
}

/// What an export in packetdrill form wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Export {
    /// Scripts written.
    pub scripts: usize,
    /// Of those, scripts that end before their trace does.
    pub stopped: usize,
    /// (trace, role) pairs skipped: `<stem>-<role>` and the reason.
    pub skipped: Vec<(String, String)>,
}

/// Write `<stem>-A.pkt` and `<stem>-B.pkt` for each `(stem, trace)` in
/// `dir` (created), skipping the (trace, role) pairs that cannot be
/// expressed. `stem` is the name the trace's JSON file has (without
/// `.json`), so a script sits next to its trace.
pub fn write(dir: &Path, traces: &[(String, &Trace)]) -> std::io::Result<Export> {
    std::fs::create_dir_all(dir)?;
    let mut out = Export::default();
    let mut seen = BTreeSet::new();
    for (stem, t) in traces {
        if !seen.insert(stem.clone()) {
            continue;
        }
        for role in [A, B] {
            let file = format!("{stem}-{}", self::name(role));
            match script(t, stem, role) {
                Ok(s) => {
                    std::fs::write(dir.join(format!("{file}.pkt")), &s.text)?;
                    out.scripts += 1;
                    out.stopped += usize::from(s.stopped.is_some());
                }
                Err(why) => out.skipped.push((file, why)),
            }
        }
    }
    Ok(out)
}

/// The stem of a trace's JSON file as `synfin export` names it: the
/// content hash of its JSON.
pub fn hash_stem(t: &Trace) -> String {
    format!("{:016x}", content_hash(to_json(t).as_bytes()))
}

/// Seconds as packetdrill writes them: `0`, `1`, `0.9`, `1.425`.
fn secs(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}", ms / 1000)
    } else {
        let s = format!("{}.{:03}", ms / 1000, ms % 1000);
        s.trim_end_matches('0').to_string()
    }
}

fn has(seg: &TSeg, flag: &str) -> bool {
    seg.flags.split(',').any(|f| f == flag)
}

/// packetdrill's flag letters: S, F, R, P (on every segment with data: the
/// model has no PSH, and a write's last segment carries it), then `.` for
/// ACK.
fn flag_letters(seg: &TSeg) -> String {
    let mut s = String::new();
    for (f, c) in [("SYN", 'S'), ("FIN", 'F'), ("RST", 'R')] {
        if has(seg, f) {
            s.push(c);
        }
    }
    if seg.len > 0 {
        s.push('P');
    }
    if has(seg, "ACK") {
        s.push('.');
    }
    s
}

/// Describe a segment the way the trace does, for comments.
fn describe(seg: &TSeg) -> String {
    let seq = seg.seq.map_or("<SEQ=0>".to_string(), |s| s.to_string());
    let data = if seg.len > 0 { " +1 byte" } else { "" };
    format!(
        "{}'s <{} seq={seq} ack={}>{data}",
        seg.from, seg.flags, seg.ack
    )
}

struct Gen<'a> {
    t: &'a Trace,
    role: usize,
    me: char,
    peer: char,
    tick_ms: u64,
    lines: Vec<String>,
    /// Script time of the last event line, in ms; `None` before the first.
    last_ms: Option<u64>,
    /// No event before this time (after the stack gives up: its timer may
    /// fire late).
    floor_ms: u64,
    /// Outbound lines written.
    packets: usize,
    fds: BTreeSet<u32>,
    listen_fd: Option<u32>,
    conn_fd: Option<u32>,
    /// The stack has opened (listen or connect); `passive` if by listen.
    opened: bool,
    passive: bool,
    /// The ISS of the stack's latest SYN or SYN,ACK (relative to its ISN
    /// base): its numbers count from it.
    my_iss: Option<i64>,
    /// Where the peer's sequence numbers count from: its first ISS.
    peer_zero: i64,
    /// Length in ticks of the stack's timer when it was last armed.
    armed: u64,
}

impl<'a> Gen<'a> {
    fn new(t: &'a Trace, role: usize) -> Self {
        let peer = 1 - role;
        let peer_zero = t.steps.iter().find_map(|s| obs(s, peer).iss).unwrap_or(0);
        Gen {
            t,
            role,
            me: name(role),
            peer: name(peer),
            tick_ms: t.config.tick_seconds * 1000,
            lines: Vec::new(),
            last_ms: None,
            floor_ms: 0,
            packets: 0,
            fds: BTreeSet::new(),
            listen_fd: None,
            conn_fd: None,
            opened: false,
            passive: false,
            my_iss: None,
            peer_zero,
            armed: 0,
        }
    }

    fn header(&mut self, name: &str) {
        let c = &self.t.config;
        self.comment(&format!(
            "{}: {} trace {name}, preset {}, profile {}.",
            self.t.format, self.t.origin, c.preset, c.profile
        ));
        self.comment(&format!(
            "The stack under test plays host {}; this script plays host {}.",
            self.me, self.peer
        ));
        self.comment(
            "Written by `synfin export --format pkt`: the model's expectation, step by step.",
        );
        self.lines.push("--ip_version=ipv4".to_string());
        self.lines
            .push(format!("--tolerance_usecs={TOLERANCE_USECS}"));
        self.lines.push(String::new());
        for (k, v) in sysctls(self.t) {
            self.event(0, &format!("`sysctl -q {k}={v}`"));
        }
    }

    fn comment(&mut self, text: &str) {
        self.lines.push(format!("// {text}"));
    }

    /// The time prefix of an event at `ms` (never before the last event or
    /// the floor), relative to the last event; the first is absolute.
    fn time(&mut self, ms: u64) -> String {
        let ms = ms.max(self.floor_ms).max(self.last_ms.unwrap_or(0));
        let prefix = match self.last_ms {
            None => secs(ms),
            Some(last) => format!("+{}", secs(ms - last)),
        };
        self.last_ms = Some(ms);
        prefix
    }

    fn event(&mut self, ms: u64, what: &str) {
        let at = self.time(ms);
        self.lines.push(format!("{at} {what}"));
    }

    /// An event the stack's timer causes: due at `ms`, up to `slack_ms`
    /// late (packetdrill takes later relative times from when it happened).
    fn ranged(&mut self, ms: u64, slack_ms: u64, what: &str) {
        let last = self.last_ms.unwrap_or(0);
        let ms = ms.max(self.floor_ms).max(last);
        self.last_ms = Some(ms);
        let d = ms - last;
        self.lines
            .push(format!("+{}~+{} {what}", secs(d), secs(d + slack_ms)));
    }

    fn fd(&mut self) -> u32 {
        let fd = (3..).find(|f| !self.fds.contains(f)).expect("a free fd");
        self.fds.insert(fd);
        fd
    }

    fn close_fd(&mut self, ms: u64, fd: u32) {
        self.event(ms, &format!("close({fd}) = 0"));
        self.fds.remove(&fd);
    }

    /// Where step `i` happens, in ms: its tick, or [`EARLY_MS`] before it
    /// when the stack's timer fires later in the same tick.
    fn when(&self, i: usize) -> u64 {
        let tick = self.t.steps[i].tick;
        let ms = u64::from(tick) * self.tick_ms;
        let timer_later = self.t.steps[i + 1..]
            .iter()
            .take_while(|s| s.tick == tick)
            .any(|s| s.input.kind == "timeout" && self.is_me(s.input.host.as_deref()));
        // The stack's timer is due now (no whole tick left) and this step is
        // not its expiry: in the model the step comes first, so the script
        // must reach the stack before its timer does. The step before may
        // be the tick itself, which a trace records under the tick it ends.
        let mine = if self.me == 'B' { B } else { A };
        let due_now = i > 0
            && (self.t.steps[i - 1].tick == tick || self.t.steps[i - 1].input.kind == "tick")
            && obs(&self.t.steps[i - 1], mine).timer == Some(0)
            && !(self.t.steps[i].input.kind == "timeout"
                && self.is_me(self.t.steps[i].input.host.as_deref()));
        if timer_later || due_now {
            ms.saturating_sub(EARLY_MS)
        } else {
            ms
        }
    }

    fn is_me(&self, host: Option<&str>) -> bool {
        host.and_then(|h| h.chars().next()) == Some(self.me)
    }

    fn slack(&self) -> u64 {
        self.armed * self.tick_ms / 8 + 300
    }

    fn step(&mut self, i: usize) -> Result<(), String> {
        let step = &self.t.steps[i];
        let before = if i == 0 {
            None
        } else {
            Some(obs(&self.t.steps[i - 1], self.role))
        };
        let before_state = before.map_or("CLOSED", |b| b.state.as_str());
        let before_timer = before.and_then(|b| b.timer);
        let after = obs(step, self.role);
        let ms = self.when(i);
        let kind = step.input.kind.as_str();
        let mine = self.is_me(step.input.host.as_deref());
        let mut outbound_done = false;
        match kind {
            "listen" | "connect" | "send" | "close" | "abort" if mine => {
                self.call(ms, kind, before_state)?;
            }
            "listen" | "connect" | "send" | "close" | "abort" => {
                self.comment(&format!("{}: {kind}", self.peer));
            }
            "deliver" | "duplicate" => {
                let seg = step.input.segment.as_ref().expect("a network input");
                if seg.from.starts_with(self.peer) {
                    self.rfc793_rst(seg, before, before_state, after)?;
                    let line = self.inbound(seg, before_state)?;
                    self.event(ms, &line);
                }
            }
            "lose" | "delay" => {
                let seg = step.input.segment.as_ref().expect("a network input");
                let what = if kind == "lose" { "loses" } else { "delays" };
                self.comment(&format!("the network {what} {}", describe(seg)));
            }
            "timeout" if mine => {
                if before_state == "TIME-WAIT" {
                    return Err(format!(
                        "the model's TIME-WAIT ends after {} s; Linux's lasts 60 s",
                        u64::from(self.t.config.time_wait) * self.t.config.tick_seconds
                    ));
                }
                if self.t.config.retries == 0 {
                    return Err("retries 0: the kernel retransmits at least once".to_string());
                }
                let slack = self.slack();
                if after.emitted.is_empty() {
                    self.comment(&format!(
                        "{}'s timer expires: it gives up ({})",
                        self.me,
                        after.events.join(", ")
                    ));
                    self.floor_ms = ms + slack;
                } else {
                    for (k, seg) in after.emitted.iter().enumerate() {
                        let line = self.outbound(seg)?;
                        if k == 0 {
                            self.ranged(ms, slack, &line);
                        } else {
                            self.event(ms, &line);
                        }
                        self.packets += 1;
                    }
                }
                outbound_done = true;
            }
            "timeout" => self.comment(&format!("{}'s timer expires", self.peer)),
            "crash" if mine => {
                return Err(format!(
                    "{} crashes: a script cannot crash the kernel",
                    self.me
                ))
            }
            "crash" => self.comment(&format!("{} crashes", self.peer)),
            _ => {}
        }
        if !outbound_done {
            for seg in &after.emitted {
                let line = self.outbound(seg)?;
                self.event(ms, &line);
                self.packets += 1;
            }
        }
        if let Some(v) = after.timer {
            if before_timer.is_none_or(|b| u64::from(v) > u64::from(b)) {
                self.armed = u64::from(v);
            }
        }
        for e in &after.events {
            if e == "connected" && self.passive && self.conn_fd.is_none() {
                let lfd = self.listen_fd.expect("a passive open listens");
                let fd = self.fd();
                self.event(ms, &format!("accept({lfd}, ..., ...) = {fd}"));
                // Non-blocking, so that a read of bytes the kernel does not
                // have fails at once instead of hanging the script.
                self.event(ms, &format!("fcntl({fd}, F_SETFL, O_RDWR|O_NONBLOCK) = 0"));
                self.conn_fd = Some(fd);
                // The model's host no longer listens once its connection
                // is established: close the listener so that a new SYN
                // finds no listener, as in the model.
                self.close_fd(ms, lfd);
                self.listen_fd = None;
            } else {
                self.comment(&format!("{}: {e}", self.me));
                if let Some(err) = so_error(e, before_state) {
                    if let Some(fd) = self.conn_fd {
                        self.event(
                            ms,
                            &format!("getsockopt({fd}, SOL_SOCKET, SO_ERROR, [{err}], [4]) = 0"),
                        );
                    }
                }
            }
        }
        // What the model delivers to the application, the script reads:
        // the bytes, then the end of stream.
        if let Some(fd) = self.conn_fd {
            let had = before.map_or(0, |b| b.delivered);
            if after.delivered > had {
                let n = after.delivered - had;
                self.event(ms, &format!("read({fd}, ..., {n}) = {n}"));
            }
            if after.eof && !before.is_some_and(|b| b.eof) {
                self.event(ms, &format!("read({fd}, ..., 1) = 0"));
            }
        }
        Ok(())
    }

    fn call(&mut self, ms: u64, kind: &str, before_state: &str) -> Result<(), String> {
        match kind {
            "listen" => {
                if self.opened && !self.passive {
                    return Err(format!(
                        "{} listens after an active open: a new socket gets a fresh port, where the model reopens the same connection",
                        self.me
                    ));
                }
                self.opened = true;
                self.passive = true;
                self.conn_fd = None;
                let fd = self.fd();
                self.event(ms, &format!("socket(..., SOCK_STREAM, IPPROTO_TCP) = {fd}"));
                self.event(
                    ms,
                    &format!("setsockopt({fd}, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0"),
                );
                self.event(ms, &format!("fcntl({fd}, F_SETFL, O_RDWR|O_NONBLOCK) = 0"));
                self.event(ms, &format!("bind({fd}, ..., ...) = 0"));
                self.event(ms, &format!("listen({fd}, 1) = 0"));
                self.listen_fd = Some(fd);
            }
            "connect" => {
                if self.opened {
                    return Err(format!(
                        "{} opens again: a new socket gets a fresh port, where the model reopens the same connection",
                        self.me
                    ));
                }
                self.opened = true;
                let fd = self.fd();
                self.event(ms, &format!("socket(..., SOCK_STREAM, IPPROTO_TCP) = {fd}"));
                self.event(ms, &format!("fcntl({fd}, F_SETFL, O_RDWR|O_NONBLOCK) = 0"));
                self.event(
                    ms,
                    &format!(
                        "connect({fd}, ..., ...) = -1 EINPROGRESS (Operation now in progress)"
                    ),
                );
                self.conn_fd = Some(fd);
            }
            "send" => {
                let fd = self.conn_fd.ok_or_else(|| {
                    format!("{} sends before its connection is accepted", self.me)
                })?;
                self.event(ms, &format!("write({fd}, ..., 1) = 1"));
            }
            "close" => match (before_state, self.conn_fd, self.listen_fd) {
                ("LISTEN", _, Some(lfd)) => {
                    self.close_fd(ms, lfd);
                    self.listen_fd = None;
                }
                ("SYN-RECEIVED", None, _) => {
                    return Err(format!(
                        "{} closes a connection still in the listen queue: the socket API cannot reach it before accept",
                        self.me
                    ))
                }
                (_, Some(fd), _) => self.event(ms, &format!("shutdown({fd}, SHUT_WR) = 0")),
                _ => return Err(format!("{} closes without a socket", self.me)),
            },
            "abort" => {
                let fd = self
                    .conn_fd
                    .ok_or_else(|| format!("{} aborts without a connected socket", self.me))?;
                self.event(
                    ms,
                    &format!(
                        "setsockopt({fd}, SOL_SOCKET, SO_LINGER, {{onoff=1, linger=0}}, 8) = 0"
                    ),
                );
                self.close_fd(ms, fd);
                self.conn_fd = None;
            }
            _ => unreachable!("an application call"),
        }
        Ok(())
    }

    /// Under the rfc793 profile an RST inside the window but not at RCV.NXT
    /// resets the connection (RFC 793 §3.4); RFC 5961 §3.2, which Linux
    /// and synfin-tcp follow whatever the sysctls say, answers it with a
    /// challenge ACK instead. No setting asks a kernel for RFC 793's rule,
    /// so the script stops before such an RST.
    fn rfc793_rst(
        &self,
        seg: &TSeg,
        before: Option<&HostObs>,
        before_state: &str,
        after: &HostObs,
    ) -> Result<(), String> {
        if self.t.config.profile != "rfc793" || !has(seg, "RST") || after.state == before_state {
            return Ok(());
        }
        let rcv_nxt = before.and_then(|b| b.tcb.as_ref()).and_then(|t| t.rcv_nxt);
        match (seg.seq, rcv_nxt) {
            (Some(s), Some(r)) if s - self.peer_zero != r => Err(format!(
                "{} arrives in {before_state} inside the window but not at RCV.NXT: the rfc793 \
                 profile resets the connection, where RFC 5961's challenge ACK (Linux's, and \
                 synfin-tcp's under packetdrill) answers it, and no setting asks for RFC 793's rule",
                describe(seg)
            )),
            _ => Ok(()),
        }
    }

    /// An inbound line: the peer's segment as the script injects it.
    fn inbound(&self, seg: &TSeg, before_state: &str) -> Result<String, String> {
        if !self.opened {
            return Err(format!(
                "{} reaches {} before it has opened a socket: the script has no address to send it to",
                describe(seg),
                self.me
            ));
        }
        let ack = if has(seg, "ACK") {
            let iss = self.my_iss.ok_or_else(|| {
                format!(
                    "{} acknowledges {} before it has chosen an ISN",
                    describe(seg),
                    self.me
                )
            })?;
            Some(seg.ack - iss)
        } else {
            None
        };
        let seq = match seg.seq {
            Some(s) => s - self.peer_zero,
            // `<SEQ=0><CTL=RST,ACK>`: SYN-SENT checks only its ACK, CLOSED
            // and LISTEN ignore a RST (RFC 9293 §3.10.7.1-3), so any
            // sequence number will do.
            None if matches!(before_state, "SYN-SENT" | "CLOSED" | "LISTEN") => 0,
            None => {
                return Err(format!(
                "{} arrives in {before_state}: a `<SEQ=0>` cannot be written relative to {}'s ISN",
                describe(seg),
                self.peer
            ))
            }
        };
        if seq < 0 || ack.is_some_and(|a| a < 0) {
            return Err(format!(
                "{} lies before the peer's first ISN: packetdrill's relative numbers cannot say it",
                describe(seg)
            ));
        }
        let mut line = format!(
            "< {} {seq}:{}({})",
            flag_letters(seg),
            seq + i64::from(seg.len),
            seg.len
        );
        if let Some(a) = ack {
            line += &format!(" ack {a}");
        }
        line += &format!(" win {PEER_WINDOW}");
        if has(seg, "SYN") {
            line += &format!(" <mss {PEER_MSS}>");
        }
        Ok(line)
    }

    /// An outbound line: what the stack must send. No `win` (packetdrill
    /// compares it when present), options `<...>` (any).
    fn outbound(&mut self, seg: &TSeg) -> Result<String, String> {
        let Some(seq) = seg.seq else {
            return Err(format!(
                "{} answers with {}: a `<SEQ=0>` cannot be written relative to its ISN",
                self.me,
                describe(seg)
            ));
        };
        let iss = match (self.my_iss, has(seg, "SYN")) {
            // Its SYN or SYN,ACK carries the ISN it chose: packetdrill
            // counts the stack's numbers from it, a new one (a new
            // connection) included.
            (_, true) => {
                self.my_iss = Some(seq);
                seq
            }
            (Some(iss), false) => iss,
            (None, false) => {
                return Err(format!(
                    "{} sends {} before it has chosen an ISN",
                    self.me,
                    describe(seg)
                ))
            }
        };
        let seq = seq - iss;
        let ack = seg.ack - self.peer_zero;
        if seq < 0 || (has(seg, "ACK") && ack < 0) {
            return Err(format!(
                "{} lies before an ISN: packetdrill's relative numbers cannot say it",
                describe(seg)
            ));
        }
        let mut line = format!(
            "> {} {seq}:{}({})",
            flag_letters(seg),
            seq + i64::from(seg.len),
            seg.len
        );
        if has(seg, "ACK") {
            line += &format!(" ack {ack}");
        }
        line += " <...>";
        Ok(line)
    }
}

/// The `SO_ERROR` a socket shows after an application event, where the
/// socket API has one answer: ETIMEDOUT when the connection gives up,
/// ECONNREFUSED for a RST in SYN-SENT, ECONNRESET for one in ESTABLISHED
/// (Linux reports EPIPE in CLOSE-WAIT, so other states are left unchecked).
fn so_error(event: &str, before_state: &str) -> Option<&'static str> {
    match (event, before_state) {
        ("timed-out", _) => Some("ETIMEDOUT"),
        ("refused", "SYN-SENT") => Some("ECONNREFUSED"),
        ("reset", "ESTABLISHED") => Some("ECONNRESET"),
        _ => None,
    }
}

fn obs(s: &Step, h: usize) -> &HostObs {
    if h == B {
        &s.b
    } else {
        &s.a
    }
}

#[cfg(test)]
mod tests {
    use super::secs;

    #[test]
    fn seconds_are_written_as_packetdrill_reads_them() {
        assert_eq!(secs(0), "0");
        assert_eq!(secs(1000), "1");
        assert_eq!(secs(900), "0.9");
        assert_eq!(secs(1425), "1.425");
    }
}
