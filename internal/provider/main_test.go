package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestMain prepares what every test of the package shares, before any of
// them runs and not at package load: the CLI of the acceptance tests and
// its configuration (cli_test.go), and the sweeper of -sweep
// (sweeper_test.go).
func TestMain(m *testing.M) {
	acceptanceCLI, acceptanceCLIErr = setUpAcceptanceCLI()
	addSweeper()
	resource.TestMain(m)
}
