#!/usr/bin/env bash
# Copies a Go module's source, as the module proxy serves it, into a writable directory, for the
# scripts that build a CLI whose go.mod `go install` refuses (build-terraform.sh,
# build-opentofu.sh).
#
#   scripts/module-source.sh MODULE VERSION DIR     # DIR is emptied first
set -euo pipefail

module=${1:?usage: module-source.sh MODULE VERSION DIR}
version=${2:?usage: module-source.sh MODULE VERSION DIR}
dir=$(realpath -m "${3:?usage: module-source.sh MODULE VERSION DIR}")

[[ -d $dir ]] && chmod -R u+w "$dir"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"

# Outside any module, so that the download cannot touch this project's go.mod or go.sum.
cd "$(dirname "$dir")"
info=$(go mod download -json "$module@v$version")
source_dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
if [[ -z $source_dir || ! -d $source_dir ]]; then
  echo "module-source: the download of $module@v$version named no source directory:" >&2
  echo "$info" >&2
  exit 1
fi
cp -R "$source_dir" "$dir"
chmod -R u+w "$dir"
