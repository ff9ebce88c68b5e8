//! [`Quad`]: a connection's 4-tuple, packed, the key of the endpoint's
//! tables.

use std::net::{Ipv4Addr, SocketAddrV4};

/// A 4-tuple, packed: 12 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Quad {
    pub(super) local_ip: u32,
    pub(super) remote_ip: u32,
    pub(super) local_port: u16,
    pub(super) remote_port: u16,
}

impl std::hash::Hash for Quad {
    /// Two writes instead of four: the tables hash on every segment.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.local_ip) << 32 | u64::from(self.remote_ip));
        state.write_u32(u32::from(self.local_port) << 16 | u32::from(self.remote_port));
    }
}

impl Quad {
    pub(super) fn new(local: SocketAddrV4, remote: SocketAddrV4) -> Quad {
        Quad {
            local_ip: u32::from(*local.ip()),
            remote_ip: u32::from(*remote.ip()),
            local_port: local.port(),
            remote_port: remote.port(),
        }
    }

    pub(super) fn local(self) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(self.local_ip), self.local_port)
    }

    pub(super) fn remote(self) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(self.remote_ip), self.remote_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_wait_entry_is_compact() {
        assert_eq!(std::mem::size_of::<Quad>(), 12);
    }
}
