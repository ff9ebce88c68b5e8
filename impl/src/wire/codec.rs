//! Bytes to [`Segment`] and back: one IPv4 datagram carrying one TCP segment.
//!
//! etherparse reads and writes the headers and options and computes the
//! checksums; this module decides what is acceptable. Parsing never panics:
//! every input either yields a `Segment` or a [`WireError`].

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

use etherparse::checksum::Sum16BitWords;
use etherparse::err::tcp::{HeaderError as TcpHeaderError, HeaderSliceError as TcpSliceError};
use etherparse::{
    IpNumber, Ipv4Header, Ipv4HeaderSlice, TcpHeader, TcpOptionElement, TcpOptionReadError,
    TcpOptions, TcpOptionsIterator, TcpSlice,
};

use super::segment::{Flags, Segment};
use crate::seq::SeqNum;

/// Why a packet could not be parsed, or a segment could not be emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireError {
    /// Fewer bytes than the IPv4 header, the IPv4 total length or the
    /// minimal TCP header require.
    Truncated,
    /// The IP version nibble is not 4.
    NotIpv4 {
        /// The version found.
        version: u8,
    },
    /// The IPv4 header length (IHL) is below 5 words, or the total length is
    /// smaller than the header (RFC 791 §3.1).
    BadIpHeaderLen,
    /// The IPv4 header checksum does not verify (RFC 791 §3.1).
    BadIpChecksum,
    /// The datagram is a fragment (MF set or a non-zero fragment offset).
    /// We do not reassemble: we always send with DF, and so do the peers we
    /// talk to.
    Fragmented,
    /// The IPv4 payload is not TCP.
    NotTcp {
        /// The IP protocol number found.
        protocol: u8,
    },
    /// The TCP data offset is below 5 words or points past the end of the
    /// segment (RFC 9293 §3.1).
    BadDataOffset,
    /// The TCP checksum over the pseudo-header, header and text does not
    /// verify (RFC 9293 §3.1, MUST-2/MUST-3).
    BadTcpChecksum,
    /// A TCP option is malformed: an illegal length (zero, one, past the end
    /// of the options) or a known kind with the wrong size. RFC 9293 §3.1
    /// (MUST-7) only asks that we not crash; we drop the segment.
    BadOptions,
    /// On emit: the payload does not fit into one IPv4 datagram.
    TooLarge {
        /// The payload length asked for.
        len: usize,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated => f.write_str("packet truncated"),
            WireError::NotIpv4 { version } => write!(f, "not IPv4 (version {version})"),
            WireError::BadIpHeaderLen => f.write_str("bad IPv4 header or total length"),
            WireError::BadIpChecksum => f.write_str("bad IPv4 header checksum"),
            WireError::Fragmented => f.write_str("IPv4 fragment"),
            WireError::NotTcp { protocol } => write!(f, "not TCP (IP protocol {protocol})"),
            WireError::BadDataOffset => f.write_str("bad TCP data offset"),
            WireError::BadTcpChecksum => f.write_str("bad TCP checksum"),
            WireError::BadOptions => f.write_str("malformed TCP options"),
            WireError::TooLarge { len } => {
                write!(f, "payload of {len} bytes does not fit in an IPv4 datagram")
            }
        }
    }
}

impl std::error::Error for WireError {}

/// Time to live of emitted datagrams (RFC 1122 §3.2.1.7 recommends 64).
pub const TTL: u8 = 64;

/// Bytes of the IPv4 and TCP headers (with the MSS option) that `emit`
/// writes in front of the payload, at most.
const MAX_HEADERS: usize = Ipv4Header::MIN_LEN + TcpHeader::MIN_LEN + 4;

/// The largest payload [`Segment::emit`] accepts: an IPv4 datagram is at
/// most 65535 bytes, headers (with the MSS option) included.
pub const MAX_PAYLOAD: usize = u16::MAX as usize - MAX_HEADERS;

impl Segment {
    /// Parses one IPv4 datagram carrying a TCP segment.
    ///
    /// Checks, in order: IPv4 version and lengths, the IPv4 header checksum,
    /// fragmentation, the protocol number, the TCP data offset, the TCP
    /// checksum and the TCP options. IPv4 options are skipped. Bytes after
    /// the IPv4 total length (link-layer padding) are ignored. Of the TCP
    /// options only MSS is kept (the first one, if repeated); other options,
    /// known or not, are skipped by their length field (RFC 9293 §3.1,
    /// MUST-68). The urgent pointer, the NS bit and the reserved bits are
    /// dropped.
    ///
    /// Never panics.
    pub fn parse(bytes: &[u8]) -> Result<Segment, WireError> {
        let ip = parse_ipv4(bytes)?;
        let header = ip.header;
        let src_ip = header.source();
        let dst_ip = header.destination();

        if ip.payload.len() < TcpHeader::MIN_LEN {
            return Err(WireError::Truncated);
        }
        let tcp = TcpSlice::from_slice(ip.payload).map_err(|e| match e {
            // Only reachable past the 20 bytes checked above: the data
            // offset claims more than the IPv4 total length holds.
            TcpSliceError::Len(_) => WireError::BadDataOffset,
            TcpSliceError::Content(TcpHeaderError::DataOffsetTooSmall { .. }) => {
                WireError::BadDataOffset
            }
        })?;

        // etherparse does not verify the TCP checksum when slicing.
        let computed = tcp
            .calc_checksum_ipv4(src_ip, dst_ip)
            .map_err(|_| WireError::BadTcpChecksum)?;
        if !ones_complement_eq(computed, tcp.checksum()) {
            return Err(WireError::BadTcpChecksum);
        }

        let mss = parse_options(tcp.options())?;

        Ok(Segment {
            src: SocketAddrV4::new(Ipv4Addr::from(src_ip), tcp.source_port()),
            dst: SocketAddrV4::new(Ipv4Addr::from(dst_ip), tcp.destination_port()),
            seq: SeqNum(tcp.sequence_number()),
            ack: SeqNum(tcp.acknowledgment_number()),
            flags: flags_of(&tcp),
            window: tcp.window_size(),
            mss,
            payload: tcp.payload().to_vec(),
        })
    }

    /// The IPv4 datagram carrying this segment, as bytes.
    ///
    /// IPv4: no options, TTL 64, DF set, identification 0 (allowed for
    /// atomic datagrams, RFC 6864 §4.1), correct header checksum. TCP: every
    /// flag as given, the acknowledgment field written even without ACK (so
    /// odd segments round-trip), urgent pointer 0, the MSS option if
    /// `mss` is set, correct checksum.
    ///
    /// # Panics
    ///
    /// If the payload is longer than [`MAX_PAYLOAD`]; use
    /// [`Segment::try_emit`] to get an error instead.
    pub fn emit(&self) -> Vec<u8> {
        match self.try_emit() {
            Ok(bytes) => bytes,
            Err(e) => panic!("Segment::emit: {e}"),
        }
    }

    /// Like [`Segment::emit`], but returns [`WireError::TooLarge`] instead of
    /// panicking on an oversized payload.
    pub fn try_emit(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        self.emit_into(&mut out)?;
        Ok(out)
    }

    /// Appends the IPv4 datagram carrying this segment to `out`; see
    /// [`Segment::emit`]. On error `out` is left unchanged.
    pub fn emit_into(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let too_large = WireError::TooLarge {
            len: self.payload.len(),
        };
        if self.payload.len() > MAX_PAYLOAD {
            return Err(too_large);
        }

        let mut tcp = TcpHeader::new(self.src.port(), self.dst.port(), self.seq.0, self.window);
        tcp.acknowledgment_number = self.ack.0;
        let f = self.flags;
        tcp.fin = f.contains(Flags::FIN);
        tcp.syn = f.contains(Flags::SYN);
        tcp.rst = f.contains(Flags::RST);
        tcp.psh = f.contains(Flags::PSH);
        tcp.ack = f.contains(Flags::ACK);
        tcp.urg = f.contains(Flags::URG);
        tcp.ece = f.contains(Flags::ECE);
        tcp.cwr = f.contains(Flags::CWR);
        if let Some(mss) = self.mss {
            // Four bytes, already a multiple of 4: no padding needed.
            tcp.options =
                TcpOptions::try_from_elements(&[TcpOptionElement::MaximumSegmentSize(mss)])
                    .map_err(|_| too_large)?;
        }

        let tcp_len = tcp.header_len() + self.payload.len();
        let tcp_len = u16::try_from(tcp_len).map_err(|_| too_large)?;
        let mut ip = Ipv4Header::new(
            tcp_len,
            TTL,
            IpNumber::TCP,
            self.src.ip().octets(),
            self.dst.ip().octets(),
        )
        .map_err(|_| too_large)?;
        ip.header_checksum = ip.calc_header_checksum();
        tcp.checksum = tcp
            .calc_checksum_ipv4(&ip, &self.payload)
            .map_err(|_| too_large)?;

        out.reserve(ip.header_len() + usize::from(tcp_len));
        out.extend_from_slice(&ip.to_bytes());
        out.extend_from_slice(&tcp.to_bytes());
        out.extend_from_slice(&self.payload);
        Ok(())
    }
}

/// A checked IPv4 datagram: its header and its payload, cut to the total
/// length.
struct Ipv4<'a> {
    header: Ipv4HeaderSlice<'a>,
    payload: &'a [u8],
}

fn parse_ipv4(bytes: &[u8]) -> Result<Ipv4<'_>, WireError> {
    use etherparse::err::ipv4::{HeaderError, HeaderSliceError};

    // Look at the version before the length, so that a short IPv6 packet
    // is reported as not IPv4 rather than truncated.
    match bytes.first() {
        None => return Err(WireError::Truncated),
        Some(b) if b >> 4 != 4 => return Err(WireError::NotIpv4 { version: b >> 4 }),
        Some(_) => {}
    }
    let header = Ipv4HeaderSlice::from_slice(bytes).map_err(|e| match e {
        HeaderSliceError::Len(_) => WireError::Truncated,
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { version_number }) => {
            WireError::NotIpv4 {
                version: version_number,
            }
        }
        HeaderSliceError::Content(HeaderError::HeaderLengthSmallerThanHeader { .. }) => {
            WireError::BadIpHeaderLen
        }
    })?;
    let header_len = header.slice().len();
    let total_len = usize::from(header.total_len());
    if total_len < header_len {
        return Err(WireError::BadIpHeaderLen);
    }
    let Some(datagram) = bytes.get(..total_len) else {
        return Err(WireError::Truncated);
    };

    // Summing the whole header, checksum field included, gives 0xFFFF
    // (negative zero) for an intact header (RFC 1071 §1).
    if Sum16BitWords::new()
        .add_slice(header.slice())
        .ones_complement()
        != 0
    {
        return Err(WireError::BadIpChecksum);
    }
    if header.is_fragmenting_payload() {
        return Err(WireError::Fragmented);
    }
    let protocol = header.protocol();
    if protocol != IpNumber::TCP {
        return Err(WireError::NotTcp {
            protocol: protocol.0,
        });
    }
    Ok(Ipv4 {
        header,
        payload: datagram.get(header_len..).unwrap_or_default(),
    })
}

/// Whether two checksums are equal in one's complement arithmetic, where
/// 0x0000 and 0xFFFF are both zero: a sender may write either when the sum
/// comes out as zero (RFC 1624 §3).
fn ones_complement_eq(a: u16, b: u16) -> bool {
    a == b || (a == 0 || a == 0xFFFF) && (b == 0 || b == 0xFFFF)
}

fn flags_of(tcp: &TcpSlice<'_>) -> Flags {
    let mut f = Flags::NONE;
    for (set, flag) in [
        (tcp.fin(), Flags::FIN),
        (tcp.syn(), Flags::SYN),
        (tcp.rst(), Flags::RST),
        (tcp.psh(), Flags::PSH),
        (tcp.ack(), Flags::ACK),
        (tcp.urg(), Flags::URG),
        (tcp.ece(), Flags::ECE),
        (tcp.cwr(), Flags::CWR),
    ] {
        if set {
            f |= flag;
        }
    }
    f
}

/// Walks the TCP options and returns the first MSS.
///
/// etherparse decodes the kinds it knows and stops at the first unknown
/// one; we then skip that option by its length byte ourselves and carry on
/// with the rest (RFC 9293 §3.1: every option but EOL and NOP has a length,
/// and unknown options MUST be ignored, MUST-68).
fn parse_options(mut options: &[u8]) -> Result<Option<u16>, WireError> {
    let mut mss = None;
    loop {
        let mut it = TcpOptionsIterator::from_slice(options);
        loop {
            match it.next() {
                // End of option list (kind 0) or of the options area.
                None => return Ok(mss),
                Some(Ok(TcpOptionElement::MaximumSegmentSize(m))) => {
                    mss.get_or_insert(m);
                }
                Some(Ok(_)) => {}
                Some(Err(TcpOptionReadError::UnknownId(_))) => break,
                Some(Err(_)) => return Err(WireError::BadOptions),
            }
            options = it.rest();
        }
        // `options` starts at the unknown option: kind, length, data.
        let len = match options.get(1) {
            Some(&len) if len >= 2 && usize::from(len) <= options.len() => usize::from(len),
            _ => return Err(WireError::BadOptions),
        };
        options = &options[len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ones_complement_zero_has_two_spellings() {
        assert!(ones_complement_eq(0, 0xFFFF));
        assert!(ones_complement_eq(0xFFFF, 0));
        assert!(ones_complement_eq(0x1234, 0x1234));
        assert!(!ones_complement_eq(0x1234, 0x1235));
    }

    #[test]
    fn unknown_options_are_skipped_by_length() {
        // NOP, unknown kind 30 (len 4), MSS 1460, EOL, junk after EOL.
        let opts = [1, 30, 4, 0xAA, 0xBB, 2, 4, 0x05, 0xB4, 0, 99, 99];
        assert_eq!(parse_options(&opts), Ok(Some(1460)));
    }

    #[test]
    fn first_mss_wins() {
        let opts = [2, 4, 0x01, 0x00, 2, 4, 0x02, 0x00];
        assert_eq!(parse_options(&opts), Ok(Some(256)));
    }

    #[test]
    fn illegal_option_lengths_are_rejected() {
        for opts in [
            &[30u8, 0][..],
            &[30, 1],
            &[30, 9, 0, 0],
            &[30],
            &[2, 3, 0, 0],
        ] {
            assert_eq!(parse_options(opts), Err(WireError::BadOptions), "{opts:?}");
        }
    }
}
