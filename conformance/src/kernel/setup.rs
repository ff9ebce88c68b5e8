//! Why the kernel could not be set up as a target.

use synfin_linux::sys::netns::NetnsError;

/// Why the kernel could not be set up as a target.
#[derive(Debug)]
pub enum SetupError {
    /// The namespace or TUN device (see [`NetnsError`]).
    Netns(NetnsError),
    /// Inside the namespace: sock_diag, the device, or iproute2.
    Io(std::io::Error),
}

impl SetupError {
    /// Whether the machine or the user lacks something (a reason to skip).
    pub fn is_missing_capability(&self) -> bool {
        match self {
            SetupError::Netns(e) => e.is_missing_capability(),
            SetupError::Io(e) => matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ),
        }
    }
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Netns(e) => write!(f, "{e}"),
            SetupError::Io(e) => write!(f, "setting up the kernel target failed: {e}"),
        }
    }
}

impl std::error::Error for SetupError {}
