package provider

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// maxLifetime keeps every computed expiry far below the API's year 10000
// and every sum of durations far from overflowing.
const maxLifetime = 36500 * 24 * time.Hour

// lifetimePattern is days, hours and minutes, in that order, each at most
// once: "90d", "1d12h", "30m". Go's own durations stop at hours, and key
// lifetimes are counted in days.
var lifetimePattern = regexp.MustCompile(`^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?$`)

// parseLifetime reads a positive duration written with the units d, h and m.
func parseLifetime(s string) (time.Duration, error) {
	m := lifetimePattern.FindStringSubmatch(s)
	if s == "" || m == nil {
		return 0, fmt.Errorf("%q is not a duration in days, hours and minutes, such as \"90d\", \"1d12h\" or \"30m\" (units d, h, m in that order, whole numbers)", s)
	}
	var total time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil || n > int64(maxLifetime/unit) {
			return 0, fmt.Errorf("%q is longer than 36500 days", s)
		}
		total += time.Duration(n) * unit
	}
	switch {
	case total <= 0:
		return 0, fmt.Errorf("%q is not above zero", s)
	case total > maxLifetime:
		return 0, fmt.Errorf("%q is longer than 36500 days", s)
	}
	return total, nil
}

// formatLifetime writes d as parseLifetime reads it, in whole minutes.
func formatLifetime(d time.Duration) string {
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	var s string
	if days > 0 {
		s += strconv.FormatInt(int64(days), 10) + "d"
	}
	if h := rest / time.Hour; h > 0 {
		s += strconv.FormatInt(int64(h), 10) + "h"
	}
	if m := rest % time.Hour / time.Minute; m > 0 || s == "" {
		s += strconv.FormatInt(int64(m), 10) + "m"
	}
	return s
}

// expiryAfter is the expiry of a key created at now that lives for
// lifetime, in whole seconds, as the API stamps its own times.
func expiryAfter(now time.Time, lifetime time.Duration) time.Time {
	return now.Add(lifetime).UTC().Truncate(time.Second)
}

// lifetimeValidator accepts what parseLifetime reads.
type lifetimeValidator struct{}

var _ validator.String = lifetimeValidator{}

func (lifetimeValidator) Description(context.Context) string {
	return `a positive duration in days, hours and minutes, such as "90d" or "1d12h"`
}

func (v lifetimeValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (lifetimeValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseLifetime(req.ConfigValue.ValueString()); err != nil {
		// Terraform shows the resource's line for a nested attribute: the detail names it.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration", req.Path.String()+": "+err.Error()+".")
	}
}
