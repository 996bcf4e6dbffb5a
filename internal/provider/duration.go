package provider

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Every duration of the provider is written one way: whole numbers, each
// followed by its unit, largest unit first, each unit at most once, such
// as "90d", "1d12h", "1m30s" or "250ms". Go's own durations stop at hours,
// and key lifetimes are counted in days; a key's lifetime and a request's
// timeout are the same kind of value and read the same. Where they differ
// is the smallest unit: a key expires at a whole second (the API stamps
// whole seconds), so a lifetime stops at s, and a timeout goes to ms.

// maxDuration keeps every computed expiry far below the API's year 10000
// and every sum of durations far from overflowing.
const maxDuration = 36500 * 24 * time.Hour

// durationUnits are the units of the syntax, largest first.
var durationUnits = []struct {
	name string
	size time.Duration
}{
	{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond},
}

// durationPattern has one group per unit of durationUnits, in its order.
var durationPattern = regexp.MustCompile(`^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$`)

// durationKind is where a duration is given, which decides its smallest
// unit and the examples its descriptions and errors give.
type durationKind struct {
	// units is how many of durationUnits the kind takes, from the largest.
	units    int
	examples []string
}

var (
	// lifetimeDuration is a key's lifetime or rotation window.
	lifetimeDuration = durationKind{units: 4, examples: []string{"90d", "1d12h", "30m"}}
	// timeoutDuration is how long a request or its waits may take.
	timeoutDuration = durationKind{units: 5, examples: []string{"30s", "1m30s", "250ms"}}
)

// unitNames lists the kind's units as text: "d, h, m and s".
func (k durationKind) unitNames(quote string) string {
	names := make([]string, k.units)
	for i, u := range durationUnits[:k.units] {
		names[i] = quote + u.name + quote
	}
	return strings.Join(names[:k.units-1], ", ") + " and " + names[k.units-1]
}

func (k durationKind) exampleList(quote string) string {
	quoted := make([]string, len(k.examples))
	for i, e := range k.examples {
		quoted[i] = quote + e + quote
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

// syntax is the one description of how the kind is written, a sentence to
// end an attribute's MarkdownDescription.
func (k durationKind) syntax() string {
	return "Durations are written as everywhere in this provider: whole numbers, each followed by its unit (" + k.unitNames("`") +
		", `d` being days), largest first, such as " + k.exampleList("`") + "."
}

// form is what an error says a value of the kind looks like.
func (k durationKind) form() string {
	return "a duration such as " + k.exampleList(`"`) + ": whole numbers, each followed by its unit (" + k.unitNames("") +
		"), largest first, each unit at most once"
}

// parse reads a positive duration of the kind. Its errors quote s, which
// is never a secret, and say what a duration looks like.
func (k durationKind) parse(s string) (time.Duration, error) {
	m := durationPattern.FindStringSubmatch(s)
	if s == "" || m == nil {
		return 0, fmt.Errorf("%q is not %s", s, k.form())
	}
	var total time.Duration
	for i, unit := range durationUnits {
		if m[i+1] == "" {
			continue
		}
		if i >= k.units {
			return 0, fmt.Errorf("%q counts %s, but a key expires at a whole second: give %s", s, unit.name, k.form())
		}
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil || n > int64(maxDuration/unit.size) {
			return 0, fmt.Errorf("%q is longer than 36500 days", s)
		}
		total += time.Duration(n) * unit.size
	}
	switch {
	case total <= 0:
		return 0, fmt.Errorf("%q is not above zero: give a duration such as %s", s, k.exampleList(`"`))
	case total > maxDuration:
		return 0, fmt.Errorf("%q is longer than 36500 days", s)
	}
	return total, nil
}

// parseLifetime reads a key's lifetime or rotation window.
func parseLifetime(s string) (time.Duration, error) { return lifetimeDuration.parse(s) }

// formatDuration writes d as the provider's durations are written, down to
// milliseconds.
func formatDuration(d time.Duration) string {
	var s string
	for _, unit := range durationUnits {
		if n := d / unit.size; n > 0 {
			s += strconv.FormatInt(int64(n), 10) + unit.name
			d %= unit.size
		}
	}
	if s == "" {
		return "0s"
	}
	return s
}

// durationValidator accepts a duration of its kind (see durationKind), with
// an error that says what one looks like: Go's own says only "time:
// invalid duration".
type durationValidator struct {
	kind durationKind
}

var _ validator.String = durationValidator{}

func (v durationValidator) Description(context.Context) string {
	return "a positive duration such as " + v.kind.exampleList(`"`)
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := v.kind.parse(req.ConfigValue.ValueString()); err != nil {
		// Terraform shows the resource's line for a nested attribute: the detail names it.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration", req.Path.String()+": "+err.Error()+".")
	}
}

// expiryAfter is the expiry of a key created at now that lives for
// lifetime, in whole seconds, as the API stamps its own times.
func expiryAfter(now time.Time, lifetime time.Duration) time.Time {
	return now.Add(lifetime).UTC().Truncate(time.Second)
}
