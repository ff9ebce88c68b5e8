//! `synfin explore` serves the Explorer: /.status answers, a path of action
//! indices from a printed deep link answers with successors carrying our
//! SVG, and a port in use is a clear error with exit code 2.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use synfin_model::explore::http;

fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn explore_serves_status_and_states() {
    let addr = free_port();
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_synfin"))
            .args(["explore", "--addr", &addr.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // The first links printed come from a breadth-first search of the quick preset.
    let mut link = None;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(120) {
        let Some(Ok(l)) = lines.next() else { break };
        if l.trim_start().starts_with("three-way-handshake") {
            link = l.split("#/steps/").nth(1).map(str::to_string);
            break;
        }
    }
    let link = link.expect("a deep link for three-way-handshake");
    let (code, status) = http(addr, "GET", "/.status").unwrap();
    assert_eq!(code, 200, "{status}");
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert!(v["properties"].as_array().unwrap().len() >= 18, "{status}");
    // Successors of the state before the last step, then the whole path.
    let (code, body) = http(addr, "GET", &format!("/.states/{link}")).unwrap();
    assert_eq!(code, 200, "{body}");
    let steps: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = &steps.as_array().unwrap()[0];
    assert!(
        first["svg"].as_str().unwrap_or("").starts_with("<svg"),
        "{first}"
    );
    let (code, _) = http(addr, "GET", "/.states/0/999").unwrap();
    assert_eq!(code, 404);
}

#[test]
fn explore_port_in_use_exits_2() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_synfin"))
        .args(["explore", "--addr", &addr.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on"), "{err}");
}
