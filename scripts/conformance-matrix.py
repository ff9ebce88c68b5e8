#!/usr/bin/env python3
"""The conformance matrix: targets side by side, per scenario and per transition class.

    conformance-matrix.py NAME=REPORT.json [NAME=REPORT.json ...] > matrix.md

Each REPORT is what `synfin-conform replay --json` printed for one target over the committed
suite. The transition classes group the model's transition keys (`STATE input -> STATE emit
FLAGS`); a key belongs to the first class whose rule matches. A cell counts the class's keys
the target took in agreeing steps, and the replays that stopped at a step of that class, by
verdict. Called by scripts/conformance-matrix.sh, which runs the replays.
"""

import collections
import json
import os
import re
import sys

SCENARIOS = [
    "three-way-handshake", "four-way-teardown", "half-close", "simultaneous-open",
    "simultaneous-close", "syn-retransmit-backoff", "connect-timeout", "stale-syn-rejected",
    "time-wait-reacks-fin", "abort-reset",
]
STATES = [
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
    "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
]


def transition_class(key):
    """The class of a transition key; the first rule that matches wins."""
    before, rest = key.split(" ", 1)
    after = rest.split(" -> ")[1].split(" ")[0]
    if re.search(r" arrive (ACK,)?RST ", key):
        return f"RST in {before}"
    if before == "TIME-WAIT" or after == "TIME-WAIT":
        return "TIME-WAIT: entry, re-ACK, restart, end"
    if before in ("SYN-SENT", "SYN-RECEIVED") and " timeout " in key:
        return "SYN retransmission and give-up"
    if (key.startswith("SYN-SENT arrive SYN ->") or key.startswith("SYN-RECEIVED arrive SYN,ACK")
            or "emit SYN,ACK" in key and before == "FIN-WAIT-1"):
        return "simultaneous open"
    if before == "CLOSING" or after == "CLOSING":
        return "simultaneous close"
    if before in ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED"):
        return "handshake (and segments to CLOSED and LISTEN)"
    return "data and orderly teardown"


CLASS_ORDER = (["handshake (and segments to CLOSED and LISTEN)", "simultaneous open",
                "SYN retransmission and give-up", "data and orderly teardown",
                "simultaneous close", "TIME-WAIT: entry, re-ACK, restart, end"]
               + [f"RST in {s}" for s in STATES])


def short(verdict):
    """`deviation: x` -> `x`; an early end by its kind."""
    if verdict.startswith("deviation: "):
        return verdict[len("deviation: "):]
    if verdict.startswith("ended-early: "):
        return "ended early (" + verdict[len("ended-early: "):].split(":")[0] + ")"
    return verdict


def load(arg):
    name, path = arg.split("=", 1)
    with open(path) as f:
        return name, json.load(f)


def step_key(cache, file, step):
    if file not in cache:
        with open(file) as f:
            cache[file] = json.load(f)["steps"]
    steps = cache[file]
    return steps[step - 1].get("key") if step and step <= len(steps) else None


def main(args):
    if not args:
        sys.exit("usage: conformance-matrix.py NAME=REPORT.json ...")
    targets = [load(a) for a in args]
    cache = {}
    out = []
    out.append("| target | policy | replays | steps | agreed | named deviations | ended early | "
               "diverged | transitions taken | replay s | steps/s |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, d in targets:
        v = d["verdicts"]
        dev = sum(n for k, n in v.items() if k.startswith("deviation: "))
        early = sum(n for k, n in v.items() if k.startswith("ended-early: "))
        c = d["coverage"]
        out.append(f"| {name} | {d['policy']} | {d['replays']:,} | {d['steps']:,} | "
                   f"{v.get('agreed', 0):,} | {dev:,} | {early:,} | {v.get('diverged', 0):,} | "
                   f"{c['taken']}/{c['reachable']} | {d['replay_seconds']:.2f} | "
                   f"{d['steps_per_second']:,.0f} |")

    out.append("")
    out.append("### Per scenario")
    out.append("")
    out.append("The model's shortest example of each scenario, under each profile (`rfc9293` / "
               "`rfc793`). ✓ is every role agreed; otherwise the first stop of each role that "
               "did not agree.")
    out.append("")
    out.append("| scenario | " + " | ".join(n for n, _ in targets) + " |")
    out.append("|---|" + "---|" * len(targets))
    for s in SCENARIOS:
        cells = []
        for _, d in targets:
            parts = []
            for profile in ("rfc9293", "rfc793"):
                stops = [o for o in d["stopped"]
                         if o["file"].endswith(f"scenarios-{profile}/{s}.json")]
                if not stops:
                    parts.append("✓")
                else:
                    parts.append(", ".join(
                        f"{o['role']}: {short(o['verdict'])} (step {o['step']})" for o in stops))
            cells.append(" / ".join(parts))
        out.append(f"| {s} | " + " | ".join(cells) + " |")

    out.append("")
    out.append("### Per transition class")
    out.append("")
    out.append("Transitions of the class the target took in agreeing steps, of those the model "
               "reaches; then the replays that stopped at a step of the class, by what stopped "
               "them.")
    out.append("")
    reachable = collections.defaultdict(set)
    for _, d in targets:
        for k in d["coverage"].get("reachable_keys", []):
            reachable[transition_class(k)].add(k)
    out.append("| class | " + " | ".join(n for n, _ in targets) + " |")
    out.append("|---|" + "---|" * len(targets))
    per_target = []
    for _, d in targets:
        keys = set(d["coverage"]["reachable_keys"])
        untaken = set(d["coverage"]["untaken"])
        stops = collections.defaultdict(collections.Counter)
        for o in d["stopped"]:
            k = step_key(cache, o["file"], o["step"])
            if k is not None:
                stops[transition_class(k)][short(o["verdict"])] += 1
        per_target.append((keys, untaken, stops))
    for cls in CLASS_ORDER:
        cells = []
        for keys, untaken, stops in per_target:
            mine = {k for k in keys if transition_class(k) == cls}
            if not mine:
                cells.append("–")
                continue
            cell = f"{len(mine - untaken)}/{len(mine)}"
            if stops[cls]:
                cell += "; " + ", ".join(f"{v} ×{n}" for v, n in stops[cls].most_common())
            cells.append(cell)
        out.append(f"| {cls} | " + " | ".join(cells) + " |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
