# Sourced by the scripts that run terraform with the provider built from this checkout, so that
# its build and the CLI configuration that serves it are written in one place.

# The root of this checkout, for the scripts that source this file too.
provider_module_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# build_provider DIR builds this checkout's provider into DIR, named as Terraform looks for it,
# stripped as the release build is (.goreleaser.yml).
build_provider() {
  (cd "$provider_module_root" && go build -ldflags="-s -w" -o "$1/terraform-provider-apimart" .)
}

# write_dev_overrides FILE ADDRESS DIR writes a Terraform CLI configuration to FILE that serves the
# provider binary in DIR at ADDRESS (such as apimart/apimart) through dev_overrides, so that no
# terraform init, and no registry, is needed.
write_dev_overrides() {
  cat >"$1" <<TFRC
provider_installation {
  dev_overrides {
    "$2" = "$3"
  }
  direct {}
}
TFRC
}
