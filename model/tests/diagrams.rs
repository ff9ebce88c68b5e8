//! Snapshots of every scenario's shortest example and every variant's
//! shortest counterexample, as text and mermaid diagrams: what `synfin show`
//! and `synfin explain` print.
//!
//! Scenarios use the quick preset (`synfin show NAME --preset quick`),
//! but time-wait-reopen, which needs default's second OPEN and MAY-2
//! (`synfin show time-wait-reopen --time-wait-reopen`); variants the default preset as `synfin explain` does. short-time-wait's
//! counterexample needs a breadth-first search of about 30 s in release
//! builds, so it runs only in release
//! (`cargo test --release -p synfin-model --test diagrams`).

use synfin_model::diagram::{self, text, Format};
use synfin_model::properties::{self, Expectation, Needs};
use synfin_model::search;
use synfin_model::{Config, Preset, Profile, Variant};

fn scenario(name: &'static str, preset: Preset) {
    let mut cfg = Config::new(preset, Profile::Rfc9293, None);
    // A scenario that needs a profile option is drawn with it on.
    match properties::by_name(name).and_then(|p| p.needs) {
        Some(Needs::TimeWaitReopen) => cfg.time_wait_reopen = true,
        None => {}
    }
    let path = search::shortest(&cfg, &[name])
        .remove(name)
        .unwrap_or_else(|| panic!("scenario {name} unreachable under preset {preset}"));
    let txt = diagram::render(&path, Format::Text);
    for l in txt.lines() {
        assert!(
            l.chars().count() <= text::WIDTH,
            "{name}: line too wide: {l}"
        );
    }
    let mmd = diagram::render(&path, Format::Mermaid);
    let info = format!("synfin show {name} --preset {preset}");
    insta::assert_snapshot!(format!("scenario-{name}-text"), txt, &info);
    insta::assert_snapshot!(format!("scenario-{name}-mermaid"), mmd, &info);
    // The other formats render and are well formed.
    let svg = diagram::render(&path, Format::Svg);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let json: serde_json::Value =
        serde_json::from_str(&diagram::render(&path, Format::Json)).expect("valid json");
    assert_eq!(json["steps"].as_array().unwrap().len(), path.len());
}

macro_rules! scenarios {
    ($($test:ident $name:literal $preset:ident;)*) => {$(
        #[test]
        fn $test() {
            scenario($name, Preset::$preset);
        }
    )*};
}

scenarios! {
    scenario_three_way_handshake "three-way-handshake" Quick;
    scenario_four_way_teardown "four-way-teardown" Quick;
    scenario_half_close "half-close" Quick;
    scenario_simultaneous_open "simultaneous-open" Quick;
    scenario_simultaneous_close "simultaneous-close" Quick;
    scenario_syn_retransmit_backoff "syn-retransmit-backoff" Quick;
    scenario_stale_syn_rejected "stale-syn-rejected" Quick;
    scenario_time_wait_reacks_fin "time-wait-reacks-fin" Quick;
    scenario_abort_reset "abort-reset" Quick;
    scenario_connect_timeout "connect-timeout" Quick;
    // Quick has one OPEN each: B needs a second to reopen its TIME-WAIT.
    scenario_time_wait_reopen "time-wait-reopen" Default;
}

#[test]
fn every_scenario_has_a_test() {
    let src = include_str!("diagrams.rs");
    for p in properties::ALL
        .iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
    {
        assert!(
            src.contains(&format!("\"{}\"", p.name)),
            "no snapshot test for {}",
            p.name
        );
    }
}

/// What `synfin explain VARIANT` prints.
fn explain(v: Variant, format: Format) -> String {
    let cfg = Config::new(v.preset(), Profile::Rfc9293, Some(v));
    let path = search::shortest(&cfg, &[v.breaks()])
        .remove(v.breaks())
        .expect("counterexample");
    let how = format!("shortest counterexample, preset {}", v.preset());
    diagram::explain(v, Profile::Rfc9293, &path, &how, format)
}

fn variant(v: Variant) {
    let txt = explain(v, Format::Text);
    for l in txt.lines() {
        assert!(l.chars().count() <= text::WIDTH, "{v}: line too wide: {l}");
    }
    let mmd = explain(v, Format::Mermaid);
    insta::assert_snapshot!(format!("variant-{v}-text"), txt);
    insta::assert_snapshot!(format!("variant-{v}-mermaid"), mmd);
}

#[test]
fn variant_two_way_handshake() {
    variant(Variant::TwoWayHandshake);
}

#[test]
fn variant_no_time_wait() {
    variant(Variant::NoTimeWait);
}

// The model crate is built with opt-level 3 even in dev builds, so this
// ~2M-state search runs in `cargo test` too.
#[test]
fn variant_short_time_wait() {
    variant(Variant::ShortTimeWait);
}

#[test]
fn variant_fixed_isn() {
    variant(Variant::FixedIsn);
}

#[test]
fn variant_no_syn_retransmit() {
    variant(Variant::NoSynRetransmit);
}

#[test]
fn variant_no_simultaneous_open() {
    variant(Variant::NoSimultaneousOpen);
}

#[test]
fn variant_unchecked_syn_ack() {
    variant(Variant::UncheckedSynAck);
}

#[test]
fn unknown_names_exit_2() {
    let bin = env!("CARGO_BIN_EXE_synfin");
    for args in [
        &["show", "no-such-scenario"][..],
        &["explain", "no-such-variant"][..],
        &["show", "three-way-handshake", "--format", "png"][..],
    ] {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("valid:"), "{args:?}: {err}");
    }
    let out = std::process::Command::new(bin)
        .args(["show", "nope"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("three-way-handshake") && err.contains("abort-reset"),
        "{err}"
    );
    let out = std::process::Command::new(bin)
        .args(["explain", "nope"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("two-way-handshake") && err.contains("no-simultaneous-open"),
        "{err}"
    );
}

#[test]
fn show_and_explain_run() {
    let bin = env!("CARGO_BIN_EXE_synfin");
    let out = std::process::Command::new(bin)
        .args(["show", "three-way-handshake", "--preset", "quick"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("ESTABLISHED") && s.contains("SYN,ACK"), "{s}");
    let out = std::process::Command::new(bin)
        .args(["explain", "two-way-handshake", "--format", "mermaid"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("sequenceDiagram"));
}
