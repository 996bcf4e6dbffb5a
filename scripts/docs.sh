#!/usr/bin/env bash
# docs.sh generate|check: generates docs/ with tfplugindocs, or fails when
# docs/ differs from what generate would write now, or when tfplugindocs
# finds it invalid for the registry.
#
# tfplugindocs reads the provider's schema through the `terraform` on PATH,
# and only Terraform 1.14 and later report list resources and actions. With
# DOCS_TERRAFORM set to such a CLI, it is the one used. With an older one,
# the pages of list resources and actions are kept as they are (generate)
# or left out of the comparison (check), and a note says so.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:?usage: docs.sh generate|check}
tfplugindocs=${TFPLUGINDOCS:-go tool -modfile=tools/go.mod tfplugindocs}
newer_only=(list-resources actions)

# tfplugindocs joins its output directory to the provider directory, so the
# scratch directory lives in the repository and is named relative to it.
tmp=$(mktemp -d .docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ -n "${DOCS_TERRAFORM:-}" ]; then
  mkdir "$tmp/bin"
  ln -s "$(cd "$(dirname "$DOCS_TERRAFORM")" && pwd)/$(basename "$DOCS_TERRAFORM")" "$tmp/bin/terraform"
  PATH="$PWD/$tmp/bin:$PATH"
fi
# The version as the CLI gives it, a prerelease included (1.16.0-rc2).
version=$(terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')
if [ -z "$version" ]; then
  echo "docs: could not read the version of $(command -v terraform || echo terraform) (terraform version -json)." >&2
  exit 1
fi
# A prerelease has what its release has: compare the release numbers only.
full=yes
if [ "$(printf '%s\n' 1.14 "${version%%-*}" | sort -V | head -n 1)" != 1.14 ]; then
  full=
  echo "docs: Terraform $version reports no list resources or actions; their pages under docs/ are left as they are. Set DOCS_TERRAFORM to a Terraform CLI of 1.14 or later to render them." >&2
fi

# quietly runs a command and shows its output only when it fails.
quietly() {
  "$@" >"$tmp/log" 2>&1 || {
    cat "$tmp/log" >&2
    return 1
  }
}

quietly $tfplugindocs generate --provider-name astral --rendered-provider-name Astral \
  --rendered-website-dir "$tmp/docs"
if [ -z "$full" ]; then
  for dir in "${newer_only[@]}"; do
    rm -rf "${tmp:?}/docs/$dir"
    [ ! -d "docs/$dir" ] || cp -R "docs/$dir" "$tmp/docs/$dir"
  done
fi

case $mode in
generate)
  rm -rf docs
  cp -R "$tmp/docs" docs
  ;;
check)
  if ! diff -ru docs "$tmp/docs"; then
    echo >&2
    echo "docs/ is out of date: run 'make docs' and commit the result." >&2
    exit 1
  fi
  quietly $tfplugindocs validate --provider-name astral
  ;;
*)
  echo "usage: docs.sh generate|check" >&2
  exit 2
  ;;
esac
