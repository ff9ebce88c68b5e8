#!/usr/bin/env bash
# Measure the exhaustive checker: states/s and bytes/state of the fast engine
# and stateright's DFS, on 1 and 2 threads, for each world given, runs
# alternating so that both engines see the same machine load. Prints one
# markdown table (medians over the repetitions) with the load average seen.
#
#   scripts/bench-checker.sh                      quick, old-duplicates, default; 1 repetition
#   scripts/bench-checker.sh -n 3 quick default   3 repetitions of two worlds
#   scripts/bench-checker.sh deep                 any preset, or "deep --losses 2" as one word
#   THREADS="1" ENGINES="fast" scripts/bench-checker.sh default
#   BASELINE=4c1d117 ENGINES="baseline fast" scripts/bench-checker.sh -n 3 default
#   ENGINES="fast fast:--spill-dir=/var/tmp" scripts/bench-checker.sh default
#
# An engine is a name and, after a colon, comma-separated settings: NAME=VALUE
# sets an environment variable for the run, --flag=VALUE adds `--flag VALUE`
# to its command line.
# BASELINE names a commit: the script builds it in a scratch worktree and
# the engine `baseline` runs that build's fast engine, alternating with
# this tree's, so that a change is measured against what it changes under
# the same load.
#
# "search s" is the exhaustive search's wall time (`seconds` in --json), not
# the shortest-path searches after it; states/s is unique states over that.
# "CPU s" is user+system time of the whole process. bytes/state is the
# process's peak resident memory (VmHWM) over unique states: the visited
# set, the states waiting to be expanded and the program.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=1
if [ "${1:-}" = "-n" ]; then reps=$2; shift 2; fi
worlds=("$@")
[ ${#worlds[@]} -gt 0 ] || worlds=(quick old-duplicates default)
threads=(${THREADS:-1 2})
engines=(${ENGINES:-fast stateright})

# Bad input fails before any build.
rev=
if [ -n "${BASELINE:-}" ]; then
  rev=$(git rev-parse -q --verify --short "$BASELINE^{commit}") ||
    { echo "bench-checker.sh: BASELINE=$BASELINE is not a commit" >&2; exit 2; }
elif [[ " ${engines[*]} " == *" baseline"* ]]; then
  echo "bench-checker.sh: the engine baseline needs BASELINE=<commit>" >&2
  exit 2
fi

cargo build -q --release -p synfin-model --bin synfin
bin=target/release/synfin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
baseline_bin=
if [ -n "$rev" ]; then
  tree="$out/baseline"
  git worktree add -q --detach "$tree" "$rev"
  trap 'git worktree remove --force "$tree" 2>/dev/null; rm -rf "$out"' EXIT
  echo "building the baseline $rev ..." >&2
  CARGO_TARGET_DIR="${BASELINE_TARGET_DIR:-target/baseline}" cargo build -q --release \
    --manifest-path "$tree/Cargo.toml" -p synfin-model --bin synfin
  baseline_bin="$out/synfin-$rev"
  cp "${BASELINE_TARGET_DIR:-target/baseline}/release/synfin" "$baseline_bin"
fi

before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M')
for rep in $(seq "$reps"); do
  for world in "${worlds[@]}"; do
    read -r preset rest <<<"$world"
    for t in "${threads[@]}"; do
      for spec in "${engines[@]}"; do
        engine=${spec%%:*}
        settings=() env_settings=() flags=()
        [ "$spec" = "$engine" ] || IFS=, read -r -a settings <<<"${spec#*:}"
        for s in "${settings[@]}"; do
          case $s in
            --*=*) flags+=("${s%%=*}" "${s#*=}") ;;
            --*) flags+=("$s") ;;
            *) env_settings+=("$s") ;;
          esac
        done
        run=$bin
        if [ "$engine" = baseline ]; then run=$baseline_bin; engine=fast; fi
        load=$(cut -d' ' -f1 /proc/loadavg)
        f="$out/$rep.$(echo "$world" | tr ' ' '_').$(echo "$spec" | tr ':=,/' '+___').$t"
        # shellcheck disable=SC2086
        env "${env_settings[@]}" /usr/bin/time -f '%U %S' -o "$f.time" "$run" check --preset "$preset" $rest \
          --engine "$engine" --threads "$t" --json --no-profile "${flags[@]}" >"$f.json" || true
        echo "$load" >"$f.load"
        echo "$spec" >"$f.spec"
        printf '%s: %-24s %-24s %s thread(s): %s\n' "rep $rep" "$world" "$spec" "$t" \
          "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("{:,} states, {:.1f} s".format(r["unique_states"], r["seconds"]))' "$f.json")" >&2
      done
    done
  done
done

echo "<!-- written by scripts/bench-checker.sh; do not edit -->"
echo
echo "Measured $started UTC at commit \`$(git rev-parse --short HEAD)\` on $(nproc) cores" \
  "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB of memory;" \
  "load average before: $before."
echo
BASELINE_REV=$rev python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
rows = {}
for j in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    base = j[:-5]
    _, world, _, t = os.path.basename(base).split(".", 3)
    engine = open(base + ".spec").read().strip()
    r = json.load(open(j))
    user, sys_ = map(float, open(base + ".time").read().split()[-2:])
    load = float(open(base + ".load").read())
    rows.setdefault((world.replace("_", " "), engine, int(t)), []).append(
        (r["seconds"], r["unique_states"], user + sys_, r["peak_memory_bytes"] or 0, load, r["complete"]))
med = statistics.median
print("| world | engine | threads | unique states | search s | states/s | CPU s | peak RSS MiB | bytes/state | load (1 min) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (world, engine, t), runs in rows.items():
    secs = med(r[0] for r in runs)
    states = runs[0][1]
    cpu = med(r[2] for r in runs)
    rss = med(r[3] for r in runs)
    load = med(r[4] for r in runs)
    done = "" if all(r[5] for r in runs) else " (stopped)"
    print(f"| {world} | {engine} | {t} | {states:,}{done} | {secs:.1f} | {states / secs / 1e6:.2f}M | "
          f"{cpu:.1f} | {rss / 2**20:.0f} | {rss / states:.1f} | {load:.2f} |")
print(f"\n{len(next(iter(rows.values())))} run(s) each, median; runs alternate between engines.")
if os.environ.get("BASELINE"):
    print(f"`baseline` is the fast engine as of commit `{os.environ['BASELINE_REV']}`, built and run alongside.")
PY
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
