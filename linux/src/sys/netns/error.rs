//! Why a kernel peer could not be set up.

use std::fmt;
use std::io;

use nix::errno::Errno;

use super::{KERNEL_IP, PREFIX_LEN, TUN_NAME};

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
}
