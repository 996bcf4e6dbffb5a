#!/bin/sh
# Runs one terraform command in every workspace under workspaces/ at once,
# as an orchestrator does (Terragrunt's `run --all`, a CI matrix): one
# terraform process per directory, all with the key in ASTRAL_API_KEY.
#
#   ./run-all.sh apply -auto-approve
#   ./run-all.sh destroy -auto-approve
#
# Each workspace's output goes to workspaces/<name>.log.
set -eu
cd "$(dirname "$0")/workspaces"

pids=""
count=0
for dir in */; do
  dir=${dir%/}
  (
    terraform -chdir="$dir" init -input=false -no-color >"$dir.log" 2>&1 &&
      terraform -chdir="$dir" "$@" -input=false -no-color >>"$dir.log" 2>&1
  ) &
  pids="$pids $!:$dir"
  count=$((count + 1))
done

failed=0
for job in $pids; do
  if ! wait "${job%%:*}"; then
    echo "${job#*:}: terraform $1 failed; see workspaces/${job#*:}.log" >&2
    failed=$((failed + 1))
  fi
done
echo "$count workspaces, $failed failed"
[ "$failed" -eq 0 ]
