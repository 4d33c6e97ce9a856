#!/usr/bin/env bash
# Installs what Tern needs, builds an optimised broker and starts it on 127.0.0.1:1883
# (and [::1]:1883) with the built-in defaults. Extra arguments go to tern, e.g. -p 1884.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cmake --preset release
cmake --build --preset release --target tern
exec ./build/release/src/app/tern --data-dir ./data "$@"
