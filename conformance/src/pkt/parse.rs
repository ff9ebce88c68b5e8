//! The parser: script text to a [`Script`].
//!
//! Malformed input is an error naming the file, the line and the column
//! ([`ParseError`]); something well formed that this interpreter does not
//! run (a python block, an unknown system call or option) becomes an
//! [`EventKind::Unsupported`] event, so the script's verdict is
//! "unsupported at line N" and the lines before it still run. Nothing here
//! panics, on any input (`conformance/tests/pkt.rs` feeds it random and
//! mutated lines).

use std::fmt;

use super::errno::Errno;
use super::lexer::{LexError, Lexer};
use super::script::{
    flag, Call, Event, EventKind, Options, Packet, Point, Return, Script, Shutdown, SockOpt,
    Syscall, TcpOption, Time, DEFAULT_TOLERANCE_USECS,
};

/// A malformed script: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: malformed: {}",
            self.file, self.line, self.col, self.msg
        )
    }
}

impl std::error::Error for ParseError {}

/// Why one line did not parse into an event.
enum LineError {
    Malformed(LexError),
    Unsupported(String),
}

impl From<LexError> for LineError {
    fn from(e: LexError) -> LineError {
        LineError::Malformed(e)
    }
}

type LineResult<T> = Result<T, LineError>;

/// Parses `text`, read from `file`.
///
/// # Errors
///
/// The first malformed line, with its line and column.
pub fn parse(file: &str, text: &str) -> Result<Script, ParseError> {
    let mut script = Script {
        file: file.to_string(),
        tolerance_usecs: DEFAULT_TOLERANCE_USECS,
        events: Vec::new(),
        lines: 0,
    };
    let lines: Vec<&str> = text.lines().collect();
    script.lines = lines.len();
    let mut in_comment = false;
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let line = strip_block_comments(lines[i], &mut in_comment);
        i += 1;
        let err = |e: LexError| ParseError {
            file: file.to_string(),
            line: number,
            col: e.col,
            msg: e.msg,
        };
        let mut lx = Lexer::new(&line);
        if lx.at_end() {
            continue;
        }
        if lx.looking_at("--") {
            match header_option(&mut lx, &mut script) {
                Ok(()) => {}
                Err(LineError::Malformed(e)) => return Err(err(e)),
                Err(LineError::Unsupported(what)) => script.events.push(Event {
                    line: number,
                    time: Time::Any,
                    kind: EventKind::Unsupported(what),
                }),
            }
            continue;
        }
        let time = time(&mut lx).map_err(err)?;
        lx.skip_ws();
        if lx.looking_at("%{") {
            // A python block, possibly over several lines: skipped to its
            // `}%`, and unsupported.
            let mut rest = lx.rest().to_string();
            while !rest.contains("}%") {
                let Some(next) = lines.get(i) else {
                    return Err(err(LexError {
                        col: lx.col(),
                        msg: "a python block `%{` is not closed with `}%`".into(),
                    }));
                };
                rest = (*next).to_string();
                i += 1;
            }
            script.events.push(Event {
                line: number,
                time,
                kind: EventKind::Unsupported("python blocks (`%{ ... }%`)".into()),
            });
            continue;
        }
        let kind = match event(&mut lx) {
            Ok(k) => k,
            Err(LineError::Malformed(e)) => return Err(err(e)),
            Err(LineError::Unsupported(what)) => EventKind::Unsupported(what),
        };
        script.events.push(Event {
            line: number,
            time,
            kind,
        });
    }
    if in_comment {
        return Err(ParseError {
            file: file.to_string(),
            line: lines.len(),
            col: 1,
            msg: "a `/*` comment is not closed".into(),
        });
    }
    Ok(script)
}

/// `line` with `/* ... */` replaced by blanks (columns stay), carrying an
/// open comment to the next line.
fn strip_block_comments(line: &str, in_comment: &mut bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_backticks = false;
    while let Some(c) = chars.next() {
        if *in_comment {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                *in_comment = false;
                out.push_str("  ");
            } else {
                out.push(' ');
            }
            continue;
        }
        if c == '`' {
            in_backticks = !in_backticks;
        }
        if !in_backticks && c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            *in_comment = true;
            out.push_str("  ");
            continue;
        }
        out.push(c);
    }
    out
}

/// `--tolerance_usecs=N`, `--ip_version=ipv4`; any other flag of the
/// tool is unsupported.
fn header_option(lx: &mut Lexer<'_>, script: &mut Script) -> LineResult<()> {
    lx.expect("--")?;
    let name = lx.expect_word("an option name")?;
    let value = if lx.eat("=") {
        lx.skip_ws();
        let v = lx.rest().trim_end();
        let v = v.split("//").next().unwrap_or("").trim_end();
        if v.is_empty() {
            return Err(lx.expected::<()>("a value").unwrap_err().into());
        }
        Some(v)
    } else {
        lx.end()?;
        None
    };
    match (name, value) {
        ("tolerance_usecs", Some(v)) => {
            let mut vx = Lexer::new(v);
            let col = lx.col();
            let n = vx.uint("a number of microseconds").map_err(|e| LexError {
                col: col + e.col - 1,
                msg: e.msg,
            })?;
            if !vx.at_end() {
                return Err(LexError {
                    col: col + vx.col() - 1,
                    msg: "expected a number of microseconds".into(),
                }
                .into());
            }
            script.tolerance_usecs = n;
            Ok(())
        }
        ("ip_version", Some("ipv4")) => Ok(()),
        ("ip_version", Some(v)) => Err(LineError::Unsupported(format!(
            "--ip_version={v} (only ipv4)"
        ))),
        (n, _) => Err(LineError::Unsupported(format!("the option --{n}"))),
    }
}

/// `*`, `0.1`, `+0.1`, `0.1~0.2`, `+0~+0.1`, `0.1...0.2`.
fn time(lx: &mut Lexer<'_>) -> Result<Time, LexError> {
    if lx.eat("*") {
        return Ok(Time::Any);
    }
    let a = point(lx)?;
    if lx.eat("~") {
        let b = point(lx)?;
        return Ok(Time::Range(a, b));
    }
    if lx.eat("...") {
        let b = point(lx)?;
        return Ok(Time::Blocking(a, b));
    }
    Ok(Time::At(a))
}

fn point(lx: &mut Lexer<'_>) -> Result<Point, LexError> {
    lx.skip_ws();
    if lx.eat("+") {
        Ok(Point::Relative(lx.seconds()?))
    } else if matches!(lx.peek(), Some(c) if c.is_ascii_digit() || c == '.') {
        Ok(Point::Absolute(lx.seconds()?))
    } else {
        lx.expected("a time (`0.1`, `+0.1`, `*`)")
    }
}

fn event(lx: &mut Lexer<'_>) -> LineResult<EventKind> {
    lx.skip_ws();
    if lx.eat("<") {
        let col = lx.col();
        let p = packet(lx)?;
        if p.options == Options::Any {
            return Err(LexError {
                col,
                msg: "an inbound packet needs its options spelt out, not `<...>`".into(),
            }
            .into());
        }
        return Ok(EventKind::Inbound(p));
    }
    if lx.eat(">") {
        return Ok(EventKind::Outbound(packet(lx)?));
    }
    if lx.eat("`") {
        let cmd = lx.until('`', "a shell command")?.trim().to_string();
        lx.end()?;
        return Ok(EventKind::Shell(cmd));
    }
    let col = lx.col();
    let Some(name) = lx.word() else {
        return Err(lx
            .expected::<()>("a packet (`<`, `>`), a system call or a `command`")
            .unwrap_err()
            .into());
    };
    syscall(lx, name, col)
}

// ---------------------------------------------------------------------
// Packets.

fn packet(lx: &mut Lexer<'_>) -> LineResult<Packet> {
    lx.skip_ws();
    let mut flags = 0u8;
    let flags_col = lx.col();
    while let Some(c) = lx.peek() {
        let bit = match c {
            'S' => flag::SYN,
            'F' => flag::FIN,
            'R' => flag::RST,
            'P' => flag::PSH,
            'U' => flag::URG,
            'E' => flag::ECE,
            'W' => flag::CWR,
            '.' => flag::ACK,
            _ => break,
        };
        if flags & bit != 0 {
            return Err(lx
                .error::<()>(format!("flag `{c}` twice"))
                .unwrap_err()
                .into());
        }
        flags |= bit;
        lx.bump();
    }
    if lx.col() == flags_col {
        return Err(lx
            .expected::<()>("TCP flags (`S`, `S.`, `.`, `F.`, `R`, `P.` ...)")
            .unwrap_err()
            .into());
    }
    if !matches!(lx.peek(), Some(' ' | '\t')) {
        return Err(lx
            .expected::<()>("a blank after the flags")
            .unwrap_err()
            .into());
    }
    let seq = lx.u32("a sequence number")?;
    lx.expect(":")?;
    let end = lx.u32("the end sequence number")?;
    lx.expect("(")?;
    let len_col = lx.col();
    let len = lx.u32("the payload length")?;
    lx.expect(")")?;
    if end.wrapping_sub(seq) != len {
        return Err(LexError {
            col: len_col,
            msg: format!(
                "{seq}:{end} spans {} bytes, not {len}",
                end.wrapping_sub(seq)
            ),
        }
        .into());
    }
    if len > 65_495 {
        return Err(LexError {
            col: len_col,
            msg: format!("{len} bytes do not fit in one IPv4 packet"),
        }
        .into());
    }
    let mut p = Packet {
        flags,
        seq,
        end,
        len,
        ack: None,
        win: None,
        options: Options::Unpinned,
    };
    loop {
        if lx.at_end() {
            return Ok(p);
        }
        if lx.eat("<") {
            p.options = options(lx)?;
            lx.end()?;
            return Ok(p);
        }
        let col = lx.col();
        match lx.word() {
            Some("ack") if p.ack.is_none() => p.ack = Some(lx.u32("an acknowledgment number")?),
            Some("win") if p.win.is_none() => {
                let w = lx.u32("a window")?;
                if w > 0xFFFF {
                    return Err(LexError {
                        col,
                        msg: format!("window {w} does not fit the 16-bit field"),
                    }
                    .into());
                }
                p.win = Some(w);
            }
            Some(w @ ("urg" | "ecn" | "tos" | "flowlabel" | "ttl")) => {
                return Err(LineError::Unsupported(format!("`{w}` on a packet line")))
            }
            _ => {
                return Err(LexError {
                    col,
                    msg: "expected `ack N`, `win N`, `<options>` or the end of the line".into(),
                }
                .into())
            }
        }
    }
}

/// After `<`: `...>` or `opt,opt,...>`.
fn options(lx: &mut Lexer<'_>) -> LineResult<Options> {
    if lx.eat("...") {
        lx.expect(">")?;
        return Ok(Options::Any);
    }
    let mut list = Vec::new();
    if lx.eat(">") {
        return Ok(Options::List(list));
    }
    loop {
        let col = lx.col();
        let name = lx.expect_word("a TCP option (mss, nop, wscale, sackOK, sack, TS, eol)")?;
        let opt = match name {
            "eol" => TcpOption::Eol,
            "nop" => TcpOption::Nop,
            "mss" => {
                let n = lx.u32("an MSS")?;
                TcpOption::Mss(u16::try_from(n).map_err(|_| LexError {
                    col,
                    msg: format!("MSS {n} does not fit in 16 bits"),
                })?)
            }
            "wscale" => {
                let n = lx.u32("a window scale")?;
                TcpOption::WindowScale(u8::try_from(n).map_err(|_| LexError {
                    col,
                    msg: format!("window scale {n} does not fit in 8 bits"),
                })?)
            }
            "sackOK" => TcpOption::SackPermitted,
            "sack" => {
                let mut blocks = Vec::new();
                while matches!({ lx.skip_ws(); lx.peek() }, Some(c) if c.is_ascii_digit()) {
                    let a = lx.u32("a SACK block start")?;
                    lx.expect(":")?;
                    let b = lx.u32("a SACK block end")?;
                    blocks.push((a, b));
                }
                if blocks.is_empty() || blocks.len() > 4 {
                    return Err(LexError {
                        col,
                        msg: "`sack` takes one to four blocks `a:b`".into(),
                    }
                    .into());
                }
                TcpOption::Sack(blocks)
            }
            "TS" => {
                lx.expect("val")?;
                let v = lx.u32("a timestamp value")?;
                lx.expect("ecr")?;
                let e = lx.u32("a timestamp echo reply")?;
                TcpOption::Timestamp(v, e)
            }
            other => return Err(LineError::Unsupported(format!("the TCP option `{other}`"))),
        };
        list.push(opt);
        if lx.eat(",") {
            continue;
        }
        lx.expect(">")?;
        let bytes: usize = list.iter().map(option_len).sum();
        if bytes > 40 {
            return Err(LexError {
                col: lx.col(),
                msg: format!("{bytes} bytes of options do not fit in a TCP header (40)"),
            }
            .into());
        }
        return Ok(Options::List(list));
    }
}

/// Bytes an option takes in the header.
pub fn option_len(o: &TcpOption) -> usize {
    match o {
        TcpOption::Eol | TcpOption::Nop => 1,
        TcpOption::Mss(_) => 4,
        TcpOption::WindowScale(_) => 3,
        TcpOption::SackPermitted => 2,
        TcpOption::Sack(b) => 2 + 8 * b.len(),
        TcpOption::Timestamp(..) => 10,
    }
}

// ---------------------------------------------------------------------
// System calls.

/// An argument of a system call, before the call gives it a meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    Int(i64),
    Name(String),
    Ellipsis,
    Or(Vec<Expr>),
    Array(Vec<Expr>),
    Struct(Vec<(String, Expr)>),
    Str,
}

struct Arg {
    col: usize,
    expr: Expr,
}

fn expr(lx: &mut Lexer<'_>) -> Result<Expr, LexError> {
    let first = term(lx)?;
    if !lx.looking_at("|") {
        return Ok(first);
    }
    let mut v = vec![first];
    while lx.eat("|") {
        v.push(term(lx)?);
    }
    Ok(Expr::Or(v))
}

fn term(lx: &mut Lexer<'_>) -> Result<Expr, LexError> {
    lx.skip_ws();
    if lx.eat("...") {
        return Ok(Expr::Ellipsis);
    }
    if lx.eat("[") {
        let mut v = Vec::new();
        if !lx.eat("]") {
            loop {
                v.push(expr(lx)?);
                if lx.eat("]") {
                    break;
                }
                lx.expect(",")?;
            }
        }
        return Ok(Expr::Array(v));
    }
    if lx.eat("{") {
        let mut v = Vec::new();
        if !lx.eat("}") {
            loop {
                let k = lx.expect_word("a field name")?.to_string();
                lx.expect("=")?;
                v.push((k, expr(lx)?));
                if lx.eat("}") {
                    break;
                }
                lx.expect(",")?;
            }
        }
        return Ok(Expr::Struct(v));
    }
    if lx.eat("\"") {
        lx.until('"', "a string")?;
        return Ok(Expr::Str);
    }
    let neg = lx.eat("-");
    if matches!(lx.peek(), Some(c) if c.is_ascii_digit()) {
        let col = lx.col();
        let v = lx.uint("a number")?;
        let v = i64::try_from(v).map_err(|_| LexError {
            col,
            msg: "the number is too large".into(),
        })?;
        return Ok(Expr::Int(if neg { -v } else { v }));
    }
    if neg {
        return lx.expected("a number after `-`");
    }
    match lx.word() {
        Some(w) => Ok(Expr::Name(w.to_string())),
        None => lx.expected("an argument"),
    }
}

fn syscall(lx: &mut Lexer<'_>, name: &str, name_col: usize) -> LineResult<EventKind> {
    lx.expect("(")?;
    let mut args = Vec::new();
    if !lx.eat(")") {
        loop {
            lx.skip_ws();
            let col = lx.col();
            args.push(Arg {
                col,
                expr: expr(lx)?,
            });
            if lx.eat(")") {
                break;
            }
            lx.expect(",")?;
        }
    }
    lx.expect("=")?;
    let expect = ret(lx)?;
    lx.end()?;
    let call = call(name, name_col, &args, lx.col())?;
    Ok(EventKind::Syscall(Syscall { call, expect }))
}

/// `N`, `N (comment)`, `-1 ERRNO`, `-1 ERRNO (text)`.
fn ret(lx: &mut Lexer<'_>) -> LineResult<Return> {
    lx.skip_ws();
    let r = if lx.eat("-1") {
        let col = lx.col();
        let name = lx.expect_word("an errno name (`EINPROGRESS` ...)")?;
        if Errno::from_name(name).is_none() {
            if name.starts_with('E') {
                return Err(LineError::Unsupported(format!("the errno {name}")));
            }
            return Err(LexError {
                col,
                msg: format!("`{name}` is not an errno name"),
            }
            .into());
        }
        Return::Errno(name.to_string())
    } else {
        let v = lx.uint("a return value (`0`, `-1 ERRNO`)")?;
        Return::Value(i64::try_from(v).map_err(|_| LexError {
            col: lx.col(),
            msg: "the return value is too large".into(),
        })?)
    };
    if lx.eat("(") {
        lx.until(')', "a comment in parentheses")?;
    }
    Ok(r)
}

fn malformed<T>(col: usize, msg: impl Into<String>) -> LineResult<T> {
    Err(LineError::Malformed(LexError {
        col,
        msg: msg.into(),
    }))
}

fn arity(name: &str, col: usize, args: &[Arg], n: &[usize]) -> LineResult<()> {
    if n.contains(&args.len()) {
        Ok(())
    } else {
        let want: Vec<String> = n.iter().map(ToString::to_string).collect();
        malformed(
            col,
            format!(
                "`{name}` takes {} arguments, not {}",
                want.join(" or "),
                args.len()
            ),
        )
    }
}

fn fd(a: &Arg) -> LineResult<i64> {
    match a.expr {
        Expr::Int(v) => Ok(v),
        _ => malformed(a.col, "expected a file descriptor (a number)"),
    }
}

fn int(a: &Arg, what: &str) -> LineResult<i64> {
    match &a.expr {
        Expr::Int(v) => Ok(*v),
        Expr::Array(v) if v.len() == 1 => match v[0] {
            Expr::Int(n) => Ok(n),
            _ => malformed(a.col, format!("expected {what}")),
        },
        _ => malformed(a.col, format!("expected {what}")),
    }
}

fn names(e: &Expr) -> Option<Vec<&str>> {
    match e {
        Expr::Name(n) => Some(vec![n.as_str()]),
        Expr::Or(v) => v
            .iter()
            .map(|x| match x {
                Expr::Name(n) => Some(n.as_str()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn call(name: &str, col: usize, args: &[Arg], end_col: usize) -> LineResult<Call> {
    let _ = end_col;
    match name {
        "socket" => {
            arity(name, col, args, &[3])?;
            match &args[1].expr {
                Expr::Name(n) if n == "SOCK_STREAM" => Ok(Call::Socket),
                Expr::Name(n) => Err(LineError::Unsupported(format!("socket type {n}"))),
                _ => malformed(args[1].col, "expected a socket type (`SOCK_STREAM`)"),
            }
        }
        "fcntl" => {
            arity(name, col, args, &[2, 3])?;
            let fd = fd(&args[0])?;
            match (&args[1].expr, args.len()) {
                (Expr::Name(n), 2) if n == "F_GETFL" => Ok(Call::GetFl { fd }),
                (Expr::Name(n), 3) if n == "F_SETFL" => {
                    let a = &args[2];
                    let nonblocking = match &a.expr {
                        Expr::Int(v) => v & 0o4000 != 0,
                        e => {
                            let Some(ns) = names(e) else {
                                return malformed(a.col, "expected file status flags");
                            };
                            let mut nb = false;
                            for n in ns {
                                match n {
                                    "O_NONBLOCK" => nb = true,
                                    "O_RDWR" => {}
                                    other => {
                                        return Err(LineError::Unsupported(format!(
                                            "the file status flag {other}"
                                        )))
                                    }
                                }
                            }
                            nb
                        }
                    };
                    Ok(Call::SetFl { fd, nonblocking })
                }
                (Expr::Name(n), _) => Err(LineError::Unsupported(format!("fcntl {n}"))),
                _ => malformed(
                    args[1].col,
                    "expected an fcntl command (`F_GETFL`, `F_SETFL`)",
                ),
            }
        }
        "setsockopt" | "getsockopt" => {
            arity(name, col, args, &[5])?;
            let fd = fd(&args[0])?;
            match &args[1].expr {
                Expr::Name(l) if l == "SOL_SOCKET" => {}
                Expr::Name(l) => {
                    return Err(LineError::Unsupported(format!("{name} at level {l}")))
                }
                _ => return malformed(args[1].col, "expected a level (`SOL_SOCKET`)"),
            }
            let Expr::Name(opt) = &args[2].expr else {
                return malformed(args[2].col, "expected an option name (`SO_LINGER` ...)");
            };
            let v = &args[3];
            let opt = match opt.as_str() {
                "SO_REUSEADDR" => SockOpt::ReuseAddr(int(v, "`[0]` or `[1]`")? != 0),
                "SO_RCVBUF" => SockOpt::RcvBuf(
                    u32::try_from(int(v, "a buffer size `[N]`")?).map_err(|_| {
                        LineError::from(LexError {
                            col: v.col,
                            msg: "the buffer size must fit in 32 bits".into(),
                        })
                    })?,
                ),
                "SO_LINGER" => {
                    let Expr::Struct(fields) = &v.expr else {
                        return malformed(v.col, "expected `{onoff=N, linger=S}`");
                    };
                    let (mut on, mut secs) = (None, None);
                    for (k, x) in fields {
                        match (k.as_str(), x) {
                            ("onoff", Expr::Int(n)) => on = Some(*n != 0),
                            ("linger", Expr::Int(n)) => secs = u32::try_from(*n).ok(),
                            _ => return malformed(v.col, "expected `{onoff=N, linger=S}`"),
                        }
                    }
                    match (on, secs) {
                        (Some(on), Some(secs)) => SockOpt::Linger { on, secs },
                        _ => return malformed(v.col, "expected `{onoff=N, linger=S}`"),
                    }
                }
                "SO_ERROR" => {
                    let e = match &v.expr {
                        Expr::Array(x) if x.len() == 1 => match &x[0] {
                            Expr::Int(n) => i32::try_from(*n).ok(),
                            Expr::Name(n) => Errno::from_name(n).map(Errno::number),
                            _ => None,
                        },
                        _ => None,
                    };
                    match e {
                        Some(e) if e == 0 || Errno::from_number(e).is_some() => SockOpt::Error(e),
                        Some(e) => return Err(LineError::Unsupported(format!("errno {e}"))),
                        None => return malformed(v.col, "expected `[0]` or `[ERRNO]`"),
                    }
                }
                other => return Err(LineError::Unsupported(format!("the socket option {other}"))),
            };
            Ok(if name == "setsockopt" {
                if let SockOpt::Error(_) = opt {
                    return malformed(args[2].col, "SO_ERROR cannot be set");
                }
                Call::SetSockOpt { fd, opt }
            } else {
                Call::GetSockOpt { fd, opt }
            })
        }
        "bind" => {
            arity(name, col, args, &[3])?;
            Ok(Call::Bind { fd: fd(&args[0])? })
        }
        "listen" => {
            arity(name, col, args, &[2])?;
            Ok(Call::Listen {
                fd: fd(&args[0])?,
                backlog: int(&args[1], "a backlog")?,
            })
        }
        "accept" => {
            arity(name, col, args, &[3])?;
            Ok(Call::Accept { fd: fd(&args[0])? })
        }
        "connect" => {
            arity(name, col, args, &[3])?;
            Ok(Call::Connect { fd: fd(&args[0])? })
        }
        "write" | "send" | "read" | "recv" => {
            let n = if matches!(name, "write" | "read") {
                3
            } else {
                4
            };
            arity(name, col, args, &[n])?;
            let fd = fd(&args[0])?;
            let len = int(&args[2], "a byte count")?;
            let Ok(len) = usize::try_from(len) else {
                return malformed(args[2].col, "a byte count cannot be negative");
            };
            if len > 1 << 24 {
                return Err(LineError::Unsupported(format!("{name} of {len} bytes")));
            }
            if n == 4 && !matches!(args[3].expr, Expr::Int(0)) {
                return Err(LineError::Unsupported(format!("{name} flags other than 0")));
            }
            Ok(if matches!(name, "write" | "send") {
                Call::Write { fd, len }
            } else {
                Call::Read { fd, len }
            })
        }
        "shutdown" => {
            arity(name, col, args, &[2])?;
            let fd = fd(&args[0])?;
            let how = match &args[1].expr {
                Expr::Name(n) if n == "SHUT_WR" => Shutdown::Write,
                Expr::Name(n) if n == "SHUT_RD" => Shutdown::Read,
                Expr::Name(n) if n == "SHUT_RDWR" => Shutdown::Both,
                _ => return malformed(args[1].col, "expected SHUT_RD, SHUT_WR or SHUT_RDWR"),
            };
            Ok(Call::Shutdown { fd, how })
        }
        "close" => {
            arity(name, col, args, &[1])?;
            Ok(Call::Close { fd: fd(&args[0])? })
        }
        other => Err(LineError::Unsupported(format!("the system call {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listen_script_parses() {
        let s = parse(
            "t.pkt",
            "--tolerance_usecs=10000\n\
             0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0 // c\n\
             +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\
             /* a comment\n over lines */\n\
             +0 < S 0:0(0) win 1000 <mss 1460,nop,wscale 7>\n\
             +0~+0.1 > S. 0:0(0) ack 1 <...>\n\
             * > . 1:1(0) ack 1\n\
             +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n\
             +0 `sysctl -q net.ipv4.tcp_timestamps=0`\n",
        )
        .unwrap();
        assert_eq!(s.tolerance_usecs, 10_000);
        assert_eq!(s.events.len(), 8);
        let EventKind::Inbound(p) = &s.events[3].kind else {
            panic!()
        };
        assert_eq!(p.flags, flag::SYN);
        assert_eq!(p.win, Some(1000));
        assert_eq!(
            p.options,
            Options::List(vec![
                TcpOption::Mss(1460),
                TcpOption::Nop,
                TcpOption::WindowScale(7)
            ])
        );
        assert_eq!(s.events[3].line, 7);
        assert_eq!(
            s.events[4].time,
            Time::Range(Point::Relative(0), Point::Relative(100_000))
        );
        assert_eq!(s.events[5].time, Time::Any);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse(
            "x.pkt",
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:1(0) win 1\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.col), (2, 12));
        assert_eq!(
            e.to_string(),
            "x.pkt:2:12: malformed: 0:1 spans 1 bytes, not 0"
        );
        let e = parse("x.pkt", "+0 > Q 0:0(0)").unwrap_err();
        assert_eq!((e.line, e.col), (1, 6));
    }

    #[test]
    fn unsupported_things_are_events() {
        let s = parse(
            "u.pkt",
            "--ip_version=ipv6\n+0 %{ print(1)\n}%\n+0 ioctl(3, FIONREAD, [0]) = 0\n",
        )
        .unwrap();
        let kinds: Vec<_> = s
            .events
            .iter()
            .map(|e| matches!(e.kind, EventKind::Unsupported(_)))
            .collect();
        assert_eq!(kinds, [true, true, true]);
        assert_eq!(s.events[2].line, 4);
    }
}
