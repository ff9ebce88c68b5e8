//! The trace format, parsed once into types: every committed trace and
//! manifest reads and writes back byte for byte as the model wrote it, and
//! a malformed one is refused with its file and field named.

use std::path::{Path, PathBuf};

use synfin_conformance::trace::{parse_cover, parse_trace, to_json, Suite};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// Reading a committed file and writing it back gives its bytes: the types
/// keep every field, in the model's order, with the model's spelling and
/// its formatting (`model/src/trace/write.rs`: serde_json, pretty, a
/// newline).
#[test]
fn every_committed_trace_and_manifest_round_trips_byte_for_byte() {
    let mut files = Vec::new();
    json_files(&suite(), &mut files);
    files.sort();
    let (mut traces, mut covers) = (0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let again = if f.file_name().unwrap() == "cover.json" {
            covers += 1;
            to_json(&parse_cover(f, &text).unwrap_or_else(|e| panic!("{e}")))
        } else {
            traces += 1;
            to_json(&parse_trace(f, &text).unwrap_or_else(|e| panic!("{e}")))
        };
        if again != text {
            let line = again
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{} does not round-trip; first difference at line {}:\n  read:  {:?}\n  wrote: {:?}",
                f.display(),
                line + 1,
                text.lines().nth(line),
                again.lines().nth(line)
            );
        }
    }
    assert!(
        traces > 1000 && covers >= 6,
        "{traces} traces, {covers} manifests"
    );
    assert_eq!(Suite::load(&[suite()]).unwrap().traces.len(), traces);
}

fn a_trace() -> (PathBuf, String) {
    let dir = suite().join("cover-default-rfc9293");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap() != "cover.json")
        .collect();
    files.sort();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    (files[0].clone(), text)
}

#[test]
fn dbg_messages() {
    let (_, good) = a_trace();
    let p = Path::new("bad.json");
    for (what, text) in [
        (
            "kind",
            good.replacen("\"kind\": \"connect\"", "\"kind\": \"jump\"", 1),
        ),
        (
            "state",
            good.replacen("\"state\": \"SYN-SENT\"", "\"state\": \"SYN-SNT\"", 1),
        ),
        (
            "flags",
            good.replacen("\"flags\": \"SYN\"", "\"flags\": \"SYN,PSH\"", 1),
        ),
        (
            "order",
            good.replacen("\"flags\": \"SYN\"", "\"flags\": \"ACK,SYN\"", 1),
        ),
        (
            "missing",
            good.replacen("\"host\": \"A\"", "\"hast\": \"A\"", 1),
        ),
        (
            "host",
            good.replacen("\"host\": \"A\"", "\"host\": \"C\"", 1),
        ),
        (
            "event",
            good.replacen("\"events\": []", "\"events\": [\"bang\"]", 1),
        ),
        ("missing2", good.replacen("\"eof\": false,", "", 1)),
        (
            "format",
            good.replacen("synfin-trace/1", "synfin-trace/2", 1),
        ),
        (
            "seg-from",
            good.replacen("\"from\": \"A\"", "\"from\": \"Q\"", 1),
        ),
        ("profile", good.replacen("\"rfc9293\"", "\"rfc9294\"", 1)),
    ] {
        let e = parse_trace(p, &text).unwrap_err();
        eprintln!("{what}: {e}");
    }
    panic!();
}
