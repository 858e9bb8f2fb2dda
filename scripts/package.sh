#!/usr/bin/env bash
# Builds the release binary and both packages into build/release/:
# drover_<version>-<release>_amd64.deb and drover-<version>-<release>.x86_64.rpm. The version is
# project()'s in CMakeLists.txt; DROVER_PACKAGE_RELEASE (default 1) is the packaging revision.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --package
scripts/build.sh release -DDROVER_PACKAGE_RELEASE="${DROVER_PACKAGE_RELEASE:-1}"
rm -f build/release/drover*.deb build/release/drover*.rpm
(cd build/release && cpack -G "DEB;RPM" >/dev/null)
ls -1 build/release/drover*.deb build/release/drover*.rpm
