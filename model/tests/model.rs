//! The model's pinned facts: state counts of the quick preset, every
//! property and scenario under both profiles, and each variant's shortest
//! counterexample, with proof from stateright itself that none is shorter.

use stateright::{Checker, Model};
use synfin_model::check;
use synfin_model::properties::{self, Expectation};
use synfin_model::{Config, Preset, Profile, TcpModel, Variant};

fn exhaustive(cfg: Config) -> impl Checker<TcpModel> {
    TcpModel::new(cfg).checker().threads(2).spawn_dfs().join()
}

#[test]
fn quick_rfc9293_holds_everything_and_reaches_every_scenario() {
    let checker = exhaustive(Config::new(Preset::Quick, Profile::Rfc9293, None));
    assert_eq!(checker.unique_state_count(), QUICK_RFC9293_STATES);
    checker.assert_properties();
}

#[test]
fn quick_rfc793_holds_everything_and_reaches_every_scenario() {
    let checker = exhaustive(Config::new(Preset::Quick, Profile::Rfc793, None));
    assert_eq!(checker.unique_state_count(), QUICK_RFC793_STATES);
    checker.assert_properties();
}

const QUICK_RFC9293_STATES: usize = 163_794;
const QUICK_RFC793_STATES: usize = 155_642;

/// Each variant breaks its property under the default preset, the
/// breadth-first counterexample has the pinned length, and stateright's own
/// BFS, bounded one step short of it, finds no counterexample.
#[test]
fn every_variant_has_a_shortest_counterexample_of_pinned_length() {
    for (variant, steps) in VARIANT_STEPS {
        let cfg = Config::new(Preset::Default, Profile::Rfc9293, Some(*variant));
        let report = check::check(&cfg, 1, false);
        assert!(!report.ok(), "{variant} must break {}", variant.breaks());
        let verdict = report
            .verdicts
            .iter()
            .find(|v| v.name == variant.breaks())
            .unwrap();
        let path = verdict.path.as_ref().expect("a counterexample");
        assert_eq!(path.len() - 1, *steps, "{variant}: counterexample length");
        let prop = properties::by_name(variant.breaks()).unwrap();
        assert!(!(prop.holds)(
            &TcpModel::new(cfg.clone()),
            &path.last().unwrap().0
        ));

        // Depth d evaluates paths of at most d - 2 actions.
        let only = TcpModel {
            cfg: cfg.clone(),
            only: Some(vec![variant.breaks()]),
        };
        let shorter = only
            .clone()
            .checker()
            .target_max_depth(*steps + 1)
            .spawn_bfs()
            .join();
        shorter.assert_no_discovery(variant.breaks());
        let same = only
            .checker()
            .target_max_depth(*steps + 2)
            .spawn_bfs()
            .join();
        same.assert_any_discovery(variant.breaks());
    }
}

const VARIANT_STEPS: &[(Variant, usize)] = &[
    (Variant::TwoWayHandshake, 4),
    (Variant::NoTimeWait, 10),
    (Variant::ShortTimeWait, 23),
    (Variant::FixedIsn, 8),
    (Variant::NoSynRetransmit, 4),
    (Variant::NoSimultaneousOpen, 4),
];

#[test]
fn every_property_has_a_statement_and_a_reference() {
    assert_eq!(
        properties::ALL
            .iter()
            .filter(|p| p.expectation == Expectation::Always)
            .count(),
        8
    );
    assert_eq!(
        properties::ALL
            .iter()
            .filter(|p| p.expectation == Expectation::Sometimes)
            .count(),
        10
    );
    for p in properties::ALL {
        assert!(
            p.statement.len() > 20 && p.reference.starts_with("RFC"),
            "{}",
            p.name
        );
    }
    for v in Variant::ALL {
        assert!(properties::by_name(v.breaks()).is_some(), "{v}");
    }
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let err = "fast".parse::<Preset>().unwrap_err();
    assert!(err.contains("quick, default, deep"), "{err}");
    let err = "three-way".parse::<Variant>().unwrap_err();
    assert!(
        err.contains("two-way-handshake") && err.contains("no-simultaneous-open"),
        "{err}"
    );
}

#[test]
fn two_way_handshake_counterexample_renders() {
    let cfg = Config::new(
        Preset::Default,
        Profile::Rfc9293,
        Some(Variant::TwoWayHandshake),
    );
    let paths = check::shortest(&cfg, &["no-phantom-connection"]);
    insta::assert_snapshot!(synfin_model::render::steps(&paths["no-phantom-connection"]));
}

/// Found by the `deep` preset: a passive SYN-RECEIVED that went back to
/// LISTEN forgot the ISS its SYN,ACK consumed, so after CLOSE and a new
/// LISTEN, with no tick between, the host chose the same ISS again and an
/// old duplicate SYN plus an old ACK opened a connection A never asked for
/// (10 steps). The smallest world that holds it: two OPENs, one duplicate,
/// one ABORT, no data, no loss.
#[test]
fn a_reopened_listener_does_not_reuse_the_iss_of_its_reset_syn_received() {
    let mut cfg = Config::new(Preset::Default, Profile::Rfc9293, None);
    (cfg.dups, cfg.losses, cfg.bytes, cfg.b_connects) = (1, 0, [0, 0], false);
    let (paths, (states, _, depth)) = check::shortest_with_stats(&cfg, &["no-phantom-connection"]);
    assert!(
        !paths.contains_key("no-phantom-connection"),
        "phantom connection:\n{}",
        synfin_model::render::steps(&paths["no-phantom-connection"])
    );
    assert!(
        depth > 10,
        "the search stopped at depth {depth}, {states} states"
    );
}

mod random_configs {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

        /// Small random worlds: the standard design never breaks a safety property.
        #[test]
        fn standard_model_is_safe(
            rfc9293 in any::<bool>(),
            faults in proptest::sample::subsequence(vec![0usize, 1, 2, 3, 4], 0..=2),
            b_connects in any::<bool>(),
            retries in 1u8..=2,
        ) {
            let profile = if rfc9293 { Profile::Rfc9293 } else { Profile::Rfc793 };
            let mut cfg = Config::new(Preset::Quick, profile, None);
            (cfg.losses, cfg.dups, cfg.delays, cfg.aborts, cfg.crashes) = (0, 0, 0, 0, 0);
            for f in faults {
                match f {
                    0 => cfg.losses = 1,
                    1 => cfg.dups = 1,
                    2 => cfg.delays = 1,
                    3 => cfg.aborts = 1,
                    _ => cfg.crashes = 1,
                }
            }
            cfg.b_connects = b_connects;
            cfg.retries = retries;
            let model = TcpModel::new(cfg.clone());
            let checker = model.checker().threads(2).spawn_dfs().join();
            for p in properties::ALL.iter().filter(|p| p.expectation == Expectation::Always) {
                prop_assert!(checker.discovery(p.name).is_none(), "{} broken in {:?}", p.name, cfg);
            }
        }
    }
}
