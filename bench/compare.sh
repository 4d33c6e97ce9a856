#!/usr/bin/env bash
# Runs tern-bench scenarios against Tern and Debian's mosquitto on this machine and prints a
# markdown table: the median of each metric for both brokers and the Tern/Mosquitto ratio.
# The broker is pinned to core 0 and the generator to core 1; runs alternate A B A B ...
# Every run's JSON summary is kept in the results directory, with runs.tsv listing them and
# summary.md holding the table (bench/plot.py draws it).
# Usage: bench/compare.sh [--set default|issue|all] [--out DIR] [repetitions=3] [seconds=5]
#   default: the original pairs/fanin/fanout rows (MQTT 5, 100 clients);
#   issue:   the performance issue's table (fan-in, fan-out, pairs, many subscriptions, 19,000
#            connections with broker memory per connection, open-loop latency);
#   DIR defaults to bench/results/<date>-<time>.
# Binaries: $TERN_BIN and $BENCH_BIN, by default the release preset's (built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

set_name=default
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --set) set_name="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) break ;;
  esac
done
reps="${1:-3}"
seconds="${2:-5}"
out="${out:-bench/results/$(date +%Y%m%d-%H%M%S)}"
bench_find_binaries
bench_find_mosquitto

work=$(mktemp -d)
trap 'bench_stop_broker; rm -rf "$work"' EXIT
mkdir -p "$out"
port=$(bench_free_port)
bench_mosquitto_conf >"$work/mosquitto.conf"

# Rows: "label|tern-bench arguments|metrics", metrics as "name=json.path" separated by spaces.
# @PID@ in the arguments becomes the broker's process id.
rate="delivered msgs/s=delivered_per_s lost=lost"
default_rows=(
  "pairs 100 QoS 0|pairs -n 100 --qos 0|$rate"
  "pairs 100 QoS 1|pairs -n 100 --qos 1|$rate"
  "pairs 100 QoS 2|pairs -n 100 --qos 2|$rate"
  "fanin 100 QoS 0|fanin -n 100 --qos 0|$rate"
  "fanin 100 QoS 1|fanin -n 100 --qos 1|$rate"
  "fanout 1000 QoS 0|fanout -n 1000 --qos 0|$rate"
  "fanout 1000 QoS 1 1 KiB|fanout -n 1000 --qos 1 --size 1024|$rate"
)
# MQTT 3.1.1 except where the issue's table says 5.
issue_rows=(
  "fanin 100->1 QoS 0 16 B|fanin -n 100 --qos 0 --mqtt 3|$rate"
  "fanin 100->1 QoS 1 16 B|fanin -n 100 --qos 1 --mqtt 3|$rate"
  "fanin 100->1 QoS 2 16 B|fanin -n 100 --qos 2 --mqtt 3|$rate"
  "fanout 1->1000 QoS 0 16 B|fanout -n 1000 --qos 0 --mqtt 3|$rate"
  "fanout 1->1000 QoS 1 1 KiB|fanout -n 1000 --qos 1 --size 1024 --mqtt 3|$rate"
  "pairs 500 QoS 0 16 B|pairs -n 500 --qos 0 --mqtt 3|$rate"
  "pairs 500 QoS 1 16 B|pairs -n 500 --qos 1 --mqtt 3|$rate"
  "pairs 500 QoS 2 16 B|pairs -n 500 --qos 2 --mqtt 3|$rate"
  "pairs 500 QoS 1 MQTT 5|pairs -n 500 --qos 1 --mqtt 5|$rate"
  "manysubs 100k subs/100 conns, 20 pubs, QoS 0|manysubs -n 100 --subscriptions 100000 --publishers 20 --subscribe-batch 500 --qos 0 --mqtt 3 --connect-timeout 120|$rate subscriptions/s=subscribe.per_s"
  "conns 19,000 idle|conns -n 19000 --mqtt 3 --connect-concurrency 256 --source-addresses 16 --connect-timeout 120 --broker-pid @PID@|CONNACKs/s=connect.per_s bytes/connection=connect.bytes_per_connection broker CPU us/connection=connect.broker_cpu_us_per_connection"
  "pairs 500 QoS 1 open loop 10k/s|pairs -n 500 --qos 1 --mqtt 3 --rate 10000|p50 us=latency_us.p50 p99 us=latency_us.p99 $rate"
)
case "$set_name" in
  default) rows=("${default_rows[@]}") ;;
  issue) rows=("${issue_rows[@]}") ;;
  all) rows=("${default_rows[@]}" "${issue_rows[@]}") ;;
  *) echo "unknown set: $set_name (default, issue, all)" >&2; exit 2 ;;
esac

# Usage: run_one <broker> <row number> <repetition> <tern-bench arguments>. The JSON summary goes
# to $out and is listed in runs.tsv; sets $result to its path.
run_one() {
  local broker="$1" row="$2" rep="$3" args="$4"
  if [ "$broker" = tern ]; then
    bench_tern_conf 1 >"$work/tern.toml"
    rm -rf "$work/data"  # no retained messages or sessions from an earlier run
    bench_start_broker "$work/tern.log" "$tern" -p "$port" --data-dir "$work/data" -c "$work/tern.toml"
  else
    bench_start_broker "$work/mosquitto.log" "$mosquitto_bin" -c "$work/mosquitto.conf"
  fi
  result="$out/row${row}-${broker}-${rep}.json"
  # shellcheck disable=SC2086  # the arguments are split on purpose
  bench_run "$result" -s ${args//@PID@/$broker_pid} -d "$seconds" --warmup 1
  bench_stop_broker
  printf '%s\t%s\t%s\t%s\n' "$row" "$broker" "$rep" "$(basename "$result")" >>"$out/runs.tsv"
}

printf 'row\tbroker\trep\tfile\n' >"$out/runs.tsv"
: >"$out/rows.tsv"
table="| scenario | metric | Tern | Mosquitto | Tern/Mosquitto |
|---|---|---|---|---|"
echo "$table"
row=0
for entry in "${rows[@]}"; do
  row=$((row + 1))
  IFS='|' read -r label args metrics <<<"$entry"
  printf '%s\t%s\t%s\t%s\n' "$row" "$label" "$args" "$metrics" >>"$out/rows.tsv"
  tern_files=()
  mosquitto_files=()
  for rep in $(seq "$reps"); do
    run_one tern "$row" "$rep" "$args"
    tern_files+=("$result")
    run_one mosquitto "$row" "$rep" "$args"
    mosquitto_files+=("$result")
  done
  # One line per metric: "name=path" pairs, names may contain spaces.
  while IFS= read -r metric; do
    [ -n "$metric" ] || continue
    name="${metric%%=*}"
    path="${metric#*=}"
    t=()
    m=()
    for f in "${tern_files[@]}"; do t+=("$(bench_fields "$f" "$path")"); done
    for f in "${mosquitto_files[@]}"; do m+=("$(bench_fields "$f" "$path")"); done
    tm=$(bench_median "${t[@]}")
    mm=$(bench_median "${m[@]}")
    line="| $label | $name | $tm | $mm | $(bench_ratio "$tm" "$mm") |"
    echo "$line"
    table+=$'\n'"$line"
  done < <(grep -oE '[^=]+=[^ ]+' <<<"$metrics" | sed 's/^ *//')
done
printf '%s\n' "$table" >"$out/summary.md"
echo "results: $out" >&2
