# Unit tests of the policy on plans written by hand: opa test policy/
package astral.api_keys_test

import data.astral.api_keys

limits := {
	"max_lifetime_days": 90,
	"name_pattern": `^[a-z]+(-[a-z0-9]+)+$`,
	"change_windows": [{"days": ["Tuesday", "Thursday"], "start": "09:00", "end": "17:00"}],
}

# A Tuesday, inside the window of limits.
plan_time := "2026-12-01T10:00:00Z"

# A plan that creates the key astral_api_key.k, whose values after the
# change are a compliant key's with those of `after` in their place, and
# `unknown` its after_unknown.
compliant_key := {"name": "ci-deploys", "revoke_on_destroy": true, "expires_at": null, "rotation": {"expire_after": "90d", "rotate_before": "14d"}}

plan_of(after, unknown) := {
	"timestamp": plan_time,
	"resource_changes": [{
		"address": "astral_api_key.k",
		"mode": "managed",
		"type": "astral_api_key",
		"change": {
			"actions": ["create"],
			"after": object.union(object.remove(compliant_key, object.keys(after)), after),
			"after_unknown": unknown,
		},
	}],
}

# The rules that plan breaks, under limits.
broken(plan) := {v.rule | some v in vs} if {
	vs := api_keys.violations with input as plan with data.astral_api_key_policy as limits
}

cases := {
	"rotation within the limit": {"plan": plan_of({}, {"expires_at": true}), "want": set()},
	"rotation of exactly the limit, in hours": {"plan": plan_of({"rotation": {"expire_after": "2160h", "rotate_before": "1d"}}, {}), "want": set()},
	"rotation over the limit": {"plan": plan_of({"rotation": {"expire_after": "90d1m", "rotate_before": "14d"}}, {}), "want": {"lifetime"}},
	"rotation in a syntax the policy cannot read": {"plan": plan_of({"rotation": {"expire_after": "12w", "rotate_before": "14d"}}, {}), "want": {"lifetime"}},
	"rotation known only after apply": {"plan": plan_of({"rotation": null}, {"rotation": true}), "want": {"lifetime"}},
	"rotation.expire_after known only after apply": {"plan": plan_of({"rotation": {"rotate_before": "14d"}}, {"rotation": {"expire_after": true}}), "want": {"lifetime"}},
	"no expiry": {"plan": plan_of({"rotation": null}, {}), "want": {"expiry"}},
	"expires_at within the limit": {"plan": plan_of({"rotation": null, "expires_at": "2027-03-01T10:00:00Z"}, {}), "want": set()},
	"expires_at over the limit": {"plan": plan_of({"rotation": null, "expires_at": "2027-03-01T10:00:01Z"}, {}), "want": {"lifetime"}},
	"expires_at with an offset, within the limit": {"plan": plan_of({"rotation": null, "expires_at": "2027-03-01T11:00:00+01:00"}, {}), "want": set()},
	"expires_at known only after apply": {"plan": plan_of({"rotation": null}, {"expires_at": true}), "want": {"lifetime"}},
	"a name off the convention": {"plan": plan_of({"name": "CI deploys"}, {}), "want": {"name"}},
	"a name known only after apply": {"plan": plan_of({"name": null}, {"name": true}), "want": {"name"}},
	"revoke_on_destroy = false with rotation": {"plan": plan_of({"revoke_on_destroy": false}, {}), "want": set()},
	"revoke_on_destroy = false with expires_at": {"plan": plan_of({"revoke_on_destroy": false, "rotation": null, "expires_at": "2027-01-01T00:00:00Z"}, {}), "want": set()},
	"revoke_on_destroy = false without an expiry": {"plan": plan_of({"revoke_on_destroy": false, "rotation": null}, {}), "want": {"expiry", "revoke_on_destroy"}},
	"revoke_on_destroy = false with an expires_at known only after apply": {"plan": plan_of({"revoke_on_destroy": false, "rotation": null}, {"expires_at": true}), "want": {"lifetime", "revoke_on_destroy"}},
	"revoke_on_destroy known only after apply, without an expiry": {"plan": plan_of({"revoke_on_destroy": null, "rotation": null}, {"revoke_on_destroy": true, "expires_at": true}), "want": {"lifetime", "revoke_on_destroy"}},
	"an update": {"plan": json.patch(plan_of({"rotation": null}, {}), [{"op": "replace", "path": "/resource_changes/0/change/actions", "value": ["update"]}]), "want": {"expiry"}},
	"a replacement": {"plan": json.patch(plan_of({"rotation": null}, {}), [{"op": "replace", "path": "/resource_changes/0/change/actions", "value": ["delete", "create"]}]), "want": {"expiry"}},
	"a destroy": {"plan": json.patch(plan_of({"rotation": null}, {}), [{"op": "replace", "path": "/resource_changes/0/change/actions", "value": ["delete"]}]), "want": set()},
	"a key left as it is": {"plan": json.patch(plan_of({"rotation": null}, {}), [{"op": "replace", "path": "/resource_changes/0/change/actions", "value": ["no-op"]}]), "want": set()},
	"another resource type": {"plan": json.patch(plan_of({"rotation": null}, {}), [{"op": "replace", "path": "/resource_changes/0/type", "value": "astral_other"}]), "want": set()},
	"not a plan": {"plan": {"values": {}}, "want": {"plan"}},
	"a revocation inside a window": {"plan": revocation("2026-12-03T16:59:59Z"), "want": set()},
	"a revocation at the end of a window": {"plan": revocation("2026-12-03T17:00:00Z"), "want": {"change_window"}},
	"a revocation on a day without a window": {"plan": revocation("2026-12-05T10:00:00Z"), "want": {"change_window"}},
	"another action outside a window": {"plan": json.patch(revocation("2026-12-05T10:00:00Z"), [{"op": "replace", "path": "/action_invocations/0/type", "value": "other_action"}]), "want": set()},
}

revocation(timestamp) := {
	"timestamp": timestamp,
	"action_invocations": [{
		"address": "action.astral_revoke_api_key.old",
		"type": "astral_revoke_api_key",
		"name": "old",
		"config_values": {"id": "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R", "allow_revoking_provider_key": null},
		"invoke_action_trigger": {},
	}],
}

test_each_case_breaks_exactly_its_rules if {
	failed := {name: got |
		some name, c in cases
		got := broken(c.plan)
		got != c.want
	}
	print("cases that broke other rules than expected:", failed)
	failed == {}
}

messages(plan, params) := msgs if {
	msgs := api_keys.deny with input as plan with data.astral_api_key_policy as params
}

test_messages_name_the_address_and_the_fix if {
	messages(plan_of({"rotation": null, "expires_at": "2027-06-01T00:00:00Z"}, {}), limits) == {`astral_api_key.k has expires_at = "2027-06-01T00:00:00Z", 182 days after this plan (2026-12-01T10:00:00Z), longer than the 90 days allowed: set it to "2027-03-01T10:00:00Z" or earlier, or use rotation.`}
	messages(plan_of({"rotation": {"expire_after": "1d", "rotate_before": "1h"}, "name": "CI"}, {}), limits) == {`astral_api_key.k is named "CI", which does not match ^[a-z]+(-[a-z0-9]+)+$: rename it (a new name replaces the key).`}
	messages(plan_of({"rotation": null}, {}), limits) == {`astral_api_key.k never expires: give it rotation (such as rotation = { expire_after = "90d", rotate_before = "14d" }) or an expires_at at most 90 days away.`}
	messages(revocation("2026-12-05T10:00:00Z"), limits) == {"action.astral_revoke_api_key.old revokes the API key key_01JD3X8Z6W4Q9T2B7N5M1K0C3R in a plan made on Saturday at 10:00 UTC, outside the change windows (Tuesday, Thursday 09:00-17:00): plan and apply it inside a window."}
}

test_no_change_window_refuses_every_revocation if {
	msgs := messages(revocation("2026-12-01T10:00:00Z"), object.union(limits, {"change_windows": []}))
	msgs == {"action.astral_revoke_api_key.old revokes the API key key_01JD3X8Z6W4Q9T2B7N5M1K0C3R in a plan made on Tuesday at 10:00 UTC, outside the change windows (none is set): plan and apply it inside a window."}
}

test_missing_parameters_fail_every_plan if {
	got := {v.address | some v in api_keys.violations} with input as plan_of({}, {"expires_at": true}) with data.astral_api_key_policy as {}
	got == {"data.astral_api_key_policy.max_lifetime_days", "data.astral_api_key_policy.name_pattern", "data.astral_api_key_policy.change_windows"}
}

test_bad_parameters_are_named if {
	bad := {
		"max_lifetime_days": "90",
		"name_pattern": "[",
		"change_windows": [{"days": ["Tue"], "start": "17:00", "end": "09:00"}],
	}
	got := {v.address | some v in api_keys.violations} with input as plan_of({}, {"expires_at": true}) with data.astral_api_key_policy as bad
	got == {"data.astral_api_key_policy.max_lifetime_days", "data.astral_api_key_policy.name_pattern", "data.astral_api_key_policy.change_windows"}
}
