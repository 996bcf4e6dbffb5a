#!/usr/bin/env bash
# make demo: build the provider into a throwaway filesystem mirror, as make
# install does, start a throwaway sandbox, init and apply examples/demo to
# it, show that a second plan is empty, offer the head coach's sign-in link
# to the app's Security page and, when run from a terminal, wait while a key
# is revoked there and plan again, destroy, and show that the keys are
# revoked. Needs only Go and terraform on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# The registry and checkpoint service are never contacted: the provider comes
# from the mirror, and the demo needs no other.
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

work=$(mktemp -d "${TMPDIR:-/tmp}/astral-demo.XXXXXX")
sandbox_pid=

cleanup() {
  local status=$?
  if [[ -n $sandbox_pid ]]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  if ((status != 0)); then
    if [[ -s $work/sandbox.log ]]; then
      echo "--- sandbox log (last 20 lines) ---" >&2
      tail -n 20 "$work/sandbox.log" >&2
    fi
    echo "make demo failed (exit status $status)" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }

step "Building the provider into a filesystem mirror, as make install does"
# scripts/install.sh says the first build takes a while before it starts;
# its advice on TF_CLI_CONFIG_FILE is for make install's lasting mirror,
# not this throwaway one.
./scripts/install.sh "$work/mirror" "$work/terraformrc" >/dev/null
export TF_CLI_CONFIG_FILE=$work/terraformrc
echo "Terraform installs astral/astral from $work/mirror with this CLI configuration:"
grep -v '^#' "$work/terraformrc"

step "Building the sandbox (a first build compiles its modules, SQLite's Go port among them: a minute or more)"
go build -o "$work/astral-sandbox" ./internal/sandbox/cmd/astral-sandbox
tf_version=$(terraform version)
echo "${tf_version%%$'\n'*}"

step "Starting the sandbox (throwaway database in $work)"
"$work/astral-sandbox" --listen 127.0.0.1:0 --db "$work/sandbox.db" \
  --credentials "$work/credentials.json" >"$work/sandbox.json" 2>"$work/sandbox.log" &
sandbox_pid=$!
# The credentials file is written atomically once the sandbox listens.
for _ in $(seq 300); do
  [[ -s $work/credentials.json ]] && break
  kill -0 "$sandbox_pid" 2>/dev/null || { echo "the sandbox exited before it listened" >&2; exit 1; }
  sleep 0.1
done
[[ -s $work/credentials.json ]] || { echo "the sandbox did not write its credentials within 30s" >&2; exit 1; }

# terraform itself reads the JSON, so the demo needs no JSON tool. The values
# are URLs and an astral_live_ key: none contains quotes or spaces.
creds_json="jsondecode(file(\"$work/credentials.json\"))"
mkdir "$work/console"
creds=$(cd "$work/console" && terraform console <<<"format(\"%s %s\", $creds_json.endpoint, one([for m in $creds_json.organization.members : \"\${m.api_key} \${m.app_url}\" if m.role == \"head_coach\"]))")
creds=${creds//\"/}
read -r ASTRAL_ENDPOINT ASTRAL_API_KEY app_url <<<"$creds"
if [[ -z ${ASTRAL_API_KEY:-} ]]; then
  echo "could not read the endpoint and head coach's key from $work/credentials.json" >&2
  exit 1
fi
export ASTRAL_ENDPOINT ASTRAL_API_KEY
echo "Sandbox listening at $ASTRAL_ENDPOINT; the provider uses the head coach's key."

cp -R "$repo/examples/demo" "$work/demo"
cp -R "$repo/scripts/demo-verify" "$work/verify"
cd "$work/demo"

step "terraform init: installs astral/astral from the mirror and records it in .terraform.lock.hcl"
terraform init -input=false -no-color
echo "(The warning is expected with a mirror: the lock file holds the checksum of this platform's build only.)"

step "terraform apply (examples/demo); its outputs show names, ids and hints, never secrets"
terraform apply -auto-approve -input=false -no-color -compact-warnings

step "A second plan is empty"
plan_status=0
terraform plan -detailed-exitcode -input=false -no-color -compact-warnings || plan_status=$?
case $plan_status in
0) echo "Second plan: no changes (terraform plan -detailed-exitcode exited 0)." ;;
2) echo "The second plan is not empty." >&2; exit 1 ;;
*) exit "$plan_status" ;;
esac

step "Revoke a key in the app, as a person would"
echo "The head coach's one-time sign-in link to Settings -> Security (valid for 15 minutes):"
echo "  $app_url"
if [[ -t 0 ]]; then
  echo "Open it, press Sign in, click Revoke on a key of the demo, confirm, then come back here."
  read -r -s -n 1 -p "Press any key to plan again... " _
  echo
  step "terraform plan: a key revoked in the app is planned to be created again"
  terraform plan -input=false -no-color -compact-warnings
else
  echo "(stdin is not a terminal: not waiting.)"
fi

key_ids=$(terraform output -json key_ids)

step "terraform destroy revokes the keys"
terraform destroy -auto-approve -input=false -no-color -compact-warnings

step "The destroyed keys are revoked: none is among the active keys"
cd "$work/verify"
terraform init -input=false -no-color >"$work/verify-init.log" || { cat "$work/verify-init.log" >&2; exit 1; }
terraform apply -auto-approve -input=false -no-color -compact-warnings -var "demo_key_ids=$key_ids"

step "Demo complete: sandbox stopped, $work removed"
