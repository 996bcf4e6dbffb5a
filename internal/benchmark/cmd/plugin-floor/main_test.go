package main

import (
	"context"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestFloorResources(t *testing.T) {
	p, err := newFloorProvider(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	key := func(attr string, v knownvalue.Check) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("floor_api_key.test", tfjsonpath.New(attr), v)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"floor": providerserver.NewProtocol6WithError(p),
		},
		Steps: []resource.TestStep{{
			Config: `
resource "floor_api_key" "test" {
  name = "bench-0"
}

resource "floor_data" "test" {
  input = "bench-0"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				key("name", knownvalue.StringExact("bench-0")),
				key("id", knownvalue.StringRegexp(regexp.MustCompile(`^key_[0-9A-HJKMNP-TV-Z]{26}$`))),
				key("secret", knownvalue.StringRegexp(regexp.MustCompile(`^astral_live_[A-Za-z0-9]{32}$`))),
				key("secret_hint", knownvalue.StringRegexp(regexp.MustCompile(`^[A-Za-z0-9]{4}$`))),
				key("created_at", knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
				key("created_by", knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":   knownvalue.StringRegexp(regexp.MustCompile(`^mem_[0-9A-HJKMNP-TV-Z]{26}$`)),
					"name": knownvalue.StringExact("Dana Ortiz"),
				})),
				key("expires_at", knownvalue.Null()),
				key("revoke_on_destroy", knownvalue.Bool(true)),
				key("ready_for_rotation", knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("floor_data.test", tfjsonpath.New("output"), knownvalue.StringExact("bench-0")),
				statecheck.ExpectKnownValue("floor_data.test", tfjsonpath.New("id"),
					knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`))),
			},
			// A second plan of the same configuration finds nothing to do,
			// as the benchmark's plan step requires.
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}
