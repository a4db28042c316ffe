#!/usr/bin/env bash
# make bench: build the benchmark harness and run it. The harness (internal/cmd/apimart-bench)
# reads every setting itself from BENCH_* variables (see BENCHMARKS.md), so this script reads none.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

for cmd in go terraform; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is not on PATH" >&2; exit 1; }
done

# The harness empties its scratch directory, so its own binary lives beside it.
mkdir -p .build
go build -o .build/apimart-bench ./internal/cmd/apimart-bench
exec .build/apimart-bench
