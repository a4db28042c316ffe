package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// providerData is what Configure hands to resources and data sources.
type providerData struct {
	// client is nil when no key is configured: that is an error only for operations that call the API.
	client        *apimart.Client
	apiKey        string
	keySource     string
	configUnknown bool
	adoption      *adoptionQueue
}

// Client returns the API client, or an error diagnostic that tells the user how to set the key.
func (d *providerData) Client() (*apimart.Client, diag.Diagnostics) {
	var diags diag.Diagnostics
	switch {
	case d == nil:
		diags.AddError("Provider not configured", "The apimart provider was not configured before use. This is a bug in the provider; please report it.")
	case d.configUnknown:
		diags.AddError("Provider configuration not known yet",
			"The apimart provider block uses values that are known only after other resources are applied, so the API cannot be called in this run. Apply those resources first, for example with -target.")
	case d.client == nil:
		diags.AddError("Missing APIMart API key",
			"This operation calls the APIMart API, which needs an API key. Set api_key in the provider \"apimart\" block, or set the "+EnvAPIKey+" environment variable.")
	}
	return d.client, diags
}

// configuredData takes the provider's data in a resource's or data source's Configure. It is nil
// before the provider is configured, which the framework does for validation.
func configuredData(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil
	}
	data, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider.", raw))
	}
	return data
}

// logContext masks the key in every log line written with the returned context.
func (d *providerData) logContext(ctx context.Context) context.Context {
	if d == nil {
		return ctx
	}
	return maskKey(ctx, d.apiKey)
}

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

// durationValidator accepts a positive Go duration string such as "30s".
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return `value must be a positive Go duration such as "30s" or "2m"`
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("The value %q is not a positive Go duration such as \"30s\" or \"2m\".", req.ConfigValue.ValueString()))
	}
}
