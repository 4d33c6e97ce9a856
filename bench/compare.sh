#!/usr/bin/env bash
# Runs the same tern-bench scenarios against Tern and Debian's mosquitto on this machine and
# prints the median delivered msgs/s of each and the Tern/Mosquitto ratio.
# The broker is pinned to core 0 and the generator to core 1; runs alternate A B A B ...
# Usage: bench/compare.sh [repetitions=3] [seconds=5]
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
bench_mosquitto_conf >"$work/mosquitto.conf"

scenarios=(
  "pairs -n 100 --qos 0"
  "pairs -n 100 --qos 1"
  "pairs -n 100 --qos 2"
  "fanin -n 100 --qos 0"
  "fanin -n 100 --qos 1"
  "fanout -n 1000 --qos 0"
  "fanout -n 1000 --qos 1 --size 1024"
)

# Sets $rate: the delivered msgs/s of scenario $2 against broker $1 ("fail" if the run failed).
run_one() {
  if [ "$1" = tern ]; then
    printf 'shards = 1\n[log]\nlevel = "warn"\n' >"$work/tern.toml"
    bench_start_broker "$work/tern.log" "$tern" -p "$port" --data-dir "$work/data" -c "$work/tern.toml"
  else
    bench_start_broker "$work/mosquitto.log" "$mosquitto_bin" -c "$work/mosquitto.conf"
  fi
  # shellcheck disable=SC2086
  bench_run "$work/result.json" -s $2 -d "$seconds" --warmup 1
  bench_stop_broker
  rate=$(bench_fields "$work/result.json" delivered_per_s)
}

printf '| scenario | Tern msgs/s | Mosquitto msgs/s | ratio |\n|---|---|---|---|\n'
for s in "${scenarios[@]}"; do
  t=()
  m=()
  for _ in $(seq "$reps"); do
    run_one tern "$s"
    t+=("$rate")
    run_one mosquitto "$s"
    m+=("$rate")
  done
  tm=$(bench_median "${t[@]}")
  mm=$(bench_median "${m[@]}")
  printf '| %s | %s | %s | %s |\n' "$s" "$tm" "$mm" "$(bench_ratio "$tm" "$mm")"
done
