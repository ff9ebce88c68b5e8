//! A private network namespace with a TUN device, where the Linux kernel is
//! the TCP peer of synfin-tcp (see `shared/docs/kernel-peer.md`).
//!
//! The layout is fixed and the same in every namespace, since namespaces are
//! private and never collide: the TUN device [`TUN_NAME`] carries
//! [`KERNEL_IP`]`/24` for the kernel, and synfin-tcp uses [`LOCAL_IP`] behind
//! it. Nothing here touches the host's network: [`in_private_netns`] runs its
//! closure on a dedicated thread that first leaves the host namespace with
//! `unshare(CLONE_NEWNET)`; the namespace, the device and every socket in it
//! (TIME-WAIT included) disappear when that thread ends.
//!
//! Setting up can fail for want of privileges. [`NetnsError`] says which one
//! is missing, in the order the probe checks them: `/dev/net/tun` exists,
//! `unshare(CLONE_NEWNET)` works, `TUNSETIFF` works.

use std::fmt;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::Path;

use nix::errno::Errno;
use nix::sched::{unshare, CloneFlags};

/// The kernel's address on the TUN device.
pub const KERNEL_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
/// synfin-tcp's address: on the TUN's /24, so the kernel routes to it
/// through the device.
pub const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
/// Prefix length of the TUN's subnet.
pub const PREFIX_LEN: u8 = 24;
/// Name of the TUN device.
pub const TUN_NAME: &str = "synfin0";
/// The environment variable that turns a skipped kernel test into a failure
/// (CI sets it).
pub const REQUIRE_ENV: &str = "SYNFIN_REQUIRE_NETNS";

/// One `net.*` sysctl written in the namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sysctl {
    /// Path below `/proc/sys/net/`, e.g. `ipv4/tcp_sack`.
    pub key: &'static str,
    /// The value written.
    pub value: &'static str,
    /// Whether a kernel that lacks this knob is acceptable (newer knobs).
    pub optional: bool,
}

const fn required(key: &'static str, value: &'static str) -> Sysctl {
    Sysctl {
        key,
        value,
        optional: false,
    }
}

const fn optional(key: &'static str, value: &'static str) -> Sysctl {
    Sysctl {
        key,
        value,
        optional: true,
    }
}

/// The sysctls that make the kernel a deterministic peer (kernel-peer.md §3).
///
/// They are all per-namespace. `disable_ipv6` must be written before the TUN
/// exists (otherwise the device gets a link-local address and sends router
/// solicitations), so it comes first.
pub const SYSCTLS: &[Sysctl] = &[
    required("ipv6/conf/default/disable_ipv6", "1"),
    required("ipv4/tcp_timestamps", "0"),
    required("ipv4/tcp_sack", "0"),
    required("ipv4/tcp_window_scaling", "0"),
    required("ipv4/tcp_ecn", "0"),
    required("ipv4/tcp_syncookies", "0"),
    required("ipv4/tcp_fastopen", "0"),
    required("ipv4/tcp_no_metrics_save", "1"),
    // RFC 5961 challenge ACKs must not be rate limited away.
    required("ipv4/tcp_invalid_ratelimit", "0"),
    // Classic RFC 6298 doubling of the SYN timeout (kernels since 6.4).
    optional("ipv4/tcp_syn_linear_timeouts", "0"),
    // On a TUN the RTT is about zero, so the kernel's RTO is this floor; at
    // the default 200 ms a harness that pauses to print or to look at socket
    // states would provoke retransmissions nobody asked for. One second.
    optional("ipv4/tcp_rto_min_us", "1000000"),
    // A fresh namespace may inherit bbr, which paces.
    optional("ipv4/tcp_congestion_control", "reno"),
    required("ipv4/tcp_autocorking", "0"),
];

/// Why a kernel peer could not be set up.
#[derive(Debug)]
pub enum NetnsError {
    /// `/dev/net/tun` does not exist.
    NoTunDevice,
    /// `unshare(CLONE_NEWNET)` failed (usually: no CAP_SYS_ADMIN).
    Unshare(Errno),
    /// A required sysctl could not be written in the namespace.
    Sysctl {
        /// The key below `/proc/sys/net/`.
        key: &'static str,
        /// What writing it returned.
        error: io::Error,
    },
    /// Opening `/dev/net/tun`, `TUNSETIFF`, or configuring the device
    /// failed (usually: no CAP_NET_ADMIN or no read-write access to
    /// `/dev/net/tun`).
    Tun(io::Error),
    /// The command refuses to create a device in the host's namespace.
    HostNamespace,
    /// The namespace thread could not be started.
    Thread(io::Error),
}

impl NetnsError {
    /// Whether this is a missing capability of the machine or the user (a
    /// reason to skip a test), rather than a malfunction.
    pub fn is_missing_capability(&self) -> bool {
        match self {
            NetnsError::NoTunDevice | NetnsError::Unshare(_) => true,
            NetnsError::Tun(e) => {
                e.kind() == io::ErrorKind::PermissionDenied
                    || e.kind() == io::ErrorKind::NotFound
                    || matches!(
                        e.raw_os_error(),
                        Some(libc_errno) if [Errno::EPERM, Errno::EACCES, Errno::ENODEV, Errno::ENXIO]
                            .contains(&Errno::from_raw(libc_errno))
                    )
            }
            NetnsError::Sysctl { error, .. } => error.kind() == io::ErrorKind::PermissionDenied,
            NetnsError::HostNamespace | NetnsError::Thread(_) => false,
        }
    }
}

impl fmt::Display for NetnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetnsError::NoTunDevice => write!(
                f,
                "/dev/net/tun does not exist: the kernel needs the tun driver \
                 (CONFIG_TUN), and a container needs the device passed in"
            ),
            NetnsError::Unshare(e) => write!(
                f,
                "cannot create a private network namespace: unshare(CLONE_NEWNET) failed: {} \
                 (needs root or CAP_SYS_ADMIN)",
                e.desc()
            ),
            NetnsError::Sysctl { key, error } => write!(
                f,
                "cannot set net.{} in the namespace: {error}",
                key.replace('/', ".")
            ),
            NetnsError::Tun(e) if e.raw_os_error() == Some(Errno::EBUSY as i32) => write!(
                f,
                "cannot create the TUN device {TUN_NAME}: a device with that name already \
                 exists in this network namespace (is another synfin-tcp running in it?)"
            ),
            NetnsError::Tun(e) => write!(
                f,
                "cannot create the TUN device {TUN_NAME}: opening /dev/net/tun, TUNSETIFF or \
                 setting its address failed: {e} (needs CAP_NET_ADMIN and read-write access \
                 to /dev/net/tun)"
            ),
            NetnsError::HostNamespace => write!(
                f,
                "refusing to create {TUN_NAME} with {KERNEL_IP}/{PREFIX_LEN} here: this looks \
                 like the host's network namespace (or one with other interfaces); start a \
                 shell in a fresh, empty one first, e.g. `unshare --net bash`"
            ),
            NetnsError::Thread(e) => write!(f, "cannot start the namespace thread: {e}"),
        }
    }
}

impl std::error::Error for NetnsError {}

/// A configured namespace: the TUN device and the addresses on each side.
///
/// Dropping the device removes it from the namespace.
pub struct Net {
    /// The TUN device: one `recv` is one IPv4 packet from the kernel, one
    /// `send` one packet to it.
    pub tun: tun_rs::SyncDevice,
    /// The kernel's address ([`KERNEL_IP`]).
    pub kernel_ip: Ipv4Addr,
    /// synfin-tcp's address ([`LOCAL_IP`]).
    pub local_ip: Ipv4Addr,
    /// The optional sysctls this kernel does not have (left at defaults).
    pub missing_sysctls: Vec<&'static str>,
}

impl fmt::Debug for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Net")
            .field("kernel_ip", &self.kernel_ip)
            .field("local_ip", &self.local_ip)
            .field("missing_sysctls", &self.missing_sysctls)
            .finish_non_exhaustive()
    }
}

/// Step 1 of the probe: whether `/dev/net/tun` exists.
pub fn check_tun_device() -> Result<(), NetnsError> {
    if Path::new("/dev/net/tun").exists() {
        Ok(())
    } else {
        Err(NetnsError::NoTunDevice)
    }
}

/// Writes [`SYSCTLS`] in the calling thread's network namespace
/// (`/proc/sys/net` follows the calling thread). Returns the optional keys
/// this kernel lacks.
fn write_sysctls() -> Result<Vec<&'static str>, NetnsError> {
    let mut missing = Vec::new();
    for s in SYSCTLS {
        let path = format!("/proc/sys/net/{}", s.key);
        match std::fs::write(&path, s.value) {
            Ok(()) => {}
            Err(e) if s.optional && e.kind() == io::ErrorKind::NotFound => missing.push(s.key),
            // e.g. "reno" not available as a congestion control.
            Err(_) if s.optional => missing.push(s.key),
            Err(error) => return Err(NetnsError::Sysctl { key: s.key, error }),
        }
    }
    Ok(missing)
}

/// Creates [`TUN_NAME`] with [`KERNEL_IP`]/24, up, in the calling thread's
/// namespace: `IFF_TUN | IFF_NO_PI`, no offloads.
fn create_tun() -> Result<tun_rs::SyncDevice, NetnsError> {
    tun_rs::DeviceBuilder::new()
        .name(TUN_NAME)
        .ipv4(KERNEL_IP, PREFIX_LEN, None)
        .enable(true)
        .build_sync()
        .map_err(NetnsError::Tun)
}

/// Sets up the calling thread's *current* namespace (sysctls and TUN), for
/// `synfin-tcp connect` and `listen`, which a person runs in a namespace of
/// their own. Refuses if that namespace is the host's (the one of PID 1).
pub fn configure_current_netns() -> Result<Net, NetnsError> {
    check_tun_device()?;
    if in_host_netns() {
        return Err(NetnsError::HostNamespace);
    }
    let missing_sysctls = write_sysctls()?;
    let tun = create_tun()?;
    Ok(Net {
        tun,
        kernel_ip: KERNEL_IP,
        local_ip: LOCAL_IP,
        missing_sysctls,
    })
}

/// The inode number of the initial network namespace on recent kernels
/// (`PROC_NET_INIT_INO`).
const PROC_NET_INIT_INO: u64 = 0xEFFF_FFF9;

/// Whether the calling thread looks like it is in the host's network
/// namespace, where synfin-tcp must not add a device or an address.
///
/// Yes if its namespace is the initial one (by its fixed inode number, or
/// the same as PID 1's where that is readable), or if it has any interface
/// besides `lo` and [`TUN_NAME`]: a namespace a person made for trying
/// synfin-tcp by hand starts empty. When it cannot be determined the answer
/// is yes: better refuse than touch the host's network.
pub fn in_host_netns() -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(ours) = std::fs::metadata("/proc/thread-self/ns/net") else {
        return true;
    };
    if ours.ino() == PROC_NET_INIT_INO {
        return true;
    }
    if let Ok(init) = std::fs::metadata("/proc/1/ns/net") {
        if init.dev() == ours.dev() && init.ino() == ours.ino() {
            return true;
        }
    }
    match std::fs::read_to_string("/proc/thread-self/net/dev") {
        Ok(dev) => dev
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(str::trim)
            .any(|name| name != "lo" && name != TUN_NAME),
        Err(_) => true,
    }
}

/// Leaves the host namespace for a new, empty one, writes the sysctls and
/// creates the TUN. Must run on a thread that is dedicated to the namespace.
fn enter_private_netns() -> Result<Net, NetnsError> {
    check_tun_device()?;
    unshare(CloneFlags::CLONE_NEWNET).map_err(NetnsError::Unshare)?;
    let missing_sysctls = write_sysctls()?;
    let tun = create_tun()?;
    Ok(Net {
        tun,
        kernel_ip: KERNEL_IP,
        local_ip: LOCAL_IP,
        missing_sysctls,
    })
}

/// Runs `f` on a new thread inside a new private network namespace with the
/// TUN device set up, and returns what it returns.
///
/// Sockets `f` creates (and threads it spawns) live in that namespace; when
/// `f` returns and the thread ends, the namespace and everything in it go
/// away. A panic in `f` is propagated to the caller.
pub fn in_private_netns<T, F>(f: F) -> Result<T, NetnsError>
where
    F: FnOnce(Net) -> T + Send + 'static,
    T: Send + 'static,
{
    // Probe the device before spawning so the common "no TUN" case is cheap.
    check_tun_device()?;
    let handle = std::thread::Builder::new()
        .name("synfin-netns".into())
        .spawn(move || enter_private_netns().map(f))
        .map_err(NetnsError::Thread)?;
    match handle.join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Whether [`REQUIRE_ENV`] is set to `1`: kernel tests must not skip.
pub fn netns_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// For tests: runs `f` in a private namespace, or skips.
///
/// If the namespace cannot be set up for want of a capability, prints
/// `SKIPPED <test>: <reason>` to stderr (past the test harness's capture) and
/// returns `false`, unless [`REQUIRE_ENV`]`=1` is set, in which case it
/// panics: CI must not pass by skipping. Any other setup failure panics.
/// Returns `true` when `f` ran.
pub fn run_or_skip<F>(test: &str, f: F) -> bool
where
    F: FnOnce(Net) + Send + 'static,
{
    match in_private_netns(f) {
        Ok(()) => true,
        Err(e) if e.is_missing_capability() && !netns_required() => {
            let _ = writeln!(io::stderr(), "SKIPPED {test}: {e}");
            false
        }
        Err(e) if e.is_missing_capability() => {
            panic!("{test}: {e} ({REQUIRE_ENV}=1 is set, so a missing capability is a failure)")
        }
        Err(e) => panic!("{test}: setting up the private network namespace failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_capabilities_are_classified() {
        assert!(NetnsError::NoTunDevice.is_missing_capability());
        assert!(NetnsError::Unshare(Errno::EPERM).is_missing_capability());
        assert!(NetnsError::Tun(io::Error::from_raw_os_error(libc_eperm())).is_missing_capability());
        assert!(!NetnsError::HostNamespace.is_missing_capability());
        assert!(
            !NetnsError::Tun(io::Error::from_raw_os_error(Errno::EBUSY as i32))
                .is_missing_capability()
        );
    }

    fn libc_eperm() -> i32 {
        Errno::EPERM as i32
    }

    #[test]
    fn messages_name_what_is_missing() {
        assert!(NetnsError::NoTunDevice.to_string().contains("/dev/net/tun"));
        let m = NetnsError::Unshare(Errno::EPERM).to_string();
        assert!(m.contains("CAP_SYS_ADMIN") && m.contains("unshare"), "{m}");
        let m = NetnsError::Tun(io::Error::from_raw_os_error(Errno::EPERM as i32)).to_string();
        assert!(
            m.contains("CAP_NET_ADMIN") && m.contains("TUNSETIFF"),
            "{m}"
        );
        let m = NetnsError::Tun(io::Error::from_raw_os_error(Errno::EBUSY as i32)).to_string();
        assert!(m.contains("already exists"), "{m}");
    }

    #[test]
    fn disable_ipv6_is_written_before_anything_else() {
        assert_eq!(SYSCTLS[0].key, "ipv6/conf/default/disable_ipv6");
    }
}
