//! Packetdrill scripts, run against any [`SocketTarget`].
//!
//! [packetdrill](https://github.com/google/packetdrill) tests a kernel's TCP
//! with scripts of system calls and packets. This module runs the subset
//! that state-machine suites use against stacks packetdrill cannot drive:
//! [`parse`](parse::parse) reads a script into a typed [`Script`], and
//! [`run`](run::run) plays it on a target: synfin-tcp in memory on a virtual
//! clock ([`SynfinTcpSockets`]), or any other implementation of the trait.
//! The book's *Packetdrill scripts* chapter lists the subset.
//!
//! - [`lexer`]: a cursor over one line;
//! - [`mod@parse`]: text to [`Script`], with file:line:column errors;
//! - [`script`]: the typed script (events, times, system calls, packets,
//!   options);
//! - [`errno`]: the errno names scripts use;
//! - [`segment`]: a whole segment, to and from an IPv4 packet;
//! - [`target`]: what a script needs from a stack ([`SocketTarget`]);
//! - [`shell`]: the table of shell lines the interpreter maps;
//! - [`mod@run`]: the interpreter and its verdicts;
//! - [`synfin_tcp`]: synfin-tcp's endpoint behind a socket layer;
//! - [`smoltcp`]: smoltcp's sockets behind a socket layer;
//! - [`ExecSockets`]: an adapter speaking `synfin-exec/1`'s sockets
//!   extension (lwIP's, for one);
//! - `kernel` (Linux only): the kernel's sockets in a private namespace,
//!   behind a TUN device, on real time.

pub mod errno;
#[cfg(target_os = "linux")]
pub mod kernel;
pub mod lexer;
pub mod parse;
pub mod run;
pub mod script;
pub mod segment;
pub mod shell;
pub mod smoltcp;
pub mod synfin_tcp;
pub mod target;

pub use crate::target::exec::ExecSockets;
pub use parse::{parse, ParseError};
pub use run::{run, Outcome, Verdict};
pub use script::Script;
pub use smoltcp::SmoltcpSockets;
pub use synfin_tcp::SynfinTcpSockets;
pub use target::SocketTarget;

/// Exit status of `synfin-conform pkt run`: every script passed.
pub const EXIT_PASS: u8 = 0;
/// Exit status: a script failed (and none was malformed).
pub const EXIT_FAIL: u8 = 1;
/// Exit status: a script was malformed, or bad usage.
pub const EXIT_MALFORMED: u8 = 2;
/// Exit status: a script used something unsupported (and none failed or
/// was malformed).
pub const EXIT_UNSUPPORTED: u8 = 3;
