//! The CI gate, through the built `synfin-conform`: JUnit XML and the
//! Markdown summary, the expectations file, and every bad input ending in
//! one line and exit 2. A real divergence comes from a committed trace
//! copied to a temporary directory with one expected observation changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use synfin_conformance::gate::{junit, markdown, Expectations, Gate, SCENARIOS};
use synfin_conformance::replay::{self, Deviation, Difference, Plan, Policy, Ruling};
use synfin_conformance::target::{
    Capabilities, Report, Role, Stimulus, SynfinTcp, Target, Unsupported,
};
use synfin_conformance::trace::{Call, HostId, Suite, TraceConfig};

const BIN: &str = env!("CARGO_BIN_EXE_synfin-conform");
const TRACES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/traces");
const HANDSHAKE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/traces/scenarios-rfc9293/three-way-handshake.json"
);

/// A directory removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("synfin-gate-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Temp(p)
    }

    fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }

    fn s(&self, f: &str) -> String {
        self.path(f).display().to_string()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `synfin-conform` with `args`: exit code, stdout, stderr.
fn conform(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run synfin-conform");
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The committed three-way handshake with A's state after step 4 changed
/// from ESTABLISHED to SYN-RECEIVED, in `dir/bad/`: synfin-tcp diverges
/// there.
fn corrupted(dir: &Temp) -> PathBuf {
    let mut t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(HANDSHAKE).unwrap()).unwrap();
    assert_eq!(t["steps"][3]["A"]["state"], "ESTABLISHED");
    t["steps"][3]["A"]["state"] = "SYN-RECEIVED".into();
    let d = dir.path("bad");
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("three-way-handshake.json");
    std::fs::write(&f, serde_json::to_string_pretty(&t).unwrap()).unwrap();
    d
}

/// A testcase as JUnit has it.
#[derive(Debug, Default)]
struct Case {
    classname: String,
    name: String,
    children: Vec<String>,
    text: String,
}

/// Parses `xml` with quick-xml's reader, failing on any malformed part,
/// and returns its testcases.
fn testcases(xml: &str) -> Vec<Case> {
    let mut r = Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut cases = Vec::new();
    let mut open: Option<Case> = None;
    let mut depth = 0usize;
    loop {
        let ev = r
            .read_event()
            .unwrap_or_else(|e| panic!("malformed XML at {}: {e}", r.buffer_position()));
        match ev {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == b"testcase" => {
                let mut c = Case::default();
                for a in e.attributes() {
                    let a = a.unwrap();
                    let v = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned();
                    match a.key.as_ref() {
                        b"classname" => c.classname = v,
                        b"name" => c.name = v,
                        _ => {}
                    }
                }
                if matches!(ev, Event::Start(_)) {
                    open = Some(c);
                    depth = 0;
                } else {
                    cases.push(c);
                }
            }
            Event::Start(e) => {
                if let Some(c) = open.as_mut() {
                    if depth == 0 {
                        c.children
                            .push(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
                    }
                    depth += 1;
                }
            }
            Event::Empty(e) => {
                if let Some(c) = open.as_mut() {
                    let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                    let msg = e
                        .try_get_attribute("message")
                        .unwrap()
                        .map(|a| {
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned()
                        })
                        .unwrap_or_default();
                    c.children.push(format!("{name}:{msg}"));
                }
            }
            Event::Text(t) => {
                if let Some(c) = open.as_mut().filter(|_| depth > 0) {
                    c.text += &t.decode().unwrap();
                }
            }
            Event::GeneralRef(e) => {
                let s = match e.resolve_char_ref().unwrap() {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = e.decode().unwrap();
                        resolve_predefined_entity(&name)
                            .unwrap_or_else(|| panic!("unknown entity &{name};"))
                            .to_string()
                    }
                };
                if let Some(c) = open.as_mut().filter(|_| depth > 0) {
                    c.text += &s;
                }
            }
            Event::End(e) if e.name().as_ref() == b"testcase" => cases.push(open.take().unwrap()),
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    cases
}

#[test]
fn junit_has_one_testcase_per_replay_and_parses() {
    let dir = Temp::new("junit");
    let (code, out, err) = conform(&[
        "replay",
        "--json",
        "--junit",
        &dir.s("j.xml"),
        "--summary",
        &dir.s("s.md"),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let replays = v["replays"].as_u64().unwrap() as usize;
    assert!(replays > 1000, "the committed suite: {replays} replays");
    let xml = std::fs::read_to_string(dir.path("j.xml")).unwrap();
    let cases = testcases(&xml);
    assert_eq!(cases.len(), replays, "one testcase per replay");
    let unique: BTreeSet<(&str, &str)> = cases
        .iter()
        .map(|c| (c.classname.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(unique.len(), cases.len(), "every testcase named apart");
    for c in &cases {
        assert!(c.classname.starts_with("synfin-tcp.rfc"), "{c:?}");
        assert!(c.name.contains("RFC "), "names its RFC clause: {c:?}");
        assert!(c.children.is_empty(), "all pass: {c:?}");
    }
    let scenarios: Vec<&Case> = cases
        .iter()
        .filter(|c| c.classname.ends_with(".scenario"))
        .collect();
    assert_eq!(
        scenarios.len(),
        2 * SCENARIOS.len(),
        "every scenario, both profiles"
    );
    assert!(cases.iter().any(|c| c.name
        == "three-way-handshake — RFC 9293 §3.5 Figure 6 [scenarios-rfc9293, playing A and B]"
        && c.classname == "synfin-tcp.rfc9293.scenario"));
    assert!(cases
        .iter()
        .any(|c| c.classname == "synfin-tcp.rfc9293.transition"
            && c.name.starts_with(
                "SYN-SENT arrive SYN,ACK -> ESTABLISHED emit ACK — RFC 9293 §3.10.7.3"
            )));
    assert!(xml.contains("tests=\"") && xml.starts_with("<?xml"));
}

#[test]
fn summary_has_the_table_and_coverage() {
    let dir = Temp::new("summary");
    let (code, _, err) = conform(&[
        "replay",
        &format!("{TRACES}/scenarios-rfc9293"),
        "--summary",
        &dir.s("s.md"),
    ]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(dir.path("s.md")).unwrap();
    assert!(
        md.starts_with("## synfin-conform: `synfin-tcp` — ✅ pass"),
        "{md}"
    );
    assert!(md.contains("| replays (trace × role) | 10 |"), "{md}");
    assert!(
        md.contains("| verdict | replays | example |\n|---|---:|---|\n| agreed | 10 |"),
        "{md}"
    );
    assert!(md.contains("### Coverage"), "{md}");
    assert!(!md.contains("### First divergence"), "{md}");
}

#[test]
fn a_divergence_fails_with_its_step_and_diagram() {
    let dir = Temp::new("diverge");
    let bad = corrupted(&dir);
    let (code, out, err) = conform(&[
        "replay",
        bad.to_str().unwrap(),
        "--junit",
        &dir.s("j.xml"),
        "--summary",
        &dir.s("s.md"),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("first divergence, drawn (playing A and B):")
            && out.contains("observed (synfin-tcp playing A and B)"),
        "the text report draws it too: {out}"
    );
    let cases = testcases(&std::fs::read_to_string(dir.path("j.xml")).unwrap());
    assert_eq!(cases.len(), 1);
    let c = &cases[0];
    assert_eq!(c.children, ["failure"]);
    assert!(c.text.contains("at step 4 of 5"), "{}", c.text);
    assert!(
        c.text
            .contains(r#"A.state: expected "SYN-RECEIVED", actual "ESTABLISHED""#),
        "{}",
        c.text
    );
    assert!(c.text.contains("step 4: expected (model)"), "{}", c.text);
    assert!(
        c.text.contains("observed (synfin-tcp playing A and B)"),
        "{}",
        c.text
    );
    // Step 4, drawn twice: the model's SYN-RECEIVED beside synfin-tcp's ESTABLISHED.
    let row = c
        .text
        .lines()
        .find(|l| l.trim_start().starts_with("4 "))
        .unwrap();
    let (left, right) = row.split_once("  | ").unwrap();
    assert!(
        left.contains("SYN-RECEIVED") && right.contains("ESTABLISHED"),
        "{row}"
    );
    let md = std::fs::read_to_string(dir.path("s.md")).unwrap();
    assert!(md.contains("❌ fail: 1 unexpected divergence"), "{md}");
    assert!(md.contains("### First divergence\n"), "{md}");
    assert!(
        md.contains("```text\n") && md.contains("step 4: expected (model)"),
        "{md}"
    );
}

const ACCEPT: &str = r#"
# the corrupted handshake
[[expected]]
trace = "three-way-handshake"
role = "both"
step = 4
divergence = "A.state"
reason = "changed on purpose by the test"
link = "https://example.org/issues/1"
"#;

#[test]
fn an_expected_divergence_passes_and_says_why() {
    let dir = Temp::new("expected");
    let bad = corrupted(&dir);
    std::fs::write(dir.path("expect.toml"), ACCEPT).unwrap();
    let (code, out, err) = conform(&[
        "replay",
        bad.to_str().unwrap(),
        "--expect",
        &dir.s("expect.toml"),
        "--junit",
        &dir.s("j.xml"),
        "--summary",
        &dir.s("s.md"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("changed on purpose by the test"), "{out}");
    let cases = testcases(&std::fs::read_to_string(dir.path("j.xml")).unwrap());
    assert_eq!(cases[0].children, ["system-out"]);
    assert!(cases[0].text.contains("expected ("), "{}", cases[0].text);
    assert!(cases[0]
        .text
        .contains("expect.toml:3): changed on purpose by the test (https://example.org/issues/1)"));
    let md = std::fs::read_to_string(dir.path("s.md")).unwrap();
    assert!(
        md.contains("✅ pass") && md.contains("| expected divergences | 1 |"),
        "{md}"
    );
    assert!(md.contains("### First divergence (expected)"), "{md}");
}

#[test]
fn a_stale_expectation_fails_the_run() {
    let dir = Temp::new("stale");
    let bad = corrupted(&dir);
    let stale = format!(
        "{ACCEPT}\n[[expected]]\ntrace = \"bad/three-way-handshake.json\"\nstep = 2\nreason = \"fixed since\"\nlink = \"issue 9\"\n"
    );
    std::fs::write(dir.path("expect.toml"), &stale).unwrap();
    let (code, out, err) = conform(&[
        "replay",
        bad.to_str().unwrap(),
        "--expect",
        &dir.s("expect.toml"),
        "--junit",
        &dir.s("j.xml"),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let line = format!("{}:11: stale expectation: ", dir.s("expect.toml"));
    assert!(out.contains(&line) && out.contains("remove it"), "{out}");
    let cases = testcases(&std::fs::read_to_string(dir.path("j.xml")).unwrap());
    assert_eq!(cases.len(), 2, "the replay and the stale expectation");
    assert_eq!(
        cases[0].children,
        ["system-out"],
        "the first entry still matches"
    );
    assert_eq!(cases[1].children, ["failure"]);
    assert!(
        cases[1].classname.ends_with(".expectations"),
        "{:?}",
        cases[1]
    );

    // On the committed suite, where nothing diverges, the first entry is
    // stale too.
    std::fs::write(dir.path("one.toml"), ACCEPT).unwrap();
    let (code, out, _) = conform(&[
        "replay",
        &format!("{TRACES}/scenarios-rfc9293"),
        "--expect",
        &dir.s("one.toml"),
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("one.toml:3: stale expectation"), "{out}");
}

/// An entry naming a trace that is not among the loaded ones is a mistake
/// in the file, not a stale expectation: exit 2 before any replay.
#[test]
fn an_expectation_naming_no_loaded_trace_exits_2() {
    let dir = Temp::new("no-such-trace");
    let text = format!(
        "{ACCEPT}\n[[expected]]\ntrace = \"scenarios-rfc9293/no-such-scenario.json\"\nstep = 2\nreason = \"typo\"\nlink = \"issue 9\"\n"
    );
    std::fs::write(dir.path("expect.toml"), &text).unwrap();
    let (code, out, err) = conform(&[
        "replay",
        &format!("{TRACES}/scenarios-rfc9293"),
        "--expect",
        &dir.s("expect.toml"),
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "nothing replayed: {out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{}:11: no trace", dir.s("expect.toml")))
            && err.contains("no-such-scenario"),
        "{err}"
    );
}

#[test]
fn a_malformed_expectations_file_exits_2_naming_its_line() {
    let dir = Temp::new("malformed");
    let cases = [
        (
            "[[expected]]\ntrace = \"x\"\nstep = 1\nlink = \"l\"\n",
            ":1: ",
            "reason",
        ),
        (
            "[[expected]]\ntrace = \"x\"\nstep = 1\nreason = \"r\"\n",
            ":1: ",
            "link",
        ),
        (
            "[[expected]]\ntrace = \"x\"\nreason = \"r\"\nlink = \"l\"\n",
            ":1: ",
            "step",
        ),
        (
            "\n\n[[expected]]\ntrace = \"x\"\nstep = \"four\"\nreason = \"r\"\nlink = \"l\"\n",
            ":5: ",
            "\"four\"",
        ),
        ("[[expected]\n", ":1: ", ""),
        (
            "[[expected]]\ntrace = \"x\"\nstep = 1\nreason = \"r\"\nlink = \"l\"\nsteps = 2\n",
            ":6: ",
            "steps",
        ),
    ];
    for (n, (text, line, what)) in cases.iter().enumerate() {
        let f = dir.path(&format!("e{n}.toml"));
        std::fs::write(&f, text).unwrap();
        let (code, out, err) = conform(&["replay", HANDSHAKE, "--expect", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{text:?}: {out}{err}");
        assert!(out.is_empty(), "nothing replayed: {out}");
        let want = format!("synfin-conform: {}{line}", f.display());
        assert!(err.starts_with(&want), "{text:?}: {err}");
        assert!(err.contains(what), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{text:?}: {err}");
    }
}

#[test]
fn every_bad_input_exits_2_with_one_line() {
    let dir = Temp::new("bad-input");
    std::fs::create_dir_all(dir.path("empty")).unwrap();
    std::fs::create_dir_all(dir.path("v2")).unwrap();
    std::fs::create_dir_all(dir.path("broken")).unwrap();
    let text = std::fs::read_to_string(HANDSHAKE).unwrap();
    std::fs::write(
        dir.path("v2/t.json"),
        text.replace("synfin-trace/1", "synfin-trace/2"),
    )
    .unwrap();
    std::fs::write(dir.path("broken/t.json"), &text[..text.len() / 2]).unwrap();
    std::fs::write(
        dir.path("state.json"),
        text.replacen("\"ESTABLISHED\"", "\"OPEN\"", 1),
    )
    .unwrap();
    let (nope, empty, v2, broken, state) = (
        dir.s("nope"),
        dir.s("empty"),
        dir.s("v2"),
        dir.s("broken"),
        dir.s("state.json"),
    );
    let (no_dir, a_dir) = (dir.s("no/such/j.xml"), dir.s("empty"));
    let missing_expect = dir.s("missing.toml");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["replay", "--frobnicate"], "--frobnicate"),
        (vec!["frobnicate"], "frobnicate"),
        (vec![], "replay"),
        (vec!["replay", "--target", "nope"], "unknown target `nope`"),
        (vec!["replay", "--profile", "rfc0"], "unknown profile"),
        (vec!["replay", "--junit"], "--junit"),
        (vec!["replay", &nope], "no such file or directory"),
        (vec!["replay", &empty], "no traces found"),
        (vec!["replay", &v2], "synfin-trace/2"),
        (vec!["replay", &broken], "not JSON"),
        (vec!["replay", &state], "steps[3]"),
        (
            vec!["replay", HANDSHAKE, "--expect", &missing_expect],
            "cannot read",
        ),
        (vec!["replay", HANDSHAKE, "--expect", &a_dir], "cannot read"),
        (
            vec!["replay", HANDSHAKE, "--junit", &no_dir],
            "no such directory",
        ),
        (
            vec!["replay", HANDSHAKE, "--summary", &a_dir],
            "is a directory",
        ),
    ];
    for (args, what) in cases {
        let (code, out, err) = conform(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.starts_with("synfin-conform: "), "{args:?}: {err}");
        assert!(err.contains(what), "{args:?}: {err} lacks {what}");
    }
}

/// synfin-tcp declining every CLOSE: the replays that reach one end early.
struct NoClose(SynfinTcp);

impl Target for NoClose {
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    fn start(&mut self, config: &TraceConfig, role: Role) -> Result<(), Unsupported> {
        self.0.start(config, role)
    }
    fn set_next_iss(&mut self, host: HostId, iss: u32) {
        self.0.set_next_iss(host, iss);
    }
    fn input(&mut self, s: &Stimulus) -> Result<(), Unsupported> {
        if let Stimulus::Call(_, Call::Close) = s {
            return Err(Unsupported::Unplayable("this target cannot CLOSE".into()));
        }
        self.0.input(s)
    }
    fn observe(&mut self, host: HostId) -> Report {
        self.0.observe(host)
    }
}

fn everything(_: &Difference) -> bool {
    true
}

static NAMED: [Deviation; 1] = [Deviation {
    name: "test-deviation",
    what: "whatever differs",
    ruling: Ruling::RfcAllows,
    recognise: Some(everything),
}];

#[test]
fn ended_early_is_skipped_and_a_named_deviation_passes_with_a_note() {
    let suite = Suite::load(&[PathBuf::from(format!("{TRACES}/scenarios-rfc9293"))]).unwrap();
    let mut t = NoClose(SynfinTcp::default());
    let plan = Plan::for_target(SynfinTcp::CAPABILITIES, Policy::STRICT);
    let sum = replay::run(&mut t, &suite, &plan);
    let gate = Gate::new("no-close", &suite, &sum, Expectations::default());
    assert_eq!(gate.exit_code(), 0);
    let cases = testcases(&junit(&gate));
    assert_eq!(cases.len(), sum.outcomes.len());
    let skipped: Vec<&Case> = cases.iter().filter(|c| !c.children.is_empty()).collect();
    assert!(!skipped.is_empty());
    for c in &skipped {
        assert_eq!(c.children.len(), 1, "{c:?}");
        assert!(
            c.children[0].starts_with("skipped:ended early at step "),
            "{c:?}"
        );
        assert!(
            c.children[0].ends_with("unplayable: this target cannot CLOSE"),
            "{c:?}"
        );
    }
    assert!(skipped
        .iter()
        .any(|c| c.name.starts_with("four-way-teardown")));

    let dir = Temp::new("deviation");
    let bad = corrupted(&dir);
    let suite = Suite::load(&[bad]).unwrap();
    let policy = Policy {
        name: "test",
        absorbs: &[],
        expectations: &NAMED,
    };
    let plan = Plan::for_target(SynfinTcp::CAPABILITIES, policy);
    let sum = replay::run(&mut SynfinTcp::default(), &suite, &plan);
    let gate = Gate::new("synfin-tcp", &suite, &sum, Expectations::default());
    assert_eq!(gate.exit_code(), 0);
    let cases = testcases(&junit(&gate));
    assert_eq!(cases[0].children, ["system-out"]);
    assert!(
        cases[0]
            .text
            .starts_with("named deviation `test-deviation` of the test policy at step 4"),
        "{}",
        cases[0].text
    );
    let md = markdown(&gate);
    assert!(
        md.contains("| `test-deviation` | 1 | RFC allows | whatever differs |"),
        "{md}"
    );
    assert!(md.contains("| deviation: test-deviation | 1 |"), "{md}");
    assert!(
        !md.contains("### First divergence"),
        "a named deviation is no divergence: {md}"
    );
}

#[test]
fn scenario_clauses_are_the_models() {
    // Not a scenario that needs a profile option (time-wait-reopen needs
    // MAY-2): `synfin export` refuses those options, so no trace has it.
    let models: Vec<(&str, &str)> = synfin_model::properties::ALL
        .iter()
        .filter(|p| p.expectation == synfin_model::properties::Expectation::Sometimes)
        .filter(|p| p.needs.is_none())
        .map(|p| (p.name, p.reference))
        .collect();
    let mut ours = SCENARIOS.to_vec();
    let mut theirs = models.clone();
    ours.sort();
    theirs.sort();
    assert_eq!(
        ours, theirs,
        "gate::SCENARIOS must list the model's scenarios and their references"
    );
    // Every committed scenario trace is named after one.
    for profile in ["rfc9293", "rfc793"] {
        for f in std::fs::read_dir(Path::new(TRACES).join(format!("scenarios-{profile}"))).unwrap()
        {
            let f = f.unwrap().path();
            let stem = f.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(SCENARIOS.iter().any(|(n, _)| *n == stem), "{stem}");
        }
    }
}

/// synfin-tcp playing one host at a time, as a stack that cannot talk to
/// itself does.
struct OneHost(SynfinTcp);

impl Target for OneHost {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            plays_both: false,
            ..self.0.capabilities()
        }
    }
    fn start(&mut self, config: &TraceConfig, role: Role) -> Result<(), Unsupported> {
        self.0.start(config, role)
    }
    fn set_next_iss(&mut self, host: HostId, iss: u32) {
        self.0.set_next_iss(host, iss);
    }
    fn input(&mut self, s: &Stimulus) -> Result<(), Unsupported> {
        self.0.input(s)
    }
    fn observe(&mut self, host: HostId) -> Report {
        self.0.observe(host)
    }
}

#[test]
fn one_host_roles_are_testcases_of_their_own() {
    let dir = Temp::new("one-host");
    let suite = Suite::load(&[corrupted(&dir)]).unwrap();
    let mut t = OneHost(SynfinTcp::default());
    let plan = Plan::for_target(t.capabilities(), Policy::STRICT);
    let sum = replay::run(&mut t, &suite, &plan);
    let gate = Gate::new("one-host", &suite, &sum, Expectations::default());
    assert_eq!(gate.exit_code(), 1, "A diverges");
    let cases = testcases(&junit(&gate));
    let names: Vec<(&str, &[String])> = cases
        .iter()
        .map(|c| (c.name.as_str(), c.children.as_slice()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "three-way-handshake — RFC 9293 §3.5 Figure 6 [bad, playing A]",
                &["failure".to_string()][..]
            ),
            (
                "three-way-handshake — RFC 9293 §3.5 Figure 6 [bad, playing B]",
                &[][..]
            ),
        ]
    );
    assert!(
        cases[0]
            .text
            .contains("observed (one-host playing A; B as the trace has it)"),
        "{}",
        cases[0].text
    );
    // Accepting A's divergence by role passes; the same entry for B would be stale.
    let file = dir.path("e.toml");
    let accept = |role: &str| {
        format!("[[expected]]\ntrace = \"three-way-handshake\"\nrole = \"{role}\"\nstep = 4\nreason = \"r\"\nlink = \"l\"\n")
    };
    std::fs::write(&file, accept("A")).unwrap();
    let gate = Gate::new("one-host", &suite, &sum, Expectations::load(&file).unwrap());
    assert_eq!((gate.exit_code(), gate.stale.len()), (0, 0));
    std::fs::write(&file, accept("B")).unwrap();
    let gate = Gate::new("one-host", &suite, &sum, Expectations::load(&file).unwrap());
    assert_eq!(
        (gate.exit_code(), gate.stale.len(), gate.counts()[3]),
        (1, 1, 1)
    );
}
