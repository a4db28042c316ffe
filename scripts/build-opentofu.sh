#!/usr/bin/env bash
# Builds OpenTofu from its module source, for the acceptance tests that run under it.
#
#   scripts/build-opentofu.sh VERSION OUTPUT
#
# `go install` refuses OpenTofu's module because its go.mod has a replace directive, so this
# downloads the module through the Go module proxy, copies it to a writable directory and builds
# ./cmd/tofu there. The directory's path is the same on every run, because Go's build cache keys
# each package by its source path: a new path each time would compile all of OpenTofu again.
set -euo pipefail

version=${1:?usage: build-opentofu.sh VERSION OUTPUT}
output=${2:?usage: build-opentofu.sh VERSION OUTPUT}
output=$(realpath -m "$output")

scratch="${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-apimart/opentofu-$version"
rm -rf "$scratch"
mkdir -p "$scratch"

# Outside any module, so that the download cannot touch this project's go.mod or go.sum.
cd "$scratch"
info=$(go mod download -json "github.com/opentofu/opentofu@v$version")
source_dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
if [[ -z $source_dir || ! -d $source_dir ]]; then
  echo "build-opentofu: the module download named no source directory:" >&2
  echo "$info" >&2
  exit 1
fi

cp -R "$source_dir" "$scratch/src"
chmod -R u+w "$scratch/src"
mkdir -p "$(dirname "$output")"
(cd "$scratch/src" && go build -o "$output" ./cmd/tofu)
"$output" version
