#!/usr/bin/env bash
# The broker's cost per delivered message, the performance issue's two figures of merit.
#
# 1. System calls and CPU per delivered message under closed-loop load, for Tern (shards = 1)
#    and Debian's mosquitto in the same run: fanin 100 QoS 0/1, pairs 500 QoS 1, fanout 1000
#    QoS 0 (MQTT 3.1.1, 16 B, as in compare.sh's issue set). The broker's system calls (all its
#    threads) are counted with `perf stat -e raw_syscalls:sys_enter -p PID`, and the most
#    frequent ones per delivered message listed from syscalls:sys_enter_<call> for the calls a
#    broker makes in its loop (`$calls` below, the rest as "other"). CPU is the broker's
#    utime+stime from /proc/PID/stat (all its threads); it includes what counting costs, a
#    tracepoint hit per system call.
# 2. Cross-shard cost: Tern's CPU per delivered message at a fixed offered load, open loop
#    (pairs 500 QoS 1 at --rate R msgs/s, default 100000, well below saturation) with shards = 1
#    and shards = 2, and their ratio (target: 2 shards <= 1.15 x 1 shard). A session lives on the
#    shard its client id hashes to, so with 2 shards about half of the pairs have publisher and
#    subscriber on different shards, and their messages cross shards. No perf here: the CPU
#    figure is the broker's alone.
#
# Windows: tern-bench measures S + 1 s after its warm-up and prints "measuring for" when its
# window starts. At once the script starts the observation: S seconds between two readings of
# the time and /proc/PID/stat, as perf's workload in part 1 (perf counts while it runs; its own
# start-up, well under 1 s, comes first), so that it lies inside tern-bench's window (checked).
# Messages in it = tern-bench's delivered msgs/s x its length. In part 1 that rate also covers
# the second without perf attached.
# Pinning: the broker on core 0, tern-bench and perf on core 1, in both parts: with 2 shards both
# shard threads share core 0, so the two shard counts are compared on the same single core and
# the generator never competes with the broker. What 2 shards measure is the cost of crossing
# shards, not the gain of a second core.
# Every run gets a new broker (Tern with an empty data directory, as in compare.sh); runs
# alternate Tern / mosquitto (part 1) and 1 / 2 shards (part 2). Medians over repetitions.
#
# Usage: bench/cost.sh [--rate R] [--json DIR] [--smoke] [repetitions=3] [seconds=5]
#   --json DIR: keep every run's tern-bench JSON, perf output (.perf.csv) and derived figures
#               (.cost.json) in DIR, listed in runs.tsv, with the tables in summary.md.
#   --smoke:    prove the script runs (ctest bench.cost_smoke): 1 repetition of 1 s, 10 to 20
#               clients instead of 100 to 1000, 2,000 msgs/s; without a usable perf the system
#               call columns show "-" instead of failing.
# Exit status 1 if a run failed (its figures are left out of the medians).
# Needs perf (Debian's linux-perf) with access to the syscall tracepoints: root, or
# kernel.perf_event_paranoid = -1.
# Binaries: $TERN_BIN and $BENCH_BIN, by default the release preset's (built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

rate=100000
out=""
smoke=false
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --json) out="$2"; shift 2 ;;
    --smoke) smoke=true; shift ;;
    -*) echo "usage: bench/cost.sh [--rate R] [--json DIR] [--smoke] [reps=3] [seconds=5]" >&2
        exit 2 ;;
    *) break ;;
  esac
done
if $smoke; then
  reps="${1:-1}"
  seconds="${2:-1}"
  warmup=0.5
  rate=2000
  scenarios=(
    "fanin 10->1 QoS 0|fanin -n 10 --qos 0 --mqtt 3"
    "pairs 10 QoS 1|pairs -n 10 --qos 1 --mqtt 3"
    "fanout 1->20 QoS 0|fanout -n 20 --qos 0 --mqtt 3"
  )
  open_loop="pairs -n 10 --qos 1 --mqtt 3"
else
  reps="${1:-3}"
  seconds="${2:-5}"
  warmup=1
  scenarios=(
    "fanin 100->1 QoS 0|fanin -n 100 --qos 0 --mqtt 3"
    "fanin 100->1 QoS 1|fanin -n 100 --qos 1 --mqtt 3"
    "pairs 500 QoS 1|pairs -n 500 --qos 1 --mqtt 3"
    "fanout 1->1000 QoS 0|fanout -n 1000 --qos 0 --mqtt 3"
  )
  open_loop="pairs -n 500 --qos 1 --mqtt 3"
fi
slack=1  # tern-bench's window is this much longer than ours (perf's start-up comes first)
bench_find_binaries
bench_find_mosquitto

work=$(mktemp -d)
trap '[ -z "${run_pid:-}" ] || kill "$run_pid" 2>/dev/null
  bench_wait_run; bench_stop_broker; rm -rf "$work"' EXIT
out_dir="${out:-$work/results}"
mkdir -p "$out_dir"
port=$(bench_free_port)
bench_mosquitto_conf >"$work/mosquitto.conf"

# The system calls counted one by one (those this kernel has a tracepoint for); the rest are
# counted together as "other". Not all of syscalls:sys_enter_*: perf takes about 30 ms per
# tracepoint to detach, 12 s per run for all of them.
calls="read write readv writev pread64 pwrite64 pwritev recvfrom recvmsg recvmmsg sendto sendmsg
  sendmmsg epoll_wait epoll_pwait epoll_pwait2 epoll_ctl poll ppoll select pselect6 futex
  rt_sigprocmask clock_gettime sched_yield fdatasync fsync io_uring_enter io_submit io_getevents
  accept accept4 close timerfd_settime clock_nanosleep nanosleep mmap munmap madvise brk mprotect
  ioctl getsockopt setsockopt"
perf_events=(-e raw_syscalls:sys_enter)
use_perf=true
if tracepoints=$(perf list --raw-dump tracepoint 2>/dev/null | tr ' ' '\n' | grep '^syscalls:')
then
  for call in $calls; do
    ! grep -qx "syscalls:sys_enter_$call" <<<"$tracepoints" ||
      perf_events+=(-e "syscalls:sys_enter_$call")
  done
fi
# Can perf count them? Needed, except to prove the script runs.
if ! perf_error=$(perf stat -x, -o /dev/null "${perf_events[@]}" -- true 2>&1); then
  if ! $smoke; then
    echo "perf cannot count system calls (run as root or with kernel.perf_event_paranoid=-1):" >&2
    echo "$perf_error" | tail -n 3 >&2
    exit 1
  fi
  echo "perf unusable, system calls not counted: $(echo "$perf_error" | tail -n 1)" >&2
  use_perf=false
fi

# Usage: start_broker tern <shards> | mosquitto. A new broker on $port, pinned to core 0.
start_broker() {
  rm -rf "$work/run"
  mkdir -p "$work/run/data"
  if [ "$1" = tern ]; then
    bench_tern_conf "$2" >"$work/run/tern.toml"
    bench_start_broker "$work/run/broker.log" "$tern" -p "$port" --data-dir "$work/run/data" \
      -c "$work/run/tern.toml"
  else
    bench_start_broker "$work/run/broker.log" "$mosquitto_bin" -c "$work/mosquitto.conf"
  fi
}

failures=0

# Usage: run_one <file prefix> <count syscalls: true|false> <tern-bench arguments...>, with a
# broker running. Observes the broker for $seconds inside tern-bench's measured window (see the
# header). Results: <prefix>.json (tern-bench), <prefix>.window (time and /proc/PID/stat at both
# ends of the observation), <prefix>.perf.csv and <prefix>.cost.json (the figures). Sets $result
# to "msgs/s syscalls/msg cpu-us/msg call=per-msg..." ("fail" for each figure if the run failed).
run_one() {
  local prefix="$1" count="$2"
  shift 2
  local progress="$prefix.progress" perf_csv=""
  bench_start_run "$prefix.json" "$progress" "$@" -d "$(awk -v s="$seconds" -v g="$slack" \
    'BEGIN {print s + g}')" --warmup "$warmup"
  while ! grep -q 'measuring for' "$progress" 2>/dev/null && kill -0 "$run_pid" 2>/dev/null; do
    sleep 0.01
  done
  local marked=$EPOCHREALTIME
  # The observation: the time and the broker's /proc/PID/stat, $seconds apart. Under perf, this
  # is its workload, so that perf counts for as long as it runs (perf then takes a while to exit).
  # shellcheck disable=SC2016  # expanded by the inner bash
  local observe=(bash -c 'echo "$EPOCHREALTIME $(<"/proc/$1/stat")"; sleep "$2"
    echo "$EPOCHREALTIME $(<"/proc/$1/stat")"' _ "$broker_pid" "$seconds")
  : >"$prefix.window"
  if ! grep -q 'measuring for' "$progress" 2>/dev/null; then
    echo "tern-bench ended before its measured window: $(tail -n 2 "$progress")" >&2
  elif $count && $use_perf; then
    perf_csv="$prefix.perf.csv"
    taskset -c 1 perf stat -x, -o "$perf_csv" "${perf_events[@]}" -p "$broker_pid" \
      -- "${observe[@]}" >"$prefix.window" 2>"$prefix.perf.err" ||
      echo "perf failed: $(tail -n 1 "$prefix.perf.err")" >&2
  else
    taskset -c 1 "${observe[@]}" >"$prefix.window"
  fi
  bench_wait_run
  result=$(/usr/bin/python3 - "$prefix" "$perf_csv" "$seconds" "$slack" "$marked" \
    "$(getconf CLK_TCK)" "$count" <<'PY'
import json, sys
prefix, perf_csv, seconds, slack, marked, ticks, count = sys.argv[1:]
cost = {"ok": False}
try:
    with open(prefix + ".json") as f:
        bench = json.load(f)
    if not bench["ok"]:
        raise ValueError(bench.get("abort_reason") or f"{bench['errors']} error(s)")
    ends = []
    with open(prefix + ".window") as f:
        for line in f:
            when, stat = line.split(" ", 1)
            fields = stat.rsplit(")", 1)[1].split()  # after the command name; state first
            ends.append((float(when), (int(fields[11]) + int(fields[12])) / int(ticks)))
    if len(ends) != 2:
        raise ValueError("no observation of the broker")
    (t0, cpu0), (t1, cpu1) = ends
    # It must end before tern-bench's window does, which started at the latest when the script
    # saw the mark (polling every 10 ms) and lasts seconds + slack.
    if t1 > float(marked) + float(seconds) + float(slack) - 0.05:
        raise ValueError(f"observation ended {t1 - float(marked):.3f} s after the mark:"
                         " past tern-bench's window")
    rate = bench["delivered_per_s"]
    if rate <= 0:
        raise ValueError("nothing delivered")
    window = t1 - t0
    messages = rate * window
    cost.update(delivered_per_s=rate, window_s=window, messages=messages, cpu_s=cpu1 - cpu0,
                cpu_us_per_msg=(cpu1 - cpu0) * 1e6 / messages,
                window_after_mark_s=[t0 - float(marked), t1 - float(marked)])
    if bench["mode"] == "open" and rate < 0.95 * bench["rate"]:
        print(f"warning: {prefix.rsplit('/', 1)[-1]}: {rate:.0f} of {bench['rate']:.0f} msgs/s"
              " offered delivered: saturated", file=sys.stderr)
    if perf_csv:
        calls, total = {}, None
        with open(perf_csv) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) < 3 or line.startswith("#"):
                    continue
                n = int(parts[0]) if parts[0].isdigit() else 0  # "<not counted>": never ran
                if parts[2] == "raw_syscalls:sys_enter":
                    total = n
                elif parts[2].startswith("syscalls:sys_enter_") and n > 0:
                    calls[parts[2].removeprefix("syscalls:sys_enter_")] = n
        if total is None:
            raise ValueError("perf counted nothing")
        if total > sum(calls.values()):
            calls["other"] = total - sum(calls.values())
        cost.update(syscalls=total, calls=calls, syscalls_per_msg=total / messages,
                    calls_per_msg={k: v / messages for k, v in calls.items()})
    elif count == "true":
        cost["syscalls_per_msg"] = None  # perf unusable (--smoke)
    cost["ok"] = True
except Exception as e:
    cost["error"] = repr(e)
    print(f"run {prefix} failed: {e!r}", file=sys.stderr)
with open(prefix + ".cost.json", "w") as f:
    json.dump(cost, f, indent=1)
if not cost["ok"]:
    print("fail fail fail")
else:
    print(f"{cost['delivered_per_s']:.0f}",
          "-" if cost.get("syscalls_per_msg") is None else f"{cost['syscalls_per_msg']:.6f}",
          f"{cost['cpu_us_per_msg']:.6f}",
          *(f"{k}={v:.6f}" for k, v in cost.get("calls_per_msg", {}).items()))
PY
  )
  [[ $result != fail* ]] || failures=$((failures + 1))
}

# Three significant digits without an exponent (0.0000612), "-" unless a number.
sig3() {
  awk -v x="$1" 'BEGIN {
    if (x !~ /^[0-9.]+$/) { print "-"; exit }
    if (x == 0) { print 0; exit }
    e = log(x) / log(10); m = int(e); if (m > e) m--
    d = 2 - m; if (d < 0) d = 0
    printf "%." d "f\n", x }'
}

printf 'part\tscenario\tbroker\trep\tfile\n' >"$out_dir/runs.tsv"
summary="$out_dir/summary.md"
: >"$summary"
# Prints a line and adds it to summary.md.
say() {
  printf '%s\n' "$*" | tee -a "$summary"
}

say "## System calls and CPU per delivered message (closed loop)"
say ""
say "| scenario | broker | msgs/s | syscalls/msg | top calls per msg | CPU µs/msg |"
say "|---|---|---|---|---|---|"
row=0
for entry in "${scenarios[@]}"; do
  row=$((row + 1))
  IFS='|' read -r label args <<<"$entry"
  declare -A rates=() syscalls=() cpus=() calls=()
  for rep in $(seq "$reps"); do
    for broker in tern mosquitto; do
      if [ "$broker" = tern ]; then start_broker tern 1; else start_broker mosquitto; fi
      prefix="$out_dir/cost${row}-${broker}-${rep}"
      # shellcheck disable=SC2086  # the arguments are split on purpose
      run_one "$prefix" true -s $args
      bench_stop_broker
      printf '1\t%s\t%s\t%s\t%s\n' "$label" "$broker" "$rep" "$(basename "$prefix").json" \
        >>"$out_dir/runs.tsv"
      read -r r s c per_call <<<"$result"
      rates[$broker]+=" $r"
      syscalls[$broker]+=" $s"
      cpus[$broker]+=" $c"
      # One line per successful run: "call=per-msg ...".
      [ "$r" = fail ] || calls[$broker]+="${per_call:-}"$'\n'
    done
  done
  for broker in tern mosquitto; do
    # The most frequent calls: the median per message of each (0 in a run without it), top 4.
    top=""
    for call in $(tr ' ' '\n' <<<"${calls[$broker]:-}" | sed -n 's/=.*//p' | sort -u); do
      values=()
      while IFS= read -r line; do
        v=0
        for pair in $line; do [ "${pair%%=*}" != "$call" ] || v="${pair#*=}"; done
        values+=("$v")
      done <<<"${calls[$broker]%$'\n'}"
      top+="$(bench_median "${values[@]}") $call"$'\n'
    done
    top=$(sort -gr <<<"$top" | head -n 4 |
      while read -r v call; do [ -z "$call" ] || printf '%s %s, ' "$call" "$(sig3 "$v")"; done)
    [ -n "$top" ] || top="-"
    # shellcheck disable=SC2086
    say "| $label | $broker | $(bench_median ${rates[$broker]}) |" \
      "$(sig3 "$(bench_median ${syscalls[$broker]})") | ${top%, } |" \
      "$(sig3 "$(bench_median ${cpus[$broker]})") |"
  done
  unset rates syscalls cpus calls
done

say ""
say "## Cross-shard cost: Tern at $rate msgs/s offered (open loop, $open_loop)"
say ""
say "| shards | msgs/s | CPU µs/msg | vs 1 shard |"
say "|---|---|---|---|"
declare -A rates=() cpus=()
for rep in $(seq "$reps"); do
  for shards in 1 2; do
    start_broker tern "$shards"
    prefix="$out_dir/shards${shards}-${rep}"
    # shellcheck disable=SC2086
    run_one "$prefix" false -s $open_loop --rate "$rate"
    bench_stop_broker
    printf '2\t%s\ttern/%s shards\t%s\t%s\n' "$open_loop --rate $rate" "$shards" "$rep" \
      "$(basename "$prefix").json" >>"$out_dir/runs.tsv"
    read -r r _ c _ <<<"$result"
    rates[$shards]+=" $r"
    cpus[$shards]+=" $c"
  done
done
# shellcheck disable=SC2086
base=$(bench_median ${cpus[1]})
for shards in 1 2; do
  # shellcheck disable=SC2086
  cpu=$(bench_median ${cpus[$shards]})
  # shellcheck disable=SC2086
  say "| $shards | $(bench_median ${rates[$shards]}) | $(sig3 "$cpu") |" \
    "$(bench_ratio "$cpu" "$base") |"
done
ratio=$(bench_ratio "$cpu" "$base")
verdict=$(awk -v a="$cpu" -v b="$base" 'BEGIN {
  if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "-"
  else print (a / b <= 1.15 ? "met" : "not met") }')
say ""
say "CPU per message, 2 shards / 1 shard: $ratio (target <= 1.15x: $verdict). With 2 shards a"
say "session lives on the shard its client id hashes to, so about half of the pairs have"
say "publisher and subscriber on different shards; both shard threads share core 0."
[ -z "$out" ] || echo "results: $out" >&2
if [ "$failures" -gt 0 ]; then
  echo "$failures run(s) failed" >&2
  exit 1
fi
! $smoke || echo "cost.sh smoke ok" >&2
