#!/usr/bin/env bash
# Installs what is missing, builds drover and runs config/examples/quickstart.toml: it tails a
# copy of sample/quickstart/app.log and ships it to the embedded development broker, then
# reads the topic back to show every line arrived.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

scripts/setup.sh
echo "quickstart: building drover (release)..."
scripts/build.sh release >/dev/null

export DROVER_DATA_DIR="${DROVER_DATA_DIR:-/tmp/drover-quickstart}"
export DROVER_SAMPLE_DIR="$DROVER_DATA_DIR/logs"
rm -rf "$DROVER_DATA_DIR"
mkdir -p "$DROVER_SAMPLE_DIR"
cp sample/quickstart/app.log "$DROVER_SAMPLE_DIR/app.log"
expected=$(wc -l < "$DROVER_SAMPLE_DIR/app.log")

build/release/drover check --config config/examples/quickstart.toml
build/release/drover run --config config/examples/quickstart.toml 2>"$DROVER_DATA_DIR/drover.log" &
drover_pid=$!
trap 'kill -TERM $drover_pid 2>/dev/null || true; wait $drover_pid 2>/dev/null || true' EXIT

address_file="$DROVER_DATA_DIR/embedded-kafka-kafka.address"
for _ in $(seq 1 100); do [ -s "$address_file" ] && break; sleep 0.1; done
if [ ! -s "$address_file" ]; then
  echo "quickstart: drover did not start; its log:" >&2
  cat "$DROVER_DATA_DIR/drover.log" >&2
  exit 1
fi
broker=$(cat "$address_file")

received=0
for _ in $(seq 1 60); do
  received=$(kcat -b "$broker" -C -t quickstart -e -q 2>/dev/null | wc -l)
  [ "$received" -ge "$expected" ] && break
  sleep 0.5
done

echo
echo "quickstart: drover shipped $received of $expected lines of sample/quickstart/app.log to topic 'quickstart'."
echo "A record as it is stored in Kafka (partition 0, offset 0):"
kcat -b "$broker" -C -t quickstart -e -q -c 1 -o beginning -p 0
echo
echo "Read the whole topic back with:"
echo "  kcat -b $broker -C -t quickstart -e"
echo "drover's own log is in $DROVER_DATA_DIR/drover.log; its checkpoint in $DROVER_DATA_DIR/checkpoints/."
if [ "$received" -lt "$expected" ]; then
  echo "quickstart: FAILED: lines are missing" >&2
  exit 1
fi

if [ -t 0 ]; then
  echo
  echo "drover is still running. Append lines and watch them arrive:"
  echo "  echo 'hello from me' >> $DROVER_SAMPLE_DIR/app.log"
  echo "  kcat -b $broker -C -t quickstart -o end"
  echo "Press Ctrl-C to stop drover (the embedded broker keeps data in memory only)."
  trap 'kill -TERM $drover_pid 2>/dev/null || true' INT
  wait $drover_pid || true
fi
