#!/usr/bin/env bash
# Puts the Apache Kafka broker's jars in a cache outside the build tree (once: a second run
# downloads nothing) and prints the directory. Needs java and mvn (scripts/setup.sh --tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=$(sed -n 's:.*<version>\(3\.9\.[0-9]*\)</version>.*:\1:p' "$here/pom.xml" | head -1)
cache="${DROVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drover}/kafka-$version"
if [ ! -f "$cache/.complete" ]; then
  echo "fetch_kafka: downloading Apache Kafka $version from Maven Central into $cache" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$cache/libs" >&2
  touch "$cache/.complete"
fi
echo "$cache/libs"
