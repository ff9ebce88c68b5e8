#!/usr/bin/env bash
# Measure synfin and write the figures the book's Measurements chapter
# includes, one Markdown file per section under docs/src/reference/measured/.
# Every figure there comes from a run of this script: none is typed by hand.
#
#   scripts/measure.sh [SECTION...]
#
# Sections (default: model variants conformance impl):
#   model        synfin check on quick, default and old-duplicates, both profiles: states,
#                seconds, states/s, peak memory, bytes per state
#   deep         the same for deep (minutes; not in the default set)
#   largest      deep --losses 2 under rfc9293, its queue on disk (about 10 minutes)
#   variants     every broken variant: counterexample length and time
#   conformance  the committed suite and a fresh export replayed against synfin-tcp
#   impl         the simulator benchmark (sim_bench), three runs
#   kernel       synfin-tcp bench and the kernel replay (needs root and /dev/net/tun)
#   mutants      cargo-mutants over synfin-tcp's connection core (about 30 minutes)
#
# Each file records the date, the commit, the machine and its load average
# before and after, because a shared machine moves timings by tens of percent.
set -euo pipefail
cd "$(dirname "$0")/.."

sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(model variants conformance impl)
for s in "${sections[@]}"; do
  case "$s" in
    model|deep|largest|variants|conformance|impl|kernel|mutants) ;;
    *) echo "measure: unknown section '$s' (model deep largest variants conformance impl kernel mutants)" >&2; exit 2 ;;
  esac
done
command -v python3 >/dev/null || { echo "measure: python3 is needed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "measure: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

out=docs/src/reference/measured
mkdir -p "$out"
bin=${CARGO_TARGET_DIR:-target}/release
echo "measure: building (release)" >&2
cargo build -q --release --workspace --bins
cargo build -q --release -p synfin-tcp --example sim_bench

load() { cut -d' ' -f1-3 /proc/loadavg; }

# The header every section starts with.
header() {
  local title=$1
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
  printf '<!-- written by scripts/measure.sh %s; do not edit -->\n\n' "$2"
  printf '%s, measured %s at commit `%s` on %s cores (%s), %s GiB of memory; load average before: %s.\n\n' \
    "$title" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ":!$out" || echo '+changes')" \
    "$(nproc)" "$cpu" "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" "${started_load:-$(load)}"
}
footer() { printf '\nLoad average after: %s.\n' "$(load)"; }

# `synfin check --json` under /usr/bin/time: one table row.
check_row() {
  local label=$1; shift
  local tmp
  tmp=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$tmp.time" "$bin/synfin" check --json "$@" >"$tmp" 2>/dev/null || true
  python3 scripts/measure-rows.py check "$label" "$tmp" "$tmp.time"
  rm -f "$tmp" "$tmp.time"
}

model_table() {
  echo '| world | unique states | generated | max depth | search s | wall s | states/s | peak memory | bytes/state | verdicts as expected |'
  echo '|---|---|---|---|---|---|---|---|---|---|'
  for preset in "$@"; do
    for profile in rfc9293 rfc793; do
      echo "measure: check --preset $preset --profile $profile" >&2
      check_row "\`$preset\`, $profile" --preset "$preset" --profile "$profile"
    done
  done
}

section_model() {
  {
    header "\`synfin check\`" model
    model_table quick default old-duplicates reincarnation off-path
    echo
    echo 'Search seconds are the exhaustive search; wall seconds add start-up and the breadth-first'
    echo 'searches for the paths shown. Peak memory is the maximum resident set size; bytes per'
    echo 'state divides it by the unique states. "Verdicts as expected" counts properties that meet'
    echo "their profile's claim: safety properties that hold (under rfc793, \`time-wait-lasts-2msl\`"
    echo "and \`no-blind-injection\` fail, as claimed) and scenarios that are reached."
    footer
  } >"$out/model.md.tmp"
  mv "$out/model.md.tmp" "$out/model.md"
}

# The largest world measured: 310 million states. Without a depth profile
# from an earlier run the visited set grows, and holds the old and the new
# table at once while it rehashes; with one it is sized once.
section_largest() {
  local spill=${SPILL_DIR:-/var/tmp}
  {
    header "\`synfin check --preset deep --losses 2 --spill-dir $spill\`" largest
    echo '| world | unique states | generated | max depth | search s | wall s | states/s | peak memory | bytes/state | verdicts as expected |'
    echo '|---|---|---|---|---|---|---|---|---|---|'
    echo "measure: check --preset deep --losses 2 --spill-dir $spill" >&2
    check_row "\`deep --losses 2\`, rfc9293" --preset deep --losses 2 --spill-dir "$spill"
    footer
  } >"$out/largest.md.tmp"
  mv "$out/largest.md.tmp" "$out/largest.md"
}

section_deep() {
  {
    header "\`synfin check --preset deep\`" deep
    model_table deep
    # The same world with the queue on disk: memory is then the visited set.
    local spill=${SPILL_DIR:-/var/tmp}
    echo "measure: check --preset deep --spill-dir $spill" >&2
    check_row "\`deep\`, rfc9293, \`--spill-dir\`" --preset deep --spill-dir "$spill"
    footer
  } >"$out/deep.md.tmp"
  mv "$out/deep.md.tmp" "$out/deep.md"
}

section_variants() {
  {
    header "\`synfin check --variant\`" variants
    echo '| variant | breaks | counterexample | states searched | wall s |'
    echo '|---|---|---|---|---|'
    for v in $("$bin/synfin" list --json | python3 -c 'import json, sys; print(*(v["name"] for v in json.load(sys.stdin)["variants"]))'); do
      echo "measure: check --variant $v" >&2
      tmp=$(mktemp)
      rc=0
      /usr/bin/time -f '%e' -o "$tmp.time" "$bin/synfin" check --variant "$v" --json >"$tmp" 2>/dev/null || rc=$?
      python3 scripts/measure-rows.py variant "$v" "$tmp" "$tmp.time" "$rc"
      rm -f "$tmp" "$tmp.time"
    done
    footer
  } >"$out/variants.md.tmp"
  mv "$out/variants.md.tmp" "$out/variants.md"
}

replay_row() {
  local label=$1; shift
  "$bin/synfin-conform" replay --json "$@" | python3 scripts/measure-rows.py replay "$label"
}

section_conformance() {
  local fresh
  fresh=$(mktemp -d)
  {
    header "\`synfin-conform replay\` against synfin-tcp" conformance
    echo '| traces | trace files | steps (3 ISN bases) | divergences | known deviations | transitions taken | seconds | steps/s |'
    echo '|---|---|---|---|---|---|---|---|'
    echo "measure: replay the committed suite" >&2
    replay_row 'committed suite, `conformance/traces/`'
    for profile in rfc9293 rfc793; do
      echo "measure: export quick/default ($profile)" >&2
      "$bin/synfin" export --preset quick --profile "$profile" --cover transitions --out "$fresh/cover-quick-$profile" >/dev/null
      "$bin/synfin" export --preset quick --profile "$profile" --depth 7 --out "$fresh/depth-quick-$profile" >/dev/null
      "$bin/synfin" export --preset default --profile "$profile" --random 500 --seed 20261123 --out "$fresh/random-default-$profile" >/dev/null
    done
    replay_row 'fresh export as in `.ci/run` (quick cover, quick paths to depth 7, 500 random walks of default)' "$fresh"
    echo
    echo 'Seconds include loading the JSON; steps/s is the replay alone.'
    footer
  } >"$out/conformance.md.tmp"
  mv "$out/conformance.md.tmp" "$out/conformance.md"
  rm -rf "$fresh"
}

section_impl() {
  {
    header '`sim_bench` (synfin-tcp in its simulator)' impl
    echo '| run | cycles | wall clock, cycles/s | on-CPU, cycles/s | µs per cycle (on-CPU) |'
    echo '|---|---|---|---|---|'
    local sizes=""
    for run in 1 2 3; do
      for wire in "" --wire; do
        echo "measure: sim_bench run $run $wire" >&2
        text=$("$bin/examples/sim_bench" --cycles 200000 $wire)
        sizes=$(sed -n 's/^size_of: //p' <<<"$text")
        python3 scripts/measure-rows.py sim "$run${wire:+ (through the wire codec)}" <<<"$text"
      done
    done
    echo
    echo "One cycle: connect from an ephemeral port, 100 bytes each way, the client closes first, its"
    echo "TIME-WAIT entry is created and expires; 11 segments. Sizes: $sizes."
    footer
  } >"$out/impl.md.tmp"
  mv "$out/impl.md.tmp" "$out/impl.md"
}

section_kernel() {
  if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
    echo "measure: the kernel section needs root and /dev/net/tun; skipped" >&2
    return 0
  fi
  {
    header 'synfin-tcp and the conformance suite against the Linux kernel' kernel
    echo "Kernel: $(uname -r)."
    echo
    echo '| measurement | result |'
    echo '|---|---|'
    echo "measure: synfin-tcp demo" >&2
    "$bin/synfin-tcp" demo >"$out/kernel-demo.txt" || echo "measure: synfin-tcp demo failed" >&2
    echo "measure: synfin-tcp bench" >&2
    "$bin/synfin-tcp" bench --exchanges 5000 --json | python3 scripts/measure-rows.py scalars 'bench: '
    echo "measure: kernel replay" >&2
    "$bin/synfin-conform" replay --target kernel --json | python3 scripts/measure-rows.py kernel-replay
    footer
  } >"$out/kernel.md.tmp"
  mv "$out/kernel.md.tmp" "$out/kernel.md"
}

section_mutants() {
  command -v cargo-mutants >/dev/null || { echo "measure: cargo install cargo-mutants first" >&2; exit 2; }
  local log
  log=$(mktemp)
  # The header is written after the run: keep the load it started under.
  local started_load
  started_load=$(load)
  local rc=0
  conformance/scripts/mutants.sh 2>&1 | tee "$log" >&2 || rc=${PIPESTATUS[0]}
  # cargo-mutants exits 0 when every mutant was caught, 2 when some were
  # missed and 3 when some timed out; anything else (an interrupted run, a
  # failing baseline) has no kill rate worth writing down.
  case "$rc" in
    0|2|3) ;;
    *) echo "measure: the mutants run did not finish (exit $rc); nothing written" >&2; rm -f "$log"; exit 1 ;;
  esac
  {
    header 'cargo-mutants over synfin-tcp'"'"'s connection core, killed by the conformance suite' mutants
    echo '```text'
    grep -E '^(kill rate|[0-9]+ mutants tested)' "$log" || tail -n 3 "$log"
    echo '```'
    footer
  } >"$out/mutants.md.tmp"
  mv "$out/mutants.md.tmp" "$out/mutants.md"
  rm -f "$log"
}

for s in "${sections[@]}"; do
  "section_$s"
  echo "measure: wrote $out/$s.md" >&2
done
