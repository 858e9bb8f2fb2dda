#!/usr/bin/env bash
# The chaos run: drover ships files, events (at every ack level) and host metrics to a 3-broker
# Kafka 3.9 cluster while files rotate (rename and copytruncate), brokers and drover are
# SIGKILLed and restarted, SIGHUPs bring valid and invalid configs, and every broker goes away
# until the disk queue is full; then an independent consumer reconciles everything and a table
# says what was done and what was found. Exits non-zero on any loss.
# Usage: scripts/chaos.sh [--minutes N] [--seed S]   (default 10 minutes; an hour or
# more before a release: scripts/chaos.sh --minutes 60)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --tests
DROVER_KAFKA_LIBS="$(tests/kafka/fetch_kafka.sh)"
export DROVER_KAFKA_LIBS
scripts/build.sh dev -DBUILD_TESTING=ON >/dev/null
exec build/dev/tests/drover_chaos "$@"
