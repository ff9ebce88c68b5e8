//! `--target exec:CMD`: the synfin-exec/1 protocol carries everything the
//! `Target` trait does (synfin-tcp behind a pipe agrees exactly as in
//! memory), an adapter that fails ends the run with a clear error and exit
//! 2 (never a panic or a hang), an adapter that declines ends replays
//! early, and lwIP's replay of the committed suite gives pinned verdicts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use synfin_conformance::replay::{self, Plan, Policy};
use synfin_conformance::target::exec::{self, Exec, Options};
use synfin_conformance::target::SynfinTcp;
use synfin_conformance::trace::Suite;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn traces() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

fn suite() -> &'static Suite {
    static SUITE: OnceLock<Suite> = OnceLock::new();
    SUITE.get_or_init(|| Suite::load(&[traces()]).expect("the committed suite loads"))
}

/// One small trace file, for the failure cases.
fn one_trace() -> PathBuf {
    let dir = traces().join("scenarios-rfc9293");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("cover.json"))
        .collect();
    files.sort();
    files.remove(0)
}

/// `synfin-conform replay --target exec:CMD ARGS... TRACE`.
fn conform(command: &str, args: &[&str]) -> (Output, Duration) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_synfin-conform"))
        .arg("replay")
        .arg("--target")
        .arg(format!("exec:{command}"))
        .args(args)
        .arg(one_trace())
        .output()
        .expect("synfin-conform runs");
    (out, t.elapsed())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The example adapter, built with the profile of this test.
fn example_adapter() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let release = !cfg!(debug_assertions);
            let mut cmd = Command::new(env!("CARGO"));
            cmd.current_dir(root()).args([
                "build",
                "-q",
                "-p",
                "synfin-conformance",
                "--example",
                "exec-synfin-tcp",
            ]);
            if release {
                cmd.arg("--release");
            }
            let st = cmd.status().expect("cargo runs");
            assert!(st.success(), "building the example adapter failed");
            // target/<profile>/deps/exec-HASH -> target/<profile>/examples/
            let exe = std::env::current_exe().expect("test exe");
            let profile_dir = exe.parent().and_then(Path::parent).expect("profile dir");
            profile_dir.join("examples").join("exec-synfin-tcp")
        })
        .clone()
}

fn opts(command: &str) -> Options {
    Options {
        command: command.to_string(),
        timeout: exec::DEFAULT_TIMEOUT,
        jobs: 2,
        profile: None,
        policy: None,
    }
}

/// The hello of a fake adapter, answered by a shell script.
const HELLO: &str = r#"{"hello":"synfin-exec/1","name":"fake","capabilities":{"plays_both":true,"iss":"learned","observes_tcb":false,"clock":"virtual"}}"#;

#[test]
fn synfin_tcp_behind_the_pipe_agrees_exactly_as_in_memory() {
    let adapter = example_adapter();
    let run = exec::replay_suite(suite(), &opts(&adapter.display().to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.hello.name, "synfin-tcp");
    assert_eq!(run.summary.policy.name, "strict");
    let mut mem = SynfinTcp::default();
    let plan = Plan::for_target(SynfinTcp::CAPABILITIES, Policy::STRICT);
    let direct = replay::run(&mut mem, suite(), &plan);
    let over_pipe = &run.summary;
    assert_eq!(over_pipe.by_verdict(), direct.by_verdict());
    assert_eq!(over_pipe.steps(), direct.steps());
    assert_eq!(over_pipe.coverage(), direct.coverage());
    assert_eq!(over_pipe.diverged().count(), 0);
    assert_eq!(over_pipe.coverage(), (142, 142));
    let n = over_pipe.outcomes.len();
    assert_eq!(
        over_pipe.by_verdict(),
        BTreeMap::from([("agreed".to_string(), n)])
    );
}

#[test]
fn a_child_that_exits_at_once_is_an_adapter_failure_naming_the_request() {
    let (out, _) = conform("echo 'no stack here' >&2; exit 3", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("\"op\":\"hello\""), "{err}");
    assert!(err.contains("exit status: 3"), "{err}");
    assert!(err.contains("no stack here"), "{err}");
    // The library says the same, as an error, not a panic.
    let e = Exec::spawn("exit 3", exec::DEFAULT_TIMEOUT)
        .err()
        .expect("fails");
    assert!(e.what.contains("exited"), "{e}");
}

#[test]
fn a_child_that_writes_garbage_is_an_adapter_failure() {
    let (out, _) = conform("echo 'this is not json'; cat >/dev/null", &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("malformed reply"), "{err}");
    assert!(err.contains("this is not json"), "{err}");
    // A JSON object of the wrong shape is named by its field.
    let script =
        format!("read l; echo '{HELLO}'; read l; echo '{{\"ok\": \"yes\"}}'; cat >/dev/null");
    let (out, _) = conform(&script, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("\"op\":\"start\""), "{err}");
    assert!(err.contains("malformed reply at `ok`"), "{err}");
}

#[test]
fn a_child_that_hangs_is_killed_at_the_timeout() {
    let (out, took) = conform("sleep 60", &["--exec-timeout", "0.5"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no reply within 0.5 s"), "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // A child that hangs after a good start: the request it hangs on is
    // named.
    let script = format!("read l; echo '{HELLO}'; echo 'thinking' >&2; sleep 60");
    let (out, took) = conform(&script, &["--exec-timeout", "0.5"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("\"op\":\"start\""), "{err}");
    assert!(err.contains("thinking"), "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn a_child_that_dies_mid_run_or_reports_an_error_is_an_adapter_failure() {
    let script = format!("read l; echo '{HELLO}'; read l; echo 'segfault, say' >&2; exit 139");
    let (out, _) = conform(&script, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("\"op\":\"start\""), "{err}");
    assert!(err.contains("segfault, say"), "{err}");
    let script = format!("read l; echo '{HELLO}'; read l; echo '{{\"error\": \"out of pbufs\"}}'");
    let (out, _) = conform(&script, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the adapter reported an error: out of pbufs"));
}

#[test]
fn a_child_that_declines_ends_replays_early_and_passes() {
    let script = format!(
        "read l; echo '{HELLO}'; while read l; do echo '{{\"unsupported\": \"fake cannot\"}}'; done"
    );
    let (out, _) = conform(&script, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}{text}", stderr(&out));
    assert!(
        text.contains("ended-early: unplayable: fake cannot"),
        "{text}"
    );
    assert!(text.contains("0 diverged"), "{text}");
}

#[test]
fn a_bad_command_line_is_usage_error_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_synfin-conform"))
        .args(["replay", "--target", "exec:"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let script = format!("read l; echo '{HELLO}'; cat >/dev/null");
    let (out, _) = conform(&script, &["--policy", "no-such-policy"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unknown policy `no-such-policy`"), "{err}");
}

/// The lwIP adapter, built by `scripts/build-lwip-adapter.sh`, or why not.
fn lwip_adapter() -> Result<PathBuf, String> {
    let exe = root().join("target").join("lwip-adapter");
    let out = Command::new("bash")
        .arg(root().join("scripts").join("build-lwip-adapter.sh"))
        .output()
        .map_err(|e| format!("cannot run bash: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(exe)
}

#[test]
fn lwip_replays_the_suite_with_every_divergence_named() {
    let exe = match lwip_adapter() {
        Ok(e) => e,
        Err(why) if std::env::var_os("SYNFIN_REQUIRE_LWIP").is_none() => {
            eprintln!("skipping the lwIP replay: the adapter cannot be built: {why}");
            return;
        }
        Err(why) => {
            panic!("SYNFIN_REQUIRE_LWIP is set and the lwIP adapter cannot be built: {why}")
        }
    };
    let run = exec::replay_suite(suite(), &opts(&exe.display().to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.hello.name, "lwip");
    let sum = &run.summary;
    assert_eq!(sum.policy.name, "lwip");
    let verdicts: BTreeMap<String, usize> = sum.by_verdict();
    let pinned: BTreeMap<String, usize> = [
        ("agreed", 1736),
        ("deviation: challenge-ack", 8),
        ("deviation: no-simultaneous-open", 313),
        ("deviation: out-of-order-held", 2),
        ("deviation: retries-fixed-at-build", 94),
        ("deviation: rst-carries-ack-to-syn-sent", 2),
        ("deviation: rto-resends-all-in-flight", 44),
        ("deviation: syn-received-resends-synack", 8),
        ("deviation: syn-retries-outlive-the-handshake", 16),
        ("deviation: syn-sent-acceptable-ack-reset", 31),
        ("deviation: syn-sent-bad-ack-resends-syn", 21),
        ("deviation: time-wait-ignores-rst", 1),
        ("deviation: time-wait-old-ack-unanswered", 8),
        ("deviation: time-wait-syn-answered-rst", 8),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(verdicts, pinned);
    assert_eq!(sum.diverged().count(), 0);
    assert_eq!(sum.outcomes.len(), 2292);
    assert_eq!(sum.steps(), 47991);
    assert_eq!(sum.coverage(), (106, 142));
}
