//! `synfin explore`: the stateright Explorer with our sequence diagrams.
//!
//! Three things stateright 0.31's `serve` does not do by itself: it panics when the port is taken, so we bind
//! and release it first; it checks nothing until `POST /.runtocompletion`,
//! so a thread posts that once the server answers; and its discoveries are
//! not shortest, so we print deep links (`/#/steps/0/i/j/...`, the initial
//! state's index followed by action indices) to the shortest path to each
//! discovery, found by [`search::shortest`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use stateright::Model;

use crate::config::Config;
use crate::model::TcpModel;
use crate::properties::{self, Expectation};
use crate::search::{self, Path};

/// The Explorer link fragment for `path`: `/#/steps/0/3/1/...`.
pub fn link(cfg: &Config, path: &Path) -> String {
    let model = TcpModel::new(cfg.clone());
    let mut parts = vec!["0".to_string()];
    let mut actions = Vec::new();
    for (state, action) in path {
        let Some(a) = action else { break };
        actions.clear();
        model.actions(state, &mut actions);
        let i = actions
            .iter()
            .position(|b| b == a)
            .expect("a path's action is enabled in its state");
        parts.push(i.to_string());
    }
    format!("/#/steps/{}", parts.join("/"))
}

/// Send one HTTP/1.0 request and return the status code and body.
pub fn http(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let code = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((code, body))
}

/// Serve the Explorer on `addr` for `cfg`; never returns unless the port is
/// unusable (`Err` with a message for exit code 2).
pub fn run(cfg: &Config, addr: SocketAddr, threads: usize) -> Result<(), String> {
    drop(TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?);
    let model = TcpModel::new(cfg.clone());
    let cfg = cfg.clone();
    std::thread::spawn(move || {
        // Wait for the server, then start the check the Explorer would only
        // start when someone presses "Run to completion".
        for _ in 0..200 {
            if http(addr, "POST", "/.runtocompletion").is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        println!("Explorer: http://{addr}/ (checking in the background)");
        println!("Shortest paths (open to step through them):");
        // Scenarios first: their examples are shallow. Safety properties
        // need the whole space searched before "no counterexample" is known.
        for expectation in [Expectation::Sometimes, Expectation::Always] {
            let props: Vec<_> = properties::checked(&cfg)
                .filter(|p| p.expectation == expectation)
                .collect();
            let names: Vec<&'static str> = props.iter().map(|p| p.name).collect();
            let paths = search::shortest(&cfg, &names);
            for p in props {
                match paths.get(p.name) {
                    Some(path) => println!(
                        "  {:<24} {} steps  http://{addr}{}",
                        p.name,
                        path.len() - 1,
                        link(&cfg, path)
                    ),
                    None if expectation == Expectation::Always => {
                        println!("  {:<24} holds: no counterexample", p.name)
                    }
                    None => println!("  {:<24} unreachable", p.name),
                }
            }
            let _ = std::io::stdout().flush();
        }
        let _ = std::io::stdout().flush();
    });
    // Blocks for as long as the server runs.
    let _ = model.checker().threads(threads).serve(addr);
    Ok(())
}
