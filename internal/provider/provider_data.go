package provider

import (
	"context"
	"fmt"
	"sync"
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

// tflogLogger routes the client's logs to tflog. The client's loggers are long-lived, so it keeps
// the Configure context, which carries the key masks and the provider's log sink. Calls are
// serialized: with masks set, tflog rewrites the context's own field map on every call, and
// resources that run in parallel share this one context.
type tflogLogger struct {
	ctx context.Context
	mu  *sync.Mutex
}

func newTflogLogger(ctx context.Context) tflogLogger {
	return tflogLogger{ctx: ctx, mu: &sync.Mutex{}}
}

func (l tflogLogger) Error(msg string, kv ...interface{}) { l.log(tflog.Error, msg, kv) }
func (l tflogLogger) Warn(msg string, kv ...interface{})  { l.log(tflog.Warn, msg, kv) }
func (l tflogLogger) Info(msg string, kv ...interface{})  { l.log(tflog.Info, msg, kv) }
func (l tflogLogger) Debug(msg string, kv ...interface{}) { l.log(tflog.Debug, msg, kv) }

func (l tflogLogger) log(write func(context.Context, string, ...map[string]interface{}), msg string, kv []interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	write(l.ctx, msg, fields(kv))
}

// fields turns key-value pairs into tflog fields. Errors and other Stringers become strings,
// because tflog masks only string values, and retryablehttp logs a failed request's error (whose
// text holds the URL) as an error value.
func fields(kv []interface{}) map[string]interface{} {
	m := make(map[string]interface{}, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		value := kv[i+1]
		switch v := value.(type) {
		case error:
			value = v.Error()
		case fmt.Stringer:
			value = v.String()
		}
		m[fmt.Sprint(kv[i])] = value
	}
	return m
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
