//! Print BFS level sizes of a preset, to see where the state space grows.
use stateright::Model;
use std::collections::HashSet;
use synfin_model::{Config, Preset, Profile, TcpModel};

fn main() {
    let preset: Preset = std::env::args()
        .nth(1)
        .unwrap_or("quick".into())
        .parse()
        .unwrap();
    let max: usize = std::env::args().nth(2).map_or(40, |s| s.parse().unwrap());
    let mut cfg = Config::new(preset, Profile::Rfc9293, None);
    let env = |k: &str| std::env::var(k).ok().map(|v| v.parse::<u8>().unwrap());
    if let Some(v) = env("LOSSES") {
        cfg.losses = v;
    }
    if let Some(v) = env("DUPS") {
        cfg.dups = v;
    }
    if let Some(v) = env("DELAYS") {
        cfg.delays = v;
    }
    if let Some(v) = env("ABORTS") {
        cfg.aborts = v;
    }
    if let Some(v) = env("BYTES") {
        cfg.bytes = [v, 0];
    }
    if let Some(v) = env("BBYTES") {
        cfg.bytes[1] = v;
    }
    if let Some(v) = env("OPENS") {
        cfg.opens = v;
    }
    if let Some(v) = env("BCONN") {
        cfg.b_connects = v == 1;
    }
    if let Some(v) = env("RETRIES") {
        cfg.retries = v;
    }
    if let Some(v) = env("RATE") {
        cfg.isn_rate = v;
    }
    if let Some(v) = env("RTO") {
        cfg.rto = v;
    }
    if let Some(v) = env("MSL") {
        cfg.msl = v;
    }
    if let Some(v) = env("WINDOW") {
        cfg.window = v;
    }
    let m = TcpModel::new(cfg);
    let mut seen = HashSet::new();
    let mut frontier = m.init_states();
    let mut acts = Vec::new();
    for d in 0..max {
        let mut next = Vec::new();
        let mut netmax = 0;
        for s in &frontier {
            netmax = netmax.max(s.net.len());
            acts.clear();
            m.actions(s, &mut acts);
            for a in acts.drain(..) {
                let n = m.next_state(s, a).unwrap();
                if seen.insert(n.clone()) {
                    next.push(n);
                }
            }
        }
        if std::env::var("V").is_ok() {
            println!(
                "depth {d}: {} states, max net {netmax}, total {}",
                frontier.len(),
                seen.len()
            );
        }
        if std::env::var("SHOW")
            .ok()
            .map(|v| v.parse::<usize>().unwrap())
            == Some(d)
        {
            for s in frontier.iter().take(3) {
                println!("{}", synfin_model::render::steps(&[(s.clone(), None)]));
            }
        }
        if next.is_empty() {
            println!("complete at depth {d}: {} states", seen.len());
            break;
        }
        frontier = next;
        if seen.len() > 3_000_000 {
            println!("cut at depth {d}: {} states", seen.len());
            break;
        }
    }
}
