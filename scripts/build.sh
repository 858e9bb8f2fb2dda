#!/usr/bin/env bash
# Configures and builds one CMake preset (dev, asan, tsan, release, bench) into build/<preset>.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"
shift || true
# Configuring every time is cheap, and applies options (e.g. -DBUILD_TESTING=ON) to a build
# directory made earlier without them.
cmake --preset "$preset" "$@" >/dev/null
cmake --build "build/$preset" -j"$(nproc)"
