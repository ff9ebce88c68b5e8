//! Conformance traces (`synfin-trace/1`) and `synfin export`.
//!
//! A trace is the model configuration plus a list of steps; each step is one
//! action and what the model says each endpoint looks like after it: state,
//! ISS, timer, the segments it emitted, bytes delivered, end of stream and
//! application events. Sequence numbers are relative to each host's ISN
//! base (A counts from 0, B from 100 in the model), so a replayer can map
//! them onto any base. The format is documented in
//! `conformance/TRACE-FORMAT.md`; `synfin-conformance` reads it with its own
//! types (the two crates share the format, not code).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

use crate::config::{Config, Preset, Profile};
use crate::segment::{Ctl, Seg};
use crate::system::{name, Action, Sys, A, B};
use crate::tcb::{End, Host, St};

/// The format tag every trace carries.
pub const FORMAT: &str = "synfin-trace/1";
/// The format tag of the cover manifest.
pub const COVER_FORMAT: &str = "synfin-cover/1";

/// A whole trace.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Trace {
    /// Always [`FORMAT`].
    pub format: String,
    /// How the trace was made: `depth`, `cover`, `random`, `scenario`.
    pub origin: String,
    /// The model configuration.
    pub config: TraceConfig,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// The model configuration a trace was exported under.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TraceConfig {
    /// `quick`, `default` or `deep`.
    pub preset: String,
    /// `rfc9293` or `rfc793`.
    pub profile: String,
    /// Seconds of implementation time per model tick.
    pub tick_seconds: u64,
    /// Initial retransmission timeout, in ticks (doubled per retry).
    pub rto: u8,
    /// Maximum segment lifetime, in ticks.
    pub msl: u8,
    /// TIME-WAIT length, in ticks (2·MSL).
    pub time_wait: u8,
    /// Retransmissions (SYN, data, FIN) before a connection gives up.
    pub retries: u8,
    /// Receive window, in sequence numbers.
    pub window: u8,
    /// RFC 5961 challenge ACKs are not rate-limited in the model.
    pub challenge_ack_limit: Option<u32>,
    /// The model's absolute ISN bases of A and B: a `seq: null` RST,ACK
    /// (the literal `<SEQ=0>`) lies at `-model_isn_bases[sender]` relative
    /// to its sender, which is where a replayer delivers it.
    pub model_isn_bases: [i64; 2],
}

/// One step: an input and the observations after it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Step {
    /// Ticks elapsed before this step.
    pub tick: u32,
    /// What happens.
    pub input: Input,
    /// The model transition this step takes (see [`transition_key`]), if
    /// an endpoint acts.
    pub key: Option<String>,
    /// Host A after the step.
    #[serde(rename = "A")]
    pub a: HostObs,
    /// Host B after the step.
    #[serde(rename = "B")]
    pub b: HostObs,
}

/// One input.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Input {
    /// `listen`, `connect`, `send`, `close`, `abort`, `deliver`, `lose`,
    /// `duplicate`, `delay`, `timeout`, `tick`, `crash`.
    pub kind: String,
    /// The host for application calls, timeouts and crashes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<String>,
    /// The segment for network inputs.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub segment: Option<TSeg>,
}

/// A segment, numbers relative to the ISN bases.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TSeg {
    /// Sender: `A` or `B`.
    pub from: String,
    /// Control bits in the order SYN, ACK, FIN, RST, comma-separated.
    pub flags: String,
    /// SEG.SEQ relative to the sender's ISN base; `null` for the literal
    /// `<SEQ=0>` of a `<CTL=RST,ACK>` answering a segment without ACK.
    pub seq: Option<i64>,
    /// SEG.ACK relative to the receiver's ISN base (0 without ACK).
    pub ack: i64,
    /// Payload octets.
    pub len: u8,
}

/// What one endpoint looks like after a step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HostObs {
    /// RFC 9293 state name.
    pub state: String,
    /// ISS relative to the host's ISN base (`null` in CLOSED and LISTEN).
    pub iss: Option<i64>,
    /// Whole ticks until the host's running timer expires, if one runs.
    pub timer: Option<u8>,
    /// Segments the host emitted during the step (sorted).
    pub emitted: Vec<TSeg>,
    /// Bytes delivered to the application in this incarnation.
    pub delivered: u8,
    /// The peer's FIN reached the application.
    pub eof: bool,
    /// Application events during the step: `connected`, `peer-closed`,
    /// `reset`, `refused`, `timed-out`, `closed`.
    pub events: Vec<String>,
    /// The TCB's sequence variables, where the host has a TCB whose
    /// variables mean something (see [`tcb_obs`]); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tcb: Option<TcbObs>,
}

/// A host's TCB variables (RFC 9293 §3.3.1), each relative to where it
/// starts: SND.UNA and SND.NXT to the host's ISS, RCV.NXT to its IRS. A
/// field is `None` (omitted) in a state where the RFC gives it no meaning.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TcbObs {
    /// SND.UNA − ISS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub snd_una: Option<i64>,
    /// SND.NXT − ISS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub snd_nxt: Option<i64>,
    /// RCV.NXT − IRS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rcv_nxt: Option<i64>,
    /// Retransmission timeouts of the oldest unacknowledged segment so far
    /// (0 until its first one; cleared when SND.UNA advances).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retries: Option<u8>,
}

/// The TCB variables a host shows in its state (RFC 9293 §3.3.1, §3.10):
/// none in CLOSED (no TCB) and LISTEN (no ISS or IRS chosen yet); in
/// SYN-SENT SND.UNA, SND.NXT and the retry count (IRS is not known yet, so
/// no RCV.NXT); from SYN-RECEIVED to LAST-ACK all four; in TIME-WAIT only
/// SND.NXT and RCV.NXT, what the ACK of a retransmitted FIN carries (the
/// retransmission queue is empty and no retransmission timer runs).
pub fn tcb_obs(host: &Host) -> Option<TcbObs> {
    let rel = |x: u8, from: u8| Some(i64::from(x.wrapping_sub(from)));
    let all = TcbObs {
        snd_una: rel(host.snd_una, host.iss),
        snd_nxt: rel(host.snd_nxt, host.iss),
        rcv_nxt: rel(host.rcv_nxt, host.irs),
        retries: Some(host.retries),
    };
    match host.state {
        St::Closed | St::Listen => None,
        St::SynSent => Some(TcbObs {
            rcv_nxt: None,
            ..all
        }),
        St::TimeWait => Some(TcbObs {
            snd_una: None,
            retries: None,
            ..all
        }),
        _ => Some(all),
    }
}

/// The cover manifest: every transition key reachable in the model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Cover {
    /// Always [`COVER_FORMAT`].
    pub format: String,
    /// The configuration explored.
    pub config: TraceConfig,
    /// Reachable states explored.
    pub states: usize,
    /// Every reachable transition key, sorted.
    pub keys: Vec<String>,
    /// The budgets of the world explored: what a schedule may do and still
    /// be a model schedule (conformance's refinement oracle reads them).
    pub budgets: Budgets,
}

/// The application and network budgets of a configuration (see
/// [`Config`]): not in the trace's `config`, which is what a replayer
/// configures, but in the cover manifest, which says which world its keys
/// were explored in.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Budgets {
    /// OPENs per host (incarnations).
    pub opens: u8,
    /// Whether B may also actively open (A only connects; B listens).
    pub b_connects: bool,
    /// Data bytes each host may send per incarnation, A and B.
    pub bytes: [u8; 2],
    /// Segments the network may lose.
    pub losses: u8,
    /// Segments the network may duplicate.
    pub dups: u8,
    /// Segments (SYN, FIN or data) the network may hold past a tick.
    pub delays: u8,
    /// ABORT calls (A's application, in ESTABLISHED).
    pub aborts: u8,
    /// Host crashes.
    pub crashes: u8,
    /// The ISN clock advances this many numbers per tick.
    pub isn_rate: u8,
    /// The ISN clock saturates after this many ticks.
    pub clock_cap: u8,
}

/// The budgets block of a cover manifest.
pub fn budgets(cfg: &Config) -> Budgets {
    Budgets {
        opens: cfg.opens,
        b_connects: cfg.b_connects,
        bytes: cfg.bytes,
        losses: cfg.losses,
        dups: cfg.dups,
        delays: cfg.delays,
        aborts: cfg.aborts,
        crashes: cfg.crashes,
        isn_rate: cfg.isn_rate,
        clock_cap: cfg.clock_cap,
    }
}

fn base(h: usize) -> i64 {
    if h == A {
        0
    } else {
        100
    }
}

fn flags(ctl: Ctl) -> String {
    let mut v = Vec::new();
    for (bit, n) in [
        (Ctl::SYN, "SYN"),
        (Ctl::ACK, "ACK"),
        (Ctl::FIN, "FIN"),
        (Ctl::RST, "RST"),
    ] {
        if ctl.has(bit) {
            v.push(n);
        }
    }
    v.join(",")
}

/// A model segment in trace terms.
pub fn tseg(s: &Seg) -> TSeg {
    let from = s.from as usize;
    let seq = if s.ctl == Ctl::RST | Ctl::ACK && s.seq == 0 {
        None
    } else {
        Some(i64::from(s.seq) - base(from))
    };
    let ack = if s.ctl.has(Ctl::ACK) {
        i64::from(s.ack) - base(1 - from)
    } else {
        0
    };
    TSeg {
        from: name(from).to_string(),
        flags: flags(s.ctl),
        seq,
        ack,
        len: u8::from(s.data),
    }
}

/// The trace's configuration block.
pub fn trace_config(cfg: &Config) -> TraceConfig {
    TraceConfig {
        preset: cfg.preset.name().to_string(),
        profile: cfg.profile.name().to_string(),
        tick_seconds: 1,
        rto: cfg.rto,
        msl: cfg.msl,
        time_wait: cfg.time_wait(),
        retries: cfg.retries,
        window: cfg.window,
        challenge_ack_limit: None,
        model_isn_bases: [base(A), base(B)],
    }
}

fn seg_key(s: &Seg) -> (u8, u8, u8, Ctl, bool, u8, u8) {
    (s.from, s.seq, s.ack, s.ctl, s.data, s.g_inc, s.g_idx)
}

/// Segments in `after` but not in `before` (multiset difference, ignoring age).
fn emitted(before: &Sys, after: &Sys) -> Vec<Seg> {
    let mut count: HashMap<_, i32> = HashMap::new();
    for s in &before.net {
        *count.entry(seg_key(s)).or_default() += 1;
    }
    let mut out = Vec::new();
    for s in &after.net {
        let c = count.entry(seg_key(s)).or_default();
        if *c > 0 {
            *c -= 1;
        } else {
            out.push(*s);
        }
    }
    out
}

fn events(action: Action, h: usize, before: &Host, after: &Host) -> Vec<String> {
    let mut ev = Vec::new();
    if matches!(action, Action::Crash(x) if x == h) {
        return ev;
    }
    let same_inc = before.inc == after.inc;
    if matches!(before.state, St::SynSent | St::SynReceived)
        && after.state.synchronized()
        && same_inc
        && !matches!(action, Action::Close(_))
    {
        ev.push("connected".to_string());
    }
    if !before.eof && after.eof && same_inc {
        ev.push("peer-closed".to_string());
    }
    // A passive SYN-RECEIVED that returns to LISTEN tells the user nothing
    // (RFC 9293 §3.10.7.4: "The user need not be informed").
    let gone = before.state != St::Closed && after.state == St::Closed;
    if gone {
        let e = match after.end {
            End::Reset
                if before.state == St::SynSent
                    || (before.state == St::SynReceived && !before.passive) =>
            {
                "refused"
            }
            // RFC 9293 §3.10.7.4 RST in TIME-WAIT: "enter the CLOSED
            // state, delete the TCB" with no "connection reset" signal.
            // (A SYN in TIME-WAIT under rfc793 does signal "connection reset".)
            End::Reset
                if before.state == St::TimeWait
                    && matches!(action, Action::Deliver(s) | Action::Duplicate(s) if s.ctl.has(Ctl::RST)) =>
            {
                "closed"
            }
            End::Reset => "reset",
            End::ConnectTimeout | End::TimedOut => "timed-out",
            End::Orderly | End::TimeWaitDone | End::Cancelled | End::Aborted => "closed",
            End::StaleRejected => "reset",
            End::None | End::Crashed => "",
        };
        if !e.is_empty() {
            ev.push(e.to_string());
        }
    }
    ev
}

fn obs(action: Action, h: usize, before: &Sys, after: &Sys, em: &[Seg]) -> HostObs {
    let host = &after.hosts[h];
    let mut emitted: Vec<TSeg> = em
        .iter()
        .filter(|s| s.from as usize == h)
        .map(tseg)
        .collect();
    emitted.sort();
    HostObs {
        state: host.state.name().to_string(),
        iss: (!matches!(host.state, St::Closed | St::Listen))
            .then(|| i64::from(host.iss) - base(h)),
        timer: host.timer,
        emitted,
        delivered: host.delivered,
        eof: host.eof,
        events: events(action, h, &before.hosts[h], host),
        tcb: tcb_obs(host),
    }
}

fn input(action: Action) -> Input {
    let (kind, host, seg) = match action {
        Action::Listen(h) => ("listen", Some(h), None),
        Action::Connect(h) => ("connect", Some(h), None),
        Action::Send(h) => ("send", Some(h), None),
        Action::Close(h) => ("close", Some(h), None),
        Action::Abort(h) => ("abort", Some(h), None),
        Action::Deliver(s) => ("deliver", None, Some(s)),
        Action::Lose(s) => ("lose", None, Some(s)),
        Action::Duplicate(s) => ("duplicate", None, Some(s)),
        Action::Delay(s) => ("delay", None, Some(s)),
        Action::Timeout(h) => ("timeout", Some(h), None),
        Action::Tick => ("tick", None, None),
        Action::Crash(h) => ("crash", Some(h), None),
    };
    Input {
        kind: kind.to_string(),
        host: host.map(|h| name(h).to_string()),
        segment: seg.as_ref().map(tseg),
    }
}

/// The model transition an action takes, as coverage counts it: the acting
/// endpoint's state before, the input kind (with the segment's flags for an
/// arrival), and the outcome (state after and flags emitted). `None` for
/// actions no endpoint takes (loss, delay, tick).
pub fn transition_key(before: &Sys, action: Action, after: &Sys) -> Option<String> {
    let (h, what) = match action {
        Action::Listen(h) => (h, "listen".to_string()),
        Action::Connect(h) => (h, "connect".to_string()),
        Action::Send(h) => (h, "send".to_string()),
        Action::Close(h) => (h, "close".to_string()),
        Action::Abort(h) => (h, "abort".to_string()),
        Action::Timeout(h) => (h, "timeout".to_string()),
        Action::Crash(h) => (h, "crash".to_string()),
        Action::Deliver(s) | Action::Duplicate(s) => {
            let d = if s.data { "+data" } else { "" };
            (1 - s.from as usize, format!("arrive {}{d}", flags(s.ctl)))
        }
        Action::Lose(_) | Action::Delay(_) | Action::Tick => return None,
    };
    let mut em: Vec<String> = emitted(before, after)
        .iter()
        .filter(|s| s.from as usize == h)
        .map(|s| format!("{}{}", flags(s.ctl), if s.data { "+data" } else { "" }))
        .collect();
    em.sort();
    let out = if em.is_empty() {
        String::new()
    } else {
        format!(" emit {}", em.join(" "))
    };
    Some(format!(
        "{} {what} -> {}{out}",
        before.hosts[h].state.name(),
        after.hosts[h].state.name()
    ))
}

/// Record the trace of `actions` from the initial state.
pub fn record(cfg: &Config, origin: &str, actions: &[Action]) -> Trace {
    let mut sys = Sys::initial(cfg);
    let mut tick = 0u32;
    let mut steps = Vec::new();
    for &action in actions {
        let before = sys.clone();
        sys.step(cfg, action);
        let em = emitted(&before, &sys);
        steps.push(Step {
            tick,
            input: input(action),
            key: transition_key(&before, action, &sys),
            a: obs(action, A, &before, &sys, &em),
            b: obs(action, B, &before, &sys, &em),
        });
        if action == Action::Tick {
            tick += 1;
        }
    }
    Trace {
        format: FORMAT.to_string(),
        origin: origin.to_string(),
        config: trace_config(cfg),
        steps,
    }
}

/// Every action sequence of exactly `depth` steps, or shorter where no
/// action is enabled (a plain DFS; the count grows exponentially).
pub fn depth_paths(cfg: &Config, depth: usize) -> Vec<Vec<Action>> {
    fn go(cfg: &Config, s: &Sys, path: &mut Vec<Action>, depth: usize, out: &mut Vec<Vec<Action>>) {
        let mut acts = Vec::new();
        s.actions(cfg, &mut acts);
        if path.len() == depth || acts.is_empty() {
            if !path.is_empty() {
                out.push(path.clone());
            }
            return;
        }
        for a in acts {
            let mut n = s.clone();
            n.step(cfg, a);
            path.push(a);
            go(cfg, &n, path, depth, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    go(cfg, &Sys::initial(cfg), &mut Vec::new(), depth, &mut out);
    out
}

/// Random walks of at most `max_len` steps from a seeded xorshift generator.
pub fn random_paths(cfg: &Config, n: usize, seed: u64, max_len: usize) -> Vec<Vec<Action>> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::new();
    for _ in 0..n {
        let mut s = Sys::initial(cfg);
        let mut path = Vec::new();
        let mut acts = Vec::new();
        while path.len() < max_len {
            acts.clear();
            s.actions(cfg, &mut acts);
            if acts.is_empty() {
                break;
            }
            let a = acts[(next() % acts.len() as u64) as usize];
            s.step(cfg, a);
            path.push(a);
        }
        out.push(path);
    }
    out
}

/// Breadth-first search of the whole reachable space: every transition key,
/// and a set of paths that together take every one of them (for each key in
/// order of decreasing depth not yet taken, the shortest path to it).
///
/// Lean, because `default` has ~32M states: a visited state is kept as its
/// 64-bit fingerprint (as stateright's checkers do) with its parent and the
/// index of the action from it; only the frontier holds whole states. Paths
/// are rebuilt by replaying action indices from the initial state.
pub fn cover_paths(cfg: &Config) -> (Vec<Vec<Action>>, BTreeSet<String>, usize) {
    use crate::check::fingerprint;
    let init = Sys::initial(cfg);
    let mut index: HashMap<u64, u32> = HashMap::new();
    // parent node, index of the action taken from it (u16::MAX for the root)
    let mut nodes: Vec<(u32, u16)> = vec![(u32::MAX, u16::MAX)];
    index.insert(fingerprint(&init), 0);
    // key -> (node, action index from it, depth of the key's transition)
    let mut witness: HashMap<String, (u32, u16, u32)> = HashMap::new();
    let mut frontier: Vec<(u32, Sys)> = vec![(0, init)];
    let mut depth = 0u32;
    let mut acts = Vec::new();
    while !frontier.is_empty() {
        depth += 1;
        let mut next = Vec::new();
        for (i, s) in frontier {
            acts.clear();
            s.actions(cfg, &mut acts);
            for (ai, &a) in acts.iter().enumerate() {
                let mut n = s.clone();
                n.step(cfg, a);
                if let Some(k) = transition_key(&s, a, &n) {
                    witness.entry(k).or_insert((i, ai as u16, depth));
                }
                if let std::collections::hash_map::Entry::Vacant(e) = index.entry(fingerprint(&n)) {
                    let j = nodes.len() as u32;
                    e.insert(j);
                    nodes.push((i, ai as u16));
                    next.push((j, n));
                }
            }
        }
        frontier = next;
    }
    drop(index);
    let indices_to = |mut i: u32| {
        let mut p = Vec::new();
        loop {
            let (parent, ai) = nodes[i as usize];
            if ai == u16::MAX {
                break;
            }
            p.push(ai);
            i = parent;
        }
        p.reverse();
        p
    };
    let keys: BTreeSet<String> = witness.keys().cloned().collect();
    let mut order: Vec<_> = witness.iter().collect();
    order.sort_by(|x, y| y.1 .2.cmp(&x.1 .2).then(x.0.cmp(y.0)));
    let mut taken: HashSet<String> = HashSet::new();
    let mut paths = Vec::new();
    for (k, &(i, ai, _)) in order {
        if taken.contains(k) {
            continue;
        }
        let mut p = indices_to(i);
        p.push(ai);
        let mut s = Sys::initial(cfg);
        let mut path = Vec::with_capacity(p.len());
        for ai in p {
            acts.clear();
            s.actions(cfg, &mut acts);
            let a = acts[ai as usize];
            let before = s.clone();
            s.step(cfg, a);
            if let Some(k) = transition_key(&before, a, &s) {
                taken.insert(k);
            }
            path.push(a);
        }
        paths.push(path);
    }
    (paths, keys, nodes.len())
}

/// FNV-1a, 64 bits: names trace files by content.
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Write each trace as `<hash>.json` in `dir`; returns the file count.
pub fn write_traces(dir: &Path, traces: &[Trace]) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut names = HashSet::new();
    for t in traces {
        let text = serde_json::to_string_pretty(t).expect("trace serializes") + "\n";
        let file = format!("{:016x}.json", content_hash(text.as_bytes()));
        std::fs::write(dir.join(&file), text)?;
        names.insert(file);
    }
    Ok(names.len())
}

/// An example path of every scenario (a `sometimes` property), in
/// `synfin list` order: the path `synfin show` draws
/// ([`crate::check::examples`]); `Err` names the scenarios no reachable
/// state shows.
pub fn scenario_paths(cfg: &Config) -> Result<Vec<(&'static str, Vec<Action>)>, Vec<&'static str>> {
    let names: Vec<&'static str> = crate::properties::ALL
        .iter()
        .filter(|p| p.expectation == crate::properties::Expectation::Sometimes)
        .map(|p| p.name)
        .collect();
    let mut found = crate::check::examples(cfg, &names);
    let missing: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|n| !found.contains_key(n))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(names
        .into_iter()
        .map(|n| {
            let path = found.remove(n).expect("found");
            (n, path.into_iter().filter_map(|(_, a)| a).collect())
        })
        .collect())
}

/// `synfin export --scenarios`: `<scenario>.json` per scenario; exit 1 if
/// a scenario is unreachable under the preset (as `synfin show` does).
fn export_scenarios(cfg: &Config, args: &ExportArgs, start: std::time::Instant) -> ExitCode {
    let paths = match scenario_paths(cfg) {
        Ok(p) => p,
        Err(missing) => {
            eprintln!(
                "synfin export: no reachable state shows {} under preset {}",
                missing.join(", "),
                cfg.preset
            );
            return ExitCode::from(1);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return usage(&format!("cannot write {}: {e}", args.out.display()));
    }
    let mut steps = 0;
    for (name, p) in &paths {
        let t = record(cfg, "scenario", p);
        steps += t.steps.len();
        let text = serde_json::to_string_pretty(&t).expect("trace serializes") + "\n";
        if let Err(e) = std::fs::write(args.out.join(format!("{name}.json")), text) {
            return usage(&format!("cannot write {}: {e}", args.out.display()));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"traces": paths.len(), "steps": steps, "keys": null, "seconds": secs,
                "preset": cfg.preset.name(), "profile": cfg.profile.name(), "origin": "scenario"})
        );
    } else {
        println!(
            "{} traces, {steps} steps (scenario, preset {}, profile {}) in {secs:.1} s -> {}",
            paths.len(),
            cfg.preset,
            cfg.profile,
            args.out.display()
        );
    }
    ExitCode::SUCCESS
}

/// `synfin export` arguments.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// World size: quick, default or deep.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Endpoint behaviour: rfc9293 or rfc793.
    #[arg(long, default_value = "rfc9293")]
    pub profile: String,
    /// Every path up to N steps.
    #[arg(long)]
    pub depth: Option<usize>,
    /// `transitions`: traces that together take every reachable transition.
    #[arg(long)]
    pub cover: Option<String>,
    /// N random walks.
    #[arg(long)]
    pub random: Option<usize>,
    /// The shortest example of each scenario (`synfin list`), one file per
    /// scenario named `<scenario>.json`: the paths `synfin show` draws.
    #[arg(long)]
    pub scenarios: bool,
    /// Seed of the random walks.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Longest random walk, in steps.
    #[arg(long, default_value_t = 80)]
    pub max_len: usize,
    /// Output directory (created).
    #[arg(long)]
    pub out: PathBuf,
    /// Print one JSON summary object.
    #[arg(long)]
    pub json: bool,
    /// Override the preset's OPENs per host.
    #[arg(long)]
    pub opens: Option<u8>,
    /// Override the preset's loss budget.
    #[arg(long)]
    pub losses: Option<u8>,
    /// Override the preset's duplication budget.
    #[arg(long)]
    pub dups: Option<u8>,
    /// Override the preset's delay budget (segments held past a tick).
    #[arg(long)]
    pub delays: Option<u8>,
    /// Override the preset's ABORT budget.
    #[arg(long)]
    pub aborts: Option<u8>,
    /// Override the preset's crash budget.
    #[arg(long)]
    pub crashes: Option<u8>,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("synfin export: {msg}");
    ExitCode::from(2)
}

/// Run `synfin export`: exit 0 on success, 2 on bad arguments or I/O errors.
pub fn run_export(args: &ExportArgs) -> ExitCode {
    let preset: Preset = match args.preset.parse() {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    let profile: Profile = match args.profile.parse() {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    let modes = [
        args.depth.is_some(),
        args.cover.is_some(),
        args.random.is_some(),
        args.scenarios,
    ];
    if modes.iter().filter(|m| **m).count() != 1 {
        return usage(
            "give exactly one of --depth N, --cover transitions, --random N, --scenarios",
        );
    }
    if let Some(c) = &args.cover {
        if c != "transitions" {
            return usage(&format!("unknown cover `{c}`; valid: transitions"));
        }
    }
    let mut cfg = Config::new(preset, profile, None);
    for (field, v) in [
        (&mut cfg.opens, args.opens),
        (&mut cfg.losses, args.losses),
        (&mut cfg.dups, args.dups),
        (&mut cfg.delays, args.delays),
        (&mut cfg.aborts, args.aborts),
        (&mut cfg.crashes, args.crashes),
    ] {
        if let Some(v) = v {
            *field = v;
        }
    }
    let start = std::time::Instant::now();
    if args.scenarios {
        return export_scenarios(&cfg, args, start);
    }
    let (origin, paths, cover) = if let Some(d) = args.depth {
        if d == 0 || d > 12 {
            return usage("--depth must be between 1 and 12");
        }
        ("depth", depth_paths(&cfg, d), None)
    } else if let Some(n) = args.random {
        (
            "random",
            random_paths(&cfg, n, args.seed, args.max_len),
            None,
        )
    } else {
        let (p, keys, states) = cover_paths(&cfg);
        (
            "cover",
            p,
            Some(Cover {
                format: COVER_FORMAT.to_string(),
                config: trace_config(&cfg),
                states,
                keys: keys.into_iter().collect(),
                budgets: budgets(&cfg),
            }),
        )
    };
    let traces: Vec<Trace> = paths.iter().map(|p| record(&cfg, origin, p)).collect();
    let steps: usize = traces.iter().map(|t| t.steps.len()).sum();
    let files = match write_traces(&args.out, &traces) {
        Ok(n) => n,
        Err(e) => return usage(&format!("cannot write {}: {e}", args.out.display())),
    };
    if let Some(c) = &cover {
        let text = serde_json::to_string_pretty(c).expect("cover serializes") + "\n";
        if let Err(e) = std::fs::write(args.out.join("cover.json"), text) {
            return usage(&format!("cannot write cover.json: {e}"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let keys = cover.as_ref().map(|c| c.keys.len());
    if args.json {
        println!(
            "{}",
            serde_json::json!({"traces": files, "steps": steps, "keys": keys, "seconds": secs,
                "preset": preset.name(), "profile": profile.name(), "origin": origin})
        );
    } else {
        println!(
            "{files} traces, {steps} steps{} ({origin}, preset {preset}, profile {profile}) in {secs:.1} s -> {}",
            keys.map(|k| format!(", {k} transition keys")).unwrap_or_default(),
            args.out.display()
        );
    }
    ExitCode::SUCCESS
}
