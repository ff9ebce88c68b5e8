#!/usr/bin/env bash
# Suite strength: cargo-mutants on synfin-tcp's connection core (impl/src/conn/)
# with the conformance suite alone as the test command. Slow (one build per
# mutant), so not part of .ci/run. Needs `cargo install cargo-mutants`.
# Results land in mutants.out/ (caught.txt, missed.txt, ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo mutants --package synfin-tcp --file 'impl/src/conn/*.rs' \
  --test-workspace=false --test-package synfin-conformance \
  --timeout 120 "$@"
echo "killed: $(wc -l < mutants.out/caught.txt) missed: $(wc -l < mutants.out/missed.txt) timeout: $(wc -l < mutants.out/timeout.txt 2>/dev/null || echo 0)"
