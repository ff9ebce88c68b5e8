//! The errno values scripts name, with Linux's numbers (what `SO_ERROR`
//! reads) and texts.

/// One errno a system call can fail with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    /// Bad file descriptor.
    Ebadf,
    /// Resource temporarily unavailable (also `EWOULDBLOCK`).
    Eagain,
    /// Invalid argument.
    Einval,
    /// Broken pipe.
    Epipe,
    /// Operation not supported.
    Eopnotsupp,
    /// Address already in use.
    Eaddrinuse,
    /// Cannot assign requested address.
    Eaddrnotavail,
    /// Software caused connection abort.
    Econnaborted,
    /// Connection reset by peer.
    Econnreset,
    /// Transport endpoint is already connected.
    Eisconn,
    /// Transport endpoint is not connected.
    Enotconn,
    /// Connection timed out.
    Etimedout,
    /// Connection refused.
    Econnrefused,
    /// Operation already in progress.
    Ealready,
    /// Operation now in progress.
    Einprogress,
}

const ALL: [(Errno, &str, i32, &str); 15] = [
    (Errno::Ebadf, "EBADF", 9, "Bad file descriptor"),
    (
        Errno::Eagain,
        "EAGAIN",
        11,
        "Resource temporarily unavailable",
    ),
    (Errno::Einval, "EINVAL", 22, "Invalid argument"),
    (Errno::Epipe, "EPIPE", 32, "Broken pipe"),
    (
        Errno::Eopnotsupp,
        "EOPNOTSUPP",
        95,
        "Operation not supported",
    ),
    (
        Errno::Eaddrinuse,
        "EADDRINUSE",
        98,
        "Address already in use",
    ),
    (
        Errno::Eaddrnotavail,
        "EADDRNOTAVAIL",
        99,
        "Cannot assign requested address",
    ),
    (
        Errno::Econnaborted,
        "ECONNABORTED",
        103,
        "Software caused connection abort",
    ),
    (
        Errno::Econnreset,
        "ECONNRESET",
        104,
        "Connection reset by peer",
    ),
    (
        Errno::Eisconn,
        "EISCONN",
        106,
        "Transport endpoint is already connected",
    ),
    (
        Errno::Enotconn,
        "ENOTCONN",
        107,
        "Transport endpoint is not connected",
    ),
    (Errno::Etimedout, "ETIMEDOUT", 110, "Connection timed out"),
    (
        Errno::Econnrefused,
        "ECONNREFUSED",
        111,
        "Connection refused",
    ),
    (
        Errno::Ealready,
        "EALREADY",
        114,
        "Operation already in progress",
    ),
    (
        Errno::Einprogress,
        "EINPROGRESS",
        115,
        "Operation now in progress",
    ),
];

impl Errno {
    /// The errno named `name` (`EWOULDBLOCK` is `EAGAIN`).
    pub fn from_name(name: &str) -> Option<Errno> {
        let name = if name == "EWOULDBLOCK" {
            "EAGAIN"
        } else {
            name
        };
        ALL.iter().find(|e| e.1 == name).map(|e| e.0)
    }

    /// The errno numbered `n` on Linux.
    pub fn from_number(n: i32) -> Option<Errno> {
        ALL.iter().find(|e| e.2 == n).map(|e| e.0)
    }

    fn row(self) -> &'static (Errno, &'static str, i32, &'static str) {
        ALL.iter()
            .find(|e| e.0 == self)
            .expect("every errno has a row")
    }

    /// `ECONNREFUSED`.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// Linux's number.
    pub fn number(self) -> i32 {
        self.row().2
    }

    /// `Connection refused`.
    pub fn text(self) -> &'static str {
        self.row().3
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.text())
    }
}
