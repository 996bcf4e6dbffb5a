package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

var (
	_ list.ListResource              = (*apiKeyListResource)(nil)
	_ list.ListResourceWithConfigure = (*apiKeyListResource)(nil)
)

// apiKeyListResource lists the organization's keys for terraform query
// (Terraform 1.14+), so that keys made in the app can be found, reviewed and
// imported with generated configuration.
type apiKeyListResource struct {
	configured
}

func newAPIKeyListResource() list.ListResource {
	return &apiKeyListResource{}
}

func (l *apiKeyListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (l *apiKeyListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The organization's active API keys (neither revoked nor expired), oldest first, for `terraform query` (Terraform 1.14+), " +
			"with the filters of the `astral_api_keys` data source. Each result has the key's identity (`id`, `organization_id`) and a display name " +
			"with its name, the last four characters of its secret, its expiry and its last use. " +
			"With `include_resource = true`, each result also holds the key as a refresh after an import would record it, with a null `secret`, " +
			"and `terraform query -generate-config-out=FILE` writes, for each key, an `import` and a `resource` block that import it with nothing to change.\n\n" +
			"The listing follows every page of the API (100 keys each), whatever the filters; Terraform stops at the list block's `limit`, 100 results unless set.",
		Attributes: keyFilterListAttributes(),
	}
}

func (l *apiKeyListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.configure(req.ProviderData, &resp.Diagnostics)
}

func (l *apiKeyListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	client, missing := l.data.apiClient()
	if missing != nil {
		stream.Results = list.ListResultsStreamDiagnostics(diag.Diagnostics{missing})
		return
	}
	var config keyFilterModel
	var diags diag.Diagnostics
	diags.Append(req.Config.Get(ctx, &config)...)
	// A listing needs the head coach's key: say exactly why another may not.
	if _, ok := l.data.proveCaller(ctx, &diags); !ok || diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	filter, err := newKeyFilter(config)
	if err != nil {
		// The validator has already refused a bad expression.
		diags.AddError("Invalid name_regex", err.Error())
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}

	stream.Results = func(push func(list.ListResult) bool) {
		var pushed int64
		for key, err := range filter.keys(ctx, client) {
			if err != nil {
				tflog.Warn(ctx, "Listing of API keys failed", map[string]any{"pushed": pushed, "error": err.Error()})
				push(list.ListResult{Diagnostics: diag.Diagnostics{clientErrorDiagnostic("Could not list the API keys", err)}})
				return
			}
			result := req.NewListResult(ctx)
			result.DisplayName = keyDisplayName(key)
			model := importedKeyModel(key)
			result.Diagnostics.Append(setIdentity(ctx, result.Identity, model.apiKeyModel)...)
			if req.IncludeResource {
				result.Diagnostics.Append(result.Resource.Set(ctx, &model)...)
			}
			if !push(result) {
				return
			}
			// Terraform stops reading at its limit: no page beyond it is fetched.
			if pushed++; req.Limit > 0 && pushed >= req.Limit {
				tflog.Debug(ctx, "Listed API keys up to Terraform's limit", map[string]any{"limit": req.Limit})
				return
			}
		}
	}
}

// importedKeyModel is the state that importing key and refreshing it
// records, so that a result's resource, and the configuration generated
// from it, match what the import then plans: every argument the API does
// not hold is null, or its default.
func importedKeyModel(key *astral.APIKey) apiKeyResourceModel {
	m := apiKeyResourceModel{
		apiKeyModel:       apiKeyModel{ExpiresAt: timestampNull()},
		Secret:            types.StringNull(),
		Rotation:          types.ObjectNull(rotationAttrTypes),
		ReadyForRotation:  types.BoolValue(false),
		RotateWhenChanged: types.MapNull(types.StringType),
		RevokeOnDestroy:   types.BoolValue(true),
		IdempotencyKey:    types.StringNull(),
		SecretRecipients:  types.ListNull(types.StringType),
		EncryptedSecret:   types.StringNull(),
	}
	m.setFrom(key)
	return m
}

// keyDisplayName is what terraform query prints for key: enough to tell
// keys with the same name apart and to see which are worth keeping, such as
// "Roster sync script (…x7Qa, expires 2027-02-23, last used 2026-11-30)".
func keyDisplayName(key *astral.APIKey) string {
	expires, used := "never expires", "never used"
	if key.ExpiresAt != nil {
		expires = "expires " + key.ExpiresAt.UTC().Format(time.DateOnly)
	}
	if key.LastUsedAt != nil {
		used = "last used " + key.LastUsedAt.UTC().Format(time.DateOnly)
	}
	return fmt.Sprintf("%s (…%s, %s, %s)", key.Name, key.SecretHint, expires, used)
}
