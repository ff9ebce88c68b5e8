//! A private network namespace with a TUN device, where the Linux kernel is
//! the TCP peer of synfin-tcp: a userspace program that reads and writes
//! IPv4 packets on a TUN device completes handshakes with the kernel's TCP,
//! and everything stays inside a namespace that goes away with its thread.
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

mod error;
mod sysctl;

use std::fmt;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::Path;

use nix::sched::{unshare, CloneFlags};

pub use error::NetnsError;
pub use sysctl::{Sysctl, SYSCTLS};

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
    let missing_sysctls = sysctl::write_all()?;
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
    let missing_sysctls = sysctl::write_all()?;
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
