package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// Adding or removing rotate_when_changed changes the key in place; only a
// change from one map to another replaces it.
func TestAccAPIKey_rotateWhenChangedAddedAndRemoved(t *testing.T) {
	env := newTestAccEnv(t)
	ids := statecheck.CompareValue(compare.ValuesSame())
	config := func(extra string) string {
		return env.Config(`
resource "astral_api_key" "test" {
  name = "` + testKeyPrefix + `rotate when changed"
` + extra + `}
`)
	}
	inPlace := func(hcl string, want knownvalue.Check) resource.TestStep {
		return resource.TestStep{
			Config: hcl,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				ids.AddStateValue(testKeyAddr, at("id")),
				statecheck.ExpectKnownValue(testKeyAddr, at("rotate_when_changed"), want),
			},
		}
	}
	resource.ParallelTest(t, env.TestCase(t,
		resource.TestStep{
			Config:            config(""),
			ConfigStateChecks: []statecheck.StateCheck{ids.AddStateValue(testKeyAddr, at("id"))},
		},
		inPlace(config(`  rotate_when_changed = { schedule = "2027-W01" }`+"\n"),
			knownvalue.MapExact(map[string]knownvalue.Check{"schedule": knownvalue.StringExact("2027-W01")})),
		inPlace(config(""), knownvalue.Null()),
		// Removed and then set again: still the same key.
		inPlace(config(`  rotate_when_changed = { schedule = "2027-W02" }`+"\n"),
			knownvalue.MapExact(map[string]knownvalue.Check{"schedule": knownvalue.StringExact("2027-W02")})),
		resource.TestStep{
			Config: config(`  rotate_when_changed = { schedule = "2027-W03" }` + "\n"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(testKeyAddr, plancheck.ResourceActionDestroyBeforeCreate),
			}},
		},
	))
}

func TestReplaceUnlessAddedOrRemoved(t *testing.T) {
	m := func(v string) types.Map {
		return types.MapValueMust(types.StringType, map[string]attr.Value{"schedule": types.StringValue(v)})
	}
	null := types.MapNull(types.StringType)
	tests := []struct {
		name        string
		state, plan types.Map
		want        bool
	}{
		{"added", null, m("a"), false},
		{"removed", m("a"), null, false},
		{"changed", m("a"), m("b"), true},
		{"unknown", m("a"), types.MapUnknown(types.StringType), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp mapplanmodifier.RequiresReplaceIfFuncResponse
			replaceUnlessAddedOrRemoved(context.Background(), planmodifier.MapRequest{StateValue: tt.state, PlanValue: tt.plan}, &resp)
			if resp.RequiresReplace != tt.want {
				t.Errorf("RequiresReplace = %v, want %v", resp.RequiresReplace, tt.want)
			}
		})
	}
}
