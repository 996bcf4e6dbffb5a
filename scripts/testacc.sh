#!/usr/bin/env bash
# testacc.sh RUN PARALLEL: make testacc's go test of the acceptance tests
# (those matching RUN, PARALLEL at a time), its -json output on stdout.
#
# A few tests configure the providers the way users do, through the
# process's environment (ASTRAL_ENDPOINT, VAULT_ADDR, TF_ACC_PROVIDER_NAMESPACE),
# so they cannot run in parallel, and Go runs a test that does not before
# any that does: in one process they would run one after the other, for
# minutes, before the rest. With the default RUN, each of them runs in a
# go test process of its own, at the same time as the rest in another;
# their outputs follow each other on stdout once all have ended. The
# script fails when any of them failed.
set -euo pipefail

run=${1:-^TestAcc}
parallel=${2:-4}
alone=(TestAccExamples TestAccVaultGuide TestAccVaultRotationGuide TestAccVaultWriteOnlyChain)

gotest() {
  "${GO:-go}" test -json -count=1 -timeout 14m -parallel "$parallel" "$@" ./internal/provider
}

if [[ $run != "^TestAcc" ]]; then
  gotest -run "$run"
  exit
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
skip=$(IFS='|'; echo "^(${alone[*]})\$")
pids=()
gotest -run "$run" -skip "$skip" >"$out/rest.json" &
pids+=($!)
for name in "${alone[@]}"; do
  gotest -run "^$name\$" >"$out/$name.json" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
cat "$out/rest.json"
for name in "${alone[@]}"; do
  cat "$out/$name.json"
done
exit $status
