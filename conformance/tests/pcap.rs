//! `synfin-conform replay --pcap DIR`: a capture of each replay that did
//! not agree, the expected and observed streams as two interfaces and the
//! stop marked.
//!
//! The tshark tests read the captures with tshark and check the packets,
//! their interfaces, flags, numbers and comments, and that tshark finds no
//! bad checksum. Without tshark they print `SKIPPED: tshark not installed`
//! and pass, unless `SYNFIN_REQUIRE_TSHARK=1` (CI), where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use pcap_file::pcapng::{Block, PcapNgReader};
use synfin_conformance::pcap;
use synfin_conformance::replay::{self, Policy};
use synfin_conformance::target::{Role, SynfinTcp};
use synfin_conformance::trace::{parse_trace, Trace};

const BIN: &str = env!("CARGO_BIN_EXE_synfin-conform");
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/traces/scenarios-rfc9293");
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
        let p = std::env::temp_dir().join(format!("synfin-pcap-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Temp(p)
    }

    fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn conform(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run synfin-conform");
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The committed handshake with `edit` applied, as `dir/bad/three-way-handshake.json`.
fn corrupted(dir: &Temp, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let mut t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(HANDSHAKE).unwrap()).unwrap();
    edit(&mut t);
    let d = dir.path("bad");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("three-way-handshake.json"),
        serde_json::to_string_pretty(&t).unwrap(),
    )
    .unwrap();
    d
}

/// The trace expects B's SYN,ACK to acknowledge 2: synfin-tcp sends ack=1
/// and diverges at step 3.
fn wrong_ack(t: &mut serde_json::Value) {
    let s = &mut t["steps"][2]["B"]["emitted"][0];
    assert_eq!(s["flags"], "SYN,ACK");
    s["ack"] = 2.into();
}

fn tshark_present() -> bool {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("SYNFIN_REQUIRE_TSHARK").as_deref() != Ok("1"),
            "tshark not installed, and SYNFIN_REQUIRE_TSHARK=1"
        );
        println!("SKIPPED: tshark not installed");
    }
    ok
}

/// Per packet, from tshark with checksum validation on: interface id,
/// interface name, A's port, flags, raw SEQ and ACK, TCP and IP checksum
/// status (1 good), the comment and the expert messages.
fn tshark(file: &Path) -> Vec<Vec<String>> {
    let out = Command::new("tshark")
        .args(["-r", file.to_str().unwrap()])
        .args([
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
        ])
        .args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"])
        .args(["-e", "frame.interface_id", "-e", "frame.interface_name"])
        .args(["-e", "tcp.srcport", "-e", "tcp.flags.str"])
        .args(["-e", "tcp.seq_raw", "-e", "tcp.ack_raw"])
        .args(["-e", "tcp.checksum.status", "-e", "ip.checksum.status"])
        .args(["-e", "frame.comment", "-e", "_ws.expert.message"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<String>> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect();
    for (n, r) in rows.iter().enumerate() {
        assert_eq!(
            (r[6].as_str(), r[7].as_str()),
            ("1", "1"),
            "packet {}: {r:?}",
            n + 1
        );
        assert!(!r[9].to_lowercase().contains("bad checksum"), "{r:?}");
    }
    rows
}

#[test]
fn a_divergence_writes_both_streams_with_the_stop_marked() {
    let dir = Temp::new("diverge");
    let bad = corrupted(&dir, wrong_ack);
    let out_dir = dir.path("captures");
    let (code, out, err) = conform(&[
        "replay",
        bad.to_str().unwrap(),
        "--pcap",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("pcapng: 1 capture in {}", out_dir.display())),
        "{out}"
    );
    let file = out_dir.join("three-way-handshake-both.pcapng");
    assert!(file.is_file());
    if !tshark_present() {
        return;
    }
    let rows = tshark(&file);
    let cols = |i: usize| rows.iter().map(|r| r[i].as_str()).collect::<Vec<_>>();
    assert_eq!(cols(0), ["0", "1", "0", "1"]);
    assert_eq!(cols(1), ["expected", "observed", "expected", "observed"]);
    assert_eq!(
        cols(3),
        [
            "··········S·",
            "··········S·",
            "·······A··S·",
            "·······A··S·"
        ]
    );
    // Replayed at ISN base 0 first, where it diverged: the expected
    // SYN,ACK acknowledges 2, the observed one 1.
    assert_eq!(cols(4), ["0", "0", "0", "0"]);
    assert_eq!(cols(5), ["0", "0", "2", "1"]);
    let mark = "DIVERGENCE at step 3: B.emitted: expected B→A <SYN,ACK seq=0 ack=2>, \
                actual B→A <SYN,ACK seq=0 ack=1>";
    assert_eq!(
        cols(8),
        [
            "step 1: A: connect; A CLOSED -> SYN-SENT, emits SYN seq=0".to_string(),
            "step 1: A: connect; A CLOSED -> SYN-SENT, emits SYN seq=0".to_string(),
            format!(
                "step 3: deliver A→B <SYN seq=0>; B LISTEN -> SYN-RECEIVED, \
                 emits SYN,ACK seq=0 ack=2; {mark}"
            ),
            format!(
                "step 3: deliver A→B <SYN seq=0>; B LISTEN -> SYN-RECEIVED, \
                 emits SYN,ACK seq=0 ack=1; {mark}"
            ),
        ]
    );
    // Two TCP conversations, not one with retransmissions.
    assert_eq!(cols(2)[..2], ["40000", "40001"]);
}

#[test]
fn a_named_deviation_is_marked_as_one() {
    let dir = Temp::new("deviation");
    let out_dir = dir.path("captures");
    let (code, out, err) = conform(&[
        "replay",
        "--target",
        "smoltcp",
        SCENARIOS,
        "--pcap",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // smoltcp, playing A, retransmits its SYN past the model's retry limit.
    let file = out_dir.join("connect-timeout-A.pcapng");
    assert!(file.is_file(), "{out}");
    if !tshark_present() {
        return;
    }
    let rows = tshark(&file);
    let last = rows.last().unwrap();
    assert_eq!(last[1], "observed");
    assert!(
        last[8].starts_with(
            "step 8: A: timeout; A stays SYN-SENT, emits SYN seq=0; \
             DEVIATION no-retry-limit at step 8: A.state: expected \"CLOSED\", actual \"SYN-SENT\""
        ),
        "{last:?}"
    );
}

#[test]
fn agreed_replays_are_captured_only_with_pcap_all() {
    let dir = Temp::new("all");
    let (code, out, _) = conform(&[
        "replay",
        HANDSHAKE,
        "--pcap",
        dir.path("some").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("pcapng: 0 captures in"), "{out}");
    let every = dir.path("every");
    let (code, out, _) = conform(&[
        "replay",
        HANDSHAKE,
        "--pcap",
        every.to_str().unwrap(),
        "--pcap-all",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("pcapng: 1 capture in"), "{out}");
    let file = every.join("three-way-handshake-both.pcapng");
    if !tshark_present() {
        return;
    }
    let rows = tshark(&file);
    // Three segments, each on both interfaces, none marked.
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| !r[8].contains("DIVERGENCE")));
}

#[test]
fn a_bad_pcap_dir_exits_2_with_one_line() {
    let dir = Temp::new("bad-dir");
    let file = dir.path("a-file");
    std::fs::write(&file, "").unwrap();
    let (code, out, err) = conform(&["replay", HANDSHAKE, "--pcap", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        err,
        format!(
            "synfin-conform: --pcap {}: not a directory\n",
            file.display()
        )
    );
    let (code, _, err) = conform(&["replay", HANDSHAKE, "--pcap-all"]);
    assert_eq!(code, 2);
    assert_eq!(err, "synfin-conform: --pcap-all needs --pcap DIR\n");
}

/// In process, without tshark: a stop where no packet is sent marks the
/// observed stream's last packet, and the file reads back with pcap-file
/// as two interfaces named expected and observed.
#[test]
fn a_stop_without_a_packet_marks_the_last_observed_one() {
    let mut t: Trace = parse_trace(
        Path::new(HANDSHAKE),
        &std::fs::read_to_string(HANDSHAKE).unwrap(),
    )
    .unwrap();
    // Step 5 sends nothing; the trace now expects B to stay in SYN-RECEIVED.
    let before = t.steps[3].b.state;
    let b = &mut t.steps[4].b;
    assert!(b.emitted.is_empty());
    b.state = before;
    let o = replay::replay(
        &mut SynfinTcp::default(),
        Path::new("bad.json"),
        &t,
        Role::Both,
        &[0],
        &Policy::STRICT,
    );
    assert_eq!(o.at, Some(5), "{o}");
    let packets = pcap::packets(&t, &o);
    let last = packets.iter().rev().find(|p| p.interface == 1).unwrap();
    assert_eq!(last.step, 4);
    assert!(
        last.comment.ends_with(
            "; no packet at step 5, after this one: DIVERGENCE at step 5: \
             B.state: expected \"SYN-RECEIVED\", actual \"ESTABLISHED\""
        ),
        "{}",
        last.comment
    );
    let bytes = pcap::render(&t, &o, "synfin-tcp");
    let mut r = PcapNgReader::new(&bytes[..]).unwrap();
    assert!(format!("{:?}", r.section().options).contains("diverged at step 5 of 5"));
    let (mut names, mut n) = (Vec::new(), 0);
    while let Some(b) = r.next_block() {
        match b.unwrap() {
            Block::InterfaceDescription(idb) => names.push(format!("{:?}", idb.options[0])),
            Block::EnhancedPacket(_) => n += 1,
            _ => {}
        }
    }
    assert_eq!(names, ["IfName(\"expected\")", "IfName(\"observed\")"]);
    assert_eq!(n, packets.len());
    assert_eq!(n, 6);
}
