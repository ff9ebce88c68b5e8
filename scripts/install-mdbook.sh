#!/usr/bin/env bash
# Install the mdBook that builds the book (docs/), from the crate registry,
# unless it is installed already. scripts/build-book.sh calls it; .ci/run
# starts it early, in the background, while the tests run.
set -euo pipefail
version=0.5.4
if ! mdbook --version 2>/dev/null | grep -q "v$version"; then
  echo "install-mdbook: installing mdBook $version from the crate registry" >&2
  # Unoptimised: it builds in half the time (73 s against 137 s on two
  # cores), and the book still takes it only seconds.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
    cargo install mdbook --version "$version" --locked --no-default-features --features search
fi
