#!/usr/bin/env bash
# make install: builds the provider into a filesystem mirror laid out as a
# registry serves it (HOSTNAME/astral/astral/VERSION/OS_ARCH/), writes the
# CLI configuration that installs astral/astral from that mirror and every
# other provider from its usual source, and prints it.
#
#   scripts/install.sh MIRROR_DIR CLI_CONFIG_FILE
#
# With it, `terraform init` installs the provider and records it in the lock
# file, on Terraform and OpenTofu alike, which `dev_overrides` does not (see
# README.md, "Installing the provider from a clone").
#
# VERSION is the release being prepared, the first version heading of
# CHANGELOG.md, which the release's tag names; the version and linker flags
# are goreleaser's. The build is reproducible (no VCS stamp), so installing
# an unchanged provider again changes no byte and lock files stay valid. A
# changed provider has another checksum than the one lock files recorded,
# which init refuses, -upgrade or not, for the same version; the output then
# says how to add the new checksum (terraform providers lock). It leaves out
# goreleaser's
# -trimpath, which would compile every package again rather than reuse
# what go build and go test have compiled.
set -euo pipefail
cd "$(dirname "$0")/.."

mirror=${1:?usage: install.sh MIRROR_DIR CLI_CONFIG_FILE}
config=${2:?usage: install.sh MIRROR_DIR CLI_CONFIG_FILE}
GO=${GO:-go}

version=$(sed -n -E 's/^## v?([0-9]+\.[0-9]+\.[0-9]+[-+.0-9A-Za-z]*).*/\1/p' CHANGELOG.md | head -n 1)
if [[ -z $version ]]; then
  echo "install: CHANGELOG.md has no version heading (## 1.2.3): cannot tell the version to install" >&2
  exit 1
fi
os_arch=$($GO env GOOS)_$($GO env GOARCH)
binary=terraform-provider-astral_v$version
# Each CLI looks for astral/astral under its own default registry host.
hosts=(registry.terraform.io registry.opentofu.org)

mkdir -p "$mirror"
mirror=$(cd "$mirror" && pwd)
# Built beside the mirror, so that the links below stay on one file system.
build=$(mktemp -d "$mirror/.build.XXXXXX")
trap 'rm -rf "$build"' EXIT
tmp=$build/$binary

echo "install: building terraform-provider-astral $version for $os_arch (a first build downloads and compiles the Go modules: a minute or more)" >&2
$GO build -buildvcs=false -ldflags "-s -w -X main.version=$version" -o "$tmp" .

changed= replaced=
for host in "${hosts[@]}"; do
  dir=$mirror/$host/astral/astral/$version/$os_arch
  if cmp -s "$tmp" "$dir/$binary"; then
    continue
  fi
  changed=yes
  [[ ! -e $dir/$binary ]] || replaced=yes
  mkdir -p "$dir"
  # A rename, so a terraform init at the same time never reads half a binary.
  ln -f "$tmp" "$dir/.$binary.new" 2>/dev/null || cp "$tmp" "$dir/.$binary.new"
  mv -f "$dir/.$binary.new" "$dir/$binary"
done

# The path as an HCL string: backslashes, quotes and template sequences escaped.
hcl_path=$(printf '%s' "$mirror" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\${/$${/g' -e 's/%{/%%{/g')
mkdir -p "$(dirname "$config")"
cat >"$config" <<HCL
# Written by make install: astral/astral from the filesystem mirror of this
# clone's build, every other provider from its registry.
provider_installation {
  filesystem_mirror {
    path    = "$hcl_path"
    include = ["astral/astral"]
  }
  direct {
    exclude = ["astral/astral"]
  }
}
HCL
config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")

if [[ -n $changed ]]; then
  status="Installed terraform-provider-astral $version ($os_arch)"
else
  status="terraform-provider-astral $version ($os_arch) is unchanged"
fi
cat <<EOF
$status in the filesystem mirror $mirror.
Terraform and OpenTofu install it from there with this CLI configuration, written to $config:

$(cat "$config")

Use that file:

  export TF_CLI_CONFIG_FILE=$config

or add its provider_installation block to your own CLI configuration (~/.terraformrc),
then run terraform init in each configuration, as with a provider from a registry.
EOF
if [[ -n $replaced ]]; then
  cat <<EOF

This build replaced an earlier build of $version, whose checksum the lock files
(.terraform.lock.hcl) of the configurations that installed it hold: terraform
init and plan refuse the new binary there until you add its checksum, in each
such configuration:

  terraform providers lock -fs-mirror=$mirror -platform=$os_arch astral/astral
EOF
fi
