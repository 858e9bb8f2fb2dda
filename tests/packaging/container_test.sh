#!/usr/bin/env bash
# The container image and the Kubernetes example: their configs pass `drover check`, the health
# probe they share answers 200 from a running drover (and fails when none runs), and, where a
# container engine answers, the image is built from the .deb and runs healthy, then stops on
# SIGTERM with exit 0. Without an engine that part is SKIPPED, saying so. Usage:
#   tests/packaging/container_test.sh path/to/drover   (after scripts/package.sh for the image)
set -euo pipefail
cd "$(dirname "$0")/../.."
drover="$(realpath "${1:?usage: container_test.sh path/to/drover}")"

fail() {
  echo "container test: FAIL: $*" >&2
  exit 1
}
ok() { echo "container test: ok: $*"; }

work=$(mktemp -d)
drover_pid=""
cleanup() {
  [ -n "$drover_pid" ] && kill "$drover_pid" 2>/dev/null && wait "$drover_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The ConfigMap's drover.toml: the block under "drover.toml: |", 4 spaces in.
awk '/^  drover.toml: \|$/ {inside = 1; next} inside && /^    / {print substr($0, 5); next}
     inside && /^$/ {print ""; next} inside {exit}' packaging/kubernetes/drover.yaml \
  >"$work/configmap.toml"
grep -q '^\[outputs.kafka\]' "$work/configmap.toml" || fail "no config found in the ConfigMap"
NODE_NAME=node-1 "$drover" check --config "$work/configmap.toml" >/dev/null ||
  fail "the DaemonSet's ConfigMap: $(NODE_NAME=node-1 "$drover" check --config "$work/configmap.toml" 2>&1)"
KAFKA_BROKERS=kafka-1:9092 "$drover" check --config packaging/container/drover.toml >/dev/null ||
  fail "the image's config: $("$drover" check --config packaging/container/drover.toml 2>&1)"
ok "the image's and the DaemonSet's configs pass drover check"

# The probe, exactly as the Dockerfile's HEALTHCHECK runs it.
probe=$(sed -n 's/.*CMD \["bash", "-c", "\(.*\)"\]$/\1/p' packaging/container/Dockerfile |
  sed 's/\\\\/\\/g')
[ -n "$probe" ] || fail "no HEALTHCHECK command in the Dockerfile"
if bash -c "$probe" 2>/dev/null; then
  echo "container test: SKIPPED the probe: something already answers on 127.0.0.1:9899"
else
  cat >"$work/drover.toml" <<TOML
[agent]
data_dir = "$work/data"
[inputs.host]
type = "host_metrics"
[outputs.out]
type = "stdout"
inputs = ["host"]
TOML
  "$drover" run --config "$work/drover.toml" >/dev/null 2>"$work/drover.log" &
  drover_pid=$!
  for _ in $(seq 1 100); do
    bash -c "$probe" 2>/dev/null && break
    sleep 0.1
  done
  bash -c "$probe" || fail "the probe got no 200 from a running drover: $(cat "$work/drover.log")"
  kill -TERM "$drover_pid"
  wait "$drover_pid" || fail "drover did not stop cleanly on SIGTERM"
  drover_pid=""
  ! bash -c "$probe" 2>/dev/null || fail "the probe passes with no drover running"
  ok "the health probe: 200 from a running drover, a failure without one"
fi

if ! docker info >/dev/null 2>&1; then
  echo "container test: SKIPPED the image: no container engine answers here (docker info" \
    "failed). Build and run it where one does: scripts/package.sh && docker build -f" \
    "packaging/container/Dockerfile -t drover:test . (see the README, Install)"
  exit 0
fi
deb=$(ls build/release/drover_*-1_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb in build/release: run scripts/package.sh first"
image="drover:container-test-$$"
docker build -q -f packaging/container/Dockerfile --build-arg "DROVER_DEB=$deb" -t "$image" . \
  >/dev/null || fail "docker build"
container=$(docker run -d -e KAFKA_BROKERS=embedded "$image")
trap 'docker rm -f "$container" >/dev/null 2>&1; docker rmi -f "$image" >/dev/null 2>&1; cleanup' EXIT
[ "$(docker exec "$container" id -un)" = drover ] || fail "the image does not run as drover"
for _ in $(seq 1 60); do
  status=$(docker inspect -f '{{.State.Health.Status}}' "$container")
  [ "$status" = healthy ] && break
  sleep 2
done
[ "$status" = healthy ] || fail "the container is $status: $(docker logs "$container" 2>&1 | tail -20)"
docker stop -t 60 "$container" >/dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' "$container")" = 0 ] || fail "exit code after SIGTERM"
ok "the image: built from $deb, runs as drover, healthy, stops on SIGTERM with 0"
