// Package provider implements the Astral Terraform provider.
package provider

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/runwatch"
)

var (
	_ provider.Provider                       = (*astralProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*astralProvider)(nil)
	_ provider.ProviderWithFunctions          = (*astralProvider)(nil)
	_ provider.ProviderWithListResources      = (*astralProvider)(nil)
	_ provider.ProviderWithActions            = (*astralProvider)(nil)
)

// Environment variables read when the configuration leaves an argument out.
const (
	envEndpoint = "ASTRAL_ENDPOINT"
	envAPIKey   = "ASTRAL_API_KEY" //nolint:gosec // the variable's name, not a credential
)

type astralProvider struct {
	version string
	// tuneClient, when set, adjusts the client's configuration: acceptance
	// tests shorten the client's waits between retries with it, so that a
	// fault costs them no more than it proves. Users' providers have none.
	tuneClient func(*astral.Config)
}

type providerModel struct {
	Endpoint       types.String `tfsdk:"endpoint"`
	APIKey         types.String `tfsdk:"api_key"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
	RateLimitWait  types.String `tfsdk:"rate_limit_wait"`
}

// New returns a constructor of the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &astralProvider{version: version}
	}
}

func (p *astralProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "astral"
	resp.Version = p.version
}

func (p *astralProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the API keys of an Astral organization. " +
			"The provider authenticates with an API key of the organization's head coach; " +
			"API keys need the Coach plan or above.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Astral API, without `/v1`. " +
					"Defaults to the `" + envEndpoint + "` environment variable, then to `" + astral.DefaultEndpoint + "`; " +
					"an empty string is an error, so leave it out (or null) for these defaults. " +
					"Must use `https`, except on a loopback address (`localhost`, `127.0.0.0/8`, `::1`), " +
					"so that the API key never crosses a network in clear text.",
				Optional: true,
				Validators: []validator.String{
					notEmptyValidator{summary: "Empty Astral endpoint", env: envEndpoint, fallback: astral.DefaultEndpoint},
				},
			},
			"api_key": schema.StringAttribute{
				MarkdownDescription: "Secret of an API key created by the organization's head coach " +
					"(`astral_live_` followed by 32 letters or digits). " +
					"Defaults to the `" + envAPIKey + "` environment variable; one of the two is required. " +
					"An empty string is an error: leave it out (or null) to use the variable. " +
					"Its format is checked before any request, and it is never printed.",
				Optional:  true,
				Sensitive: true,
				// Unlike the errors of a malformed key (see clientConfig), this
				// one has the attribute's path: an empty string is no secret.
				Validators: []validator.String{
					notEmptyValidator{summary: "Empty Astral API key", env: envAPIKey},
				},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a request is retried after a connection failure, " +
					"a server error (`500`, `502`, `503`, `504`) or a rate limit (`429`) that does not say how long to wait. " +
					"A `429` with `Retry-After` is waited out, within `rate_limit_wait`, and is not counted. " +
					"Between 0 and 10; defaults to " + strconv.Itoa(astral.DefaultMaxRetries) + ". Other errors are never retried, and a retried create never makes a second key.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 10)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "How long one attempt of a request may take, above zero; defaults to `" + formatDuration(astral.DefaultRequestTimeout) + "`. " +
					timeoutDuration.syntax(),
				Optional:   true,
				Validators: []validator.String{durationValidator{timeoutDuration}},
			},
			"rate_limit_wait": schema.StringAttribute{
				MarkdownDescription: "How long one request may wait, in all, for the API's rate limit, such as `5m` or `90s`. " +
					"The provider paces its requests to the limit the API announces and waits out each `429` that says how long to wait; " +
					"those waits do not count against `max_retries`. A request that would wait longer fails. " +
					"Above zero; defaults to `" + formatDuration(astral.DefaultMaxRateLimitWait) + "`. " + timeoutDuration.syntax(),
				Optional:   true,
				Validators: []validator.String{durationValidator{timeoutDuration}},
			},
		},
	}
}

func (p *astralProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if unknown := unknownArguments(config); len(unknown) > 0 {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
			return
		}
		// Without a client, resources keep their prior state and every
		// call that needs the API reports the cause (see providerData.apiClient).
		resp.Diagnostics.AddWarning(
			"Provider configuration not known until apply",
			"The provider arguments "+strings.Join(unknown, ", ")+" are known only after apply, "+
				"so this plan cannot refresh Astral resources or read Astral data sources. "+
				"Apply the resources the provider configuration depends on first (for example with -target).",
		)
		data := &providerData{machineNow: time.Now, terraformVersion: req.TerraformVersion}
		resp.ResourceData, resp.DataSourceData, resp.EphemeralResourceData = data, data, data
		resp.ListResourceData, resp.ActionData = data, data
		return
	}

	cfg := clientConfig(config, p.version, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if p.tuneClient != nil {
		p.tuneClient(&cfg)
	}
	client, err := astral.NewClient(cfg)
	if err != nil {
		// The key and the numbers are already checked: what is left is the endpoint's URL.
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Invalid Astral endpoint",
			"The endpoint is not usable: "+validationReason(err)+". "+
				"Set endpoint (or "+envEndpoint+") to the API's base URL, such as "+astral.DefaultEndpoint+".")
		return
	}
	data := &providerData{client: client, machineNow: time.Now, terraformVersion: req.TerraformVersion}
	if watch := runwatch.From(ctx); watch != nil {
		watch.OnGone(data.undoRun)
	}
	resp.ResourceData, resp.DataSourceData, resp.EphemeralResourceData = data, data, data
	resp.ListResourceData, resp.ActionData = data, data
}

func unknownArguments(config providerModel) []string {
	var unknown []string
	for name, v := range map[string]interface{ IsUnknown() bool }{
		"endpoint":        config.Endpoint,
		"api_key":         config.APIKey,
		"max_retries":     config.MaxRetries,
		"request_timeout": config.RequestTimeout,
		"rate_limit_wait": config.RateLimitWait,
	} {
		if v.IsUnknown() {
			unknown = append(unknown, name)
		}
	}
	// Map order is random; a warning must read the same on every run.
	slices.Sort(unknown)
	return unknown
}

// clientConfig resolves the configuration (arguments win over the
// environment) into the client's, adding an error for each bad value.
func clientConfig(config providerModel, version string, diags *diag.Diagnostics) astral.Config {
	cfg := astral.Config{
		Endpoint:       stringOrEnv(config.Endpoint, envEndpoint, astral.DefaultEndpoint),
		APIKey:         stringOrEnv(config.APIKey, envAPIKey, ""),
		UserAgent:      "terraform-provider-astral/" + version,
		MaxRetries:     new(astral.DefaultMaxRetries),
		RequestTimeout: astral.DefaultRequestTimeout,
		Logger:         tflogLogger{},
	}

	if problem := endpointWithoutScheme(cfg.Endpoint); problem != "" {
		diags.AddAttributeError(path.Root("endpoint"), "Invalid Astral endpoint",
			problem+" An endpoint is the API's base URL with its scheme: "+astral.DefaultEndpoint+
				", or http://localhost:8080 for a sandbox on this machine. "+
				"The endpoint comes from the endpoint argument or the "+envEndpoint+" environment variable.")
	}
	if host, ok := plainHTTPHost(cfg.Endpoint); ok {
		diags.AddAttributeError(path.Root("endpoint"), "Insecure Astral endpoint",
			"The endpoint uses http on "+host+", which is not a loopback address, so the API key would cross the network in clear text. "+
				"Use https (such as "+astral.DefaultEndpoint+"); only localhost, 127.0.0.0/8 and ::1 may use http. "+
				"The endpoint comes from the endpoint argument or the "+envEndpoint+" environment variable.")
	}

	// These errors carry no attribute path: Terraform would print the
	// configuration's line, and with it a secret written there.
	switch err := astral.ValidateSecret(cfg.APIKey); {
	case cfg.APIKey == "":
		diags.AddError("Missing Astral API key",
			"The provider needs an API key of the organization's head coach. "+
				"Set the api_key argument in the provider block (for example from a sensitive variable) "+
				"or the "+envAPIKey+" environment variable. "+
				"Create a key in the Astral app under Settings → Security.")
	case astral.ValidateKeyID(cfg.APIKey) == nil:
		// An ID is no secret, and this one has exactly the form of an ID.
		diags.AddError("Astral API key ID instead of its secret",
			"The API key set by "+apiKeySource(config)+" is "+cfg.APIKey+", the ID of a key, not its secret. "+
				"The provider authenticates with the key's secret: astral_live_ followed by 32 letters or digits. "+
				"A secret is shown once, when its key is created: on the Astral app's Settings → Security page right after the create, "+
				"or in the secret attribute of the astral_api_key that created it. "+
				"Set api_key (or "+envAPIKey+") to that secret; if nobody kept it, have the head coach create a new key there and revoke this one.")
	case err != nil:
		// The error describes the format without quoting the value.
		diags.AddError("Malformed Astral API key",
			"The API key set by "+apiKeySource(config)+" is not an Astral API key secret: "+
				validationReason(err)+". "+
				"Copy the secret shown when the key was created (astral_live_ followed by 32 letters or digits).")
	}

	if !config.MaxRetries.IsNull() {
		cfg.MaxRetries = new(int(config.MaxRetries.ValueInt64()))
	}
	// The attributes' validators have already accepted the values.
	if !config.RequestTimeout.IsNull() {
		cfg.RequestTimeout, _ = timeoutDuration.parse(config.RequestTimeout.ValueString())
	}
	if !config.RateLimitWait.IsNull() {
		cfg.MaxRateLimitWait, _ = timeoutDuration.parse(config.RateLimitWait.ValueString())
	}
	return cfg
}

func stringOrEnv(v types.String, env, fallback string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	if s := os.Getenv(env); s != "" {
		return s
	}
	return fallback
}

func apiKeySource(config providerModel) string {
	if config.APIKey.IsNull() {
		return "the " + envAPIKey + " environment variable"
	}
	return "the api_key argument"
}

// plainHTTPHost returns the host of an http endpoint that is not a loopback
// address, where the sandbox runs: the API key must never cross a network in
// clear text. The client checks the rest of the URL.
func plainHTTPHost(endpoint string) (string, bool) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" || isLoopback(u.Hostname()) {
		return "", false
	}
	return u.Hostname(), true
}

// endpointWithoutScheme says what is wrong with an endpoint written
// without its scheme ("api.astral.app", "localhost:8080"), with the URL it
// probably means; empty for one with a scheme. Go's URL parser takes such
// a value for a path, or fails on its port with words about path segments.
func endpointWithoutScheme(endpoint string) string {
	lower := strings.ToLower(endpoint)
	// "https:/host" has a scheme, mistyped: the client says what is wrong.
	if endpoint == "" || strings.Contains(endpoint, "://") || strings.HasPrefix(lower, "http:") || strings.HasPrefix(lower, "https:") {
		return ""
	}
	u, err := url.Parse("https://" + endpoint)
	// A value that does not make a URL even with a scheme, or that holds
	// credentials, is not repeated.
	if err != nil || u.Host == "" || u.User != nil {
		return "The endpoint has no scheme (https://)."
	}
	if isLoopback(u.Hostname()) {
		u.Scheme = "http"
	}
	return fmt.Sprintf("The endpoint %q has no scheme: write %q.", endpoint, u.String())
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (p *astralProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newAPIKeyResource,
	}
}

func (p *astralProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newAPIKeysDataSource,
	}
}

func (p *astralProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		newEphemeralAPIKey,
	}
}

func (p *astralProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		newDecryptSecretFunction,
	}
}

func (p *astralProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		newAPIKeyListResource,
	}
}

func (p *astralProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		newRevokeAPIKeyAction,
	}
}
