#!/usr/bin/env bash
# One entry point for the checks people and CI run:
#   scripts/check.sh format   clang-format check of every C++ file (fix with: format-fix)
#   scripts/check.sh tidy     clang-tidy over the dev build's compile_commands.json
#   scripts/check.sh asan     the whole suite under AddressSanitizer + UBSan
#   scripts/check.sh tsan     the unit and integration tests under ThreadSanitizer
#   scripts/check.sh all      format, asan
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  command -v "$1" >/dev/null || { echo "check: installing $2"; sudo_apt "$2"; }
}
sudo_apt() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
sources() { git ls-files '*.cpp' '*.h'; }

case "${1:-all}" in
  format) need clang-format clang-format; sources | xargs clang-format --dry-run --Werror ;;
  format-fix) need clang-format clang-format; sources | xargs clang-format -i ;;
  tidy)
    need clang-tidy clang-tidy
    scripts/build.sh dev -DBUILD_TESTING=ON
    git ls-files '*.cpp' | grep -v '^tests/' | xargs clang-tidy -p build/dev --quiet ;;
  asan) scripts/test.sh asan ;;
  tsan) scripts/test.sh tsan ;;
  all) "$0" format && "$0" asan ;;
  *) echo "usage: $0 format|format-fix|tidy|asan|tsan|all" >&2; exit 2 ;;
esac
