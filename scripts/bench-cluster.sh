#!/usr/bin/env bash
# Measure the timely engine across processes: the same world on 1, 2 and 4
# processes of one worker thread each, started exactly as on the machines
# of a cluster (one `synfin check --hostfile H --process I` per process,
# here on loopback), beside the fast engine on one thread in the same run.
# Prints one markdown table (medians over the repetitions) with the load
# average seen, for docs/src/reference/measured/cluster.md.
#
#   scripts/bench-cluster.sh                   default; 1 repetition
#   scripts/bench-cluster.sh -n 3 quick        3 repetitions of quick
#   PROCESSES="1 2 4 8" scripts/bench-cluster.sh default
#
# "search s" is process 0's exhaustive search (`seconds` in --json, the
# connection included). states/s per worker is unique states / search s /
# workers; efficiency is that over the 1-process rate. CPU s and peak RSS
# add up every process (each one's user+system time and VmHWM), so
# bytes/state counts the whole run's memory.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=1
if [ "${1:-}" = "-n" ]; then reps=$2; shift 2; fi
worlds=("$@")
[ ${#worlds[@]} -gt 0 ] || worlds=(default)
processes=(${PROCESSES:-1 2 4})

cargo build -q --release -p synfin-model --bin synfin
bin=target/release/synfin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A hostfile of $1 loopback addresses on ports free now.
hostfile() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(f"127.0.0.1:{s.getsockname()[1]}" for s in socks))
PY
}

before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M')
for rep in $(seq "$reps"); do
  for world in "${worlds[@]}"; do
    read -r preset rest <<<"$world"
    w=$(echo "$world" | tr ' ' '_')
    f="$out/$rep.$w.fast.1"
    cut -d' ' -f1 /proc/loadavg >"$f.load"
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S %M' -o "$f.0.time" "$bin" check --preset "$preset" $rest \
      --threads 1 --json --no-profile >"$f.json" || true
    for n in "${processes[@]}"; do
      f="$out/$rep.$w.timely.$n"
      cut -d' ' -f1 /proc/loadavg >"$f.load"
      hostfile "$n" >"$f.hosts"
      pids=()
      for i in $(seq $((n - 1)) -1 1); do
        # shellcheck disable=SC2086
        /usr/bin/time -f '%U %S %M' -o "$f.$i.time" "$bin" check --preset "$preset" $rest \
          --threads 1 --no-profile --hostfile "$f.hosts" --process "$i" 2>/dev/null &
        pids+=($!)
      done
      # shellcheck disable=SC2086
      /usr/bin/time -f '%U %S %M' -o "$f.0.time" "$bin" check --preset "$preset" $rest \
        --threads 1 --json --no-profile --hostfile "$f.hosts" --process 0 >"$f.json" || true
      for p in "${pids[@]}"; do wait "$p" || true; done
    done
    printf 'rep %s: %s done\n' "$rep" "$world" >&2
  done
done

echo "<!-- written by scripts/bench-cluster.sh; do not edit -->"
echo
echo "Measured $started UTC at commit \`$(git rev-parse --short HEAD)\` on $(nproc) cores" \
  "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB of memory;" \
  "load average before: $before."
echo
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
rows = {}
for j in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    base = j[:-5]
    _, world, engine, n = os.path.basename(base).split(".", 3)
    r = json.load(open(j))
    cpu, rss = 0.0, 0
    for t in glob.glob(base + ".*.time"):
        user, sys_, kb = open(t).read().split()[-3:]
        cpu += float(user) + float(sys_)
        rss += int(kb) * 1024
    load = float(open(base + ".load").read())
    rows.setdefault((world.replace("_", " "), engine, int(n)), []).append(
        (r["seconds"], r["unique_states"], cpu, rss, load, r["complete"]))
med = statistics.median
print("| world | engine | processes × threads | unique states | search s | states/s | per worker | efficiency | CPU s | peak RSS MiB | bytes/state | load (1 min) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
one = {}
for (world, engine, n), runs in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] != "fast", kv[0][2])):
    secs = med(r[0] for r in runs)
    states = runs[0][1]
    rate = states / secs
    per = rate / n
    if engine == "timely" and n == 1:
        one[world] = per
    eff = f"{per / one[world]:.0%}" if engine == "timely" and world in one else "—"
    cpu = med(r[2] for r in runs)
    rss = med(r[3] for r in runs)
    load = med(r[4] for r in runs)
    done = "" if all(r[5] for r in runs) else " (incomplete)"
    print(f"| {world} | {engine} | {n} × 1 | {states:,}{done} | {secs:.1f} | {rate/1e6:.2f}M | {per/1e6:.2f}M | {eff} "
          f"| {cpu:.1f} | {rss/2**20:.0f} | {rss/states:.1f} | {load:.2f} |")
print()
print(f"{len(next(iter(rows.values())))} run(s) each, median.")
PY
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
