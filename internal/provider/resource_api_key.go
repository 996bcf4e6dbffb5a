package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
	"github.com/astral/terraform-provider-astral/internal/runwatch"
)

var (
	_ resource.Resource                   = (*apiKeyResource)(nil)
	_ resource.ResourceWithConfigure      = (*apiKeyResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*apiKeyResource)(nil)
	_ resource.ResourceWithImportState    = (*apiKeyResource)(nil)
	_ resource.ResourceWithValidateConfig = (*apiKeyResource)(nil)
	_ resource.ResourceWithIdentity       = (*apiKeyResource)(nil)
)

type apiKeyResource struct {
	configured
}

type apiKeyResourceModel struct {
	apiKeyModel
	Secret            types.String `tfsdk:"secret"`
	Rotation          types.Object `tfsdk:"rotation"`
	ReadyForRotation  types.Bool   `tfsdk:"ready_for_rotation"`
	RotateWhenChanged types.Map    `tfsdk:"rotate_when_changed"`
	RevokeOnDestroy   types.Bool   `tfsdk:"revoke_on_destroy"`
	IdempotencyKey    types.String `tfsdk:"idempotency_key"`
	SecretRecipients  types.List   `tfsdk:"secret_recipients"`
	EncryptedSecret   types.String `tfsdk:"encrypted_secret"`
}

func newAPIKeyResource() resource.Resource {
	return &apiKeyResource{}
}

func (r *apiKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (r *apiKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An API key of the organization. The API cannot change a key, so a change to `name` or `expires_at` " +
			"replaces the key: Terraform creates a new key (with a new secret) and revokes the old one. " +
			"Destroying the resource revokes the key (unless `revoke_on_destroy` is false); a key already revoked counts as destroyed.\n\n" +
			"With `rotation`, each key expires a set time after its creation, and the first apply inside the last part of that " +
			"lifetime replaces it: see the guide on rotating API keys.\n\n" +
			"The secret is known only to the apply that creates the key; it is stored in the state, which must be kept private.\n\n" +
			"A create that was sent but got no answer (the connection fails or times out after every retry) leaves a placeholder that remembers " +
			"the request's idempotency key, tainted (on Terraform 1.16, which cannot save a failed create, the apply warns instead of failing). " +
			"Plans send nothing for it. The next apply replaces it, however much later: it asks the API which key that request created, if any, " +
			"revokes that key, whose secret nothing holds, and creates its replacement, with one warning that names the key and when the API created it. " +
			"A create that could not connect at all sent nothing and leaves nothing. When Terraform itself is killed during an apply, " +
			"the provider revokes every key it created in that run, which Terraform may not have saved; the next apply replaces them. No key is left behind without a state that knows it: " +
			"the section \"When a run fails\" below says what survives each kind of failure.\n\n" +
			"Each key records its `organization_id`. When the provider's `api_key` belongs to another organization, refresh, plan and apply fail " +
			"and change nothing, instead of taking that organization's keys for deleted.",
		Attributes: map[string]schema.Attribute{
			// Arguments.
			"name": schema.StringAttribute{
				MarkdownDescription: "What the key is for, as shown in the Astral app. " +
					"1 to 100 characters, without control characters and without white space at either end. " +
					"Names need not be unique. Changing it replaces the key.",
				Required:      true,
				Validators:    []validator.String{nameValidator{}},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: "When the key stops working, as an RFC 3339 timestamp with an offset, such as `2027-06-30T00:00:00Z`. " +
					"Omitted, the key never expires. Must be in the future when a key is created with it. " +
					"Timestamps compare by the instant they name: `2027-06-30T02:00:00+02:00` equals `2027-06-30T00:00:00Z`. " +
					"Changing it replaces the key; a key that has expired stays in the state until then. " +
					"Conflicts with `rotation`, which computes it.",
				Optional: true,
				// Computed only so that a timestamp spelled differently but
				// naming the state's instant can keep the state's spelling.
				Computed:   true,
				CustomType: timestampType{},
				PlanModifiers: []planmodifier.String{
					sameInstantAsState{},
					stringplanmodifier.RequiresReplace(),
				},
			},

			"rotation": schema.SingleNestedAttribute{
				MarkdownDescription: "Gives each new key an expiry computed from its creation time, and replaces the key at the first apply inside its rotation window. " +
					lifetimeDuration.syntax() + " " +
					"Conflicts with `expires_at`. Adding, changing or removing `rotation` alone does not replace a key that is not due: " +
					"a key keeps the expiry it was created with, except that removing `rotation` from a key that expires replaces it with a key that never expires. " +
					"A key without an expiry (such as one imported) counts as expiring `expire_after` after its creation.",
				Optional: true,
				Validators: []validator.Object{
					objectvalidator.ConflictsWith(path.MatchRoot("expires_at")),
				},
				Attributes: map[string]schema.Attribute{
					"expire_after": schema.StringAttribute{
						MarkdownDescription: "How long each key lives: its `expires_at` is its creation time plus this duration, such as `90d`.",
						Required:            true,
						Validators:          []validator.String{durationValidator{lifetimeDuration}},
					},
					"rotate_before": schema.StringAttribute{
						MarkdownDescription: "How long before its expiry a key is due for rotation, such as `14d`: the first plan inside this window replaces the key. " +
							"Must be shorter than `expire_after`. Make it longer than the time between two applies, so that a key is replaced before it expires.",
						Required:   true,
						Validators: []validator.String{durationValidator{lifetimeDuration}},
					},
				},
			},
			"rotate_when_changed": schema.MapAttribute{
				MarkdownDescription: "Arbitrary strings whose change replaces the key, for rotating on an external schedule " +
					"(such as the `id` of a `time_rotating`) or at once (change any value). Setting it on an existing key that had none, or removing it, does not replace the key.",
				Optional:      true,
				ElementType:   types.StringType,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplaceIf(replaceUnlessAddedOrRemoved, "replaces the key when the map changes, unless it is added or removed", "replaces the key when the map changes, unless it is added or removed")},
			},
			"revoke_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "Whether destroying or replacing the key revokes it. Defaults to `true`. " +
					"When `false`, a replaced or destroyed key is left to expire on its own, so that consumers keep a working key while the new secret propagates. " +
					"Allowed only for a key that expires (`expires_at` or `rotation` set). Changing it does not replace the key; it applies to destroys after the change is applied.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"secret_recipients": schema.ListAttribute{
				MarkdownDescription: "Public keys to encrypt the secret to, so that the state never holds it in clear text: each is " + recipientForms + ". " +
					"With it, the apply that creates the key encrypts the secret to every recipient into `encrypted_secret` and leaves `secret` null; " +
					"the plaintext reaches neither the state, nor the plan, nor a log. Decrypt it with `age -d -i <identity>` " +
					"or with the `provider::astral::decrypt_secret` function. " +
					"Changing the list (adding, removing or changing a recipient, or setting or removing the argument) replaces the key: " +
					"the secret is gone once created, so it cannot be encrypted again.",
				Optional:    true,
				ElementType: types.StringType,
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.ValueStringsAre(recipientValidator{}),
				},
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
			},

			// Computed.
			"ready_for_rotation": schema.BoolAttribute{
				MarkdownDescription: "Whether the key is due for rotation: `rotation` is set and the current time is within `rotate_before` of the key's expiry, or past it. " +
					"A refresh sets it to `true` when the key is due, and the plan then replaces the key, marking this attribute as the reason. Always `false` without `rotation`.",
				Computed: true,
			},
			"id": schema.StringAttribute{
				MarkdownDescription: "The key's identifier, such as `key_01JD3X8Z6W4Q9T2B7N5M1K0C3R`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"organization_id": schema.StringAttribute{
				MarkdownDescription: "The organization the key belongs to, such as `org_01JD3X8Z6W4Q9T2B7N5M1K0C3Q`. " +
					"Terraform refuses to plan or apply when the provider's `api_key` belongs to another organization, " +
					"so that switching credentials can never make the keys of one organization look deleted.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"secret": schema.StringAttribute{
				MarkdownDescription: "The key's secret (`astral_live_…`), to send as `Authorization: Bearer <secret>`. " +
					"The API shows it only once: it is known only to the apply that creates the key, and null after an import. " +
					"Null with `secret_recipients`, whose `encrypted_secret` holds it instead.",
				Computed:      true,
				Sensitive:     true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"encrypted_secret": schema.StringAttribute{
				MarkdownDescription: "With `secret_recipients`, the key's secret encrypted to each recipient, as ASCII-armored age " +
					"(`-----BEGIN AGE ENCRYPTED FILE-----`); null without it, and after an import. " +
					"Marked sensitive although only an identity can open it: so is whatever Terraform derives from it, " +
					"such as the result of `provider::astral::decrypt_secret`, even with an identity that is not.",
				Computed:      true,
				Sensitive:     true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"idempotency_key": schema.StringAttribute{
				MarkdownDescription: "Set only on a placeholder: a key whose create got no answer, so that the API may or may not have created it. " +
					"It is the create request's idempotency key, by which the next apply asks the API which key that request created (see above); " +
					"null for every key the API confirmed.",
				Computed:      true,
				Sensitive:     true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"secret_hint": schema.StringAttribute{
				MarkdownDescription: "The last four characters of the secret, as the Astral app shows them to tell keys apart.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: "When the key was created, as an RFC 3339 timestamp in UTC.",
				Computed:            true,
				CustomType:          timestampType{},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"created_by": schema.SingleNestedAttribute{
				MarkdownDescription: "The member of the organization who created the key: the head coach whose key the provider used.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
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
		},
	}
}

func (r *apiKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.configure(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks what spans several arguments.
func (r *apiKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config configValues
	getAttributes(ctx, req.Config, &config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	validateRotationWindow(ctx, config.Rotation, &resp.Diagnostics)
	validateRevokeOnDestroy(config, &resp.Diagnostics)
}

// ModifyPlan refuses a create with an expiry that has passed, replaces a key
// due for rotation, and tells about a key that has expired. Only the create
// side of a plan can fail: a replacement is planned by Terraform as a create
// without prior state.
func (r *apiKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	// Before Configure (validation) there is no clock and no client.
	if r.data == nil {
		return
	}
	// A plan that the apply could not carry out fails now: with a key that
	// may not manage API keys, or of another organization than the state's.
	var identity *astral.Identity
	if _, missing := r.data.apiClient(); missing == nil {
		var ok bool
		if identity, ok = r.data.proveCaller(ctx, &resp.Diagnostics); !ok {
			return
		}
	}
	var prior priorValues
	if !req.State.Raw.IsNull() {
		getAttributes(ctx, req.State, &prior, &resp.Diagnostics)
		if identity != nil {
			checkOrganization(identity, apiKeyModel{ID: prior.ID, Name: prior.Name, OrganizationID: prior.OrganizationID}, &resp.Diagnostics)
		}
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if req.Plan.Raw.IsNull() {
		return
	}

	var planned plannedValues
	getAttributes(ctx, req.Plan, &planned, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// proveCaller has heard the API's clock, unless the API did not answer.
	now := r.data.now()

	if req.State.Raw.IsNull() {
		if expiresAt, ok := parseTime(planned.ExpiresAt.StringValue); ok {
			addPastExpiryError(&resp.Diagnostics, expiresAt, now)
		}
		// rotate_before is shorter than expire_after: a new key is never due.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ready_for_rotation"), false)...)
		// Only a create that gets no answer sets it (see keepPendingCreate).
		// Where the CLI cannot save a failed create, such a create succeeds
		// with a placeholder, whose value the plan must leave open.
		placeholderKey := types.StringNull()
		if !failedCreateKept(r.data.terraformVersion) {
			placeholderKey = types.StringUnknown()
		}
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("idempotency_key"), placeholderKey)...)
		planSecretAttributes(ctx, req.Plan, &resp.Plan, &resp.Diagnostics)
		return
	}

	if !prior.IdempotencyKey.IsNull() {
		// A placeholder is replaced even if untainted: the apply settles
		// its create (see Delete). Unknown differs from the state's null id,
		// so Terraform honours the replacement.
		tflog.Info(ctx, "Planning to settle the unconfirmed create of a placeholder", map[string]any{"name": prior.Name.ValueString()})
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("id"))
		return
	}

	// The refresh may have found the key due by the API's word (expired)
	// before this machine's clock says so.
	life := keyLife{createdAt: prior.CreatedAt, expiresAt: prior.ExpiresAt, dueByAPI: prior.ReadyForRotation.ValueBool()}
	if readyForRotation(ctx, planned.Rotation, life, now).ValueBool() {
		tflog.Info(ctx, "API key due for rotation: planning its replacement", map[string]any{"id": prior.ID.ValueString(), "expires_at": prior.ExpiresAt.ValueString()})
		planRotation(ctx, resp)
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ready_for_rotation"), false)...)

	expiry, ok := parseTime(prior.ExpiresAt.StringValue)
	// A changed expires_at already replaces the key: nothing to tell.
	if ok && !now.Before(expiry) && planned.ExpiresAt.Equal(prior.ExpiresAt) {
		resp.Diagnostics.AddAttributeWarning(path.Root("expires_at"), "API key expired",
			fmt.Sprintf("The API key %q (%s) expired at %s and no longer authenticates. "+
				"It stays in the state. To replace it, set expires_at to a later time, or remove expires_at for a key that never expires, and apply.",
				prior.Name.ValueString(), prior.ID.ValueString(), expiry.UTC().Format(time.RFC3339Nano)))
	}
}

// configValues is what ValidateConfig reads of the configuration.
type configValues struct {
	Rotation        types.Object `tfsdk:"rotation"`
	RevokeOnDestroy types.Bool   `tfsdk:"revoke_on_destroy"`
	ExpiresAt       timestamp    `tfsdk:"expires_at"`
}

// priorValues is what ModifyPlan reads of the prior state.
type priorValues struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	OrganizationID   types.String `tfsdk:"organization_id"`
	ExpiresAt        timestamp    `tfsdk:"expires_at"`
	CreatedAt        timestamp    `tfsdk:"created_at"`
	ReadyForRotation types.Bool   `tfsdk:"ready_for_rotation"`
	IdempotencyKey   types.String `tfsdk:"idempotency_key"`
}

// plannedValues is what ModifyPlan reads of the plan.
type plannedValues struct {
	ExpiresAt timestamp    `tfsdk:"expires_at"`
	Rotation  types.Object `tfsdk:"rotation"`
}

// addPastExpiryError refuses an expiry at or before now, as the API does.
func addPastExpiryError(diags *diag.Diagnostics, expiresAt, now time.Time) {
	if expiresAt.After(now) {
		return
	}
	diags.AddAttributeError(path.Root("expires_at"), "Expiry in the past",
		fmt.Sprintf("A key cannot be created with expires_at %s: it is not after the current time, %s. "+
			"Set expires_at to a time in the future, or remove it for a key that never expires.",
			expiresAt.Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339)))
}

func (r *apiKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	client, missing := r.data.apiClient()
	if missing != nil {
		resp.Diagnostics.Append(missing)
		return
	}
	var plan apiKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// Who the provider's key is, before anything is sent: a placeholder
	// records its organization, and the answer brings the API's clock, with
	// which an expiry computed from now agrees. One request per process.
	caller, err := r.data.callerIdentity(ctx)
	if err != nil {
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not create the API key", err))
		return
	}
	now := r.data.now()
	opts := astral.APIKeyCreateOptions{Name: plan.Name.ValueString()}
	// Known at apply time: a value from another resource may have been unknown at plan time.
	if expiresAt, ok := parseTime(plan.ExpiresAt.StringValue); ok {
		addPastExpiryError(&resp.Diagnostics, expiresAt, now)
		opts.ExpiresAt = &expiresAt
	}
	if expiresAt := rotationExpiry(ctx, plan.Rotation, now, &resp.Diagnostics); expiresAt != nil {
		opts.ExpiresAt = expiresAt
	}
	// Before the create: a recipient known only now must not fail once the
	// key exists, with a secret that nothing could then hold.
	recipients := secretRecipientsOf(ctx, plan.SecretRecipients, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	// Chosen here rather than by the client, so that a create whose answer
	// is lost can be asked again in a later run (see keepPendingCreate).
	opts.IdempotencyKey = rand.Text()
	tflog.Debug(ctx, "Creating API key", map[string]any{"name": opts.Name})
	key, err := client.APIKeys.Create(ctx, opts)
	if key == nil && runwatch.RunGone(ctx) {
		key = r.settleAbandonedCreate(ctx, client, opts, err)
	}
	// A killed run revokes every key it created (see undoRun).
	if key != nil {
		r.data.created.add(key)
	}
	if runwatch.RunGone(ctx) {
		resp.Diagnostics.AddError("Terraform run gone", "Terraform stopped waiting for the create of the API key "+strconv.Quote(opts.Name)+
			" without asking the provider to stop, so the key could not reach the state: the provider revokes what it created.")
		return
	}
	if err != nil {
		cause := clientErrorDiagnostic("Could not create the API key", err)
		var connErr *astral.ConnectionError
		if errors.As(err, &connErr) && !connErr.NotSent {
			r.keepPendingCreate(ctx, newPendingCreate(opts, now, caller).placeholder(plan), cause, resp)
			return
		}
		resp.Diagnostics.Append(cause)
		return
	}

	r.data.keyChanged(key.ID)
	// A replay is the answer to a request that arrived before, whose answer was lost.
	tflog.Info(ctx, "Created API key", map[string]any{"id": key.ID, "replayed": key.Replayed})

	// With recipients, only the secret's encryption goes into the state.
	// Should that fail, nothing holds the secret: the key is kept as a
	// pending create, which the next apply revokes and replaces.
	var sealed diag.Diagnostics
	secret, encrypted := sealSecret(key.Secret, recipients, &sealed)
	plan.setFrom(key)
	plan.Secret, plan.EncryptedSecret = secret, encrypted
	plan.ReadyForRotation = types.BoolValue(false)
	plan.IdempotencyKey = types.StringNull()
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, plan.apiKeyModel)...)
	if sealed.HasError() {
		plan.IdempotencyKey = types.StringValue(opts.IdempotencyKey)
		r.keepPendingCreate(ctx, plan, sealed[0], resp)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *apiKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	client, missing := r.data.apiClient()
	if missing != nil {
		// A plan whose provider configuration is not known yet keeps the
		// prior state; Configure has warned why.
		return
	}
	var state apiKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// The identity read from the state stands when the key leaves it: the
	// framework wants one after every read, and older CLIs send none.
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.apiKeyModel)...)
	if pendingCreateOf(state) != nil {
		// A refresh sends only reads; the plan replaces the placeholder, and
		// the apply settles its create (see Delete), with one warning.
		r.setPlaceholderIdentity(ctx, state, resp)
		return
	}
	if !validStateID(state, &resp.Diagnostics) {
		return
	}

	key, err := r.data.readAPIKey(ctx, client, state.ID.ValueString())
	switch {
	case errors.Is(err, astral.ErrNotFound):
		// The API answers 404 for a key of another organization as well:
		// the key is gone only if it is of the provider's key's organization.
		summary := fmt.Sprintf("Could not tell whether the API key %q (%s) still exists", state.Name.ValueString(), state.ID.ValueString())
		if !r.data.inCallersOrganization(ctx, state.apiKeyModel, summary, &resp.Diagnostics) {
			return
		}
		hint := ""
		if state.OrganizationID.IsNull() {
			hint = " If the provider's api_key now belongs to another organization, set it back before applying."
		}
		tflog.Warn(ctx, "API key gone: removing it from the state", map[string]any{"id": state.ID.ValueString()})
		resp.Diagnostics.AddWarning("API key no longer exists",
			fmt.Sprintf("The API key %q (%s) no longer exists in the organization of the provider's API key, "+
				"so it has been removed from the state and the next plan creates a new one.%s",
				state.Name.ValueString(), state.ID.ValueString(), hint))
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		// Anything but "gone" leaves the state as it was.
		r.data.addReadError(ctx, &resp.Diagnostics, "Could not read the API key "+state.ID.ValueString(), err)
		return
	case !state.OrganizationID.IsNull() && key.OrganizationID != "" && key.OrganizationID != state.OrganizationID.ValueString():
		// An import by identity that names another organization than the key's.
		resp.Diagnostics.AddError("API key of another organization",
			fmt.Sprintf("The API key %s belongs to the organization %s, but the state or the import's identity says %s. Terraform has changed nothing. "+
				"Import the key with the organization_id it has, or without one.",
				key.ID, key.OrganizationID, state.OrganizationID.ValueString()))
		return
	case key.Status == astral.APIKeyStatusRevoked:
		revokedAt := "earlier"
		if key.RevokedAt != nil {
			revokedAt = "at " + key.RevokedAt.UTC().Format(time.RFC3339)
		}
		tflog.Warn(ctx, "API key revoked outside Terraform: removing it from the state", map[string]any{"id": key.ID})
		resp.Diagnostics.AddWarning("API key revoked outside Terraform",
			fmt.Sprintf("The API key %q (%s) was revoked %s, outside this configuration's applies: in the Astral app, through the API, "+
				"or by the provider undoing an apply whose Terraform was killed. It has been removed from the state, and the next plan creates a new one.",
				key.Name, key.ID, revokedAt))
		resp.State.RemoveResource(ctx)
		return
	}
	r.setState(ctx, state, key, resp)
}

// setState records what the API says of key in the state read.
func (r *apiKeyResource) setState(ctx context.Context, state apiKeyResourceModel, key *astral.APIKey, resp *resource.ReadResponse) {
	state.setFrom(key)
	life := keyLife{createdAt: state.CreatedAt, expiresAt: state.ExpiresAt, dueByAPI: key.Status == astral.APIKeyStatusExpired}
	state.ReadyForRotation = readyForRotation(ctx, state.Rotation, life, r.data.now())
	// An imported key has no value yet: the default, as a configuration without it has.
	if state.RevokeOnDestroy.IsNull() {
		state.RevokeOnDestroy = types.BoolValue(true)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.apiKeyModel)...)
}

// Update changes only what the provider keeps for itself (rotation,
// rotate_when_changed added or removed, revoke_on_destroy): everything the API holds
// requires replacement, and the plan has kept the key's computed values.
func (r *apiKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan apiKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, plan.apiKeyModel)...)
}

func (r *apiKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	client, missing := r.data.apiClient()
	if missing != nil {
		resp.Diagnostics.Append(missing)
		return
	}
	var state apiKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if pendingCreateOf(state) != nil {
		r.settlePendingCreate(ctx, client, state, &resp.Diagnostics)
		return
	}
	if !validStateID(state, &resp.Diagnostics) {
		return
	}

	id := state.ID.ValueString()
	if r.leftActive(ctx, state, &resp.Diagnostics) {
		return
	}
	// Revoking a revoked key succeeds. The API answers 404 to a key that is
	// gone and to another organization's key alike: only the first may
	// leave the state. A revoke that succeeds needs no such check.
	r.data.keyChanged(id)
	_, err := client.APIKeys.Revoke(ctx, id)
	switch {
	case errors.Is(err, astral.ErrNotFound):
		tflog.Info(ctx, "API key to revoke not found", map[string]any{"id": id})
		r.data.inCallersOrganization(ctx, state.apiKeyModel, "Could not tell whether the API key "+id+" still exists", &resp.Diagnostics)
	case err != nil:
		resp.Diagnostics.Append(clientErrorDiagnostic("Could not revoke the API key "+id, err))
	default:
		tflog.Info(ctx, "Revoked API key", map[string]any{"id": id})
	}
}

// ImportState takes a key's id, from terraform import or an import block's
// id, or a key's identity, from an import block's identity (Terraform
// 1.12+); the next read fills in the rest.
func (r *apiKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	imported := apiKeyIdentityModel{ID: types.StringValue(req.ID), OrganizationID: types.StringNull()}
	if req.ID == "" && req.Identity != nil {
		resp.Diagnostics.Append(req.Identity.Get(ctx, &imported)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	id := imported.ID.ValueString()
	if err := astral.ValidateKeyID(id); err != nil {
		resp.Diagnostics.AddError("Invalid API key ID",
			"The import ID must be the ID of an API key: "+validationReason(err)+". "+
				"The Astral app shows each key's ID, with a button that copies it, in Settings → Security; the astral_api_keys data source lists them too.")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	// An organization named by the identity is checked by the next read:
	// a key of another organization is refused, never taken for gone.
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("organization_id"), imported.OrganizationID)...)
	if resp.Identity != nil {
		resp.Diagnostics.Append(resp.Identity.Set(ctx, apiKeyIdentityModel{ID: types.StringValue(id), OrganizationID: imported.OrganizationID})...)
	}
	resp.Diagnostics.AddWarning("API key secret not imported",
		"The API shows a key's secret only when the key is created, so the imported "+id+" has a null secret. "+
			"Whatever uses the secret must keep getting it from where it is stored today; to have Terraform hold a secret, replace the key.")
}

// apiKeyIdentityModel is the resource identity of a key (Terraform 1.12+):
// its id, and the organization it belongs to.
type apiKeyIdentityModel struct {
	ID             types.String `tfsdk:"id"`
	OrganizationID types.String `tfsdk:"organization_id"`
}

func (r *apiKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				Description:       "The key's identifier, such as key_01JD3X8Z6W4Q9T2B7N5M1K0C3R.",
				RequiredForImport: true,
			},
			"organization_id": identityschema.StringAttribute{
				Description:       "The organization the key belongs to. Optional on import: given, a key of another organization is refused.",
				OptionalForImport: true,
			},
		},
	}
}

// setIdentity writes the identity of key on every create, read and update,
// whether or not the CLI sent one: older CLIs send none, and an identity
// missing after an update fails the apply on newer ones. A placeholder,
// which has no id yet, has none.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, key apiKeyModel) diag.Diagnostics {
	if identity == nil || key.ID.IsNull() || key.ID.IsUnknown() {
		return nil
	}
	return identity.Set(ctx, apiKeyIdentityModel{ID: key.ID, OrganizationID: key.OrganizationID})
}

// attributeGetter is tfsdk.Config, tfsdk.Plan or tfsdk.State.
type attributeGetter interface {
	GetAttribute(ctx context.Context, p path.Path, target any) diag.Diagnostics
}

// getAttributes fills each field of target, a pointer to a struct whose
// fields carry tfsdk tags, from the top-level attribute its tag names.
// Validation and planning run once per key, a thousand at a time, and need
// a few attributes each: reading a whole model costs the framework about
// five times as much (reflection over every field of the struct).
func getAttributes(ctx context.Context, from attributeGetter, target any, diags *diag.Diagnostics) {
	fields := reflect.ValueOf(target).Elem()
	for i := range fields.NumField() {
		name := fields.Type().Field(i).Tag.Get("tfsdk")
		diags.Append(from.GetAttribute(ctx, path.Root(name), fields.Field(i).Addr().Interface())...)
	}
}

// validStateID adds an error, before any request, when the state's id is
// not a key's: a state edited by hand or pushed from elsewhere.
func validStateID(state apiKeyResourceModel, diags *diag.Diagnostics) bool {
	err := astral.ValidateKeyID(state.ID.ValueString())
	if err == nil {
		return true
	}
	diags.AddError("Invalid API key ID in the state",
		fmt.Sprintf("The state holds %q as the id of the API key %q, which is not an API key ID: %s. Nothing was sent to the API. "+
			"The state was changed outside Terraform (edited by hand, or pushed with terraform state push): restore it from a backup, "+
			"or remove the resource with terraform state rm and import the key by its id, which the astral_api_keys data source lists.",
			state.ID.ValueString(), state.Name.ValueString(), validationReason(err)))
	return false
}
