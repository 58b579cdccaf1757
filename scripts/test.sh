#!/usr/bin/env bash
# Set everything up, start a throwaway redis-server on its own port, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

PORT=${GUARDLAYER_TEST_REDIS_PORT:-6390}
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" \
  --daemonize no >"$DIR/redis.log" 2>&1 &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null; wait $REDIS_PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$PORT" ping >/dev/null || { echo "redis-server did not start:"; cat "$DIR/redis.log"; exit 1; }

export GUARDLAYER_TEST_REDIS_URL="redis://127.0.0.1:$PORT/0"
.venv/bin/python -m pytest "$@"
