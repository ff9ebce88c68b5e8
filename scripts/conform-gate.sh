#!/usr/bin/env bash
# The conformance gate: replays synfin's model traces against a TCP and
# fails when it diverges. The GitHub Action (action.yml at the repository
# root) runs this script; so does .ci/run, without GitHub.
#
# Inputs, as flags or environment variables (a flag wins):
#   --target T     SYNFIN_TARGET   impl | kernel | smoltcp | exec:CMD ... (default impl);
#                                  passed to `synfin-conform replay --target` as it is
#   --traces P     SYNFIN_TRACES   trace files or directories, separated by spaces or
#                                  newlines (default: the committed suite)
#   --expect F     SYNFIN_EXPECT   expectations file (TOML) of accepted divergences
#   --junit F      SYNFIN_JUNIT    write JUnit XML here
#   --summary F    SYNFIN_SUMMARY  append the Markdown summary here (default:
#                                  $GITHUB_STEP_SUMMARY when set)
#   --bin B        SYNFIN_BIN      a built synfin-conform; without it the script builds
#                                  one (cargo build --release -p synfin-conformance) in the
#                                  repository holding this script
#
# Paths are taken from the directory the script is run in. Exit status is
# synfin-conform's: 0 pass, 1 a divergence or a stale expectation, 2 bad
# input or usage (also for this script's own usage errors).
set -euo pipefail

usage() {
  echo "conform-gate.sh: $*" >&2
  echo "usage: conform-gate.sh [--target T] [--traces 'P...'] [--expect F] [--junit F] [--summary F] [--bin B]" >&2
  exit 2
}

target=${SYNFIN_TARGET:-impl}
traces=${SYNFIN_TRACES:-}
expect=${SYNFIN_EXPECT:-}
junit=${SYNFIN_JUNIT:-}
summary=${SYNFIN_SUMMARY:-${GITHUB_STEP_SUMMARY:-}}
bin=${SYNFIN_BIN:-}

while [ $# -gt 0 ]; do
  case "$1" in
    --target|--traces|--expect|--junit|--summary|--bin)
      [ $# -ge 2 ] || usage "$1 needs a value"
      case "$1" in
        --target) target=$2 ;;
        --traces) traces=$2 ;;
        --expect) expect=$2 ;;
        --junit) junit=$2 ;;
        --summary) summary=$2 ;;
        --bin) bin=$2 ;;
      esac
      shift 2
      ;;
    -h|--help)
      sed -n '2,24p' "$0"
      exit 0
      ;;
    *) usage "unknown option $1" ;;
  esac
done
[ -n "$target" ] || usage "the target is empty"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "$bin" ]; then
  command -v cargo >/dev/null || usage "cargo not found: install a Rust toolchain (rustup.rs) or give --bin"
  echo "conform-gate: building synfin-conform in $root" >&2
  cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p synfin-conformance >&2
  bin="$root/target/release/synfin-conform"
fi
[ -x "$bin" ] || usage "no synfin-conform at $bin"

args=(replay --target "$target")
[ -n "$expect" ] && args+=(--expect "$expect")
[ -n "$junit" ] && args+=(--junit "$junit")
md=""
if [ -n "$summary" ]; then
  md=$(mktemp)
  trap 'rm -f "$md"' EXIT
  args+=(--summary "$md")
fi
if [ -n "$traces" ]; then
  # Word splitting on spaces and newlines is the input's format; no globbing.
  set -f
  # shellcheck disable=SC2206
  paths=($traces)
  set +f
  args+=("${paths[@]}")
fi

echo "conform-gate: synfin-conform ${args[*]}" >&2
rc=0
"$bin" "${args[@]}" || rc=$?
if [ -n "$md" ] && [ -s "$md" ]; then
  cat "$md" >>"$summary"
fi
case $rc in
  0) echo "conform-gate: pass" >&2 ;;
  1) echo "conform-gate: FAIL: a divergence, or a stale expectation (see above)" >&2 ;;
  *) echo "conform-gate: bad input or usage (exit $rc)" >&2 ;;
esac
exit "$rc"
