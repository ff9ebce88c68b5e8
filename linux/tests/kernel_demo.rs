//! The five exchanges of `synfin-tcp demo`, each against the real Linux
//! kernel in a private network namespace, and the binary's exit statuses.
//!
//! The kernel tests skip with `SKIPPED <test>: <reason>` without root or
//! /dev/net/tun, unless SYNFIN_REQUIRE_NETNS=1 (CI), which makes a skip a
//! failure.
#![cfg(target_os = "linux")]

use std::process::Command;

use synfin_linux::demo::{self, Exchange, Outcome};
use synfin_linux::driver::EndpointStack;
use synfin_linux::sys::caps;
use synfin_linux::sys::netns::{self, run_or_skip};

/// Runs `ex` against the kernel and asserts that it passed, printing the
/// whole report if it did not.
fn exchange(test: &str, ex: Exchange) {
    run_or_skip(test, move |net| {
        let o: Outcome = demo::run_in(ex, net, EndpointStack::new());
        let report = demo::render(1, 1, &o);
        assert!(o.passed, "{report}");
        assert!(o.error.is_none(), "{report}");
        assert!(!o.segments.is_empty(), "{report}");
    });
}

#[test]
fn kernel_demo_active_close() {
    exchange("kernel_demo_active_close", Exchange::ActiveClose);
}

#[test]
fn kernel_demo_passive_close() {
    exchange("kernel_demo_passive_close", Exchange::PassiveClose);
}

#[test]
fn kernel_demo_kernel_connects() {
    exchange("kernel_demo_kernel_connects", Exchange::KernelConnects);
}

#[test]
fn kernel_demo_simultaneous_open() {
    exchange("kernel_demo_simultaneous_open", Exchange::SimultaneousOpen);
}

#[test]
fn kernel_demo_simultaneous_close() {
    exchange(
        "kernel_demo_simultaneous_close",
        Exchange::SimultaneousClose,
    );
}

fn synfin_tcp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_synfin-tcp"))
        .args(args)
        .output()
        .expect("run synfin-tcp")
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    for (args, says) in [
        (&["frobnicate"][..], "unrecognized subcommand"),
        (&["connect", "not-an-address"][..], "invalid value"),
        (&["listen", "0"][..], "invalid value"),
        (&["demo", "--only", "nope"][..], "one of: active-close"),
        (&["connect", "192.0.2.1:80"][..], "10.0.0.0/24"),
        (&[][..], "Usage"),
    ] {
        let out = synfin_tcp(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: want {says:?} in: {err}");
    }
    let help = synfin_tcp(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for word in ["demo", "connect", "listen", "/dev/net/tun", "root"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
}

/// Without CAP_SYS_ADMIN and CAP_NET_ADMIN every command exits 2 and names
/// what it is missing. Needs `setpriv` and root to drop the capabilities;
/// without them the same judgement is covered by `caps`'s unit tests.
#[test]
fn missing_capabilities_exit_2_and_say_what_is_missing() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = caps::parse_euid(&status) == Some(0);
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !root || !setpriv {
        eprintln!(
            "SKIPPED missing_capabilities_exit_2_and_say_what_is_missing: needs root and setpriv"
        );
        return;
    }
    // demo makes its own namespace (CAP_SYS_ADMIN); connect and listen
    // work in the one they are started in and only need the TUN.
    for (cmd, sys_admin) in [
        (&["demo"][..], true),
        (&["bench"][..], true),
        (&["connect", "10.0.0.1:7000"], false),
        (&["listen", "8000"], false),
    ] {
        let out = Command::new("setpriv")
            .args([
                "--inh-caps=-all",
                "--bounding-set=-net_admin,-sys_admin",
                "--",
            ])
            .arg(env!("CARGO_BIN_EXE_synfin-tcp"))
            .args(cmd)
            .output()
            .expect("run setpriv");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(err.contains("CAP_NET_ADMIN"), "{cmd:?}: {err}");
        assert_eq!(err.contains("CAP_SYS_ADMIN,"), sys_admin, "{cmd:?}: {err}");
    }
}

/// `connect` refuses to create its TUN device in the host's namespace.
#[test]
fn connect_refuses_the_host_namespace() {
    if !caps::missing(&caps::probe()).is_empty() || !netns::in_host_netns() {
        eprintln!("SKIPPED connect_refuses_the_host_namespace: not root in the host namespace");
        return;
    }
    let out = synfin_tcp(&["connect", "10.0.0.1:7000"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("host's network namespace"), "{err}");
}

/// The whole `synfin-tcp demo --json`, as a user runs it: exit 0 and one
/// object with one object per exchange, each passed.
#[test]
fn kernel_demo_binary_json_reports_five_passing_exchanges() {
    let test = "kernel_demo_binary_json_reports_five_passing_exchanges";
    let missing = caps::missing(&caps::probe());
    if !missing.is_empty() {
        let why = caps::message("demo", &missing);
        assert!(
            !netns::netns_required(),
            "{test}: {why} (SYNFIN_REQUIRE_NETNS=1 is set)"
        );
        eprintln!("SKIPPED {test}: {why}");
        return;
    }
    let out = synfin_tcp(&["demo", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(v["passed"], true);
    let exchanges = v["exchanges"].as_array().expect("exchanges");
    let names: Vec<&str> = exchanges
        .iter()
        .map(|e| e["exchange"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "active-close",
            "passive-close",
            "kernel-connects",
            "simultaneous-open",
            "simultaneous-close"
        ]
    );
    for e in exchanges {
        assert_eq!(e["passed"], true, "{e}");
        assert!(!e["segments"].as_array().unwrap().is_empty(), "{e}");
        assert!(e["kernel_states"].as_array().unwrap().len() >= 3, "{e}");
    }
}

/// Runs `f` in a private namespace without the TUN device, so that a
/// `synfin-tcp connect` or `listen` started from this thread (children
/// inherit the thread's namespace) can create its own.
fn in_empty_netns(test: &str, f: impl FnOnce() + Send + 'static) {
    run_or_skip(test, move |net| {
        drop(net);
        // The device goes away asynchronously; the child needs its name.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::fs::read_to_string("/proc/thread-self/net/dev")
            .unwrap()
            .contains(netns::TUN_NAME)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the TUN device did not go away"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        f();
    });
}

/// Waits up to 5 s for `child` to exit.
fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("synfin-tcp did not exit within 5 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Retries `f` for up to 5 s (the child needs a moment to bring its TUN up).
fn retry<T>(mut f: impl FnMut() -> std::io::Result<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if std::time::Instant::now() > deadline => panic!("gave up: {e}"),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
}

/// `synfin-tcp listen PORT`: the kernel connects, both sides send, the
/// kernel's half close ends the input side, and synfin-tcp exits 0.
#[test]
fn kernel_cli_listen_serves_one_connection() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    in_empty_netns("kernel_cli_listen_serves_one_connection", || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_synfin-tcp"))
            .args(["listen", "8000"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut sock = retry(|| std::net::TcpStream::connect("10.0.0.2:8000"));
        sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        sock.write_all(b"from the kernel\n").unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"from synfin-tcp\n").unwrap();
        drop(stdin); // end of input: synfin-tcp closes
        let mut got = Vec::new();
        sock.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"from synfin-tcp\n");
        drop(sock);
        let status = wait_exit(&mut child);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "{status}: {err}");
        assert_eq!(out, "from the kernel\n", "{err}");
        assert!(err.contains("ESTABLISHED") && err.contains("[S]"), "{err}");
    });
}

/// `synfin-tcp connect HOST:PORT` to a kernel listener: what is typed
/// goes out, what the kernel answers comes out, and synfin-tcp exits 0.
#[test]
fn kernel_cli_connect_talks_to_a_kernel_listener() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    in_empty_netns("kernel_cli_connect_talks_to_a_kernel_listener", || {
        // 0.0.0.0: the kernel's 10.0.0.1 appears only with synfin-tcp's TUN.
        let listener = std::net::TcpListener::bind("0.0.0.0:7000").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_synfin-tcp"))
            .args(["connect", "10.0.0.1:7000"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        listener.set_nonblocking(true).unwrap();
        let accepted = retry(|| {
            if let Some(status) = child.try_wait()? {
                let mut err = String::new();
                child.stderr.take().unwrap().read_to_string(&mut err)?;
                panic!("synfin-tcp connect exited early, {status}: {err}");
            }
            listener.accept()
        });
        let (mut sock, _) = accepted;
        stdin.write_all(b"ping\n").unwrap();
        sock.set_nonblocking(false).unwrap();
        sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 5];
        sock.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"ping\n");
        sock.write_all(b"pong\n").unwrap();
        drop(stdin); // synfin-tcp closes first
        let mut rest = Vec::new();
        sock.read_to_end(&mut rest).unwrap();
        drop(sock);
        let status = wait_exit(&mut child);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "{status}: {err}");
        assert_eq!(out, "pong\n", "{err}");
        assert!(rest.is_empty(), "{err}");
    });
}

/// The event loop sleeps until the endpoint's `poll_timeout` and then
/// services it: a SYN to an address nobody answers (the kernel drops it:
/// 10.0.0.9 is not local and forwarding is off) is retransmitted after the
/// initial RTO of 1 s (RFC 6298 (2.1)), with the same sequence number,
/// and the loop spends that second asleep.
#[test]
fn kernel_driver_sleeps_until_the_retransmission_timeout() {
    use synfin_linux::driver::{Direction, Driver, Observer, Stack};
    use synfin_linux::sys::tun::TunIo;
    use synfin_tcp::time::Instant;
    use synfin_tcp::wire::{Flags, Segment};

    struct Sent(Vec<(Instant, Segment)>, std::time::Instant);
    impl<S: Stack> Observer<S> for Sent {
        fn segment(&mut self, _: &S, dir: Direction, seg: &Segment) {
            if dir == Direction::ToKernel {
                let t = Instant::from_micros(self.1.elapsed().as_micros() as u64);
                self.0.push((t, seg.clone()));
            }
        }
    }

    run_or_skip(
        "kernel_driver_sleeps_until_the_retransmission_timeout",
        |net| {
            let mut d = Driver::new(TunIo::new(net.tun).unwrap(), EndpointStack::new());
            let nobody = "10.0.0.9:7000".parse().unwrap();
            let local = std::net::SocketAddrV4::new(net.local_ip, 40000);
            let now = d.now();
            d.stack.connect(now, local, nobody).unwrap();
            let mut sent = Sent(Vec::new(), std::time::Instant::now());
            let cpu = || -> Option<u64> {
                std::fs::read_to_string("/proc/thread-self/schedstat")
                    .ok()?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            };
            let cpu_before = cpu();
            // Step the loop until the second SYN (or 5 s, on a very busy
            // machine).
            let deadline = d.io.after(std::time::Duration::from_secs(5));
            d.flush(&mut sent).unwrap();
            while sent.0.len() < 2 && d.now() < deadline {
                d.step(Some(deadline), &mut sent).unwrap();
            }
            // It slept in poll(2) rather than spinning: well under 10% of
            // the second on a CPU.
            if let (Some(a), Some(b)) = (cpu_before, cpu()) {
                assert!(b - a < 100_000_000, "{} ms on CPU", (b - a) / 1_000_000);
            }
            let syns: Vec<_> = sent
                .0
                .iter()
                .filter(|(_, s)| s.flags == Flags::SYN)
                .collect();
            assert_eq!(syns.len(), 2, "{:?}", sent.0);
            assert_eq!(syns[0].1.seq, syns[1].1.seq);
            let gap = syns[1].0.saturating_duration_since(syns[0].0);
            assert!(
                gap >= std::time::Duration::from_millis(990)
                    && gap < std::time::Duration::from_millis(2500),
                "{gap:?}"
            );
        },
    );
}
