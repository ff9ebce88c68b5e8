//! RFC requirements the model abstracts away, checked on synfin-tcp's wire.
//!
//! The model's traces cannot see some behaviour of a real TCP:
//! - its window never closes and it has no MSS option, no PSH and no RTT;
//! - it turns off the RFC 5961 rate limit and RFC 9293 MAY-2;
//! - its schedules never make some user calls or carry some segments
//!   (SEND before ESTABLISHED, a SYN,ACK with a FIN, a segment that straddles
//!   the window edge...).
//!
//! Each test here checks one such requirement, in the style of packetdrill.
//! The test plays the peer: it writes segments to a
//! [`Connection`](synfin_tcp::conn::Connection), reads back what comes out,
//! and moves virtual time. It names the RFC clause it checks.
//!
//! `conformance/scripts/mutants.sh` runs this suite together with the replayed
//! traces. The README's "Suite strength" section maps each requirement to the
//! mutants it kills.

mod peer;

mod blind;
mod rto;
mod segments;
mod user;
mod window;
