#!/usr/bin/env bash
# Builds Terraform from its module source, for the acceptance tests that need a newer Terraform
# than the one on PATH (resource identity needs 1.12 or later).
#
#   scripts/build-terraform.sh VERSION DIR     # writes DIR/terraform
#
# Since about 1.10, Terraform's go.mod replaces its remote-state backends (s3, azurerm, gcs, ...)
# with nested modules that the module proxy's copy does not contain, so `go install` refuses it.
# This builds a writable copy of the module (module-source.sh) without those backends: the tests
# use only the local one. The copy's path is the same on every run, as in build-opentofu.sh.
set -euo pipefail

version=${1:?usage: build-terraform.sh VERSION DIR}
dest=$(realpath -m "${2:?usage: build-terraform.sh VERSION DIR}")

src="${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-apimart/terraform-$version/src"
bash "$(dirname "$0")/module-source.sh" github.com/hashicorp/terraform "$version" "$src"
cd "$src"

# Drop each replaced module whose directory the copy lacks, and every line that uses it.
for module in $(go mod edit -json | sed -n 's/.*"Path": "\(github.com\/hashicorp\/terraform\/internal\/[^"]*\)".*/\1/p' | sort -u); do
  [[ -d ./${module#github.com/hashicorp/terraform/} ]] && continue
  go mod edit -dropreplace="$module" -droprequire="$module"
  for file in $(grep -rl --include='*.go' "\"$module\"" . || true); do
    alias=$(sed -n "s#^\t\([A-Za-z0-9_]*\) \"$module\"\$#\1#p" "$file")
    sed -i "\#\"$module\"#d" "$file"
    if [[ -n $alias ]]; then sed -i "/\b$alias\./d" "$file"; fi
  done
done

mkdir -p "$dest"
# A release build's version carries no -dev marker, which tfversion checks would otherwise see.
go build -ldflags "-X github.com/hashicorp/terraform/version.dev=no" -o "$dest/terraform" .
CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$dest/terraform" version
