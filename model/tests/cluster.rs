//! The timely engine ([`synfin_model::cluster`]) gives the fast engine's
//! result, on the threads of one process and across processes that find
//! each other from a hostfile, as `synfin check --hostfile` runs them on
//! the machines of a cluster; and a run that cannot finish (a process
//! missing, another world, a process killed) says why and exits 4.
//!
//! `default` (rfc9293) is compared across three processes by `.ci/run`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use synfin_model::{cluster, fast, Config, Preset, Profile, TcpModel};

#[test]
fn timely_threads_agree_with_the_fast_engine() {
    for &profile in Profile::ALL {
        for threads in [1, 3] {
            let cfg = Config::new(Preset::Quick, profile, None);
            let model = TcpModel::new(cfg.clone());
            let fast = fast::check(&model, &fast::Options::threads(2), &mut |_| {}).unwrap();
            let out = cluster::check(model, &cluster::Options::threads(threads), &mut |_| {})
                .unwrap()
                .expect("one process: this is process 0");
            let name = format!("{profile}, {threads} threads");
            assert_eq!(out.unique_states, fast.unique_states, "{name}");
            assert_eq!(out.states, fast.states, "{name}");
            assert_eq!(out.levels, fast.levels, "{name}");
            assert_eq!(out.max_depth, fast.max_depth, "{name}");
            assert_eq!(out.discovered, fast.discovered, "{name}");
            assert!(out.exhaustive && out.stopped.is_none(), "{name}");
        }
    }
}

#[test]
fn a_stop_ends_a_timely_check_and_says_so() {
    let model = TcpModel::new(Config::new(Preset::Default, Profile::Rfc9293, None));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opts = cluster::Options {
        stop: Some(stop.clone()),
        ..cluster::Options::threads(2)
    };
    let mut polls = 0;
    let out = cluster::check(model, &opts, &mut |_| {
        polls += 1;
        if polls == 4 {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    })
    .unwrap()
    .unwrap();
    assert_eq!(out.stopped, Some(fast::Stop::Interrupted));
    assert!(!out.exhaustive);
    assert!(out.unique_states > 0 && out.unique_states < 24_966_013);
}

/// A depth-profile cache of the tests' own.
fn cache_dir() -> PathBuf {
    std::env::temp_dir().join(format!("synfin-cluster-cache-{}", std::process::id()))
}

fn synfin(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_synfin"));
    c.args(args)
        .env("SYNFIN_CACHE_DIR", cache_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A hostfile of `n` loopback addresses on free ports.
fn hostfile(name: &str, n: usize) -> PathBuf {
    let lines: Vec<String> = (0..n)
        .map(|_| {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            format!("127.0.0.1:{}", l.local_addr().unwrap().port())
        })
        .collect();
    let path = std::env::temp_dir().join(format!("synfin-{name}-{}.txt", std::process::id()));
    std::fs::write(&path, format!("# {name}\n{}\n", lines.join("\n"))).unwrap();
    path
}

/// The fields a distributed report must share with a single-process one.
fn key(v: &Value) -> Value {
    let props: Vec<Value> = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| serde_json::json!([p["name"], p["holds"], p["trace_length"]]))
        .collect();
    serde_json::json!([
        v["unique_states"],
        v["states"],
        v["max_depth"],
        v["ok"],
        props
    ])
}

fn wait(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

/// What a user runs on each machine of a cluster, here as three processes
/// on loopback: the same command, each with its own --process.
#[test]
fn three_processes_from_a_hostfile_report_what_one_process_does() {
    let hosts = hostfile("three", 3);
    let h = hosts.to_str().unwrap();
    let world = [
        "check",
        "--preset",
        "quick",
        "--profile",
        "rfc793",
        "--no-profile",
    ];
    let alone = synfin(&[&world[..], &["--json"]].concat())
        .output()
        .unwrap();
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone.stderr));
    // Started in reverse: a process waits for those listed before it.
    let followers: Vec<Child> = [2, 1]
        .iter()
        .map(|i| {
            synfin(
                &[
                    &world[..],
                    &[
                        "--threads",
                        "1",
                        "--hostfile",
                        h,
                        "--process",
                        &i.to_string(),
                    ],
                ]
                .concat(),
            )
            .spawn()
            .unwrap()
        })
        .collect();
    let first = synfin(
        &[
            &world[..],
            &[
                "--threads",
                "1",
                "--hostfile",
                h,
                "--process",
                "0",
                "--json",
            ],
        ]
        .concat(),
    )
    .output()
    .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    for f in followers {
        let out = wait(f);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "a follower prints no report");
        assert!(
            text(&out.stderr).contains("part done"),
            "{}",
            text(&out.stderr)
        );
    }
    let a: Value = serde_json::from_slice(&alone.stdout).unwrap();
    let d: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(d["engine"], "timely");
    assert_eq!(key(&a), key(&d));
    assert_eq!(a["unique_states"], 159_837);
    let _ = std::fs::remove_file(hosts);
}

#[test]
fn processes_started_by_synfin_report_what_one_process_does() {
    let world = ["check", "--preset", "quick", "--no-profile", "--json"];
    let alone = synfin(&world).output().unwrap();
    let launched = synfin(&[&world[..], &["--processes", "2", "--threads", "1"]].concat())
        .output()
        .unwrap();
    assert_eq!(
        launched.status.code(),
        Some(0),
        "{}",
        text(&launched.stderr)
    );
    let a: Value = serde_json::from_slice(&alone.stdout).unwrap();
    let d: Value = serde_json::from_slice(&launched.stdout).unwrap();
    assert_eq!(key(&a), key(&d));
}

#[test]
fn a_process_that_never_comes_is_named_after_the_timeout() {
    let hosts = hostfile("missing", 2);
    let out = synfin(&[
        "check",
        "--preset",
        "quick",
        "--hostfile",
        hosts.to_str().unwrap(),
        "--process",
        "0",
        "--connect-timeout",
        "1",
    ])
    .output()
    .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("process 1 (127.0.0.1:"), "{err}");
    assert!(err.contains("did not connect within 1 s"), "{err}");
    let _ = std::fs::remove_file(hosts);
}

#[test]
fn a_process_checking_another_world_is_refused() {
    let hosts = hostfile("worlds", 2);
    let h = hosts.to_str().unwrap();
    let args = |profile, process| {
        [
            "check",
            "--preset",
            "quick",
            "--profile",
            profile,
            "--hostfile",
            h,
            "--process",
            process,
            "--connect-timeout",
            "5",
        ]
        .map(str::to_string)
    };
    let first = synfin(
        &args("rfc9293", "0")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .spawn()
    .unwrap();
    let other = synfin(
        &args("rfc793", "1")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .output()
    .unwrap();
    let first = wait(first);
    let err = text(&first.stderr);
    assert_eq!(first.status.code(), Some(4), "{err}");
    assert!(
        err.contains("process 1") && err.contains("checks another world"),
        "{err}"
    );
    assert_eq!(other.status.code(), Some(4), "{}", text(&other.stderr));
    let _ = std::fs::remove_file(hosts);
}

#[test]
fn a_process_killed_mid_run_ends_the_others_with_a_reason() {
    let hosts = hostfile("killed", 2);
    let h = hosts.to_str().unwrap();
    let world = [
        "check",
        "--preset",
        "default",
        "--no-profile",
        "--threads",
        "1",
        "--hostfile",
        h,
    ];
    let first = synfin(&[&world[..], &["--process", "0"]].concat())
        .spawn()
        .unwrap();
    let mut second = synfin(&[&world[..], &["--process", "1"]].concat())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    second.kill().unwrap();
    let _ = second.wait();
    let t = Instant::now();
    let out = wait(first);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("the run failed"), "{err}");
    assert!(
        !err.contains("stack backtrace"),
        "one line, not timely's panics: {err}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "it noticed in {:?}",
        t.elapsed()
    );
    let _ = std::fs::remove_file(hosts);
}

#[test]
fn bad_cluster_arguments_are_usage_errors() {
    let hosts = hostfile("usage", 2);
    let h = hosts.to_str().unwrap();
    for (args, says) in [
        (
            vec!["--hostfile", h, "--process", "2"],
            "process 2 is not in the hostfile",
        ),
        (
            vec!["--hostfile", "/nonexistent/hosts", "--process", "0"],
            "cannot read /nonexistent/hosts",
        ),
        (vec!["--processes", "2", "--engine", "fast"], "not fast"),
        (
            vec!["--processes", "2", "--variant", "no-time-wait"],
            "variant",
        ),
        (vec!["--processes", "0"], "at least 1"),
        (vec!["--hostfile", h], "--process"),
    ] {
        let out = synfin(&[&["check", "--preset", "quick"][..], &args[..]].concat())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let _ = std::fs::remove_file(hosts);
}

/// The command a recipe in `deploy/` runs on each machine: the folded
/// block that starts at the line holding `start`, as words, with the
/// recipe's placeholders replaced by this test's values.
fn recipe(file: &str, start: &str, hosts: &str, process: usize) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines().skip_while(|l| !l.contains(start)).skip(1);
    let first = lines.next().expect("the command's first line");
    let indent = first.len() - first.trim_start().len();
    let block: Vec<&str> = std::iter::once(first)
        .chain(
            lines.take_while(|l| l.len() - l.trim_start().len() >= indent && !l.trim().is_empty()),
        )
        .collect();
    let command = block
        .join(" ")
        .replace("\"$JOB_COMPLETION_INDEX\"", &process.to_string())
        .replace("${{ matrix.process }}", &process.to_string())
        .replace("\"${{ inputs.preset }}\"", "quick")
        .replace("/etc/synfin/hosts", hosts)
        .replace(".github/synfin-hosts.txt", hosts)
        .replace("--preset deep", "--preset quick");
    let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    assert!(
        words[0].ends_with("synfin") && words[1] == "check",
        "{file}: {words:?}"
    );
    words[1..].to_vec()
}

/// The Kubernetes manifest and the GitHub workflow in `deploy/` run, on
/// each machine, commands that give the single-process result: run here as
/// four processes on loopback (on `quick` instead of their `deep`).
#[test]
fn the_recipes_commands_report_what_one_process_does() {
    let alone = synfin(&["check", "--preset", "quick", "--no-profile", "--json"])
        .output()
        .unwrap();
    let a: Value = serde_json::from_slice(&alone.stdout).unwrap();
    for (file, start) in [
        ("deploy/kubernetes/synfin-check.yaml", ">-"),
        ("deploy/github/synfin-check-shards.yml", ">-"),
    ] {
        let hosts = hostfile("recipe", 4);
        let h = hosts.to_str().unwrap();
        let run = |i: usize| {
            let mut words = recipe(file, start, h, i);
            words.push("--no-profile".into());
            if i == 0 {
                words.push("--json".into());
            }
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            synfin(&words).spawn().unwrap()
        };
        let followers: Vec<Child> = (1..4).rev().map(run).collect();
        let first = wait(run(0));
        assert_eq!(
            first.status.code(),
            Some(0),
            "{file}: {}",
            text(&first.stderr)
        );
        for f in followers {
            let out = wait(f);
            assert_eq!(out.status.code(), Some(0), "{file}: {}", text(&out.stderr));
        }
        let d: Value = serde_json::from_slice(&first.stdout).unwrap();
        assert_eq!(key(&a), key(&d), "{file}");
        let _ = std::fs::remove_file(hosts);
    }
}

/// Counts up from 0 by 1 or 2; the step from 500 panics: a bug in a model.
struct Panicking;

impl stateright::Model for Panicking {
    type State = u16;
    type Action = u16;
    fn init_states(&self) -> Vec<u16> {
        vec![0]
    }
    fn actions(&self, s: &u16, actions: &mut Vec<u16>) {
        if *s < 1000 {
            actions.extend([1, 2]);
        }
    }
    fn next_state(&self, s: &u16, a: u16) -> Option<u16> {
        assert_ne!(*s, 500, "a bug in the model");
        Some(s + a)
    }
}

impl fast::Successor for Panicking {
    fn pack(&self, s: &u16, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(&s.to_le_bytes());
        true
    }
    fn unpack(&self, bytes: &[u8], into: &mut u16) -> usize {
        *into = u16::from_le_bytes([bytes[0], bytes[1]]);
        2
    }
}

/// A worker whose model panics ends the timely check, on one thread and on
/// several, with an error or that panic: never a hang, never an outcome.
#[test]
fn a_model_that_panics_ends_a_timely_check() {
    for threads in [1, 3] {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(|| {
                cluster::check(Panicking, &cluster::Options::threads(threads), &mut |_| {})
            });
            let ended = match result {
                Err(_) => "panicked".to_string(),
                Ok(Err(e)) => format!("failed: {e}"),
                Ok(Ok(_)) => "returned an outcome".to_string(),
            };
            let _ = tx.send(ended);
        });
        let ended = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the check ended within a minute");
        assert!(
            ended.contains("the model panicked") && ended.contains("a bug in the model"),
            "{threads} threads: {ended}"
        );
    }
}

/// Across two processes (here two timely instances in this one, on
/// loopback), whichever owns the state that panics: the run ends, and
/// process 0, whose outcome is the run's, reports the panic.
#[test]
fn a_model_that_panics_ends_a_run_of_two_processes() {
    let file = hostfile("panic", 2);
    let text = std::fs::read_to_string(&file).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for process in 0..2 {
        let (tx, text) = (tx.clone(), text.clone());
        std::thread::spawn(move || {
            let opts = cluster::Options {
                peers: Some(cluster::Peers::from_hostfile(&text, process).unwrap()),
                connect_timeout: Duration::from_secs(20),
                ..cluster::Options::threads(1)
            };
            let result = std::panic::catch_unwind(|| cluster::check(Panicking, &opts, &mut |_| {}));
            let ended = match result {
                Err(_) => "panicked".to_string(),
                Ok(Err(e)) => format!("failed: {e}"),
                Ok(Ok(None)) => "ended".to_string(),
                Ok(Ok(Some(_))) => "returned an outcome".to_string(),
            };
            let _ = tx.send((process, ended));
        });
    }
    let mut ended = [String::new(), String::new()];
    for _ in 0..2 {
        let (process, how) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("both processes ended within a minute");
        ended[process] = how;
    }
    let _ = std::fs::remove_file(&file);
    assert!(ended[0].contains("the model panicked"), "{ended:?}");
    assert!(
        ended[1] == "ended" || ended[1].contains("the model panicked"),
        "{ended:?}"
    );
}
