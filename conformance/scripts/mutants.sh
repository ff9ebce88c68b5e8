#!/usr/bin/env bash
# Suite strength: cargo-mutants on synfin-tcp's connection core (impl/src/conn/)
# with the conformance suite alone as the test command: the committed traces
# (tests/suite.rs), every quick path to depth SYNFIN_DEPTH (tests/depth.rs,
# 7 here to keep a mutant under a minute), the scenario snapshots, the
# refinement oracle, the witness traces, and the RFC requirements the model
# abstracts away (tests/rfc/: windows, RTT, MSS, rate limits, user calls).
# synfin-tcp's own unit tests are not run: the question is what the
# conformance suite alone catches. The kernel replay is left
# out (it needs root and a network namespace, and measures Linux, not synfin-tcp).
#
# The baseline is skipped: cargo-mutants runs it on the mutated package
# (synfin-tcp), whose targets the --test filters do not name; cargo test
# proves the unmutated tree passes.
# Slow (one build per mutant, 368 mutants), so not part of .ci/run. Pass
# `--shard 0/8 --sharding round-robin` for a representative eighth.
# Needs `cargo install cargo-mutants`. Results land in mutants.out/
# (caught.txt, missed.txt, timeout.txt, unviable.txt); `-o DIR` moves them.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SYNFIN_DEPTH=${SYNFIN_DEPTH:-7}
export CARGO_PROFILE_DEV_DEBUG=0
cargo mutants --package synfin-tcp --file 'impl/src/conn/*.rs' \
  --test-workspace=false --test-package synfin-conformance \
  --cargo-test-arg=--test=suite --cargo-test-arg=--test=depth \
  --cargo-test-arg=--test=scenarios --cargo-test-arg=--test=oracle \
  --cargo-test-arg=--test=witness --cargo-test-arg=--test=rfc \
  --baseline=skip --timeout 180 "$@"
