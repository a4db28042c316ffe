#!/usr/bin/env bash
# make bench: measure what the provider adds to the time and the requests that image generation
# needs, and print the results table. See BENCHMARKS.md for the method and the goals.
#
# The harness (internal/cmd/apimart-bench) builds the provider and a no-op provider from this
# checkout, serves the fake API inside its own process on a loopback port, and drives the real
# terraform binary through dev_overrides. A full run of every benchmark with at least 5 runs
# also rewrites the results section of BENCHMARKS.md.
#
# Knobs (environment):
#   BENCH_RUNS=5          runs per figure; the median is reported
#   BENCH_QUICK=1         smaller workloads, for a smoke run of a minute or two
#   BENCH_ONLY=wait,...   run only some of: wait, throughput, scale, ratelimit, imagefile
#   BENCH_BUDGET=5m       time one benchmark may spend on repeated runs
#   BENCH_SERVER_RATE=5   R of benchmark 6, in requests per second
#   BENCH_UPDATE=0        never rewrite BENCHMARKS.md
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

for cmd in go terraform; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is not on PATH" >&2; exit 1; }
done

runs=${BENCH_RUNS:-5}
quick=${BENCH_QUICK:-0}
only=${BENCH_ONLY:-}
args=(-runs "$runs" -budget "${BENCH_BUDGET:-5m}" -server-rate "${BENCH_SERVER_RATE:-5}")
if [[ $quick == 1 || $quick == true ]]; then args+=(-quick); fi
if [[ -n $only ]]; then args+=(-only "$only"); fi
if [[ ${BENCH_UPDATE:-1} != 0 && $quick != 1 && $quick != true && -z $only && $runs -ge 5 ]]; then
  args+=(-update BENCHMARKS.md)
fi

# The harness empties its scratch directory, so its own binary lives beside it.
mkdir -p .build
go build -o .build/apimart-bench ./internal/cmd/apimart-bench
exec .build/apimart-bench "${args[@]}"
