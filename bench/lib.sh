# shellcheck shell=bash disable=SC2034,SC2154  # variables set for, or by, the sourcing script
# Shell functions shared by bench/compare.sh, bench/durability.sh and bench/cost.sh; source it
# from the repository root. The broker runs pinned to core 0 and tern-bench to core 1.
# Binaries: $TERN_BIN and $BENCH_BIN, by default the release preset's (built when missing).

broker_pid=""
run_pid=""

# Sets $tern and $bench.
bench_find_binaries() {
  tern="${TERN_BIN:-./build/release/src/app/tern}"
  bench="${BENCH_BIN:-./build/release/bench/tern-bench}"
  if [ -z "${TERN_BIN:-}${BENCH_BIN:-}" ] && ! { [ -x "$tern" ] && [ -x "$bench" ]; }; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target tern tern-bench
  fi
  local b
  for b in "$tern" "$bench"; do
    [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 1; }
  done
}

# Sets $mosquitto_bin, installing Debian's mosquitto if needed.
bench_find_mosquitto() {
  command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || {
    echo "installing mosquitto" >&2
    local sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get install -y -q mosquitto >/dev/null
  }
  mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
}

# A TCP port on 127.0.0.1 that nothing listens on now.
bench_free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The common part of a mosquitto.conf listening on $port: no limit on connections (19,000 in
# the conns row) or memory, long queues for QoS 1/2 fan-out.
bench_mosquitto_conf() {
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\nmax_inflight_messages 256\n' \
    "$port"
  printf 'max_connections -1\nmemory_limit 0\n'
}

# Usage: bench_tern_conf <shards> [durability]. Prints Tern's configuration for a benchmark run:
# the shard count, warnings only in the log, the same queue and in-flight limits as
# bench_mosquitto_conf and, if given, [storage] durability. A fan-in closed loop keeps up to
# 100 x 16 messages queued for its one subscriber: with the default limit of 1,000 both brokers
# would drop some, and the publishers whose messages went would wait out their windows.
bench_tern_conf() {
  printf 'shards = %s\n[log]\nlevel = "warn"\n' "$1"
  printf '[sessions]\nmax_queued_messages = 100000\n[limits]\nmax_inflight = 256\n'
  [ -z "${2:-}" ] || printf '[storage]\ndurability = "%s"\n' "$2"
}

# Usage: bench_start_broker <log file> <command...>. Runs the command on core 0 and waits until
# $port accepts connections; sets $broker_pid.
bench_start_broker() {
  local log="$1"
  shift
  taskset -c 0 "$@" >"$log" 2>&1 &
  broker_pid=$!
  local _
  for _ in $(seq 100); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "broker did not start: $*" >&2
  tail -n 5 "$log" >&2
  bench_stop_broker
  exit 1
}

# Stops the broker started last, if any (safe to call from an EXIT trap).
bench_stop_broker() {
  [ -n "$broker_pid" ] || return 0
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}

# Usage: bench_run <json file> <tern-bench options...>. Runs tern-bench on core 1 against $port;
# its JSON summary goes to the file. Never fails: bench_fields tells a failed run.
bench_run() {
  local out="$1"
  shift
  taskset -c 1 "$bench" -p "$port" "$@" --json -q >"$out" || true
}

# Usage: bench_start_run <json file> <progress file> <tern-bench options...>. bench_run in the
# background, with the progress lines (stderr) in the file instead of silenced; a line
# "measuring for" marks the start of the measured window. Sets $run_pid; bench_wait_run waits.
bench_start_run() {
  local out="$1" progress="$2"
  shift 2
  taskset -c 1 "$bench" -p "$port" "$@" --json >"$out" 2>"$progress" &
  run_pid=$!
}

# Waits for the tern-bench run started last, if any (safe to call from an EXIT trap after
# killing it).
bench_wait_run() {
  [ -n "$run_pid" ] || return 0
  wait "$run_pid" 2>/dev/null || true
  run_pid=""
}

# Usage: bench_fields <json file> <field...>, fields as dotted paths (ack_latency_us.p99).
# Prints the values rounded to integers on one line, or "fail" for each if the run failed.
bench_fields() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
path, fields = sys.argv[1], sys.argv[2:]
try:
    with open(path) as f:
        result = json.load(f)
    if not result["ok"]:
        raise ValueError(result.get("abort_reason") or f"{result['errors']} error(s)")
    values = []
    for field in fields:
        v = result
        for key in field.split("."):
            v = v[key]
        values.append(str(round(v)))
    print(" ".join(values))
except Exception as e:
    print(f"tern-bench run failed: {e!r}", file=sys.stderr)
    print(" ".join("fail" for _ in fields))
PY
}

# The median of the numeric arguments, "-" if there are none (failed runs are not numbers).
bench_median() {
  printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g |
    awk '{a[NR] = $1} END {print NR ? a[int((NR + 1) / 2)] : "-"}'
}

# a/b as "1.2x", "-" if either is not a number or b is 0.
bench_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "-"; else printf "%.2fx\n", a / b }'
}
