package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// tflogLogger routes the client's log lines to tflog. Each line is written with the context of
// the call it belongs to, which carries that request's key masks and Terraform's request fields;
// tflog rewrites a context's fields while masking, so a context shared across requests would race.
type tflogLogger struct{}

func (tflogLogger) Log(ctx context.Context, level apimart.LogLevel, msg string, fields map[string]any) {
	if level == apimart.LogWarn {
		tflog.Warn(ctx, msg, fields)
		return
	}
	tflog.Debug(ctx, msg, fields)
}

// maskKey keeps the key out of every log line written with the returned context.
func maskKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	ctx = tflog.MaskAllFieldValuesStrings(ctx, key)
	return tflog.MaskMessageStrings(ctx, key)
}
