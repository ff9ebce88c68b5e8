//! The `synfin` command-line contract: output of `list`, exit codes, JSON fields.

use std::process::Command;

fn synfin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synfin"))
        .args(args)
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
fn list_json_has_eight_properties_ten_scenarios_six_variants() {
    let (code, out, _) = synfin(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["properties"].as_array().unwrap().len(), 8);
    assert_eq!(v["scenarios"].as_array().unwrap().len(), 10);
    assert_eq!(v["variants"].as_array().unwrap().len(), 6);
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
fn quick_check_passes_with_json_report() {
    let (code, out, _) = synfin(&["check", "--preset", "quick", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["unique_states"], 163_794);
    for key in ["states", "max_depth", "seconds"] {
        assert!(v[key].is_number(), "{key}");
    }
    let props = v["properties"].as_array().unwrap();
    assert_eq!(props.len(), 18);
    assert!(props.iter().all(|p| p["holds"] == true));
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
