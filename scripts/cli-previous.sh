#!/usr/bin/env bash
# cli-previous.sh CLI: prints the Terraform version just below CLI's among
# the Terraform releases of the run (the terraform on PATH and each CLI of
# TF_ACC_CLI_MATRIX), when CLI is neither the oldest nor the newest of them;
# otherwise nothing. make testacc passes it on as ASTRAL_TEST_CLI_PREVIOUS:
# such a Terraform runs only the tests of what the release below it lacks,
# since the releases on either side bracket the rest (skipOnIntermediateCLI
# in internal/provider/cli_test.go). OpenTofu gets nothing.
set -euo pipefail

# terraform_version prints the version of a Terraform CLI, and nothing for
# OpenTofu or a CLI that is not there.
terraform_version() {
  "$1" version 2>/dev/null | sed -nE '1s/^Terraform v([0-9][^ ]*).*/\1/p'
}

read -r -a clis <<<"${TF_ACC_CLI_MATRIX:-}"
if ((${#clis[@]} == 0)); then
  exit 0
fi
mine=$(terraform_version "$1")
[[ -n $mine ]] || exit 0
path_terraform=$(command -v "${TERRAFORM:-terraform}" || true)
mapfile -t versions < <(for cli in $path_terraform "${clis[@]}"; do terraform_version "$cli"; done | sort -uV)
[[ $mine == "${versions[-1]}" ]] && exit 0
previous=""
for v in "${versions[@]}"; do
  if [[ $v == "$mine" ]]; then
    echo "$previous"
    exit 0
  fi
  previous=$v
done
