#!/usr/bin/env bash
# Regenerate the committed conformance suite under conformance/traces/ from
# the model (`synfin export`). Run after any change to the model; commit the
# result. The CI test (conformance/tests/suite.rs) replays these files, and
# .ci/run also replays a fresh export so a stale suite cannot hide a change.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=conformance/traces
rm -rf "$out"
cargo build --release -p synfin-model
synfin=${CARGO_TARGET_DIR:-target}/release/synfin
for profile in rfc9293 rfc793; do
  "$synfin" export --preset default --profile "$profile" --cover transitions --out "$out/cover-default-$profile"
  "$synfin" export --preset quick --profile "$profile" --depth "${DEPTH:-4}" --out "$out/depth-quick-$profile"
  "$synfin" export --preset default --profile "$profile" --random 50 --seed 1 --out "$out/random-default-$profile"
  # Transition covers of two small worlds with the faults the default preset
  # lacks (a duplicate; a segment held past a tick): conformance/tests/oracle.rs
  # runs random schedules in each world the manifests describe.
  "$synfin" export --preset quick --profile "$profile" --dups 1 --cover transitions --out "$out/cover-quick-dup1-$profile"
  "$synfin" export --preset quick --profile "$profile" --delays 1 --cover transitions --out "$out/cover-quick-delay1-$profile"
  # The 10 canonical scenarios (shortest examples), pinned by conformance/tests/scenarios.rs.
  "$synfin" export --preset default --profile "$profile" --scenarios --out "$out/scenarios-$profile"
done
