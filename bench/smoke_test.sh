#!/usr/bin/env bash
# Smoke test for tern-bench: start tern on a free port, run a short QoS 1 pairs benchmark with
# JSON output and check that messages flowed without loss, duplicates or errors.
# Usage: smoke_test.sh <path/to/tern> <path/to/tern-bench>
set -euo pipefail

tern=$(realpath "$1")
bench=$(realpath "$2")
workdir=$(mktemp -d)
tern_pid=""

cleanup() {
  if [[ -n "$tern_pid" ]]; then
    kill "$tern_pid" 2>/dev/null || true
    wait "$tern_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

(cd "$workdir" && exec "$tern" -p "$port") >"$workdir/tern.log" 2>&1 &
tern_pid=$!

# Wait until the broker accepts connections.
for _ in $(seq 1 100); do
  if /usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$port" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$tern_pid" 2>/dev/null; then
    echo "tern exited early:" >&2
    cat "$workdir/tern.log" >&2
    exit 1
  fi
  sleep 0.1
done

status=0
"$bench" --host 127.0.0.1 --port "$port" --scenario pairs -n 4 --qos 1 --duration 1 --warmup 0 \
  --json --quiet >"$workdir/result.json" || status=$?
cat "$workdir/result.json"
if [[ $status -ne 0 ]]; then
  echo "tern-bench exited with status $status" >&2
  exit 1
fi

/usr/bin/python3 - "$workdir/result.json" <<'PY'
import json
import sys

with open(sys.argv[1]) as f:
    result = json.load(f)
problems = []
if not result["delivered"] > 0:
    problems.append("nothing delivered")
for key in ("lost", "duplicated", "errors"):
    if result[key] != 0:
        problems.append(f"{key} = {result[key]}")
if problems:
    sys.exit("bench.smoke failed: " + ", ".join(problems))
print(f"bench.smoke ok: {result['delivered']} delivered, p99 {result['latency_us']['p99']} us")
PY
