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
# Two default worlds. The default preset itself (1 loss, 1 duplicate; 32M
# states, about 3.5 min and 2.2 GB per profile for the cover): its
# transition cover. And the default preset of before 2026-11-24, with 2
# losses and no duplicate (8.7M states): its cover, random walks and the
# scenarios. That world takes three keys the preset cannot (a second loss
# lets ESTABLISHED, CLOSE-WAIT and SYN-RECEIVED time out), the preset takes
# none the 2-loss world misses; with one loss the shortest connect-timeout
# takes 27 steps instead of 8, a poor canonical scenario; and the kernel
# replay (tests/kernel.rs) runs on the 2-loss cover.
two_loss=(--preset default --losses 2 --dups 0)
for profile in rfc9293 rfc793; do
  "$synfin" export --preset default --profile "$profile" --cover transitions --out "$out/cover-default-$profile"
  "$synfin" export "${two_loss[@]}" --profile "$profile" --cover transitions --out "$out/cover-default-2loss-$profile"
  "$synfin" export "${two_loss[@]}" --profile "$profile" --random 50 --seed 1 --out "$out/random-default-2loss-$profile"
  "$synfin" export --preset quick --profile "$profile" --depth "${DEPTH:-4}" --out "$out/depth-quick-$profile"
  # Transition covers of two small worlds with a fault the 2-loss default
  # world lacks (a duplicate; a segment held past a tick):
  # conformance/tests/oracle.rs runs random schedules in each world the
  # manifests describe.
  "$synfin" export --preset quick --profile "$profile" --dups 1 --cover transitions --out "$out/cover-quick-dup1-$profile"
  "$synfin" export --preset quick --profile "$profile" --delays 1 --cover transitions --out "$out/cover-quick-delay1-$profile"
  # The 10 canonical scenarios (as `synfin show` draws them), pinned by conformance/tests/scenarios.rs.
  "$synfin" export "${two_loss[@]}" --profile "$profile" --scenarios --out "$out/scenarios-$profile"
done
