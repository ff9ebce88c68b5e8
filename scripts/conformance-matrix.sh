#!/usr/bin/env bash
# The conformance matrix: every target this machine can run, replayed over
# the committed suite, side by side per scenario and per transition class.
# Writes docs/src/reference/measured/matrix.md, which the book's matrix
# chapter includes. Nothing in it is typed by hand.
#
#   scripts/conformance-matrix.sh
#
# Targets: synfin-tcp and smoltcp (in memory, always), lwIP (through the
# exec adapter that scripts/build-lwip-adapter.sh builds), and Linux (needs
# root, /dev/net/tun and network namespaces). A target that cannot run here
# is left out with the reason, never shown as passing.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v python3 >/dev/null || { echo "conformance-matrix: python3 is needed" >&2; exit 2; }
out=docs/src/reference/measured/matrix.md
bin=${CARGO_TARGET_DIR:-target}/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "conformance-matrix: building (release)" >&2
cargo build -q --release -p synfin-conformance
conform="$bin/synfin-conform"

reports=()
left_out=()
run() { # NAME TARGET
  local name=$1 target=$2
  echo "conformance-matrix: replaying against $name ($target)" >&2
  local rc=0
  "$conform" replay --target "$target" --json >"$tmp/$name.json" 2>"$tmp/$name.err" || rc=$?
  if [ "$rc" -gt 1 ]; then
    left_out+=("$name: $(tail -n 1 "$tmp/$name.err")")
  else
    reports+=("$name=$tmp/$name.json")
  fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run synfin-tcp impl
if "$conform" replay --help | grep -q smoltcp; then
  run smoltcp smoltcp
else
  left_out+=("smoltcp: this build of synfin-conform has no smoltcp target")
fi
lwip=${CARGO_TARGET_DIR:-target}/lwip-adapter
if bash scripts/build-lwip-adapter.sh >"$tmp/lwip-build.log" 2>&1 && [ -x "$lwip" ]; then
  run lwIP "exec:$lwip"
else
  left_out+=("lwIP: the adapter did not build ($(tail -n 1 "$tmp/lwip-build.log"))")
fi
run Linux kernel

{
  echo "<!-- written by scripts/conformance-matrix.sh; do not edit -->"
  echo
  echo "Replayed $(date -u +%Y-%m-%d) at commit \`$(git rev-parse --short HEAD)\`, on $(nproc) cores,"
  echo "over the committed suite (\`conformance/traces/\`, both profiles); load average"
  echo "$load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after. The in-memory targets replay"
  echo "each trace at three ISN bases (synfin-tcp with both hosts at once, the others one host at a"
  echo "time); Linux at one base per trace, and its steps/s counts the real time its timers take."
  for l in "${left_out[@]}"; do
    echo "Not run here: $l."
  done
  echo
  python3 scripts/conformance-matrix.py "${reports[@]}"
} >"$tmp/matrix.md"
mkdir -p "$(dirname "$out")"
mv "$tmp/matrix.md" "$out"
echo "conformance-matrix: wrote $out" >&2
