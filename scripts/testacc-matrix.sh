#!/usr/bin/env bash
# make testacc-matrix: runs `make testacc` once with each CLI of
# TF_ACC_CLI_MATRIX (paths to terraform or tofu binaries), MATRIX_JOBS at a
# time, with ASTRAL_TEST_CLI_MATRIX set so that the tests of what no CLI
# changes skip (make test's first run has run them). A Terraform between
# the oldest and the newest of the run (the one on PATH included) gets
# ASTRAL_TEST_CLI_PREVIOUS, the version just below it, and runs only the
# tests of what that version lacks (skipOnIntermediateCLI in
# internal/provider/cli_test.go). Each CLI's output is
# printed whole when its run ends, so that runs at the same time do not
# interleave; the script fails when any run failed.
set -euo pipefail

jobs=${MATRIX_JOBS:-2}
read -r -a clis <<<"${TF_ACC_CLI_MATRIX:-}"
if ((${#clis[@]} == 0)); then
  echo "testacc-matrix: TF_ACC_CLI_MATRIX names no CLI; nothing to run."
  exit 0
fi

# terraform_version prints the version of a Terraform CLI, and nothing for
# OpenTofu.
terraform_version() {
  "$1" version 2>/dev/null | sed -nE '1s/^Terraform v([0-9][^ ]*).*/\1/p'
}
path_terraform=$(command -v "${TERRAFORM:-terraform}" || true)
mapfile -t versions < <(for cli in $path_terraform "${clis[@]}"; do terraform_version "$cli"; done | sort -uV)

# previous_version prints the version just below $1 in the run, unless $1
# is the oldest or the newest.
previous_version() {
  local previous=""
  [[ $1 == "${versions[-1]}" ]] && return
  for v in "${versions[@]}"; do
    if [[ $v == "$1" ]]; then
      echo "$previous"
      return
    fi
    previous=$v
  done
}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {
  local i=$1 cli=$2 previous=""
  if ((${#versions[@]})); then
    previous=$(previous_version "$(terraform_version "$cli")")
  fi
  if TF_ACC_TERRAFORM_PATH=$cli ASTRAL_TEST_CLI_MATRIX=1 ASTRAL_TEST_CLI_PREVIOUS=$previous make --no-print-directory testacc >"$out/$i.log" 2>&1; then
    touch "$out/$i.ok"
  fi
  cat "$out/$i.log"
}

pids=()
for i in "${!clis[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do
    wait -n || true
  done
  run "$i" "${clis[$i]}" &
  pids+=($!)
done
wait "${pids[@]}" || true

failed=()
for i in "${!clis[@]}"; do
  [[ -e $out/$i.ok ]] || failed+=("${clis[$i]}")
done
if ((${#failed[@]})); then
  echo "testacc-matrix: the acceptance tests failed with: ${failed[*]}" >&2
  exit 1
fi
