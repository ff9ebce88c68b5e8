//! `synfin-tcp bench`: kernel exchanges per second. synfin-tcp connects to
//! a kernel listener, 64 bytes go each way, the kernel closes first and
//! synfin-tcp closes (LAST-ACK), in a loop, in one namespace.

use std::io;
use std::net::{SocketAddrV4, TcpStream};
use std::time::Duration;

use serde::Serialize;

use crate::driver::{Driver, RunOutcome, Stack};
use crate::sys::netns::{self, Net};
use crate::sys::socket;
use crate::sys::tun::TunIo;

/// How long any one wait of an exchange may take. The kernel answers at
/// once; only a bug makes an exchange wait this long.
const STEP_TIMEOUT: Duration = Duration::from_secs(3);

fn io_err(what: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Result of [`bench_in`].
#[derive(Clone, Copy, Debug, Serialize)]
pub struct BenchResult {
    /// Exchanges completed.
    pub exchanges: usize,
    /// Wall-clock seconds they took (namespace setup excluded).
    pub seconds: f64,
    /// Exchanges per second.
    pub per_second: f64,
    /// Segments that crossed the TUN.
    pub segments: u64,
    /// Seconds the driving thread spent on a CPU (from
    /// `/proc/thread-self/schedstat`), if known: on a shared machine this
    /// is steadier than wall-clock time. The kernel's TCP runs mostly in
    /// this thread's context, since it acts on a TUN write before the
    /// write returns.
    pub cpu_seconds: Option<f64>,
    /// Exchanges per second of on-CPU time.
    pub per_cpu_second: Option<f64>,
}

/// Nanoseconds the calling thread has spent on a CPU.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Measures kernel exchanges per second: `n` times, synfin-tcp connects to
/// a kernel listener, sends 64 bytes, the kernel answers 64 bytes and
/// closes first, synfin-tcp closes (LAST-ACK). One namespace, a new port
/// for each connection, nothing recorded.
pub fn bench_in<S: Stack>(net: Net, stack: S, n: usize) -> Result<BenchResult, String> {
    let kernel_addr = SocketAddrV4::new(netns::KERNEL_IP, 7000);
    let listener = socket::listen(kernel_addr).map_err(io_err("kernel listen()"))?;
    let io = TunIo::new(net.tun).map_err(io_err("TUN"))?;
    let mut d = Driver::new(io, stack);
    let data = [0x5a_u8; 64];
    let start = std::time::Instant::now();
    let cpu_start = thread_cpu_ns();
    for i in 0..n {
        let local = SocketAddrV4::new(netns::LOCAL_IP, 20000 + (i % 40000) as u16);
        let now = d.now();
        let conn = d.stack.connect(now, local, kernel_addr)?;
        let deadline = d.io.after(STEP_TIMEOUT);
        let mut accepted = None;
        let mut err = None;
        let mut check = |r: io::Result<Option<TcpStream>>| match r {
            Ok(s) => s,
            Err(e) => {
                err = Some(e.to_string());
                None
            }
        };
        d.run_until(deadline, &mut (), |s, _| {
            if accepted.is_none() {
                accepted = check(socket::try_accept(&listener));
            }
            accepted.is_some() && s.state_of(local, kernel_addr) == Some("ESTABLISHED")
        })
        .map_err(io_err("TUN"))?;
        if let Some(e) = err {
            return Err(e);
        }
        let mut sock = accepted.ok_or_else(|| format!("exchange {i}: handshake timed out"))?;
        let now = d.now();
        d.stack.send(now, conn, &data)?;
        let mut kbuf = Vec::new();
        let ok = d
            .run_until(d.io.after(STEP_TIMEOUT), &mut (), |_, _| {
                let _ = socket::read_available(&mut sock, &mut kbuf);
                kbuf.len() >= data.len()
            })
            .map_err(io_err("TUN"))?;
        if ok != RunOutcome::Done {
            return Err(format!("exchange {i}: the kernel did not get the data"));
        }
        socket::write_all(&mut sock, &data).map_err(io_err("kernel write()"))?;
        drop(sock);
        let mut sbuf = Vec::new();
        let ok = d
            .run_until(d.io.after(STEP_TIMEOUT), &mut (), |s, now| {
                s.recv(now, conn, &mut sbuf).is_ok_and(|r| r.eof) && sbuf.len() >= data.len()
            })
            .map_err(io_err("TUN"))?;
        if ok != RunOutcome::Done {
            return Err(format!(
                "exchange {i}: synfin-tcp did not get the data and FIN"
            ));
        }
        let now = d.now();
        d.stack.close(now, conn)?;
        let ok = d
            .run_until(d.io.after(STEP_TIMEOUT), &mut (), |s, _| {
                s.state_of(local, kernel_addr).is_none()
            })
            .map_err(io_err("TUN"))?;
        if ok != RunOutcome::Done {
            return Err(format!("exchange {i}: synfin-tcp did not reach CLOSED"));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu_seconds = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1e9),
        _ => None,
    };
    Ok(BenchResult {
        exchanges: n,
        seconds,
        per_second: n as f64 / seconds,
        segments: d.io.stats.sent + d.io.stats.received,
        cpu_seconds,
        per_cpu_second: cpu_seconds.map(|c| n as f64 / c),
    })
}
