#!/usr/bin/env python3
"""Take each of TCP's safeguards out of the model, one at a time, and show
which property then fails: a property that holds is worth something only if
removing the safeguard it protects breaks it.

Each mutant below deletes or weakens one rule of RFC 9293 (or of RFC 5961,
1337, 6298) in model/src/, in a scratch copy of the committed tree. The
script builds `synfin` for it and runs `synfin check --json` in the world
named beside it; the mutant is *caught* when the named property is violated
(safety) or missed (scenario) there. The variants of `synfin list` are the
other half of the argument: they are checked in CI.

    python3 scripts/safeguard-mutants.py            # every mutant, a table
    python3 scripts/safeguard-mutants.py --markdown docs/src/reference/measured/safeguards.md
    python3 scripts/safeguard-mutants.py --only rfc5961-rst
    python3 scripts/safeguard-mutants.py --only rfc1337 --markdown docs/src/reference/measured/safeguards.md

With --only, --markdown rewrites only the rows of the mutants run and keeps
the others (in the order of the list below), so one new mutant does not
cost a run of them all.

Each world is first checked on the model as it is: a property that
already fails there catches nothing, and the script stops (exit 2) rather
than count it. --world checks the chosen mutants in another world, to look
for one where a known gap bears load:

    python3 scripts/safeguard-mutants.py --only listen-resets-ack --world "reincarnation --crashes 1"

Exit status: 0 when every mutant is caught, 1 when one is not, 2 on a bad
argument, a mutant whose text no longer matches the source (the list must
follow the model), or a named property that fails without its mutant.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, safeguard (RFC), file, text, replacement, preset (with any options),
# profile, property, and for a known gap (a safeguard no property of the
# model protects yet) why.
MUTANTS = [
    (
        "syn-sent-ack-check",
        "SYN-SENT drops an ACK that does not acknowledge its SYN (§3.10.7.3 first check; Figure 8)",
        "arrive.rs",
        "let unacceptable = has_ack && (seg.ack <= host.iss || seg.ack > host.snd_nxt);",
        "let unacceptable = false;",
        # Without the reopen gate, whose wait lets an old SYN die before
        # its host opens again.
        "reincarnation --aborts 0 --bytes-a 0 --delays 0 --reopen-at-once",
        "rfc9293",
        "handshake-agreement",
    ),
    (
        "syn-received-ack-check",
        "SYN-RECEIVED is left for ESTABLISHED only on an ACK of its SYN (§3.10.7.4 fifth step)",
        "arrive.rs",
        "if host.snd_una < seg.ack && seg.ack <= host.snd_nxt {",
        "if true {",
        "reincarnation --aborts 0 --bytes-a 0 --delays 0 --reopen-at-once",
        "rfc9293",
        "no-phantom-connection",
    ),
    (
        "fin-wait-1-waits-for-ack",
        "FIN-WAIT-1 goes to TIME-WAIT on the peer's FIN only once its own FIN is acknowledged, else CLOSING (§3.10.7.4 eighth step)",
        "arrive.rs",
        "St::FinWait1 if host.idle() => self.enter_time_wait(cfg, x),",
        "St::FinWait1 if true => self.enter_time_wait(cfg, x),",
        "quick",
        "rfc9293",
        "orderly-close",
    ),
    (
        "in-order-only",
        "text is taken only at RCV.NXT (§3.10.7.4 seventh step)",
        "arrive.rs",
        "if !seg.is_empty() && seg.seq != self.hosts[x].rcv_nxt {",
        "if false {",
        "off-path",
        "rfc9293",
        "no-blind-injection",
    ),
    (
        "rfc5961-rst",
        "an in-window RST not at RCV.NXT draws a challenge ACK (RFC 5961 §3.2)",
        "arrive.rs",
        "            if seg.seq != host.rcv_nxt {\n                self.emit_ack(x);\n                return;\n            }",
        "",
        "off-path",
        "rfc9293",
        "no-blind-injection",
    ),
    (
        "rfc5961-syn",
        "a SYN in a synchronized state draws a challenge ACK (RFC 5961 §4.2)",
        "arrive.rs",
        "        if cfg.rfc9293() {\n            // RFC 5961 §4: challenge ACK",
        "        if false {\n            // RFC 5961 §4: challenge ACK",
        "off-path",
        "rfc9293",
        "no-blind-injection",
    ),
    (
        "rfc1337",
        "TIME-WAIT ignores a RST (RFC 1337 F1)",
        "arrive.rs",
        "            if host.state == St::TimeWait {\n                return;\n            }",
        "",
        "quick",
        "rfc9293",
        "time-wait-lasts-2msl",
    ),
    (
        "sequence-check",
        "an unacceptable segment is acknowledged and dropped (§3.10.7.4 first step, Table 6)",
        "arrive.rs",
        "        if ok {\n            return true;\n        }",
        "        if true {\n            return true;\n        }",
        "quick",
        "rfc9293",
        "orderly-close",
    ),
    (
        "unacceptable-acked",
        "an unacceptable segment draws an ACK, which is how a peer whose ACK was lost gets another for its repeated SYN,ACK (§3.10.7.4 first step)",
        "arrive.rs",
        "            host.reacked = true; // ghost\n        }\n        self.emit_ack(x);\n        false",
        "            host.reacked = true; // ghost\n        }\n        false",
        "quick",
        "rfc9293",
        "no-premature-give-up",
    ),
    (
        "ack-above-snd-nxt",
        "an ACK of something not yet sent is acknowledged and dropped (§3.10.7.4 fifth step)",
        "arrive.rs",
        "        if seg.ack > host.snd_nxt {\n            self.emit_ack(x);\n            return false;\n        }",
        "",
        "reincarnation",
        "rfc9293",
        "sequence-accounting",
        'with clock-driven ISNs an old ACK acknowledges less than SND.NXT, never more; only a forged ACK would, and the attacker forges no bare ACK',
    ),
    (
        "listen-resets-ack",
        "LISTEN answers an ACK with a RST (§3.10.7.2; Figure 11, where a LISTEN refuses a SYN,ACK)",
        "arrive.rs",
        "        if seg.ctl.has(Ctl::ACK) {\n            self.emit(x, Ctl::RST, seg.ack, 0, false, 0);\n            return;\n        }",
        "        if seg.ctl.has(Ctl::ACK) {\n            return;\n        }",
        "reincarnation",
        "rfc9293",
        "no-stuck-state",
        'it lets a peer discover a half-open connection after a crash (Figure 10, with the rebooted host in LISTEN) at once rather than when its retransmissions give up; no safety property sees that speed, and reincarnation with a crash still holds everything without it (51,626,546 states)',
    ),
    (
        "closed-resets",
        "CLOSED answers a segment with a RST (§3.10.7.1)",
        "arrive.rs",
        "            return;\n        }\n        self.reset_reply(x, seg);\n    }",
        "            return;\n        }\n    }",
        "reincarnation",
        "rfc9293",
        "no-premature-give-up",
    ),
    (
        "syn-backoff",
        "the SYN retransmission timeout doubles (RFC 6298 (5.5))",
        "system.rs",
        "host.timer = Some(cfg.rto << host.retries);",
        "host.timer = Some(cfg.rto);",
        "quick",
        "rfc9293",
        "syn-retransmit-backoff",
    ),
    (
        "give-up",
        "a retransmission gives up after R2 (§3.8.3)",
        "system.rs",
        "            _ if host.retries == cfg.retries => {",
        "            _ if host.retries == cfg.retries + 1 => {",
        "quick",
        "rfc9293",
        "connect-timeout",
    ),
    (
        "last-ack-closes",
        "the passive closer's LAST-ACK goes to CLOSED when its FIN is acknowledged; only the side that closed first waits in TIME-WAIT (§3.10.7.4 fifth step; Figure 5)",
        "arrive.rs",
        """            St::LastAck if fin_acked => {
                host.delete_tcb(End::Orderly);""",
        """            St::LastAck if fin_acked => {
                self.enter_time_wait(cfg, x);""",
        "quick",
        "rfc9293",
        "rfc-transitions",
    ),
    (
        "reopen-after-clock",
        "a host opens a new incarnation only after TIME-WAIT, or once its ISN clock has passed the numbers its last one used (§3.4.1; the model's reopen gate)",
        "tcb.rs",
        """    pub fn may_reuse(&self, cfg: &Config) -> bool {
        self.end == End::TimeWaitDone""",
        """    pub fn may_reuse(&self, cfg: &Config) -> bool {
        true || self.end == End::TimeWaitDone""",
        # Without the gate, `reincarnation` outgrows 13 GiB; without its
        # ABORT and data, 45,717,762 states.
        "reincarnation --aborts 0 --bytes-a 0",
        "rfc9293",
        "handshake-agreement",
    ),
    (
        "fin-timer",
        "a FIN is queued for retransmission: sending it starts the timer (§3.10.4; RFC 6298 (5.1))",
        "system.rs",
        """        if host.timer.is_none() {
            host.timer = Some(cfg.rto);
            host.retries = 0;
        }
        self.emit(h, Ctl::FIN | Ctl::ACK, seq, ack, false, idx);""",
        """        self.emit(h, Ctl::FIN | Ctl::ACK, seq, ack, false, idx);""",
        "quick",
        "rfc9293",
        "no-stuck-state",
    ),
    (
        "time-wait-2msl",
        "TIME-WAIT lasts 2·MSL (§3.6.1, MUST-13)",
        "config.rs",
        "            _ => 2 * self.msl,",
        "            _ => self.msl,",
        "old-duplicates",
        "rfc9293",
        "time-wait-lasts-2msl",
    ),
    (
        "isn-clock",
        "the ISN follows a clock, not a constant (§3.4.1)",
        "system.rs",
        "        host.isn_last += cfg.isn_rate * host.clock;",
        "",
        "reincarnation",
        "rfc9293",
        "stream-integrity",
    ),
    (
        "may2-iss-above",
        "a SYN that reopens TIME-WAIT gets an ISS above the old incarnation's numbers (§3.6.1 MAY-2, first condition)",
        "system.rs",
        "            host.isn_last = host.isn_last.max(p.snd_nxt);",
        "            let _ = p;",
        # With the gate the peer cannot open again before both ISN clocks
        # are past the old numbers, so the clock's ISS is high enough anyway.
        "reincarnation --aborts 0 --bytes-a 0 --reopen-at-once --time-wait-reopen",
        "rfc9293",
        "orderly-close",
    ),
    (
        "may2-syn-above",
        "only a SYN above RCV.NXT reopens TIME-WAIT (§3.6.1 MAY-2)",
        "arrive.rs",
        "            && seg.seq > host.rcv_nxt",
        "",
        "reincarnation --time-wait-reopen",
        "rfc9293",
        "orderly-close",
        "it matters only while the peer is still in the old connection, and then only an old or forged SYN reaches the TIME-WAIT. Without the reopen gate old SYNs reach it with no fault, and still the mutant breaks nothing but no-phantom-connection, which MAY-2 fails there anyway (reincarnation --aborts 0 --bytes-a 0 --reopen-at-once --time-wait-reopen, 58,904,531 states)",
    ),
    (
        "may2-returns",
        "a reopen whose handshake fails returns to TIME-WAIT (§3.6.1 MAY-2, second condition)",
        "system.rs",
        "            return self.return_to_time_wait(cfg, h, p);",
        "            let _ = (cfg, p);",
        "reincarnation --time-wait-reopen",
        "rfc9293",
        "orderly-close",
        "as for may2-syn-above: the TIME-WAIT it keeps matters only while the peer is still in the old connection, and without the reopen gate too it breaks nothing but what MAY-2 breaks anyway",
    ),
]


def run(cmd, cwd, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def scratch_tree():
    """The committed tree, in a scratch directory."""
    tmp = tempfile.mkdtemp(prefix="synfin-safeguards-")
    files = run(["git", "ls-files", "-z"], ROOT).stdout.split("\0")
    for f in files:
        if not f:
            continue
        src = os.path.join(ROOT, f)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(tmp, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    return tmp


def previous_rows(markdown):
    """The rows of a table this script wrote, by mutant name."""
    rows = {}
    with open(markdown) as f:
        for line in f:
            if line.startswith("| `"):
                rows[line.split("`")[1]] = line
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", help="run only this mutant (repeatable)")
    ap.add_argument("--markdown", help="also write the table as Markdown to this file")
    ap.add_argument("--world", help="check each mutant in this world (a preset and options, as one "
                    "argument) instead of its own: to look for a world where a known gap bears load")
    args = ap.parse_args()
    names = [m[0] for m in MUTANTS]
    for n in args.only or []:
        if n not in names:
            print(f"safeguard-mutants: unknown mutant `{n}`; valid: {', '.join(names)}", file=sys.stderr)
            return 2
    chosen = [m for m in MUTANTS if not args.only or m[0] in args.only]

    tree = scratch_tree()
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(ROOT, "target", "safeguards"))
    synfin = os.path.join(env["CARGO_TARGET_DIR"], "release", "synfin")
    rows, missed, start = [], 0, time.time()

    def check(preset, profile):
        out = run([synfin, "check", "--preset", *preset.split(), "--profile", profile, "--json"], tree)
        return json.loads(out.stdout)

    try:
        # A mutant is caught only by a property that holds without it: check
        # each world once on the model as it is.
        build = run(["cargo", "build", "-q", "--release", "-p", "synfin-model", "--bin", "synfin"], tree, env)
        if build.returncode != 0:
            print(build.stderr, file=sys.stderr)
            print("safeguard-mutants: the model does not build", file=sys.stderr)
            return 2
        failing = {}
        for m in chosen:
            world = (args.world or m[5], m[6])
            if world not in failing:
                failing[world] = {p["name"] for p in check(*world)["properties"] if not p["holds"]}
        for name, guard, file, text, repl, preset, profile, prop, *gap in chosen:
            preset = args.world or preset
            if prop in failing[(preset, profile)]:
                print(f"safeguard-mutants: `{name}`: `{prop}` fails in {preset}/{profile} without the mutant", file=sys.stderr)
                return 2
            path = os.path.join(tree, "model", "src", file)
            with open(path) as f:
                original = f.read()
            if original.count(text) != 1:
                print(f"safeguard-mutants: `{name}`: its text occurs {original.count(text)} times in model/src/{file}, not once", file=sys.stderr)
                return 2
            with open(path, "w") as f:
                f.write(original.replace(text, repl))
            try:
                build = run(["cargo", "build", "-q", "--release", "-p", "synfin-model", "--bin", "synfin"], tree, env)
                if build.returncode != 0:
                    print(build.stderr, file=sys.stderr)
                    print(f"safeguard-mutants: `{name}` does not build", file=sys.stderr)
                    return 2
                t = time.time()
                report = check(preset, profile)
                seconds = time.time() - t
            finally:
                with open(path, "w") as f:
                    f.write(original)
            verdict = next(p for p in report["properties"] if p["name"] == prop)
            # A safety property that no longer holds, or a scenario no longer reached.
            caught = not verdict["holds"]
            length = verdict.get("trace_length")
            verdict = "caught" if caught else ("known gap" if gap else "MISSED")
            missed += not caught and not gap
            rows.append((name, guard, f"{preset}, {profile}", prop, verdict, length, seconds, gap))
            print(f"{name:26} {prop:24} {verdict:9} "
                  f"{(str(length) + ' steps') if caught and length else '':10} {preset}/{profile} {seconds:.1f} s", flush=True)
            others = [p["name"] for p in report["properties"]
                      if not p["holds"] and p["name"] != prop and p["name"] not in failing[(preset, profile)]]
            if others:
                print(f"{'':26} (also failing, and not without it: {', '.join(others)})", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    total = time.time() - start
    caught = sum(r[4] == "caught" for r in rows)
    gaps = sum(r[4] == "known gap" for r in rows)
    print(f"{caught} of {len(rows)} safeguards bear load, {gaps} known gaps, {missed} missed ({total:.0f} s)")
    if args.markdown:
        lines = {}
        if args.only and os.path.exists(args.markdown):
            lines = previous_rows(args.markdown)
        for name, guard, world, prop, verdict, length, _, gap in rows:
            steps = f"{length} steps" if verdict == "caught" and length else "—"
            if gap:
                verdict += f": {gap[0]}"
            lines[name] = f"| `{name}` | {guard} | {world} | `{prop}` | {verdict} | {steps} |\n"
        table = [lines[n] for n in names if n in lines]
        verdicts = [line.split(" | ")[4] for line in table]
        caught = sum(v == "caught" for v in verdicts)
        gaps = sum(v.startswith("known gap") for v in verdicts)
        with open(args.markdown, "w") as f:
            f.write("| mutant | the safeguard taken away | world | property | verdict | counterexample |\n")
            f.write("|---|---|---|---|---|---|\n")
            f.writelines(table)
            f.write(f"\n{caught} of {len(table)} mutants caught; {gaps} known gaps.\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
