#!/usr/bin/env bash
# Build the book (docs/ -> docs/book) and fail on anything that would make it
# wrong: mdBook's errors and warnings (a missing include exits 0 otherwise)
# and dead links (scripts/check-links.py). Installs mdBook from the crate
# registry when it is missing (scripts/install-mdbook.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-mdbook.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
mdbook build docs 2>&1 | tee "$log"
if grep -E '^ *(ERROR|WARN)' "$log" >/dev/null; then
  echo "build-book: mdBook reported errors or warnings (above)" >&2
  exit 1
fi
python3 scripts/check-links.py docs/book
