package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ planmodifier.String = sameInstantAsState{}

// sameInstantAsState plans the state's timestamp when the configuration
// names the same instant with another spelling (Z or +00:00, another
// offset), so that the spelling alone never replaces a key. A null
// configuration plans null, unless rotation computes the expiry: then an
// existing key keeps its own and a new key's is known after apply.
type sameInstantAsState struct{}

func (sameInstantAsState) Description(context.Context) string {
	return "keeps the state's timestamp when the configuration names the same instant"
}

func (m sameInstantAsState) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (sameInstantAsState) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.ConfigValue.IsNull() {
		var rotation types.Object
		if !req.Config.Raw.IsNull() {
			resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("rotation"), &rotation)...)
		}
		switch {
		case rotation.IsNull():
			resp.PlanValue = types.StringNull()
		case !req.State.Raw.IsNull():
			// rotation computes the expiry of a new key only: an existing key keeps its own.
			resp.PlanValue = req.StateValue
		}
		return
	}
	if state, ok := parseTime(req.StateValue); ok && sameInstant(req.ConfigValue, &state) {
		resp.PlanValue = req.StateValue
	}
}

// replaceUnlessAddedOrRemoved replaces the key when rotate_when_changed
// changes from one map to another: setting it on a key that had none, or
// removing it, adds or drops a trigger, which is no reason to rotate.
func replaceUnlessAddedOrRemoved(_ context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull() && !req.PlanValue.IsNull()
}
