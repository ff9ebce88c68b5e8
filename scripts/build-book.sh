#!/usr/bin/env bash
# Build the book (docs/ -> docs/book) and fail on anything that would make it
# wrong: mdBook's errors and warnings (a missing include exits 0 otherwise)
# and dead links (scripts/check-links.py). Installs mdBook from the crate
# registry when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.5.4
if ! mdbook --version 2>/dev/null | grep -q "v$version"; then
  echo "build-book: installing mdBook $version from the crate registry" >&2
  cargo install mdbook --version "$version" --locked --no-default-features --features search
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
mdbook build docs 2>&1 | tee "$log"
if grep -E '^ *(ERROR|WARN)' "$log" >/dev/null; then
  echo "build-book: mdBook reported errors or warnings (above)" >&2
  exit 1
fi
python3 scripts/check-links.py docs/book
