#!/usr/bin/env bash
# Builds the lwIP adapter for `synfin-conform replay --target exec:target/lwip-adapter`:
# conformance/adapters/lwip/adapter.c against Debian's liblwip (2.1.3) and
# cJSON, with gcc, into target/lwip-adapter. Installs liblwip-dev,
# libcjson-dev and gcc with apt-get when they are missing (as root).
# Exits non-zero, saying what is missing, when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/lwip-adapter
src=conformance/adapters/lwip/adapter.c

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/include/lwip/lwip/tcp.h ] || need+=(liblwip-dev)
[ -f /usr/include/cjson/cJSON.h ] || need+=(libcjson-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "build-lwip-adapter: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "build-lwip-adapter: installing ${need[*]}" >&2
  if ! { apt-get update -qq && apt-get install -y -qq "${need[@]}"; } >&2; then
    echo "build-lwip-adapter: apt-get could not install ${need[*]}" >&2
    exit 1
  fi
fi

mkdir -p target
if ! gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$out" "$src" \
  -I/usr/include/lwip -llwip -lcjson; then
  echo "build-lwip-adapter: gcc failed to build $out from $src" >&2
  exit 1
fi
# The adapter must say hello, or nothing else will work.
if ! printf '%s\n' '{"op":"hello","protocol":"synfin-exec/1"}' | "$out" | grep -q '"name":"lwip"'; then
  echo "build-lwip-adapter: $out was built but does not answer hello" >&2
  exit 1
fi
echo "build-lwip-adapter: built $out ($(pkg-config --modversion lwip 2>/dev/null || echo 'lwIP'))"
