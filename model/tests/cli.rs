//! The `synfin` command-line contract: output of `list`, exit codes, JSON fields.

use std::process::Command;

/// A depth-profile cache of the tests' own, so a test run leaves none in
/// the user's home.
fn cache_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("synfin-cli-cache-{}", std::process::id()))
}

fn synfin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synfin"))
        .args(args)
        .env("SYNFIN_CACHE_DIR", cache_dir())
        .output()
        .expect("run synfin");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (
        out.status.code().expect("exit code"),
        text(out.stdout),
        text(out.stderr),
    )
}

#[test]
fn list_prints_every_name() {
    let (code, out, _) = synfin(&["list"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn list_json_has_eleven_properties_eleven_scenarios_eight_variants() {
    let (code, out, _) = synfin(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["properties"].as_array().unwrap().len(), 11);
    let scenarios = v["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 11);
    let needs: Vec<_> = scenarios.iter().filter(|s| !s["needs"].is_null()).collect();
    assert_eq!(needs.len(), 1);
    assert_eq!(needs[0]["name"], "time-wait-reopen");
    assert_eq!(needs[0]["needs"], "--time-wait-reopen");
    assert_eq!(v["variants"].as_array().unwrap().len(), 8);
}

#[test]
fn bad_names_exit_2_with_the_valid_ones() {
    let (code, _, err) = synfin(&["check", "--preset", "huge"]);
    assert_eq!(code, 2);
    assert!(err.contains("quick, default, deep"), "{err}");
    let (code, _, err) = synfin(&["check", "--variant", "no-fin"]);
    assert_eq!(code, 2);
    assert!(err.contains("two-way-handshake"), "{err}");
    let (code, _, _) = synfin(&["frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn bytes_past_their_range_exit_2_with_the_range() {
    for flag in ["--bytes-a", "--bytes-b"] {
        let (code, _, err) = synfin(&["check", "--preset", "quick", flag, "4"]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(err.contains("0..=3"), "{flag}: {err}");
    }
}

/// `--reopen-at-once` checks the model without its reopen gate, and the
/// header says so (`reopen_at_once.rs` pins its rules and a world of two
/// OPENs). With one OPEN, `quick` still changes: a listener back from
/// SYN-RECEIVED has its clock run a window past the ISS it abandoned.
#[test]
fn reopen_at_once_checks_the_model_without_its_gate() {
    let (_, out, err) = synfin(&["check", "--preset", "quick", "--reopen-at-once"]);
    assert!(
        err.contains("profile rfc9293 without the reopen gate"),
        "{err}"
    );
    assert!(out.contains("166622 unique states"), "{out}");
}

#[test]
fn quick_check_passes_with_json_report() {
    let (code, out, _) = synfin(&["check", "--preset", "quick", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["unique_states"], 164_005);
    assert_eq!(v["time_wait_reopen"], false);
    assert_eq!(v["reopen_at_once"], false);
    for key in ["states", "max_depth", "seconds"] {
        assert!(v[key].is_number(), "{key}");
    }
    let props = v["properties"].as_array().unwrap();
    assert_eq!(props.len(), 21);
    assert!(props.iter().all(|p| p["holds"] == true));
    // MAY-2's scenario is not checked without the option, and says why.
    assert_eq!(
        v["not_checked"],
        serde_json::json!([{"name": "time-wait-reopen", "needs": "--time-wait-reopen"}])
    );
    let (code, out, _) = synfin(&["check", "--preset", "quick"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("time-wait-reopen")
            && l.contains("n/a")
            && l.ends_with("needs --time-wait-reopen")),
        "{out}"
    );
}

/// A scenario drawn without the option it needs is a usage error that
/// names the option; with it, it is drawn.
#[test]
fn show_refuses_a_scenario_without_its_option() {
    let (code, out, err) = synfin(&["show", "time-wait-reopen", "--preset", "quick"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("needs --time-wait-reopen"), "{err}");
    let (code, out, err) = synfin(&["show", "time-wait-reopen", "--time-wait-reopen"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("SYN-RECEIVED"), "{out}");
}

/// Under rfc793, `time-wait-lasts-2msl` is claimed to fail (RFC 1337's
/// TIME-WAIT assassination): the check exits 0 when it does, with its
/// counterexample, and 1 in a world where it cannot (no OPEN at all).
#[test]
fn rfc793_is_claimed_to_fail_time_wait_and_the_claim_can_fail() {
    let tw = |v: &serde_json::Value| {
        v["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "time-wait-lasts-2msl")
            .unwrap()
            .clone()
    };
    let (code, out, _) = synfin(&[
        "check",
        "--preset",
        "quick",
        "--profile",
        "rfc793",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = tw(&v);
    assert_eq!(p["holds"], false);
    assert_eq!(p["claim"], "fails");
    assert_eq!(p["as_claimed"], true);
    assert_eq!(p["trace_length"], 12);
    assert_eq!(v["ok"], true);

    let (code, out, _) = synfin(&[
        "check",
        "--preset",
        "quick",
        "--profile",
        "rfc793",
        "--threads",
        "1",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("time-wait-lasts-2msl fails under rfc793, as expected"),
        "{out}"
    );

    let (code, out, _) = synfin(&[
        "check",
        "--preset",
        "quick",
        "--profile",
        "rfc793",
        "--opens",
        "0",
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = tw(&v);
    assert_eq!(p["holds"], true);
    assert_eq!(p["as_claimed"], false);
}

#[test]
fn a_variant_exits_1_with_its_counterexample() {
    let (code, out, _) = synfin(&["check", "--variant", "two-way-handshake", "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = &v["properties"][0];
    assert_eq!(p["name"], "no-phantom-connection");
    assert_eq!(p["holds"], false);
    assert_eq!(p["trace_length"], 4);
}

/// Every bad input exits 2 and says what was wrong, and what is valid
/// where there is a list.
#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let file = std::env::temp_dir().join(format!("synfin-cli-file-{}", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let unwritable = file.join("out");
    let unwritable = unwritable.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["check", "--profile", "rfc1"], "valid: rfc9293, rfc793"),
        (&["check", "--losses", "300"], "300 is not in 0..=255"),
        (&["check", "--opens", "4"], "4 is not in 0..=3"),
        (&["check", "--retries", "8"], "8 is not in 0..=7"),
        (&["check", "--threads", "0"], "at least 1"),
        (&["check", "--dups", "many"], "invalid digit"),
        (
            &["check", "--reopen-at-once=yes"],
            "unexpected value 'yes' for '--reopen-at-once'",
        ),
        (
            &["check", "--max-memory", "foo"],
            "expected a size such as 8G, 512M or 1.5G",
        ),
        (&["check", "--max-memory", "0"], "between 1 byte"),
        (&["check", "--engine", "spin"], "valid: fast, stateright"),
        (
            &["check", "--spill-dir", unwritable],
            "cannot make a file there",
        ),
        (
            &["check", "--spill-dir", ".", "--engine", "stateright"],
            "needs --engine fast and no --variant",
        ),
        (
            &["show", "half-close", "--format", "png"],
            "valid: text, svg, mermaid, json",
        ),
        (
            &["show", "half-close", "--preset", "huge"],
            "valid: quick, default, deep",
        ),
        (&["explain", "no-fin"], "valid: two-way-handshake"),
        (
            &["export", "--depth", "0", "--out", "x"],
            "0 is not in 1..=12",
        ),
        (&["export", "--random", "0", "--out", "x"], "at least 1"),
        (
            &["export", "--cover", "states", "--out", "x"],
            "transitions",
        ),
        (
            &["export", "--depth", "2", "--seed", "3", "--out", "x"],
            "cannot be used with",
        ),
        (
            &["export", "--out", "x"],
            "--depth <N>|--cover <WHAT>|--random <N>|--scenarios",
        ),
        (
            &[
                "export", "--preset", "quick", "--depth", "1", "--out", unwritable,
            ],
            "cannot write",
        ),
        (
            &[
                "export",
                "--preset",
                "quick",
                "--scenarios",
                "--out",
                unwritable,
            ],
            "cannot write",
        ),
        (
            &[
                "export",
                "--preset",
                "quick",
                "--depth",
                "1",
                "--time-wait-reopen",
                "--out",
                "x",
            ],
            "MAY-2 needs a listener that outlives TIME-WAIT",
        ),
        (&["explore", "--addr", "nowhere"], "invalid socket address"),
        (
            &["show", "three-way-handshake", "--textbook"],
            "--textbook works for simultaneous-open, stale-syn-rejected",
        ),
        (
            &["explain", "fixed-isn", "--textbook"],
            "--textbook works for no-time-wait",
        ),
    ];
    for (args, message) in cases {
        let (code, _, err) = synfin(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    let _ = std::fs::remove_file(&file);
}

/// `synfin check` on a terminal ends with the command that draws a trace;
/// piped, or with --json, it does not. The terminal is `script(1)`'s.
#[test]
fn check_on_a_terminal_says_how_to_see_a_trace() {
    let (_, piped, _) = synfin(&["check", "--preset", "quick"]);
    assert!(!piped.contains("synfin show"), "{piped}");
    let Some(tty) = on_a_terminal("check --preset quick") else {
        return;
    };
    assert!(
        tty.contains("see a scenario: synfin show three-way-handshake --preset quick"),
        "{tty}"
    );
    let tty = on_a_terminal("check --preset quick --json").unwrap();
    assert!(!tty.contains("synfin show"), "{tty}");
    let tty = on_a_terminal("check --variant no-time-wait").unwrap();
    assert!(tty.contains("synfin explain no-time-wait"), "{tty}");
    assert!(tty.contains("--textbook"), "{tty}");
}

/// What `synfin ARGS` prints to a terminal, or `None` without `script(1)`.
fn on_a_terminal(args: &str) -> Option<String> {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_synfin"));
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output();
    match out {
        Ok(out) if out.status.code().is_some() => {
            Some(String::from_utf8_lossy(&out.stdout).replace('\r', ""))
        }
        _ => {
            eprintln!("no script(1): the terminal case is not tested");
            None
        }
    }
}

/// `--help` explains each command to someone who has not read the book:
/// what it prints, an example, and each budget's value in every preset.
#[test]
fn help_has_examples_and_the_presets_values() {
    for cmd in ["check", "show", "explain", "export", "explore", "list"] {
        let (code, out, _) = synfin(&[cmd, "--help"]);
        assert_eq!(code, 0, "{cmd}");
        assert!(out.contains("Examples:"), "{cmd}: {out}");
    }
    let (_, out, _) = synfin(&["check", "--help"]);
    assert!(
        out.contains(
            "[presets: quick 1, default 2, deep 2, old-duplicates 1, off-path 1, reincarnation 2, applications 1]"
        ),
        "{out}"
    );
    for cmd in ["check", "show", "explain", "export", "explore"] {
        let (_, out, _) = synfin(&[cmd, "--help"]);
        assert!(out.contains("--retries <N>"), "{cmd} takes the budgets");
    }
    let (_, out, _) = synfin(&["show", "--help"]);
    assert!(out.contains("RFC 9293 §3.5 Figure 7"), "{out}");
}

/// `--textbook` draws the figure's shape and says where the path does what
/// the figure does, and which budgets the figure needed raised.
#[test]
fn textbook_examples_come_with_their_legend() {
    let (code, out, _) = synfin(&[
        "show",
        "simultaneous-open",
        "--textbook",
        "--preset",
        "quick",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("textbook shape, as in RFC 9293 §3.5 Figure 7"),
        "{out}"
    );
    assert!(out.contains("step  4: both hosts in SYN-RECEIVED"), "{out}");
    let (code, out, _) = synfin(&["show", "stale-syn-rejected", "--textbook"]);
    assert_eq!(code, 0);
    assert!(out.contains("--losses 2 --delays 1 --retries 2"), "{out}");
    let (code, out, _) = synfin(&["explain", "no-time-wait", "--textbook"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("(textbook-shaped counterexample, preset default"),
        "{out}"
    );
    assert!(
        out.contains("step 11: A's last ACK, for B's FIN, is lost"),
        "{out}"
    );
    let (code, out, _) = synfin(&[
        "explain",
        "no-time-wait",
        "--textbook",
        "--format",
        "mermaid",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("sequenceDiagram") && !out.contains("textbook"),
        "{out}"
    );
}

/// Both engines give the same counts and verdicts, and say which ran.
#[test]
fn both_engines_check_quick_alike() {
    let mut seen = Vec::new();
    for engine in ["fast", "stateright"] {
        let (code, out, _) = synfin(&[
            "check",
            "--preset",
            "quick",
            "--json",
            "--engine",
            engine,
            "--no-profile",
        ]);
        assert_eq!(code, 0, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["engine"], engine);
        assert_eq!(v["complete"], true);
        seen.push((
            v["unique_states"].clone(),
            v["states"].clone(),
            v["properties"].clone(),
        ));
    }
    assert_eq!(seen[0], seen[1]);
}

/// A check whose spill file cannot be written stops cleanly, says why and
/// how far it got, and exits 5. The file is capped by `ulimit -f` (with
/// SIGXFSZ ignored, so that a write past it fails instead of killing).
#[test]
fn a_spill_file_that_fails_stops_cleanly_with_exit_5() {
    let dir = std::env::temp_dir();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 8; exec {} check --preset quick --no-profile --spill-dir {}",
            env!("CARGO_BIN_EXE_synfin"),
            dir.display()
        ))
        .env("SYNFIN_CACHE_DIR", cache_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(
        stdout.contains("stopped: the --spill-dir file failed: File too large"),
        "{stdout}"
    );
    assert!(stdout.contains("NOT COMPLETE"), "{stdout}");
}

/// A spilled check gives the same counts and verdicts as one in memory,
/// and its JSON says how much went to disk.
#[test]
fn a_spilled_check_matches_one_in_memory() {
    let dir = std::env::temp_dir();
    let mut seen = Vec::new();
    for spill in [None, Some(dir.to_str().unwrap())] {
        let mut args = vec!["check", "--preset", "quick", "--json", "--no-profile"];
        args.extend(spill.iter().flat_map(|d| ["--spill-dir", d]));
        let (code, out, _) = synfin(&args);
        assert_eq!(code, 0, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["complete"], true);
        assert_eq!(v["spilled_bytes"].as_u64().unwrap() > 0, spill.is_some());
        seen.push((v["unique_states"].clone(), v["properties"].clone()));
    }
    assert_eq!(seen[0], seen[1]);
}

/// A check that outgrows --max-memory stops before it grows, says how far
/// it got, and exits 3; the JSON says it is not complete.
#[test]
fn max_memory_stops_cleanly_with_exit_3() {
    let args = [
        "check",
        "--preset",
        "old-duplicates",
        "--max-memory",
        "10M",
        "--no-profile",
    ];
    let (code, out, _) = synfin(&args);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("stopped at the memory limit of 10.00 MiB"),
        "{out}"
    );
    assert!(out.contains("NOT COMPLETE: "), "{out}");
    assert!(out.contains("no verdict"), "{out}");
    assert!(
        out.contains("keep the queue on disk with --spill-dir"),
        "{out}"
    );
    let (code, out, _) = synfin(&[&args[..], &["--json"]].concat());
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["complete"], false);
    assert_eq!(v["stopped"], "memory-limit");
    assert_eq!(v["ok"], false);
    assert!(v["unique_states"].as_u64().unwrap() < 2_093_132);
}

/// Ctrl-C (SIGINT) stops a long check cleanly: a report of how far it got
/// and exit 130.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_with_exit_130() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_synfin"))
        .args(["check", "--preset", "default", "--no-profile"])
        .env("SYNFIN_CACHE_DIR", cache_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run synfin");
    // Past start-up and the re-exec with huge pages: the first line on
    // stderr comes just before the handler is set; then into the search.
    let mut first = String::new();
    let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    std::io::BufRead::read_line(&mut err, &mut first).expect("read stderr");
    assert!(first.starts_with("checking preset default"), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    // The shell's own kill: no procps needed.
    let kill = Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .expect("sh");
    assert!(kill.success());
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    assert!(stdout.contains("stopped by Ctrl-C"), "{stdout}");
    assert!(stdout.contains("NOT COMPLETE: "), "{stdout}");
}

/// A completed check leaves a depth profile; the next run of the same
/// world reads it (its estimate is then exact) and leaves it as it was.
#[test]
fn a_completed_check_leaves_a_depth_profile() {
    let dir = cache_dir().join("profile-test");
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_synfin"))
            .args([
                "check",
                "--preset",
                "quick",
                "--profile",
                "rfc793",
                "--json",
            ])
            .env("SYNFIN_CACHE_DIR", &dir)
            .output()
            .expect("run synfin");
        assert_eq!(out.status.code(), Some(0));
    };
    run();
    let files: Vec<_> = std::fs::read_dir(dir.join("depth-profiles"))
        .expect("a profile directory")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.contains("Rfc793"), "{text}");
    let total: u64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("level "))
        .map(|l| l.split(' ').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 159_837);
    run();
    assert_eq!(
        std::fs::read_dir(dir.join("depth-profiles"))
            .unwrap()
            .count(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
