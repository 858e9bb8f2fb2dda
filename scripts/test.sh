#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing (with Java and Maven),
# fetches the Kafka broker's jars once, builds the dev preset (warnings are errors) and runs
# every test: unit, integration (mock cluster) and kafka (real brokers). CI runs exactly this.
# Usage: scripts/test.sh [preset]   (dev by default; asan for the sanitizer build)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"

scripts/setup.sh --tests
DROVER_KAFKA_LIBS="$(tests/kafka/fetch_kafka.sh)"
export DROVER_KAFKA_LIBS
scripts/build.sh "$preset" -DBUILD_TESTING=ON
ctest --test-dir "build/$preset" --output-on-failure --no-tests=error -j2 --timeout 300
