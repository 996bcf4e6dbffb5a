package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
)

// rotate_when_changed: a map of strings whose change, and only change,
// replaces the key, so that rotation can follow an outside schedule.

// replaceUnlessAddedOrRemoved replaces the key when rotate_when_changed
// changes from one map to another: setting it on a key that had none, or
// removing it, adds or drops a trigger, which is no reason to rotate.
func replaceUnlessAddedOrRemoved(_ context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsNull()
}
