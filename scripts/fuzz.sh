#!/usr/bin/env bash
# make fuzz: run every Fuzz target in the module for FUZZTIME each (default 30s).
# Targets are discovered with `go test -list`, so a new FuzzXxx is picked up without editing this.
# A failing input is saved by Go under the package's testdata/fuzz/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-30s}
ran=0
for pkg in $(go list ./...); do
  # -list prints the matching names, then an "ok" line; packages without tests print neither.
  for target in $(go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' || true); do
    printf '\n==> %s %s for %s\n' "$pkg" "$target" "$fuzztime"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
    ran=$((ran + 1))
  done
done

if ((ran == 0)); then
  echo "No Fuzz targets found."
else
  printf '\nFuzzed %d targets for %s each; no failing input found.\n' "$ran" "$fuzztime"
fi
