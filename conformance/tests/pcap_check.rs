//! `synfin-conform pcap check`: every scenario's capture (as `synfin show
//! --format pcapng` writes it) is explained whole; a capture whose stack
//! answers data with an RST is explained up to that RST, and the report
//! names the arrival rule the model applied; a replay's capture of a
//! divergence stops at the divergent segment; files with no TCP, several
//! connections, corrupt bytes or no file at all exit 2 without a panic;
//! and tshark reads the captures the tests build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};
use synfin_conformance::pcap_check;
use synfin_model::{diagram, properties, search, Config, Preset, Profile};

const BIN: &str = env!("CARGO_BIN_EXE_synfin-conform");

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("synfin-pcap-check-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp");
    d
}

fn check(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(["pcap", "check"])
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A segment of a hand-built capture: from A (`true`) or B, flags, seq,
/// ack, payload length.
struct S(bool, &'static str, u32, u32, usize);

const A_IP: [u8; 4] = [192, 168, 1, 10];
const B_IP: [u8; 4] = [192, 168, 1, 20];

/// A classic pcap file with Ethernet framing, one packet per segment, on
/// connection `a_port` <-> 80 (and `extra`, UDP or TCP frames appended).
fn pcap_file(path: &Path, a_port: u16, segs: &[S], extra: &[Vec<u8>]) {
    let f = std::fs::File::create(path).expect("create");
    let mut w = PcapWriter::new(f).expect("pcap writer");
    let mut frames: Vec<Vec<u8>> = segs
        .iter()
        .map(|S(from_a, flags, seq, ack, len)| {
            let (src, dst, sp, dp) = if *from_a {
                (A_IP, B_IP, a_port, 80)
            } else {
                (B_IP, A_IP, 80, a_port)
            };
            let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4(src, dst, 64)
                .tcp(sp, dp, *seq, 65535);
            for c in flags.chars() {
                b = match c {
                    'S' => b.syn(),
                    'A' => b.ack(*ack),
                    'F' => b.fin(),
                    'R' => b.rst(),
                    _ => b,
                };
            }
            let payload = vec![b'x'; *len];
            let mut out = Vec::new();
            b.write(&mut out, &payload).expect("frame");
            out
        })
        .collect();
    frames.extend(extra.iter().cloned());
    for (i, fr) in frames.iter().enumerate() {
        let p = PcapPacket::new(Duration::from_millis(i as u64), fr.len() as u32, fr);
        w.write_packet(&p).expect("write");
    }
}

fn udp_frame() -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(A_IP, B_IP, 64)
        .udp(5353, 5353)
        .write(&mut out, b"hello")
        .expect("udp");
    out
}

/// A passive open, one byte of data from A, then what B answers it with.
fn handshake_data_then(b_answer: S) -> Vec<S> {
    vec![
        S(true, "S", 1000, 0, 0),
        S(false, "SA", 5000, 1001, 0),
        S(true, "A", 1001, 5001, 0),
        S(true, "A", 1001, 5001, 1),
        b_answer,
    ]
}

#[test]
fn every_scenario_capture_is_explained_whole() {
    let dir = scratch("scenarios");
    let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    let names: Vec<&'static str> = properties::checked(&cfg)
        .filter(|p| p.expectation == properties::Expectation::Sometimes)
        .map(|p| p.name)
        .collect();
    assert!(names.len() >= 5, "{names:?}");
    let examples = search::examples(&cfg, &names);
    let mut checked = 0;
    for name in &names {
        let Some(path) = examples.get(name) else {
            continue;
        };
        let file = dir.join(format!("{name}.pcapng"));
        std::fs::write(&file, diagram::render_pcapng(path, None, name)).expect("write");
        let (code, out, err) = check(&[file.to_str().unwrap(), "--preset", "quick"]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        let segs = out.lines().filter(|l| l.ends_with("  explained")).count();
        assert!(segs > 0, "{name}: {out}");
        assert!(
            out.contains(&format!("explained {segs} of {segs} segments")),
            "{name}: {out}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked} scenarios checked");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_rst_for_data_is_explained_up_to_it_with_the_rule_named() {
    let dir = scratch("rst");
    let file = dir.join("rst.pcap");
    // B answers A's byte with an RST: the model acknowledges it.
    pcap_file(
        &file,
        40000,
        &handshake_data_then(S(false, "R", 5001, 0, 0)),
        &[],
    );
    let (code, out, err) = check(&[file.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("explained 4 of 5 segments"), "{out}");
    assert!(out.contains("segment 5 (packet 5, B>A RST seq=1)"), "{out}");
    assert!(
        out.contains("takes A's last segment, A>B ACK seq=1 ack=1 +data, in ESTABLISHED by RFC 9293 §3.10.7.4, seventh"),
        "{out}"
    );
    assert!(out.contains("answers B>A ACK seq=1 ack=2"), "{out}");
    // The ACK the model sends is explained.
    pcap_file(
        &file,
        40000,
        &handshake_data_then(S(false, "A", 5001, 1002, 0)),
        &[],
    );
    let (code, out, _) = check(&[file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("explained 5 of 5 segments"), "{out}");
    tshark_reads(&file, 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_or_ambiguous_captures_exit_2_without_a_panic() {
    let dir = scratch("errors");
    let f = |n: &str| dir.join(n).display().to_string();
    // No TCP at all.
    pcap_file(Path::new(&f("udp.pcap")), 1, &[], &[udp_frame()]);
    let (code, _, err) = check(&[&f("udp.pcap")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no TCP segment over IPv4"), "{err}");
    // Two connections: listed, and chosen by number or by ends.
    let mut second = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(A_IP, B_IP, 64)
        .tcp(40001, 80, 7, 65535)
        .syn()
        .write(&mut second, &[])
        .expect("frame");
    let segs = handshake_data_then(S(false, "A", 5001, 1002, 0));
    pcap_file(
        Path::new(&f("two.pcap")),
        40000,
        &segs,
        &[second, udp_frame()],
    );
    let (code, _, err) = check(&[&f("two.pcap")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2 TCP connections"), "{err}");
    assert!(
        err.contains("1: 192.168.1.10:40000 <-> 192.168.1.20:80, 5 segments"),
        "{err}"
    );
    assert!(
        err.contains("2: 192.168.1.10:40001 <-> 192.168.1.20:80, 1 segments"),
        "{err}"
    );
    let (code, out, _) = check(&[&f("two.pcap"), "--connection", "1"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = check(&[
        &f("two.pcap"),
        "--connection",
        "192.168.1.20:80-192.168.1.10:40001",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("explained 1 of 1 segments"), "{out}");
    let (code, _, err) = check(&[&f("two.pcap"), "--connection", "3"]);
    assert_eq!(code, 2, "{err}");
    // Corrupt: garbage, and a good file cut in the middle of a packet.
    std::fs::write(f("garbage.pcap"), b"this is not a capture at all").expect("write");
    let (code, _, err) = check(&[&f("garbage.pcap")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("neither pcap nor pcapng"), "{err}");
    let good = std::fs::read(f("two.pcap")).expect("read");
    std::fs::write(f("cut.pcap"), &good[..good.len() - 30]).expect("write");
    let (code, _, err) = check(&[&f("cut.pcap"), "--connection", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("corrupt pcap"), "{err}");
    let (code, _, err) = check(&[&f("missing.pcap")]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every cut of a capture, and every byte of it flipped in turn, is read
/// without a panic: an error (exit 2) or a verdict.
#[test]
fn damaged_captures_never_panic() {
    let dir = scratch("damaged");
    let file = dir.join("ok.pcap");
    pcap_file(
        &file,
        40000,
        &handshake_data_then(S(false, "A", 5001, 1002, 0)),
        &[],
    );
    let good = std::fs::read(&file).expect("read");
    let bad = dir.join("bad.pcap");
    for i in (0..good.len()).step_by(7) {
        let mut b = good.clone();
        b[i] ^= 0xff;
        std::fs::write(&bad, &b).expect("write");
        let r = std::panic::catch_unwind(|| {
            pcap_check::check(
                &bad,
                None,
                Config::new(Preset::Quick, Profile::Rfc9293, None),
            )
        });
        assert!(r.is_ok(), "byte {i} flipped panics");
        let r = std::panic::catch_unwind(|| {
            std::fs::write(&bad, &good[..i]).expect("write");
            pcap_check::check(
                &bad,
                None,
                Config::new(Preset::Quick, Profile::Rfc9293, None),
            )
        });
        assert!(r.is_ok(), "cut at {i} panics");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A replay's capture of smoltcp's retransmission past the model's retry
/// limit: the expected stream is explained whole, the observed one up to
/// the extra SYN, and the report says the limit is reached.
#[test]
fn a_replay_capture_stops_at_its_divergence() {
    let dir = scratch("replay");
    let traces = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join("scenarios-rfc9293")
        .join("connect-timeout.json");
    let out = Command::new(BIN)
        .args(["replay", "--target", "smoltcp", "--pcap"])
        .arg(&dir)
        .arg(&traces)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let cap = dir.join("connect-timeout-A.pcapng");
    let cap = cap.to_str().unwrap();
    let (code, out, err) = check(&[cap, "--connection", "1", "--preset", "quick"]);
    assert_eq!(code, 0, "expected stream: {out}{err}");
    let (code, out, err) = check(&[cap, "--connection", "2", "--preset", "quick"]);
    assert_eq!(code, 1, "observed stream: {out}{err}");
    assert!(out.contains("A>B SYN seq=0) is not explained"), "{out}");
    assert!(
        out.contains("it has retransmitted 1 times, the model's limit being 1"),
        "{out}"
    );
    tshark_reads(Path::new(cap), 5);
    let _ = std::fs::remove_dir_all(&dir);
}

/// tshark reads `file` and finds `packets` packets; skipped without tshark
/// unless `SYNFIN_REQUIRE_TSHARK=1`.
fn tshark_reads(file: &Path, packets: usize) {
    let out = match Command::new("tshark").arg("-r").arg(file).output() {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("SYNFIN_REQUIRE_TSHARK").is_none(),
                "SYNFIN_REQUIRE_TSHARK is set and tshark cannot run: {e}"
            );
            eprintln!("SKIPPED: tshark not installed");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), packets, "{text}");
    assert!(text.contains("TCP"), "{text}");
}
