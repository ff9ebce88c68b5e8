//! `synfin show|explain --format pcapng`: the capture Wireshark reads.
//!
//! The tshark tests read the files `synfin` writes with tshark and check
//! the packets, their flags, numbers and comments, and that tshark finds no
//! bad checksum. Without tshark they print `SKIPPED: tshark not installed`
//! and pass, unless `SYNFIN_REQUIRE_TSHARK=1` (CI), where they fail. The
//! rest read the capture back with pcap-file and etherparse and need
//! nothing installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcapng::{Block, PcapNgReader};

fn synfin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synfin"))
        .args(args)
        .output()
        .expect("run synfin");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synfin-pcapng-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `synfin ARGS --format pcapng --out FILE`, which must succeed.
fn capture(args: &[&str], name: &str) -> PathBuf {
    let file = scratch(name);
    let mut all = args.to_vec();
    let out = file.to_str().unwrap().to_string();
    all.extend(["--format", "pcapng", "--out", &out]);
    let (code, stdout, err) = synfin(&all);
    assert_eq!(code, 0, "synfin {all:?}: {err}");
    assert!(
        stdout.is_empty(),
        "--out writes nothing to stdout: {stdout}"
    );
    file
}

/// Whether tshark runs; if not, whether that is allowed (prints SKIPPED).
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

/// One row per packet of `tshark -T fields` with checksum validation on:
/// the comment, flags, raw sequence and acknowledgment numbers, the TCP
/// and IP checksum status (1 = good) and the expert messages.
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
        .args(["-e", "frame.comment", "-e", "tcp.flags.str"])
        .args(["-e", "tcp.seq_raw", "-e", "tcp.ack_raw"])
        .args(["-e", "tcp.checksum.status", "-e", "ip.checksum.status"])
        .args(["-e", "_ws.expert.message"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// tshark found every checksum good and no checksum expert info.
fn checksums_good(rows: &[Vec<String>]) {
    for (n, r) in rows.iter().enumerate() {
        assert_eq!(r[4], "1", "packet {}: TCP checksum status {}", n + 1, r[4]);
        assert_eq!(r[5], "1", "packet {}: IP checksum status {}", n + 1, r[5]);
        assert!(
            !r[6].to_lowercase().contains("bad checksum"),
            "packet {}: {}",
            n + 1,
            r[6]
        );
    }
}

#[test]
fn tshark_reads_the_handshake_with_its_comments() {
    let file = capture(&["show", "three-way-handshake"], "handshake.pcapng");
    if !tshark_present() {
        return;
    }
    let rows = tshark(&file);
    let got: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| [r[0].as_str(), &r[1], &r[2], &r[3]])
        .collect();
    assert_eq!(
        got,
        [
            [
                "step 1: A connect; A CLOSED -> SYN-SENT, emits [1] SYN seq=0 \
                 (then: arrives at step 3)",
                "··········S·",
                "1000000000",
                "0"
            ],
            [
                "step 3: [1] SYN seq=0 arrives at B; B LISTEN -> SYN-RECEIVED, \
                 emits [2] SYN,ACK seq=100 ack=1 (then: arrives at step 4)",
                "·······A··S·",
                "2000000000",
                "1000000001"
            ],
            [
                "step 4: [2] SYN,ACK seq=100 ack=1 arrives at A; A SYN-SENT -> ESTABLISHED, \
                 emits [3] ACK seq=1 ack=101 (then: arrives at step 5)",
                "·······A····",
                "1000000001",
                "2000000001"
            ],
        ]
    );
    checksums_good(&rows);
}

/// short-time-wait's counterexample has a duplicated FIN held past a tick
/// that arrives in the next incarnation: the copy is a packet of its own,
/// and the comments tell each copy's fate and where the property breaks.
#[test]
fn tshark_shows_duplicates_fates_and_the_violation() {
    let file = capture(&["explain", "short-time-wait"], "short-time-wait.pcapng");
    if !tshark_present() {
        return;
    }
    let rows = tshark(&file);
    checksums_good(&rows);
    let comments: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(comments.len(), 14, "{comments:#?}");
    let dup = comments
        .iter()
        .position(|c| c.contains("the network duplicates [6] FIN,ACK"))
        .expect("a packet for the duplicate copy");
    assert!(
        comments[dup].ends_with(
            "(then: held past the tick at step 11, arrives at step 23, where \
             stream-integrity is violated)"
        ),
        "{}",
        comments[dup]
    );
    // The copy is the original's bytes: same flags and numbers.
    let orig = comments
        .iter()
        .position(|c| c.contains("emits [6] FIN,ACK"))
        .unwrap();
    assert!(orig < dup);
    assert_eq!(rows[orig][1..4], rows[dup][1..4]);
    assert!(comments
        .last()
        .unwrap()
        .ends_with("stream-integrity is violated here"));
    // Every comment starts with its step, in order.
    let steps: Vec<usize> = comments
        .iter()
        .map(|c| {
            c.strip_prefix("step ")
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
}

/// Read back with pcap-file and etherparse, no tshark needed: one
/// interface of raw IPv4 at nanosecond resolution, the section's comment,
/// and packets whose checksums etherparse recomputes to the same values.
#[test]
fn the_capture_reads_back_with_valid_checksums() {
    let file = capture(&["explain", "two-way-handshake"], "two-way.pcapng");
    let bytes = std::fs::read(&file).unwrap();
    let mut r = PcapNgReader::new(&bytes[..]).unwrap();
    let section = format!("{:?}", r.section().options);
    assert!(
        section.contains("synfin explain two-way-handshake")
            && section.contains("no-phantom-connection is violated at step 4"),
        "{section}"
    );
    let mut packets = 0;
    let mut last_time = None;
    while let Some(block) = r.next_block() {
        match block.unwrap() {
            Block::InterfaceDescription(idb) => {
                assert_eq!(idb.linktype, pcap_file::DataLink::RAW);
                assert!(format!("{:?}", idb.options).contains("IfTsResol(9)"));
            }
            Block::EnhancedPacket(epb) => {
                packets += 1;
                assert!(last_time < Some(epb.timestamp), "time goes forward");
                last_time = Some(epb.timestamp);
                assert!(format!("{:?}", epb.options).contains("Comment(\"step "));
                let p = SlicedPacket::from_ip(&epb.data).unwrap();
                let Some(NetSlice::Ipv4(ip)) = p.net else {
                    panic!("not IPv4")
                };
                let h = ip.header().to_header();
                assert_eq!(h.header_checksum, h.calc_header_checksum());
                let Some(TransportSlice::Tcp(tcp)) = p.transport else {
                    panic!("not TCP")
                };
                let want = tcp
                    .to_header()
                    .calc_checksum_ipv4(&h, tcp.payload())
                    .unwrap();
                assert_eq!(tcp.checksum(), want);
                assert_eq!(
                    (ip.header().source(), ip.header().destination()),
                    if tcp.source_port() == 40000 {
                        ([10, 0, 0, 1], [10, 0, 0, 2])
                    } else {
                        ([10, 0, 0, 2], [10, 0, 0, 1])
                    }
                );
            }
            _ => {}
        }
    }
    assert_eq!(packets, 2);
}

#[test]
fn pcapng_to_a_terminal_is_refused_and_bad_out_exits_2() {
    // An unwritable --out: exit 2, one line naming it.
    let (code, _, err) = synfin(&[
        "show",
        "three-way-handshake",
        "--format",
        "pcapng",
        "--out",
        "/nonexistent/dir/x.pcapng",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("synfin show: cannot write /nonexistent/dir/x.pcapng"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // Unknown formats list pcapng among the valid ones.
    let (code, _, err) = synfin(&["show", "three-way-handshake", "--format", "pcap"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("valid: text, svg, mermaid, json, pcapng"),
        "{err}"
    );
    // Standard output a terminal (script(1) gives it one, where it exists).
    let cmd = format!(
        "{} show three-way-handshake --format pcapng",
        env!("CARGO_BIN_EXE_synfin")
    );
    let Ok(out) = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
    else {
        println!("SKIPPED (terminal part): script(1) not installed");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--format pcapng writes a binary capture: give --out FILE"),
        "{text}"
    );
}
