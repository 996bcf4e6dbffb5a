package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// Everything astral_api_key decides about rotation: its policy, when a key
// is due, the expiry of a new key, and the plan and refresh of
// ready_for_rotation. Beside it: duration.go reads durations such as "90d",
// rotate_when_changed.go rotates on an outside schedule, and
// revoke_on_destroy.go leaves a replaced key to expire on its own.

type rotationModel struct {
	ExpireAfter  types.String `tfsdk:"expire_after"`
	RotateBefore types.String `tfsdk:"rotate_before"`
}

var rotationAttrTypes = map[string]attr.Type{
	"expire_after":  types.StringType,
	"rotate_before": types.StringType,
}

// rotationPolicy is a rotation whose durations are known and valid.
type rotationPolicy struct {
	expireAfter, rotateBefore time.Duration
}

// rotationPolicyOf reads the rotation argument; ok is false when it is
// null, not known yet or invalid (its validators say why).
func rotationPolicyOf(ctx context.Context, rotation types.Object) (policy rotationPolicy, ok bool) {
	if rotation.IsNull() || rotation.IsUnknown() {
		return rotationPolicy{}, false
	}
	var m rotationModel
	if diags := rotation.As(ctx, &m, basetypes.ObjectAsOptions{}); diags.HasError() || m.ExpireAfter.IsUnknown() || m.RotateBefore.IsUnknown() {
		return rotationPolicy{}, false
	}
	expireAfter, err := parseLifetime(m.ExpireAfter.ValueString())
	if err != nil {
		return rotationPolicy{}, false
	}
	rotateBefore, err := parseLifetime(m.RotateBefore.ValueString())
	if err != nil {
		return rotationPolicy{}, false
	}
	return rotationPolicy{expireAfter: expireAfter, rotateBefore: rotateBefore}, true
}

// keyLife is what rotation needs to know of an existing key.
type keyLife struct {
	createdAt, expiresAt timestamp
	// dueByAPI: the API says the key expired, or the refresh found it due,
	// whatever this machine's clock says.
	dueByAPI bool
}

// due reports whether key is inside its rotation window at now, or is
// known to be due otherwise. A key without an expiry (imported, or created
// before rotation was set) counts as expiring expire_after after its
// creation, so that it is rotated too.
func (p rotationPolicy) due(key keyLife, now time.Time) bool {
	if key.dueByAPI {
		return true
	}
	expiry, ok := parseTime(key.expiresAt.StringValue)
	if !ok {
		created, ok := parseTime(key.createdAt.StringValue)
		if !ok {
			return false
		}
		expiry = created.Add(p.expireAfter)
	}
	return !now.Before(expiry.Add(-p.rotateBefore))
}

// validateRotationWindow refuses a rotate_before that is not shorter than
// expire_after: a new key would be due as soon as it is created.
func validateRotationWindow(ctx context.Context, rotation types.Object, diags *diag.Diagnostics) {
	policy, ok := rotationPolicyOf(ctx, rotation)
	if !ok || policy.rotateBefore < policy.expireAfter {
		return
	}
	diags.AddAttributeError(path.Root("rotation").AtName("rotate_before"), "Rotation window too long",
		fmt.Sprintf("rotation.rotate_before (%s) must be shorter than rotation.expire_after (%s): a new key would be due for rotation as soon as it is created. "+
			"Shorten rotate_before or lengthen expire_after.", formatDuration(policy.rotateBefore), formatDuration(policy.expireAfter)))
}

// rotationExpiry is the expiry that rotation gives a key created at now, or
// nil without rotation.
func rotationExpiry(ctx context.Context, rotation types.Object, now time.Time, diags *diag.Diagnostics) *time.Time {
	if rotation.IsNull() {
		return nil
	}
	policy, ok := rotationPolicyOf(ctx, rotation)
	if !ok {
		diags.AddAttributeError(path.Root("rotation"), "Invalid rotation",
			"The rotation's durations must be known when the key is created, as whole numbers of days, hours and minutes such as \"90d\".")
		return nil
	}
	return new(expiryAfter(now, policy.expireAfter))
}

// planRotation replaces an existing key that is due. A new key is never
// due (validateRotationWindow).
func planRotation(ctx context.Context, resp *resource.ModifyPlanResponse) {
	// Unknown differs from both values the state can hold (a refresh sets
	// true when due), so Terraform always honours the replacement; the
	// planned new key then shows false.
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ready_for_rotation"), types.BoolUnknown())...)
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("ready_for_rotation"))
}

// readyForRotation is ready_for_rotation of key under rotation at now. A
// refresh records it with the rotation last applied, and the plan, with the
// planned one, replaces a key it makes due (planRotation).
func readyForRotation(ctx context.Context, rotation types.Object, key keyLife, now time.Time) types.Bool {
	policy, ok := rotationPolicyOf(ctx, rotation)
	return types.BoolValue(ok && policy.due(key, now))
}
