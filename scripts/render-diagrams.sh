#!/usr/bin/env bash
# Render every scenario (`synfin show NAME --format svg`) and every variant
# (`synfin explain NAME --format svg`) to SVG and then PNG, so that a person
# can look at what `synfin` draws.
#
#   scripts/render-diagrams.sh [OUT_DIR]    # default OUT_DIR: target/diagrams
#
# PNGs come from rsvg-convert (Debian `librsvg2-bin`) if present, else from
# headless Chromium (Debian `chromium`): apt-get install -y librsvg2-bin or
# chromium. Set RENDERER=chromium to use Chromium even where rsvg-convert is
# installed (it is what the Explorer's users see). Needs a built `synfin`
# (cargo build --release -p synfin-model) or SYNFIN=path. Extra arguments
# for `synfin show`, e.g. PRESET=quick, go in the environment. Exits 1 if a
# diagram could not be drawn or converted.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/diagrams}
mkdir -p "$out"
synfin=${SYNFIN:-${CARGO_TARGET_DIR:-target}/release/synfin}
[ -x "$synfin" ] || { echo "no synfin binary at $synfin (cargo build --release -p synfin-model)" >&2; exit 2; }
renderer=${RENDERER:-}
if [ -z "$renderer" ]; then
    if command -v rsvg-convert >/dev/null; then renderer=rsvg; else renderer=chromium; fi
fi
chrome=$(command -v chromium || command -v chromium-browser || true)
case $renderer in
    rsvg) command -v rsvg-convert >/dev/null || { echo "rsvg-convert not found (apt-get install -y librsvg2-bin)" >&2; exit 2; } ;;
    chromium) [ -n "$chrome" ] || { echo "chromium not found (apt-get install -y chromium)" >&2; exit 2; } ;;
    *) echo "RENDERER must be rsvg or chromium" >&2; exit 2 ;;
esac

# The names, from `synfin list --json`.
names() { # scenarios|variants
    "$synfin" list --json | python3 -c 'import json,sys; print("\n".join(x["name"] for x in json.load(sys.stdin)[sys.argv[1]]))' "$1"
}

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
png() { # svg png
    local svg=$1 png=$2
    if [ "$renderer" = rsvg ]; then
        rsvg-convert --background-color=white "$svg" -o "$png"
    else
        # Chromium's window is the SVG's own size, read from its root element.
        local w h
        read -r w h < <(sed -n '1s/.*width="\([0-9.]*\)" height="\([0-9.]*\)".*/\1 \2/p' "$svg")
        "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
            --disable-background-networking --disable-component-update --disable-sync \
            --hide-scrollbars --user-data-dir="$profile" --screenshot="$png" \
            --window-size="${w%.*},${h%.*}" "file://$PWD/$svg" >/dev/null 2>&1
    fi
    [ -s "$png" ]
}

fail=0
draw() { # kind name command...
    local kind=$1 name=$2
    shift 2
    local svg="$out/$kind-$name.svg"
    if ! "$@" >"$svg"; then
        echo "$kind $name: synfin failed" >&2
        fail=1
        return
    fi
    if png "$svg" "${svg%.svg}.png"; then
        echo "${svg%.svg}.png"
    else
        echo "$kind $name: no PNG" >&2
        fail=1
    fi
}

for s in $(names scenarios); do
    draw scenario "$s" "$synfin" show "$s" --format svg --preset "${PRESET:-default}"
done
for v in $(names variants); do
    draw variant "$v" "$synfin" explain "$v" --format svg
done
exit $fail
