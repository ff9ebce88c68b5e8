//! `synfin export --format pkt`: the packetdrill scripts of three scenarios
//! pinned for both roles, every script of the quick transition cover read
//! by a small grammar of packetdrill's dialect, and traces the dialect
//! cannot express skipped or stopped with a reason.

use std::collections::BTreeSet;
use std::process::Command;

use synfin_model::system::{Action, A, B};
use synfin_model::trace::{self, pkt};
use synfin_model::{Config, Preset, Profile};

fn quick() -> Config {
    Config::new(Preset::Quick, Profile::Rfc9293, None)
}

#[test]
fn scenario_scripts_are_pinned() {
    let cfg = quick();
    let paths = trace::scenario_paths(&cfg).expect("every scenario is reachable");
    for want in ["three-way-handshake", "simultaneous-close", "abort-reset"] {
        let (name, path) = paths.iter().find(|(n, _)| *n == want).expect(want);
        let t = trace::record(&cfg, "scenario", path);
        for role in [A, B] {
            let s = pkt::script(&t, name, role).expect("expressible");
            check_grammar(&s.text).unwrap_or_else(|e| panic!("{want}-{}: {e}", s.role));
            insta::assert_snapshot!(format!("{want}-{}", s.role), s.text);
        }
    }
}

/// The header sets what the profile says of a RST in TIME-WAIT (RFC 1337
/// F1 in rfc9293, not in rfc793) and the trace's retry limit and RTO.
#[test]
fn header_follows_the_trace_configuration() {
    for (profile, f1) in [(Profile::Rfc9293, 1), (Profile::Rfc793, 0)] {
        let mut cfg = Config::new(Preset::Quick, profile, None);
        cfg.retries = 3;
        let t = trace::record(&cfg, "depth", &[Action::Connect(A)]);
        let s = pkt::script(&t, "connect", A).unwrap();
        for want in [
            format!("`sysctl -q net.ipv4.tcp_rfc1337={f1}`"),
            "`sysctl -q net.ipv4.tcp_syn_retries=3`".to_string(),
            "`sysctl -q net.ipv4.tcp_retries2=3`".to_string(),
            "`sysctl -q net.ipv4.tcp_rto_min_us=1000000`".to_string(),
        ] {
            assert!(s.text.contains(&want), "{profile:?}: no {want}\n{}", s.text);
        }
        assert!(s
            .text
            .starts_with("// synfin-trace/1: depth trace connect,"));
        assert!(
            s.text.contains("\n0 `sysctl"),
            "the first event is at time 0"
        );
    }
}

/// Every script of the quick transition cover parses, and the cover
/// yields scripts for both roles with the expected stops among them.
#[test]
fn every_quick_cover_script_parses() {
    let cfg = quick();
    let (paths, _, _) = trace::cover_paths(&cfg);
    let mut scripts = 0;
    let mut stops = BTreeSet::new();
    for p in &paths {
        let t = trace::record(&cfg, "cover", p);
        let stem = pkt::hash_stem(&t);
        for role in [A, B] {
            match pkt::script(&t, &stem, role) {
                Ok(s) => {
                    scripts += 1;
                    check_grammar(&s.text)
                        .unwrap_or_else(|e| panic!("{stem}-{}: {e}\n{}", s.role, s.text));
                    if let Some(why) = &s.stopped {
                        assert!(
                            s.text.ends_with(&format!("// stop: {why}\n")),
                            "{stem}-{}: the stop is not the last line",
                            s.role
                        );
                        stops.insert(why.clone());
                    }
                }
                Err(why) => assert!(!why.is_empty()),
            }
        }
    }
    assert!(
        scripts > paths.len(),
        "{scripts} scripts from {} traces",
        paths.len()
    );
    assert!(
        stops
            .iter()
            .any(|s| s.contains("still in the listen queue")),
        "{stops:#?}"
    );
    assert!(stops.iter().any(|s| s.contains("TIME-WAIT")), "{stops:#?}");
}

/// Random walks with reopens, losses, duplicates and crashes: scripts that
/// reopen sockets, retransmit and stop early still parse.
#[test]
fn random_walk_scripts_with_faults_parse() {
    let mut cfg = quick();
    cfg.opens = 2;
    cfg.losses = 1;
    cfg.dups = 1;
    cfg.crashes = 1;
    let mut scripts = 0;
    for p in trace::random_paths(&cfg, 200, 7, 40) {
        let t = trace::record(&cfg, "random", &p);
        let stem = pkt::hash_stem(&t);
        for role in [A, B] {
            if let Ok(s) = pkt::script(&t, &stem, role) {
                scripts += 1;
                check_grammar(&s.text)
                    .unwrap_or_else(|e| panic!("{stem}-{}: {e}\n{}", s.role, s.text));
            }
        }
    }
    assert!(scripts > 100, "{scripts}");
}

/// A path recorded as a trace.
fn trace_of(cfg: &Config, actions: &[Action]) -> trace::Trace {
    trace::record(cfg, "depth", actions)
}

#[test]
fn unexpressible_traces_are_skipped_or_stopped_with_a_reason() {
    let cfg = quick();
    // A connects and its SYN reaches B before B has a socket: B's script
    // has no address to send it to, and B does nothing else.
    let t = trace::depth_paths(&cfg, 3)
        .iter()
        .map(|p| trace_of(&cfg, p))
        .find(|t| {
            let s = &t.steps;
            s[0].input.kind == "connect"
                && s[1].input.kind == "deliver"
                && s[1].b.state == "CLOSED"
                && s[2].input.kind == "deliver"
                && s[2].input.segment.as_ref().unwrap().from == "B"
        })
        .expect("a SYN delivered to a closed B, answered");
    let why = pkt::script(&t, "syn-to-closed", B).expect_err("B is skipped");
    assert!(why.contains("before it has opened a socket"), "{why}");
    // A's own script is fine: it sends its SYN and gets a RST,ACK.
    let a = pkt::script(&t, "syn-to-closed", A).expect("A's script");
    assert!(a.text.contains("< R. 0:0(0) ack 1 win 65535"), "{}", a.text);

    // A crashes after sending its SYN: A's script stops there, B's (which
    // never sees a segment) is skipped.
    let mut crashy = quick();
    crashy.crashes = 1;
    let t = trace_of(&crashy, &[Action::Connect(A), Action::Crash(A)]);
    let a = pkt::script(&t, "crash", A).expect("A sent a SYN first");
    let why = a.stopped.expect("the crash stops the script");
    assert!(why.contains("crashes"), "{why}");
    assert!(a.text.ends_with(&format!("// stop: {why}\n")));
    assert!(pkt::script(&t, "crash", B).is_err());

    // CLOSE of a passive open still in the listen queue stops B's script.
    let cfg = quick();
    let (_, path) = trace::scenario_paths(&cfg)
        .unwrap()
        .into_iter()
        .find(|(n, _)| *n == "simultaneous-close")
        .unwrap();
    let t = trace::record(&cfg, "scenario", &path);
    let b = pkt::script(&t, "simultaneous-close", B).unwrap();
    assert!(
        b.stopped
            .as_deref()
            .is_some_and(|w| w.contains("still in the listen queue")),
        "{b:?}"
    );
}

#[test]
fn cli_writes_a_script_per_role_and_lists_skips() {
    let dir = std::env::temp_dir().join(format!("synfin-pkt-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_synfin"))
        .args([
            "export",
            "--preset",
            "quick",
            "--scenarios",
            "--format",
            "pkt",
        ])
        .args(["--json", "--out", dir.to_str().unwrap()])
        .output()
        .expect("synfin runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let scripts = v["scripts"].as_u64().unwrap() as usize;
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(
        scripts + skipped.len(),
        2 * v["traces"].as_u64().unwrap() as usize
    );
    for s in skipped {
        assert!(!s["reason"].as_str().unwrap().is_empty(), "{s}");
        assert!(!dir
            .join(format!("{}.pkt", s["script"].as_str().unwrap()))
            .exists());
    }
    let written: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), scripts);
    assert!(written.contains(&"three-way-handshake-A.pkt".to_string()));
    assert!(written.contains(&"three-way-handshake-B.pkt".to_string()));
    let text = std::fs::read_to_string(dir.join("three-way-handshake-B.pkt")).unwrap();
    check_grammar(&text).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

// --- a small grammar of the packetdrill dialect the export writes ---

/// Check a script line by line: options before the first event, then
/// events `TIME ACTION` where TIME is absolute for the first event and
/// `+a` or `+a~+b` (outbound packets only) after it; packets with flags,
/// `start:end(len)` where end − start = len, `ack` exactly when the ACK
/// flag is set, `win` on inbound lines only, options `<...>` on outbound
/// lines and `<mss N>` on inbound SYNs only; system calls on file
/// descriptors that are open; the first outbound packet a SYN.
fn check_grammar(text: &str) -> Result<(), String> {
    let mut events = 0;
    let mut fds: BTreeSet<u64> = BTreeSet::new();
    let mut seen_outbound = false;
    for (n, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.is_empty() || line.starts_with("// ") {
            continue;
        }
        if let Some(opt) = line.strip_prefix("--") {
            if events > 0 {
                return Err(at("an option after the first event".into()));
            }
            let (k, v) = opt
                .split_once('=')
                .ok_or_else(|| at("option without =".into()))?;
            if !matches!(k, "ip_version" | "tolerance_usecs") || v.is_empty() {
                return Err(at("unknown option".into()));
            }
            continue;
        }
        let (time, action) = line.split_once(' ').ok_or_else(|| at("no action".into()))?;
        let ranged = time.contains('~');
        if events == 0 {
            number(time).map_err(at)?;
        } else {
            for part in time.split('~') {
                let t = part
                    .strip_prefix('+')
                    .ok_or_else(|| at("a relative time expected".into()))?;
                number(t).map_err(at)?;
            }
            if let Some((a, b)) = time.split_once('~') {
                if number(&b[1..]).unwrap() < number(&a[1..]).unwrap() {
                    return Err(at("an empty range".into()));
                }
            }
        }
        events += 1;
        if ranged && !action.starts_with("> ") {
            return Err(at("a range on a line that is not outbound".into()));
        }
        if action.starts_with('`') {
            if !action.ends_with('`') || action.len() < 3 {
                return Err(at("unterminated shell command".into()));
            }
        } else if let Some(p) = action.strip_prefix("< ") {
            packet(p, true).map_err(at)?;
        } else if let Some(p) = action.strip_prefix("> ") {
            let flags = packet(p, false).map_err(at)?;
            if !seen_outbound && !flags.contains('S') {
                return Err(at("the first outbound packet is not a SYN".into()));
            }
            seen_outbound = true;
        } else {
            syscall(action, &mut fds).map_err(at)?;
        }
    }
    if events == 0 {
        return Err("no events".into());
    }
    Ok(())
}

fn number(s: &str) -> Result<f64, String> {
    let ok = !s.is_empty()
        && s.split('.').count() <= 2
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(format!("not a time: {s:?}"));
    }
    Ok(s.parse().unwrap())
}

fn int(s: &str) -> Result<u64, String> {
    s.parse::<u32>()
        .map(u64::from)
        .map_err(|_| format!("not a 32-bit number: {s:?}"))
}

/// `FLAGS start:end(len) [ack N] [win N] [<options>]`; returns the flags.
fn packet(p: &str, inbound: bool) -> Result<String, String> {
    let (body, opts) = match p.find(" <") {
        Some(i) => (&p[..i], Some(&p[i + 1..])),
        None => (p, None),
    };
    let words: Vec<&str> = body.split(' ').collect();
    let flags = words[0];
    let order = "SFRP.";
    let mut last = None;
    for c in flags.chars() {
        let i = order.find(c).ok_or_else(|| format!("unknown flag {c:?}"))?;
        if last.is_some_and(|l| i <= l) {
            return Err(format!("flags out of order or repeated: {flags:?}"));
        }
        last = Some(i);
    }
    if flags.is_empty() {
        return Err("no flags".into());
    }
    let range = words.get(1).ok_or("no sequence range")?;
    let (start, rest) = range.split_once(':').ok_or("no start:end")?;
    let (end, len) = rest.split_once('(').ok_or("no (len)")?;
    let len = len.strip_suffix(')').ok_or("no closing )")?;
    let (start, end, len) = (int(start)?, int(end)?, int(len)?);
    if end < start || end - start != len {
        return Err(format!("{start}:{end}({len}) is not a range of {len}"));
    }
    if (len > 0) != flags.contains('P') {
        return Err("data without PSH or PSH without data".into());
    }
    let mut i = 2;
    let mut ack = false;
    let mut win = false;
    while i < words.len() {
        match words[i] {
            "ack" if !ack && !win => ack = true,
            "win" if !win => win = true,
            w => return Err(format!("unexpected {w:?}")),
        }
        int(words.get(i + 1).ok_or("a number expected")?)?;
        i += 2;
    }
    if ack != flags.contains('.') {
        return Err("`ack` must be present exactly when the ACK flag is".into());
    }
    if win != inbound {
        return Err("`win` belongs on inbound lines only".into());
    }
    match (inbound, opts) {
        (false, Some("<...>")) => {}
        (false, o) => return Err(format!("outbound options must be <...>, not {o:?}")),
        (true, None) if !flags.contains('S') => {}
        (true, Some(o)) if flags.contains('S') => {
            let mss = o
                .strip_prefix("<mss ")
                .and_then(|m| m.strip_suffix('>'))
                .ok_or("a SYN's options must be <mss N>")?;
            int(mss)?;
        }
        (true, o) => return Err(format!("inbound options {o:?} on {flags}")),
    }
    Ok(flags.to_string())
}

/// `name(args) = ret`, on open descriptors.
fn syscall(action: &str, fds: &mut BTreeSet<u64>) -> Result<(), String> {
    let (call, ret) = action.split_once(" = ").ok_or("no return value")?;
    let (name, args) = call.split_once('(').ok_or("no (")?;
    let args = args.strip_suffix(')').ok_or("no )")?;
    let first = args.split(',').next().unwrap_or("");
    let ret_num = ret.split(' ').next().unwrap();
    if ret_num != "-1" && ret_num.parse::<u64>().is_err() {
        return Err(format!("bad return value {ret:?}"));
    }
    let needs_fd = |fds: &BTreeSet<u64>| -> Result<u64, String> {
        let fd = first
            .parse::<u64>()
            .map_err(|_| format!("fd expected, got {first:?}"))?;
        if !fds.contains(&fd) {
            return Err(format!("fd {fd} is not open"));
        }
        Ok(fd)
    };
    match name {
        "socket" => {
            if args != "..., SOCK_STREAM, IPPROTO_TCP" {
                return Err("socket arguments".into());
            }
            let fd = ret.parse::<u64>().map_err(|_| "socket returns an fd")?;
            if !fds.insert(fd) {
                return Err(format!("fd {fd} is already open"));
            }
        }
        "accept" => {
            needs_fd(fds)?;
            let fd = ret.parse::<u64>().map_err(|_| "accept returns an fd")?;
            if !fds.insert(fd) {
                return Err(format!("fd {fd} is already open"));
            }
        }
        "close" => {
            let fd = needs_fd(fds)?;
            fds.remove(&fd);
            if ret != "0" {
                return Err("close returns 0".into());
            }
        }
        "connect" => {
            needs_fd(fds)?;
            if ret != "-1 EINPROGRESS (Operation now in progress)" {
                return Err("a non-blocking connect returns -1 EINPROGRESS".into());
            }
        }
        "read" => {
            needs_fd(fds)?;
            let n = args.rsplit(", ").next().unwrap_or("");
            if !args.contains(", ..., ") || (ret != n && ret != "0") {
                return Err("read(fd, ..., n) returns n, or 0 at the end of stream".into());
            }
        }
        "fcntl" | "setsockopt" | "getsockopt" | "bind" | "listen" | "shutdown" | "write" => {
            needs_fd(fds)?;
            let want = if name == "write" { "1" } else { "0" };
            if ret != want {
                return Err(format!("{name} returns {want}"));
            }
        }
        _ => return Err(format!("unknown system call {name:?}")),
    }
    Ok(())
}

/// The grammar check is not vacuous: it refuses what packetdrill would.
#[test]
fn grammar_check_refuses_malformed_lines() {
    let ok = "--tolerance_usecs=100000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
              +0 > S 0:0(0) <...>\n+0 < S. 0:0(0) ack 1 win 65535 <mss 1460>\n";
    check_grammar(ok).unwrap();
    for bad in [
        "+0 > S 0:0(0) <...>\n",       // first time relative
        "0 > S 0:1(0) <...>\n",        // range of 1, len 0
        "0 > S. 0:0(0) <...>\n",       // ACK flag, no ack
        "0 > S 0:0(0) win 5 <...>\n",  // win on outbound
        "0 > S 0:0(0) <mss 1460>\n",   // options pinned outbound
        "0 < . 1:1(0) ack 1\n",        // inbound without win
        "0 > .S 0:0(0) ack 1 <...>\n", // flags out of order
        "0 > P. 1:2(1) ack 1 <...>\n", // first outbound not a SYN
        "0 close(3) = 0\n",            // fd never opened
        "0 `sysctl -q a=1`\n+0~+1 < S 0:0(0) win 1 <mss 1460>\n", // range inbound
        "0 `sysctl -q a=1`\n--ip_version=ipv4\n", // option after event
    ] {
        assert!(check_grammar(bad).is_err(), "accepted {bad:?}");
    }
}
