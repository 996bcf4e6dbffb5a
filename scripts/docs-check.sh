#!/usr/bin/env bash
# Fails when docs/ differs from what `make docs` generates now, or when
# tfplugindocs finds it invalid for the registry.
set -euo pipefail
cd "$(dirname "$0")/.."

tfplugindocs=${TFPLUGINDOCS:-go tool -modfile=tools/go.mod tfplugindocs}

# tfplugindocs joins its output directory to the provider directory, so the
# scratch directory lives in the repository and is named relative to it.
tmp=$(mktemp -d .docs-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# quietly runs a command and shows its output only when it fails.
quietly() {
  "$@" >"$tmp/log" 2>&1 || {
    cat "$tmp/log" >&2
    return 1
  }
}

quietly $tfplugindocs generate --provider-name astral --rendered-provider-name Astral \
  --rendered-website-dir "$tmp/docs"

if ! diff -ru docs "$tmp/docs"; then
  echo >&2
  echo "docs/ is out of date: run 'make docs' and commit the result." >&2
  exit 1
fi

quietly $tfplugindocs validate --provider-name astral
