#!/usr/bin/env bash
# Regenerate every figure and command output the book shows, from the
# programs themselves, into docs/src/generated/. Nothing there is typed by
# hand: change the program, run this, commit the result.
#
#   scripts/book-figures.sh            # regenerate
#   scripts/book-figures.sh --check    # regenerate, then fail if anything changed
#                                      # (what .ci/run does: the book cannot go stale)
#
# Needs python3 (the tables are made from `synfin list --json`).
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: scripts/book-figures.sh [--check]" >&2; exit 2 ;;
esac
command -v python3 >/dev/null || { echo "book-figures: python3 is needed" >&2; exit 2; }

# SYNFIN_BIN_DIR names a directory with `synfin` and `examples/costs`
# already built (.ci/run passes the ones `cargo test` built); without it
# this script builds them in release mode.
if [ -n "${SYNFIN_BIN_DIR:-}" ]; then
  synfin=$SYNFIN_BIN_DIR/synfin
  costs=$SYNFIN_BIN_DIR/examples/costs
else
  cargo build -q --release -p synfin-model -p synfin-tcp --bin synfin --example costs
  synfin=${CARGO_TARGET_DIR:-target}/release/synfin
  costs=${CARGO_TARGET_DIR:-target}/release/examples/costs
fi
for b in "$synfin" "$costs"; do
  [ -x "$b" ] || { echo "book-figures: $b is not an executable" >&2; exit 2; }
done
out=docs/src/generated
rm -rf "$out"
mkdir -p "$out"

# Tables of what the model knows, from its own list.
"$synfin" list --json | python3 scripts/list-tables.py "$out"

# The quick check, on one thread (the depth a parallel search reports varies)
# and without its timings (they differ from run to run).
"$synfin" check --preset quick --threads 1 \
  | sed -E 's/, [0-9.]+ s \(\+[0-9.]+ s for shortest paths\)//' >"$out/check-quick.txt"

# Every scenario and every variant, as text and as SVG.
# A scenario that needs a profile option has it after its name.
while read -r s needs; do
  "$synfin" show "$s" ${needs:+"$needs"} >"$out/show-$s.txt"
  "$synfin" show "$s" ${needs:+"$needs"} --format svg >"$out/show-$s.svg"
done <"$out/scenario-names.txt"
while read -r v; do
  "$synfin" explain "$v" >"$out/explain-$v.txt"
  "$synfin" explain "$v" --format svg >"$out/explain-$v.svg"
done <"$out/variant-names.txt"
"$synfin" show three-way-handshake --format mermaid >"$out/show-three-way-handshake.mmd"

# The textbook-shaped examples, where the shortest path is not the figure.
for s in simultaneous-open stale-syn-rejected; do
  "$synfin" show "$s" --textbook >"$out/show-$s-textbook.txt"
  "$synfin" show "$s" --textbook --format svg >"$out/show-$s-textbook.svg"
done
"$synfin" show time-wait-reopen --time-wait-reopen --textbook >"$out/show-time-wait-reopen-textbook.txt"
"$synfin" show time-wait-reopen --time-wait-reopen --textbook --format svg >"$out/show-time-wait-reopen-textbook.svg"
"$synfin" explain no-time-wait --textbook >"$out/explain-no-time-wait-textbook.txt"
"$synfin" explain no-time-wait --textbook --format svg >"$out/explain-no-time-wait-textbook.svg"

# packetdrill scripts the export writes (the packetdrill chapter's worked
# example), run from a scratch directory so the summary names pkt/scenarios,
# and without the timing (it differs from run to run).
synfin_abs="$(cd "$(dirname "$synfin")" && pwd)/$(basename "$synfin")"
scratch=$(mktemp -d)
(cd "$scratch" && "$synfin_abs" export --preset quick --scenarios --format pkt --out pkt/scenarios) \
  | sed -E 's/ in [0-9.]+ s / /' >"$out/export-pkt-scenarios.txt"
for s in three-way-handshake-B connect-timeout-A; do
  cp "$scratch/pkt/scenarios/$s.pkt" "$out/pkt-$s.pkt"
done
rm -rf "$scratch"

# Help texts, as a user sees them.
"$synfin" --help >"$out/help-synfin.txt"
for cmd in check show explain explore export list; do
  "$synfin" "$cmd" --help >"$out/help-synfin-$cmd.txt"
done

# What TIME-WAIT and SYN backoff cost, measured in synfin-tcp's simulator on
# virtual time: deterministic, so --check can compare it like the rest.
"$costs" >"$out/costs.md"

if [ "$check" = 1 ]; then
  if [ -n "$(git status --porcelain -- "$out")" ]; then
    git status --short -- "$out" >&2
    git --no-pager diff --stat -- "$out" >&2
    echo "book-figures: docs/src/generated/ is stale; run scripts/book-figures.sh and commit" >&2
    exit 1
  fi
  echo "book-figures: docs/src/generated/ is up to date"
fi
