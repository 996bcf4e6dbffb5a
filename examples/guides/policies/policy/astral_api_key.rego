# METADATA
# title: Policies for plans of Astral API keys
# description: |
#   Checks the JSON of a saved plan (terraform show -json tfplan) against a
#   platform team's rules for astral_api_key and astral_revoke_api_key. deny
#   holds one message per violation, each naming the resource's or the
#   action's address and what to change; violations holds the same as
#   objects with the rule's name, for tools.
#
#   The parameters come from data.astral_api_key_policy (a JSON or YAML
#   file given to opa with -d, or to conftest with --data):
#     max_lifetime_days  the longest lifetime of a key, in days
#     name_pattern       a regular expression (RE2) every key's name matches
#     change_windows     when an action may revoke a key: a list of
#                        {"days": ["Tuesday"], "start": "09:00", "end": "17:00"},
#                        in UTC, start included, end excluded
#
#   A value that the plan leaves unknown until apply cannot be checked, so
#   it breaks the rule it would be checked by: the policy fails closed.
package astral.api_keys

deny contains v.message if {
	some v in violations
}

# Missing parameters fail every plan, rather than passing them unchecked.
default params := {}

params := data.astral_api_key_policy if is_object(data.astral_api_key_policy)

day_ns := ((24 * 60) * 60) * 1000000000

weekdays := {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

# The keys that the plan creates or changes: a key that a plan only reads,
# imports unchanged or destroys gains no lifetime.
key_changes contains rc if {
	some rc in input.resource_changes
	rc.mode == "managed"
	rc.type == "astral_api_key"
	some action in rc.change.actions
	action in {"create", "update"}
}

# The plan's time, from which the lifetime of expires_at is counted and at
# which an action's revocation is judged.
plan_ns := time.parse_rfc3339_ns(input.timestamp)

violations contains violation("plan", "timestamp", msg) if {
	not has_timestamp
	msg := "The input has no timestamp, so it is not the JSON of a saved plan: check the output of `terraform show -json tfplan` (a plan saved with terraform plan -out=tfplan, by Terraform 1.5 or later)."
}

has_timestamp if is_string(input.timestamp)

violation(rule, address, message) := {"rule": rule, "address": address, "message": message}

# What the plan knows of a key after the change. Terraform leaves an unknown
# value out of `after` and marks it in `after_unknown`.
after(rc, attr) := object.get(rc.change.after, attr, null)

unknown(rc, attr) if rc.change.after_unknown[attr] == true

## Parameters

violations contains violation("parameters", sprintf("data.astral_api_key_policy.%s", [name]), msg) if {
	some name, problem in param_errors
	msg := sprintf("The policy's parameter %s %s: set it in the parameters file given to opa with -d (conftest: --data), under astral_api_key_policy.", [name, problem])
}

param_errors["max_lifetime_days"] := "must be a number of days above 0, such as 90" if {
	not valid_max_lifetime
}

valid_max_lifetime if {
	is_number(params.max_lifetime_days)
	params.max_lifetime_days > 0
}

param_errors["name_pattern"] := `must be a regular expression (RE2), such as "^[a-z]+(-[a-z0-9]+)+$"` if {
	not valid_name_pattern
}

valid_name_pattern if {
	is_string(params.name_pattern)
	regex.is_valid(params.name_pattern)
}

param_errors["change_windows"] := `must be a list of windows such as {"days": ["Tuesday"], "start": "09:00", "end": "17:00"} (days in English, times in UTC, start before end), or []` if {
	not valid_change_windows
}

valid_change_windows if {
	is_array(params.change_windows)
	every w in params.change_windows {
		valid_window(w)
	}
}

valid_window(w) if {
	is_array(w.days)
	count(w.days) > 0
	every d in w.days {
		d in weekdays
	}
	minute_of_day(w.start) < minute_of_day(w.end)
}

# "HH:MM" as minutes since midnight; "24:00" ends a window at midnight.
minute_of_day(hhmm) := (to_number(substring(hhmm, 0, 2)) * 60) + to_number(substring(hhmm, 3, 2)) if {
	regex.match(`^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$`, hhmm)
}

## Every key expires

violations contains violation("expiry", rc.address, msg) if {
	some rc in key_changes
	after(rc, "rotation") == null
	not unknown(rc, "rotation")
	after(rc, "expires_at") == null
	not unknown(rc, "expires_at")
	msg := sprintf(`%s never expires: give it rotation (such as rotation = { expire_after = "%dd", rotate_before = "14d" }) or an expires_at at most %d days away.`, [rc.address, params.max_lifetime_days, params.max_lifetime_days])
}

## Lifetimes at most max_lifetime_days

violations contains violation("lifetime", rc.address, msg) if {
	some rc in key_changes
	expire_after := after(rc, "rotation").expire_after
	duration_ns(expire_after) > params.max_lifetime_days * day_ns
	msg := sprintf(`%s has rotation.expire_after = "%s", longer than the %d days allowed: set it to "%dd" or less.`, [rc.address, expire_after, params.max_lifetime_days, params.max_lifetime_days])
}

violations contains violation("lifetime", rc.address, msg) if {
	some rc in key_changes
	expire_after := after(rc, "rotation").expire_after
	is_string(expire_after)
	not duration_ns(expire_after)
	msg := sprintf(`%s has rotation.expire_after = "%s", which this policy cannot read: write it in days, hours and minutes, such as "%dd".`, [rc.address, expire_after, params.max_lifetime_days])
}

violations contains violation("lifetime", rc.address, msg) if {
	some rc in key_changes
	after(rc, "rotation") == null
	expires_at := after(rc, "expires_at")
	is_string(expires_at)
	lifetime_ns := time.parse_rfc3339_ns(expires_at) - plan_ns
	max_ns := params.max_lifetime_days * day_ns
	lifetime_ns > max_ns
	msg := sprintf(`%s has expires_at = "%s", %d days after this plan (%s), longer than the %d days allowed: set it to "%s" or earlier, or use rotation.`, [
		rc.address, expires_at, ceil(lifetime_ns / day_ns), input.timestamp,
		params.max_lifetime_days, time.format([plan_ns + max_ns, "UTC", "2006-01-02T15:04:05Z07:00"]),
	])
}

violations contains violation("lifetime", rc.address, msg) if {
	some rc in key_changes
	attr := lifetime_unknown(rc)
	msg := sprintf(`%s has %s known only after apply, so its lifetime cannot be checked against the %d days allowed: compute it from values known when planning (such as timeadd(plantimestamp(), "720h") for expires_at), or use rotation with a literal expire_after.`, [rc.address, attr, params.max_lifetime_days])
}

# The value, known only after apply, that the lifetime depends on.
lifetime_unknown(rc) := "rotation" if unknown(rc, "rotation")

lifetime_unknown(rc) := "rotation.expire_after" if rc.change.after_unknown.rotation.expire_after == true

lifetime_unknown(rc) := "expires_at" if {
	after(rc, "rotation") == null
	not unknown(rc, "rotation")
	unknown(rc, "expires_at")
}

duration_units := {"d": day_ns, "h": (60 * 60) * 1000000000, "m": 60 * 1000000000}

# A lifetime as the provider writes it ("90d", "1d12h", "45m"), in
# nanoseconds; undefined for anything else.
duration_ns(s) := ns if {
	regex.match(`^([0-9]+d)?([0-9]+h)?([0-9]+m)?$`, s)
	s != ""
	parts := regex.find_all_string_submatch_n(`([0-9]+)([dhm])`, s, -1)
	ns := sum([n |
		some p in parts
		n := to_number(p[1]) * duration_units[p[2]]
	])
}

## Names follow the convention

violations contains violation("name", rc.address, msg) if {
	some rc in key_changes
	valid_name_pattern
	name := after(rc, "name")
	is_string(name)
	not regex.match(params.name_pattern, name)
	msg := sprintf("%s is named %q, which does not match %s: rename it (a new name replaces the key).", [rc.address, name, params.name_pattern])
}

violations contains violation("name", rc.address, msg) if {
	some rc in key_changes
	unknown(rc, "name")
	msg := sprintf("%s has a name known only after apply, so it cannot be checked against %s: compute it from values known when planning.", [rc.address, params.name_pattern])
}

## revoke_on_destroy = false only with an expiry

violations contains violation("revoke_on_destroy", rc.address, msg) if {
	some rc in key_changes
	not known_expiry(rc)
	msg := sprintf("%s has %s without an expiry known when planning, so a replaced or destroyed key could stay active for good: give it rotation, or an expires_at known when planning, or remove revoke_on_destroy.", [rc.address, revoke_off(rc)])
}

# How revoke_on_destroy may be false, in words, where it may.
revoke_off(rc) := "revoke_on_destroy = false" if after(rc, "revoke_on_destroy") == false

revoke_off(rc) := "revoke_on_destroy known only after apply" if unknown(rc, "revoke_on_destroy")

known_expiry(rc) if is_object(after(rc, "rotation"))

known_expiry(rc) if is_string(after(rc, "expires_at"))

## Actions revoke keys only inside a change window

violations contains violation("change_window", ai.address, msg) if {
	some ai in input.action_invocations
	ai.type == "astral_revoke_api_key"
	not in_change_window(plan_ns)
	msg := sprintf("%s revokes the API key %s in a plan made on %s at %s UTC, outside the change windows (%s): plan and apply it inside a window.", [
		ai.address, object.get(ai, ["config_values", "id"], "(known only after apply)"),
		time.weekday(plan_ns), time.format([plan_ns, "UTC", "15:04"]), windows_text,
	])
}

in_change_window(ns) if {
	some w in params.change_windows
	time.weekday(ns) in w.days
	clock := time.clock(ns)
	minute := (clock[0] * 60) + clock[1]
	minute >= minute_of_day(w.start)
	minute < minute_of_day(w.end)
}

default windows_text := "none is set"

windows_text := concat("; ", [sprintf("%s %s-%s", [concat(", ", w.days), w.start, w.end]) | some w in params.change_windows]) if {
	count(params.change_windows) > 0
}
