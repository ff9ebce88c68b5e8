#!/usr/bin/env bash
# The second look at the model's surviving mutants: each mutant that
# scripts/model-mutants.sh reported missed is applied again, in this tree,
# and tried against that script's test command as it is now and against
# what CI runs beyond it:
#
#   - model-mutants.sh's own test command as it is now
#     (scripts/model-mutant-tests.sh), which may have gained checks since
#     the run;
#   - model/tests/model.rs (the worlds' pinned counts, every variant's
#     counterexample length, the properties' own tests);
#   - with --default, `synfin check` on `default` under rfc9293 and rfc793
#     (release build, half a minute each): CI's gate, a wider world than
#     any the script's test command checks.
#
# A survivor either fails one of them (caught since, or by the wider suite)
# or passes all (equivalent or a gap: docs/src/reference/measured/model-mutants.md
# says which, and why). Timeouts are listed, not rerun: a mutant that makes
# a check run forever needs a judgement, not a bigger limit.
#
#   scripts/mutant-recheck.sh /tmp/mut4/mutants.out
#   scripts/mutant-recheck.sh --default mutants.out
#
# Each mutant is applied with `patch -p0` and taken back with `patch -R -p0`,
# also on Ctrl-C; the tree's model/src must have no uncommitted change.
# Exit 0 when every survivor was rechecked, 1 when one did not apply to this
# tree, 2 on bad usage.
set -euo pipefail
usage() {
  echo "usage: scripts/mutant-recheck.sh [--default] MUTANTS_OUT_DIR" >&2
  exit 2
}
default=false
dir=
for arg in "$@"; do
  case "$arg" in
    --default) default=true ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "mutant-recheck.sh: unknown option $arg" >&2; usage ;;
    *) [[ -z "$dir" ]] || usage; dir=$arg ;;
  esac
done
[[ -n "$dir" ]] || usage
given=$dir
dir=$(cd "$given" 2>/dev/null && pwd) || { echo "mutant-recheck.sh: no directory $given" >&2; exit 2; }
[[ -f "$dir/outcomes.json" ]] || { echo "mutant-recheck.sh: $dir has no outcomes.json (give cargo-mutants' mutants.out)" >&2; exit 2; }
cd "$(dirname "$0")/.."
if ! git diff --quiet -- model/src; then
  echo "mutant-recheck.sh: model/src has uncommitted changes; a mutant must apply to a clean tree" >&2
  exit 2
fi

# One line a survivor or a timeout: its outcome, name and diff, tab-separated.
mapfile -t outcomes < <(python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
for o in json.load(open(os.path.join(d, "outcomes.json")))["outcomes"]:
    if o["summary"] in ("MissedMutant", "Timeout"):
        m = o["scenario"]["Mutant"]
        print("\t".join((o["summary"], m["name"], os.path.join(d, o["diff_path"]))))
PY
)
missed=()
timeouts=()
for line in "${outcomes[@]}"; do
  IFS=$'\t' read -r summary name diff <<<"$line"
  if [[ $summary == MissedMutant ]]; then
    missed+=("$name"$'\t'"$diff")
  else
    timeouts+=("$name")
  fi
done
source scripts/model-mutant-tests.sh

applied=
undo() {
  if [[ -n "$applied" ]]; then
    patch -R -s -p0 < "$applied"
    applied=
  fi
}
trap undo EXIT
trap 'undo; exit 130' INT TERM

# The line after a test's panic says what failed (`killed by verdict: ...`,
# an assertion's message).
why() {
  grep -a -m1 -A1 "panicked at" "$1" | tail -1 | tr -d '\000' | cut -c1-160
}

log=$(mktemp -d)
caught=0
passed=0
stale=0
echo "${#missed[@]} survivors of $dir; each takes a build, the test command and model.rs (about 3 min)$($default && echo ', and default twice')"
for entry in "${missed[@]}"; do
  name=${entry%%$'\t'*}
  diff=${entry#*$'\t'}
  if ! patch --dry-run -s -p0 < "$diff" >/dev/null; then
    echo "$name"
    echo "    does not apply to this tree (check out the commit the mutants were made from)"
    stale=$((stale + 1))
    continue
  fi
  patch -s -p0 < "$diff"
  applied=$diff
  verdicts=()
  if cargo test -q -p synfin-model "${MODEL_MUTANT_TESTS[@]/#/--test=}" >"$log/now" 2>&1; then
    verdicts+=("test command now passes")
  else
    verdicts+=("test command now FAILS: $(why "$log/now")")
  fi
  if cargo test -q -p synfin-model --test model >"$log/model" 2>&1; then
    verdicts+=("model.rs passes")
  else
    verdicts+=("model.rs FAILS: $(why "$log/model")")
  fi
  if $default; then
    for profile in rfc9293 rfc793; do
      rc=0
      cargo run -q --release -p synfin-model --bin synfin -- check --profile "$profile" --json \
        >"$log/default" 2>&1 || rc=$?
      if [[ $rc == 0 ]]; then
        verdicts+=("default $profile as claimed")
      else
        verdicts+=("default $profile NOT as claimed (exit $rc)")
      fi
    done
  fi
  undo
  if printf '%s\n' "${verdicts[@]}" | grep -q -E "FAILS|NOT as claimed"; then
    caught=$((caught + 1))
    tag="caught"
  else
    passed=$((passed + 1))
    tag="still survives"
  fi
  echo "$name"
  printf '    %s\n' "${verdicts[@]}"
  echo "    => $tag"
done
rm -rf "$log"
echo "rechecked ${#missed[@]}: $caught caught now, $passed still survive (equivalent or gaps: classify each)"
for t in "${timeouts[@]}"; do
  echo "timeout, not rerun: $t"
done
if [[ $stale -gt 0 ]]; then
  echo "mutant-recheck.sh: $stale survivor(s) did not apply to this tree" >&2
  exit 1
fi
