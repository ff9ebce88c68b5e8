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
# At the end the script prints this run's kill rate, caught / viable (with
# `--iterate`, of the mutants retested only), and exits as cargo-mutants did
# (2 when some mutant was missed).
set -euo pipefail
if ! cargo mutants --version >/dev/null 2>&1; then
  echo "mutants.sh: cargo-mutants is not installed (cargo install cargo-mutants)" >&2
  exit 2
fi
out=.
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    -o|--output) out=${args[$((i + 1))]:-.} ;;
    --output=*) out=${args[$i]#--output=} ;;
  esac
done
cd "$(dirname "$0")/../.."
export SYNFIN_DEPTH=${SYNFIN_DEPTH:-7}
export CARGO_PROFILE_DEV_DEBUG=0
cargo mutants --package synfin-tcp --file 'impl/src/conn/*.rs' \
  --test-workspace=false --test-package synfin-conformance \
  --cargo-test-arg=--test=suite --cargo-test-arg=--test=depth \
  --cargo-test-arg=--test=scenarios --cargo-test-arg=--test=oracle \
  --cargo-test-arg=--test=witness --cargo-test-arg=--test=rfc \
  --baseline=skip --timeout 180 "$@" || rc=$?

count() { if [ -f "$1" ]; then grep -c . "$1" || true; else echo 0; fi; }
dir=$out/mutants.out
caught=$(count "$dir/caught.txt")
missed=$(count "$dir/missed.txt")
timeouts=$(count "$dir/timeout.txt")
viable=$(( caught + missed + timeouts ))
if [ "$viable" -gt 0 ]; then
  echo "kill rate: $caught caught of $viable viable mutants" \
    "($(( 1000 * caught / viable / 10 )).$(( 1000 * caught / viable % 10 ))%;" \
    "$missed missed, $timeouts timed out; survivors in $dir/missed.txt)"
fi
exit "${rc:-0}"
