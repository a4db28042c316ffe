#!/usr/bin/env bash
# providers-schema.sh OUT: write the provider's schema, as `terraform providers schema -json` prints
# it, to OUT, for tfplugindocs' --providers-schema.
#
# Without that flag, tfplugindocs generate and validate would each build the provider and run
# terraform init and providers schema in a directory of their own: two builds and four terraform
# runs where one build and one run do. dev_overrides serves the binary, so no init is needed.
# tfplugindocs looks a schema file up under the hashicorp namespace (its own builds install there),
# so the override serves the provider at that address.
set -euo pipefail

out=$1
[[ $out == /* ]] || out=$PWD/$out
work=$(dirname "$out")/providers-schema
source "$(dirname "$0")/dev-overrides.sh"

rm -rf "$work"
mkdir -p "$work"
build_provider "$work"
write_dev_overrides "$work/dev.tfrc" hashicorp/apimart "$work"
echo 'provider "apimart" {}' >"$work/main.tf"
(cd "$work" && TF_CLI_CONFIG_FILE=dev.tfrc CHECKPOINT_DISABLE=1 terraform providers schema -json) >"$out.tmp"
mv "$out.tmp" "$out"
