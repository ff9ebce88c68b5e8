//! Shell lines (`` `...` ``): never executed. A small table maps the
//! common ones to the target:
//!
//! | command | what the interpreter does |
//! |---|---|
//! | `sysctl [-q] [-w] NAME=VALUE ...` | [`SocketTarget::sysctl`] for each setting: the target's configuration, or unsupported |
//! | `ss ... state STATE ... \| grep [-q] ...` | checks that the script's connection is in `STATE` (`established`, `syn-sent`, `syn-recv`, `fin-wait-1`, `fin-wait-2`, `time-wait`, `close-wait`, `last-ack`, `closing`, `closed`; `listening` for the bound address) |
//! | anything else | unsupported at this line |

use std::net::SocketAddrV4;

use super::target::SocketTarget;

/// What a shell line came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShellOutcome {
    /// Done, or the check held.
    Ok,
    /// The check did not hold: expected, actual.
    Failed(String, String),
    /// Not in the table, or the target cannot do it.
    Unsupported(String),
}

/// The `ss` state names and RFC 9293's.
const SS_STATES: [(&str, &str); 11] = [
    ("established", "ESTABLISHED"),
    ("syn-sent", "SYN-SENT"),
    ("syn-recv", "SYN-RECEIVED"),
    ("fin-wait-1", "FIN-WAIT-1"),
    ("fin-wait-2", "FIN-WAIT-2"),
    ("time-wait", "TIME-WAIT"),
    ("close-wait", "CLOSE-WAIT"),
    ("last-ack", "LAST-ACK"),
    ("closing", "CLOSING"),
    ("closed", "CLOSED"),
    ("listening", "LISTEN"),
];

/// Runs `cmd` through the table, for the connection between `local` and
/// `remote`.
pub fn run(
    cmd: &str,
    target: &mut dyn SocketTarget,
    local: SocketAddrV4,
    remote: SocketAddrV4,
) -> ShellOutcome {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    match words.first() {
        Some(&"sysctl") => sysctl(&words[1..], target),
        Some(&"ss") => ss(cmd, &words, target, local, remote),
        _ => ShellOutcome::Unsupported(format!("the shell command `{cmd}`")),
    }
}

fn sysctl(args: &[&str], target: &mut dyn SocketTarget) -> ShellOutcome {
    let mut settings = 0;
    for a in args {
        match *a {
            "-q" | "-w" | "-qw" | "-wq" => continue,
            _ => {}
        }
        let Some((name, value)) = a.split_once('=') else {
            return ShellOutcome::Unsupported(format!("sysctl argument `{a}`"));
        };
        if let Err(why) = target.sysctl(name, value) {
            return ShellOutcome::Unsupported(why);
        }
        settings += 1;
    }
    if settings == 0 {
        return ShellOutcome::Unsupported("sysctl without a setting".into());
    }
    ShellOutcome::Ok
}

fn ss(
    cmd: &str,
    words: &[&str],
    target: &mut dyn SocketTarget,
    local: SocketAddrV4,
    remote: SocketAddrV4,
) -> ShellOutcome {
    let unsupported = || {
        ShellOutcome::Unsupported(format!(
            "the shell command `{cmd}` (only `ss ... state STATE ... | grep ...` is mapped)"
        ))
    };
    // Only a pipeline into grep asserts anything: `ss` alone exits 0.
    let Some(pipe) = words.iter().position(|w| *w == "|") else {
        return unsupported();
    };
    if words.get(pipe + 1) != Some(&"grep")
        || words[pipe + 2..].iter().any(|w| *w == "|" || *w == "-v")
    {
        return unsupported();
    }
    let Some(i) = words[..pipe].iter().position(|w| *w == "state") else {
        return unsupported();
    };
    let Some(name) = words.get(i + 1) else {
        return unsupported();
    };
    let Some(&(ss_name, rfc)) = SS_STATES.iter().find(|s| s.0 == *name) else {
        return unsupported();
    };
    let actual = if rfc == "LISTEN" {
        if target.listening(local) {
            "LISTEN"
        } else {
            "not listening"
        }
    } else {
        target.state(local, remote)
    };
    if actual == rfc {
        ShellOutcome::Ok
    } else {
        ShellOutcome::Failed(
            format!("the connection {local} <-> {remote} in {rfc} (ss state {ss_name})"),
            actual.to_string(),
        )
    }
}
