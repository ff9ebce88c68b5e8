//! synfin-model: a stateright model of TCP connection management.
