"""Check that the README shows what the programs print now.

    python3 scripts/check-readme.py      (after `cargo build --release`)

Every ```text block of README.md that starts with `$ COMMAND` is run with target/release (or
SYNFIN_BIN_DIR, a directory with the programs already built) first on the PATH; each line of
the block after the first must appear in the command's output, in order (trailing spaces
ignored, and durations such as `0.9 s` may differ). A line `...` stands for any number of
lines. Exit 1 names the first line that is not there.
"""
import os
import pathlib
import re
import shlex
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
target = os.environ.get("SYNFIN_BIN_DIR") or (
    pathlib.Path(os.environ.get("CARGO_TARGET_DIR", root / "target")) / "release")
target = pathlib.Path(target).resolve()
env = dict(os.environ, PATH=f"{target}{os.pathsep}{os.environ['PATH']}")
blocks = re.findall(r"```text\n\$ (.*?)\n(.*?)```", (root / "README.md").read_text(), re.S)
if not blocks:
    sys.exit("check-readme: no ```text block with a `$ command` in README.md")
failed = 0


def normal(line):
    return re.sub(r"\d+(\.\d+)? s\b", "N s", line.rstrip())


for command, shown in blocks:
    run = subprocess.run(shlex.split(command), cwd=root, env=env, capture_output=True, text=True)
    actual = [normal(line) for line in run.stdout.splitlines()]
    at = 0
    for line in shown.rstrip("\n").splitlines():
        if line.rstrip() == "...":
            continue
        try:
            at = actual.index(normal(line), at) + 1
        except ValueError:
            print(f"check-readme: `{command}` no longer prints, in this order:\n  {line.rstrip()}", file=sys.stderr)
            failed += 1
            break
if failed:
    sys.exit(1)
print(f"check-readme: {len(blocks)} command(s) print what README.md shows")
