package provider

import (
	"context"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

var (
	_ datasource.DataSource              = (*apiKeysDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*apiKeysDataSource)(nil)
)

type apiKeysDataSource struct {
	configured
}

type apiKeysDataSourceModel struct {
	NameRegex     types.String      `tfsdk:"name_regex"`
	ExpiresBefore timestamp         `tfsdk:"expires_before"`
	UnusedSince   timestamp         `tfsdk:"unused_since"`
	Keys          []apiKeyItemModel `tfsdk:"keys"`
}

type apiKeyItemModel struct {
	apiKeyModel
	LastUsedAt timestamp `tfsdk:"last_used_at"`
}

func newAPIKeysDataSource() datasource.DataSource {
	return &apiKeysDataSource{}
}

func (d *apiKeysDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_keys"
}

func (d *apiKeysDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The organization's active API keys (neither revoked nor expired), oldest first, " +
			"optionally filtered for an audit. Never includes a secret.",
		Attributes: map[string]schema.Attribute{
			// Arguments.
			"name_regex": schema.StringAttribute{
				MarkdownDescription: "Only keys whose name matches this regular expression, in " +
					"[RE2 syntax](https://github.com/google/re2/wiki/Syntax). It matches anywhere in the name unless anchored with `^` and `$`.",
				Optional:   true,
				Validators: []validator.String{regexValidator{}},
			},
			"expires_before": schema.StringAttribute{
				MarkdownDescription: "Only keys that expire before this RFC 3339 timestamp, such as `2027-01-01T00:00:00Z`. " +
					"Keys that never expire are left out.",
				Optional:   true,
				CustomType: timestampType{},
			},
			"unused_since": schema.StringAttribute{
				MarkdownDescription: "Only keys never used, or last used before this RFC 3339 timestamp: candidates for revocation. " +
					"The API records a key's last use to the minute.",
				Optional:   true,
				CustomType: timestampType{},
			},

			// Computed.
			"keys": schema.ListNestedAttribute{
				MarkdownDescription: "The keys, oldest first, as the API sorts them.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{
							MarkdownDescription: "The key's identifier, such as `key_01JD3X8Z6W4Q9T2B7N5M1K0C3R`.",
							Computed:            true,
						},
						"organization_id": schema.StringAttribute{
							MarkdownDescription: "The organization the key belongs to: the organization of the provider's `api_key`.",
							Computed:            true,
						},
						"name": schema.StringAttribute{
							MarkdownDescription: "What the key is for, as given when it was created.",
							Computed:            true,
						},
						"secret_hint": schema.StringAttribute{
							MarkdownDescription: "The last four characters of the key's secret.",
							Computed:            true,
						},
						"created_at": schema.StringAttribute{
							MarkdownDescription: "When the key was created, as an RFC 3339 timestamp in UTC.",
							Computed:            true,
							CustomType:          timestampType{},
						},
						"created_by": schema.SingleNestedAttribute{
							MarkdownDescription: "The member of the organization who created the key.",
							Computed:            true,
							Attributes: map[string]schema.Attribute{
								"id": schema.StringAttribute{
									MarkdownDescription: "The member's identifier, such as `mem_01JD3X8Z6W4Q9T2B7N5M1K0C3S`.",
									Computed:            true,
								},
								"name": schema.StringAttribute{
									MarkdownDescription: "The member's name.",
									Computed:            true,
								},
							},
						},
						"expires_at": schema.StringAttribute{
							MarkdownDescription: "When the key expires, as an RFC 3339 timestamp in UTC; null if it never expires.",
							Computed:            true,
							CustomType:          timestampType{},
						},
						"last_used_at": schema.StringAttribute{
							MarkdownDescription: "When the key was last used, to the minute, as an RFC 3339 timestamp in UTC; null if it was never used.",
							Computed:            true,
							CustomType:          timestampType{},
						},
					},
				},
			},
		},
	}
}

func (d *apiKeysDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.configure(req.ProviderData, &resp.Diagnostics)
}

func (d *apiKeysDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	client, missing := d.data.apiClient()
	if missing != nil {
		resp.Diagnostics.Append(missing)
		return
	}
	// A listing needs the head coach's key: say exactly why another may not.
	d.data.proveCaller(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var config apiKeysDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	filter, err := newKeyFilter(config)
	if err != nil {
		// The validator has already refused a bad expression.
		resp.Diagnostics.AddError("Invalid name_regex", err.Error())
		return
	}

	config.Keys = []apiKeyItemModel{}
	for key, err := range client.APIKeys.All(ctx) {
		if err != nil {
			resp.Diagnostics.Append(clientErrorDiagnostic("Could not list the API keys", err))
			return
		}
		if !filter.match(key) {
			continue
		}
		var item apiKeyItemModel
		item.setFrom(key)
		item.LastUsedAt = rfc3339(key.LastUsedAt)
		config.Keys = append(config.Keys, item)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

// keyFilter holds the data source's filters; a nil field does not filter.
type keyFilter struct {
	name          *regexp.Regexp
	expiresBefore *time.Time
	unusedSince   *time.Time
}

func newKeyFilter(config apiKeysDataSourceModel) (keyFilter, error) {
	var f keyFilter
	if !config.NameRegex.IsNull() {
		re, err := regexp.Compile(config.NameRegex.ValueString())
		if err != nil {
			return f, err
		}
		f.name = re
	}
	if t, ok := parseTime(config.ExpiresBefore.StringValue); ok {
		f.expiresBefore = &t
	}
	if t, ok := parseTime(config.UnusedSince.StringValue); ok {
		f.unusedSince = &t
	}
	return f, nil
}

func (f keyFilter) match(key *astral.APIKey) bool {
	if f.name != nil && !f.name.MatchString(key.Name) {
		return false
	}
	if f.expiresBefore != nil && (key.ExpiresAt == nil || !key.ExpiresAt.Before(*f.expiresBefore)) {
		return false
	}
	if f.unusedSince != nil && key.LastUsedAt != nil && !key.LastUsedAt.Before(*f.unusedSince) {
		return false
	}
	return true
}
