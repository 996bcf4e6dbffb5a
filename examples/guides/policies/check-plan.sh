#!/bin/sh
# Plans, then fails when the plan breaks a rule of the policy, printing one
# message per violation. Arguments go to terraform plan, such as
# -var-file=prod.tfvars or -invoke=action.astral_revoke_api_key.NAME.
# Exit status: 0 when the plan keeps every rule, 1 when it breaks one, 2 when
# OPA cannot evaluate the policy.
set -eu

terraform plan -out=tfplan "$@"
terraform show -json tfplan >tfplan.json
opa eval --fail-defined --format=raw \
  --data policy/ --data params.json --input tfplan.json \
  'data.astral.api_keys.deny[message]'
