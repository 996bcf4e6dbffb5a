package provider

import (
	"context"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ datasource.DataSource              = (*apiKeysDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*apiKeysDataSource)(nil)
)

type apiKeysDataSource struct {
	configured
}

type apiKeysDataSourceModel struct {
	keyFilterModel
	Keys []apiKeyItemModel `tfsdk:"keys"`
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
	// The arguments are the filters that the list resource shares.
	maps.Copy(resp.Schema.Attributes, keyFilterDataSourceAttributes())
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
	if _, ok := d.data.proveCaller(ctx, &resp.Diagnostics); !ok {
		return
	}
	var config apiKeysDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	filter, err := newKeyFilter(config.keyFilterModel)
	if err != nil {
		// The validator has already refused a bad expression.
		resp.Diagnostics.AddError("Invalid name_regex", err.Error())
		return
	}

	config.Keys = []apiKeyItemModel{}
	for key, err := range filter.keys(ctx, client) {
		if err != nil {
			d.data.addReadError(ctx, &resp.Diagnostics, "Could not list the API keys", err)
			return
		}
		var item apiKeyItemModel
		item.setFrom(key)
		item.LastUsedAt = rfc3339(key.LastUsedAt)
		config.Keys = append(config.Keys, item)
	}
	tflog.Debug(ctx, "Listed API keys", map[string]any{"matched": len(config.Keys)})
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}
