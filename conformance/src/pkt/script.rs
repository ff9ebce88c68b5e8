//! A packetdrill script as types: header options, then one event per line,
//! each with its time.
//!
//! The parser ([`mod@super::parse`]) builds these; the interpreter
//! ([`mod@super::run`]) reads only these, never text.

use std::fmt;

/// One parsed script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The file it came from, as given (for messages).
    pub file: String,
    /// `--tolerance_usecs=N`: how far from its time an outbound packet may
    /// be sent. packetdrill's default is 4000 µs.
    pub tolerance_usecs: u64,
    /// The events, in script order.
    pub events: Vec<Event>,
    /// Lines of the file (for the lines/s figure).
    pub lines: usize,
}

/// The default `--tolerance_usecs`, packetdrill's.
pub const DEFAULT_TOLERANCE_USECS: u64 = 4_000;

/// One line of the script that does something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// 1-based line number.
    pub line: usize,
    /// When it happens.
    pub time: Time,
    /// What happens.
    pub kind: EventKind,
}

/// A point on the script's clock: seconds since the script's start
/// (absolute) or since the previous event (`+`), in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    /// `0.100`
    Absolute(u64),
    /// `+0.1`
    Relative(u64),
}

/// An event's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Time {
    /// `0.1`, `+0.1`.
    At(Point),
    /// `0.1~0.2`, `+0~+0.1`: any time in the range (an outbound packet),
    /// or its start (anything else).
    Range(Point, Point),
    /// `0.1...0.2`: a blocking system call that starts at the first point
    /// and returns at the second.
    Blocking(Point, Point),
    /// `*`: any time.
    Any,
}

/// What one event does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `< ...`: the script's peer sends this segment to the stack.
    Inbound(Packet),
    /// `> ...`: the stack must send this segment.
    Outbound(Packet),
    /// A system call and what it must return.
    Syscall(Syscall),
    /// A command in backticks (never executed; see [`super::shell`]).
    Shell(String),
    /// Something the dialect has that this interpreter does not (a python
    /// block, an unknown system call, a packet option it does not know):
    /// the script's verdict is "unsupported" at this line.
    Unsupported(String),
}

/// A TCP segment as a script line gives it. Sequence numbers are relative:
/// the sender's from its own ISN, `ack` from the receiver's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The control bits, in TCP header order (bit 0 FIN … bit 7 CWR).
    pub flags: u8,
    /// The first sequence number (`start` of `start:end(len)`).
    pub seq: u32,
    /// `end` of `start:end(len)`.
    pub end: u32,
    /// Payload bytes (`len`).
    pub len: u32,
    /// `ack N`, if the line gives one.
    pub ack: Option<u32>,
    /// `win N`, if the line gives one.
    pub win: Option<u32>,
    /// The options, if the line gives them.
    pub options: Options,
}

/// The control bits, as in the TCP header.
pub mod flag {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK (written `.`).
    pub const ACK: u8 = 0x10;
    /// URG.
    pub const URG: u8 = 0x20;
    /// ECE.
    pub const ECE: u8 = 0x40;
    /// CWR (written `W`).
    pub const CWR: u8 = 0x80;
}

/// The flags as packetdrill writes them: `S`, `S.`, `F.`, `P.`, `R`, `.`.
pub fn flags_text(f: u8) -> String {
    let mut s = String::new();
    for (bit, c) in [
        (flag::SYN, 'S'),
        (flag::FIN, 'F'),
        (flag::RST, 'R'),
        (flag::PSH, 'P'),
        (flag::URG, 'U'),
        (flag::ECE, 'E'),
        (flag::CWR, 'W'),
        (flag::ACK, '.'),
    ] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// The options of a packet line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Options {
    /// The line has no `<...>`: an inbound packet carries none; an
    /// outbound one's are not compared.
    Unpinned,
    /// `<...>`: any options.
    Any,
    /// `<mss 1460,nop,wscale 7>`: exactly these, in this order.
    List(Vec<TcpOption>),
}

/// One TCP option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOption {
    /// `eol` (kind 0).
    Eol,
    /// `nop` (kind 1).
    Nop,
    /// `mss N` (kind 2).
    Mss(u16),
    /// `wscale N` (kind 3).
    WindowScale(u8),
    /// `sackOK` (kind 4).
    SackPermitted,
    /// `sack a:b c:d` (kind 5), relative to the receiver's ISN.
    Sack(Vec<(u32, u32)>),
    /// `TS val X ecr Y` (kind 8).
    Timestamp(u32, u32),
}

impl fmt::Display for TcpOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpOption::Eol => f.write_str("eol"),
            TcpOption::Nop => f.write_str("nop"),
            TcpOption::Mss(n) => write!(f, "mss {n}"),
            TcpOption::WindowScale(n) => write!(f, "wscale {n}"),
            TcpOption::SackPermitted => f.write_str("sackOK"),
            TcpOption::Sack(blocks) => {
                f.write_str("sack")?;
                for (a, b) in blocks {
                    write!(f, " {a}:{b}")?;
                }
                Ok(())
            }
            TcpOption::Timestamp(v, e) => write!(f, "TS val {v} ecr {e}"),
        }
    }
}

/// `<mss 1460,nop>` as a script writes it.
pub fn options_text(opts: &[TcpOption]) -> String {
    let v: Vec<String> = opts.iter().map(ToString::to_string).collect();
    format!("<{}>", v.join(","))
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}:{}({})",
            flags_text(self.flags),
            self.seq,
            self.end,
            self.len
        )?;
        if let Some(a) = self.ack {
            write!(f, " ack {a}")?;
        }
        if let Some(w) = self.win {
            write!(f, " win {w}")?;
        }
        match &self.options {
            Options::Unpinned => Ok(()),
            Options::Any => f.write_str(" <...>"),
            Options::List(l) => write!(f, " {}", options_text(l)),
        }
    }
}

/// A system call line: the call, and what it must return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syscall {
    /// The call with its arguments.
    pub call: Call,
    /// `= N`, or `= -1 ERRNO`.
    pub expect: Return,
}

/// What a system call must return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Return {
    /// `= N` (N ≥ 0).
    Value(i64),
    /// `= -1 ERRNO (text)`.
    Errno(String),
}

impl fmt::Display for Return {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Return::Value(v) => write!(f, "{v}"),
            Return::Errno(e) => write!(f, "-1 {e}"),
        }
    }
}

/// `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// `SHUT_RD`.
    Read,
    /// `SHUT_WR`.
    Write,
    /// `SHUT_RDWR`.
    Both,
}

/// A socket option a script sets or reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockOpt {
    /// `SO_REUSEADDR`, `[0|1]`.
    ReuseAddr(bool),
    /// `SO_LINGER`, `{onoff=N, linger=S}`.
    Linger {
        /// `onoff`.
        on: bool,
        /// `linger`, seconds.
        secs: u32,
    },
    /// `SO_RCVBUF`, `[N]`.
    RcvBuf(u32),
    /// `SO_ERROR`, `[errno]` (read only; 0 for none).
    Error(i32),
}

/// The name of a socket option, without a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockOptName {
    /// `SO_REUSEADDR`.
    ReuseAddr,
    /// `SO_LINGER`.
    Linger,
    /// `SO_RCVBUF`.
    RcvBuf,
    /// `SO_ERROR`.
    Error,
}

/// A system call with its arguments, as far as the interpreter needs them.
/// `fd` is the script's descriptor; addresses (`...`) are the harness's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `socket(..., SOCK_STREAM, IPPROTO_TCP)`.
    Socket,
    /// `fcntl(fd, F_GETFL)`.
    GetFl {
        /// The descriptor.
        fd: i64,
    },
    /// `fcntl(fd, F_SETFL, O_RDWR|O_NONBLOCK)`.
    SetFl {
        /// The descriptor.
        fd: i64,
        /// Whether `O_NONBLOCK` is in the flags.
        nonblocking: bool,
    },
    /// `setsockopt(fd, SOL_SOCKET, NAME, VALUE, LEN)`.
    SetSockOpt {
        /// The descriptor.
        fd: i64,
        /// The option and its value.
        opt: SockOpt,
    },
    /// `getsockopt(fd, SOL_SOCKET, NAME, [VALUE], [LEN])`: the value is
    /// what the call must read.
    GetSockOpt {
        /// The descriptor.
        fd: i64,
        /// The option and the value it must have.
        opt: SockOpt,
    },
    /// `bind(fd, ..., ...)`.
    Bind {
        /// The descriptor.
        fd: i64,
    },
    /// `listen(fd, backlog)`.
    Listen {
        /// The descriptor.
        fd: i64,
        /// The backlog.
        backlog: i64,
    },
    /// `accept(fd, ..., ...)`.
    Accept {
        /// The descriptor.
        fd: i64,
    },
    /// `connect(fd, ..., ...)`.
    Connect {
        /// The descriptor.
        fd: i64,
    },
    /// `write(fd, ..., N)` or `send(fd, ..., N, flags)`.
    Write {
        /// The descriptor.
        fd: i64,
        /// Bytes to write.
        len: usize,
    },
    /// `read(fd, ..., N)` or `recv(fd, ..., N, flags)`.
    Read {
        /// The descriptor.
        fd: i64,
        /// The most bytes to read.
        len: usize,
    },
    /// `shutdown(fd, SHUT_WR)`.
    Shutdown {
        /// The descriptor.
        fd: i64,
        /// Which way.
        how: Shutdown,
    },
    /// `close(fd)`.
    Close {
        /// The descriptor.
        fd: i64,
    },
}

impl Call {
    /// The call's name as a script writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Socket => "socket",
            Call::GetFl { .. } | Call::SetFl { .. } => "fcntl",
            Call::SetSockOpt { .. } => "setsockopt",
            Call::GetSockOpt { .. } => "getsockopt",
            Call::Bind { .. } => "bind",
            Call::Listen { .. } => "listen",
            Call::Accept { .. } => "accept",
            Call::Connect { .. } => "connect",
            Call::Write { .. } => "write",
            Call::Read { .. } => "read",
            Call::Shutdown { .. } => "shutdown",
            Call::Close { .. } => "close",
        }
    }
}
