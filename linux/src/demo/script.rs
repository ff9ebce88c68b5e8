//! The five exchanges, step by step: who calls what, what each waits for,
//! and what RFC 9293 says the capture must show.

use synfin_tcp::wire::Flags;

use super::harness::{io_err, Harness, Step};
use crate::capture::Side;
use crate::driver::{Direction, Stack};
use crate::sys::socket;

const TO: Direction = Direction::ToKernel;
const FROM: Direction = Direction::FromKernel;

fn syn() -> Flags {
    Flags::SYN
}

fn syn_ack() -> Flags {
    Flags::SYN | Flags::ACK
}

fn ack() -> Flags {
    Flags::ACK
}

const SYNFIN_DATA: &[u8] = b"hello from synfin-tcp\n";
const KERNEL_DATA: &[u8] = b"hello from linux\n";
const CLOSE_WAIT_DATA: &[u8] = b"still sending in CLOSE-WAIT\n";

pub(super) fn active_close<S: Stack>(r: &mut Harness<S>) -> Step {
    let listener = socket::listen(r.kernel).map_err(io_err("kernel listen()"))?;
    r.kernel_call("listen()");
    let (conn, mut sock) = r.synfin_connects(&listener)?;
    r.synfin_send(conn, SYNFIN_DATA)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, SYNFIN_DATA.len(), false)?;
    r.kernel_call(&format!("read() = {}", kbuf.len()));
    socket::write_all(&mut sock, KERNEL_DATA).map_err(io_err("kernel write()"))?;
    r.kernel_call(&format!("write({} bytes)", KERNEL_DATA.len()));
    let mut sbuf = Vec::new();
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), false)?;
    r.synfin_call(&format!("recv() = {}", sbuf.len()));
    r.synfin_close(conn)?;
    r.until_kernel_reads(&mut sock, &mut kbuf, SYNFIN_DATA.len(), true)?;
    r.kernel_call("read() = 0 (end of stream)");
    r.until_synfin(Some("FIN-WAIT-2"))?;
    drop(sock);
    r.kernel_call("close()");
    r.until_synfin(Some("TIME-WAIT"))?;
    r.until_kernel("CLOSED")?;

    r.check_opening(
        "three-way handshake, three segments",
        &[(TO, syn()), (FROM, syn_ack()), (TO, ack())],
    );
    r.check(
        kbuf == SYNFIN_DATA && sbuf == KERNEL_DATA,
        "the data arrived intact both ways",
    );
    r.check_states(
        Side::Synfin,
        &[
            "SYN-SENT",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "TIME-WAIT",
        ],
    );
    r.check_states(
        Side::Kernel,
        &["ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
    );
    let tw = r.synfin_state() == Some("TIME-WAIT");
    r.check(tw, "the active closer (synfin-tcp) stays in TIME-WAIT");
    Ok(())
}

pub(super) fn passive_close<S: Stack>(r: &mut Harness<S>) -> Step {
    let listener = socket::listen(r.kernel).map_err(io_err("kernel listen()"))?;
    r.kernel_call("listen()");
    let (conn, mut sock) = r.synfin_connects(&listener)?;
    socket::write_all(&mut sock, KERNEL_DATA).map_err(io_err("kernel write()"))?;
    r.kernel_call(&format!("write({} bytes)", KERNEL_DATA.len()));
    socket::shutdown_write(&sock).map_err(io_err("kernel shutdown()"))?;
    r.kernel_call("shutdown(SHUT_WR)");
    let mut sbuf = Vec::new();
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), true)?;
    r.synfin_call(&format!("recv() = {}, then end of stream", sbuf.len()));
    r.until_kernel("FIN-WAIT-2")?;
    let in_close_wait = r.synfin_state() == Some("CLOSE-WAIT");
    r.synfin_send(conn, CLOSE_WAIT_DATA)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, CLOSE_WAIT_DATA.len(), false)?;
    r.kernel_call(&format!("read() = {}", kbuf.len()));
    r.synfin_close(conn)?;
    r.until_synfin(None)?;
    r.until_kernel_reads(&mut sock, &mut kbuf, CLOSE_WAIT_DATA.len(), true)?;
    r.kernel_call("read() = 0 (end of stream)");

    r.check_opening(
        "three-way handshake, three segments",
        &[(TO, syn()), (FROM, syn_ack()), (TO, ack())],
    );
    r.check(
        sbuf == KERNEL_DATA,
        "synfin-tcp received the kernel's data before its FIN",
    );
    r.check(
        in_close_wait && kbuf == CLOSE_WAIT_DATA,
        "half close: synfin-tcp sent data in CLOSE-WAIT and the kernel (FIN-WAIT-2) read it",
    );
    r.check_states(
        Side::Synfin,
        &["ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
    );
    r.check_states(
        Side::Kernel,
        &["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"],
    );
    let tw = r.rec.kernel_now.as_deref() == Some("TIME-WAIT");
    r.check(tw, "the active closer (the kernel) stays in TIME-WAIT");
    Ok(())
}

pub(super) fn kernel_connects<S: Stack>(r: &mut Harness<S>) -> Step {
    let now = r.now();
    r.driver.stack.listen(now, r.synfin)?;
    r.synfin_call("listen()");
    let mut sock =
        socket::connect_from(Some(r.kernel), r.synfin).map_err(io_err("kernel connect()"))?;
    r.kernel_call("connect()");
    let mut accepted = None;
    r.until(
        "the handshake (synfin-tcp accepts, kernel connect() completes)",
        |s, _| {
            if accepted.is_none() {
                accepted = s.accept();
            }
            Ok(accepted.is_some() && socket::connected(&sock).map_err(|e| e.to_string())?)
        },
    )?;
    let conn = accepted.ok_or("nothing accepted")?;
    r.synfin_call("accept()");
    socket::write_all(&mut sock, KERNEL_DATA).map_err(io_err("kernel write()"))?;
    r.kernel_call(&format!("write({} bytes)", KERNEL_DATA.len()));
    let mut sbuf = Vec::new();
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), false)?;
    r.synfin_call(&format!("recv() = {}", sbuf.len()));
    r.synfin_send(conn, SYNFIN_DATA)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, SYNFIN_DATA.len(), false)?;
    r.kernel_call(&format!("read() = {}", kbuf.len()));
    drop(sock);
    r.kernel_call("close()");
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), true)?;
    r.synfin_call("recv() = end of stream");
    r.synfin_close(conn)?;
    r.until_synfin(None)?;
    r.until_kernel("TIME-WAIT")?;

    r.check_opening(
        "three-way handshake, three segments",
        &[(FROM, syn()), (TO, syn_ack()), (FROM, ack())],
    );
    r.check(
        kbuf == SYNFIN_DATA && sbuf == KERNEL_DATA,
        "the data arrived intact both ways",
    );
    r.check_states(
        Side::Synfin,
        &[
            "SYN-RECEIVED",
            "ESTABLISHED",
            "CLOSE-WAIT",
            "LAST-ACK",
            "CLOSED",
        ],
    );
    r.check_states(
        Side::Kernel,
        &[
            "SYN-SENT",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "TIME-WAIT",
        ],
    );
    let tw = r.rec.kernel_now.as_deref() == Some("TIME-WAIT");
    r.check(tw, "the active closer (the kernel) stays in TIME-WAIT");
    Ok(())
}

pub(super) fn simultaneous_open<S: Stack>(r: &mut Harness<S>) -> Step {
    // The kernel's SYN goes into the TUN's queue, where nobody reads it
    // yet; synfin-tcp's SYN is sent on the next flush, before synfin-tcp
    // has seen the kernel's: the two SYNs cross.
    let mut sock =
        socket::connect_from(Some(r.kernel), r.synfin).map_err(io_err("kernel connect()"))?;
    r.kernel_call("connect()");
    let now = r.now();
    let conn = r.driver.stack.connect(now, r.synfin, r.kernel)?;
    r.synfin_call("connect()");
    let (l, k) = (r.synfin, r.kernel);
    r.until("both sides ESTABLISHED", |s, _| {
        if let Some(f) = s.failure(conn) {
            return Err(f);
        }
        Ok(s.state_of(l, k) == Some("ESTABLISHED")
            && socket::connected(&sock).map_err(|e| e.to_string())?)
    })?;
    r.until_kernel("ESTABLISHED")?;
    // An orderly close, synfin-tcp first, so the exchange ends cleanly.
    r.synfin_close(conn)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, 0, true)?;
    r.kernel_call("read() = 0 (end of stream)");
    drop(sock);
    r.kernel_call("close()");
    r.until_synfin(Some("TIME-WAIT"))?;

    // Figure 7: each side sends a SYN, then a SYN,ACK of the other's SYN.
    let segs = r.segments();
    let bare_syn = |dir| {
        segs.iter()
            .position(|(d, s)| *d == dir && s.flags == Flags::SYN)
    };
    let syn_ack_of = |dir| {
        segs.iter()
            .position(|(d, s)| *d == dir && s.flags.contains(Flags::SYN | Flags::ACK))
    };
    let crossed = match (bare_syn(TO), bare_syn(FROM)) {
        (Some(a), Some(b)) => a.max(b) == 1,
        _ => false,
    };
    r.check(
        crossed,
        "the SYNs crossed: each side's first segment is a bare SYN",
    );
    let both_syn_ack = syn_ack_of(TO).is_some() && syn_ack_of(FROM).is_some();
    r.check(
        both_syn_ack,
        "each side answered the other's SYN with a SYN,ACK (four segments, no client and no server)",
    );
    r.check_states(Side::Synfin, &["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"]);
    r.check_states(Side::Kernel, &["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"]);
    Ok(())
}

pub(super) fn simultaneous_close<S: Stack>(r: &mut Harness<S>) -> Step {
    let listener = socket::listen(r.kernel).map_err(io_err("kernel listen()"))?;
    r.kernel_call("listen()");
    let (conn, mut sock) = r.synfin_connects(&listener)?;
    // The kernel's FIN waits in the TUN's queue while synfin-tcp closes:
    // the FINs cross.
    socket::shutdown_write(&sock).map_err(io_err("kernel shutdown()"))?;
    r.kernel_call("shutdown(SHUT_WR)");
    r.synfin_close(conn)?;
    r.until_synfin(Some("TIME-WAIT"))?;
    r.until_kernel("TIME-WAIT")?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, 0, true)?;
    r.kernel_call("read() = 0 (end of stream)");

    let segs = r.segments();
    let fin = |dir| {
        segs.iter()
            .find(|(d, s)| *d == dir && s.flags.contains(Flags::FIN))
            .map(|(_, s)| s.clone())
    };
    let crossed = match (fin(TO), fin(FROM)) {
        // Neither FIN acknowledges the other.
        (Some(a), Some(b)) => {
            a.ack.lt(b.seq.add(b.payload.len() as u32 + 1))
                && b.ack.lt(a.seq.add(a.payload.len() as u32 + 1))
        }
        _ => false,
    };
    r.check(
        crossed,
        "the FINs crossed: neither side's FIN acknowledges the other's",
    );
    r.check_states(
        Side::Synfin,
        &["ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT"],
    );
    r.check_states(
        Side::Kernel,
        &["ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT"],
    );
    let both =
        r.synfin_state() == Some("TIME-WAIT") && r.rec.kernel_now.as_deref() == Some("TIME-WAIT");
    r.check(
        both,
        "both sides are active closers: both stay in TIME-WAIT",
    );
    Ok(())
}
