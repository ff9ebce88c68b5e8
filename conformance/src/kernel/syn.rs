//! The kernel's SYN retransmission schedule, measured in real time and
//! checked against the model's: RFC 6298 (5.5) doubling from the initial
//! RTO, `retries` retransmissions, then the connection fails (RFC 9293
//! §3.8.3, "timed out").
//!
//! Replays cannot check this: they do not sleep through ticks, and wait for
//! each kernel timer only when the trace says it fires. Here the kernel
//! connects to the harness's address and nothing answers; the harness
//! notes when each SYN leaves and when `connect` fails.

use std::time::Duration;

use synfin_linux::sys::netns;
use synfin_linux::sys::socket as ksock;
use synfin_linux::sys::tun::TunIo;
use synfin_tcp::wire::Flags;

use super::setup::SetupError;

/// The kernel settings of one measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynSettings {
    /// `net.ipv4.tcp_syn_linear_timeouts` (Linux 6.4+; default 4): that
    /// many retransmissions at the initial RTO before doubling starts.
    pub linear_timeouts: u32,
    /// `net.ipv4.tcp_syn_retries`.
    pub syn_retries: u32,
    /// Stop measuring after this long even if `connect` has not failed.
    pub max: Duration,
}

/// What the kernel did.
#[derive(Clone, Debug, PartialEq)]
pub struct SynMeasurement {
    /// Seconds after `connect` at which each SYN left (the first is ~0).
    pub sent: Vec<f64>,
    /// Seconds after `connect` at which it failed with ETIMEDOUT, if within
    /// the measurement.
    pub failed: Option<f64>,
    /// Whether `tcp_syn_linear_timeouts` exists on this kernel.
    pub has_linear_timeouts: bool,
}

/// The model's schedule: SYN send times (0, rto, 3·rto, 7·rto, …) for
/// `retries` retransmissions, and when the connection times out.
pub fn expected(rto: f64, retries: u32) -> (Vec<f64>, f64) {
    let mut t = 0.0;
    let mut interval = rto;
    let mut sent = vec![0.0];
    for _ in 0..retries {
        t += interval;
        interval *= 2.0;
        sent.push(t);
    }
    (sent, t + interval)
}

/// Whether a measured time `got` is the expected `want`: never early (10 ms
/// of measurement jitter aside), and late by at most the kernel's
/// timer-wheel slack (1/8 of the timeout) plus 300 ms of scheduling.
fn on_time(got: f64, want: f64) -> bool {
    got >= want - 0.01 && got <= want + want / 8.0 + 0.3
}

/// Compares a measurement with the model's schedule (`rto` seconds,
/// `retries` retransmissions). `Err` lists every difference, each naming
/// the SYN and the expected and actual times.
pub fn check(m: &SynMeasurement, rto: f64, retries: u32, max: Duration) -> Result<(), Vec<String>> {
    let (sent, fail) = expected(rto, retries);
    let horizon = max.as_secs_f64();
    let mut errs = Vec::new();
    for (i, want) in sent.iter().enumerate() {
        match m.sent.get(i) {
            Some(&got) if on_time(got, *want) => {}
            Some(&got) => errs.push(format!(
                "SYN #{} at {got:.3} s, expected at {want:.3} s",
                i + 1
            )),
            None if *want > horizon => {}
            None => errs.push(format!(
                "SYN #{} never sent, expected at {want:.3} s",
                i + 1
            )),
        }
    }
    if m.sent.len() > sent.len() {
        errs.push(format!(
            "{} SYNs sent, expected {} (1 + {retries} retransmissions); extra at {:?} s",
            m.sent.len(),
            sent.len(),
            &m.sent[sent.len()..]
        ));
    }
    match m.failed {
        Some(got) if on_time(got, fail) => {}
        Some(got) => errs.push(format!(
            "connect failed at {got:.3} s, expected at {fail:.3} s"
        )),
        None if fail > horizon => {}
        None => errs.push(format!(
            "connect had not failed after {horizon:.1} s, expected at {fail:.3} s"
        )),
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Measures the kernel's SYN schedule under `s`, in a private namespace of
/// its own.
pub fn measure(s: SynSettings) -> Result<SynMeasurement, SetupError> {
    let r = netns::in_private_netns(move |net| -> std::io::Result<SynMeasurement> {
        let has_linear_timeouts = std::fs::write(
            "/proc/sys/net/ipv4/tcp_syn_linear_timeouts",
            s.linear_timeouts.to_string(),
        )
        .is_ok();
        std::fs::write(
            "/proc/sys/net/ipv4/tcp_syn_retries",
            s.syn_retries.to_string(),
        )?;
        let kaddr = std::net::SocketAddrV4::new(net.kernel_ip, 20000);
        let haddr = std::net::SocketAddrV4::new(net.local_ip, 40000);
        let mut io = TunIo::new(net.tun)?;
        let start = io.now();
        let stream = ksock::connect_from(Some(kaddr), haddr)?;
        let mut m = SynMeasurement {
            sent: Vec::new(),
            failed: None,
            has_linear_timeouts,
        };
        let end = start + s.max;
        while io.now() < end {
            let poll = (io.now() + Duration::from_millis(5)).min(end);
            if let Some(seg) = io.recv(Some(poll))? {
                if seg.src == kaddr && seg.dst == haddr && seg.flags == Flags::SYN {
                    m.sent
                        .push(seg_time(io.now().as_micros(), start.as_micros()));
                }
            }
            if let Err(e) = ksock::connected(&stream) {
                if e.raw_os_error() == Some(nix::errno::Errno::ETIMEDOUT as i32) {
                    m.failed = Some(seg_time(io.now().as_micros(), start.as_micros()));
                    break;
                }
                return Err(e);
            }
        }
        Ok(m)
    });
    match r {
        Ok(Ok(m)) => Ok(m),
        Ok(Err(e)) => Err(SetupError::Io(e)),
        Err(e) => Err(SetupError::Netns(e)),
    }
}

fn seg_time(now_us: u64, start_us: u64) -> f64 {
    now_us.saturating_sub(start_us) as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_schedule_doubles() {
        assert_eq!(expected(1.0, 2), (vec![0.0, 1.0, 3.0], 7.0));
        assert_eq!(expected(1.0, 0), (vec![0.0], 1.0));
    }

    #[test]
    fn check_accepts_slack_and_rejects_early_late_and_extra() {
        let max = Duration::from_secs(10);
        let ok = SynMeasurement {
            sent: vec![0.0, 1.02, 3.05],
            failed: Some(7.2),
            has_linear_timeouts: true,
        };
        assert_eq!(check(&ok, 1.0, 2, max), Ok(()));
        // Linux's default linear timeouts: the second retransmission 1 s
        // after the first, not 2 s.
        let linear = SynMeasurement {
            sent: vec![0.0, 1.0, 2.0, 3.0],
            failed: None,
            has_linear_timeouts: true,
        };
        let errs = check(&linear, 1.0, 2, Duration::from_secs(4)).unwrap_err();
        assert!(
            errs[0].starts_with("SYN #3 at 2.000 s, expected at 3.000 s"),
            "{errs:?}"
        );
        assert!(errs.iter().any(|e| e.contains("4 SYNs sent")), "{errs:?}");
        let never = SynMeasurement {
            sent: vec![0.0],
            failed: None,
            has_linear_timeouts: true,
        };
        assert!(check(&never, 1.0, 2, max).is_err());
    }
}

/// One run of the schedule check: the settings, the measurement, and the
/// differences from the model's schedule (empty: it matches).
#[derive(Clone, Debug)]
pub struct SynCheck {
    /// What the kernel was set to.
    pub settings: SynSettings,
    /// What it did.
    pub measured: SynMeasurement,
    /// Differences from RFC 6298 doubling with `syn_retries` retries.
    pub errors: Vec<String>,
}

/// Measures under `s` and checks against the model's schedule with the
/// initial RTO `rto` seconds and `s.syn_retries` retransmissions.
pub fn run_check(s: SynSettings, rto: f64) -> Result<SynCheck, SetupError> {
    let measured = measure(s)?;
    let errors = check(&measured, rto, s.syn_retries, s.max)
        .err()
        .unwrap_or_default();
    Ok(SynCheck {
        settings: s,
        measured,
        errors,
    })
}

/// The two checks `synfin-conform replay --target kernel` runs beside the
/// replays: the schedule replays use (`tcp_syn_linear_timeouts=0`, the
/// traces' retry limit), which must match the model's; and Linux's default
/// (`tcp_syn_linear_timeouts=4`), which shows `syn-linear-timeouts`.
pub fn default_checks(retries: u32) -> [SynSettings; 2] {
    let (_, fail) = expected(1.0, retries);
    [
        SynSettings {
            linear_timeouts: 0,
            syn_retries: retries,
            max: Duration::from_secs_f64(fail + fail / 8.0 + 1.0),
        },
        SynSettings {
            linear_timeouts: 4,
            syn_retries: retries,
            max: Duration::from_secs_f64(fail + 1.0),
        },
    ]
}
