#!/usr/bin/env bash
# What durability costs. QoS 1/2 load for persistent-session subscribers (tern-bench --persistent),
# whose messages Tern writes to its store (group commit) before acknowledging and delivering them,
# against Tern with each [storage] durability ("memory": no store, "os": written, not synced,
# "fsync") and Debian's mosquitto with persistence on. Mosquitto saves its in-memory database only
# every autosave_interval and at exit, never per message: it is closest to Tern's "memory".
# Prints per scenario and broker the median delivered msgs/s, the median publisher
# acknowledgement latency p50 and p99 (PUBACK for QoS 1, PUBREC for QoS 2) and the msgs/s relative
# to Tern "memory" (on the fsync row: the cost of fsync).
# Every run gets a new broker with empty state. The broker is pinned to core 0 and tern-bench to
# core 1; each repetition runs tern/memory, tern/os, tern/fsync, mosquitto in turn.
# Usage: bench/durability.sh [repetitions=3] [seconds=5]
# Binaries: $TERN_BIN and $BENCH_BIN, by default the release preset's (built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
reps="${1:-3}"
seconds="${2:-5}"
bench_find_binaries
bench_find_mosquitto

work=$(mktemp -d)
trap 'bench_stop_broker; rm -rf "$work"' EXIT
port=$(bench_free_port)

scenarios=(
  "fanin -n 100 --qos 1 --persistent"
  "fanin -n 100 --qos 2 --persistent"
  "pairs -n 100 --qos 1 --persistent"
)
brokers=("tern/memory" "tern/os" "tern/fsync" "mosquitto/persistence")

# Starts broker/mode $1 with its state in a new $work/run.
start() {
  rm -rf "$work/run"
  mkdir -p "$work/run/data"
  case "$1" in
    tern/*)
      bench_tern_conf 1 "${1#tern/}" >"$work/run/tern.toml"
      bench_start_broker "$work/run/broker.log" "$tern" -p "$port" --data-dir "$work/run/data" \
        -c "$work/run/tern.toml"
      ;;
    mosquitto/*)
      # As root, mosquitto would switch to user "mosquitto", which cannot write $work.
      { bench_mosquitto_conf
        printf 'persistence true\npersistence_location %s/\nuser %s\n' "$work/run/data" "$(id -un)"
      } >"$work/run/mosquitto.conf"
      bench_start_broker "$work/run/broker.log" "$mosquitto_bin" -c "$work/run/mosquitto.conf"
      ;;
  esac
}

# Sets $result to "msgs/s ack-p50 ack-p99" of scenario $2 against broker/mode $1.
run_one() {
  start "$1"
  # shellcheck disable=SC2086
  bench_run "$work/run/result.json" -s $2 -d "$seconds" --warmup 1
  bench_stop_broker
  result=$(bench_fields "$work/run/result.json" delivered_per_s ack_latency_us.p50 \
    ack_latency_us.p99)
}

printf '| scenario | broker/mode | msgs/s | ack p50 (µs) | ack p99 (µs) | msgs/s vs tern/memory |\n'
printf '|---|---|---|---|---|---|\n'
for s in "${scenarios[@]}"; do
  declare -A rates=() p50s=() p99s=()
  for _ in $(seq "$reps"); do
    for b in "${brokers[@]}"; do
      run_one "$b" "$s"
      read -r rate p50 p99 <<<"$result"
      rates[$b]+=" $rate"
      p50s[$b]+=" $p50"
      p99s[$b]+=" $p99"
    done
  done
  # shellcheck disable=SC2086
  base=$(bench_median ${rates[tern/memory]})
  for b in "${brokers[@]}"; do
    # shellcheck disable=SC2086
    rate=$(bench_median ${rates[$b]})
    # shellcheck disable=SC2086
    printf '| %s | %s | %s | %s | %s | %s |\n' "$s" "$b" "$rate" "$(bench_median ${p50s[$b]})" \
      "$(bench_median ${p99s[$b]})" "$(bench_ratio "$rate" "$base")"
  done
done
