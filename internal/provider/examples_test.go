package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/zclconf/go-cty/cty"
)

// examplesDir holds the configurations the documentation shows.
const examplesDir = "../../examples"

// exampleVariables are the values TestAccExamples gives to the variables
// examples declare without a default.
func exampleVariables(env *testAccEnv) map[string]string {
	return map[string]string{"astral_api_key": env.HeadCoachKey}
}

// TestAccExamples applies every example that needs no provider but this one
// (and Terraform's built-in one), and no feature the CLI lacks, to the
// sandbox, checks that a second plan is empty, and destroys it, so that no
// example can go stale. An example with import blocks is applied twice:
// without them, and with them importing keys created outside Terraform that
// match its configuration.
//
// The examples configure the provider the way users do, through
// ASTRAL_ENDPOINT and ASTRAL_API_KEY, so the subtests cannot run in parallel.
func TestAccExamples(t *testing.T) {
	examples, err := loadExamples(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) == 0 {
		t.Fatalf("no examples under %s", examplesDir)
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			if others := ex.otherProviders(); len(others) > 0 {
				t.Skipf("needs providers %s", strings.Join(others, ", "))
			}
			for _, f := range ex.features {
				skipUnlessCLI(t, f)
			}
			t.Run("apply", func(t *testing.T) { testExampleApply(t, ex) })
			if len(ex.imports) > 0 {
				t.Run("import", func(t *testing.T) { testExampleImport(t, ex) })
			}
		})
	}
}

// testExampleApply applies the example, which must then plan no change, and,
// when it has .tfquery.hcl files, runs them with terraform query on what it
// applied: they must list keys. The sandbox's organization has its members'
// keys, which a filter may leave out, but not all.
func testExampleApply(t *testing.T, ex *example) {
	env := newExampleEnv(t)
	tc := exampleTestCase(t, env, resource.TestStep{
		ConfigDirectory: config.StaticDirectory(ex.workDir(t, nil)),
		ConfigVariables: ex.variableValues(t, env),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
	})
	if len(ex.lists) > 0 {
		tc.Steps = append(tc.Steps, resource.TestStep{
			ProtoV6ProviderFactories: tc.Steps[0].ProtoV6ProviderFactories,
			Query:                    true,
			Config:                   ex.query,
			QueryResultChecks:        []querycheck.QueryResultCheck{listsSome{}},
		})
	}
	resource.Test(t, tc)
}

// listsSome is a query check that the list blocks found a key at all.
type listsSome struct{}

func (listsSome) CheckQuery(_ context.Context, req querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	if len(req.Query) == 0 {
		resp.Error = errors.New("the query listed no key")
	}
}

// testExampleImport creates, outside Terraform, a key for each import block
// with the name and expiry of the resource it imports into, then applies the
// example with the block pointing at that key: the plan must import it
// without change.
func testExampleImport(t *testing.T, ex *example) {
	env := newExampleEnv(t)
	ids := make(map[string]string, len(ex.imports))
	var planChecks []plancheck.PlanCheck
	var stateChecks []statecheck.StateCheck
	for _, addr := range ex.imports {
		name, expiresAt, err := ex.keyArguments(addr)
		if err != nil {
			t.Fatalf("%s: %v", ex.name, err)
		}
		key := env.CreateKey(t, name, expiresAt)
		ids[addr] = key.ID
		planChecks = append(planChecks, plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop))
		stateChecks = append(stateChecks,
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(key.ID)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("secret"), knownvalue.Null()),
		)
	}
	dir := ex.workDir(t, ids)
	resource.Test(t, exampleTestCase(t, env, resource.TestStep{
		ConfigDirectory: config.StaticDirectory(dir),
		ConfigVariables: ex.variableValues(t, env),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply:             planChecks,
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		ConfigStateChecks: stateChecks,
	}))
}

// exampleTestCase is env's test case of one step, with the provider served
// to the step: an example may have a provider block of its own, which
// terraform-plugin-testing accepts only when the step names the providers.
func exampleTestCase(t *testing.T, env *testAccEnv, step resource.TestStep) resource.TestCase {
	tc := env.TestCase(t, step)
	tc.Steps[0].ProtoV6ProviderFactories, tc.ProtoV6ProviderFactories = tc.ProtoV6ProviderFactories, nil
	return tc
}

// newExampleEnv starts a sandbox of the test's own and points the provider
// at it through the environment, as the examples expect.
func newExampleEnv(t *testing.T) *testAccEnv {
	env := newTestAccEnv(t)
	t.Setenv(envEndpoint, env.URL)
	t.Setenv(envAPIKey, env.HeadCoachKey)
	// The examples require the provider by its registry address, astral/astral.
	t.Setenv(resource.EnvTfAccProviderNamespace, "astral")
	return env
}

// example is one directory of examples/, as Terraform loads it.
type example struct {
	name string // relative to examples/
	dir  string
	// files are the .tf files of the directory, by base name.
	files map[string][]byte
	// importFiles are the files that hold import blocks.
	importFiles map[string]bool
	// imports are the addresses that import blocks import into.
	imports []string
	// providers are the local names of the providers it uses.
	providers map[string]bool
	// requiresAstral says whether it declares the provider's source itself.
	requiresAstral bool
	// resources are its resource blocks, by address.
	resources map[string]*hclsyntax.Block
	// variables are the variables it declares without a default.
	variables []string
	// features are the cliFeatures its blocks need.
	features []string
	// query is its .tfquery.hcl files, which only terraform query reads,
	// and lists the addresses of their list blocks.
	query string
	lists []string
}

// queryFileSuffix ends the files of list blocks, for terraform query.
const queryFileSuffix = ".tfquery.hcl"

// builtinProvider is Terraform's own provider (terraform_data), which needs
// no installation.
const builtinProvider = "terraform"

func loadExamples(root string) ([]*example, error) {
	byDir := map[string]*example{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".tf" && !strings.HasSuffix(path, queryFileSuffix)) {
			return err
		}
		dir := filepath.Dir(path)
		ex := byDir[dir]
		if ex == nil {
			name, err := filepath.Rel(root, dir)
			if err != nil {
				return err
			}
			ex = &example{
				name:        filepath.ToSlash(name),
				dir:         dir,
				files:       map[string][]byte{},
				importFiles: map[string]bool{},
				providers:   map[string]bool{},
				resources:   map[string]*hclsyntax.Block{},
			}
			byDir[dir] = ex
		}
		return ex.addFile(path)
	})
	if err != nil {
		return nil, err
	}
	examples := slices.Collect(maps.Values(byDir))
	slices.SortFunc(examples, func(a, b *example) int { return strings.Compare(a.name, b.name) })
	return examples, nil
}

func (ex *example) addFile(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	body, diags := parseHCL(src, path)
	if diags.HasErrors() {
		return diags
	}
	ex.features = append(ex.features, configFeatures(body)...)
	if strings.HasSuffix(path, queryFileSuffix) {
		ex.query += string(src)
		for _, block := range body.Blocks {
			if block.Type == "list" {
				ex.lists = append(ex.lists, block.Labels[0]+"."+block.Labels[1])
			}
		}
		return nil
	}
	base := filepath.Base(path)
	ex.files[base] = src
	for _, block := range body.Blocks {
		switch block.Type {
		case "terraform":
			for _, inner := range block.Body.Blocks {
				if inner.Type != "required_providers" {
					continue
				}
				for name := range inner.Body.Attributes {
					ex.providers[name] = true
					ex.requiresAstral = ex.requiresAstral || name == "astral"
				}
			}
		case "provider":
			ex.providers[block.Labels[0]] = true
		case "resource", "data", "ephemeral":
			// Terraform takes a type's provider from the prefix of its name.
			typ := block.Labels[0]
			ex.providers[strings.SplitN(typ, "_", 2)[0]] = true
			if block.Type == "resource" {
				ex.resources[typ+"."+block.Labels[1]] = block
			}
		case "module":
			// A module may use any provider: treat it as one not served here.
			ex.providers["module."+block.Labels[0]] = true
		case "variable":
			if _, ok := block.Body.Attributes["default"]; !ok {
				ex.variables = append(ex.variables, block.Labels[0])
			}
		case "import":
			to, ok := block.Body.Attributes["to"]
			if !ok {
				return fmt.Errorf("%s: import block without to", path)
			}
			traversal, diags := hcl.AbsTraversalForExpr(to.Expr)
			if diags.HasErrors() {
				return diags
			}
			ex.imports = append(ex.imports, string(hclwrite.TokensForTraversal(traversal).Bytes()))
			ex.importFiles[base] = true
		}
	}
	return nil
}

// otherProviders are the providers the example uses that this test cannot
// serve.
func (ex *example) otherProviders() []string {
	var others []string
	for name := range ex.providers {
		if name != "astral" && name != builtinProvider {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	return others
}

// workDir writes the configuration to apply into a directory of its own.
// With importIDs nil, it leaves out the files that hold import blocks;
// otherwise it keeps them, each import block's id set from importIDs by the
// address it imports into.
func (ex *example) workDir(t *testing.T, importIDs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for base, src := range ex.files {
		if ex.importFiles[base] {
			if importIDs == nil {
				continue
			}
			var err error
			if src, err = setImportIDs(src, base, importIDs); err != nil {
				t.Fatalf("%s/%s: %v", ex.name, base, err)
			}
		}
		writeFile(t, filepath.Join(dir, base), src)
	}
	if !ex.requiresAstral {
		// Like the documentation's snippets, the example leaves the provider's
		// source to the root module it is pasted into.
		writeFile(t, filepath.Join(dir, "required_providers.tf"), []byte(`terraform {
  required_providers {
    astral = {
      source = "astral/astral"
    }
  }
}
`))
	}
	return dir
}

func setImportIDs(src []byte, filename string, ids map[string]string) ([]byte, error) {
	file, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	for _, block := range file.Body().Blocks() {
		if block.Type() != "import" {
			continue
		}
		to := strings.TrimSpace(string(block.Body().GetAttribute("to").Expr().BuildTokens(nil).Bytes()))
		id, ok := ids[to]
		if !ok {
			return nil, fmt.Errorf("no key to import into %s", to)
		}
		block.Body().SetAttributeValue("id", cty.StringVal(id))
	}
	return file.Bytes(), nil
}

func writeFile(t *testing.T, path string, src []byte) {
	t.Helper()
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
}

// keyArguments are the name and expiry that the configuration gives the
// astral_api_key at addr, so that a key created with them imports without
// change. They must be literals.
func (ex *example) keyArguments(addr string) (string, *time.Time, error) {
	block, ok := ex.resources[addr]
	if !ok || block.Labels[0] != "astral_api_key" {
		return "", nil, fmt.Errorf("an import block imports into %s, which is not an astral_api_key of the example", addr)
	}
	literal := func(attr string) (cty.Value, error) {
		a, ok := block.Body.Attributes[attr]
		if !ok {
			return cty.NullVal(cty.String), nil
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || v.Type() != cty.String {
			return cty.NilVal, fmt.Errorf("%s.%s must be a literal string for the import test", addr, attr)
		}
		return v, nil
	}
	name, err := literal("name")
	if err != nil {
		return "", nil, err
	}
	if name.IsNull() {
		return "", nil, fmt.Errorf("%s has no name", addr)
	}
	expires, err := literal("expires_at")
	if err != nil || expires.IsNull() {
		return name.AsString(), nil, err
	}
	expiresAt, err := time.Parse(time.RFC3339, expires.AsString())
	if err != nil {
		return "", nil, fmt.Errorf("%s.expires_at: %w", addr, err)
	}
	return name.AsString(), &expiresAt, nil
}

// variableValues gives a value to each variable the example declares without
// a default.
func (ex *example) variableValues(t *testing.T, env *testAccEnv) config.Variables {
	t.Helper()
	known := exampleVariables(env)
	vars := config.Variables{}
	for _, name := range ex.variables {
		value, ok := known[name]
		if !ok {
			t.Fatalf("%s: variable %q has no default; give it a value in exampleVariables", ex.name, name)
		}
		vars[name] = config.StringVariable(value)
	}
	return vars
}
