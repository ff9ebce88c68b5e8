//! Every limit of the core, with defaults taken from the RFCs.

use std::time::Duration;

/// What the retransmission timer does to the RTO when it expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backoff {
    /// RFC 6298 (5.5): "The host MUST set RTO <- RTO * 2 ("back off the
    /// timer")", capped by [`Config::rto_max`]. The default, and the only
    /// conforming choice.
    #[default]
    Doubling,
    /// The RTO stays as it is: a retransmission every RTO for as long as
    /// the retries last. Not RFC 6298: it exists so that a measurement can
    /// set one TCP that backs off against one that does not (the book's
    /// *What TIME-WAIT and backoff cost*).
    Constant,
}

/// Limits and protocol options for connections and the endpoint.
///
/// Two profiles: [`Config::rfc9293`] (the default: RFC 5961 and RFC 1337 on)
/// and [`Config::rfc793`] (legacy: both off). Fields are public so a driver
/// or a test can change one value from a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// RFC 6298 (2.1): the RTO before any RTT measurement. Default 1 s.
    pub rto_initial: Duration,
    /// RFC 6298 (2.4): a computed RTO below this is rounded up. Default 1 s.
    pub rto_min: Duration,
    /// RFC 6298 (2.5): the cap on the RTO, also under backoff. Default 60 s.
    pub rto_max: Duration,
    /// What a retransmission timeout does to the RTO. Default
    /// [`Backoff::Doubling`], which RFC 6298 (5.5) requires; the other
    /// choice exists to measure why.
    pub backoff: Backoff,
    /// RFC 6298 (5.7): the RTO used once data transmission begins if the
    /// SYN (or SYN,ACK) had to be retransmitted. Default 3 s.
    pub rto_syn_fallback: Duration,
    /// SYN and SYN,ACK retransmissions before giving up with `TimedOut`.
    /// Default 7: with RTO 1 s doubling to the 60 s cap, the SYN is resent
    /// at 1, 3, 7, 15, 31, 63 and 123 s and the open fails at 183 s, which
    /// meets RFC 9293 §3.8.3 MUST-23 (R2 for a SYN at least 3 minutes).
    pub syn_retries: u32,
    /// Data (and FIN) retransmissions before giving up (R2, RFC 9293
    /// §3.8.3, SHLD-11 asks for at least 100 s). Default 15, as Linux.
    pub max_retries: u32,
    /// The maximum segment lifetime (RFC 9293 §3.4.2): TIME-WAIT lasts
    /// 2·MSL (MUST-13). Default 2 minutes, the RFC's "engineering choice".
    pub msl: Duration,
    /// RFC 5961 blind-attack protection: exact-match RST, challenge ACK for
    /// in-window RSTs and for SYNs in synchronized states, ACK range check.
    pub rfc5961: bool,
    /// RFC 5961 §7: at most this many challenge ACKs per
    /// `challenge_ack_interval`, per connection. Default 10.
    pub challenge_ack_limit: u32,
    /// The interval of the challenge-ACK rate limit. Default 5 s.
    pub challenge_ack_interval: Duration,
    /// RFC 1337 fix F1: ignore RST in TIME-WAIT.
    pub rfc1337: bool,
    /// RFC 9293 §3.6.1 MAY-2: a SYN whose sequence number is above
    /// everything of the previous incarnation may reopen a connection that
    /// is in TIME-WAIT (needs a listener when used through the endpoint).
    pub time_wait_reopen: bool,
    /// Our MSS, sent on SYNs and used to size segments (RFC 9293 §3.7.1;
    /// 536 is the default for a peer that sends no MSS option).
    pub mss: u16,
    /// The receive window (no window scaling): bytes held for the
    /// application. What is advertised is this minus what is unread.
    pub rcv_wnd: u16,
    /// The most bytes SEND keeps queued (unacknowledged plus unsent).
    pub send_buffer: usize,
    /// The most connections per listener in SYN-RECEIVED; beyond it a new
    /// SYN is dropped, so a SYN flood cannot grow memory without bound.
    pub backlog: usize,
    /// The first port of the ephemeral range (IANA: 49152).
    pub ephemeral_port_min: u16,
    /// The last port of the ephemeral range (IANA: 65535).
    pub ephemeral_port_max: u16,
}

impl Config {
    /// RFC 9293 with RFC 5961 and RFC 1337 (F1) on: the default profile.
    pub const fn rfc9293() -> Config {
        Config {
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_secs(1),
            rto_max: Duration::from_secs(60),
            backoff: Backoff::Doubling,
            rto_syn_fallback: Duration::from_secs(3),
            syn_retries: 7,
            max_retries: 15,
            msl: Duration::from_secs(120),
            rfc5961: true,
            challenge_ack_limit: 10,
            challenge_ack_interval: Duration::from_secs(5),
            rfc1337: true,
            time_wait_reopen: false,
            mss: 1460,
            rcv_wnd: 65535,
            send_buffer: 256 * 1024,
            backlog: 128,
            ephemeral_port_min: 49152,
            ephemeral_port_max: 65535,
        }
    }

    /// The legacy RFC 793 behaviour: no RFC 5961 checks (an in-window RST or
    /// SYN resets the connection) and RST accepted in TIME-WAIT.
    pub const fn rfc793() -> Config {
        let mut c = Config::rfc9293();
        c.rfc5961 = false;
        c.rfc1337 = false;
        c
    }

    /// 2·MSL, the TIME-WAIT duration.
    pub fn time_wait(&self) -> Duration {
        self.msl.saturating_mul(2)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::rfc9293()
    }
}
