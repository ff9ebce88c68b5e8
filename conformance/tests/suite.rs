//! The CI gate: replay the committed suite under conformance/traces/ (the
//! transition cover of the `default` preset under both profiles, every path
//! of the `quick` preset to depth 4, and random walks) against synfin-tcp at
//! every ISN base. Regenerate it with `conformance/scripts/regen-traces.sh`
//! after a model change; `.ci/run` also replays a fresh export.

use std::path::{Path, PathBuf};
use std::process::Command;

use synfin_conformance::replay::{run, Plan, Policy};
use synfin_conformance::target::SynfinTcp;
use synfin_conformance::trace::{HostId, Profile, State, Suite};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

#[test]
fn committed_suite_conforms_under_both_profiles() {
    let suite = Suite::load(&[suite()]).expect("suite loads");
    for profile in [Profile::Rfc9293, Profile::Rfc793] {
        let start = std::time::Instant::now();
        let mut plan = Plan::for_target(SynfinTcp::CAPABILITIES, Policy::STRICT);
        plan.profile = Some(profile);
        let sum = run(&mut SynfinTcp::default(), &suite, &plan);
        let (taken, reachable) = sum.coverage();
        eprintln!(
            "{profile}: {} traces, {} steps, coverage {taken}/{reachable} ({:.1}%), {:.2} s",
            sum.traces(),
            sum.steps(),
            100.0 * sum.coverage_fraction(),
            start.elapsed().as_secs_f64()
        );
        for k in sum.untaken() {
            eprintln!("  untaken: {k}");
        }
        assert!(sum.traces() > 0, "{profile}: no traces");
        assert!(!sum.reachable.is_empty(), "{profile}: no cover manifest");
        assert_eq!(
            sum.outcomes.len(),
            sum.traces(),
            "{profile}: synfin-tcp plays both hosts, one replay per trace"
        );
        assert_eq!(
            sum.untaken(),
            Vec::<&String>::new(),
            "{profile}: the suite must take every reachable model transition"
        );
        let stopped: Vec<_> = sum.outcomes.iter().filter(|o| o.at.is_some()).collect();
        if let Some(d) = stopped.first() {
            panic!("{profile}: {} replays stopped; first:\n{d}", stopped.len());
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn a_trace() -> String {
    let dir = suite().join("cover-default-rfc9293");
    let f = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap() != "cover.json")
        .unwrap();
    std::fs::read_to_string(f).unwrap()
}

#[test]
fn bad_traces_exit_2_naming_file_and_field() {
    let dir = std::env::temp_dir().join(format!("synfin-conform-bad-{}", std::process::id()));
    let good = a_trace();
    let cases = [
        (
            "version.json",
            good.replace("synfin-trace/1", "synfin-trace/9"),
            "field `format`",
        ),
        ("notjson.json", "{".to_string(), "not JSON"),
        (
            "field.json",
            good.replacen("\"tick_seconds\"", "\"tick_secs\"", 1),
            "tick_secs",
        ),
        (
            "tcb.json",
            good.replacen("\"snd_una\"", "\"snd_unb\"", 1),
            "snd_unb",
        ),
    ];
    for (name, text, needle) in cases {
        let p = write(&dir, name, &text);
        let out = Command::new(env!("CARGO_BIN_EXE_synfin-conform"))
            .args(["replay"])
            .arg(&p)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name) && err.contains(needle), "{name}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_divergence_exits_1_with_the_step_and_the_trace_so_far() {
    // Claim that B answers A's SYN with a bare ACK: synfin-tcp sends SYN,ACK.
    let good = a_trace();
    let mut t: serde_json::Value = serde_json::from_str(&good).unwrap();
    let steps = t["steps"].as_array_mut().unwrap();
    steps[0]["A"]["state"] = "LISTEN".into();
    let dir = std::env::temp_dir().join(format!("synfin-conform-div-{}", std::process::id()));
    let p = write(&dir, "div.json", &t.to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_synfin-conform"))
        .args(["replay"])
        .arg(&p)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("DIVERGENCE") && text.contains("div.json"),
        "{text}"
    );
    assert!(
        text.contains("at step 1") && text.contains("  1. [t=0]"),
        "{text}"
    );
    assert!(text.contains("A.state: expected \"LISTEN\""), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The committed suite records the TCB variables wherever the host has a
/// TCB (so the replay compares them), and nowhere it has none.
#[test]
fn the_committed_suite_records_tcb_variables_where_a_tcb_exists() {
    let suite = Suite::load(&[suite()]).expect("suite loads");
    let mut with = 0;
    for (file, t) in &suite.traces {
        for (i, s) in t.steps.iter().enumerate() {
            for h in HostId::BOTH {
                let o = s.host(h);
                let has_tcb = o.state.has_connection();
                assert_eq!(
                    o.tcb.is_some(),
                    has_tcb,
                    "{} step {}: host {h} in {} (regenerate with regen-traces.sh)",
                    file.display(),
                    i + 1,
                    o.state
                );
                if let Some(tcb) = &o.tcb {
                    with += 1;
                    assert_eq!(tcb.rcv_nxt.is_some(), o.state != State::SynSent);
                    assert_eq!(tcb.snd_una.is_some(), o.state != State::TimeWait);
                    assert_eq!(tcb.retries.is_some(), o.state != State::TimeWait);
                    assert!(tcb.snd_nxt.is_some());
                }
            }
        }
    }
    assert!(with > 0);
}

/// A committed trace and the index of its step where A calls OPEN (A is
/// then in SYN-SENT: SND.UNA = ISS, SND.NXT = ISS + 1, no RCV.NXT yet).
fn a_connect() -> (serde_json::Value, usize) {
    let t: serde_json::Value = serde_json::from_str(&a_trace()).unwrap();
    let i = t["steps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["input"]["kind"] == "connect" && s["input"]["host"] == "A")
        .expect("A connects");
    assert_eq!(t["steps"][i]["A"]["tcb"]["snd_una"], 0);
    assert_eq!(t["steps"][i]["A"]["tcb"]["snd_nxt"], 1);
    (t, i)
}

fn replay_cli(p: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synfin-conform"))
        .args(["replay"])
        .arg(p)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A trace whose TCB variables the implementation does not match diverges
/// at that step, and the report shows both sides' values.
#[test]
fn a_tcb_divergence_shows_the_model_and_the_implementation_values() {
    let (mut t, i) = a_connect();
    t["steps"][i]["A"]["tcb"]["snd_nxt"] = 2.into();
    let dir = std::env::temp_dir().join(format!("synfin-conform-tcb-{}", std::process::id()));
    let (code, text) = replay_cli(&write(&dir, "tcb.json", &t.to_string()));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("at step {}", i + 1)), "{text}");
    assert!(
        text.contains(
            "A.tcb: expected snd_una=0 snd_nxt=2 rcv_nxt=- retries=0, \
             actual snd_una=0 snd_nxt=1 rcv_nxt=- retries=0"
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `tcb` is optional: a trace written before it existed loads and replays
/// as it did (nothing else is compared differently).
#[test]
fn a_trace_without_tcb_variables_still_conforms() {
    let mut t: serde_json::Value = serde_json::from_str(&a_trace()).unwrap();
    for s in t["steps"].as_array_mut().unwrap() {
        for h in ["A", "B"] {
            s[h].as_object_mut().unwrap().remove("tcb");
        }
    }
    let text = t.to_string();
    assert!(!text.contains("\"tcb\""));
    let dir = std::env::temp_dir().join(format!("synfin-conform-old-{}", std::process::id()));
    let (code, out) = replay_cli(&write(&dir, "old.json", &text));
    assert_eq!(code, Some(0), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A target that declines `observes_tcb` (as the kernel does) is not held
/// to the TCB variables: the same wrong trace conforms there.
#[test]
fn a_target_that_does_not_observe_the_tcb_is_not_compared_on_it() {
    use synfin_conformance::replay::{replay, ISN_BASES};
    use synfin_conformance::target::{Capabilities, Report, Role, Stimulus, Target, Unsupported};
    use synfin_conformance::trace::{parse_trace, TraceConfig};

    /// synfin-tcp with its TCB hidden.
    struct Blind(SynfinTcp);
    impl Target for Blind {
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                observes_tcb: false,
                ..self.0.capabilities()
            }
        }
        fn start(&mut self, cfg: &TraceConfig, role: Role) -> Result<(), Unsupported> {
            self.0.start(cfg, role)
        }
        fn set_next_iss(&mut self, h: HostId, iss: u32) {
            self.0.set_next_iss(h, iss)
        }
        fn input(&mut self, s: &Stimulus) -> Result<(), Unsupported> {
            self.0.input(s)
        }
        fn observe(&mut self, h: HostId) -> Report {
            Report {
                tcb: None,
                ..self.0.observe(h)
            }
        }
    }
    let (mut t, i) = a_connect();
    t["steps"][i]["A"]["tcb"]["snd_nxt"] = 2.into();
    let p = Path::new("tcb.json");
    let t = parse_trace(p, &t.to_string()).unwrap();
    let blind = replay(
        &mut Blind(SynfinTcp::default()),
        p,
        &t,
        Role::Both,
        &ISN_BASES,
        &Policy::STRICT,
    );
    assert_eq!(blind.at, None, "{blind}");
    let d = replay(
        &mut SynfinTcp::default(),
        p,
        &t,
        Role::Both,
        &ISN_BASES,
        &Policy::STRICT,
    );
    assert_eq!(d.at, Some(i + 1), "{d}");
    assert!(
        d.diffs.iter().any(|x| x.starts_with("A.tcb:")),
        "{:?}",
        d.diffs
    );
}
