//! The Linux kernel as a conformance target: the committed transition cover
//! replayed against it, the SYN retransmission schedule check, and the
//! command line.
//!
//! Needs root and /dev/net/tun (everything happens in private network
//! namespaces the tests create). Without them each test prints
//! `SKIPPED <test>: <reason>` and passes, unless SYNFIN_REQUIRE_NETNS=1
//! (CI), which makes a missing capability a failure.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use synfin_conformance::kernel::syn::{self, SynSettings};
use synfin_conformance::kernel::{self, Options, SetupError, KERNEL_DEVIATIONS, LINUX};
use synfin_conformance::replay::{Ruling, Verdict};
use synfin_conformance::target::{Role, Unsupported};
use synfin_conformance::trace::{HostId, Suite};
use synfin_linux::sys::caps;
use synfin_linux::sys::netns::{netns_required, REQUIRE_ENV};

/// Prints past the test harness's output capture, so a skip is seen.
macro_rules! skipped {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// Whether the test should stop here; prints the skip, or panics under
/// SYNFIN_REQUIRE_NETNS=1 or on a failure that is not a missing capability.
fn skip(test: &str, e: &SetupError) -> bool {
    if e.is_missing_capability() && !netns_required() {
        skipped!("SKIPPED {test}: {e}");
        return true;
    }
    if e.is_missing_capability() {
        panic!("{test}: {e} ({REQUIRE_ENV}=1 is set, so a missing capability is a failure)");
    }
    panic!("{test}: setting up the kernel target failed: {e}");
}

fn cover_dirs() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("traces");
    vec![
        root.join("cover-default-2loss-rfc9293"),
        root.join("cover-default-2loss-rfc793"),
    ]
}

/// Every trace of the committed transition cover, with the kernel as A and
/// as B, ends in a verdict that has a name: it agrees, it ended early with
/// a mark, or it stopped at a named deviation. No unclassified divergence.
#[test]
fn kernel_replays_the_transition_cover_without_unclassified_divergence() {
    let test = "kernel_replays_the_transition_cover_without_unclassified_divergence";
    let loaded = Suite::load(&cover_dirs()).expect("the committed cover loads");
    assert!(loaded.traces.len() > 100, "{} traces", loaded.traces.len());
    let ks = match kernel::replay_all(&loaded, None, &Options::default()) {
        Ok(s) => s,
        Err(e) if skip(test, &e) => return,
        Err(e) => unreachable!("{e}"),
    };
    let sum = &ks.summary;
    eprintln!(
        "{}",
        serde_json::to_string_pretty(
            &synfin_conformance::report::json("kernel", sum, 0.0)["verdicts"]
        )
        .unwrap()
    );
    eprintln!("{} stray segments of earlier replays ignored", ks.stray);
    for o in sum.retried() {
        eprintln!("diverged once, not on retry: {o} first: {:?}", o.retried);
    }
    // A retry absorbs a late answer on a loaded machine, not a pattern.
    assert!(
        sum.retried().count() * 50 <= sum.outcomes.len(),
        "{} replays needed a retry",
        sum.retried().count()
    );
    let unclassified: Vec<String> = sum.diverged().map(|o| o.to_string()).collect();
    assert!(
        unclassified.is_empty(),
        "{} replays diverged with no named class:\n{}",
        unclassified.len(),
        unclassified.join("\n")
    );
    // Judged by the kernel's policy; every trace once as A, once as B.
    assert_eq!(sum.policy.name, LINUX.name);
    assert_eq!(sum.outcomes.len(), 2 * loaded.traces.len());
    assert_eq!(sum.traces(), loaded.traces.len());
    for role in [Role::Host(HostId::A), Role::Host(HostId::B)] {
        assert_eq!(
            sum.outcomes.iter().filter(|o| o.role == role).count(),
            loaded.traces.len(),
            "replays with the kernel as {role}"
        );
    }
    let mut agreed = 0;
    for o in &sum.outcomes {
        match &o.verdict {
            Verdict::Agreed => {
                agreed += 1;
                assert_eq!((o.at, o.steps), (None, o.of), "{o}");
            }
            Verdict::Deviation(c) => {
                assert!(KERNEL_DEVIATIONS.iter().any(|d| d.name == *c), "{o}");
                assert!(o.at.is_some() && !o.diffs.is_empty(), "{o}");
            }
            Verdict::EndedEarly(_) => assert!(o.at.is_some(), "{o}"),
            Verdict::Diverged => unreachable!(),
        }
    }
    // The kernel really played: most replays agree to the end, and some
    // waited for (and got) the kernel's own retransmissions.
    assert!(agreed * 2 > sum.outcomes.len(), "only {agreed} agreed");
    assert!(sum.waited() > Duration::from_secs(1), "{:?}", sum.waited());
    // The cover manifests are among the paths: the kernel took most of the
    // model's reachable transitions in steps that agreed.
    let (hit, reachable) = sum.coverage();
    eprintln!("coverage: {hit} of {reachable} reachable transitions taken by the kernel");
    assert!(reachable > 100 && hit * 2 > reachable, "{hit}/{reachable}");
    // The mapping meets TIME-WAIT: the model's timeout ends the replay
    // early rather than sleeping 60 s.
    assert!(
        sum.outcomes
            .iter()
            .any(|o| o.verdict == Verdict::EndedEarly(Unsupported::TimeWait)),
        "no replay reached the model's TIME-WAIT timeout"
    );
}

/// The schedule replays run with (`tcp_syn_linear_timeouts=0`) is the
/// model's RFC 6298 doubling; Linux's default (4) is not, and the check
/// says where.
#[test]
fn kernel_syn_retransmission_schedule() {
    let test = "kernel_syn_retransmission_schedule";
    let classic = SynSettings {
        linear_timeouts: 0,
        syn_retries: 2,
        max: Duration::from_secs(9),
    };
    let linear = SynSettings {
        linear_timeouts: 4,
        syn_retries: 2,
        max: Duration::from_millis(3500),
    };
    // In parallel: each waits in real time in its own namespace.
    let h = std::thread::spawn(move || syn::run_check(linear, 1.0));
    let c = match syn::run_check(classic, 1.0) {
        Ok(c) => c,
        Err(e) if skip(test, &e) => return,
        Err(e) => unreachable!("{e}"),
    };
    assert!(
        c.errors.is_empty(),
        "with linear timeouts off the kernel must double: {:?} {:?}",
        c.measured,
        c.errors
    );
    // SYN at 0, 1, 3 s; ETIMEDOUT at 7 s.
    assert_eq!(c.measured.sent.len(), 3, "{:?}", c.measured);
    assert!(c.measured.failed.is_some(), "{:?}", c.measured);
    let l = h.join().unwrap().expect("the second namespace");
    if !l.measured.has_linear_timeouts {
        skipped!("SKIPPED part of {test}: this kernel has no tcp_syn_linear_timeouts");
        return;
    }
    // SYNs at 0, 1, 2, 3 s: the third comes 1 s after the second, not 2.
    assert!(!l.errors.is_empty(), "{:?}", l.measured);
    assert!(
        l.errors[0].starts_with("SYN #3 at 2."),
        "{:?} {:?}",
        l.errors,
        l.measured
    );
    let gap = l.measured.sent[2] - l.measured.sent[1];
    assert!((0.95..1.3).contains(&gap), "{:?}", l.measured);
    let d = KERNEL_DEVIATIONS
        .iter()
        .find(|d| d.name == "syn-linear-timeouts")
        .expect("named");
    // RFC 9293 §3.8.2 requires exponential backoff of the RTO.
    assert_eq!(d.ruling, Ruling::BreaksMust(19));
    assert!(!d.ruling.allowed());
}

fn conform() -> Command {
    Command::new(env!("CARGO_BIN_EXE_synfin-conform"))
}

/// `replay --target kernel` on one trace: exit 0, and the JSON has the
/// verdicts, the rate and both SYN schedule checks.
#[test]
fn kernel_cli_replays_and_prints_json() {
    let test = "kernel_cli_replays_and_prints_json";
    if let Some(msg) = kernel::report::missing_capabilities() {
        if netns_required() {
            panic!("{test}: {msg}");
        }
        skipped!("SKIPPED {test}: {msg}");
        return;
    }
    let dir = &cover_dirs()[0];
    let one = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "cover.json"))
        .min()
        .unwrap();
    let out = conform()
        .args(["replay", "--target", "kernel", "--json"])
        .arg(&one)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["replays"], 2, "{v}");
    assert!(v["steps_per_second"].as_f64().unwrap() > 0.0, "{v}");
    let syn = v["syn_schedule"].as_array().unwrap();
    assert_eq!(syn.len(), 2, "{v}");
    assert_eq!(syn[0]["tcp_syn_linear_timeouts"], 0);
    assert_eq!(syn[0]["matches_model"], true, "{v}");
}

/// An unknown target exits 2 and lists the valid ones.
#[test]
fn unknown_target_exits_2_listing_the_valid_ones() {
    let out = conform()
        .args(["replay", "--target", "bsd"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("valid: impl, smoltcp, kernel, exec:CMD"),
        "{err}"
    );
}

/// Without CAP_NET_ADMIN and CAP_SYS_ADMIN the kernel target exits 2 and
/// says what is missing. Needs root and setpriv to drop them.
#[test]
fn kernel_target_without_capabilities_exits_2() {
    let test = "kernel_target_without_capabilities_exits_2";
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = caps::parse_euid(&status) == Some(0);
    if !root || Command::new("setpriv").arg("--version").output().is_err() {
        skipped!("SKIPPED {test}: needs root and setpriv");
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--inh-caps=-all",
            "--bounding-set=-net_admin,-sys_admin",
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_synfin-conform"))
        .args(["replay", "--target", "kernel"])
        .arg(&cover_dirs()[0])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("CAP_NET_ADMIN") && err.contains("CAP_SYS_ADMIN"),
        "{err}"
    );
}
