//! [`Listener`]: a passive OPEN, with its backlog and accept queue, and
//! [`Listeners`], the endpoint's table of them.

use std::collections::VecDeque;
use std::net::SocketAddrV4;

use super::handle::ConnHandle;

/// A passive OPEN.
#[derive(Debug, Default)]
pub(super) struct Listener {
    /// Children in SYN-RECEIVED.
    pub(super) half_open: usize,
    /// Children that reached ESTABLISHED, waiting for [`Endpoint::accept`](super::Endpoint::accept).
    pub(super) accept_queue: VecDeque<ConnHandle>,
}

/// The listeners, by local socket. A host has few, and looking one up is
/// on the path of every SYN and every `accept`: a linear scan beats
/// hashing, and the application, not the network, decides how many.
#[derive(Debug, Default)]
pub(super) struct Listeners(Vec<(SocketAddrV4, Listener)>);

impl Listeners {
    pub(super) fn get(&self, k: &SocketAddrV4) -> Option<&Listener> {
        self.0.iter().find(|(a, _)| a == k).map(|(_, l)| l)
    }
    pub(super) fn get_mut(&mut self, k: &SocketAddrV4) -> Option<&mut Listener> {
        self.0.iter_mut().find(|(a, _)| a == k).map(|(_, l)| l)
    }
    pub(super) fn contains_key(&self, k: &SocketAddrV4) -> bool {
        self.0.iter().any(|(a, _)| a == k)
    }
    pub(super) fn insert(&mut self, k: SocketAddrV4, l: Listener) {
        self.0.push((k, l));
    }
    pub(super) fn remove(&mut self, k: &SocketAddrV4) -> Option<Listener> {
        let i = self.0.iter().position(|(a, _)| a == k)?;
        Some(self.0.swap_remove(i).1)
    }
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
    pub(super) fn capacity(&self) -> usize {
        self.0.capacity()
    }
    pub(super) fn keys(&self) -> impl Iterator<Item = SocketAddrV4> + '_ {
        self.0.iter().map(|(a, _)| *a)
    }
    pub(super) fn values(&self) -> impl Iterator<Item = &Listener> {
        self.0.iter().map(|(_, l)| l)
    }
}
