package provider

import (
	"context"
	"iter"
	"regexp"
	"time"

	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

// The filters of an audit, shared by the astral_api_keys data source and
// the astral_api_key list resource, so that a query and a data source with
// the same arguments find the same keys.

// keyFilterModel holds the filter arguments; a null one does not filter.
type keyFilterModel struct {
	NameRegex     types.String `tfsdk:"name_regex"`
	ExpiresBefore timestamp    `tfsdk:"expires_before"`
	UnusedSince   timestamp    `tfsdk:"unused_since"`
}

const (
	nameRegexDescription = "Only keys whose name matches this regular expression, in " +
		"[RE2 syntax](https://github.com/google/re2/wiki/Syntax). It matches anywhere in the name unless anchored with `^` and `$`."
	expiresBeforeDescription = "Only keys that expire before this RFC 3339 timestamp, such as `2027-01-01T00:00:00Z`. " +
		"Keys that never expire are left out."
	unusedSinceDescription = "Only keys never used, or last used before this RFC 3339 timestamp: candidates for revocation. " +
		"The API records a key's last use to the minute."
)

// keyFilterDataSourceAttributes are the filters as data source arguments.
func keyFilterDataSourceAttributes() map[string]dsschema.Attribute {
	return map[string]dsschema.Attribute{
		"name_regex": dsschema.StringAttribute{
			MarkdownDescription: nameRegexDescription,
			Optional:            true,
			Validators:          []validator.String{regexValidator{}},
		},
		"expires_before": dsschema.StringAttribute{
			MarkdownDescription: expiresBeforeDescription,
			Optional:            true,
			CustomType:          timestampType{},
		},
		"unused_since": dsschema.StringAttribute{
			MarkdownDescription: unusedSinceDescription,
			Optional:            true,
			CustomType:          timestampType{},
		},
	}
}

// keyFilterListAttributes are the same filters as the arguments of a list
// block's config.
func keyFilterListAttributes() map[string]listschema.Attribute {
	return map[string]listschema.Attribute{
		"name_regex": listschema.StringAttribute{
			MarkdownDescription: nameRegexDescription,
			Optional:            true,
			Validators:          []validator.String{regexValidator{}},
		},
		"expires_before": listschema.StringAttribute{
			MarkdownDescription: expiresBeforeDescription,
			Optional:            true,
			CustomType:          timestampType{},
		},
		"unused_since": listschema.StringAttribute{
			MarkdownDescription: unusedSinceDescription,
			Optional:            true,
			CustomType:          timestampType{},
		},
	}
}

// keyFilter holds the parsed filters; a nil field does not filter.
type keyFilter struct {
	name          *regexp.Regexp
	expiresBefore *time.Time
	unusedSince   *time.Time
}

func newKeyFilter(config keyFilterModel) (keyFilter, error) {
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

// keys yields the organization's active keys that f matches, oldest first.
// The API cannot filter, so every page is fetched: a listing costs one
// request per hundred keys, whatever the filters.
func (f keyFilter) keys(ctx context.Context, client *astral.Client) iter.Seq2[*astral.APIKey, error] {
	return func(yield func(*astral.APIKey, error) bool) {
		for key, err := range client.APIKeys.All(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			if f.match(key) && !yield(key, nil) {
				return
			}
		}
	}
}
