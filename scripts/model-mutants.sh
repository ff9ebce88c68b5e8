#!/usr/bin/env bash
# Load-bearing checks, measured: cargo-mutants over the model's segment
# arrival and system transitions (model/src/arrive.rs, model/src/system.rs),
# killed by the CI worlds (model/tests/ci_worlds.rs: quick, off-path,
# old-duplicates, reincarnation, three application worlds and a crash world
# as claimed under rfc9293 and rfc793, and every variant still caught by a
# counterexample of its pinned length), by the ghosts' own tests
# (model/tests/ghosts.rs: a lenient ghost lets every property still hold)
# and by the tests of the two options no CI world turns on: MAY-2's
# (model/tests/time_wait_reopen.rs: its rules and its reincarnation world)
# and the model without its reopen gate's (model/tests/reopen_at_once.rs:
# its rules and a small world where SYN-SENT's and SYN-RECEIVED's ACK
# checks bear load).
# The list is in scripts/model-mutant-tests.sh.
# A mutant that survives changes a line no property of those worlds bears:
# either it is equivalent (the model cannot tell) or it is a gap. The
# survivors and their explanations are in
# docs/src/reference/measured/model-mutants.md; scripts/mutant-recheck.sh
# tries a run's survivors against the rest of CI.
#
#   scripts/model-mutants.sh                                   # all 517 mutants
#   scripts/model-mutants.sh --shard 0/6 --sharding round-robin  # a sixth
#   scripts/model-mutants.sh --in-place ...                    # reuse ./target
#
# Every argument goes to cargo-mutants. By default it copies the tree
# (without target/) to a scratch directory and builds from scratch there,
# minutes before the first mutant; `--in-place` mutates this tree instead,
# reusing its target/ (do not edit the tree while it runs; cargo-mutants
# puts each file back). One mutant costs an incremental build of
# synfin-model (20 to 75 s on 2 cores) and the tests: seconds for most, which
# a quick world or a constructed state catches, and 2 to 3 minutes when
# nothing fails. A round-robin tenth (`--shard N/10 --sharding round-robin`,
# about 50 mutants) takes 40 to 70 minutes; all 517 the better part of a day.
# Too slow for .ci/run.
#
# Results land in mutants.out/ (`-o DIR` moves them). At the end the script
# prints the kill rate, caught / (caught + missed), and apart from it the
# timeouts and the unviable mutants (those that do not build); it splits the
# caught ones by what failed in ci_worlds.rs: a verdict (a property or a
# variant), only a pinned state count, or the bound on the state count. It
# exits as cargo-mutants did: 0 all caught, 2 some missed, 3 some timed out.
set -euo pipefail
if ! cargo mutants --version >/dev/null 2>&1; then
  echo "model-mutants.sh: cargo-mutants is not installed (cargo install cargo-mutants)" >&2
  exit 2
fi
out=.
# 120 s per test run unless the caller gives its own --timeout (a loaded
# machine needs more: a test slowed past the limit counts as a timeout).
timeout=(--timeout 120)
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    -o|--output) out=${args[$((i + 1))]:-.} ;;
    --output=*) out=${args[$i]#--output=} ;;
    -t|--timeout|--timeout=*) timeout=() ;;
  esac
done
cd "$(dirname "$0")/.."
source scripts/model-mutant-tests.sh
test_args=()
for t in "${MODEL_MUTANT_TESTS[@]}"; do
  test_args+=("--cargo-arg=--test=$t")
done
start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
cargo mutants --package synfin-model \
  --file model/src/arrive.rs --file model/src/system.rs \
  --test-workspace=false --test-package synfin-model \
  "${test_args[@]}" \
  "${timeout[@]}" "$@" || rc=$?
case "$rc" in
  0|2|3) ;;
  *) echo "model-mutants.sh: cargo-mutants exited $rc; no kill rate" >&2; exit "$rc" ;;
esac

python3 - "$out/mutants.out" "$start" "$load_before" <<'PY'
import json, os, sys, time
dir, start, load_before = sys.argv[1], int(sys.argv[2]), sys.argv[3]
outcomes = json.load(open(os.path.join(dir, "outcomes.json")))["outcomes"]
tally = {"CaughtMutant": 0, "MissedMutant": 0, "Timeout": 0, "Unviable": 0}
how = {"verdict": 0, "count only": 0, "bound": 0, "ghost": 0, "option": 0, "other": 0}
for o in outcomes:
    if o["scenario"] == "Baseline":
        continue
    s = o["summary"]
    tally[s] = tally.get(s, 0) + 1
    if s == "CaughtMutant":
        log = open(os.path.join(dir, o["log_path"]), errors="replace").read()
        for key in ("verdict", "count only", "bound", "ghost"):
            if f"killed by {key}:" in log:
                how[key] += 1
                break
        else:
            # cargo names the test binary that failed; the binaries run in
            # order, so an option's failing means the ones before passed.
            option = "--test time_wait_reopen`" in log or "--test reopen_at_once`" in log
            how["option" if option else "other"] += 1
caught, missed = tally["CaughtMutant"], tally["MissedMutant"]
tested = sum(tally.values())
load_after = open("/proc/loadavg").read().split()[:3]
print(f"{tested} mutants tested in {(time.time() - start) / 60:.0f} min: "
      f"{caught} caught, {missed} missed, {tally['Timeout']} timed out, {tally['Unviable']} unviable")
if caught + missed:
    print(f"kill rate: {caught} caught of {caught + missed} (caught + missed) = "
          f"{100 * caught / (caught + missed):.1f}%")
    print(f"caught by a verdict: {how['verdict']} ({100 * how['verdict'] / (caught + missed):.1f}% of caught + missed); "
          f"by a pinned state count only: {how['count only']}; by the state bound: {how['bound']}; "
          f"by a ghost's test (ghosts.rs): {how['ghost']}; by an option's tests (reopen_at_once.rs, time_wait_reopen.rs): {how['option']}; "
          f"by a panic (overflow, bounds, division by zero): {how['other']}")
print(f"load average before: {load_before}; after: {' '.join(load_after)}")
print(f"survivors in {os.path.join(dir, 'missed.txt')}")
PY
exit "$rc"
