#!/usr/bin/env bash
# Runs the same tern-bench scenarios against Tern and Debian's mosquitto on this machine and
# prints the median delivered msgs/s of each and the Tern/Mosquitto ratio.
# The broker is pinned to core 0 and the generator to core 1; runs alternate A B A B ...
# Usage: bench/compare.sh [repetitions=3] [seconds=5]
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-3}"
seconds="${2:-5}"
tern=./build/release/src/app/tern
bench=./build/release/bench/tern-bench
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || {
  echo "installing mosquitto"; sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -q mosquitto >/dev/null; }
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$tern" ] && [ -x "$bench" ] || { cmake --preset release >/dev/null; cmake --build --preset release --target tern tern-bench; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18990
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\nmax_inflight_messages 64\n' \
  "$port" > "$work/mosquitto.conf"

scenarios=(
  "pairs -n 100 --qos 0"
  "pairs -n 100 --qos 1"
  "pairs -n 100 --qos 2"
  "fanin -n 100 --qos 0"
  "fanin -n 100 --qos 1"
  "fanout -n 1000 --qos 0"
  "fanout -n 1000 --qos 1 --size 1024"
)

start_broker() {
  if [ "$1" = tern ]; then
    printf 'shards = 1\n[log]\nlevel = "warn"\n' > "$work/tern.toml"
    taskset -c 0 "$tern" -p "$port" --data-dir "$work/data" -c "$work/tern.toml" 2>"$work/tern.log" &
  else
    taskset -c 0 "$mosquitto_bin" -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
  fi
  broker_pid=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && return; sleep 0.1; done
  echo "broker $1 did not start" >&2; exit 1
}

run_one() {
  start_broker "$1"
  # shellcheck disable=SC2086
  local rate
  rate=$(taskset -c 1 "$bench" -p "$port" -s $2 -d "$seconds" --warmup 1 --json -q \
    | /usr/bin/python3 -c 'import json,sys; print(int(json.load(sys.stdin)["delivered_per_s"]))') || rate=0
  kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
  echo "$rate"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '| scenario | Tern msgs/s | Mosquitto msgs/s | ratio |\n|---|---|---|---|\n'
for s in "${scenarios[@]}"; do
  t=(); m=()
  for _ in $(seq "$reps"); do
    t+=("$(run_one tern "$s")")
    m+=("$(run_one mosquitto "$s")")
  done
  tm=$(median "${t[@]}"); mm=$(median "${m[@]}")
  ratio=$(/usr/bin/python3 -c "print(f'{$tm/max($mm,1):.1f}x')")
  printf '| %s | %s | %s | %s |\n' "$s" "$tm" "$mm" "$ratio"
done
