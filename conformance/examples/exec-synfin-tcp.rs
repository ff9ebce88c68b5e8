//! synfin-tcp behind a pipe: an adapter speaking `synfin-exec/1` that
//! drives the in-memory reference target, so that replaying the suite with
//! `--target exec:target/release/examples/exec-synfin-tcp` must agree
//! exactly as `--target impl` does. It proves that the protocol carries
//! everything the [`Target`] trait does, and is a small example of an
//! adapter: read a line, answer a line, never write anything else to
//! stdout.
//!
//! `cargo build --release -p synfin-conformance --example exec-synfin-tcp`

use std::io::{self, BufRead, Write};

use serde_json::{json, Value};
use synfin_conformance::target::exec::protocol::{
    Hello, Observed, Request, WireRole, WireSeg, PROTOCOL,
};
use synfin_conformance::target::{Role, Stimulus, SynfinTcp, Target, Unsupported};
use synfin_conformance::trace::HostId;

fn main() {
    let mut target = SynfinTcp::default();
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let reply = match serde_json::from_str::<Request>(&line) {
            Ok(req) => answer(&mut target, req),
            Err(e) => json!({ "error": format!("cannot read the request: {e}") }),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}

/// The reply to one request.
fn answer(t: &mut SynfinTcp, req: Request) -> Value {
    let ok = |r: Result<(), Unsupported>| match r {
        Ok(()) => json!({ "ok": true }),
        Err(u) => json!({ "unsupported": u.to_string() }),
    };
    match req {
        Request::Hello { protocol } if protocol == PROTOCOL => {
            let hello = Hello {
                hello: PROTOCOL.to_string(),
                name: "synfin-tcp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
                capabilities: SynfinTcp::CAPABILITIES.into(),
                sockets: false,
            };
            serde_json::to_value(hello).unwrap_or_else(|e| json!({ "error": e.to_string() }))
        }
        Request::Hello { protocol } => {
            json!({ "error": format!("I speak {PROTOCOL}, not {protocol}") })
        }
        Request::Start { config, role } => {
            let role = match role {
                WireRole::A => Role::Host(HostId::A),
                WireRole::B => Role::Host(HostId::B),
                WireRole::Both => Role::Both,
            };
            ok(t.start(&config, role))
        }
        Request::SetNextIss { host, iss } => {
            t.set_next_iss(host, iss);
            json!({ "ok": true })
        }
        Request::Input { stimulus } => ok(t.input(&Stimulus::from(&stimulus))),
        Request::Observe { host } => {
            let r = t.observe(host);
            let o = Observed {
                state: r.state,
                iss: r.iss,
                // Rounded up to the millisecond: never sooner than it is.
                timer_ms: r.timer.map(|d| d.as_nanos().div_ceil(1_000_000) as u64),
                emitted: r.emitted.into_iter().map(WireSeg::from).collect(),
                delivered: r.delivered,
                eof: r.eof,
                events: r.events.iter().map(|e| e.name().to_string()).collect(),
                tcb: r.tcb,
            };
            serde_json::to_value(o).unwrap_or_else(|e| json!({ "error": e.to_string() }))
        }
    }
}
