//! The CI gate: replay the committed suite under conformance/traces/ (the
//! transition cover of the `default` preset under both profiles, every path
//! of the `quick` preset to depth 4, and random walks) against synfin-tcp at
//! every ISN base. Regenerate it with `conformance/scripts/regen-traces.sh`
//! after a model change; `.ci/run` also replays a fresh export.

use std::path::{Path, PathBuf};
use std::process::Command;

use synfin_conformance::replay::{load, replay_all};
use synfin_conformance::target::ImplTarget;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

#[test]
fn committed_suite_conforms_under_both_profiles() {
    let loaded = load(&[suite()]).expect("suite loads");
    for profile in ["rfc9293", "rfc793"] {
        let start = std::time::Instant::now();
        let sum = replay_all(&mut ImplTarget::default(), &loaded, Some(profile));
        eprintln!(
            "{profile}: {} traces, {} steps, coverage {}/{} ({:.1}%), {:.2} s",
            sum.traces,
            sum.steps,
            sum.reachable.intersection(&sum.taken).count(),
            sum.reachable.len(),
            100.0 * sum.coverage(),
            start.elapsed().as_secs_f64()
        );
        for k in sum.untaken() {
            eprintln!("  untaken: {k}");
        }
        assert!(
            sum.traces > 0,
            "{profile}: no traces in {}",
            suite().display()
        );
        assert!(!sum.reachable.is_empty(), "{profile}: no cover manifest");
        assert!(
            sum.known.is_empty(),
            "{profile}: synfin-tcp has no known deviations, yet {} traces stopped at one",
            sum.known.len()
        );
        assert_eq!(
            sum.untaken(),
            Vec::<&String>::new(),
            "{profile}: the suite must take every reachable model transition"
        );
        if let Some(d) = sum.diverged.first() {
            panic!(
                "{profile}: {} traces diverged; first:\n{d}",
                sum.diverged.len()
            );
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
