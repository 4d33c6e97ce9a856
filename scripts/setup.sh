#!/usr/bin/env bash
# Installs every Debian 12 package Tern needs to build, run and test.
# With --build: only what building the broker and its Debian package needs (no test clients,
# compilers for fuzzing or benchmarks), as the container image does.
# Idempotent; works as root or through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-all-dev libssl-dev openssl
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  librocksdb-dev libargon2-dev libsystemd-dev
)
build_only=false
if [ "${1:-}" = --build ]; then
  build_only=true
else
  packages+=(
    clang-14 libclang-rt-14-dev llvm-14 clang-format-14 lld-14
    libgtest-dev libgmock-dev googletest libbenchmark-dev
    argon2 mosquitto
    mosquitto-clients python3 python3-paho-mqtt python3-matplotlib
    procps iproute2 util-linux strace chromium
  )
  # Node.js and npm run the MQTT.js tests (tests/js); chromium is the browser of the WebSocket
  # browser test there (driven by playwright-core, which downloads no browser). A node/npm
  # already on PATH (e.g. a newer release from elsewhere) is used as it is; Debian's packages
  # are installed only when missing.
  if ! command -v node >/dev/null 2>&1; then
    packages+=(nodejs)
  fi
  if ! command -v npm >/dev/null 2>&1; then
    packages+=(npm)
  fi
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

[ "$build_only" = true ] && exit 0

# The MQTT.js test dependencies, pinned by tests/js/package-lock.json. Reinstalled only when
# node_modules is missing or older than the lock file; runs as the invoking user.
js_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/js"
if [ ! -d "$js_dir/node_modules" ] || [ "$js_dir/package-lock.json" -nt "$js_dir/node_modules" ]; then
  echo "setup: installing the MQTT.js test dependencies (npm ci in tests/js)"
  (cd "$js_dir" && npm ci --no-audit --no-fund)
  touch "$js_dir/node_modules"
else
  echo "setup: tests/js/node_modules is up to date"
fi
