//! What the kernel driver needs from the machine, checked before anything is
//! attempted, so that a missing privilege is reported as exactly that
//! (exit status 2) and not as a confusing failure halfway through.
//!
//! [`probe`] reads the facts; [`missing`] judges them. The judgement is a
//! pure function of a [`Probe`], so every combination can be tested
//! without changing the privileges of the test process.

use std::fmt;

/// `CAP_NET_ADMIN`: create and configure the TUN device.
const CAP_NET_ADMIN: u32 = 12;
/// `CAP_SYS_ADMIN`: `unshare(CLONE_NEWNET)`.
const CAP_SYS_ADMIN: u32 = 21;

/// The facts the check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// `/dev/net/tun` exists.
    pub tun_device: bool,
    /// The effective user id.
    pub euid: u32,
    /// The effective capability set (`CapEff` of `/proc/self/status`), if
    /// it could be read.
    pub cap_eff: Option<u64>,
}

/// One thing the machine or the user lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// No `/dev/net/tun`.
    TunDevice,
    /// Neither root nor `CAP_SYS_ADMIN`: no private network namespace.
    SysAdmin,
    /// Neither root nor `CAP_NET_ADMIN`: no TUN device.
    NetAdmin,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Missing::TunDevice => {
                "/dev/net/tun does not exist (the kernel needs the tun driver, CONFIG_TUN; \
                 a container needs the device passed in, e.g. `--device /dev/net/tun`)"
            }
            Missing::SysAdmin => {
                "CAP_SYS_ADMIN, to create a private network namespace with \
                 unshare(CLONE_NEWNET): run as root"
            }
            Missing::NetAdmin => {
                "CAP_NET_ADMIN, to create and configure the TUN device: run as root"
            }
        })
    }
}

impl Probe {
    fn has(&self, cap: u32) -> bool {
        match self.cap_eff {
            Some(set) => set & (1 << cap) != 0,
            // Unknown capability set: trust root, doubt anyone else.
            None => self.euid == 0,
        }
    }
}

/// What `probe` lacks for the kernel driver, in the order it would fail:
/// the device, the namespace, the TUN.
///
/// Capabilities decide, not the user id: root in a container without
/// `CAP_NET_ADMIN` cannot create a TUN, and root in a user namespace
/// (`unshare -Urn`) can.
pub fn missing(probe: &Probe) -> Vec<Missing> {
    missing_for(probe, true)
}

/// Like [`missing`], for a command that creates its own namespace
/// (`creates_netns`: `demo`, `bench`) or one that works in the namespace it
/// was started in (`connect`, `listen`), which needs no CAP_SYS_ADMIN.
pub fn missing_for(probe: &Probe, creates_netns: bool) -> Vec<Missing> {
    let mut m = Vec::new();
    if !probe.tun_device {
        m.push(Missing::TunDevice);
    }
    if creates_netns && !probe.has(CAP_SYS_ADMIN) {
        m.push(Missing::SysAdmin);
    }
    if !probe.has(CAP_NET_ADMIN) {
        m.push(Missing::NetAdmin);
    }
    m
}

/// The message for a non-empty [`missing`] list: what is missing, each on
/// its own line, and how to get it.
pub fn message(command: &str, missing: &[Missing]) -> String {
    let mut s = format!(
        "synfin-tcp {command}: cannot talk to the Linux kernel over TUN on this machine; missing:"
    );
    for m in missing {
        s.push_str("\n  - ");
        s.push_str(&m.to_string());
    }
    s.push_str(
        "\nsynfin-tcp needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and /dev/net/tun; \
         everything it does stays inside a network namespace of its own.",
    );
    s
}

/// The effective capability set from the text of `/proc/self/status`.
pub fn parse_cap_eff(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// The effective user id from the text of `/proc/self/status` (the second
/// field of `Uid:`).
pub fn parse_euid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Reads the facts for the current process.
pub fn probe() -> Probe {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    Probe {
        tun_device: std::path::Path::new("/dev/net/tun").exists(),
        euid: parse_euid(&status).unwrap_or(u32::MAX),
        cap_eff: parse_cap_eff(&status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u64 = 0x1ff_ffff_ffff;

    #[test]
    fn root_with_a_tun_device_lacks_nothing() {
        let p = Probe {
            tun_device: true,
            euid: 0,
            cap_eff: Some(ALL),
        };
        assert!(missing(&p).is_empty());
        // Unknown capabilities: root is trusted.
        assert!(missing(&Probe { cap_eff: None, ..p }).is_empty());
    }

    #[test]
    fn an_unprivileged_user_lacks_both_capabilities() {
        let p = Probe {
            tun_device: true,
            euid: 1000,
            cap_eff: Some(0),
        };
        assert_eq!(missing(&p), vec![Missing::SysAdmin, Missing::NetAdmin]);
        assert_eq!(
            missing(&Probe { cap_eff: None, ..p }),
            vec![Missing::SysAdmin, Missing::NetAdmin]
        );
        let msg = message("demo", &missing(&p));
        assert!(
            msg.contains("CAP_SYS_ADMIN") && msg.contains("CAP_NET_ADMIN"),
            "{msg}"
        );
        assert!(msg.contains("root"), "{msg}");
    }

    #[test]
    fn a_container_without_the_device_or_net_admin() {
        let p = Probe {
            tun_device: false,
            euid: 0,
            cap_eff: Some(ALL & !(1 << CAP_NET_ADMIN)),
        };
        assert_eq!(missing(&p), vec![Missing::TunDevice, Missing::NetAdmin]);
        let msg = message("demo", &missing(&p));
        assert!(msg.contains("/dev/net/tun does not exist"), "{msg}");
        assert!(!msg.contains("CAP_SYS_ADMIN,"), "{msg}");
    }

    #[test]
    fn connect_and_listen_need_no_sys_admin() {
        let p = Probe {
            tun_device: true,
            euid: 0,
            cap_eff: Some(1 << CAP_NET_ADMIN),
        };
        assert!(missing_for(&p, false).is_empty());
        assert_eq!(missing_for(&p, true), vec![Missing::SysAdmin]);
    }

    #[test]
    fn cap_eff_is_parsed_from_proc_status() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assert_eq!(parse_cap_eff(status), Some(ALL));
        assert_eq!(parse_cap_eff("Name:\tx\n"), None);
        assert_eq!(parse_cap_eff("CapEff:\tzz\n"), None);
        assert_eq!(parse_euid("Uid:\t1000\t0\t0\t0\n"), Some(0));
        assert_eq!(parse_euid("Uid:\t1000\n"), None);
    }
}
