"""Markdown tables of what the model knows, from `synfin list --json` on stdin.

Usage: synfin list --json | python3 scripts/list-tables.py OUT_DIR
Writes OUT_DIR/{properties,scenarios,variants,presets,profiles}.md and the
scenario and variant names, one per line, for scripts/book-figures.sh (a
scenario that needs a profile option is followed by its flag).
"""
import json
import sys


def table(path, header, rows):
    with open(path, "w") as f:
        f.write("| " + " | ".join(header) + " |\n")
        f.write("|" + "---|" * len(header) + "\n")
        for row in rows:
            f.write("| " + " | ".join(row) + " |\n")


def code(name):
    return "`" + name + "`"


def main():
    out = sys.argv[1]
    d = json.load(sys.stdin)
    def claim(p):
        f = p.get("fails_under")
        return "every profile" if not f else f"all but {code(f['profile'])}, claimed to fail it: {f['why']}"

    table(f"{out}/properties.md", ["property", "statement", "RFC", "claimed to hold under"],
          [[code(p["name"]), p["statement"], p["reference"], claim(p)] for p in d["properties"]])
    def reached(p):
        n = p.get("needs")
        return p["statement"] + (f" (checked only with {code(n)})" if n else "")

    table(f"{out}/scenarios.md", ["scenario", "what is reached", "RFC"],
          [[code(p["name"]), reached(p), p["reference"]] for p in d["scenarios"]])
    table(f"{out}/variants.md", ["variant", "the change", "must break"],
          [[code(v["name"]), v["change"], code(v["breaks"])] for v in d["variants"]])
    table(f"{out}/presets.md", ["preset", "world"],
          [[code(p["name"]), p["about"]] for p in d["presets"]])
    table(f"{out}/profiles.md", ["profile", "endpoints follow"],
          [[code(p["name"]), p["about"]] for p in d["profiles"]])
    for key in ("scenarios", "variants"):
        with open(f"{out}/{key[:-1]}-names.txt", "w") as f:
            f.write("".join(" ".join([p["name"]] + ([p["needs"]] if p.get("needs") else [])) + "\n"
                            for p in d[key]))


main()
