#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing (with Java and Maven),
# fetches the Kafka broker's jars once, then
#   1. builds the dev preset (warnings are errors) and runs every test: unit, integration (mock
#      cluster) and kafka (real brokers);
#   2. builds the .deb and .rpm and tests them as users get them: lintian, rpmlint, then
#      install, upgrade, remove and purge on this machine (tests/packaging/package_test.sh;
#      as root only: CI's machine is disposable); checks the container image's and the
#      Kubernetes example's configs and health probe, and builds and runs the image where a
#      container engine answers (tests/packaging/container_test.sh);
#   3. runs the chaos run (scripts/chaos.sh) for DROVER_CHAOS_MINUTES (default 5) with a new
#      seed each time (it prints the seed; --seed repeats the same trouble);
#   4. builds the asan preset (AddressSanitizer + UBSan, halting on the first error) and runs
#      the unit and integration tests under it;
#   5. builds the tsan preset (ThreadSanitizer) and runs the unit and integration tests under it
#      (drover itself and the tests' own threads; tests/tsan.supp says what is suppressed, and
#      why: only races inside librdkafka, which Debian does not build for TSan);
#   6. builds the libFuzzer targets and runs each for DROVER_FUZZ_SECONDS (default 20) from
#      its seed corpus (scripts/fuzz.sh).
# CI runs exactly this. Usage: scripts/test.sh [stage]   (one only: dev, package, chaos, asan,
# tsan or fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --tests
DROVER_KAFKA_LIBS="$(tests/kafka/fetch_kafka.sh)"
export DROVER_KAFKA_LIBS
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# exitcode: a race makes drover (and a test process) exit 66, which every test notices.
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"

run_preset() {
  local preset="$1"
  echo "test: preset $preset"
  scripts/build.sh "$preset" -DBUILD_TESTING=ON
  local labels=()
  # Under the sanitizers the real-broker tests add minutes and no code path of drover's that
  # the mock-cluster tests do not already run.
  # DescriptorsTest runs drover out of file descriptors, where the sanitizers' own runtimes
  # misbehave (UBSan's vptr check needs a pipe to test memory, and reports every virtual call
  # once none is left): it runs in dev only.
  [ "$preset" != dev ] && labels=(-L "unit|integration" -E "DescriptorsTest")
  ctest --test-dir "build/$preset" --output-on-failure --no-tests=error -j2 --timeout 300 \
    "${labels[@]}"
}

run_chaos() {
  echo "test: chaos"
  [ -x build/dev/tests/drover_chaos ] || scripts/build.sh dev -DBUILD_TESTING=ON
  build/dev/tests/drover_chaos --minutes "${DROVER_CHAOS_MINUTES:-5}"
}

run_package() {
  echo "test: package"
  tests/packaging/package_test.sh
  [ -x build/release/drover ] || scripts/build.sh release
  tests/packaging/container_test.sh build/release/drover
}

run_fuzz() {
  echo "test: fuzz"
  scripts/fuzz.sh "${DROVER_FUZZ_SECONDS:-20}"
}

case "${1:-all}" in
  all) run_preset dev && run_package && run_chaos && run_preset asan && run_preset tsan && run_fuzz ;;
  chaos) run_chaos ;;
  package) run_package ;;
  fuzz) run_fuzz ;;
  *) run_preset "$1" ;;
esac
