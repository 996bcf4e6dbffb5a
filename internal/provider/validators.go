package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// maxNameLength is the API's limit, in characters (Unicode code points).
const maxNameLength = 100

// nameProblems lists what makes name unacceptable as an API key's name; it
// is empty for a good name. The API trims names only to count them and keeps
// them as given, so edge white space is refused here: it would make names
// that look alike but differ.
func nameProblems(name string) []string {
	var problems []string
	trimmed := strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(trimmed); {
	case n == 0:
		problems = append(problems, "The name must contain at least one character other than white space.")
	case n > maxNameLength:
		problems = append(problems, fmt.Sprintf("The name must have at most %d characters; it has %d.", maxNameLength, n))
	}
	if n := len(trimmed); n > 0 && n != len(name) {
		problems = append(problems, "The name must not begin or end with white space.")
	}
	for i, r := range []rune(name) {
		if unicode.IsControl(r) {
			problems = append(problems, fmt.Sprintf("The name must not contain control characters such as tabs or line breaks; character %d is %U.", i+1, r))
			break
		}
	}
	return problems
}

type nameValidator struct{}

var _ validator.String = nameValidator{}

func (nameValidator) Description(context.Context) string {
	return fmt.Sprintf("1 to %d characters, without control characters or white space at either end", maxNameLength)
}

func (v nameValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (nameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for _, problem := range nameProblems(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid API key name", problem)
	}
}

// regexValidator accepts a regular expression in Go's RE2 syntax.
type regexValidator struct{}

var _ validator.String = regexValidator{}

func (regexValidator) Description(context.Context) string {
	return "a regular expression in RE2 syntax"
}

func (v regexValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (regexValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := regexp.Compile(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid regular expression",
			fmt.Sprintf("The value is not a regular expression in RE2 syntax (https://github.com/google/re2/wiki/Syntax): %v.", err))
	}
}

// notEmptyValidator refuses an empty string for a provider argument that
// falls back to an environment variable when left out: an empty string
// would silently hide the variable.
type notEmptyValidator struct {
	summary string
	env     string
	// fallback says what applies when the variable is not set either; empty: nothing.
	fallback string
}

var _ validator.String = notEmptyValidator{}

func (v notEmptyValidator) Description(context.Context) string {
	return "not empty: leave the argument out to use " + v.env
}

func (v notEmptyValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v notEmptyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.ConfigValue.ValueString() != "" {
		return
	}
	use := "the " + v.env + " environment variable"
	if v.fallback != "" {
		use += ", or " + v.fallback + " when it is not set"
	}
	resp.Diagnostics.AddAttributeError(req.Path, v.summary,
		fmt.Sprintf("%s is an empty string. Leave %s out of the provider block (or set it to null) to use %s.", req.Path, req.Path, use))
}
