#!/usr/bin/env bash
# Smoke test for tern-bench: start tern on a free port, run each scenario kind briefly (pairs,
# manysubs, conns, retained) with JSON output and check that it ran without loss, duplicates or
# errors and reported its scenario's fields.
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

# Usage: run_case <name> <tern-bench options...>: one short run, its JSON in $workdir/<name>.json.
run_case() {
  local name="$1"
  shift
  local status=0
  "$bench" --host 127.0.0.1 --port "$port" "$@" --json --quiet >"$workdir/$name.json" || status=$?
  cat "$workdir/$name.json"
  if [[ $status -ne 0 ]]; then
    echo "tern-bench $name exited with status $status" >&2
    exit 1
  fi
}

run_case pairs --scenario pairs -n 4 --qos 1 --duration 1 --warmup 0
run_case manysubs --scenario manysubs -n 4 --subscriptions 400 --subscribe-batch 30 \
  --publishers 3 --qos 1 --duration 1 --warmup 0
run_case conns --scenario conns -n 200 --source-addresses 4 --broker-pid "$tern_pid" --warmup 0.2 \
  --duration 0.3
run_case retained --scenario retained -n 300 --subscribers 3 --qos 1

/usr/bin/python3 - "$workdir" <<'PY'
import json
import sys

def load(name):
    with open(f"{sys.argv[1]}/{name}.json") as f:
        return json.load(f)

problems = []
def expect(name, condition, what):
    if not condition:
        problems.append(f"{name}: {what}")

results = {name: load(name) for name in ("pairs", "manysubs", "conns", "retained")}
for name, r in results.items():
    for key in ("lost", "duplicated", "errors"):
        expect(name, r[key] == 0, f"{key} = {r[key]}")
    expect(name, r["ok"], "not ok")
for name in ("pairs", "manysubs"):
    r = results[name]
    expect(name, r["delivered"] > 0, "nothing delivered")
    expect(name, r["out_of_order"] == 0, f"out_of_order = {r['out_of_order']}")
    expect(name, len(r["latency_cdf"]) > 0, "no latency_cdf")

s = results["manysubs"]["subscribe"]
expect("manysubs", s["subscriptions"] == 400 and s["per_s"] > 0, f"subscribe = {s}")

c = results["conns"]["connect"]
expect("conns", c["connections"] == 200 and c["per_s"] > 0, f"connect = {c}")
expect("conns", c["rss_before"] and c["rss_settled"] and c["bytes_per_connection"] is not None,
       f"no broker memory: {c}")

t = results["retained"]["retained"]
expect("retained", t["messages"] == 300 and t["received"] == 900, f"retained = {t}")
expect("retained", t["publish_per_s"] > 0 and t["delivery_per_s"] > 0, f"retained = {t}")

if problems:
    sys.exit("bench.smoke failed: " + "; ".join(problems))
print(f"bench.smoke ok: pairs {results['pairs']['delivered']} delivered, "
      f"manysubs {s['per_s']:.0f} subscriptions/s, conns {c['per_s']:.0f} CONNACKs/s "
      f"({c['bytes_per_connection']:.0f} B each), retained {t['delivery_per_s']:.0f} msgs/s")
PY
