package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/astral/terraform-provider-astral/internal/astral"
)

var _ astral.Logger = tflogLogger{}

// tflogLogger writes the client's entry for each attempt of a call to
// Terraform's log (TF_LOG=DEBUG shows it), and a long wait for the API's
// rate limit at INFO, through the logger that the framework puts in each
// request's context.
type tflogLogger struct{}

func (tflogLogger) DebugContext(ctx context.Context, msg string, args ...any) {
	tflog.Debug(ctx, msg, logFields(args))
}

func (tflogLogger) InfoContext(ctx context.Context, msg string, args ...any) {
	tflog.Info(ctx, msg, logFields(args))
}

func (tflogLogger) WarnContext(ctx context.Context, msg string, args ...any) {
	tflog.Warn(ctx, msg, logFields(args))
}

// logFields turns the client's key-value pairs into tflog's fields.
func logFields(args []any) map[string]any {
	fields := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		fields[fmt.Sprint(args[i])] = args[i+1]
	}
	return fields
}
