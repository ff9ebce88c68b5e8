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
# The default-world exports (cover, random walks, scenarios) use the default
# preset's world without its duplicate: 2 losses instead of 1 loss and 1
# duplicate, which is the default preset of before 2026-11-24, so the
# committed files did not change when the preset did. Why: the cover export
# keeps every state in memory, and the full default world (48-51M states) does
# not fit; with one loss, the shortest connect-timeout takes 27 steps instead
# of 8, a poor canonical scenario. The duplicate's transitions come from the
# quick world with one duplicate below, and .ci/run replays random walks of
# the full default world.
default_world=(--preset default --losses 2 --dups 0)
for profile in rfc9293 rfc793; do
  "$synfin" export "${default_world[@]}" --profile "$profile" --cover transitions --out "$out/cover-default-$profile"
  "$synfin" export --preset quick --profile "$profile" --depth "${DEPTH:-4}" --out "$out/depth-quick-$profile"
  "$synfin" export "${default_world[@]}" --profile "$profile" --random 50 --seed 1 --out "$out/random-default-$profile"
  # Transition covers of two small worlds with the faults the default preset
  # lacks (a duplicate; a segment held past a tick): conformance/tests/oracle.rs
  # runs random schedules in each world the manifests describe.
  "$synfin" export --preset quick --profile "$profile" --dups 1 --cover transitions --out "$out/cover-quick-dup1-$profile"
  "$synfin" export --preset quick --profile "$profile" --delays 1 --cover transitions --out "$out/cover-quick-delay1-$profile"
  # The 10 canonical scenarios (shortest examples), pinned by conformance/tests/scenarios.rs.
  "$synfin" export "${default_world[@]}" --profile "$profile" --scenarios --out "$out/scenarios-$profile"
done
