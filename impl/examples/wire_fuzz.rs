//! A fuzzer for the wire parser, outside the default test run.
//!
//! It builds valid IPv4+TCP datagrams (random flags, IPv4 options, TCP
//! options known and unknown, payloads), mutates them (bit flips, byte
//! writes, truncation, extension, splices, length-field edits) and, for most
//! inputs, repairs the checksums afterwards so the mutation reaches the
//! layers behind them (data offset, options, payload). Each input goes to
//! [`Segment::parse`]. The fuzzer checks that parsing never panics and that
//! whatever parses re-emits to bytes that parse to the same segment.
//!
//! ```sh
//! cargo run --release -p synfin-tcp --example wire_fuzz -- --seconds 180 --seed 1
//! cargo run --release -p synfin-tcp --example wire_fuzz -- --iters 1000000
//! ```
//!
//! It prints the number of inputs run and how they were classified, and
//! exits 1 with the offending input in hex on a failure.

// A driver, not the core: it times itself with the wall clock.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::panic;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

/// xorshift64* (Vigna): a few lines, seedable, good enough to drive a fuzzer.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Never zero; splitmix the seed so small seeds differ a lot.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

/// One's-complement sum of `data` as big-endian 16-bit words, folded.
fn sum16(mut acc: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    acc
}

/// Rewrites the IPv4 and TCP checksums of `p` as far as its (possibly
/// mutated) header fields allow, so the parser gets past them.
fn fix_checksums(p: &mut [u8]) {
    if p.len() < 20 {
        return;
    }
    let ihl = usize::from(p[0] & 0x0F) * 4;
    if ihl < 20 || ihl > p.len() {
        return;
    }
    p[10] = 0;
    p[11] = 0;
    let ip_sum = !(sum16(0, &p[..ihl]) as u16);
    p[10..12].copy_from_slice(&ip_sum.to_be_bytes());

    let total = usize::from(u16::from_be_bytes([p[2], p[3]])).min(p.len());
    if total < ihl + 18 {
        return;
    }
    let tcp_len = total - ihl;
    p[ihl + 16] = 0;
    p[ihl + 17] = 0;
    let mut acc = sum16(0, &p[12..20]);
    acc = sum16(acc, &[0, p[9]]);
    acc = sum16(acc, &(tcp_len as u16).to_be_bytes());
    acc = sum16(acc, &p[ihl..total]);
    let tcp_sum = !(acc as u16);
    p[ihl + 16..ihl + 18].copy_from_slice(&tcp_sum.to_be_bytes());
}

/// Random TCP options: known kinds of the right and wrong sizes, unknown
/// kinds, NOPs, EOL with junk after it; padded to a multiple of 4, at most
/// 40 bytes.
fn tcp_options(rng: &mut Rng) -> Vec<u8> {
    let mut o = Vec::new();
    for _ in 0..rng.below(6) {
        match rng.below(9) {
            0 => o.push(1),                                            // NOP
            1 => o.extend_from_slice(&[2, 4, rng.byte(), rng.byte()]), // MSS
            2 => o.extend_from_slice(&[3, 3, rng.byte()]),             // window scale
            3 => o.extend_from_slice(&[4, 2]),                         // SACK permitted
            4 => {
                // timestamps
                o.extend_from_slice(&[8, 10]);
                o.extend(rng.bytes(8));
            }
            5 => {
                // SACK blocks
                let n = 1 + rng.below(3);
                o.extend_from_slice(&[5, (2 + 8 * n) as u8]);
                o.extend(rng.bytes(8 * n));
            }
            6 => {
                // unknown kind, legal length
                let len = 2 + rng.below(6);
                o.extend_from_slice(&[30 + rng.byte() % 200, len as u8]);
                o.extend(rng.bytes(len - 2));
            }
            7 => o.extend({
                let n = 1 + rng.below(6);
                rng.bytes(n)
            }), // garbage
            _ => {
                o.push(0); // EOL, then junk
                o.extend({
                    let n = rng.below(4);
                    rng.bytes(n)
                });
            }
        }
    }
    o.truncate(40);
    while o.len() % 4 != 0 {
        o.push(0);
    }
    o
}

/// A well-formed IPv4+TCP datagram with random contents.
fn valid_packet(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(40) {
        // Through our own emitter.
        let seg = Segment {
            src: SocketAddrV4::new(Ipv4Addr::from(rng.next() as u32), rng.next() as u16),
            dst: SocketAddrV4::new(Ipv4Addr::from(rng.next() as u32), rng.next() as u16),
            seq: SeqNum(rng.next() as u32),
            ack: SeqNum(rng.next() as u32),
            flags: Flags::from_bits(rng.byte()),
            window: rng.next() as u16,
            mss: rng.chance(50).then(|| rng.next() as u16),
            payload: {
                let n = rng.below(64);
                rng.bytes(n)
            },
        };
        return seg.emit();
    }
    // By hand, with IPv4 options and arbitrary TCP options.
    let ip_opts = if rng.chance(20) {
        4 * (1 + rng.below(10))
    } else {
        0
    };
    let tcp_opts = tcp_options(rng);
    let payload_len = if rng.chance(80) { rng.below(48) } else { 0 };
    let payload = rng.bytes(payload_len);
    let ihl = 20 + ip_opts;
    let doff = 20 + tcp_opts.len();
    let total = ihl + doff + payload.len();
    let mut p = vec![0u8; total];
    p[0] = 0x40 | (ihl / 4) as u8;
    p[1] = rng.byte();
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[6] = 0x40; // DF
    p[8] = 64;
    p[9] = 6;
    let (src, dst) = (rng.bytes(4), rng.bytes(4));
    p[12..16].copy_from_slice(&src);
    p[16..20].copy_from_slice(&dst);
    for b in &mut p[20..ihl] {
        *b = 1; // IPv4 NOP options
    }
    let t = &mut p[ihl..];
    let header = rng.bytes(14);
    t[..12].copy_from_slice(&header[..12]);
    t[12] = ((doff / 4) as u8) << 4;
    t[13] = header[13];
    t[14..16].copy_from_slice(&header[..2]);
    t[20..doff].copy_from_slice(&tcp_opts);
    t[doff..].copy_from_slice(&payload);
    fix_checksums(&mut p);
    p
}

/// Damages `p` in one to four random ways.
fn mutate(rng: &mut Rng, p: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let len = p.len();
        match rng.below(10) {
            0 | 1 if len > 0 => {
                let i = rng.below(len);
                p[i] ^= 1 << rng.below(8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                p[i] = rng.byte();
            }
            3 => {
                let n = rng.below(len + 1);
                p.truncate(n);
            }
            4 => {
                let extra = {
                    let n = rng.below(16);
                    rng.bytes(n)
                };
                p.extend(extra);
            }
            5 if len > 0 => {
                // Interesting values into the length fields.
                let interesting = [0u8, 1, 4, 5, 0x0F, 0x10, 0x45, 0x4F, 0x50, 0xF0, 0xFF];
                let field = [0usize, 2, 3, 6, 7, 9, 32, 33][rng.below(8)].min(len - 1);
                p[field] = interesting[rng.below(interesting.len())];
            }
            6 if len > 1 => {
                // Splice: copy a run of the packet onto another place.
                let from = rng.below(len);
                let to = rng.below(len);
                let n = rng.below(len - from.max(to)).min(8);
                p.copy_within(from..from + n, to);
            }
            7 if len > 0 => {
                let i = rng.below(len);
                let ins = {
                    let n = 1 + rng.below(4);
                    rng.bytes(n)
                };
                p.splice(i..i, ins);
            }
            8 if len > 0 => {
                let i = rng.below(len);
                let n = (1 + rng.below(4)).min(len - i);
                p.drain(i..i + n);
            }
            _ => {
                // Rewrite the IPv4 total length to match the buffer.
                if len >= 4 {
                    let l = (len as u16).to_be_bytes();
                    p[2] = l[0];
                    p[3] = l[1];
                }
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Args {
    seed: u64,
    iters: Option<u64>,
    seconds: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seed: 1,
        iters: None,
        seconds: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--seed" => args.seed = value("--seed")?,
            "--iters" => args.iters = Some(value("--iters")?),
            "--seconds" => args.seconds = Some(value("--seconds")?),
            _ => return Err(format!("unknown argument {a:?}")),
        }
    }
    if args.iters.is_none() && args.seconds.is_none() {
        args.iters = Some(1_000_000);
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wire_fuzz: {e}\nusage: wire_fuzz [--seed N] [--iters N | --seconds S]");
            return ExitCode::from(2);
        }
    };
    let mut rng = Rng::new(args.seed);
    let start = Instant::now();
    let deadline = args.seconds.map(|s| start + Duration::from_secs(s));
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut n: u64 = 0;
    panic::set_hook(Box::new(|_| {}));

    loop {
        if args.iters.is_some_and(|max| n >= max) {
            break;
        }
        // Check the clock every 4096 inputs only.
        if n.is_multiple_of(4096) && deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let mut input = valid_packet(&mut rng);
        if !rng.chance(5) {
            mutate(&mut rng, &mut input);
            if rng.chance(75) {
                fix_checksums(&mut input);
            }
        }
        n += 1;

        let result = panic::catch_unwind(|| match Segment::parse(&input) {
            Err(e) => Ok(format!("{e:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap_or_default()
                .to_string()),
            Ok(seg) => {
                let again = Segment::parse(&seg.emit());
                if again.as_ref() == Ok(&seg) {
                    Ok("Ok".to_string())
                } else {
                    Err(format!("round trip changed {seg:?} into {again:?}"))
                }
            }
        });
        match result {
            Ok(Ok(kind)) => *outcomes.entry(kind).or_default() += 1,
            Ok(Err(msg)) => {
                eprintln!("wire_fuzz: input #{n} (seed {}): {msg}", args.seed);
                eprintln!("input: {}", hex(&input));
                return ExitCode::from(1);
            }
            Err(_) => {
                eprintln!(
                    "wire_fuzz: Segment::parse panicked on input #{n} (seed {})",
                    args.seed
                );
                eprintln!("input: {}", hex(&input));
                return ExitCode::from(1);
            }
        }
    }

    let secs = start.elapsed().as_secs_f64();
    println!(
        "wire_fuzz: {n} inputs in {secs:.1} s ({:.0}/s), seed {}, no panic, every parsed segment round-trips",
        n as f64 / secs.max(1e-9),
        args.seed
    );
    for (kind, count) in &outcomes {
        println!("  {kind:<16} {count}");
    }
    ExitCode::SUCCESS
}
