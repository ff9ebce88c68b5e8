//! `synfin export`: files named by content, a cover manifest, exit 2 on bad arguments.

use std::process::Command;

use synfin_model::trace::{self, Trace};
use synfin_model::{Config, Preset, Profile};

fn synfin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_synfin"))
        .args(args)
        .output()
        .expect("synfin runs")
}

#[test]
fn depth_export_writes_one_file_per_trace_named_by_hash() {
    let dir = std::env::temp_dir().join(format!("synfin-export-{}", std::process::id()));
    let out = synfin(&[
        "export",
        "--preset",
        "quick",
        "--depth",
        "3",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert!(!files.is_empty());
    for f in files {
        let text = std::fs::read_to_string(f.path()).unwrap();
        let t: Trace = serde_json::from_str(&text).unwrap();
        assert_eq!(t.format, trace::FORMAT);
        assert!(t.steps.len() <= 3);
        let name = format!("{:016x}.json", trace::content_hash(text.as_bytes()));
        assert_eq!(f.file_name().to_str().unwrap(), name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["export", "--out", "/tmp/x"][..],
        &["export", "--depth", "2", "--random", "2", "--out", "/tmp/x"],
        &["export", "--cover", "states", "--out", "/tmp/x"],
        &[
            "export", "--preset", "huge", "--depth", "2", "--out", "/tmp/x",
        ],
        &["export", "--depth", "2"],
    ] {
        assert_eq!(synfin(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn cover_takes_every_reachable_key_and_handshake_numbers_are_relative() {
    let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    let (paths, keys, _) = trace::cover_paths(&cfg);
    let mut taken = std::collections::BTreeSet::new();
    for p in &paths {
        for s in trace::record(&cfg, "cover", p).steps {
            taken.extend(s.key);
        }
    }
    assert_eq!(taken, keys);
    assert!(keys.contains("SYN-SENT arrive SYN,ACK -> ESTABLISHED emit ACK"));
    // B's SYN,ACK: its own ISS relative to its base, and A's ISS + 1.
    let t = paths
        .iter()
        .map(|p| trace::record(&cfg, "cover", p))
        .find(|t| {
            t.steps
                .iter()
                .any(|s| s.b.emitted.iter().any(|e| e.flags == "SYN,ACK"))
        })
        .unwrap();
    let synack = t
        .steps
        .iter()
        .flat_map(|s| s.b.emitted.iter())
        .find(|e| e.flags == "SYN,ACK")
        .unwrap();
    assert_eq!(synack.ack, 1);
    assert!(synack.seq.unwrap() >= 0 && synack.seq.unwrap() < 10);
}

#[test]
fn scenarios_export_one_trace_per_scenario_ending_where_show_ends() {
    let dir = std::env::temp_dir().join(format!("synfin-export-scen-{}", std::process::id()));
    let out = synfin(&[
        "export",
        "--preset",
        "quick",
        "--scenarios",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    let paths = trace::scenario_paths(&cfg).expect("every scenario is reachable in quick");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = paths.iter().map(|(n, _)| format!("{n}.json")).collect();
    want.sort();
    assert_eq!(names, want);
    assert_eq!(names.len(), 10);
    for (name, actions) in &paths {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let t: Trace = serde_json::from_str(&text).unwrap();
        assert_eq!(t.origin, "scenario");
        assert_eq!(t, trace::record(&cfg, "scenario", actions), "{name}");
        // The same shortest path `synfin show` draws.
        let shown = synfin_model::search::shortest(&cfg, &[name])
            .remove(name)
            .unwrap();
        assert_eq!(t.steps.len(), shown.len() - 1, "{name}");
    }
    let hs = std::fs::read_to_string(dir.join("three-way-handshake.json")).unwrap();
    let hs: Trace = serde_json::from_str(&hs).unwrap();
    let last = hs.steps.last().unwrap();
    assert_eq!(
        (last.a.state.as_str(), last.b.state.as_str()),
        ("ESTABLISHED", "ESTABLISHED")
    );
    // --scenarios is a mode of its own.
    let both = synfin(&["export", "--scenarios", "--depth", "2", "--out", "/tmp/x"]);
    assert_eq!(both.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn budget_overrides_shape_the_world_and_the_manifest_records_them() {
    let dir = std::env::temp_dir().join(format!("synfin-export-budget-{}", std::process::id()));
    let out = synfin(&[
        "export",
        "--preset",
        "quick",
        "--cover",
        "transitions",
        "--losses",
        "0",
        "--aborts",
        "0",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("cover.json")).unwrap();
    let cover: trace::Cover = serde_json::from_str(&text).unwrap();
    let quick = Config::new(Preset::Quick, Profile::Rfc9293, None);
    let b = &cover.budgets;
    assert_eq!((b.losses, b.aborts), (0, 0));
    assert_eq!(
        (b.opens, b.dups, b.delays),
        (quick.opens, quick.dups, quick.delays)
    );
    assert_eq!(b.bytes, quick.bytes);
    // Without ABORT no RST is ever sent for one; the full quick world has it.
    let abort = "ESTABLISHED abort -> CLOSED emit RST";
    assert!(!cover.keys.iter().any(|k| k == abort));
    assert!(trace::cover_paths(&quick).1.contains(abort));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--retries` is one of the budgets every command shares: the exported
/// traces' config carries it, and a retransmission count reaches it.
#[test]
fn retries_take_effect_in_export() {
    let max_retries = |extra: &[&str]| {
        let dir = std::env::temp_dir().join(format!(
            "synfin-export-retries-{}-{}",
            std::process::id(),
            extra.len()
        ));
        let mut args = vec!["export", "--preset", "quick", "--cover", "transitions"];
        args.extend(extra);
        args.extend(["--out", dir.to_str().unwrap()]);
        let out = synfin(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut configured = std::collections::BTreeSet::new();
        let mut seen = 0;
        for f in std::fs::read_dir(&dir).unwrap().flatten() {
            if f.file_name() == "cover.json" {
                continue;
            }
            let t: Trace =
                serde_json::from_str(&std::fs::read_to_string(f.path()).unwrap()).unwrap();
            configured.insert(t.config.retries);
            for s in &t.steps {
                for h in [&s.a, &s.b] {
                    seen = seen.max(h.tcb.as_ref().and_then(|t| t.retries).unwrap_or(0));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        (configured.into_iter().collect::<Vec<_>>(), seen)
    };
    assert_eq!(max_retries(&[]), (vec![1], 1));
    assert_eq!(max_retries(&["--retries", "2"]), (vec![2], 2));
}
