#!/usr/bin/env bash
# make testacc-matrix: runs `make testacc` once with each CLI of
# TF_ACC_CLI_MATRIX (paths to terraform or tofu binaries), MATRIX_JOBS at a
# time, with ASTRAL_TEST_CLI_MATRIX set so that the tests of what no CLI
# changes skip (make test's run with the terraform on PATH has run them).
# The runs that take longest start first: a Terraform between others of
# the run (see scripts/cli-previous.sh) runs few tests, so it goes last,
# and a newer CLI runs more tests than an older one. Each CLI's output is
# printed whole when its run ends, so that runs at the same time do not
# interleave; the script fails when any run failed.
set -euo pipefail

jobs=${MATRIX_JOBS:-2}
read -r -a clis <<<"${TF_ACC_CLI_MATRIX:-}"
if ((${#clis[@]} == 0)); then
  echo "testacc-matrix: TF_ACC_CLI_MATRIX names no CLI; nothing to run."
  exit 0
fi

# longest_first prints the CLIs of the run in the order they start.
longest_first() {
  local cli version intermediate
  for cli in "${clis[@]}"; do
    version=$("$cli" version -json 2>/dev/null | sed -nE 's/.*"terraform_version": *"([^"]+)".*/\1/p')
    intermediate=0
    [[ -n $(./scripts/cli-previous.sh "$cli") ]] && intermediate=1
    echo "$intermediate ${version:-0} $cli"
  done | sort -k1,1n -k2,2rV | cut -d' ' -f3-
}
mapfile -t clis < <(longest_first)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {
  local i=$1 cli=$2
  if TF_ACC_TERRAFORM_PATH=$cli ASTRAL_TEST_CLI_MATRIX=1 make --no-print-directory testacc >"$out/$i.log" 2>&1; then
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
