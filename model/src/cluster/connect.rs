//! The processes of a run find each other: every process listens on its
//! address, connects to each process listed before it and accepts one
//! connection from each listed after it. timely's own set-up does the
//! same, but retries for ever, once a second, and prints as it waits; this
//! one retries every 20 ms, gives up at a deadline naming who is missing,
//! and checks that every process checks the same world.
//!
//! A connection opens with a hello: [`MAGIC`], the connecting process's
//! index, the number of processes and the run's key (a fingerprint of the
//! world and the program's version), 32 bytes in all.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::{Error, Peers};

/// The first bytes of a hello.
pub const MAGIC: [u8; 8] = *b"synfin:1";
/// How long to wait between two tries.
const RETRY: Duration = Duration::from_millis(20);

/// A socket to every other process, by index (`None` at this one's), or
/// why not by `deadline`.
pub fn connect(
    peers: &Peers,
    key: u64,
    timeout: Duration,
) -> Result<Vec<Option<TcpStream>>, Error> {
    let deadline = Instant::now() + timeout;
    let me = peers.process;
    let n = peers.addresses.len();
    let listener = TcpListener::bind(bind_address(&peers.addresses[me])?)
        .map_err(|e| Error::Setup(format!("cannot listen on {}: {e}", peers.addresses[me])))?;
    let mut sockets: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    for (j, address) in peers.addresses.iter().enumerate().take(me) {
        let stream = loop {
            match TcpStream::connect(address) {
                Ok(s) => break s,
                Err(e) if Instant::now() >= deadline => {
                    return Err(Error::Unreachable(format!(
                        "process {j} at {address} did not answer within {} s ({e}): is it started, with the same hostfile?",
                        timeout.as_secs()
                    )))
                }
                Err(_) => std::thread::sleep(RETRY),
            }
        };
        let mut stream = stream;
        stream
            .write_all(&hello(me, n, key))
            .map_err(|e| Error::Setup(format!("process {j} at {address}: {e}")))?;
        sockets[j] = Some(stream);
    }
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Setup(e.to_string()))?;
    while sockets.iter().skip(me + 1).any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, from)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|e| Error::Setup(e.to_string()))?;
                stream
                    .set_read_timeout(Some(
                        deadline
                            .saturating_duration_since(Instant::now())
                            .max(RETRY),
                    ))
                    .map_err(|e| Error::Setup(e.to_string()))?;
                let mut bytes = [0u8; 32];
                if stream.read_exact(&mut bytes).is_err() {
                    // Closed or silent before its hello: not a process of this run
                    // (a port scan, say), so not a reason to fail.
                    continue;
                }
                let j = read_hello(&bytes, me, n, key, from)?;
                stream
                    .set_read_timeout(None)
                    .map_err(|e| Error::Setup(e.to_string()))?;
                sockets[j] = Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    let missing: Vec<String> = (me + 1..n)
                        .filter(|&j| sockets[j].is_none())
                        .map(|j| format!("{j} ({})", peers.addresses[j]))
                        .collect();
                    return Err(Error::Unreachable(format!(
                        "process{} {} did not connect within {} s: is each started, with the same hostfile?",
                        if missing.len() == 1 { "" } else { "es" },
                        missing.join(", "),
                        timeout.as_secs()
                    )));
                }
                std::thread::sleep(RETRY);
            }
            Err(e) => return Err(Error::Setup(format!("accepting a connection: {e}"))),
        }
    }
    Ok(sockets)
}

/// Where to listen for `address`: itself if it is an IP address and port;
/// for a host name (a cluster's DNS name for this machine, say), every
/// interface on its port.
fn bind_address(address: &str) -> Result<SocketAddr, Error> {
    if let Ok(a) = address.parse::<SocketAddr>() {
        return Ok(a);
    }
    let port = address
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .ok_or_else(|| Error::Setup(format!("`{address}` is not host:port")))?;
    Ok(SocketAddr::from(([0, 0, 0, 0], port)))
}

fn hello(me: usize, n: usize, key: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&MAGIC);
    b[8..16].copy_from_slice(&(me as u64).to_le_bytes());
    b[16..24].copy_from_slice(&(n as u64).to_le_bytes());
    b[24..].copy_from_slice(&key.to_le_bytes());
    b
}

/// The index of the process whose hello `b` is, if it belongs to this run.
fn read_hello(
    b: &[u8; 32],
    me: usize,
    n: usize,
    key: u64,
    from: SocketAddr,
) -> Result<usize, Error> {
    let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    if b[..8] != MAGIC {
        return Err(Error::Setup(format!(
            "{from} connected but is not a synfin process of this version"
        )));
    }
    let (j, their_n) = (word(8) as usize, word(16) as usize);
    if their_n != n {
        return Err(Error::Setup(format!(
            "process {j} ({from}) has a hostfile of {their_n} processes, this one of {n}"
        )));
    }
    if word(24) != key {
        return Err(Error::Setup(format!(
            "process {j} ({from}) checks another world (preset, profile, budgets or synfin version differ)"
        )));
    }
    if j <= me || j >= n {
        return Err(Error::Setup(format!(
            "{from} says it is process {j}, which should not connect to process {me}"
        )));
    }
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hello_is_read_back_and_a_stranger_refused() {
        let from: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(read_hello(&hello(2, 3, 77), 0, 3, 77, from).unwrap(), 2);
        let wrong_world = read_hello(&hello(2, 3, 78), 0, 3, 77, from).unwrap_err();
        assert!(
            wrong_world.to_string().contains("another world"),
            "{wrong_world}"
        );
        let wrong_size = read_hello(&hello(2, 4, 77), 0, 3, 77, from).unwrap_err();
        assert!(
            wrong_size.to_string().contains("4 processes"),
            "{wrong_size}"
        );
        let mut junk = hello(2, 3, 77);
        junk[0] = b'x';
        assert!(read_hello(&junk, 0, 3, 77, from).is_err());
    }

    #[test]
    fn a_host_name_listens_on_every_interface() {
        assert_eq!(
            bind_address("127.0.0.1:2101").unwrap().to_string(),
            "127.0.0.1:2101"
        );
        assert_eq!(
            bind_address("synfin-0.synfin:2101").unwrap().to_string(),
            "0.0.0.0:2101"
        );
        assert!(bind_address("nohost").is_err());
    }
}
