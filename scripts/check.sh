#!/usr/bin/env bash
# One entry point for the checks people and CI run:
#   scripts/check.sh format   clang-format check of every C++ file (fix with: format-fix)
#   scripts/check.sh tidy     clang-tidy over the dev build's compile_commands.json
#   scripts/check.sh layers   which folder may include which (a ctest runs it too)
#   scripts/check.sh man BIN  drover(1) shows every command `BIN --help` lists (a ctest too)
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
# Tracked and new (untracked, not ignored) files: a file not added yet is formatted too.
sources() { git ls-files --cached --others --exclude-standard '*.cpp' '*.h'; }

# base/ < config/ < agent/ < inputs/common/ < one input's or one output's folder < the builtin
# lists and main: a folder includes only from folders before it and from itself, so an input
# never reaches into another input's internals. Prints every include that breaks this.
layers() {
  local broken=0 file included folder allowed
  while IFS=: read -r file included; do
    folder="${file%/*}"
    case "$folder" in
      base) allowed="base/" ;;
      config) allowed="base/|config/" ;;
      agent | agent/*) allowed="base/|config/|agent/" ;;
      inputs/common) allowed="base/|config/|agent/|inputs/common/" ;;
      inputs/* | outputs/*) allowed="base/|config/|agent/|inputs/common/|$folder/" ;;
      *) continue ;;
    esac
    [ "$file" = inputs/builtin.cpp ] || [ "$file" = outputs/builtin.cpp ] ||
      [ "$file" = agent/main.cpp ] && continue
    if ! [[ "$included" =~ ^($allowed) ]]; then
      echo "layers: $file includes $included"
      broken=1
    fi
  done < <(git ls-files 'base/*' 'config/*' 'agent/*' 'inputs/*' 'outputs/*' |
    grep -E '\.(cpp|h)$' | xargs grep -H -o -E '^#include "[a-z_]+/[^"]+"' |
    sed -E 's/^([^:]+):#include "([^"]+)"/\1:\2/')
  [ "$broken" -eq 0 ] && echo "layers: every include goes to an earlier layer or its own folder"
  return "$broken"
}

# Every "drover <command>" of the help's usage lines has its "*drover <command>*" in the man
# page's synopsis, so that the page cannot fall behind the binary.
man_covers_help() {
  local binary="$1" missing=0 command
  while read -r command; do
    if ! grep -qF -- "*drover ${command}*" docs/man/drover.1.scd; then
      echo "man: docs/man/drover.1.scd has no synopsis for 'drover ${command}'"
      missing=1
    fi
  done < <("$binary" --help | sed -n 's/^  drover \([a-z][a-z]*\( verify\)\{0,1\}\).*/\1/p')
  return "$missing"
}

case "${1:-all}" in
  format) need clang-format clang-format; sources | xargs clang-format --dry-run --Werror ;;
  format-fix) need clang-format clang-format; sources | xargs clang-format -i ;;
  tidy)
    need clang-tidy clang-tidy
    scripts/build.sh dev -DBUILD_TESTING=ON
    git ls-files '*.cpp' | grep -v '^tests/' | xargs clang-tidy -p build/dev --quiet ;;
  layers) layers ;;
  man) man_covers_help "${2:?usage: scripts/check.sh man path/to/drover}" ;;
  asan) scripts/test.sh asan ;;
  tsan) scripts/test.sh tsan ;;
  all) "$0" format && "$0" asan ;;
  *) echo "usage: $0 format|format-fix|tidy|layers|asan|tsan|all" >&2; exit 2 ;;
esac
