#!/usr/bin/env bash
# build-terraform.sh VERSION DIR: build Terraform VERSION from its source on the Go module proxy
# into DIR/terraform, for running the acceptance tests under a Terraform other than the one on
# PATH (no release download is needed).
#
# Since 1.10 or so Terraform's go.mod replaces its remote-state backends (s3, azurerm, gcs, ...)
# with nested modules that are not part of the module the proxy serves, so `go install
# github.com/hashicorp/terraform@vX` refuses it. This builds a writable copy without those
# backends instead: the tests use only the local backend.
set -euo pipefail

version=${1:?usage: build-terraform.sh VERSION DIR}
dest=${2:?usage: build-terraform.sh VERSION DIR}

src=$(go mod download -json "github.com/hashicorp/terraform@v$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -n $src ]] || { echo "build-terraform: no source for Terraform $version" >&2; exit 1; }

work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -R "$src/." "$work"
chmod -R u+w "$work"
cd "$work"

# Drop each replaced module whose directory the proxy's copy lacks, and the imports of it.
missing=()
while read -r module dir; do
  [[ -d $dir ]] || missing+=("$module")
done < <(go mod edit -json | sed -n 's/.*"Path": "\(github.com\/hashicorp\/terraform\/internal\/[^"]*\)".*/\1/p' |
  sort -u | while read -r m; do echo "$m ./${m#github.com/hashicorp/terraform/}"; done)
for module in "${missing[@]}"; do
  go mod edit -dropreplace="$module" -droprequire="$module"
  for file in $(grep -rl --include='*.go' "\"$module\"" . || true); do
    alias=$(sed -n "s/^\t\([A-Za-z0-9_]*\) \"${module//\//\\/}\"$/\1/p" "$file")
    sed -i "\#\"$module\"#d" "$file"
    [[ -n $alias ]] && sed -i "/\b$alias\./d" "$file"
  done
done

mkdir -p "$dest"
go build -ldflags "-X github.com/hashicorp/terraform/version.dev=no" -o "$dest/terraform" .
CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$dest/terraform" version
