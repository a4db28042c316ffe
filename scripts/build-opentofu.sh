#!/usr/bin/env bash
# Builds OpenTofu from its module source, for the acceptance tests that run under it.
#
#   scripts/build-opentofu.sh VERSION OUTPUT
#
# `go install` refuses OpenTofu's module because its go.mod has a replace directive, so this
# builds ./cmd/tofu in a writable copy of the module (module-source.sh). The copy's path is the
# same on every run, because Go's build cache keys each package by its source path: a new path
# each time would compile all of OpenTofu again.
set -euo pipefail

version=${1:?usage: build-opentofu.sh VERSION OUTPUT}
output=$(realpath -m "${2:?usage: build-opentofu.sh VERSION OUTPUT}")

src="${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-apimart/opentofu-$version/src"
bash "$(dirname "$0")/module-source.sh" github.com/opentofu/opentofu "$version" "$src"
mkdir -p "$(dirname "$output")"
(cd "$src" && go build -o "$output" ./cmd/tofu)
"$output" version
