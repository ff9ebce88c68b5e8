#!/usr/bin/env bash
# Browser check of `synfin explore`: headless Chromium (Debian's `chromium`
# package) loads the Explorer page and a deep link to the shortest
# three-way handshake, saves screenshots, checks that the deep link's DOM
# holds our sequence diagram (an <svg> with lifelines A and B), and fails
# on uncaught exceptions and error messages in the console (see below).
#
#   apt-get install -y chromium        # once
#   scripts/browser-check.sh [OUT_DIR]  # default OUT_DIR: target/browser-check
#
# Needs a built `synfin` (cargo build --release -p synfin-model) or SYNFIN=path.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/browser-check}
mkdir -p "$out"
synfin=${SYNFIN:-${CARGO_TARGET_DIR:-target}/release/synfin}
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -x "$synfin" ] || { echo "no synfin binary at $synfin (cargo build --release -p synfin-model)" >&2; exit 2; }
[ -n "$chrome" ] || { echo "chromium not found (apt-get install -y chromium)" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
"$synfin" explore --addr "$addr" >"$out/explore.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do
    grep -q 'three-way-handshake .*#/steps/' "$out/explore.log" && break
    sleep 0.2
done
link=$(grep 'three-way-handshake' "$out/explore.log" | grep -o "http://$addr/#/steps/[0-9/]*" | head -1 || true)
[ -n "$link" ] || { echo "no deep link printed" >&2; cat "$out/explore.log" >&2; exit 1; }
echo "explorer: http://$addr/  deep link: $link"

flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1600
       --virtual-time-budget=8000 --enable-logging=stderr --v=0
       --user-data-dir="$out/profile")
fail=0
shoot() { # name url
    "$chrome" "${flags[@]}" --screenshot="$out/$1.png" "$2" 2>"$out/$1.console.log" >/dev/null || true
    "$chrome" "${flags[@]}" --dump-dom "$2" 2>>"$out/$1.console.log" >"$out/$1.dom.html" || true
    # With --enable-logging=stderr Chromium logs every console message and
    # uncaught exception of the page as `INFO:CONSOLE:<line>] "<text>"`, at
    # the same level whatever the console method; the Explorer's app.js logs
    # its requests with console.log. So this fails on uncaught exceptions,
    # messages naming an error, and failed loads; a console.error whose text
    # names no error would go unnoticed.
    if grep ':CONSOLE' "$out/$1.console.log" | grep -iE 'uncaught|error|exception|failed'; then
        echo "$1: console errors (see $out/$1.console.log)" >&2
        fail=1
    fi
    [ -s "$out/$1.png" ] || { echo "$1: no screenshot" >&2; fail=1; }
    echo "$1: screenshot $out/$1.png, DOM $out/$1.dom.html ($(wc -c <"$out/$1.dom.html") bytes)"
}
shoot explorer "http://$addr/"
shoot deep-link "$link"
if grep -q '<svg' "$out/deep-link.dom.html" && grep -q '>SYN-RECEIVED<' "$out/deep-link.dom.html"; then
    echo "deep-link: the page shows our sequence diagram"
else
    echo "deep-link: no sequence diagram in the DOM" >&2
    fail=1
fi
exit $fail
