#!/usr/bin/env bash
# Installs what drover needs to build and run on Debian 12; with --tests, also what the test
# suite needs (a Java runtime and Maven for the real Kafka broker, clang 14 and libFuzzer for
# the fuzz targets, and what --package needs); with --fuzz, only the fuzz tools; with
# --package, what scripts/package.sh needs (scdoc, rpm) and what checks packages (lintian,
# rpmlint); with --bench, what --tests needs plus perf and gnuplot (bench/run's profiles and
# plot). Idempotent: prints nothing when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  librdkafka-dev libsimdjson-dev libtoml11-dev libspdlog-dev libfmt-dev libgtest-dev libre2-dev
  libmimalloc-dev libsystemd-dev libboost-dev libssl-dev kcat
)
fuzz_packages=(clang-14 libclang-rt-14-dev)  # libFuzzer and clang's sanitizer runtimes
# scdoc: the man pages; rpm: rpmbuild; lintian and rpmlint: the packaging test checks both
package_packages=(scdoc rpm lintian rpmlint)
case "${1:-}" in
  # logrotate: the rotation tests run the real one
  # openssl: the tests make TLS certificates and encrypted keys at run time
  # systemd-journal-remote: the journald tests write journal files with it
  --tests)
    packages+=(default-jre-headless maven logrotate openssl systemd-journal-remote
      "${fuzz_packages[@]}" "${package_packages[@]}")
    ;;
  --bench)
    packages+=(default-jre-headless maven linux-perf gnuplot-nox)
    ;;
  --package) packages+=("${package_packages[@]}") ;;
  --fuzz) packages+=("${fuzz_packages[@]}") ;;
esac

missing=()
for package in "${packages[@]}"; do
  # A JDK or Maven installed outside dpkg (e.g. a preinstalled toolchain) is as good.
  case "$package" in
    default-jre-headless) command -v java >/dev/null && continue ;;
    maven) command -v mvn >/dev/null && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
((${#missing[@]} == 0)) && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
