#!/usr/bin/env bash
# Configures and builds one CMake preset (dev, asan, tsan, release) into build/<preset>.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"
shift || true
if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" "$@" >/dev/null
fi
cmake --build "build/$preset" -j"$(nproc)"
