#!/usr/bin/env bash
# Fails when a C++ file differs from what clang-format-14 and .clang-format make of it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.hpp.in' | grep -v '\.in$' || true)
[ "${#files[@]}" -eq 0 ] && exit 0
clang-format-14 --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
