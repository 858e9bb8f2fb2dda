#!/usr/bin/env bash
# Builds the release binary and the .deb (and the .rpm when rpmbuild is installed) into
# build/release/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
generators="DEB"
if command -v rpmbuild >/dev/null; then generators="DEB;RPM"; fi
(cd build/release && cpack -G "$generators")
ls -1 build/release/*.deb build/release/*.rpm 2>/dev/null || true
