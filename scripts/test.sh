#!/usr/bin/env bash
# Set everything up, start a throwaway redis-server on a free port, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

PORT=${GUARDLAYER_TEST_REDIS_PORT:-$(.venv/bin/python -c \
  'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR" \
  --daemonize no >"$DIR/redis.log" 2>&1 &
REDIS_PID=$!
cleanup() { kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
if ! kill -0 "$REDIS_PID" 2>/dev/null || ! redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  echo "redis-server did not start on port $PORT:"; cat "$DIR/redis.log"; exit 1
fi

export GUARDLAYER_TEST_REDIS_URL="redis://127.0.0.1:$PORT/0"
.venv/bin/python -m pytest "$@"
