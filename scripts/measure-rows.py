"""Table rows for scripts/measure.sh, from the JSON (or text) the programs print.

    measure-rows.py check LABEL REPORT TIMING      synfin check --json, /usr/bin/time -f '%e %M'
    measure-rows.py variant NAME REPORT TIMING RC  synfin check --variant NAME --json
    measure-rows.py replay LABEL < json            synfin-conform replay --json
    measure-rows.py sim LABEL < text               sim_bench's output
    measure-rows.py scalars PREFIX < json          every number and string of a flat object
    measure-rows.py kernel-replay < json           synfin-conform replay --target kernel --json
"""
import json
import re
import sys


def row(*cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")


def check(label, report, timing):
    d = json.load(open(report))
    wall, rss_kib = open(timing).read().split()[-2:]
    wall, rss = float(wall), int(rss_kib) * 1024
    good = sum(p.get("as_claimed", p["holds"]) for p in d["properties"])
    if d.get("spilled_bytes"):
        label += f" (queue on disk: up to {d['spilled_bytes'] / 2**30:.2f} GiB)"
    row(label, f"{d['unique_states']:,}", f"{d['states']:,}", d["max_depth"],
        f"{d['seconds']:.1f}", f"{wall:.1f}", f"{d['unique_states'] / d['seconds'] / 1e3:,.0f}k",
        f"{rss / 2**30:.2f} GiB", f"{rss / d['unique_states']:.1f}",
        f"{good}/{len(d['properties'])}")


def variant(name, report, timing, rc):
    d = json.load(open(report))
    broken = [p for p in d["properties"] if p["expectation"] == "always" and not p["holds"]]
    names = ", ".join(f"`{p['name']}`" for p in broken) or "nothing"
    lengths = ", ".join(f"{p['trace_length']} steps" for p in broken) or f"none (exit {rc})"
    row(f"`{name}`", names, lengths, f"{d['unique_states']:,}",
        f"{float(open(timing).read().split()[-1]):.1f}")


def replay(label):
    d = json.load(sys.stdin)
    c = d["coverage"]
    cov = f"{c['taken']}/{c['reachable']} ({c['fraction']:.0%})" if c["reachable"] else "no manifest"
    row(label, f"{d['traces']:,}", f"{d['steps']:,}", len(d["diverged"]),
        d["deviations"], cov, f"{d['seconds']:.2f}",
        f"{d['steps_per_second'] / 1e6:.2f}M")


def sim(label):
    text = sys.stdin.read()
    wall = re.search(r"(\d+) cycles in [\d.]+ s = (\d+) cycles/s", text)
    cpu = re.search(r"= (\d+) cycles per CPU-second \(([\d.]+) µs/cycle\)", text)
    row(label, f"{int(wall[1]):,}", f"{int(wall[2]):,}",
        f"{int(cpu[1]):,}" if cpu else "-", cpu[2] if cpu else "-")


def scalars(prefix):
    d = json.load(sys.stdin)
    for k, v in d.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            continue
        row(f"{prefix}{k}", f"{v:,.1f}" if isinstance(v, float) else v)


def kernel_replay():
    d = json.load(sys.stdin)
    row("traces (agreed to the end in both roles)", f"{d['traces']} ({d['traces_agreed_in_both_roles']})")
    row("replays, steps", f"{d['replays']:,}, {d['steps']:,}")
    for verdict, n in sorted(d["verdicts"].items()):
        row(f"replays ending `{verdict}`", n)
    row("unclassified divergences", len(d["diverged"]))
    cov = d["coverage"]
    row("transitions the kernel took as the acting host", f"{cov['taken_by_kernel']} of {cov['reachable']}")
    row("wall seconds (of it waiting for kernel timers, over all workers)",
        f"{d['seconds']:.1f} ({d['waited_seconds']:.1f})")
    row("steps/s", f"{d['steps_per_second']:,.0f}")


commands = {"check": check, "variant": variant, "replay": replay, "sim": sim,
            "scalars": scalars, "kernel-replay": kernel_replay}
if len(sys.argv) < 2 or sys.argv[1] not in commands:
    sys.exit(__doc__)
commands[sys.argv[1]](*sys.argv[2:])
