#!/usr/bin/env bash
# Installs what Tern needs, then builds and runs the whole test suite: formatting; unit,
# component, model and integration tests (warnings are errors), once optimised and once under
# ASan+UBSan; then the fuzzers under ASan+UBSan for a bounded time (TERN_FUZZ_SECONDS, default
# 60 per target, run in parallel).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
./scripts/check-format.sh

cmake --preset ci
cmake --build --preset ci
ctest --preset ci

# The same suite with AddressSanitizer and UBSan, the broker binary included.
cmake --preset asan-ubsan
cmake --build --preset asan-ubsan
ctest --preset asan-ubsan

cmake --preset fuzz -DTERN_FUZZ_SECONDS="${TERN_FUZZ_SECONDS:-60}"
cmake --build --preset fuzz
ctest --preset fuzz
echo "all tests passed"
