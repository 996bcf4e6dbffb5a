#!/usr/bin/env bash
# make testacc-matrix: runs `make testacc` once with each CLI of
# TF_ACC_CLI_MATRIX (paths to terraform or tofu binaries), MATRIX_JOBS at a
# time, with ASTRAL_TEST_CLI_MATRIX set so that the tests of what no CLI
# changes skip. With MATRIX_WITH_PATH set (make test sets it), the first
# run is the one that runs those tests: every acceptance test with the
# terraform on PATH, without ASTRAL_TEST_CLI_MATRIX. Then, when it ends,
# its place goes to a CLI of the matrix, rather than staying empty until
# the end of a run of the matrix: the runs of the slowest CLIs end together
# and the last ones do not run alone on a machine of idle cores.
#
# The runs that take longest start first: the one with the terraform on
# PATH, which runs every test, then the newest CLIs, which run more tests
# than older ones; a Terraform between others of the run (see
# scripts/cli-previous.sh) runs few tests, so it goes last. Each CLI's
# output is printed whole when its run ends, so that runs at the same time
# do not interleave; the script fails when any run failed.
set -euo pipefail

jobs=${MATRIX_JOBS:-2}
read -r -a clis <<<"${TF_ACC_CLI_MATRIX:-}"
if ((${#clis[@]} == 0)) && [[ -z ${MATRIX_WITH_PATH:-} ]]; then
  echo "testacc-matrix: TF_ACC_CLI_MATRIX names no CLI; nothing to run."
  exit 0
fi

# longest_first prints the CLIs of the matrix in the order they start.
longest_first() {
  local cli version intermediate
  for cli in "${clis[@]}"; do
    version=$("$cli" version -json 2>/dev/null | sed -nE 's/.*"terraform_version": *"([^"]+)".*/\1/p')
    intermediate=0
    [[ -n $(./scripts/cli-previous.sh "$cli") ]] && intermediate=1
    echo "$intermediate ${version:-0} $cli"
  done | sort -k1,1n -k2,2rV | cut -d' ' -f3-
}
if ((${#clis[@]})); then
  mapfile -t clis < <(longest_first)
fi
# The run with the terraform on PATH is the one whose CLI is "".
if [[ -n ${MATRIX_WITH_PATH:-} ]]; then
  clis=("" "${clis[@]}")
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {
  local i=$1 cli=$2 status=0
  if [[ -z $cli ]]; then
    make --no-print-directory testacc >"$out/$i.log" 2>&1 || status=$?
  else
    TF_ACC_TERRAFORM_PATH=$cli ASTRAL_TEST_CLI_MATRIX=1 make --no-print-directory testacc >"$out/$i.log" 2>&1 || status=$?
  fi
  if ((status == 0)); then
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
  [[ -e $out/$i.ok ]] || failed+=("${clis[$i]:-the terraform on PATH}")
done
if ((${#failed[@]})); then
  echo "testacc-matrix: the acceptance tests failed with: ${failed[*]}" >&2
  exit 1
fi
